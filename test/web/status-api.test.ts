// Status, targets, rules and alerting endpoints on the real server (no scraping or rules yet: the
// pools come from the config), gzip for JSON and /metrics, everything under the route prefix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, waitFor, type ServerProcess } from '../support/server-process.js';
import { rawRequest, seedTSDB, tempDir } from './support.js';

const dirs: string[] = [];
let server: ServerProcess;
let base: string;
let cfg: string;

const CONFIG = `scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:1']
  - job_name: node
    relabel_configs:
      - {source_labels: [__address__], regex: 'drop.*', action: drop}
    static_configs:
      - targets: ['127.0.0.1:2', 'drop.me:1']
`;

beforeAll(async () => {
  requireBuilt();
  const dir = tempDir(dirs);
  const data = path.join(dir, 'data');
  // One WAL segment written before the server starts; the server opens the next one.
  await seedTSDB(data, [{ labels: { __name__: 'up', job: 'x' }, t: Date.now(), v: 1 }]);
  cfg = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(cfg, CONFIG);
  server = await startServer([
    `--storage.tsdb.path=${data}`,
    `--config.file=${cfg}`,
    '--web.route-prefix=/status-test/',
    '--web.enable-lifecycle',
  ]);
  base = `${server.url}/status-test`;
});

afterAll(async () => {
  await server?.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function get(p: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, body: await res.json() };
}

const ok = (data: unknown) => ({ status: 200, body: { status: 'success', data } });
const bad = (error: string) => ({ status: 400, body: { status: 'error', errorType: 'bad_data', error } });

describe('status and discovery endpoints', () => {
  it('/api/v1/status/walreplay reports the replayed segments once done', async () => {
    expect(await get('/api/v1/status/walreplay')).toEqual(ok({ min: 0, max: 1, current: 1 }));
  });

  it('/api/v1/targets lists the configured targets by pool, and dropped ones', async () => {
    type Body = { data: { activeTargets: Array<Record<string, unknown>>; droppedTargets: unknown[] } };
    const stable = (b: unknown): unknown => {
      const d = (b as Body).data;
      // health, lastError, lastScrape and lastScrapeDuration change as the targets get scraped
      return {
        ...d,
        activeTargets: d.activeTargets.map((t) => {
          const { health, lastError, lastScrape, lastScrapeDuration, ...rest } = t;
          expect(['unknown', 'down']).toContain(health);
          expect(typeof lastError).toBe('string');
          expect(typeof lastScrape).toBe('string');
          expect(typeof lastScrapeDuration).toBe('number');
          return rest;
        }),
      };
    };
    const target = (pool: string, addr: string) => ({
      discoveredLabels: {
        __address__: addr,
        __metrics_path__: '/metrics',
        __scheme__: 'http',
        __scrape_interval__: '1m',
        __scrape_timeout__: '10s',
        job: pool,
      },
      labels: { instance: addr, job: pool },
      scrapePool: pool,
      scrapeUrl: `http://${addr}/metrics`,
      // a loopback target is shown with this host's name, as Prometheus's getGlobalURL does
      globalUrl: `http://${addr.replace('127.0.0.1', os.hostname())}/metrics`,
      scrapeInterval: '1m',
      scrapeTimeout: '10s',
    });
    const dropped = {
      discoveredLabels: {
        __address__: 'drop.me:1',
        __metrics_path__: '/metrics',
        __scheme__: 'http',
        __scrape_interval__: '1m',
        __scrape_timeout__: '10s',
        job: 'node',
      },
      scrapePool: 'node',
    };
    const all = await get('/api/v1/targets');
    expect(all.status).toBe(200);
    expect(stable(all.body)).toEqual({
      activeTargets: [target('node', '127.0.0.1:2'), target('prometheus', '127.0.0.1:1')],
      droppedTargets: [dropped],
      droppedTargetCounts: { node: 1, prometheus: 0 },
    });
    expect(stable((await get('/api/v1/targets?state=dropped&scrapePool=node')).body)).toEqual({
      activeTargets: [],
      droppedTargets: [dropped],
      droppedTargetCounts: { node: 1, prometheus: 0 },
    });
    expect(await get('/api/v1/targets?state=running')).toEqual(
      ok({ activeTargets: [], droppedTargets: [], droppedTargetCounts: null }),
    );
  });

  it('/api/v1/scrape_pools lists the configured jobs, sorted, and follows a reload', async () => {
    expect(await get('/api/v1/scrape_pools')).toEqual(ok({ scrapePools: ['node', 'prometheus'] }));
    fs.writeFileSync(cfg, CONFIG + "  - job_name: blackbox\n    static_configs:\n      - targets: ['x:1']\n");
    expect((await fetch(`${base}/-/reload`, { method: 'POST' })).status).toBe(200);
    await waitFor(
      async () =>
        ((await get('/api/v1/scrape_pools')).body as { data: { scrapePools: string[] } }).data.scrapePools
          .length === 3,
    );
    expect(await get('/api/v1/scrape_pools')).toEqual(
      ok({ scrapePools: ['blackbox', 'node', 'prometheus'] }),
    );
  });

  it('/api/v1/targets/metadata: empty, with Prometheus errors for a bad limit or match_target', async () => {
    expect(await get('/api/v1/targets/metadata')).toEqual(ok([]));
    expect(await get('/api/v1/targets/metadata?limit=x')).toEqual(bad('limit must be a number'));
    expect(await get('/api/v1/targets/metadata?match_target=%7Bjob%3D')).toEqual(
      bad('invalid parameter "match_target": 1:6: parse error: unexpected end of input inside braces'),
    );
  });

  it('/api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers are empty', async () => {
    expect(await get('/api/v1/rules')).toEqual(ok({ groups: [] }));
    expect(await get('/api/v1/rules?type=record&rule_group[]=x')).toEqual(ok({ groups: [] }));
    expect(await get('/api/v1/rules?type=foo')).toEqual(
      bad('invalid parameter "type": not supported value "foo"'),
    );
    expect(await get('/api/v1/alerts')).toEqual(ok({ alerts: [] }));
    expect(await get('/api/v1/alertmanagers')).toEqual(
      ok({ activeAlertmanagers: [], droppedAlertmanagers: [] }),
    );
  });

  it('gzips API answers and /metrics for clients that accept gzip', async () => {
    const api = await rawRequest(`${base}/api/v1/scrape_pools`, { 'accept-encoding': 'gzip' });
    expect(api.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(api.body).toString('utf8'))).toEqual(
      (await get('/api/v1/scrape_pools')).body,
    );
    const metrics = await rawRequest(`${base}/metrics`, { 'accept-encoding': 'gzip, deflate' });
    expect(metrics.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(metrics.body).toString('utf8')).toContain('prometheus_ready 1');
    const plain = await rawRequest(`${base}/api/v1/alerts`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString('utf8'))).toEqual({ status: 'success', data: { alerts: [] } });
  });

  it('compresses query answers in the query worker for clients that accept gzip or deflate', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const q of [
      `/api/v1/query?query=${encodeURIComponent('vector(1)')}&time=${now}`,
      `/api/v1/query_range?query=${encodeURIComponent('vector(2)')}&start=${now - 3600}&end=${now}&step=15`,
    ]) {
      const plain = await rawRequest(`${base}${q}`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const want: unknown = JSON.parse(plain.body.toString('utf8'));
      expect(want).toMatchObject({ status: 'success' });
      const gz = await rawRequest(`${base}${q}`, { 'accept-encoding': 'deflate, gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers['vary']).toBe('accept-encoding');
      expect(JSON.parse(zlib.gunzipSync(gz.body).toString('utf8'))).toEqual(want);
      const df = await rawRequest(`${base}${q}`, { 'accept-encoding': 'deflate' });
      expect(df.headers['content-encoding']).toBe('deflate');
      expect(JSON.parse(zlib.inflateSync(df.body).toString('utf8'))).toEqual(want);
    }
    // an error answer is compressed as the API's other answers are
    const bad = await rawRequest(`${base}/api/v1/query?query=${encodeURIComponent('1+')}`, {
      'accept-encoding': 'gzip',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(zlib.gunzipSync(bad.body).toString('utf8'))).toMatchObject({ errorType: 'bad_data' });
  });

  it('serves the endpoints only below the route prefix, and the UI at its root', async () => {
    expect((await fetch(`${server.url}/api/v1/targets`)).status).toBe(404);
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/status-test/query');
    for (const p of [
      '/federate',
      '/api/v1/status/walreplay',
      '/api/v1/targets',
      '/api/v1/scrape_pools',
      '/api/v1/targets/metadata',
      '/api/v1/rules',
      '/api/v1/alerts',
      '/api/v1/alertmanagers',
      '/api/v1/admin/tsdb/delete_series',
      '/api/v1/admin/tsdb/clean_tombstones',
      '/api/v1/admin/tsdb/snapshot',
    ]) {
      // Known everywhere (the admin endpoints answer GET with 405), unknown without the prefix.
      expect((await fetch(`${base}${p}`)).status).not.toBe(404);
    }
  });
});
