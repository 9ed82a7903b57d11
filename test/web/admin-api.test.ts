// /api/v1/admin/tsdb/* on the real server: refused without --web.enable-admin-api, and with it
// delete_series (then gone from /federate), clean_tombstones and snapshot (directory with blocks).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import { seedTSDB, tempDir, type SeedSample } from './support.js';

const dirs: string[] = [];
const servers: ServerProcess[] = [];
const T = Math.floor(Date.now() / 1000) * 1000;
const M = 60_000;
const H = 60 * M;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Five hours of two series every 10 minutes, the older part compacted into blocks. */
function history(): SeedSample[] {
  const out: SeedSample[] = [];
  for (let t = T - 5 * H; t <= T - M; t += 10 * M) {
    out.push({ labels: { __name__: 'keep_me', job: 'a' }, t, v: 1 });
    out.push({ labels: { __name__: 'delete_me', job: 'a' }, t, v: 2 });
  }
  // The newest sample of both at the same time so that /federate shows both.
  out.push({ labels: { __name__: 'keep_me', job: 'a' }, t: T - 30_000, v: 1 });
  out.push({ labels: { __name__: 'delete_me', job: 'a' }, t: T - 30_000, v: 2 });
  out.push({ labels: { __name__: 'range_me', job: 'b' }, t: T - 3 * M, v: 3 });
  out.push({ labels: { __name__: 'range_me', job: 'b' }, t: T - 30_000, v: 4 });
  return out;
}

async function startWith(args: string[]): Promise<{ server: ServerProcess; data: string }> {
  const data = path.join(tempDir(dirs), 'data');
  await seedTSDB(data, history(), { compact: true });
  const server = await startServer([`--storage.tsdb.path=${data}`, ...args]);
  servers.push(server);
  return { server, data };
}

function blockDirs(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => ULID.test(n))
    .sort();
}

const post = (url: string, body?: string, method = 'POST') =>
  fetch(url, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
  });

describe('admin APIs disabled', () => {
  let base: string;
  beforeAll(async () => {
    requireBuilt();
    base = (await startWith([])).server.url;
  });

  it('refuses every admin endpoint with 503 unavailable "admin APIs disabled", for POST and PUT', async () => {
    for (const ep of ['delete_series?match[]=up', 'clean_tombstones', 'snapshot']) {
      for (const method of ['POST', 'PUT']) {
        const res = await post(`${base}/api/v1/admin/tsdb/${ep}`, undefined, method);
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({
          status: 'error',
          errorType: 'unavailable',
          error: 'admin APIs disabled',
        });
      }
    }
  });
});

describe('admin APIs enabled (under a route prefix)', () => {
  let base: string;
  let data: string;
  const federate = async () =>
    (await fetch(`${base}/federate?match[]=${encodeURIComponent('{job="a"}')}`)).text();

  beforeAll(async () => {
    requireBuilt();
    const started = await startWith(['--web.enable-admin-api', '--web.route-prefix=/admin-test']);
    base = `${started.server.url}/admin-test`;
    data = started.data;
  });

  it('has blocks to work on', () => {
    expect(blockDirs(data).length).toBeGreaterThan(0);
  });

  it('rejects delete_series without match[], with a bad time or a bad selector', async () => {
    let res = await post(`${base}/api/v1/admin/tsdb/delete_series`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'no match[] parameter provided',
    });
    res = await post(`${base}/api/v1/admin/tsdb/delete_series?match[]=up&start=yesterday`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "start": cannot parse "yesterday" to a valid timestamp',
    });
    res = await post(`${base}/api/v1/admin/tsdb/delete_series`, 'match[]=not-valid');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "match[]": 1:4: parse error: unexpected <op:->',
    });
  });

  it('snapshots blocks and head, or the blocks only with skip_head', async () => {
    const blocks = blockDirs(data);
    let res = await post(`${base}/api/v1/admin/tsdb/snapshot`);
    expect(res.status).toBe(200);
    const withHead = (await res.json()) as { status: string; data: { name: string } };
    expect(withHead.status).toBe('success');
    expect(withHead.data.name).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
    const snapDir = path.join(data, 'snapshots', withHead.data.name);
    // Every block copied, plus one written from the head.
    expect(blockDirs(snapDir).length).toBe(blocks.length + 1);
    for (const b of blocks) expect(fs.readdirSync(path.join(snapDir, b)).length).toBeGreaterThan(0);

    res = await post(`${base}/api/v1/admin/tsdb/snapshot`, 'skip_head=true', 'PUT');
    expect(res.status).toBe(200);
    const { data: skip } = (await res.json()) as { data: { name: string } };
    expect(skip.name).not.toBe(withHead.data.name);
    expect(blockDirs(path.join(data, 'snapshots', skip.name))).toEqual(blocks);

    res = await post(`${base}/api/v1/admin/tsdb/snapshot?skip_head=maybe`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error:
        'invalid parameter "skip_head": unable to parse boolean: strconv.ParseBool: parsing "maybe": invalid syntax',
    });
  });

  it('deletes series (204, no body): they are gone from /federate; clean_tombstones answers 204', async () => {
    expect(await federate()).toBe(
      '# TYPE delete_me untyped\n' +
        `delete_me{job="a",instance=""} 2 ${T - 30_000}\n` +
        '# TYPE keep_me untyped\n' +
        `keep_me{job="a",instance=""} 1 ${T - 30_000}\n`,
    );
    const res = await post(`${base}/api/v1/admin/tsdb/delete_series`, 'match[]=delete_me');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await federate()).toBe(
      '# TYPE keep_me untyped\n' + `keep_me{job="a",instance=""} 1 ${T - 30_000}\n`,
    );

    const clean = await post(`${base}/api/v1/admin/tsdb/clean_tombstones`, undefined, 'PUT');
    expect(clean.status).toBe(204);
    expect(await federate()).toBe(
      '# TYPE keep_me untyped\n' + `keep_me{job="a",instance=""} 1 ${T - 30_000}\n`,
    );
  });

  it('deletes only within start/end', async () => {
    const rangeMe = async () => (await fetch(`${base}/federate?match[]=range_me`)).text();
    expect(await rangeMe()).toBe(
      '# TYPE range_me untyped\n' + `range_me{job="b",instance=""} 4 ${T - 30_000}\n`,
    );
    // RFC 3339 and float seconds both work; the older sample is outside [start, end] and stays.
    const start = new Date(T - 40_000).toISOString();
    const res = await post(
      `${base}/api/v1/admin/tsdb/delete_series`,
      `match[]=range_me&start=${start}&end=${T / 1000}`,
    );
    expect(res.status).toBe(204);
    expect(await rangeMe()).toBe(
      '# TYPE range_me untyped\n' + `range_me{job="b",instance=""} 3 ${T - 3 * M}\n`,
    );
  });
});
