// Native histograms in the TSDB: appended (integer and float, a series switching from floats),
// validated, kept in the WAL (and its checkpoints) over restarts, persisted into blocks from the head
// and carried through block compaction, read back through queriers sample for sample.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import {
  compactHistogram,
  CounterResetHint,
  type FloatHistogram,
  type Histogram,
} from '../../src/model/histogram.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { StorageError } from '../../src/storage/errors.js';
import type { HistogramSample, Queryable } from '../../src/storage/interfaces.js';
import { TSDB, type TSDBOptions } from '../../src/tsdb/db.js';
import { HistogramPart, histogramSamples } from '../../src/tsdb/head-histograms.js';

const H = 3600 * 1000;
const M = 60_000;
const dirs: string[] = [];
const dbs: TSDB[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir?: string, extra: Partial<TSDBOptions> = {}): TSDB {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-hist-'));
  if (dir === undefined) dirs.push(d);
  const db = TSDB.open({
    dir: d,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
    registry: new Registry(),
    walSegmentSize: 32 * 1024,
    ...extra,
  });
  dbs.push(db);
  return db;
}

function reopen(db: TSDB): TSDB {
  db.close();
  dbs.splice(dbs.indexOf(db), 1);
  return open(db.opts.dir);
}

const INT = Labels.fromRecord({ __name__: 'req_seconds', kind: 'int' });
const FLOAT = Labels.fromRecord({ __name__: 'req_seconds', kind: 'float' });
const MIXED = Labels.fromRecord({ __name__: 'req_seconds', kind: 'mixed' });

/** A growing counter histogram; bucket layout widens at i = 50 and the counter resets at i = 200. */
function intHist(i: number): Histogram {
  const k = i >= 200 ? i - 200 : i;
  const wide = i >= 50;
  const buckets = wide ? [k, 1, 0, k % 3] : [k, 1];
  const abs = buckets.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], []);
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 3,
    zeroThreshold: 2 ** -128,
    zeroCount: 2,
    count: abs.reduce((a, b) => a + b, 0) + 2,
    sum: k * 0.25,
    positiveSpans: wide
      ? [
          { offset: 0, length: 2 },
          { offset: 2, length: 2 },
        ]
      : [{ offset: 0, length: 2 }],
    negativeSpans: [],
    positiveBuckets: buckets,
    negativeBuckets: [],
  };
}

function floatHist(i: number): FloatHistogram {
  return {
    counterResetHint: CounterResetHint.Gauge,
    schema: -53,
    zeroThreshold: 0,
    zeroCount: 0,
    count: i + 1.5,
    sum: i / 3,
    positiveSpans: [{ offset: 0, length: 2 }],
    negativeSpans: [],
    positiveBuckets: [i, 1.5],
    negativeBuckets: [],
    customValues: [0.25, 1],
  };
}

/** Appends `n` samples per series from `from`, one every minute; MIXED has floats before `switchAt`. */
async function fill(db: TSDB, from: number, n: number, switchAt = Infinity): Promise<void> {
  for (let k = 0; k < n; k += 50) {
    const app = db.appender();
    for (let i = k; i < Math.min(n, k + 50); i++) {
      const t = from + i * M;
      app.appendHistogram!(0, INT, t, intHist(i), undefined);
      app.appendHistogram!(0, FLOAT, t, undefined, floatHist(i));
      if (t < switchAt) app.append(0, MIXED, t, i);
      else app.appendHistogram!(0, MIXED, t, intHist(i), undefined);
    }
    await app.commit();
  }
}

interface Read {
  floats: Record<string, number[][]>;
  hists: Record<string, HistogramSample[]>;
}

function read(q: Queryable, mint = 0, maxt = 100 * H): Read {
  const querier = q.querier(mint, maxt);
  const out: Read = { floats: {}, hists: {} };
  for (const s of querier.select([new Matcher('=', '__name__', 'req_seconds')], { start: mint, end: maxt })) {
    const b = s.samples();
    const kind = s.labels.get('kind')!;
    out.floats[kind] = Array.from({ length: b.length }, (_, i) => [b.t[i], b.v[i]]);
    out.hists[kind] = s.histograms?.() ?? [];
  }
  querier.close();
  return out;
}

/** What fill() appended, as the queriers read it back (the hint as chunks report it aside). */
function expected(from: number, n: number, switchAt = Infinity): Read {
  const out: Read = { floats: { int: [], float: [], mixed: [] }, hists: { int: [], float: [], mixed: [] } };
  for (let i = 0; i < n; i++) {
    const t = from + i * M;
    out.hists.int.push({ t, h: intHist(i) });
    out.hists.float.push({ t, fh: floatHist(i) });
    if (t < switchAt) out.floats.mixed.push([t, i]);
    else out.hists.mixed.push({ t, h: intHist(i) });
  }
  return out;
}

/** Counter reset hints are what the chunks say (unknown, not-a-reset, reset, gauge): compare without them. */
/**
 * The samples without their hints, compacted: a chunk recoded when buckets appeared (as Prometheus
 * recodes) hands its earlier samples back with those buckets, empty.
 */
function withoutHints(r: Read): Read {
  const strip = (xs: HistogramSample[]) =>
    xs.map((x) => ({
      t: x.t,
      ...(x.h !== undefined ? { h: { ...compactHistogram(x.h, false), counterResetHint: 0 } } : {}),
      ...(x.fh !== undefined ? { fh: { ...compactHistogram(x.fh, true), counterResetHint: 0 } } : {}),
    }));
  return {
    floats: r.floats,
    hists: Object.fromEntries(Object.entries(r.hists).map(([k, v]) => [k, strip(v)])),
  };
}

describe('native histograms in the TSDB', () => {
  it('stores integer and float histograms and a series switching from floats, read back sample for sample', async () => {
    const db = open();
    await fill(db, 10 * H, 260, 10 * H + 100 * M);
    const got = read(db);
    expect(withoutHints(got)).toEqual(withoutHints(expected(10 * H, 260, 10 * H + 100 * M)));
    // gauge histograms keep their hint; a counter chunk after a reset starts with it
    expect(got.hists.float.every((x) => x.fh!.counterResetHint === CounterResetHint.Gauge)).toBe(true);
    expect(got.hists.int[0].h!.counterResetHint).toBe(CounterResetHint.Unknown);
    expect(got.hists.int[1].h!.counterResetHint).toBe(CounterResetHint.NotCounterReset);
    expect(
      await (db.opts.registry as Registry).getSingleMetricAsString(
        'prometheus_tsdb_head_samples_appended_total',
      ),
    ).toContain('{type="histogram"} 680');
  });

  it('keeps them over a restart (WAL replay)', async () => {
    let db = open();
    await fill(db, 10 * H, 120);
    const before = read(db);
    db = reopen(db);
    expect(read(db)).toEqual(before);
  });

  it('persists them into blocks from the head and through block compaction, and after a restart', async () => {
    let db = open();
    // 11 hours: the head compacts into four 2h blocks, and the oldest three into a 6h block
    await fill(db, 0, 11 * 60, 2 * H);
    const want = withoutHints(expected(0, 11 * 60, 2 * H));
    await db.compact();
    const metas = db.blockMetas();
    expect(metas.length).toBeGreaterThan(0);
    expect(metas.some((m) => m.maxTime - m.minTime === 6 * H)).toBe(true);
    expect(withoutHints(read(db))).toEqual(want);
    db = reopen(db);
    expect(withoutHints(read(db))).toEqual(want);
    // a range inside one block
    const part = read(db, 3 * H, 4 * H - 1);
    expect(part.hists.int.map((x) => x.t)).toEqual(
      want.hists.int.filter((x) => x.t >= 3 * H && x.t < 4 * H).map((x) => x.t),
    );
  });

  it("refuses an invalid histogram with Prometheus's message, and older ones as out of order", async () => {
    const db = open();
    const app = db.appender();
    const bad = { ...intHist(5), count: 1 };
    expect(() => app.appendHistogram!(0, INT, 1000, bad, undefined)).toThrowError(
      /observations found in buckets, but the Count field is 1/,
    );
    app.appendHistogram!(0, INT, 2000, intHist(1), undefined);
    await app.commit();
    const again = db.appender();
    let err: unknown;
    try {
      again.appendHistogram!(0, INT, 1500, intHist(2), undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).kind).toBe('out_of_order');
    again.rollback();
  });

  it('deletes histogram samples with the series', async () => {
    const db = open();
    await fill(db, 10 * H, 20);
    await db.deleteSeries([new Matcher('=', 'kind', 'int')], 10 * H + 5 * M, 10 * H + 9 * M);
    expect(read(db).hists.int.map((x) => (x.t - 10 * H) / M)).toEqual([
      0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
  });

  it('recodes the open chunk when buckets appear, as Prometheus, instead of cutting one', () => {
    const part = new HistogramPart();
    const mk = (
      spans: Array<{ offset: number; length: number }>,
      deltas: number[],
      count: number,
    ): Histogram => ({
      counterResetHint: CounterResetHint.Unknown,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count,
      sum: count,
      positiveSpans: spans,
      positiveBuckets: deltas,
      negativeSpans: [],
      negativeBuckets: [],
    });
    part.append(1000, mk([{ offset: 0, length: 1 }], [1], 1), undefined);
    // buckets 1 (empty) and 3 appear
    part.append(
      2000,
      mk(
        [
          { offset: 0, length: 2 },
          { offset: 1, length: 1 },
        ],
        [2, -2, 2],
        4,
      ),
      undefined,
    );
    // bucket 1 left out: it held nothing, so not a reset; the sample takes the chunk's layout
    part.append(
      3000,
      mk(
        [
          { offset: 0, length: 1 },
          { offset: 2, length: 1 },
        ],
        [2, 1],
        5,
      ),
      undefined,
    );
    const chunks = part.chunks();
    expect(chunks).toHaveLength(1);
    const samples = histogramSamples(chunks, 0, 10_000);
    expect(samples.map((x) => x.h!.counterResetHint)).toEqual([
      CounterResetHint.Unknown,
      CounterResetHint.NotCounterReset,
      CounterResetHint.NotCounterReset,
    ]);
    // every sample in the union layout (buckets 0, 1, 3), absent buckets empty
    const layout = [
      { offset: 0, length: 2 },
      { offset: 1, length: 1 },
    ];
    expect(samples.map((x) => [x.h!.positiveSpans, x.h!.positiveBuckets])).toEqual([
      [layout, [1, -1, 0]],
      [layout, [2, -2, 2]],
      [layout, [2, -2, 3]],
    ]);
    // a bucket going down is a reset: a new chunk
    part.append(
      4000,
      mk(
        [
          { offset: 0, length: 1 },
          { offset: 2, length: 1 },
        ],
        [1, 0],
        2,
      ),
      undefined,
    );
    expect(part.chunks()).toHaveLength(2);
  });
});
