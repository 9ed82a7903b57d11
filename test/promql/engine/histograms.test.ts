// The engine over native histograms (stored in a real TSDB): selectors hand them out, histogram_count,
// histogram_sum and histogram_avg read them, and the float-only functions, operators and aggregations
// leave them out rather than treating them as numbers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { CounterResetHint, type Histogram } from '../../../src/model/histogram.js';
import { Labels } from '../../../src/model/labels.js';
import { Engine, type QueryResult } from '../../../src/promql/engine/index.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { TSDB } from '../../../src/tsdb/db.js';
import { MemoryStorage } from '../../../src/storage/memory.js';

const M = 60_000;
const T = 1_700_000_000_000;
let dir: string;
let db: TSDB;
const FEATURES = new Set(['promql-experimental-functions']);
const engine = new Engine({ lookbackDelta: 5 * M, timeout: 10_000, maxSamples: 1e9, features: FEATURES });

function hist(i: number): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 1,
    count: 5 + 3 * i,
    sum: 10 + i,
    positiveSpans: [{ offset: 0, length: 2 }],
    negativeSpans: [{ offset: 0, length: 1 }],
    positiveBuckets: [1 + i, i],
    negativeBuckets: [2],
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-engine-hist-'));
  db = TSDB.open({
    dir,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
  });
  const app = db.appender();
  for (let i = 0; i <= 10; i++) {
    app.appendHistogram!(0, Labels.fromRecord({ __name__: 'lat', job: 'a' }), T + i * M, hist(i), undefined);
    app.append(0, Labels.fromRecord({ __name__: 'lat', job: 'b' }), T + i * M, i);
  }
  await app.commit();
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function instant(q: string, t = T + 10 * M): Promise<QueryResult> {
  return engine.instantQuery(db, parseExpr(q, { features: FEATURES }), t);
}

function vector(r: QueryResult): Array<[string, number | string]> {
  if (r.value.type !== 'vector') throw new Error(r.value.type);
  return r.value.samples.map((s) => [s.labels.toString(), s.h !== undefined ? `h:${s.h.count}` : s.v]);
}

describe('PromQL over native histograms', () => {
  it('selects histograms beside floats (integer histograms as float histograms)', async () => {
    expect(vector(await instant('lat'))).toEqual([
      ['lat{job="a"}', 'h:35'],
      ['lat{job="b"}', 10],
    ]);
    const r = await instant('lat{job="a"}[3m]');
    if (r.value.type !== 'matrix') throw new Error(r.value.type);
    expect(r.value.series[0].h?.map((h) => h?.count)).toEqual([29, 32, 35]);
    expect(r.value.series[0].h?.[0]?.positiveBuckets).toEqual([9, 17]); // absolute counts
  });

  it('histogram_count, histogram_sum and histogram_avg read them and ignore floats', async () => {
    expect(vector(await instant('histogram_count(lat)'))).toEqual([['{job="a"}', 35]]);
    expect(vector(await instant('histogram_sum(lat)'))).toEqual([['{job="a"}', 20]]);
    expect(vector(await instant('histogram_avg(lat)'))).toEqual([['{job="a"}', 20 / 35]]);
  });

  it('aggregations: count and group see histograms, sum adds them (a mixed group is dropped), others ignore them', async () => {
    expect(vector(await instant('count(lat)'))).toEqual([['{}', 2]]);
    expect(vector(await instant('group(lat)'))).toEqual([['{}', 1]]);
    const mixed = await instant('sum(lat)');
    expect(vector(mixed)).toEqual([]);
    expect(mixed.warnings).toEqual([
      'PromQL warning: encountered a mix of histograms and floats for aggregation',
    ]);
    expect(vector(await instant('sum by (job) (lat)')).sort()).toEqual([
      ['{job="a"}', 'h:35'],
      ['{job="b"}', 10],
    ]);
    const min = await instant('min(lat)');
    expect(vector(min)).toEqual([['{}', 10]]);
    expect(min.infos).toEqual(['PromQL info: ignored histogram in min aggregation']);
  });

  it('scales histograms by a scalar (h * s, s * h, h / s, -h); other operators drop them with an info', async () => {
    const h = async (q: string) => {
      const r = await instant(q);
      if (r.value.type !== 'vector') throw new Error(r.value.type);
      return r.value.samples.find((x) => x.h !== undefined)?.h;
    };
    expect((await h('lat{job="a"} * 2'))?.count).toBe(70);
    expect((await h('2 * lat{job="a"}'))?.positiveBuckets).toEqual([22, 42]);
    expect((await h('lat{job="a"} / 5'))?.sum).toBe(4);
    expect((await h('-lat{job="a"}'))?.count).toBe(-35);
    const plus = await instant('lat + 1');
    expect(vector(plus)).toEqual([['{job="b"}', 11]]);
    expect(plus.infos).toEqual([
      'PromQL info: incompatible sample types encountered for binary operator "+": histogram + float',
    ]);
  });

  it('adds and compares histograms between vectors; set operators keep them', async () => {
    const r = await instant('lat{job="a"} + ignoring(job) lat{job="a"}');
    if (r.value.type !== 'vector') throw new Error(r.value.type);
    expect(r.value.samples[0].h?.count).toBe(70);
    expect(vector(await instant('lat{job="a"} - lat{job="a"}'))[0]).toEqual(['{job="a"}', 'h:0']);
    expect(vector(await instant('lat{job="a"} == lat{job="a"}'))).toEqual([['lat{job="a"}', 'h:35']]);
    expect(vector(await instant('lat{job="a"} != lat{job="a"}'))).toEqual([]);
    expect(vector(await instant('lat and lat{job="a"}'))).toEqual([['lat{job="a"}', 'h:35']]);
    // histogram × float scales, histogram + float has no result (with Prometheus's info)
    expect(vector(await instant('lat{job="a"} * ignoring(job) lat{job="b"}'))).toEqual([['{}', 'h:350']]);
    const mixed = await instant('lat{job="a"} + ignoring(job) lat{job="b"}');
    expect(vector(mixed)).toEqual([]);
    expect(mixed.infos).toEqual([
      'PromQL info: incompatible sample types encountered for binary operator "+": histogram + float',
    ]);
  });

  it('histogram_quantile interpolates exponentially within a native bucket, as Prometheus', async () => {
    // at 10m: negative [-1,-0.5): 2, zero bucket: 1, positive (0.5,1]: 11, (1,2]: 21; count 35
    const [[, median]] = vector(await instant('histogram_quantile(0.5, lat{job="a"})'));
    expect(median).toBeCloseTo(2 ** (1 / 6), 12); // from the top: rank 17.5 of 21 in (1,2]
    const [[labels, low]] = vector(await instant('histogram_quantile(0.1, lat{job="a"})'));
    expect(labels).toBe('{job="a"}');
    expect(low).toBeCloseTo(2 ** (-1 + 0.5 / 11), 12); // from the bottom: rank 3.5, 0.5 into (0.5,1]
  });

  it('histogram_fraction shares observations between bounds, as Prometheus', async () => {
    // (1,2] holds 21 of 35: the share in [1, 2] is 21/35; [0, 1] takes half the zero bucket and (0.5,1]
    expect(vector(await instant('histogram_fraction(1, 2, lat{job="a"})'))).toEqual([['{job="a"}', 21 / 35]]);
    const [[, f]] = vector(await instant('histogram_fraction(0, 1, lat{job="a"})'));
    expect(f).toBeCloseTo((0.5 + 11) / 35, 12);
    expect(vector(await instant('histogram_fraction(-Inf, +Inf, lat{job="a"})'))).toEqual([['{job="a"}', 1]]);
  });

  it('rate and increase of counter histograms extrapolate as Prometheus, into gauge histograms', async () => {
    // samples at 6m..10m in (5m, 10m]: count 23 → 35, extrapolated by (240 s + 60 s) / 240 s
    const r = await instant('rate(lat{job="a"}[5m])');
    if (r.value.type !== 'vector') throw new Error(r.value.type);
    const h = r.value.samples[0].h!;
    expect(r.value.samples[0].labels.toString()).toBe('{job="a"}');
    expect(h.count).toBeCloseTo((12 * 1.25) / 300, 12);
    expect(h.sum).toBeCloseTo((4 * 1.25) / 300, 12);
    expect(h.positiveBuckets.map((b) => b * 240)).toEqual([4, 8]);
    expect(h.negativeBuckets).toEqual([]); // unchanged bucket compacted away
    expect(h.counterResetHint).toBe(CounterResetHint.Gauge);
    expect(vector(await instant('histogram_count(increase(lat{job="a"}[5m]))'))[0][1]).toBeCloseTo(15, 12);
    // the float series of the same selector is rated the float way
    expect(vector(await instant('rate(lat{job="b"}[5m])'))[0][1]).toBeCloseTo(1 / 60, 12);
  });

  it('float functions and operators leave histograms out', async () => {
    expect(vector(await instant('abs(lat)'))).toEqual([['{job="b"}', 10]]);
    expect(vector(await instant('stddev_over_time(lat[3m])'))).toEqual([['{job="b"}', Math.sqrt(2 / 3)]]);
    // sum_over_time adds histograms up (29 + 32 + 35 observations)
    expect(vector(await instant('sum_over_time(lat[3m])'))).toEqual([
      ['{job="a"}', 'h:96'],
      ['{job="b"}', 27],
    ]);
    // the range functions that only count, or pick the first or last sample, take histograms
    expect(vector(await instant('count_over_time(lat[3m])'))).toEqual([
      ['{job="a"}', 3],
      ['{job="b"}', 3],
    ]);
    expect(vector(await instant('last_over_time(lat[3m])'))).toEqual([
      ['lat{job="a"}', 'h:35'],
      ['lat{job="b"}', 10],
    ]);
    expect(vector(await instant('first_over_time(lat[3m])'))[0]).toEqual(['lat{job="a"}', 'h:29']);
    const range = await engine.rangeQuery(db, parseExpr('histogram_count(lat)'), T, T + 10 * M, M);
    if (range.value.type !== 'matrix') throw new Error(range.value.type);
    expect(Array.from(range.value.series[0].v)).toEqual(Array.from({ length: 11 }, (_, i) => 5 + 3 * i));
  });

  it('subqueries carry histograms: sum_over_time and avg_over_time of a subquery add them', async () => {
    // inner steps are whole minutes of the epoch, 20 s before T + 8m, 9m, 10m: they see the samples
    // of 7m, 8m, 9m (counts 26, 29, 32)
    expect(vector(await instant('sum_over_time(lat{job="a"}[3m:1m])'))).toEqual([['{job="a"}', 'h:87']]);
    expect(vector(await instant('avg_over_time(lat{job="a"}[3m:1m])'))).toEqual([['{job="a"}', 'h:29']]);
    expect(vector(await instant('max_over_time(lat[3m:1m])'))).toEqual([['{job="b"}', 9]]);
  });

  it('histogram_quantile and histogram_fraction drop a native histogram that is also a classic one, with a warning', async () => {
    const mem = new MemoryStorage();
    const series = Labels.fromRecord({ __name__: 'mixed', job: 'x' });
    const app = mem.appender();
    app.appendHistogram!(0, series, T, hist(0), undefined);
    await app.commit();
    mem.add(Labels.fromRecord({ __name__: 'mixed', job: 'x', le: '1' }), [[T, 1]]);
    mem.add(Labels.fromRecord({ __name__: 'mixed', job: 'x', le: '+Inf' }), [[T, 2]]);
    mem.add(Labels.fromRecord({ __name__: 'mixed', job: 'y', le: '+Inf' }), [[T, 2]]);
    for (const q of ['histogram_quantile(0.5, mixed)', 'histogram_fraction(0, 1, mixed)']) {
      const r = await engine.instantQuery(mem, parseExpr(q), T);
      expect(vector(r).map(([l]) => l)).toEqual(['{job="y"}']);
      expect(r.warnings).toEqual([
        'PromQL warning: vector contains a mix of classic and native histograms for metric name "mixed"',
      ]);
    }
  });

  it('hints read back as from Prometheus head chunks; sums combine them; a reset only the stats path sees warns', async () => {
    const mem = new MemoryStorage();
    const app = mem.appender();
    const put = (job: string, counts: number[]): void => {
      counts.forEach((c, i) =>
        app.appendHistogram!(0, Labels.fromRecord({ __name__: 'hc', job }), T + i * M, undefined, {
          ...hist(0),
          count: c,
          zeroCount: c,
          positiveSpans: [],
          positiveBuckets: [],
          negativeSpans: [],
          negativeBuckets: [],
        }),
      );
    };
    put('a', [1, 2, 3]);
    put('b', [5, 6, 1]); // reset at the last sample: a new chunk, whose first sample reads "unknown"
    await app.commit();
    const hints = async (q: string, t: number): Promise<number[]> => {
      const r = await engine.instantQuery(mem, parseExpr(q), t);
      if (r.value.type !== 'vector') throw new Error(r.value.type);
      return r.value.samples.map((x) => x.h!.counterResetHint);
    };
    expect(await hints('hc', T)).toEqual([CounterResetHint.Unknown, CounterResetHint.Unknown]);
    expect(await hints('hc', T + 2 * M)).toEqual([
      CounterResetHint.NotCounterReset,
      CounterResetHint.Unknown,
    ]);
    // not a reset + not a reset stays; not a reset + unknown is unknown
    expect(await hints('sum(hc)', T + M)).toEqual([CounterResetHint.NotCounterReset]);
    expect(await hints('sum(hc)', T + 2 * M)).toEqual([CounterResetHint.Unknown]);
    const plain = await engine.instantQuery(mem, parseExpr('sum(hc)'), T + 2 * M);
    expect(plain.warnings).toEqual([]);
    // under histogram_count the reset is detected against the sample before: "reset" meets "not a reset"
    const stats = await engine.instantQuery(mem, parseExpr('histogram_count(sum(hc))'), T + 2 * M);
    expect(vector(stats)).toEqual([['{}', 4]]);
    expect(stats.warnings).toEqual([
      'PromQL warning: conflicting counter resets during histogram aggregation',
    ]);
  });

  it('rate and increase over a subquery of histograms', async () => {
    const r = await instant('histogram_count(increase(lat{job="a"}[5m:1m]))');
    // inner points at 5m..9m (counts 20 .. 32), extrapolated over the 5 minute range
    expect(vector(r)[0][1]).toBeCloseTo(12 * (300 / 240), 9);
  });

  it('count_values counts histograms by their text; float range functions tell when they ignore histograms', async () => {
    const r = await instant('count_values("v", lat{job="a"})');
    // at 10m: count 35, sum 20, negative [-1,-0.5): 2, zero bucket 1, positive (0.5,1]: 11, (1,2]: 21
    expect(vector(r)).toEqual([
      ['{v="{count:35, sum:20, [-1,-0.5):2, [-0.001,0.001]:1, (0.5,1]:11, (1,2]:21}"}', 1],
    ]);
    const mem = new MemoryStorage();
    const app = mem.appender();
    const mixed = Labels.fromRecord({ __name__: 'mixed_range' });
    app.append(0, mixed, T, 1);
    app.appendHistogram!(0, mixed, T + M, hist(0), undefined);
    app.append(0, mixed, T + 2 * M, 3);
    await app.commit();
    const d = await engine.instantQuery(mem, parseExpr('max_over_time(mixed_range[5m])'), T + 2 * M);
    expect(vector(d)).toEqual([['{}', 3]]);
    expect(d.infos).toEqual([
      'PromQL info: ignored histograms in a range containing both floats and histograms for metric name "mixed_range"',
    ]);
  });

  it('histogram_quantile of a histogram holding only NaN observations is NaN, with the info', async () => {
    const mem = new MemoryStorage();
    const app = mem.appender();
    app.appendHistogram!(0, Labels.fromRecord({ __name__: 'nan_only' }), T, undefined, {
      ...hist(0),
      count: 3,
      sum: NaN,
      zeroCount: 0,
      positiveSpans: [],
      positiveBuckets: [],
      negativeSpans: [],
      negativeBuckets: [],
    });
    await app.commit();
    const r = await engine.instantQuery(mem, parseExpr('histogram_quantile(0.8, nan_only)'), T);
    expect(vector(r)).toEqual([['{}', NaN]]);
    expect(r.infos).toEqual([
      'PromQL info: input to histogram_quantile has NaN observations, result is NaN for metric name "nan_only"',
    ]);
  });

  it('anchored and smoothed ranges and smoothed selectors over histograms (Prometheus 3.x extended vectors)', async () => {
    const feat = { features: new Set(['promql-extended-range-selectors']) };
    const q = async (expr: string, t = T + 10 * M): Promise<Array<[string, number | string]>> =>
      vector(await engine.instantQuery(db, parseExpr(expr, feat), t));
    // anchored: from the sample at the range start (5m, count 20) to the last (10m, count 35)
    expect(await q('histogram_count(increase(lat{job="a"}[5m] anchored))')).toEqual([['{job="a"}', 15]]);
    // smoothed selector: halfway between 9m (32) and 10m (35)
    expect(await q('histogram_count(lat{job="a"} smoothed)', T + 9.5 * M)).toEqual([['{job="a"}', 33.5]]);
    // smoothed rate: the edges interpolated to 4.5m (18.5) and 9.5m (33.5), over 300 s
    const [[, r]] = await q('histogram_count(rate(lat{job="a"}[5m] smoothed))', T + 9.5 * M);
    expect(r).toBeCloseTo(15 / 300, 12);
    expect(await q('resets(lat{job="a"}[5m] anchored)')).toEqual([['{job="a"}', 0]]);
  });

  it("scaling and subtracting follow Prometheus's Mul/Div/Sub: negatives and differences are gauges, /0 has no buckets", async () => {
    const one = async (q: string) => {
      const r = await instant(q);
      if (r.value.type !== 'vector') throw new Error(r.value.type);
      return r.value.samples[0].h!;
    };
    expect((await one('-lat{job="a"}')).counterResetHint).toBe(CounterResetHint.Gauge);
    expect((await one('lat{job="a"} * -1')).counterResetHint).toBe(CounterResetHint.Gauge);
    const d = await one('lat{job="a"} - 0.5 * lat{job="a"}');
    expect(d.counterResetHint).toBe(CounterResetHint.Gauge);
    expect(d.count).toBe(17.5);
    const z = await one('lat{job="a"} / 0');
    expect([z.count, z.zeroCount, z.positiveBuckets, z.negativeBuckets]).toEqual([
      Infinity,
      Infinity,
      [],
      [],
    ]);
  });

  it('trim operators keep the observations below (</) or above (>/) a bound, the name kept', async () => {
    // at 10m: negative [-1,-0.5): 2, zero bucket (±0.001): 1, positive (0.5,1]: 11, (1,2]: 21
    const r = await instant('lat{job="a"} </ 1');
    if (r.value.type !== 'vector') throw new Error(r.value.type);
    const h = r.value.samples[0].h!;
    expect(r.value.samples[0].labels.toString()).toBe('lat{job="a"}');
    expect(h.positiveBuckets).toEqual([11]);
    expect(h.count).toBe(2 + 1 + 11);
    // halfway into (1, 2] on the log scale: half of 21 kept above 2^0.5
    const above = await instant('lat{job="a"} >/ 1.4142135623730951');
    if (above.value.type !== 'vector') throw new Error(above.value.type);
    expect(above.value.samples[0].h!.count).toBeCloseTo(10.5, 9);
    // floats cannot be trimmed: no result, Prometheus's info
    const f = await instant('lat{job="b"} </ 1');
    expect(vector(f)).toEqual([]);
    expect(f.infos).toEqual([
      'PromQL info: incompatible sample types encountered for binary operator "</": float </ float',
    ]);
  });
});
