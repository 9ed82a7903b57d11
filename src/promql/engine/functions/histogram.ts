// Classic-histogram functions (histogram_quantile, histogram_quantiles, histogram_fraction over `le`
// buckets). Native histograms are not part of the function contract yet: the native-only functions
// (histogram_count/sum/avg/stddev/stdvar) ignore float samples and so return an empty vector.
import { Labels } from '../../../model/labels.js';
import type { FunctionContext, FunctionImpl, InstantVector } from './types.js';
import { formatG, labelsKey, metricName, scalarArg, stringArg, vectorArg, withoutLabels } from './util.js';
import { invalidQuantileMessage } from './range.js';

export interface Bucket {
  upperBound: number;
  count: number;
}

/** The result of BucketQuantile with Prometheus's correction flags. */
export interface BucketQuantileResult {
  value: number;
  forcedMonotonicity: boolean;
  fixedPrecision: boolean;
}

const MIN_NORMAL = 2.2250738585072014e-308;
const SMALL_DELTA_TOLERANCE = 1e-12;

/** Prometheus's util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function sortBuckets(buckets: Bucket[]): void {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

/** Merges buckets with the same upper bound (input sorted). */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  let last = { ...buckets[0] };
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i];
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      out.push(last);
      last = { ...b };
    }
  }
  out.push(last);
  return out;
}

function ensureMonotonicAndIgnoreSmallDeltas(buckets: Bucket[], tolerance: number): [boolean, boolean] {
  let forced = false;
  let fixed = false;
  let prev = buckets[0].count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i].count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, tolerance)) {
      buckets[i].count = prev;
      fixed = true;
      continue;
    }
    if (curr < prev) {
      buckets[i].count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return [forced, fixed];
}

/** Prometheus's BucketQuantile over classic buckets (which it sorts). */
export function bucketQuantile(q: number, input: Bucket[]): BucketQuantileResult {
  const none = (value: number): BucketQuantileResult => ({
    value,
    forcedMonotonicity: false,
    fixedPrecision: false,
  });
  if (Number.isNaN(q)) return none(NaN);
  if (q < 0) return none(-Infinity);
  if (q > 1) return none(Infinity);
  if (input.length === 0) return none(NaN);
  sortBuckets(input);
  if (input[input.length - 1].upperBound !== Infinity) return none(NaN);
  const buckets = coalesceBuckets(input);
  const [forced, fixed] = ensureMonotonicAndIgnoreSmallDeltas(buckets, SMALL_DELTA_TOLERANCE);
  if (buckets.length < 2) return none(NaN);
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return none(NaN);
  let rank = q * observations;
  // sort.Search over [0, len-1): first i with count >= rank
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buckets[mid].count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  const res = (value: number): BucketQuantileResult => ({
    value,
    forcedMonotonicity: forced,
    fixedPrecision: fixed,
  });
  if (b === buckets.length - 1) return res(buckets[buckets.length - 2].upperBound);
  if (b === 0 && buckets[0].upperBound <= 0) return res(buckets[0].upperBound);
  let bucketStart = 0;
  const bucketEnd = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return res(bucketStart + (bucketEnd - bucketStart) * (rank / count));
}

/** Prometheus's BucketFraction over classic buckets (which it sorts). */
export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  if (input.length === 0) return NaN;
  sortBuckets(input);
  if (input[input.length - 1].upperBound !== Infinity) return NaN;
  const buckets = coalesceBuckets(input);
  const count = buckets[buckets.length - 1].count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    // The lowest bucket starts at 0 when its upper bound is positive, else at -Inf.
    const lowerBound = i > 0 ? buckets[i - 1].upperBound : b.upperBound > 0 ? 0 : -Infinity;
    const upperBound = b.upperBound;
    // No interpolation within a bucket of infinite width: a +Inf upper bound gives the rank below
    // the bucket (the formula's second term is 0), a -Inf lower bound the rank at its top.
    const interpolate = (x: number): number =>
      lowerBound === -Infinity
        ? b.count
        : rank + ((b.count - rank) * (x - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** Go's strconv.ParseFloat for `le` values (decimal and special forms); undefined when malformed. */
export function parseBound(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !s.includes('_')) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined; // out of range is an error in Go
  }
  return undefined;
}

/** OpenMetrics float text, as labels.FormatOpenMetricsFloat. */
export function formatOpenMetricsFloat(f: number): string {
  const s = formatG(f);
  if (!Number.isFinite(f) || s.includes('e') || s.includes('.')) return s;
  return s + '.0';
}

interface Group {
  labels: Labels;
  buckets: Bucket[];
}

/** What grouping needs of one bucket series' labels: its `le` parsed, and its labels without `le`. */
interface BucketSeries {
  le: string;
  upperBound: number | undefined;
  group: Labels;
  key: string;
}

/**
 * Per label set, computed once: a range query calls histogram_quantile at every step with the same
 * label sets (series-major evaluation keeps one Labels object per series), and parsing `le`, dropping
 * it and keying the rest cost more than the quantile itself. Labels are immutable, so the entry stays
 * right for as long as the object lives.
 */
const bucketSeries = new WeakMap<Labels, BucketSeries>();

function bucketSeriesOf(labels: Labels): BucketSeries {
  let b = bucketSeries.get(labels);
  if (b === undefined) {
    const le = labels.get('le') ?? '';
    const group = withoutLabels(labels, ['le']);
    b = { le, upperBound: parseBound(le), group, key: labelsKey(group) };
    bucketSeries.set(labels, b);
  }
  return b;
}

/** Groups classic bucket series by their labels without `le` (the metric name stays: it is dropped later). */
function groupBuckets(vec: InstantVector, ctx: FunctionContext): Group[] {
  const groups = new Map<string, Group>();
  for (const el of vec) {
    const b = bucketSeriesOf(el.labels);
    const upperBound = b.upperBound;
    if (upperBound === undefined) {
      ctx.annotations.warn(
        `bucket label "le" is missing or has a malformed value of "${b.le}" for metric name "${metricName(el.labels)}"`,
      );
      continue;
    }
    let g = groups.get(b.key);
    if (g === undefined) {
      g = { labels: b.group, buckets: [] };
      groups.set(b.key, g);
    }
    g.buckets.push({ upperBound, count: el.v });
  }
  return [...groups.values()];
}

function monotonicityInfo(ctx: FunctionContext, labels: Labels): void {
  ctx.annotations.info(
    'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "' +
      metricName(labels) +
      '"',
  );
}

function validateQuantile(q: number, ctx: FunctionContext): void {
  if (Number.isNaN(q) || q < 0 || q > 1) ctx.annotations.warn(invalidQuantileMessage(q));
}

const histogramQuantile: FunctionImpl = (args, ctx) => {
  const q = scalarArg(args, 0);
  const vec = vectorArg(args, 1);
  validateQuantile(q, ctx);
  const out: InstantVector = [];
  for (const g of groupBuckets(vec, ctx)) {
    const r = bucketQuantile(q, g.buckets.slice());
    if (r.forcedMonotonicity) monotonicityInfo(ctx, g.labels);
    out.push({ labels: g.labels, t: ctx.evalTime, v: r.value, dropName: true });
  }
  return out;
};

const histogramQuantiles: FunctionImpl = (args, ctx) => {
  const vec = vectorArg(args, 0);
  const label = stringArg(args, 1);
  const qs: number[] = [];
  for (let i = 2; i < args.length; i++) {
    const q = scalarArg(args, i);
    validateQuantile(q, ctx);
    qs.push(q);
  }
  const groups = groupBuckets(vec, ctx);
  const out: InstantVector = [];
  for (const q of qs) {
    const qs = formatOpenMetricsFloat(q);
    for (const g of groups) {
      const r = bucketQuantile(q, g.buckets.slice());
      if (r.forcedMonotonicity) monotonicityInfo(ctx, g.labels);
      out.push({
        labels: Labels.fromPairs([...g.labels.pairs, label, qs]),
        t: ctx.evalTime,
        v: r.value,
        dropName: true,
      });
    }
  }
  return out;
};

const histogramFraction: FunctionImpl = (args, ctx) => {
  const lower = scalarArg(args, 0);
  const upper = scalarArg(args, 1);
  const vec = vectorArg(args, 2);
  const out: InstantVector = [];
  for (const g of groupBuckets(vec, ctx)) {
    out.push({
      labels: g.labels,
      t: ctx.evalTime,
      v: bucketFraction(lower, upper, g.buckets.slice()),
      dropName: true,
    });
  }
  return out;
};

/** Native-histogram-only functions: float samples are ignored, so nothing comes out. */
const nativeOnly: FunctionImpl = () => [];

export const HISTOGRAM_FUNCTIONS: Record<string, FunctionImpl> = {
  histogram_quantile: histogramQuantile,
  histogram_quantiles: histogramQuantiles,
  histogram_fraction: histogramFraction,
  histogram_count: nativeOnly,
  histogram_sum: nativeOnly,
  histogram_avg: nativeOnly,
  histogram_stddev: nativeOnly,
  histogram_stdvar: nativeOnly,
};
