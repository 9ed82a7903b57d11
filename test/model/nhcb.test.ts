// Classic histograms converted to native histograms with custom buckets (util/convertnhcb's
// TempHistogram): layout, inferred count and +Inf bucket, errors with Prometheus's texts; and
// compaction keeping short runs of empty buckets (Compact(2)).
import { describe, expect, it } from 'vitest';
import { compactHistogram, CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';
import { Labels } from '../../src/model/labels.js';
import { ClassicHistogramBuilder, classicHistogramSuffix, nhcbLabels } from '../../src/model/nhcb.js';

function build(
  buckets: Array<[number, number]>,
  count?: number,
  sum = 0,
): ReturnType<ClassicHistogramBuilder['convert']> {
  const b = new ClassicHistogramBuilder();
  for (const [le, c] of buckets) b.setBucketCount(le, c);
  if (count !== undefined) b.setCount(count);
  b.setSum(sum);
  return b.convert();
}

describe('ClassicHistogramBuilder', () => {
  it('turns cumulative buckets into custom buckets, the +Inf bucket implied', () => {
    const r = build(
      [
        [0.1, 1],
        [0.5, 3],
        [1, 6],
        [Infinity, 10],
      ],
      10,
      4.5,
    );
    expect(r).toEqual({
      integer: true,
      h: expect.objectContaining({
        schema: -53,
        count: 10,
        sum: 4.5,
        customValues: [0.1, 0.5, 1],
        positiveSpans: [{ offset: 0, length: 4 }],
        positiveBuckets: [1, 2, 3, 4],
        counterResetHint: CounterResetHint.Unknown,
      }),
    });
  });

  it('takes buckets in any order, ignores duplicates, adds +Inf from the count', () => {
    const r = build(
      [
        [1, 6],
        [0.1, 1],
        [0.5, 3],
        [0.5, 3],
      ],
      8,
    );
    expect('h' in r && r.h.customValues).toEqual([0.1, 0.5, 1]);
    expect('h' in r && r.h.positiveBuckets).toEqual([1, 2, 3, 2]);
  });

  it('without _count, the highest bucket is the count', () => {
    const r = build([
      [1, 2],
      [2, 5],
    ]);
    expect('h' in r && r.h.count).toBe(5);
  });

  it('integer histograms keep up to two empty buckets inside a span, float ones none', () => {
    const int = build([
      [1, 9],
      [2, 9],
      [4, 12],
      [8, 18],
    ]);
    expect('h' in int && [int.h.positiveSpans, int.h.positiveBuckets]).toEqual([
      [{ offset: 0, length: 4 }],
      [9, 0, 3, 6],
    ]);
    const float = build([
      [1, 9.5],
      [2, 9.5],
      [4, 12],
      [8, 18],
    ]);
    expect('h' in float && float.integer).toBe(false);
    expect('h' in float && float.h.positiveSpans).toEqual([
      { offset: 0, length: 1 },
      { offset: 1, length: 2 },
    ]);
    const gap = build([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 2],
    ]);
    expect('h' in gap && gap.h.positiveSpans).toEqual([
      { offset: 0, length: 1 },
      { offset: 3, length: 1 },
    ]);
  });

  it("reports Prometheus's errors", () => {
    expect(
      build([
        [1, 5],
        [2, 3],
      ]),
    ).toEqual({ error: 'count is not cumulative: 3 < 5' });
    expect(build([[1, -1]])).toEqual({ error: 'bucket count must be non-negative: le=1, count=-1' });
    expect(build([[NaN, 1]])).toEqual({ error: 'bucket boundary must not be NaN' });
    expect(build([[1, 1]], -2)).toEqual({ error: 'count must be non-negative: count=-2' });
    expect(
      build(
        [
          [1, 1],
          [Infinity, 4],
        ],
        5,
      ),
    ).toEqual({ error: 'count mismatch: count=5 != le=+Inf count=4' });
  });
});

describe('classic histogram names', () => {
  it('splits the suffix and derives the histogram labels', () => {
    expect(classicHistogramSuffix('rpc_seconds_bucket')).toEqual({ suffix: 'bucket', base: 'rpc_seconds' });
    expect(classicHistogramSuffix('rpc_seconds')).toBeUndefined();
    const l = Labels.fromPairs(['__name__', 'rpc_seconds_bucket', 'job', 'a', 'le', '0.5']);
    expect(nhcbLabels(l, 'rpc_seconds').toString()).toBe('rpc_seconds{job="a"}');
  });
});

describe('compactHistogram with maxEmptyBuckets', () => {
  it('merges spans whose gap is small enough, filling zeros', () => {
    const h: FloatHistogram = {
      counterResetHint: CounterResetHint.Unknown,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 3,
      sum: 0,
      positiveSpans: [
        { offset: 0, length: 2 },
        { offset: 2, length: 1 },
      ],
      positiveBuckets: [1, 0, 2],
      negativeSpans: [],
      negativeBuckets: [],
    };
    expect(compactHistogram(h, true, 3).positiveSpans).toEqual([{ offset: 0, length: 5 }]);
    expect(compactHistogram(h, true, 3).positiveBuckets).toEqual([1, 0, 0, 0, 2]);
    expect(compactHistogram(h, true, 2).positiveSpans).toEqual([
      { offset: 0, length: 1 },
      { offset: 3, length: 1 },
    ]);
  });
});
