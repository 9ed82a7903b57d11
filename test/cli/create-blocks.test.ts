// `promethium-tool tsdb create-blocks-from openmetrics`: backfilled blocks the TSDB (and the server) then serve.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Matcher } from '../../src/model/matcher.js';
import { TSDB } from '../../src/tsdb/db.js';
import { conformanceFixtures } from '../support/conformance.js';
import { requireBuilt, startServer, TOOL_BIN } from '../support/server-process.js';

const fixtures = conformanceFixtures(
  'promtool',
  'promethium-tool tsdb create-blocks-from (promtool fixtures)',
);
const PROMTOOL = fixtures.dir;
let dir: string;
beforeAll(() => {
  requireBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-backfill-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tool = (...args: string[]) =>
  spawnSync(process.execPath, [TOOL_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
const logger = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });

function read(data: string, name: string): Array<{ labels: string; t: number[]; v: number[] }> {
  const db = TSDB.open({ dir: data, retentionMs: 0, maxBytes: 0, logger, noLockfile: true });
  const q = db.querier(-Infinity, Infinity);
  const out = [...q.select([new Matcher('=', '__name__', name)])].map((s) => {
    const b = s.samples();
    return {
      labels: s.labels.toString(),
      t: Array.from(b.t.subarray(0, b.length)),
      v: Array.from(b.v.subarray(0, b.length)),
    };
  });
  q.close();
  db.close();
  return out;
}

describe.skipIf(!fixtures.present)('promethium-tool tsdb create-blocks-from openmetrics', () => {
  it("imports promtool's fixture into a block with every sample", () => {
    const out = path.join(dir, 'a');
    const res = tool(
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      path.join(PROMTOOL, 'dump-openmetrics-test.prom'),
      out,
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.split('\n')[0]).toMatch(
      /^BLOCK ULID\s+MIN TIME\s+MAX TIME\s+DURATION\s+NUM SAMPLES\s+NUM CHUNKS\s+NUM SERIES\s+SIZE$/,
    );
    // one block, from the first sample to the last + 1 ms
    expect(res.stdout.split('\n')[1]).toMatch(/^[0-9A-Z]{26}\s+0\s+240001\s+4m0\.001s\s+10\s+2\s+2\s+\d+$/);
    expect(read(out, 'my_counter')).toEqual([
      {
        labels: 'my_counter{baz="abc", foo="bar"}',
        t: [0, 60_000, 120_000, 180_000, 240_000],
        v: [1, 2, 3, 4, 5],
      },
    ]);
    expect(read(out, 'my_gauge')[0].v).toEqual([9, 8, 0, 4, 7]);
  });

  it('cuts 2h-aligned windows, adds --label, and prints human-readable times', () => {
    const input = path.join(dir, 'windows.om');
    const lines: string[] = [];
    for (let t = 0; t < 5 * 3600; t += 600) lines.push(`win_total{a="1"} ${t} ${t}`);
    fs.writeFileSync(input, lines.join('\n') + '\n# EOF\n');
    const out = path.join(dir, 'b');
    const res = tool('tsdb', 'create-blocks-from', '-r', 'openmetrics', '--label', 'env=test', input, out);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('1970-01-01 00:00:00 +0000 UTC');
    expect(res.stdout.trim().split('\n')).toHaveLength(1 + 3); // header + three 2h windows
    const [series] = read(out, 'win_total');
    expect(series.labels).toBe('win_total{a="1", env="test"}');
    expect(series.t).toHaveLength(30);
  });

  it('fails on a sample without timestamp and on out-of-order samples, as promtool', () => {
    const noTs = path.join(dir, 'nots.om');
    fs.writeFileSync(noTs, 'm 1\n# EOF\n');
    const r1 = tool('tsdb', 'create-blocks-from', 'openmetrics', noTs, path.join(dir, 'c'));
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('getting min and max timestamp: expected timestamp for series got none');
    const ooo = path.join(dir, 'ooo.om');
    fs.writeFileSync(ooo, 'm 1 10\nm 2 5\n# EOF\n');
    const r2 = tool('tsdb', 'create-blocks-from', 'openmetrics', ooo, path.join(dir, 'd'));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('block creation: process blocks: add sample: out of order sample');
  });

  it('produces blocks the server loads', async () => {
    const data = path.join(dir, 'served');
    expect(
      tool(
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        path.join(PROMTOOL, 'dump-openmetrics-roundtrip-test.prom'),
        data,
      ).status,
    ).toBe(0);
    const server = await startServer([`--storage.tsdb.path=${data}`, '--storage.tsdb.retention.time=100y']);
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const loaded = Number(/^prometheus_tsdb_blocks_loaded (\d+)/m.exec(text)?.[1]);
      expect(loaded).toBe(fs.readdirSync(data).filter((f) => /^[0-9A-Z]{26}$/.test(f)).length);
      expect(loaded).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});

describe('promethium-tool tsdb create-blocks-from openmetrics: chunk encodings', () => {
  it('stores each chunk in its smallest encoding, values bit-exact', () => {
    const input = path.join(dir, 'decimal.om');
    const lines = ['# TYPE temp gauge'];
    for (let i = 0; i < 600; i++) lines.push(`temp{room="a"} ${(20 + (i % 37) / 10).toFixed(1)} ${i * 15}`);
    lines.push('# EOF');
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const out = path.join(dir, 'decimal');
    const res = tool('tsdb', 'create-blocks-from', 'openmetrics', input, out);
    expect(res.status, res.stderr).toBe(0);
    const [ulid] = fs.readdirSync(out).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    const sql = new Database(path.join(out, ulid, 'block.db'), { readonly: true });
    const encs = (sql.prepare('SELECT DISTINCT enc FROM chunks').pluck().all() as number[]).sort();
    sql.close();
    // 2 = DEC, 3 = DEC deflated (format.ts): decimal values are not left as XOR
    for (const enc of encs) expect([2, 3]).toContain(enc);
    const [s] = read(out, 'temp');
    expect(s.t.length).toBe(600);
    for (let i = 0; i < 600; i++) {
      expect(s.t[i]).toBe(i * 15_000);
      expect(s.v[i]).toBe(Number((20 + (i % 37) / 10).toFixed(1)));
    }
  });
});
