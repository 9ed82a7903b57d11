// The native histogram model: validation with Prometheus's messages (cases of
// model/histogram/histogram_test.go TestHistogramValidation, integer and float forms), the float form,
// and bucket bounds.
import { describe, expect, it } from 'vitest';
import {
  CUSTOM_BUCKETS_SCHEMA,
  CounterResetHint,
  addFloatHistograms,
  kahanSumHistograms,
  bucketUpperBound,
  detectReset,
  isCounterResetBetween,
  compactHistogram,
  reduceResolution,
  schemaForBucketFactor,
  toFloatHistogram,
  validateHistogram,
  type FloatHistogram,
  type Histogram,
} from '../../src/model/histogram.js';

function h(over: Partial<Histogram>): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
    ...over,
  };
}

const sp = (...pairs: Array<[number, number]>) => pairs.map(([offset, length]) => ({ offset, length }));

// [name, histogram, message or undefined, also checked in float form]
const CASES: Array<[string, Histogram, string | undefined, boolean]> = [
  [
    'valid histogram',
    h({
      count: 12,
      zeroCount: 2,
      zeroThreshold: 0.001,
      sum: 19.4,
      schema: 1,
      positiveSpans: sp([0, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      negativeSpans: sp([0, 2], [1, 2]),
      negativeBuckets: [1, 1, -1, 0],
    }),
    undefined,
    true,
  ],
  [
    'valid histogram with NaN observations that has its Count (4) higher than the actual total of buckets (2 + 1)',
    h({ zeroCount: 2, count: 4, sum: NaN, positiveSpans: sp([0, 1]), positiveBuckets: [1] }),
    undefined,
    true,
  ],
  [
    'rejects histogram without NaN observations that has its Count (4) higher than the actual total of buckets (2 + 1)',
    h({ zeroCount: 2, count: 4, sum: 333, positiveSpans: sp([0, 1]), positiveBuckets: [1] }),
    "3 observations found in buckets, but the Count field is 4: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)",
    false,
  ],
  [
    'rejects histogram that has too few negative buckets',
    h({ negativeSpans: sp([0, 1]) }),
    'negative side: spans need 1 buckets, have 0 buckets: histogram spans specify different number of buckets than provided',
    true,
  ],
  [
    'rejects histogram that has too many positive buckets',
    h({ positiveSpans: sp([0, 1]), positiveBuckets: [1, 2] }),
    'positive side: spans need 1 buckets, have 2 buckets: histogram spans specify different number of buckets than provided',
    true,
  ],
  [
    'rejects a histogram that has a negative span with a negative offset',
    h({ negativeSpans: sp([-1, 1], [-1, 1]), negativeBuckets: [1, 2] }),
    'negative side: span number 2 with offset -1: histogram has a span whose offset is negative',
    true,
  ],
  [
    'rejects a histogram that has a positive bucket with a negative count',
    h({ positiveSpans: sp([-1, 1]), positiveBuckets: [-1] }),
    'positive side: bucket number 1 has observation count of -1: histogram has a bucket whose observation count is negative',
    true,
  ],
  [
    "rejects a histogram that doesn't count the zero bucket in its count",
    h({
      count: 2,
      zeroCount: 1,
      negativeSpans: sp([-1, 1]),
      positiveSpans: sp([-1, 1]),
      negativeBuckets: [1],
      positiveBuckets: [1],
    }),
    "3 observations found in buckets, but the Count field is 2: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)",
    false,
  ],
  [
    'rejects an exponential histogram with custom buckets schema',
    h({
      count: 12,
      zeroCount: 2,
      zeroThreshold: 0.001,
      sum: 19.4,
      schema: CUSTOM_BUCKETS_SCHEMA,
      positiveSpans: sp([0, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      negativeSpans: sp([0, 2], [1, 2]),
      negativeBuckets: [1, 1, -1, 0],
    }),
    'custom buckets: only 0 custom bounds defined which is insufficient to cover total span length of 5: histogram custom bounds are too few',
    true,
  ],
  [
    'rejects a custom buckets histogram with exponential schema',
    h({
      count: 5,
      sum: 19.4,
      positiveSpans: sp([0, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      customValues: [1, 2, 3, 4],
    }),
    'histogram with exponential schema must not have custom bounds',
    false,
  ],
  [
    'rejects a custom buckets histogram with negative offset in first span',
    h({
      count: 5,
      sum: 19.4,
      schema: CUSTOM_BUCKETS_SCHEMA,
      positiveSpans: sp([-1, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      customValues: [1, 2, 3, 4],
    }),
    'custom buckets: span number 1 with offset -1: histogram has a span whose offset is negative',
    true,
  ],
  [
    'rejects a custom buckets histogram with too few bounds',
    h({
      count: 5,
      sum: 19.4,
      schema: CUSTOM_BUCKETS_SCHEMA,
      positiveSpans: sp([0, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      customValues: [1, 2, 3],
    }),
    'custom buckets: only 3 custom bounds defined which is insufficient to cover total span length of 5: histogram custom bounds are too few',
    true,
  ],
  [
    'valid custom buckets histogram',
    h({
      count: 5,
      sum: 19.4,
      schema: CUSTOM_BUCKETS_SCHEMA,
      positiveSpans: sp([0, 2], [1, 2]),
      positiveBuckets: [1, 1, -1, 0],
      customValues: [1, 2, 3, 4],
    }),
    undefined,
    true,
  ],
  [
    'rejects custom bounds out of order',
    h({
      count: 1,
      schema: CUSTOM_BUCKETS_SCHEMA,
      positiveSpans: sp([0, 1]),
      positiveBuckets: [1],
      customValues: [2, 1],
    }),
    'custom buckets: previous bound is 2.000000 and current is 1.000000: histogram custom bounds must be in strictly increasing order',
    true,
  ],
  [
    'rejects an invalid schema',
    h({ schema: 9 }),
    'histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema 9',
    true,
  ],
];

describe('histogram validation', () => {
  it.each(CASES)('%s', (_name, hist, msg, float) => {
    expect(validateHistogram(hist, false)).toBe(msg);
    if (float) expect(validateHistogram(toFloatHistogram(hist), true)).toBe(msg);
  });

  it('checks float-only conditions: a negative zero bucket and a negative count', () => {
    const f = toFloatHistogram(h({}));
    expect(validateHistogram({ ...f, zeroCount: -0.5 }, true)).toBe(
      'zero bucket has observation count of -0.5: histogram has a bucket whose observation count is negative',
    );
    expect(validateHistogram({ ...f, count: -2 }, true)).toBe(
      "observation count is  -2: histogram's observation count is negative",
    );
  });
});

describe('histogram model', () => {
  it('compacts away empty buckets and rebuilds spans (integer deltas and float counts)', () => {
    // positive buckets 0:1, 1:0, 2:2, 5:0, 6:3 → 0:1, 2:2, 6:3
    const int = h({
      count: 6,
      positiveSpans: sp([0, 3], [2, 2]),
      positiveBuckets: [1, -1, 2, -2, 3],
      negativeSpans: sp([-1, 1]),
      negativeBuckets: [0],
    });
    const c = compactHistogram(int, false);
    expect(c.positiveSpans).toEqual(sp([0, 1], [1, 1], [3, 1]));
    expect(c.positiveBuckets).toEqual([1, 1, 1]);
    expect(c.negativeSpans).toEqual([]);
    expect(validateHistogram(c, false)).toBeUndefined();
    const f = compactHistogram(toFloatHistogram(int), true);
    expect(f.positiveSpans).toEqual(sp([0, 1], [1, 1], [3, 1]));
    expect(f.positiveBuckets).toEqual([1, 2, 3]);
  });

  it('turns bucket deltas into absolute float counts', () => {
    const f = toFloatHistogram(h({ positiveSpans: sp([0, 4]), positiveBuckets: [1, 1, -1, 0], count: 5 }));
    expect(f.positiveBuckets).toEqual([1, 2, 1, 1]);
  });

  it('computes bucket upper bounds as 2^(i·2^-schema), with the overflow bucket capped at MaxFloat64', () => {
    expect(bucketUpperBound(0, 0)).toBe(1);
    expect(bucketUpperBound(1, 0)).toBe(2);
    expect(bucketUpperBound(-1, 0)).toBe(0.5);
    expect(bucketUpperBound(1, -1)).toBe(4);
    expect(bucketUpperBound(2, 1)).toBe(2);
    expect(bucketUpperBound(1, 1)).toBeCloseTo(Math.SQRT2, 15);
    expect(bucketUpperBound(1024, 0)).toBe(Number.MAX_VALUE);
    expect(bucketUpperBound(1025, 0)).toBe(Infinity);
    expect(bucketUpperBound(1024 << 8, 8)).toBe(Number.MAX_VALUE);
    expect(bucketUpperBound(1, CUSTOM_BUCKETS_SCHEMA, [0.5, 1])).toBe(1);
    expect(bucketUpperBound(2, CUSTOM_BUCKETS_SCHEMA, [0.5, 1])).toBe(Infinity);
  });
});

describe('histogram resolution', () => {
  it('reduces the schema by merging buckets into the target buckets ((i - 1) >> shift) + 1', () => {
    // schema 1 buckets at -1, 0, 1, 2, 5 (counts 1..5) go to schema 0 buckets ((i - 1) >> 1) + 1: 0, 0, 1, 1, 3
    const hist = h({
      schema: 1,
      count: 15,
      positiveSpans: sp([-1, 4], [2, 1]),
      positiveBuckets: [1, 1, 1, 1, 1],
    });
    const r = reduceResolution(hist, 0, false);
    expect(r.schema).toBe(0);
    expect(r.positiveSpans).toEqual(sp([0, 2], [1, 1]));
    expect(r.positiveBuckets).toEqual([3, 4, -2]); // absolute 3, 7, 5
    expect(validateHistogram(r, false)).toBeUndefined();
    const f = reduceResolution(toFloatHistogram(hist), -1, true);
    expect(f.schema).toBe(-1);
    expect(f.positiveBuckets.reduce((a, b) => a + b, 0)).toBe(15);
  });

  it('picks the schema for a minimum bucket growth factor as Prometheus does', () => {
    expect(schemaForBucketFactor(1.1)).toBe(2);
    expect(schemaForBucketFactor(2)).toBe(0);
    expect(schemaForBucketFactor(1)).toBe(8);
    expect(schemaForBucketFactor(1e9)).toBe(-4);
  });
});

describe('exponential bucket bounds', () => {
  it("are 2^(i·2^-schema) as Prometheus's exponentialBounds table holds them", () => {
    const frac = (schema: number, k: number) => bucketUpperBound(k, schema) / 2;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((k) => frac(3, k))).toEqual([
      0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048, 0.7071067811865475, 0.7711054127039704,
      0.8408964152537144, 0.9170040432046711,
    ]);
    expect([1, 2, 3].map((k) => frac(8, k))).toEqual([
      0.5013556375251013, 0.5027149505564014, 0.5040779490592088,
    ]);
    expect([252, 253, 254, 255].map((k) => frac(8, k))).toEqual([
      0.9892280131939752, 0.9919100824251095, 0.9945994234836328, 0.9972960560854698,
    ]);
  });
});

describe('custom buckets with other bounds', () => {
  const nhcb = (bounds: number[], buckets: number[], hint = CounterResetHint.Unknown): FloatHistogram => ({
    counterResetHint: hint,
    schema: CUSTOM_BUCKETS_SCHEMA,
    zeroThreshold: 0,
    zeroCount: 0,
    count: buckets.reduce((a, b) => a + b, 0),
    sum: 0,
    positiveSpans: [{ offset: 0, length: buckets.length }],
    positiveBuckets: buckets,
    negativeSpans: [],
    negativeBuckets: [],
    customValues: bounds,
  });

  it('adds onto the bounds both share, each bucket rolled up to the next shared bound (Prometheus)', () => {
    const out: { nhcbBoundsReconciled?: boolean; counterResetCollision?: boolean } = {};
    // (-Inf,1]:1 (1,2]:2 (2,5]:3 (5,+Inf]:4  +  (-Inf,2]:10 (2,5]:20 (5,+Inf]:30 → bounds [2, 5]
    const r = addFloatHistograms(nhcb([1, 2, 5], [1, 2, 3, 4]), nhcb([2, 5], [10, 20, 30]), false, out);
    expect(r.customValues).toEqual([2, 5]);
    expect(r.positiveBuckets).toEqual([13, 23, 34]);
    expect(r.count).toBe(70);
    expect(out.nhcbBoundsReconciled).toBe(true);
    // hints: "reset" meeting "not a reset" is a collision, with an unknown result
    const c = addFloatHistograms(
      nhcb([1], [1, 1], CounterResetHint.CounterReset),
      nhcb([1], [1, 1], CounterResetHint.NotCounterReset),
      false,
      out,
    );
    expect(c.counterResetHint).toBe(CounterResetHint.Unknown);
    expect(out.counterResetCollision).toBe(true);
    expect(
      addFloatHistograms(nhcb([1], [1, 1], CounterResetHint.Gauge), nhcb([1], [1, 1])).counterResetHint,
    ).toBe(CounterResetHint.Gauge);
  });

  it('detects a reset on the shared bounds', () => {
    expect(detectReset(nhcb([2, 5], [3, 3, 4]), nhcb([1, 2, 5], [1, 2, 3, 4]))).toBe(false);
    expect(detectReset(nhcb([2, 5], [2, 4, 4]), nhcb([1, 2, 5], [1, 2, 3, 4]))).toBe(true);
  });
});

describe('kahanSumHistograms', () => {
  const h = (count: number, sum: number, buckets: number[], schema = 0): FloatHistogram => ({
    counterResetHint: CounterResetHint.NotCounterReset,
    schema,
    zeroThreshold: 0.001,
    zeroCount: 0,
    count,
    sum,
    positiveSpans: [{ offset: 0, length: buckets.length }],
    positiveBuckets: buckets,
    negativeSpans: [],
    negativeBuckets: [],
  });

  it('keeps what a plain sum loses (Kahan-Neumaier per count and bucket)', () => {
    const r = kahanSumHistograms([h(1, 1e100, [1]), h(1, 1, [1]), h(1, -1e100, [1])], false);
    expect(r.h.sum).toBe(1);
    expect(r.h.positiveBuckets).toEqual([3]);
    expect(r.h.counterResetHint).toBe(CounterResetHint.NotCounterReset);
  });

  it('brings the inputs to the lowest schema; a mean that would overflow goes on incrementally', () => {
    const r = kahanSumHistograms([h(2, 0, [1, 1], 1), h(1, 0, [1], 0)], false);
    expect(r.h.schema).toBe(0);
    // schema 1's bucket 0, (2^-0.5, 1], falls in schema 0's bucket 0; its bucket 1, (1, 2^0.5], in bucket 1
    expect(r.h.positiveBuckets).toEqual([2, 1]);
    const big = Number.MAX_VALUE;
    const m = kahanSumHistograms([h(big, 0, [big]), h(big, 0, [big])], true);
    expect(m.h.count).toBe(big);
    expect(m.h.positiveBuckets).toEqual([big]);
  });
});

describe('isCounterResetBetween', () => {
  const ih = (deltas: number[], count: number, zero = 0, hint = CounterResetHint.Unknown): Histogram => ({
    counterResetHint: hint,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: zero,
    count,
    sum: 0,
    positiveSpans: [{ offset: 0, length: deltas.length }],
    positiveBuckets: deltas,
    negativeSpans: [],
    negativeBuckets: [],
  });

  it('on one layout compares every count, as DetectReset (integer buckets as deltas)', () => {
    // absolute [2, 3] then [3, 3]: nothing went down, though the second delta did
    expect(isCounterResetBetween(ih([2, 1], 5), ih([3, 0], 6), false, false)).toBe(false);
    // absolute [2, 3] then [3, 2]: the second bucket went down
    expect(isCounterResetBetween(ih([2, 1], 5), ih([3, -1], 5), false, false)).toBe(true);
    expect(isCounterResetBetween(ih([2, 1], 5, 2), ih([2, 1], 5, 1), false, false)).toBe(true);
    expect(
      isCounterResetBetween(ih([2, 1], 5), ih([2, 1], 5, 0, CounterResetHint.CounterReset), false, false),
    ).toBe(true);
    const f = (b: number[]) => toFloatHistogram(ih(b, 5));
    expect(isCounterResetBetween(f([2, 1]), f([2, 0]), true, true)).toBe(true);
    // the same answers as the general path, which other layouts take
    expect(isCounterResetBetween(ih([2, 1], 5), toFloatHistogram(ih([3, -1], 5)), false, true)).toBe(true);
    expect(isCounterResetBetween(ih([2, 1], 5), toFloatHistogram(ih([3, 0], 6)), false, true)).toBe(false);
  });
});
