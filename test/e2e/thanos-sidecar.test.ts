// The Thanos sidecar's contract with "a Prometheus" (thanos-io/thanos pkg/promclient, pkg/store/
// prometheus.go, pkg/shipper; ../shared/research/round2.md §2.6), replayed against a running
// Promethium: the start-up checks (buildinfo, external labels in the config, the block-duration
// flags the shipper requires, the WAL directory, the lowest timestamp on /metrics), every API call
// it proxies, the config reloader's /-/reload, and a StoreAPI Series read through remote read
// asking for streamed chunks or samples, as the sidecar asks.
import fs from 'node:fs';
import path from 'node:path';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decodeReadResponse, encodeReadRequest } from '../../src/remote/messages.js';
import { XORChunk } from '../../src/tsdb/chunks/xor.js';
import { readFrames } from '../support/read-frames.js';
import { REPO_ROOT, serverFixtures, waitFor } from '../support/server-process.js';

const fx = serverFixtures('promethium-sidecar-');

describe('Thanos sidecar contract', () => {
  it('answers the start-up checks, the proxied API calls and a StoreAPI series read as the sidecar needs', async () => {
    const dir = fx.tmp();
    const data = path.join(dir, 'data');
    const config = path.join(dir, 'prometheus.yml');
    const yaml = (replica: string): string =>
      `global:\n  scrape_interval: 200ms\n  external_labels:\n    cluster: eu1\n    replica: "${replica}"\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['__SELF__']}]\n`;
    fs.writeFileSync(config, yaml('0'));
    // the sidecar's recommended flags: no local compaction, 2 h blocks, lifecycle for its reloader
    const s = await fx.start([
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      '--web.enable-lifecycle',
    ]);
    const self = new URL(s.url).host;
    fs.writeFileSync(config, yaml('0').replace('__SELF__', self));
    const get = async (p: string): Promise<{ status: number; body: { status: string; data: unknown } }> => {
      const res = await s.fetch(p);
      return { status: res.status, body: (await res.json()) as { status: string; data: unknown } };
    };

    // the config reloader: POST /-/reload (the scrape target is now this server)
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
    expect((await s.fetch('/-/ready')).status).toBe(200);

    // start-up: buildinfo (a semantic version), external labels from the config's YAML
    const build = await get('/api/v1/status/buildinfo');
    expect(build.status).toBe(200);
    expect((build.body.data as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
    const cfg = await get('/api/v1/status/config');
    const parsed = parseYaml((cfg.body.data as { yaml: string }).yaml) as {
      global: { external_labels: Record<string, string> };
    };
    expect(parsed.global.external_labels).toEqual({ cluster: 'eu1', replica: '0' });

    // the shipper: min = max block duration, and <tsdb.path>/wal a directory
    const flags = (await get('/api/v1/status/flags')).body.data as Record<string, string>;
    expect(flags['storage.tsdb.min-block-duration']).toBe('2h');
    expect(flags['storage.tsdb.max-block-duration']).toBe('2h');
    expect(flags['storage.tsdb.path']).toBe(data);
    expect(fs.statSync(path.join(data, 'wal')).isDirectory()).toBe(true);

    // data, then the minimum time the sidecar announces
    await waitFor(async () => {
      const r = await get('/api/v1/query?query=up');
      return (r.body.data as { result: unknown[] }).result.length === 1;
    }, 30_000);
    const metrics = await (await s.fetch('/metrics')).text();
    const lowest = /^prometheus_tsdb_lowest_timestamp_seconds (\S+)$/m.exec(metrics);
    expect(lowest).not.toBeNull();
    expect(Number(lowest![1])).toBeGreaterThan(1.6e9);

    // the calls the sidecar proxies answer as Prometheus's
    for (const p of [
      '/api/v1/labels',
      '/api/v1/labels?match[]=up',
      '/api/v1/label/job/values',
      '/api/v1/series?match[]=up',
      '/api/v1/rules',
      '/api/v1/alerts',
      '/api/v1/metadata',
      '/api/v1/targets',
      `/api/v1/query_exemplars?query=up&start=${Date.now() / 1000 - 60}&end=${Date.now() / 1000}`,
      '/api/v1/status/tsdb',
    ]) {
      const r = await get(p);
      expect([p, r.status, r.body.status]).toEqual([p, 200, 'success']);
    }
    expect((await get('/api/v1/label/job/values')).body.data).toEqual(['self']);

    // StoreAPI Series: remote read accepting STREAMED_XOR_CHUNKS (1) and SAMPLES (0)
    const now = Date.now();
    const req = encodeReadRequest({
      queries: [
        {
          startMs: now - 3_600_000,
          endMs: now + 60_000,
          matchers: [{ type: '=', name: '__name__', value: 'up' }],
        },
      ],
      acceptedResponseTypes: [1, 0],
    });
    const res = await s.fetch('/api/v1/read', {
      method: 'POST',
      body: snappy.compressSync(Buffer.from(req)),
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Read-Version': '0.1.0',
      },
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    let samples = 0;
    if (type.startsWith('application/x-streamed-protobuf')) {
      for (const frame of readFrames(body))
        for (const series of frame.series) {
          expect(series.labels).toEqual(expect.arrayContaining(['__name__', 'up', 'job', 'self']));
          for (const c of series.chunks) samples += XORChunk.fromBytes(c.data).numSamples;
        }
    } else {
      expect(type).toBe('application/x-protobuf');
      for (const series of decodeReadResponse(snappy.uncompressSync(body) as Buffer)[0])
        samples += series.samples.length;
    }
    expect(samples).toBeGreaterThan(0);
  }, 60_000);

  it("starts with the README's sidecar example arguments, in the setup the shipper requires", async () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Thanos and long-term storage'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const pod = parseYaml(block) as { containers: Array<{ name: string; args: string[] }> };
    const args = pod.containers.find((c) => c.name === 'promethium')!.args;
    const sidecar = pod.containers.find((c) => c.name === 'thanos-sidecar')!.args;
    expect(sidecar).toContain('--prometheus.url=http://localhost:9090');
    const dir = fx.tmp();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, 'global:\n  external_labels: {cluster: eu1, replica: "0"}\n');
    const s = await fx.start(
      args.map((a) =>
        a
          .replace('/etc/prometheus/prometheus.yml', config)
          .replace('--storage.tsdb.path=/prometheus', `--storage.tsdb.path=${path.join(dir, 'data')}`),
      ),
    );
    const flags = ((await (await s.fetch('/api/v1/status/flags')).json()) as { data: Record<string, string> })
      .data;
    expect(flags['storage.tsdb.min-block-duration']).toBe(flags['storage.tsdb.max-block-duration']);
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
  }, 60_000);
});
