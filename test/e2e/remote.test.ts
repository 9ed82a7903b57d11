// Remote write into Promethium and remote read out of it, with Debian's Prometheus 2.42 as the peer (a
// real sender and a real remote-read client, started here on 127.0.0.1): what Prometheus sends is
// stored sample for sample, and Prometheus reading Promethium through remote_read sees what Promethium
// serves itself.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerFixtures } from '../support/peers.js';
import { freePort } from '../support/scrape-e2e.js';
import { startServer, waitFor } from '../support/server-process.js';

const PROMETHEUS = '/usr/bin/prometheus';

const { dirs, running, startPeer, stopPeer } = peerFixtures('promethium-remote-');

/** Starts Debian's Prometheus 2.42 with `config` (on `port`, or a free one); returns its URL. */
async function startPrometheus(
  dir: string,
  config: (port: number) => string,
  port?: number,
  extra: string[] = [],
): Promise<string> {
  port ??= await freePort();
  const file = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(file, config(port));
  const url = `http://127.0.0.1:${port}`;
  await startPeer({
    binary: PROMETHEUS,
    debianPackage: 'prometheus',
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...extra,
    ],
    url,
  });
  return url;
}

type Matrix = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;

async function matrix(
  get: (p: string) => Promise<{ json(): Promise<unknown> }>,
  q: string,
  at: number,
): Promise<Matrix> {
  const res = await get(`/api/v1/query?query=${encodeURIComponent(q)}&time=${at}`);
  const body = (await res.json()) as {
    status: string;
    data: { resultType: string; result: Matrix };
    error?: string;
  };
  expect(body.status, body.error).toBe('success');
  return body.data.result.sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

describe('remote write and remote read with Prometheus 2.42', () => {
  it('stores what Prometheus remote-writes, sample for sample', async () => {
    const dir = dirs.make();
    fs.writeFileSync(path.join(dir, 'none.yml'), 'scrape_configs: []\n');
    const s = await startServer([
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-remote-write-receiver',
      `--config.file=${path.join(dir, 'none.yml')}`,
    ]);
    running.push(s);
    const prom = await startPrometheus(
      dir,
      (port) => `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prom
    static_configs: [{targets: ['127.0.0.1:${port}']}]
remote_write:
  - url: ${s.url}/api/v1/write
    queue_config: {batch_send_deadline: 500ms}
`,
    );
    // a few scrapes have been sent
    await waitFor(async () => {
      const m = await matrix((p) => s.fetch(p), 'up{job="prom"}[1m]', Date.now() / 1000);
      return m.length === 1 && m[0].values.length >= 4;
    }, 60_000);
    // a moment both have: the same samples of a few series
    const at = Date.now() / 1000 - 2;
    for (const q of ['up{job="prom"}[1m]', 'prometheus_tsdb_head_series[1m]', 'scrape_samples_scraped[1m]']) {
      const theirs = await matrix((p) => fetch(prom + p), q, at);
      const ours = await matrix((p) => s.fetch(p), q, at);
      expect(ours, q).toEqual(theirs);
      expect(ours.length, q).toBeGreaterThan(0);
    }
    const metrics = await (await s.fetch('/metrics')).text();
    expect(metrics).toMatch(/prometheus_http_requests_total\{code="204",handler="\/api\/v1\/write"\} [1-9]/);
  });

  it('answers Prometheus reading through remote_read with what it serves itself', async () => {
    const dir = dirs.make();
    const config = path.join(dir, 'promethium.yml');
    fs.writeFileSync(
      config,
      'global:\n  scrape_interval: 1s\n  external_labels: {site: a}\nscrape_configs: []\n',
    );
    const s = await startServer([
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-lifecycle',
    ]);
    running.push(s);
    // scrape itself, so there is data
    fs.writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  external_labels: {site: a}\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['${new URL(s.url).host}']}]\n`,
    );
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
    await waitFor(async () => {
      const m = await matrix((p) => s.fetch(p), 'up[1m]', Date.now() / 1000);
      return m.length === 1 && m[0].values.length >= 3;
    }, 30_000);
    const prom = await startPrometheus(
      dir,
      () => `remote_read:
  - url: ${s.url}/api/v1/read
    read_recent: true
`,
    );
    const at = Date.now() / 1000 - 1;
    for (const q of ['up[1m]', 'prometheus_tsdb_head_series[1m]', 'scrape_duration_seconds[30s]']) {
      const ours = await matrix((p) => s.fetch(p), q, at);
      const theirs = await matrix((p) => fetch(prom + p), q, at);
      // Prometheus sees the external label Promethium adds; otherwise the same series and samples
      expect(theirs, q).toEqual(ours.map((r) => ({ ...r, metric: { ...r.metric, site: 'a' } })));
      expect(ours.length, q).toBeGreaterThan(0);
    }
    // a matcher on the external label selects the series that lack it
    const bySite = await matrix((p) => fetch(prom + p), 'up{site="a"}[1m]', at);
    expect(bySite).toHaveLength(1);
  });

  it('sends what it scrapes to Prometheus through remote_write, and loses nothing over an outage and a restart', async () => {
    const dir = dirs.make();
    const promDir = path.join(dir, 'receiver');
    fs.mkdirSync(promDir);
    const promPort = await freePort();
    const receiver = (): Promise<string> =>
      startPrometheus(promDir, () => 'scrape_configs: []\n', promPort, [
        '--web.enable-remote-write-receiver',
      ]);
    let prom = await receiver();
    const ourPort = await freePort();
    const config = path.join(dir, 'promethium.yml');
    fs.writeFileSync(
      config,
      `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs: [{targets: ['127.0.0.1:${ourPort}']}]
remote_write:
  - url: ${prom}/api/v1/write
    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s}
`,
    );
    const args = [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${ourPort}`,
    ];
    let s = await startServer(args);
    running.push(s);
    const q = 'up{job="self"}[10m]';
    const sent = async (): Promise<number> => {
      const m = await matrix((p) => fetch(prom + p), q, Date.now() / 1000);
      return m.length === 0 ? 0 : m[0].values.length;
    };
    await waitFor(async () => (await sent()) >= 3, 30_000);
    // the receiver goes away for two minutes; Promethium restarts in the middle of it
    await stopPeer(promPort);
    const down = Date.now();
    await waitFor(() => Date.now() - down >= 60_000, 70_000);
    await s.stop();
    s = await startServer(args);
    running.push(s);
    await waitFor(() => Date.now() - down >= 120_000, 70_000);
    prom = await receiver();
    // everything Promethium scraped reaches the receiver: the same samples on both sides
    const at = Date.now() / 1000;
    await waitFor(async () => {
      const ours = await matrix((p) => s.fetch(p), `${q.replace('[10m]', '[4m]')}`, at);
      const theirs = await matrix((p) => fetch(prom + p), `${q.replace('[10m]', '[4m]')}`, at);
      return ours.length === 1 && theirs.length === 1 && theirs[0].values.length === ours[0].values.length;
    }, 60_000);
    const ours = await matrix((p) => s.fetch(p), 'up{job="self"}[4m]', at);
    const theirs = await matrix((p) => fetch(prom + p), 'up{job="self"}[4m]', at);
    expect(theirs).toEqual(ours);
    // scrapes went on during the two-minute outage (one a second, but for the restart): all of them arrived
    expect(ours[0].values.length).toBeGreaterThan(90);
  }, 360_000);

  it('runs as an agent: scrapes and remote-writes, answers no queries, refuses rules', async () => {
    const dir = dirs.make();
    fs.writeFileSync(path.join(dir, 'none.yml'), 'scrape_configs: []\n');
    const receiver = await startServer([
      `--storage.tsdb.path=${path.join(dir, 'receiver')}`,
      '--web.enable-remote-write-receiver',
      `--config.file=${path.join(dir, 'none.yml')}`,
    ]);
    running.push(receiver);
    const agentPort = await freePort();
    const config = path.join(dir, 'agent.yml');
    fs.writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: agent\n    static_configs: [{targets: ['127.0.0.1:${agentPort}']}]\nremote_write:\n  - url: ${receiver.url}/api/v1/write\n    queue_config: {batch_send_deadline: 500ms}\n`,
    );
    const agent = await startServer([
      '--agent',
      `--config.file=${config}`,
      `--storage.agent.path=${path.join(dir, 'agent-data')}`,
      `--web.listen-address=127.0.0.1:${agentPort}`,
    ]);
    running.push(agent);
    expect(fs.existsSync(path.join(dir, 'agent-data', 'wal'))).toBe(true);
    await waitFor(async () => {
      const m = await matrix((p) => receiver.fetch(p), 'up{job="agent"}[1m]', Date.now() / 1000);
      return m.length === 1 && m[0].values.length >= 2;
    }, 30_000);
    const q = await agent.fetch('/api/v1/query?query=up');
    expect(q.status).toBe(422);
    expect(await q.json()).toEqual({
      status: 'error',
      errorType: 'execution',
      error: 'unavailable with Prometheus Agent',
    });
    expect((await agent.fetch('/api/v1/rules')).status).toBe(422);
    expect((await agent.fetch('/api/v1/status/buildinfo')).status).toBe(200);
    // rules are not for agents
    fs.writeFileSync(path.join(dir, 'rules.yml'), 'groups: []\n');
    fs.writeFileSync(path.join(dir, 'with-rules.yml'), 'rule_files: [rules.yml]\n');
    const refused = await startServer([
      '--agent',
      `--config.file=${path.join(dir, 'with-rules.yml')}`,
      `--storage.agent.path=${path.join(dir, 'x')}`,
    ]).then(
      () => 'started',
      (err: unknown) => (err as Error).message,
    );
    expect(refused).toContain('field rule_files is not allowed in agent mode');
  });

  it('reads Prometheus through remote_read: its series merged into queries, as Prometheus merges them', async () => {
    const dir = dirs.make();
    const promDir = path.join(dir, 'prom');
    fs.mkdirSync(promDir);
    const prom = await startPrometheus(
      promDir,
      (port) =>
        `global:\n  scrape_interval: 1s\n  external_labels: {site: b}\nscrape_configs:\n  - job_name: prom\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
    );
    await waitFor(async () => {
      const m = await matrix((p) => fetch(prom + p), 'up[1m]', Date.now() / 1000);
      return m.length === 1 && m[0].values.length >= 3;
    }, 30_000);
    const config = path.join(dir, 'promethium.yml');
    fs.writeFileSync(
      config,
      `global:\n  external_labels: {site: b}\nremote_read:\n  - url: ${prom}/api/v1/read\n    read_recent: true\n  - url: ${prom}/api/v1/read\n    name: never\n    read_recent: true\n    required_matchers: {job: nothing}\n`,
    );
    const s = await startServer([`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`]);
    running.push(s);
    const at = Date.now() / 1000 - 1;
    for (const q of ['up{job="prom"}[1m]', 'prometheus_tsdb_head_series[30s]']) {
      const theirs = await matrix((p) => fetch(prom + p), q, at);
      const ours = await matrix((p) => s.fetch(p), q, at);
      // the external label is a matcher on the way out and removed from what comes back, as in Prometheus
      expect(ours, q).toEqual(theirs);
      expect(ours.length, q).toBe(1);
    }
    // PromQL runs over the merged data as over local data
    const rate = await matrix((p) => s.fetch(p), 'count_over_time(up{job="prom"}[30s])', at);
    expect(
      Number((rate as unknown as Array<{ value: [number, string] }>)[0].value[1]),
    ).toBeGreaterThanOrEqual(2);
  });
});
