// Classic histograms as native histograms with custom buckets (NHCB): the conversion Prometheus's
// util/convertnhcb makes for `convert_classic_histograms_to_nhcb` and promqltest's `load_with_nhcb`.
// A classic histogram's `_bucket{le=…}` (cumulative), `_count` and `_sum` samples at one timestamp are
// collected into a `ClassicHistogramBuilder`, which yields one custom-bucket histogram: bucket i counts
// the observations in (le[i-1], le[i]], the +Inf bucket is implied, bounds become `customValues`.

import {
  CUSTOM_BUCKETS_SCHEMA,
  CounterResetHint,
  compactHistogram,
  type FloatHistogram,
} from './histogram.js';
import { formatGoFloat as goG } from './exposition/writer.js';
import { Labels, METRIC_NAME } from './labels.js';

export type ClassicSuffix = 'bucket' | 'count' | 'sum';

/** A classic histogram series' suffix and base name (`_created` is the caller's to strip), or undefined. */
export function classicHistogramSuffix(name: string): { suffix: ClassicSuffix; base: string } | undefined {
  for (const suffix of ['bucket', 'sum', 'count'] as const) {
    if (name.endsWith(`_${suffix}`)) return { suffix, base: name.slice(0, -suffix.length - 1) };
  }
  return undefined;
}

/** The labels of the custom-bucket histogram a classic series belongs to: base name, `le` dropped. */
export function nhcbLabels(l: Labels, base: string): Labels {
  const pairs: string[] = [];
  l.forEach((n, v) => {
    if (n === METRIC_NAME) pairs.push(n, base);
    else if (n !== 'le') pairs.push(n, v);
  });
  return Labels.fromPairs(pairs);
}

/** The histogram the builder produced: `integer` when every count is a whole number. */
export interface ConvertedHistogram {
  h: FloatHistogram;
  integer: boolean;
}

/**
 * Collects one classic histogram's samples at one timestamp, in any order (buckets are usually
 * added in `le` order). The first inconsistency is kept and reported by `convert`, with
 * Prometheus's texts.
 */
export class ClassicHistogramBuilder {
  private readonly les: number[] = [];
  private readonly counts: number[] = [];
  private count = 0;
  private sum = 0;
  private hasCount = false;
  private err: string | undefined;

  /** A cumulative bucket: `le` its upper bound, `count` the observations ≤ le. */
  setBucketCount(le: number, count: number): void {
    if (this.err !== undefined) return;
    if (Number.isNaN(le)) {
      this.err = 'bucket boundary must not be NaN';
      return;
    }
    if (count < 0) {
      this.err = `bucket count must be non-negative: le=${goG(le)}, count=${goG(count)}`;
      return;
    }
    const n = this.les.length;
    if (n === 0 || this.les[n - 1] < le) {
      if (n > 0 && count < this.counts[n - 1]) {
        this.err = `count is not cumulative: ${goG(count)} < ${goG(this.counts[n - 1])}`;
        return;
      }
      this.les.push(le);
      this.counts.push(count);
      return;
    }
    let i = 0;
    while (this.les[i] < le) i++;
    if (this.les[i] === le) return; // a duplicate sample
    if (i > 0 && count < this.counts[i - 1]) {
      this.err = `count is not cumulative: ${goG(count)} < ${goG(this.counts[i - 1])}`;
      return;
    }
    if (count > this.counts[i]) {
      this.err = `count is not cumulative: ${goG(count)} > ${goG(this.counts[i])}`;
      return;
    }
    this.les.splice(i, 0, le);
    this.counts.splice(i, 0, count);
  }

  setCount(count: number): void {
    if (this.err !== undefined) return;
    if (count < 0) {
      this.err = `count must be non-negative: count=${goG(count)}`;
      return;
    }
    this.count = count;
    this.hasCount = true;
  }

  setSum(sum: number): void {
    if (this.err === undefined) this.sum = sum;
  }

  /**
   * The custom-bucket histogram, or the first error. Without `_count`, the highest bucket's count is
   * the count; without a +Inf bucket, one holding the count is added; the count must equal the +Inf
   * bucket's. Integer histograms keep up to two empty buckets inside a span (Prometheus's
   * Compact(2)), float histograms none (Compact(0)).
   */
  convert(): ConvertedHistogram | { error: string } {
    if (this.err !== undefined) return { error: this.err };
    const les = this.les.slice();
    const counts = this.counts.slice();
    let count = this.count;
    if (!this.hasCount && les.length > 0) count = counts[counts.length - 1];
    if (les.length === 0 || les[les.length - 1] !== Infinity) {
      les.push(Infinity);
      counts.push(count);
    }
    const integer = Number.isInteger(count) && counts.every((c) => Number.isInteger(c));
    const last = counts[counts.length - 1];
    if (count !== last) {
      const c = integer ? String(count) : goG(count);
      return { error: `count mismatch: count=${c} != le=${goG(les[les.length - 1])} count=${goG(last)}` };
    }
    const buckets = counts.map((c, i) => (i === 0 ? c : c - counts[i - 1]));
    const h: FloatHistogram = {
      counterResetHint: CounterResetHint.Unknown,
      schema: CUSTOM_BUCKETS_SCHEMA,
      zeroThreshold: 0,
      zeroCount: 0,
      count,
      sum: this.sum,
      positiveSpans: [{ offset: 0, length: buckets.length }],
      positiveBuckets: buckets,
      negativeSpans: [],
      negativeBuckets: [],
      customValues: les.slice(0, -1),
    };
    return { h: compactHistogram(h, true, integer ? 2 : 0), integer };
  }
}
