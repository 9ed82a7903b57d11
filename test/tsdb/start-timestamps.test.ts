// st-storage in the TSDB: start timestamps of floats and native histograms kept from the appender
// through the head, the WAL, blocks written from the head and blocks compacted together.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';
import { TSDB, type TSDBOptions } from '../../src/tsdb/db.js';

const H = 3600_000;
const M = 60_000;
const dirs: string[] = [];
const dbs: TSDB[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir?: string, extra: Partial<TSDBOptions> = {}): TSDB {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-st-'));
  if (dir === undefined) dirs.push(d);
  const db = TSDB.open({
    dir: d,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
    registry: new Registry(),
    minBlockDuration: H,
    maxBlockDuration: 4 * H,
    stStorage: true,
    ...extra,
  });
  dbs.push(db);
  return db;
}

const C = Labels.fromRecord({ __name__: 'c' });
const HS = Labels.fromRecord({ __name__: 'h' });
const fh = (count: number): FloatHistogram => ({
  counterResetHint: CounterResetHint.Unknown,
  schema: 0,
  zeroThreshold: 0,
  zeroCount: 0,
  count,
  sum: count,
  positiveSpans: [{ offset: 0, length: 1 }],
  negativeSpans: [],
  positiveBuckets: [count],
  negativeBuckets: [],
});

/** The counter restarts every 100 minutes; its ST is its last restart. */
const stOf = (t: number): number => Math.floor(t / (100 * M)) * 100 * M + 1;

async function fill(db: TSDB, from: number, to: number): Promise<void> {
  for (let t = from; t <= to; t += 10 * M) {
    const app = db.appender();
    for (let u = t; u < Math.min(t + 10 * M, to + 1); u += M) {
      app.append(0, C, u, u / M, stOf(u));
      app.appendHistogram!(0, HS, u, undefined, fh(u / M), stOf(u));
    }
    await app.commit();
  }
}

function read(db: TSDB): { floats: Array<[number, number]>; hists: Array<[number, number]> } {
  const q = db.querier(-Infinity, Infinity);
  const floats: Array<[number, number]> = [];
  const hists: Array<[number, number]> = [];
  for (const s of q.select([new Matcher('=~', '__name__', 'c|h')])) {
    const b = s.samples();
    for (let i = 0; i < b.length; i++) floats.push([b.t[i], b.st?.[i] ?? 0]);
    for (const x of s.histograms?.() ?? []) hists.push([x.t, x.st ?? 0]);
  }
  q.close();
  return { floats, hists };
}

describe('start timestamps in the TSDB (st-storage)', () => {
  it('survive blocks written from the head, compaction of blocks and a reopen', async () => {
    const db = open();
    await fill(db, 0, 9 * H);
    const want = read(db);
    expect(want.floats).toHaveLength(9 * 60 + 1);
    expect(want.floats.every(([t, st]) => st === stOf(t))).toBe(true);
    expect(want.hists.every(([t, st]) => st === stOf(t))).toBe(true);
    await db.compact();
    const metas = db.blockMetas();
    expect(metas.length).toBeGreaterThan(0);
    expect(metas.some((m) => m.compaction.level > 1)).toBe(true); // blocks were compacted together
    expect(read(db)).toEqual(want);
    db.close();
    dbs.splice(dbs.indexOf(db), 1);
    expect(read(open(db.opts.dir))).toEqual(want);
  });

  it('are not kept without st-storage', async () => {
    const db = open(undefined, { stStorage: false });
    await fill(db, 0, 30 * M);
    const got = read(db);
    expect(got.floats.every(([, st]) => st === 0)).toBe(true);
    expect(got.hists.every(([, st]) => st === 0)).toBe(true);
  });
});
