// Start timestamps end to end (--enable-feature=st-storage,use-start-timestamps): a protobuf target
// whose counter and native histogram restart (new start timestamp) while their values keep going
// up, so only the start timestamps tell the reset. Promethium keeps them from the scrape through
// the head, the query workers' snapshots and a kill -9 and WAL replay; PromQL reads them.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMetricFamilies, PROTO_CONTENT_TYPE } from '../support/metrics-proto.js';
import { serverFixtures, waitFor, type ServerProcess } from '../support/server-process.js';

const fx = serverFixtures('promethium-st-');

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

async function vector(s: ServerProcess, q: string): Promise<Vector> {
  const res = await s.fetch(`/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: Vector } };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.result;
}

async function value(s: ServerProcess, q: string): Promise<string | undefined> {
  return (await vector(s, q))[0]?.value[1];
}

/**
 * Counter and native histogram: +10 a scrape; the process "restarts" after 4 scrapes: from then on
 * the start timestamp (ms) is just after the 4th scrape reached the target (so after its sample time
 * and, by a scrape interval, before the 5th's).
 */
async function startTarget(): Promise<{ host: string; secondST(): number; close(): Promise<void> }> {
  const firstST = Date.now() - 3_600_000;
  let secondST = 0;
  let n = 0;
  const server = http.createServer((_req, res) => {
    n++;
    if (n === 4) secondST = Date.now() + 1;
    const ms = n <= 4 ? firstST : secondST;
    const st = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    const families = [
      {
        name: 'st_requests_total',
        type: 'COUNTER',
        metric: [{ counter: { value: 10 * n, start_timestamp: st } }],
      },
      {
        name: 'st_latency_seconds',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: 10 * n,
              sample_sum: n,
              schema: 0,
              zero_threshold: 1e-128,
              positive_span: [{ offset: 0, length: 1 }],
              positive_delta: [10 * n],
              start_timestamp: st,
            },
          },
        ],
      },
    ];
    res.writeHead(200, { 'Content-Type': PROTO_CONTENT_TYPE });
    res.end(encodeMetricFamilies(families));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    secondST: () => secondST,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('start timestamps (st-storage, use-start-timestamps)', () => {
  it('are scraped from protobuf, read by PromQL, and survive a kill -9 through the WAL', async () => {
    const target = await startTarget();
    try {
      const dir = fx.tmp();
      const config = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(
        config,
        `global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: st\n    scrape_native_histograms: true\n    static_configs: [{targets: ['${target.host}']}]\n`,
      );
      const args = (features: string): string[] => [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--enable-feature=${features}`,
      ];
      const features = 'st-storage,use-start-timestamps,promql-experimental-functions';
      const s = await fx.start(args(features));
      await waitFor(
        async () => Number(await value(s, 'count_over_time(st_requests_total[5m])')) >= 7,
        30_000,
      );
      // the ST of the newest sample, in seconds
      expect(await value(s, 'start_timestamp(st_requests_total)')).toBe(String(target.secondST() / 1000));
      expect(await value(s, 'start_timestamp(st_latency_seconds)')).toBe(String(target.secondST() / 1000));
      // the value never went down: only the start timestamp says the counter restarted
      expect(await value(s, 'resets(st_requests_total[5m])')).toBe('1');
      expect(await value(s, 'resets(st_latency_seconds[5m])')).toBe('1');

      // kill -9: the head comes back from the WAL with its start timestamps
      s.child.kill('SIGKILL');
      await s.exited;
      await target.close();
      const again = await fx.start(args(features));
      expect(await value(again, 'resets(st_requests_total[1h])')).toBe('1');
      expect(await value(again, 'resets(st_latency_seconds[1h])')).toBe('1');
      expect(await value(again, 'max_over_time(start_timestamp(st_requests_total)[1h:1s])')).toBe(
        String(target.secondST() / 1000),
      );
    } finally {
      await target.close().catch(() => undefined);
    }
  }, 90_000);

  it('without use-start-timestamps, PromQL ignores stored start timestamps', async () => {
    const target = await startTarget();
    try {
      const dir = fx.tmp();
      const config = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(
        config,
        `global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: st\n    scrape_protocols: [PrometheusProto]\n    static_configs: [{targets: ['${target.host}']}]\n`,
      );
      const s = await fx.start([
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--enable-feature=st-storage,promql-experimental-functions',
      ]);
      await waitFor(
        async () => Number(await value(s, 'count_over_time(st_requests_total[5m])')) >= 6,
        30_000,
      );
      expect(await value(s, 'resets(st_requests_total[5m])')).toBe('0');
      expect(await vector(s, 'start_timestamp(st_requests_total)')).toEqual([]);
    } finally {
      await target.close();
    }
  }, 60_000);

  it('with st-storage, jobs ask for protobuf first, and OpenMetrics _created samples become start timestamps', async () => {
    const created = Date.now() - 600_000;
    let accept = '';
    const server = http.createServer((req, res) => {
      accept = req.headers.accept ?? '';
      res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
      res.end(
        `# TYPE om_requests counter\nom_requests_total 5\nom_requests_created ${created / 1000}\n# EOF\n`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = fx.tmp();
      const config = path.join(dir, 'prometheus.yml');
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      fs.writeFileSync(
        config,
        `global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: om\n    static_configs: [{targets: ['${host}']}]\n`,
      );
      const s = await fx.start([
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--enable-feature=st-storage,use-start-timestamps,promql-experimental-functions',
      ]);
      await waitFor(async () => (await vector(s, 'om_requests_total')).length === 1, 30_000);
      expect(accept.startsWith('application/vnd.google.protobuf')).toBe(true);
      expect(await value(s, 'start_timestamp(om_requests_total)')).toBe(String(created / 1000));
      expect(await vector(s, '{__name__="om_requests_created"}')).toEqual([]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);
});
