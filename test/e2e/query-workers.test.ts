// Queries evaluate in worker threads: the server stays responsive while they run, and a query is
// cancelled in its worker when its client goes away, when it times out and when the server stops; a
// worker that runs out of memory is replaced, its query fails alone and the server goes on.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverFixtures, TOOL_BIN, waitFor, type ServerProcess } from '../support/server-process.js';

const { tmp, start } = serverFixtures('promethium-workers-');

/** Evaluates about 26 million inner steps: tens of seconds of one core, and a 400 MB subquery. */
const HEAVY = encodeURIComponent('sum_over_time(vector(1)[300d:1s])');

async function gauge(s: ServerProcess, name: string): Promise<number> {
  const text = await (await s.fetch('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

async function busy(s: ServerProcess): Promise<number> {
  return gauge(s, 'promethium_query_workers_busy');
}

async function snapshots(s: ServerProcess, how: 'ahead' | 'asked'): Promise<number> {
  const text = await (await s.fetch('/metrics')).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`promethium_query_storage_snapshots_total{how="${how}"} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

async function resultOf(s: ServerProcess, path: string): Promise<unknown[]> {
  const body = (await (await s.fetch(path)).json()) as { status: string; data: { result: unknown[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe('query workers', () => {
  it('get the storage snapshot with the query, so they need not ask for it (with remote read they do)', async () => {
    const a = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`]);
    // the embedded configuration scrapes the server itself
    await waitFor(async () => (await resultOf(a, '/api/v1/query?query=up')).length === 1);
    const [ahead, asked] = [await snapshots(a, 'ahead'), await snapshots(a, 'asked')];
    expect(asked).toBe(0);
    const now = Date.now() / 1000;
    expect(await resultOf(a, '/api/v1/query?query=up')).toHaveLength(1);
    expect(
      await resultOf(a, `/api/v1/query_range?query=up&start=${now - 60}&end=${now}&step=15`),
    ).toHaveLength(1);
    expect(
      await resultOf(a, '/api/v1/query?query=sum by (job) (up) * on (job) group_left () max by (job) (up)'),
    ).toHaveLength(1);
    expect(await snapshots(a, 'ahead')).toBe(ahead + 3);
    expect(await snapshots(a, 'asked')).toBe(0);

    // a server reading the first through remote_read: its queries' selects change in the worker
    const dir = tmp();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, `remote_read:\n  - url: ${a.url}/api/v1/read\n    read_recent: true\n`);
    const b = await start([`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`]);
    expect(await resultOf(b, '/api/v1/query?query=up')).toHaveLength(1);
    expect(await snapshots(b, 'asked')).toBe(1);
    expect(await snapshots(b, 'ahead')).toBe(0);
  });

  it('keep /-/healthy and small queries answering while heavy queries run on every worker', async () => {
    const workers = 2;
    const s = await start(
      [`--storage.tsdb.path=${path.join(tmp(), 'data')}`, '--query.timeout=20s'],
      undefined,
      { PROMETHIUM_QUERY_WORKERS: String(workers) },
    );
    // one worker from the start; the second starts when queries overlap
    expect(await gauge(s, 'promethium_query_workers')).toBe(1);
    const heavy = Array.from({ length: workers }, () => {
      const ac = new AbortController();
      return {
        ac,
        done: s.fetch(`/api/v1/query?query=${HEAVY}`, { signal: ac.signal }).catch(() => undefined),
      };
    });
    await waitFor(async () => (await busy(s)) === workers, 10_000);
    expect(await gauge(s, 'promethium_query_workers')).toBe(workers);
    const started = Date.now();
    expect((await s.fetch('/-/healthy')).status).toBe(200);
    // the ingest thread answers at once: it only dispatches queries (no timing asserted beyond "before
    // the heavy queries end")
    expect(await busy(s)).toBe(workers);
    const small = await s.fetch('/api/v1/query?query=1%2B1');
    expect(((await small.json()) as { data: { result: unknown[] } }).data.result[1]).toBe('2');
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const h of heavy) h.ac.abort();
    await Promise.all(heavy.map((h) => h.done));
  });

  it('cancels a query in its worker when the client goes away', async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`]);
    const ac = new AbortController();
    const req = s.fetch(`/api/v1/query?query=${HEAVY}`, { signal: ac.signal }).catch(() => undefined);
    await waitFor(async () => (await busy(s)) === 1, 10_000);
    ac.abort();
    await req;
    // the worker stops within its grace (1 s) — checked by the worker being free again, not by a clock
    await waitFor(
      async () => (await busy(s)) === 0 && (await gauge(s, 'prometheus_engine_queries')) === 0,
      5_000,
    );
    expect(await gauge(s, 'promethium_query_worker_restarts_total')).toBe(0);
  });

  it('answers a query over --query.timeout with the timeout error, and frees the worker', async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`, '--query.timeout=1s']);
    const res = await s.fetch(`/api/v1/query?query=${HEAVY}`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'timeout',
      error: 'query timed out in expression evaluation',
    });
    await waitFor(async () => (await busy(s)) === 0, 5_000);
  });

  it('replaces a worker that runs out of memory: that query fails, the server and later queries go on', async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`], undefined, {
      PROMETHIUM_QUERY_WORKER_HEAP_MB: '64',
    });
    const res = await s.fetch(`/api/v1/query?query=${HEAVY}`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errorType: string; error: string };
    expect(body.errorType).toBe('execution');
    expect(body.error).toMatch(/^query worker stopped: .*memory/i);
    expect(s.logs()).toContain('Query worker failed; replacing it');
    expect(await gauge(s, 'promethium_query_worker_restarts_total')).toBe(1);
    expect((await s.fetch('/-/healthy')).status).toBe(200);
    const after = await s.fetch('/api/v1/query?query=2*3');
    expect(((await after.json()) as { data: { result: unknown[] } }).data.result[1]).toBe('6');
  });

  it('keeps label_replace over 2,000 series with 1 KiB label values within hundreds of MB, not gigabytes', async () => {
    // 2,000 series, one sample a minute for 10 minutes, backfilled into a block an hour ago
    const dir = tmp();
    const end = Math.floor(Date.now() / 1000) - 3600;
    const start0 = end - 600;
    const payload = 'x'.repeat(1024);
    const lines = ['# TYPE big gauge'];
    for (let i = 0; i < 2000; i++) {
      for (let t = start0; t <= end; t += 60) lines.push(`big{id="${i}",payload="${payload}${i}"} ${i} ${t}`);
    }
    lines.push('# EOF', '');
    fs.writeFileSync(path.join(dir, 'big.om'), lines.join('\n'));
    const data = path.join(dir, 'data');
    const made = spawnSync(
      process.execPath,
      [TOOL_BIN, 'tsdb', 'create-blocks-from', 'openmetrics', path.join(dir, 'big.om'), data],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(made.status, made.stderr).toBe(0);
    const s = await start([`--storage.tsdb.path=${data}`]);
    const before = await gauge(s, 'process_resident_memory_bytes');
    const query = encodeURIComponent('label_replace(big, "copy", "$1", "payload", "(.*)")');
    // 601 steps of 2,000 series: each output series carries its 2 KiB label set once, not per step
    const res = await s.fetch(`/api/v1/query_range?query=${query}&start=${start0}&end=${end}&step=1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; values: unknown[] }> };
    };
    expect(body.data.result).toHaveLength(2000);
    for (const r of body.data.result) {
      expect(r.metric['copy']).toBe(r.metric['payload']);
      expect(r.values).toHaveLength(601);
    }
    const after = await gauge(s, 'process_resident_memory_bytes');
    expect(after - before).toBeLessThan(1024 ** 3);
  });

  it('stops running queries when the server shuts down', async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`]);
    const req = s.fetch(`/api/v1/query?query=${HEAVY}`).catch(() => undefined);
    await waitFor(async () => (await busy(s)) === 1, 10_000);
    s.child.kill('SIGTERM');
    // graceful shutdown finishes well within its own 10 s deadline, with the query still running
    expect(await s.exited).toBe(0);
    expect(s.logs()).toContain('See you next time!');
    await req;
  });
});
