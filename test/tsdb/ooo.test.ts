// Out-of-order ingestion (storage.tsdb.out_of_order_time_window) with Prometheus's semantics: which
// samples go out of order, which are too old, how they merge into queries (also a query worker's
// snapshot), survive a restart through the write-behind log and end up in blocks of their own that the
// vertical compaction merges.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { STALE_NAN, isStaleNaN } from '../../src/model/value.js';
import { CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';
import type { Queryable } from '../../src/storage/interfaces.js';
import { StorageError } from '../../src/storage/errors.js';
import { HINT_FROM_OOO, TSDB, type TSDBOptions } from '../../src/tsdb/db.js';
import { OOOSamples, sortSamples } from '../../src/tsdb/ooo.js';
import { matchersOf, type SelectSpec } from '../../src/tsdb/snapshot.js';
import { BlockCache, SnapshotQueryable } from '../../src/tsdb/snapshot-queryable.js';

const H = 3600 * 1000;
const M = 60_000;
const dirs: string[] = [];
const dbs: TSDB[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir?: string, extra: Partial<TSDBOptions> = {}): TSDB {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ooo-'));
  if (dir === undefined) dirs.push(d);
  const db = TSDB.open({
    dir: d,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
    registry: new Registry(),
    outOfOrderTimeWindow: 30 * M,
    ...extra,
  });
  dbs.push(db);
  return db;
}

function reopen(db: TSDB, extra: Partial<TSDBOptions> = {}): TSDB {
  db.close();
  dbs.splice(dbs.indexOf(db), 1);
  return open(db.opts.dir, { ...extra, registry: new Registry() });
}

const A = Labels.fromRecord({ __name__: 'm', i: 'a' });
const B = Labels.fromRecord({ __name__: 'm', i: 'b' });

/** Appends and commits; returns each sample's error kind ('' when accepted). */
async function put(
  db: TSDB,
  samples: Array<[Labels, number, number]>,
  discardOOO = false,
): Promise<string[]> {
  const app = db.appender();
  if (discardOOO) app.setOptions?.({ discardOutOfOrder: true });
  const kinds = samples.map(([l, t, v]) => {
    try {
      app.append(0, l, t, v);
      return '';
    } catch (err) {
      if (err instanceof StorageError) return err.kind;
      throw err;
    }
  });
  await app.commit();
  return kinds;
}

function read(q: Queryable, mint = -Infinity, maxt = Infinity): Record<string, Array<[number, number]>> {
  const querier = q.querier(mint, maxt);
  const out: Record<string, Array<[number, number]>> = {};
  for (const s of querier.select([new Matcher('=', '__name__', 'm')], { start: mint, end: maxt })) {
    const b = s.samples();
    out[s.labels.get('i')!] = Array.from({ length: b.length }, (_, k) => [b.t[k], b.v[k]]);
  }
  querier.close();
  return out;
}

async function readInWorker(db: TSDB, mint: number, maxt: number): Promise<ReturnType<typeof read>> {
  const releases: Array<() => void> = [];
  const cache = new BlockCache();
  const queryable = new SnapshotQueryable(async (specs: SelectSpec[]) => {
    const { snapshot, release } = db.querySnapshot(
      specs.map((s) => ({ matchers: matchersOf(s.matchers), mint: s.mint, maxt: s.maxt })),
    );
    releases.push(release);
    return structuredClone(snapshot);
  }, cache);
  const matchers = [new Matcher('=', '__name__', 'm')];
  await queryable.prepare([{ matchers, mint, maxt }]);
  const querier = queryable.querier(mint, maxt);
  const out: ReturnType<typeof read> = {};
  for (const s of querier.select(matchers, { start: mint, end: maxt })) {
    const b = s.samples();
    out[s.labels.get('i')!] = Array.from({ length: b.length }, (_, k) => [b.t[k], b.v[k]]);
  }
  releases.forEach((r) => r());
  cache.closeAll();
  return out;
}

function metric(db: TSDB, name: string): Promise<string> {
  return (db.opts.registry as Registry).getSingleMetricAsString(name);
}

describe('out-of-order samples in memory', () => {
  it('are kept sorted, refuse a second sample at the same time and keep stale markers bit for bit', () => {
    const o = new OOOSamples();
    for (const t of [50, 10, 30, 70, 20, 60, 40, 5, 80, 1]) expect(o.insert(t, t / 10)).toBe(true);
    expect(o.insert(30, 99)).toBe(false);
    expect(Array.from(o.t.subarray(0, o.n))).toEqual([1, 5, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(o.v[4]).toBe(3);
    o.insert(2, STALE_NAN);
    const c = o.chunk(2, 20)!;
    const t = new Float64Array(c.numSamples);
    const v = new Float64Array(c.numSamples);
    c.decodeInto(t, v, 0, -Infinity, Infinity);
    expect(Array.from(t)).toEqual([2, 5, 10, 20]);
    expect(isStaleNaN(v[0])).toBe(true);
  });

  it('sortSamples merges overlapping runs, first sample at a timestamp wins', () => {
    const t = Float64Array.from([1, 3, 5, 2, 3, 6]);
    const v = Float64Array.from([10, 30, 50, 20, 31, STALE_NAN]);
    const n = sortSamples(t, v, 6);
    expect(Array.from(t.subarray(0, n))).toEqual([1, 2, 3, 5, 6]);
    expect(Array.from(v.subarray(0, 4))).toEqual([10, 20, 30, 50]);
    expect(isStaleNaN(v[4])).toBe(true);
  });
});

describe('out-of-order ingestion', () => {
  it('accepts older samples inside the window, refuses older ones as too old, merges them into queries', async () => {
    const db = open();
    const t0 = 10 * H;
    expect(
      await put(db, [
        [A, t0, 1],
        [A, t0 + 10 * M, 2],
        [B, t0 + 10 * M, 5],
      ]),
    ).toEqual(['', '', '']);
    // head max is t0+10m: the window reaches back to t0-20m
    const kinds = await put(db, [
      [A, t0 + 5 * M, 1.5],
      [A, t0 - 20 * M, 0.5],
      [A, t0 - 21 * M, 0.4],
      [B, t0 + 2 * M, 4],
    ]);
    expect(kinds).toEqual(['', '', 'too_old', '']);
    const want = {
      a: [
        [t0 - 20 * M, 0.5],
        [t0, 1],
        [t0 + 5 * M, 1.5],
        [t0 + 10 * M, 2],
      ],
      b: [
        [t0 + 2 * M, 4],
        [t0 + 10 * M, 5],
      ],
    };
    expect(read(db)).toEqual(want);
    expect(await readInWorker(db, 0, 20 * H)).toEqual(want);
    // a range that holds only out-of-order samples
    expect(read(db, t0 - 30 * M, t0 - 10 * M)).toEqual({ a: [[t0 - 20 * M, 0.5]] });
    expect(await readInWorker(db, t0 - 30 * M, t0 - 10 * M)).toEqual({ a: [[t0 - 20 * M, 0.5]] });
    expect(await metric(db, 'prometheus_tsdb_head_out_of_order_samples_appended_total')).toContain(
      'prometheus_tsdb_head_out_of_order_samples_appended_total{type="float"} 3',
    );
    expect(await metric(db, 'prometheus_tsdb_too_old_samples_total')).toContain('{type="float"} 1');
  });

  it('without a window refuses them as before; appends asked to discard out-of-order refuse them too', async () => {
    const db = open(undefined, { outOfOrderTimeWindow: 0 });
    await put(db, [[A, 10 * H, 1]]);
    expect(await put(db, [[A, 10 * H - M, 0]])).toEqual(['out_of_order']);
    expect(await put(db, [[A, 8 * H, 0]])).toEqual(['out_of_bounds']);
    db.setOutOfOrderTimeWindow(30 * M);
    expect(await put(db, [[A, 10 * H - M, 0]], true)).toEqual(['out_of_order']);
    expect(await put(db, [[A, 10 * H - M, 0]])).toEqual(['']);
    expect(read(db).a).toEqual([
      [10 * H - M, 0],
      [10 * H, 1],
    ]);
  });

  it('survive a restart through the write-behind log', async () => {
    let db = open();
    await put(db, [
      [A, 10 * H, 1],
      [A, 10 * H + M, 2],
    ]);
    await put(db, [
      [A, 10 * H - 5 * M, 0.5],
      [B, 9 * H + 50 * M, 7],
    ]);
    expect(fs.readdirSync(path.join(db.opts.dir, 'wbl')).length).toBeGreaterThan(0);
    const before = read(db);
    db = reopen(db);
    expect(read(db)).toEqual(before);
    expect(before.a).toHaveLength(3);
    expect(before.b).toEqual([[9 * H + 50 * M, 7]]);
  });

  it('go into blocks of their own when the head is compacted, older than the newest block, and merge vertically', async () => {
    const db = open(undefined, { outOfOrderTimeWindow: 3 * H });
    // in order: 0h..4h every minute, so the head compacts [0h, 2h) into a block
    for (let t = 0; t <= 4 * H; t += 10 * M) {
      const batch: Array<[Labels, number, number]> = [];
      for (let u = t; u < Math.min(t + 10 * M, 4 * H + 1); u += M) batch.push([A, u, u / M]);
      await put(db, batch);
    }
    await db.compact();
    const inOrderBlocks = db.blockMetas();
    expect(inOrderBlocks.map((m) => [m.minTime, m.maxTime])).toEqual([[0, 2 * H]]);
    // older than the newest block's end (2h) but inside the window (head max 4h - 3h = 1h)
    expect(
      await put(db, [
        [A, 90 * M + 30_000, -1],
        [B, 70 * M, -2],
        [A, 3 * H + 30_000, -3],
      ]),
    ).toEqual(['', '', '']);
    const want = read(db);
    expect(want.a).toContainEqual([90 * M + 30_000, -1]);
    expect(want.b).toEqual([[70 * M, -2]]);
    // more in-order data to make the head compactable again: the OOO head is compacted after it
    for (let t = 4 * H + M; t <= 6 * H; t += 10 * M) {
      const batch: Array<[Labels, number, number]> = [];
      for (let u = t; u < Math.min(t + 10 * M, 6 * H + 1); u += M) batch.push([A, u, u / M]);
      await put(db, batch);
    }
    const all = read(db);
    await db.compact();
    expect(read(db)).toEqual(all);
    expect(await readInWorker(db, 0, 7 * H)).toEqual(all);
    expect(db.head.oooMinTime).toBe(Infinity);
    const metas = db.blockMetas();
    // the OOO blocks overlapped the in-order ones and were merged by the vertical compaction
    for (let i = 1; i < metas.length; i++)
      expect(metas[i].minTime).toBeGreaterThanOrEqual(metas[i - 1].maxTime);
    expect(metas.some((m) => m.compaction.sources.length > 1)).toBe(true);
    // a restart neither loses nor repeats them (the WBL segments behind the compaction are gone)
    const again = reopen(db, { outOfOrderTimeWindow: 3 * H });
    expect(again.head.oooMinTime).toBe(Infinity);
    expect(read(again)).toEqual(all);
  });

  it("writes out-of-order blocks with Prometheus's compaction hint", async () => {
    const db = open(undefined, { outOfOrderTimeWindow: 3 * H });
    await put(db, [[A, 3 * H, 1]]);
    // B's only sample is older than the appender's minimum valid time (3h - 1h): out of order too
    await put(db, [
      [A, H, 2],
      [A, 2 * H + 30 * M, 5],
      [B, 10 * M, 3],
    ]);
    await db.compactOOOHead();
    const metas = db.blockMetas();
    expect(metas.map((m) => [m.minTime, m.maxTime])).toEqual([
      [0, 2 * H],
      [2 * H, 4 * H],
    ]);
    for (const m of metas) expect(m.compaction.hints).toEqual([HINT_FROM_OOO]);
    expect(read(db)).toEqual({
      a: [
        [H, 2],
        [2 * H + 30 * M, 5],
        [3 * H, 1],
      ],
      b: [[10 * M, 3]],
    });
    // an out-of-order block does not bound in-order appends after a restart
    const again = reopen(db, { outOfOrderTimeWindow: 0 });
    expect(await put(again, [[A, 3 * H + 1, 4]])).toEqual(['']);
    expect(again.head.minValidTime).toBe(-Infinity);
  });

  it('deleted series hide out-of-order samples too', async () => {
    const db = open();
    await put(db, [[A, 10 * H, 1]]);
    await put(db, [
      [A, 10 * H - M, 0.5],
      [A, 10 * H - 2 * M, 0.25],
    ]);
    await db.deleteSeries([new Matcher('=', 'i', 'a')], 10 * H - M, 10 * H - M);
    expect(read(db).a).toEqual([
      [10 * H - 2 * M, 0.25],
      [10 * H, 1],
    ]);
    expect((await readInWorker(db, 0, 11 * H)).a).toEqual([
      [10 * H - 2 * M, 0.25],
      [10 * H, 1],
    ]);
  });
});

describe('out-of-order native histograms', () => {
  const H1 = Labels.fromRecord({ __name__: 'h', i: 'a' });
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

  async function putH(db: TSDB, xs: Array<[number, number]>): Promise<string[]> {
    const app = db.appender();
    const kinds = xs.map(([t, c]) => {
      try {
        app.appendHistogram!(0, H1, t, undefined, fh(c));
        return '';
      } catch (err) {
        if (err instanceof StorageError) return err.kind;
        throw err;
      }
    });
    await app.commit();
    return kinds;
  }

  const byName = [new Matcher('=', '__name__', 'h')];

  function counts(q: Queryable, mint = -Infinity, maxt = Infinity): Array<[number, number]> {
    const querier = q.querier(mint, maxt);
    const out: Array<[number, number]> = [];
    for (const s of querier.select(byName, { start: mint, end: maxt }))
      for (const x of s.histograms?.() ?? []) out.push([x.t, (x.fh ?? x.h)!.count]);
    querier.close();
    return out;
  }

  async function countsInWorker(db: TSDB, mint: number, maxt: number): Promise<Array<[number, number]>> {
    const releases: Array<() => void> = [];
    const cache = new BlockCache();
    const queryable = new SnapshotQueryable(async (specs: SelectSpec[]) => {
      const { snapshot, release } = db.querySnapshot(
        specs.map((s) => ({ matchers: matchersOf(s.matchers), mint: s.mint, maxt: s.maxt })),
      );
      releases.push(release);
      return structuredClone(snapshot);
    }, cache);
    await queryable.prepare([{ matchers: byName, mint, maxt }]);
    const out = counts(queryable, mint, maxt);
    releases.forEach((r) => r());
    cache.closeAll();
    return out;
  }

  it('go out of order inside the window (too old outside it, out of order without one), merge into queries and survive a restart', async () => {
    let db = open();
    expect(
      await putH(db, [
        [10 * H, 10],
        [10 * H + M, 11],
      ]),
    ).toEqual(['', '']);
    expect(
      await putH(db, [
        [10 * H - 5 * M, 5],
        [10 * H - 40 * M, 1],
        [10 * H + M, 12],
      ]),
    ).toEqual(['', 'too_old', 'duplicate']);
    const want: Array<[number, number]> = [
      [10 * H - 5 * M, 5],
      [10 * H, 10],
      [10 * H + M, 11],
    ];
    expect(counts(db)).toEqual(want);
    expect(await countsInWorker(db, 0, 11 * H)).toEqual(want);
    db = reopen(db);
    expect(counts(db)).toEqual(want);
    const none = open(undefined, { outOfOrderTimeWindow: 0 });
    await putH(none, [[10 * H, 10]]);
    expect(await putH(none, [[10 * H - M, 9]])).toEqual(['out_of_order']);
  });

  it('go into blocks of their own when the head is compacted, and stay queryable', async () => {
    const db = open(undefined, { outOfOrderTimeWindow: 3 * H });
    for (let t = 0; t <= 4 * H; t += 10 * M) {
      const xs: Array<[number, number]> = [];
      for (let u = t; u < Math.min(t + 10 * M, 4 * H + 1); u += M) xs.push([u, u / M]);
      await putH(db, xs);
    }
    await db.compact();
    expect(
      await putH(db, [
        [90 * M + 30_000, 0.5],
        [3 * H + 30_000, 0.25],
      ]),
    ).toEqual(['', '']);
    for (let t = 4 * H + M; t <= 6 * H; t += 10 * M) {
      const xs: Array<[number, number]> = [];
      for (let u = t; u < Math.min(t + 10 * M, 6 * H + 1); u += M) xs.push([u, u / M]);
      await putH(db, xs);
    }
    const all = counts(db);
    expect(all).toContainEqual([90 * M + 30_000, 0.5]);
    expect(all).toContainEqual([3 * H + 30_000, 0.25]);
    await db.compact();
    expect(db.head.oooMinTime).toBe(Infinity);
    expect(counts(db)).toEqual(all);
    expect(await countsInWorker(db, 0, 7 * H)).toEqual(all);
  });
});
