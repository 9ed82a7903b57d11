// Native histograms: the data model of Prometheus's model/histogram (integer and float histograms,
// exponential schemas -4..8 and custom buckets -53, spans, the zero bucket, counter-reset hints) and
// the checks Prometheus makes on them, with its error texts. Integer histograms hold bucket counts as
// deltas (each bucket against the previous one in span order, the first absolute), float histograms
// absolute counts, as in the exposition, the WAL and the chunks.

import { EXPONENTIAL_BOUNDS } from './histogram-bounds.js';

/** A run of `length` consecutive buckets, starting `offset` buckets after the previous run's end. */
export interface Span {
  offset: number;
  length: number;
}

/** Prometheus's CounterResetHint (and prompb's ResetHint) values. */
export const enum CounterResetHint {
  Unknown = 0,
  CounterReset = 1,
  NotCounterReset = 2,
  Gauge = 3,
}

interface HistogramBase {
  counterResetHint: CounterResetHint;
  schema: number;
  zeroThreshold: number;
  sum: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  /** Upper bounds of the custom buckets (schema -53 only; +Inf implied). */
  customValues?: number[];
}

/** An integer histogram: counts are integers, buckets are deltas. */
export interface Histogram extends HistogramBase {
  count: number;
  zeroCount: number;
  positiveBuckets: number[];
  negativeBuckets: number[];
}

/** A float histogram: counts and buckets are absolute float64 values. */
export interface FloatHistogram extends HistogramBase {
  count: number;
  zeroCount: number;
  positiveBuckets: number[];
  negativeBuckets: number[];
}

export const EXPONENTIAL_SCHEMA_MIN = -4;
export const EXPONENTIAL_SCHEMA_MAX = 8;
export const CUSTOM_BUCKETS_SCHEMA = -53;

export function isCustomBucketsSchema(schema: number): boolean {
  return schema === CUSTOM_BUCKETS_SCHEMA;
}

export function isExponentialSchema(schema: number): boolean {
  return schema >= EXPONENTIAL_SCHEMA_MIN && schema <= EXPONENTIAL_SCHEMA_MAX;
}

export function isKnownSchema(schema: number): boolean {
  return isCustomBucketsSchema(schema) || isExponentialSchema(schema);
}

/** Number of buckets the spans describe. */
export function countSpans(spans: readonly Span[]): number {
  let n = 0;
  for (const s of spans) n += s.length;
  return n;
}

/** The histogram with absolute float counts (PromQL works on these). */
export function toFloatHistogram(h: Histogram): FloatHistogram {
  const abs = (deltas: readonly number[]): number[] => {
    const out = new Array<number>(deltas.length);
    let cur = 0;
    for (let i = 0; i < deltas.length; i++) out[i] = cur += deltas[i];
    return out;
  };
  return {
    counterResetHint: h.counterResetHint,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    positiveSpans: h.positiveSpans.map((s) => ({ ...s })),
    negativeSpans: h.negativeSpans.map((s) => ({ ...s })),
    positiveBuckets: abs(h.positiveBuckets),
    negativeBuckets: abs(h.negativeBuckets),
    ...(h.customValues !== undefined ? { customValues: [...h.customValues] } : {}),
  };
}

const ERR_NEGATIVE_OFFSET = 'histogram has a span whose offset is negative';
const ERR_SPANS_BUCKETS = 'histogram spans specify different number of buckets than provided';
const ERR_NEGATIVE_BUCKET = 'histogram has a bucket whose observation count is negative';

function checkSpans(spans: readonly Span[], numBuckets: number): string | undefined {
  let n = 0;
  for (let i = 0; i < spans.length; i++) {
    if (i > 0 && spans[i].offset < 0)
      return `span number ${i + 1} with offset ${spans[i].offset}: ${ERR_NEGATIVE_OFFSET}`;
    n += spans[i].length;
  }
  if (n !== numBuckets) return `spans need ${n} buckets, have ${numBuckets} buckets: ${ERR_SPANS_BUCKETS}`;
  return undefined;
}

/** Checks the running counts; adds them to total.n. */
function checkBuckets(buckets: readonly number[], total: { n: number }, deltas: boolean): string | undefined {
  let last = 0;
  for (let i = 0; i < buckets.length; i++) {
    const c = deltas ? last + buckets[i] : buckets[i];
    if (c < 0) return `bucket number ${i + 1} has observation count of ${goValue(c)}: ${ERR_NEGATIVE_BUCKET}`;
    last = c;
    total.n += c;
  }
  return undefined;
}

function checkCustomBounds(
  bounds: readonly number[],
  spans: readonly Span[],
  numBuckets: number,
): string | undefined {
  let prev = -Infinity;
  for (let i = 0; i < bounds.length; i++) {
    const cur = bounds[i];
    if (Number.isNaN(cur)) return 'histogram custom bounds must not be NaN';
    if (i > 0 && cur <= prev)
      return `previous bound is ${goFixed(prev)} and current is ${goFixed(cur)}: histogram custom bounds must be in strictly increasing order`;
    prev = cur;
  }
  if (prev === Infinity)
    return 'last +Inf bound must not be explicitly defined: histogram custom bounds must be finite';
  let n = 0;
  let total = 0;
  for (let i = 0; i < spans.length; i++) {
    if (spans[i].offset < 0)
      return `span number ${i + 1} with offset ${spans[i].offset}: ${ERR_NEGATIVE_OFFSET}`;
    n += spans[i].length;
    total += spans[i].length + spans[i].offset;
  }
  if (n !== numBuckets) return `spans need ${n} buckets, have ${numBuckets} buckets: ${ERR_SPANS_BUCKETS}`;
  if (bounds.length + 1 < total)
    return `only ${bounds.length} custom bounds defined which is insufficient to cover total span length of ${total}: histogram custom bounds are too few`;
  return undefined;
}

/**
 * Prometheus's Histogram.Validate (integer, `isFloat` false) and FloatHistogram.Validate: the error
 * text for an invalid histogram, or undefined.
 */
export function validateHistogram(h: Histogram | FloatHistogram, isFloat: boolean): string | undefined {
  const neg = { n: 0 };
  const pos = { n: 0 };
  let err: string | undefined;
  if (isCustomBucketsSchema(h.schema)) {
    err = checkCustomBounds(h.customValues ?? [], h.positiveSpans, h.positiveBuckets.length);
    if (err !== undefined) return `custom buckets: ${err}`;
    if (h.zeroCount !== 0) return 'custom buckets: must have zero count of 0';
    if (h.zeroThreshold !== 0) return 'custom buckets: must have zero threshold of 0';
    if (h.negativeSpans.length > 0) return 'custom buckets: must not have negative spans';
    if (h.negativeBuckets.length > 0) return 'custom buckets: must not have negative buckets';
  } else if (isExponentialSchema(h.schema)) {
    if ((err = checkSpans(h.positiveSpans, h.positiveBuckets.length)) !== undefined)
      return `positive side: ${err}`;
    if ((err = checkSpans(h.negativeSpans, h.negativeBuckets.length)) !== undefined)
      return `negative side: ${err}`;
    if ((err = checkBuckets(h.negativeBuckets, neg, !isFloat)) !== undefined) return `negative side: ${err}`;
    if (isFloat && h.zeroCount < 0)
      return `zero bucket has observation count of ${goValue(h.zeroCount)}: ${ERR_NEGATIVE_BUCKET}`;
    if (h.customValues !== undefined) return 'histogram with exponential schema must not have custom bounds';
  } else {
    return `histogram has an invalid schema, which must be between ${EXPONENTIAL_SCHEMA_MIN} and ${EXPONENTIAL_SCHEMA_MAX} for exponential buckets, or ${CUSTOM_BUCKETS_SCHEMA} for custom buckets, got schema ${h.schema}`;
  }
  if (isFloat) {
    if (h.count < 0)
      return `observation count is  ${goValue(h.count)}: histogram's observation count is negative`;
    if ((err = checkBuckets(h.positiveBuckets, pos, false)) !== undefined) return `positive side: ${err}`;
    return undefined;
  }
  if ((err = checkBuckets(h.positiveBuckets, pos, true)) !== undefined) return `positive side: ${err}`;
  const observed = neg.n + pos.n + h.zeroCount;
  if (Number.isNaN(h.sum)) {
    if (observed > h.count)
      return `${observed} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should be at least the number of observations found in the buckets`;
  } else if (observed !== h.count) {
    return `${observed} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)`;
  }
  return undefined;
}

/** Go's %v of a float64 (shortest form, exponent as Go writes it). */
function goValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e21)) {
    const [m, e] = v.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

/** Go's %f (six decimals). */
function goFixed(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}

/**
 * The upper bound of bucket `index` in `schema` (Prometheus's getBound): for exponential schemas
 * 2^(index · 2^-schema), computed as Prometheus does so the bounds match bit for bit at every schema;
 * for custom buckets the custom value (+Inf past the last).
 */
export function bucketUpperBound(index: number, schema: number, customValues?: readonly number[]): number {
  if (isCustomBucketsSchema(schema)) {
    const cv = customValues ?? [];
    if (index < 0) return -Infinity;
    return index < cv.length ? cv[index] : Infinity;
  }
  if (schema < 0) {
    const exp = index << -schema;
    if (exp === 1024) return Number.MAX_VALUE; // the last bucket before +Inf
    return 2 ** exp;
  }
  const fracIdx = index & ((1 << schema) - 1);
  const frac = EXPONENTIAL_BOUNDS[schema][fracIdx];
  const exp = (index >> schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

/** The bucket indexes the spans describe, in order. */
export function bucketIndexes(spans: readonly Span[]): number[] {
  const out: number[] = [];
  let idx = 0;
  // the first offset is the first index; later ones are gaps after the previous span's end
  for (const s of spans) {
    idx += s.offset;
    for (let k = 0; k < s.length; k++) out.push(idx + k);
    idx += s.length;
  }
  return out;
}

/**
 * The histogram without empty buckets, spans rebuilt (Prometheus's Compact(maxEmptyBuckets)): the
 * same observations, the smallest layout. Runs of up to `maxEmptyBuckets` empty (or absent) buckets
 * between two populated ones stay inside one span, as zeros; longer runs split the span. Integer
 * histograms keep delta-encoded buckets.
 */
export function compactHistogram<T extends Histogram | FloatHistogram>(
  h: T,
  isFloat: boolean,
  maxEmptyBuckets = 0,
): T {
  const side = (spans: readonly Span[], buckets: readonly number[]): { spans: Span[]; buckets: number[] } => {
    const idx = bucketIndexes(spans);
    const abs: number[] = [];
    let cur = 0;
    for (let i = 0; i < buckets.length; i++) abs.push(isFloat ? buckets[i] : (cur += buckets[i]));
    const outSpans: Span[] = [];
    const outAbs: number[] = [];
    let next = 0; // index after the last kept bucket
    for (let i = 0; i < abs.length; i++) {
      if (abs[i] === 0) continue;
      const last = outSpans[outSpans.length - 1];
      const gap = idx[i] - next;
      if (last !== undefined && gap <= maxEmptyBuckets) {
        for (let k = 0; k < gap; k++) outAbs.push(0);
        last.length += gap + 1;
      } else outSpans.push({ offset: last === undefined ? idx[i] : gap, length: 1 });
      next = idx[i] + 1;
      outAbs.push(abs[i]);
    }
    if (isFloat) return { spans: outSpans, buckets: outAbs };
    const deltas = outAbs.map((v, i) => (i === 0 ? v : v - outAbs[i - 1]));
    return { spans: outSpans, buckets: deltas };
  };
  const pos = side(h.positiveSpans, h.positiveBuckets);
  const neg = side(h.negativeSpans, h.negativeBuckets);
  return {
    ...h,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
  };
}

/**
 * The histogram at a lower exponential schema (Prometheus's ReduceResolution): each bucket goes to
 * the target bucket holding its range, index ((i - 1) >> (schema - target)) + 1, counts added.
 */
export function reduceResolution<T extends Histogram | FloatHistogram>(
  h: T,
  target: number,
  isFloat: boolean,
): T {
  if (target >= h.schema || isCustomBucketsSchema(h.schema)) return h;
  const shift = h.schema - target;
  const side = (spans: readonly Span[], buckets: readonly number[]): { spans: Span[]; buckets: number[] } => {
    const idx = bucketIndexes(spans);
    const newIdx: number[] = [];
    const counts: number[] = [];
    let cur = 0;
    for (let i = 0; i < buckets.length; i++) {
      const abs = isFloat ? buckets[i] : (cur += buckets[i]);
      const j = Math.floor((idx[i] - 1) / 2 ** shift) + 1;
      if (newIdx.length > 0 && newIdx[newIdx.length - 1] === j) counts[counts.length - 1] += abs;
      else {
        newIdx.push(j);
        counts.push(abs);
      }
    }
    const outSpans: Span[] = [];
    let next = 0;
    for (let i = 0; i < newIdx.length; i++) {
      const last = outSpans[outSpans.length - 1];
      if (last !== undefined && newIdx[i] === next) last.length++;
      else outSpans.push({ offset: last === undefined ? newIdx[i] : newIdx[i] - next, length: 1 });
      next = newIdx[i] + 1;
    }
    return {
      spans: outSpans,
      buckets: isFloat ? counts : counts.map((v, i) => (i === 0 ? v : v - counts[i - 1])),
    };
  };
  const pos = side(h.positiveSpans, h.positiveBuckets);
  const neg = side(h.negativeSpans, h.negativeBuckets);
  return {
    ...h,
    schema: target,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
  };
}

/** Prometheus's pickSchema: the highest schema whose bucket growth is at least `factor`. */
export function schemaForBucketFactor(factor: number): number {
  const f = factor <= 1 ? 1.00271 : factor;
  const floor = Math.floor(-Math.log2(Math.log2(f)));
  // + 0: no negative zero (log2(log2(2)) is -0)
  return Math.max(EXPONENTIAL_SCHEMA_MIN, Math.min(EXPONENTIAL_SCHEMA_MAX, floor)) + 0;
}

/** One bucket as Prometheus's bucket iterators describe it (bounds, which ends are inclusive, count). */
export interface Bucket {
  lower: number;
  upper: number;
  lowerInclusive: boolean;
  upperInclusive: boolean;
  count: number;
}

/**
 * Every bucket of a float histogram in Prometheus's AllBucketIterator order: negative buckets from
 * the lowest bound up, the zero bucket (when it holds observations), then the positive buckets; a
 * bucket reaching into the zero bucket is cut at the zero threshold.
 */
export function allBuckets(h: FloatHistogram): Bucket[] {
  const out: Bucket[] = [];
  const custom = isCustomBucketsSchema(h.schema);
  const make = (idx: number, count: number, positive: boolean): Bucket => {
    const b = regularBucket(h, idx, count, positive);
    if (custom) {
      b.lowerInclusive = idx === 0;
      b.upperInclusive = true;
    } else {
      b.lowerInclusive = b.lower < 0;
      b.upperInclusive = b.upper > 0;
      if (b.upper < 0 && b.upper > -h.zeroThreshold) b.upper = -h.zeroThreshold;
      else if (b.lower > 0 && b.lower < h.zeroThreshold) b.lower = h.zeroThreshold;
    }
    return b;
  };
  const negIdx = bucketIndexes(h.negativeSpans);
  for (let i = negIdx.length - 1; i >= 0; i--) out.push(make(negIdx[i], h.negativeBuckets[i], false));
  if (!custom && h.zeroCount > 0)
    out.push({
      lower: -h.zeroThreshold,
      upper: h.zeroThreshold,
      lowerInclusive: true,
      upperInclusive: true,
      count: h.zeroCount,
    });
  const posIdx = bucketIndexes(h.positiveSpans);
  for (let i = 0; i < posIdx.length; i++) out.push(make(posIdx[i], h.positiveBuckets[i], true));
  return out;
}

/**
 * The bucket at `idx` as Prometheus's regular bucket iterator gives it: bounds from the schema (or
 * custom bounds), unclamped; positive buckets (lower, upper], negative ones [lower, upper).
 */
function regularBucket(h: FloatHistogram, idx: number, count: number, positive: boolean): Bucket {
  return positive
    ? {
        lower: bucketUpperBound(idx - 1, h.schema, h.customValues),
        upper: bucketUpperBound(idx, h.schema, h.customValues),
        lowerInclusive: false,
        upperInclusive: true,
        count,
      }
    : {
        lower: -bucketUpperBound(idx, h.schema, h.customValues),
        upper: -bucketUpperBound(idx - 1, h.schema, h.customValues),
        lowerInclusive: true,
        upperInclusive: false,
        count,
      };
}

/** Spans for ascending bucket indexes: consecutive indexes in one span. */
export function spansForIndexes(idx: readonly number[]): Span[] {
  const out: Span[] = [];
  let next = 0;
  for (const j of idx) {
    const last = out[out.length - 1];
    if (last !== undefined && j === next) last.length++;
    else out.push({ offset: last === undefined ? j : j - next, length: 1 });
    next = j + 1;
  }
  return out;
}

/**
 * Prometheus's FloatHistogram.Mul(f) (or Div(f) with `divide`), compacted: every count and the sum
 * scaled; a negative factor makes a gauge; a division by zero leaves no buckets (the zero bucket,
 * count and sum become infinite or NaN).
 */
export function scaleFloatHistogram(h: FloatHistogram, f: number, divide: boolean): FloatHistogram {
  const m = divide ? (x: number) => x / f : (x: number) => x * f;
  const out: FloatHistogram = {
    ...h,
    count: m(h.count),
    sum: m(h.sum),
    zeroCount: m(h.zeroCount),
    positiveBuckets: h.positiveBuckets.map(m),
    negativeBuckets: h.negativeBuckets.map(m),
  };
  if (divide && f === 0) {
    out.positiveSpans = [];
    out.positiveBuckets = [];
    out.negativeSpans = [];
    out.negativeBuckets = [];
  }
  if (f < 0) out.counterResetHint = CounterResetHint.Gauge;
  return compactHistogram(out, true);
}

/**
 * a + b (or a - b), float histograms, with Prometheus's result layout (FloatHistogram.Add/Sub): the
 * higher schema is reduced to the lower one, and b's buckets are added into a's spans one by one (a
 * bucket next to a span extends it, the span after first; otherwise a new span; spans never merge; b's
 * leading buckets inside the zero bucket are skipped). Zero thresholds must match (the wider one is taken
 * and buckets inside it folded into the zero bucket otherwise); custom buckets need equal bounds.
 */
export function addFloatHistograms(
  a: FloatHistogram,
  b: FloatHistogram,
  subtract = false,
  out?: { counterResetCollision?: boolean; nhcbBoundsReconciled?: boolean },
): FloatHistogram {
  const sign = subtract ? -1 : 1;
  const hint = combinedHint(a.counterResetHint, b.counterResetHint);
  if (out !== undefined && hint === undefined) out.counterResetCollision = true;
  if (isCustomBucketsSchema(a.schema) !== isCustomBucketsSchema(b.schema))
    throw new Error(
      'cannot apply this operation on histograms with a mix of exponential and custom bucket schemas',
    );
  let x = a;
  let y = b;
  if (!isCustomBucketsSchema(a.schema)) {
    if (y.schema < x.schema) x = reduceResolution(x, y.schema, true);
    else if (y.schema > x.schema) y = reduceResolution(y, x.schema, true);
    if (x.zeroThreshold !== y.zeroThreshold) {
      const t = Math.max(x.zeroThreshold, y.zeroThreshold);
      x = widenZeroBucket(x, t);
      y = widenZeroBucket(y, t);
    }
  } else {
    const ca = a.customValues ?? [];
    const cb = b.customValues ?? [];
    if (ca.length !== cb.length || ca.some((v, i) => v !== cb[i])) {
      if (out !== undefined) out.nhcbBoundsReconciled = true;
      return {
        ...addCustomMismatched(a, b, sign, ca, cb),
        counterResetHint: hint ?? CounterResetHint.Unknown,
      };
    }
  }
  const side = (
    spansA: readonly Span[],
    bucketsA: readonly number[],
    spansB: readonly Span[],
    bucketsB: readonly number[],
  ) => {
    // absolute spans, so that an insertion is a local change; converted back to offsets at the end
    const spans: Array<{ start: number; len: number }> = [];
    let idx = 0;
    for (const s of spansA) {
      idx += s.offset;
      spans.push({ start: idx, len: s.length });
      idx += s.length;
    }
    const buckets = [...bucketsA];
    const idxB = bucketIndexes(spansB);
    let below = true;
    for (let i = 0; i < idxB.length; i++) {
      const j = idxB[i];
      if (below && isExponentialSchema(x.schema) && bucketUpperBound(j, x.schema) <= x.zeroThreshold)
        continue;
      below = false;
      const v = sign * bucketsB[i];
      let pos = 0; // bucket position of span k's first bucket
      let k = 0;
      while (k < spans.length && spans[k].start + spans[k].len <= j) pos += spans[k++].len;
      if (k < spans.length && spans[k].start <= j) {
        buckets[pos + j - spans[k].start] += v;
        continue;
      }
      // j lies before span k (or after the last one)
      if (k > 0 && spans[k - 1].start + spans[k - 1].len === j) {
        spans[k - 1].len++;
        buckets.splice(pos, 0, v);
      } else if (k < spans.length && spans[k].start === j + 1) {
        spans[k].start--;
        spans[k].len++;
        buckets.splice(pos, 0, v);
      } else {
        spans.splice(k, 0, { start: j, len: 1 });
        buckets.splice(pos, 0, v);
      }
    }
    const out: Span[] = [];
    let end = 0;
    spans.forEach((s, n) => {
      out.push({ offset: n === 0 ? s.start : s.start - end, length: s.len });
      end = s.start + s.len;
    });
    return { spans: out, buckets };
  };
  const pos = side(x.positiveSpans, x.positiveBuckets, y.positiveSpans, y.positiveBuckets);
  const neg = side(x.negativeSpans, x.negativeBuckets, y.negativeSpans, y.negativeBuckets);
  return {
    ...x,
    counterResetHint: hint ?? CounterResetHint.Unknown,
    count: x.count + sign * y.count,
    sum: x.sum + sign * y.sum,
    zeroCount: x.zeroCount + sign * y.zeroCount,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
  };
}

/**
 * a ± b for custom-bucket histograms with different bounds (Prometheus's intersectCustomBucketBounds
 * and addCustomBucketsWithMismatches): the bounds both have are kept, and each bucket's count goes to
 * the first kept bound at or above its own (the +Inf bucket past the last); empty buckets left out.
 */
function addCustomMismatched(
  a: FloatHistogram,
  b: FloatHistogram,
  sign: number,
  ca: readonly number[],
  cb: readonly number[],
): FloatHistogram {
  const bounds = intersectBounds(ca, cb);
  const ta = reconciledCounts(a, ca, bounds);
  const tb = reconciledCounts(b, cb, bounds);
  const target = ta.map((v, i) => v + sign * tb[i]);
  const spans: Span[] = [];
  const buckets: number[] = [];
  let last = -1;
  target.forEach((v, i) => {
    if (v === 0) return;
    buckets.push(v);
    if (spans.length > 0 && i === last + 1) spans[spans.length - 1].length++;
    else spans.push({ offset: spans.length === 0 ? i : i - last - 1, length: 1 });
    last = i;
  });
  return {
    ...a,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    positiveSpans: spans,
    positiveBuckets: buckets,
    customValues: bounds,
  };
}

/** The bounds two custom-bucket layouts share. */
function intersectBounds(ca: readonly number[], cb: readonly number[]): number[] {
  const bounds: number[] = [];
  for (let i = 0, j = 0; i < ca.length && j < cb.length;) {
    if (ca[i] === cb[j]) {
      bounds.push(ca[i]);
      i++;
      j++;
    } else if (ca[i] < cb[j]) i++;
    else j++;
  }
  return bounds;
}

/** A custom-bucket histogram's counts rolled up onto fewer bounds: each bucket to the first at or above its own. */
function reconciledCounts(h: FloatHistogram, own: readonly number[], bounds: readonly number[]): number[] {
  const target = new Array<number>(bounds.length + 1).fill(0);
  let k = 0;
  bucketIndexes(h.positiveSpans).forEach((idx, i) => {
    let to = bounds.length; // the +Inf bucket
    if (idx < own.length) {
      while (k < bounds.length && bounds[k] < own[idx]) k++;
      if (k < bounds.length) to = k;
    }
    target[to] += h.positiveBuckets[i];
  });
  return target;
}

/**
 * The hint of a sum or difference (Prometheus's adjustCounterReset): equal hints stay, a gauge makes
 * a gauge, an unknown makes an unknown; undefined for the collision of "reset" with "not a reset"
 * (the result is then unknown, with a warning where the caller gives one).
 */
function combinedHint(a: CounterResetHint, b: CounterResetHint): CounterResetHint | undefined {
  if (a === b) return a;
  if (a === CounterResetHint.Gauge || b === CounterResetHint.Gauge) return CounterResetHint.Gauge;
  if (a === CounterResetHint.Unknown || b === CounterResetHint.Unknown) return CounterResetHint.Unknown;
  return undefined;
}

/** The histogram with a zero bucket at least `t` wide: buckets inside it fold into the zero count. */
function widenZeroBucket(h: FloatHistogram, t: number): FloatHistogram {
  if (t <= h.zeroThreshold) return h;
  let zero = h.zeroCount;
  const side = (spans: readonly Span[], buckets: readonly number[]) => {
    const idx = bucketIndexes(spans);
    const keptIdx: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < idx.length; i++) {
      if (bucketUpperBound(idx[i], h.schema) <= t) zero += buckets[i];
      else {
        keptIdx.push(idx[i]);
        kept.push(buckets[i]);
      }
    }
    return { spans: spansForIndexes(keptIdx), buckets: kept };
  };
  const pos = side(h.positiveSpans, h.positiveBuckets);
  const neg = side(h.negativeSpans, h.negativeBuckets);
  return {
    ...h,
    zeroThreshold: t,
    zeroCount: zero,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
  };
}

/**
 * Prometheus's FloatHistogram.DetectReset: the hint when it says so, else any count going down (the
 * total, the zero bucket, a bucket at the current schema), a schema increase or a zero threshold
 * decrease.
 */
export function detectReset(cur: FloatHistogram, prev: FloatHistogram): boolean {
  if (cur.counterResetHint === CounterResetHint.CounterReset) return true;
  if (cur.counterResetHint === CounterResetHint.NotCounterReset) return false;
  if (cur.count < prev.count) return true;
  if (isCustomBucketsSchema(cur.schema) !== isCustomBucketsSchema(prev.schema)) return true;
  if (isCustomBucketsSchema(cur.schema)) {
    const cc = cur.customValues ?? [];
    const pc = prev.customValues ?? [];
    if (cc.length !== pc.length || cc.some((v, i) => v !== pc[i])) {
      // other bounds: a bucket of the shared bounds going down is a reset
      const bounds = intersectBounds(cc, pc);
      const now = reconciledCounts(cur, cc, bounds);
      const before = reconciledCounts(prev, pc, bounds);
      return now.some((v, i) => v < before[i]);
    }
  }
  if (!isCustomBucketsSchema(cur.schema)) {
    if (cur.schema > prev.schema) return true;
    if (cur.zeroThreshold < prev.zeroThreshold) return true;
  }
  const p = isCustomBucketsSchema(prev.schema) ? prev : reduceResolution(prev, cur.schema, true);
  // the previous zero bucket widened to the current threshold takes the buckets inside it
  let prevZero = p.zeroCount;
  const counts = (spans: readonly Span[], buckets: readonly number[], sign: number) => {
    const m = new Map<number, number>();
    bucketIndexes(spans).forEach((idx, i) => m.set(sign * (idx + 1e6), buckets[i]));
    return m;
  };
  const inZero = (idx: number): boolean =>
    !isCustomBucketsSchema(cur.schema) && bucketUpperBound(idx, cur.schema) <= cur.zeroThreshold;
  for (const [spans, buckets] of [
    [p.positiveSpans, p.positiveBuckets],
    [p.negativeSpans, p.negativeBuckets],
  ] as const) {
    bucketIndexes(spans).forEach((idx, i) => {
      if (inZero(idx)) prevZero += buckets[i];
    });
  }
  if (cur.zeroCount < prevZero) return true;
  const check = (
    ps: readonly Span[],
    pb: readonly number[],
    cs: readonly Span[],
    cb: readonly number[],
  ): boolean => {
    const c = counts(cs, cb, 1);
    const pi = bucketIndexes(ps);
    for (let i = 0; i < pi.length; i++) {
      if (inZero(pi[i]) || pb[i] === 0) continue;
      if ((c.get(pi[i] + 1e6) ?? 0) < pb[i]) return true;
    }
    return false;
  };
  return (
    check(p.positiveSpans, p.positiveBuckets, cur.positiveSpans, cur.positiveBuckets) ||
    check(p.negativeSpans, p.negativeBuckets, cur.negativeSpans, cur.negativeBuckets)
  );
}

/** Prometheus's FloatHistogram.Equals: every field, spans and buckets as they are. */
export function histogramsEqual(a: FloatHistogram, b: FloatHistogram): boolean {
  const sameNum = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));
  const sameList = (x: readonly number[], y: readonly number[]) =>
    x.length === y.length && x.every((v, i) => sameNum(v, y[i]));
  const sameSpans = (
    x: readonly { offset: number; length: number }[],
    y: readonly { offset: number; length: number }[],
  ) => x.length === y.length && x.every((s, i) => s.offset === y[i].offset && s.length === y[i].length);
  return (
    a.schema === b.schema &&
    sameNum(a.zeroThreshold, b.zeroThreshold) &&
    sameNum(a.zeroCount, b.zeroCount) &&
    sameNum(a.count, b.count) &&
    sameNum(a.sum, b.sum) &&
    sameSpans(a.positiveSpans, b.positiveSpans) &&
    sameSpans(a.negativeSpans, b.negativeSpans) &&
    sameList(a.positiveBuckets, b.positiveBuckets) &&
    sameList(a.negativeBuckets, b.negativeBuckets) &&
    sameList(a.customValues ?? [], b.customValues ?? [])
  );
}

/**
 * A counter reset between two histograms of one series: Prometheus's DetectReset (the total, the
 * zero bucket or any bucket going down, a schema increase, a zero threshold decrease); the kinds of
 * the two samples as they were appended.
 */
export function isCounterResetBetween(
  prev: Histogram | FloatHistogram,
  cur: Histogram | FloatHistogram,
  prevFloat: boolean,
  curFloat: boolean,
): boolean {
  if (cur.counterResetHint === CounterResetHint.CounterReset) return true;
  // Fast path, the common case of consecutive scrapes: the same kind and bucket layout. Then
  // DetectReset comes down to any count going down, compared bucket by bucket without allocating
  // (the general path below converts both and maps their buckets by index: half of an append's cost).
  if (prevFloat === curFloat && sameLayout(prev, cur)) {
    if (cur.count < prev.count || cur.zeroCount < prev.zeroCount) return true;
    return (
      bucketWentDown(prev.positiveBuckets, cur.positiveBuckets, curFloat) ||
      bucketWentDown(prev.negativeBuckets, cur.negativeBuckets, curFloat)
    );
  }
  const f = (x: Histogram | FloatHistogram, isFloat: boolean): FloatHistogram =>
    isFloat ? (x as FloatHistogram) : toFloatHistogram(x as Histogram);
  // the hint "not a reset" only speaks for the sample's own scrape; the data decides here
  const c = { ...f(cur, curFloat), counterResetHint: CounterResetHint.Unknown };
  return detectReset(c, f(prev, prevFloat));
}

/** The same schema, zero threshold, spans and custom bounds. */
function sameLayout(a: Histogram | FloatHistogram, b: Histogram | FloatHistogram): boolean {
  if (a.schema !== b.schema || a.zeroThreshold !== b.zeroThreshold) return false;
  const spans = (x: readonly Span[], y: readonly Span[]): boolean =>
    x.length === y.length && x.every((s, i) => s.offset === y[i].offset && s.length === y[i].length);
  if (!spans(a.positiveSpans, b.positiveSpans) || !spans(a.negativeSpans, b.negativeSpans)) return false;
  const ca = a.customValues;
  const cb = b.customValues;
  if (ca === cb) return true;
  const x = ca ?? [];
  const y = cb ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Whether any bucket count went down between two bucket lists of one layout (deltas when integer). */
function bucketWentDown(prev: readonly number[], cur: readonly number[], isFloat: boolean): boolean {
  let p = 0;
  let c = 0;
  for (let i = 0; i < cur.length; i++) {
    if (isFloat) {
      p = prev[i];
      c = cur[i];
    } else {
      p += prev[i];
      c += cur[i];
    }
    if (c < p) return true;
  }
  return false;
}

/**
 * Prometheus's FloatHistogram.String(), which count_values uses as a label value:
 * `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (0.5,1]:1}`, the populated buckets from the most
 * negative up, bounds unclamped, numbers as Go's %g.
 */
export function histogramString(h: FloatHistogram, g: (v: number) => string): string {
  let out = `{count:${g(h.count)}, sum:${g(h.sum)}`;
  const custom = isCustomBucketsSchema(h.schema);
  const negIdx = bucketIndexes(h.negativeSpans);
  for (let i = negIdx.length - 1; i >= 0; i--) {
    if (h.negativeBuckets[i] === 0) continue;
    const lower = -bucketUpperBound(negIdx[i], h.schema, h.customValues);
    const upper = -bucketUpperBound(negIdx[i] - 1, h.schema, h.customValues);
    out += `, [${g(lower)},${g(upper)}):${g(h.negativeBuckets[i])}`;
  }
  if (h.zeroCount !== 0) out += `, [${g(-h.zeroThreshold)},${g(h.zeroThreshold)}]:${g(h.zeroCount)}`;
  const posIdx = bucketIndexes(h.positiveSpans);
  for (let i = 0; i < posIdx.length; i++) {
    if (h.positiveBuckets[i] === 0) continue;
    const lower = bucketUpperBound(posIdx[i] - 1, h.schema, h.customValues);
    const upper = bucketUpperBound(posIdx[i], h.schema, h.customValues);
    const open = custom && posIdx[i] === 0 ? '[' : '(';
    out += `, ${open}${g(lower)},${g(upper)}]:${g(h.positiveBuckets[i])}`;
  }
  return out + '}';
}

/** Kahan-Neumaier step (Prometheus's kahansum.Inc): the compensation is dropped once the sum is infinite. */
function kahanStep(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/**
 * The sum, or mean, of histograms as Prometheus's sum/avg and sum_over_time/avg_over_time compute it
 * (KahanAdd into a running sum; a mean divides it at the end, or, once the sum would overflow, goes on
 * as an incremental mean with its compensation scaled along), compacted. Every count is summed per
 * bucket index with its own compensation, after bringing the inputs to the lowest schema, the widest
 * zero bucket and (custom buckets) the bounds they all share, so that the result's buckets are
 * Prometheus's. Hints combine as adjustCounterReset does. Throws when exponential and custom buckets
 * are mixed.
 */
export function kahanSumHistograms(
  hs: readonly FloatHistogram[],
  mean: boolean,
): { h: FloatHistogram; nhcbBoundsReconciled: boolean } {
  const custom = isCustomBucketsSchema(hs[0].schema);
  if (hs.some((h) => isCustomBucketsSchema(h.schema) !== custom))
    throw new Error(
      'cannot apply this operation on histograms with a mix of exponential and custom bucket schemas',
    );
  let hint: CounterResetHint = hs[0].counterResetHint;
  for (let i = 1; i < hs.length; i++)
    hint = combinedHint(hint, hs[i].counterResetHint) ?? CounterResetHint.Unknown;
  let inputs: FloatHistogram[];
  let bounds: number[] | undefined;
  let reconciled = false;
  if (custom) {
    bounds = hs[0].customValues ?? [];
    for (const h of hs.slice(1)) {
      const own = h.customValues ?? [];
      if (own.length !== bounds.length || own.some((v, i) => v !== bounds![i])) {
        reconciled = true;
        bounds = intersectBounds(bounds, own);
      }
    }
    const b = bounds;
    inputs = hs.map((h) => {
      const own = h.customValues ?? [];
      if (own.length === b.length && own.every((v, i) => v === b[i])) return h;
      const counts = reconciledCounts(h, own, b);
      return {
        ...h,
        positiveSpans: [{ offset: 0, length: counts.length }],
        positiveBuckets: counts,
        customValues: b,
      };
    });
  } else {
    const schema = Math.min(...hs.map((h) => h.schema));
    const zt = Math.max(...hs.map((h) => h.zeroThreshold));
    inputs = hs.map((h) => widenZeroBucket(reduceResolution(h, schema, true), zt));
  }
  // running sums (or means) and their compensations
  const acc = { count: [0, 0], sum: [0, 0], zero: [0, 0] } as Record<
    'count' | 'sum' | 'zero',
    [number, number]
  >;
  const pos = new Map<number, [number, number]>();
  const neg = new Map<number, [number, number]>();
  // h's counts divided by d (Prometheus's h.Copy().Div(n); 1 for a plain sum) added in
  const addInto = (
    m: Map<number, [number, number]>,
    spans: readonly Span[],
    buckets: readonly number[],
    d: number,
  ) => {
    bucketIndexes(spans).forEach((idx, i) => {
      const cur = m.get(idx) ?? [0, 0];
      m.set(idx, kahanStep(buckets[i] / d, cur[0], cur[1]));
    });
  };
  const add = (h: FloatHistogram, d: number): void => {
    acc.count = kahanStep(h.count / d, acc.count[0], acc.count[1]);
    acc.sum = kahanStep(h.sum / d, acc.sum[0], acc.sum[1]);
    acc.zero = kahanStep(h.zeroCount / d, acc.zero[0], acc.zero[1]);
    addInto(pos, h.positiveSpans, h.positiveBuckets, d);
    addInto(neg, h.negativeSpans, h.negativeBuckets, d);
  };
  // the sums and their compensations scaled: f is Prometheus's Mul(q) or Div(n)
  const scale = (f: (x: number) => number): void => {
    for (const k of ['count', 'sum', 'zero'] as const) acc[k] = [f(acc[k][0]), f(acc[k][1])];
    for (const m of [pos, neg]) for (const [k, v] of m) m.set(k, [f(v[0]), f(v[1])]);
  };
  // whether adding h to the running sums would overflow one of them (Prometheus's HasOverflow after
  // KahanAdd on a copy)
  const wouldOverflow = (h: FloatHistogram): boolean => {
    const inf = (a: number, b: number): boolean => Math.abs(a + b) === Infinity;
    if (inf(acc.count[0], h.count) || inf(acc.sum[0], h.sum) || inf(acc.zero[0], h.zeroCount)) return true;
    const side = (m: Map<number, [number, number]>, spans: readonly Span[], buckets: readonly number[]) =>
      bucketIndexes(spans).some((idx, i) => inf(m.get(idx)?.[0] ?? 0, buckets[i]));
    return side(pos, h.positiveSpans, h.positiveBuckets) || side(neg, h.negativeSpans, h.negativeBuckets);
  };
  add(inputs[0], 1);
  let incremental = false;
  for (let i = 1; i < inputs.length; i++) {
    const n = i + 1;
    if (!incremental) {
      if (!mean) {
        add(inputs[i], 1);
        continue;
      }
      if (!wouldOverflow(inputs[i])) {
        add(inputs[i], 1);
        continue;
      }
      incremental = true;
      scale((x) => x / (n - 1));
    }
    const q = (n - 1) / n;
    scale((x) => x * q);
    add(inputs[i], n);
  }
  const divisor = mean && !incremental ? inputs.length : 1;
  const value = (v: [number, number]): number =>
    divisor === 1 ? v[0] + v[1] : v[0] / divisor + v[1] / divisor;
  const side = (m: Map<number, [number, number]>): { spans: Span[]; buckets: number[] } => {
    const idx = [...m.keys()].sort((a, b) => a - b);
    const spans: Span[] = [];
    const buckets: number[] = [];
    let next = 0;
    for (const j of idx) {
      const v = value(m.get(j)!);
      if (v === 0) continue;
      const last = spans[spans.length - 1];
      if (last !== undefined && j === next) last.length++;
      else spans.push({ offset: last === undefined ? j : j - next, length: 1 });
      next = j + 1;
      buckets.push(v);
    }
    return { spans, buckets };
  };
  const p = side(pos);
  const ng = side(neg);
  const first = inputs[0];
  const h: FloatHistogram = {
    counterResetHint: hint,
    schema: first.schema,
    zeroThreshold: first.zeroThreshold,
    zeroCount: value(acc.zero),
    count: value(acc.count),
    sum: value(acc.sum),
    positiveSpans: p.spans,
    positiveBuckets: p.buckets,
    negativeSpans: ng.spans,
    negativeBuckets: ng.buckets,
  };
  if (bounds !== undefined) h.customValues = bounds;
  return { h, nhcbBoundsReconciled: reconciled };
}

/**
 * Prometheus's FloatHistogram.TrimBuckets, the trim operators: `h </ x` (upper) keeps the
 * observations below x, `h >/ x` those above. A bucket across x keeps the share of its count on the
 * kept side (linear for custom buckets and the zero bucket, on a log scale for exponential ones);
 * a bucket reaching ±Inf is kept or dropped whole. When anything was cut, count and sum are
 * recomputed from what is left (each bucket's count at the midpoint of its kept part) and the
 * histogram is compacted; otherwise it is returned as it is.
 */
export function trimBuckets(h: FloatHistogram, rhs: number, upper: boolean): FloatHistogram {
  const custom = isCustomBucketsSchema(h.schema);
  let count = 0;
  let sum = 0;
  let trimmed = false;
  let hasPositive = false;
  let hasNegative = false;
  const side = (spans: readonly Span[], buckets: readonly number[], positive: boolean): number[] => {
    const out = [...buckets];
    bucketIndexes(spans).forEach((idx, i) => {
      const c = buckets[i];
      if (c === 0) return;
      if (positive) hasPositive = true;
      else hasNegative = true;
      const b = regularBucket(h, idx, c, positive);
      const whole = upper ? b.upper <= rhs : b.lower >= rhs;
      const partly = upper ? b.lower < rhs : b.upper > rhs;
      if (whole) {
        count += c;
        sum += trimMidpoint(b.lower, b.upper, positive, custom) * c;
      } else if (partly) {
        const [keep, mid] = trimBucket(b, rhs, upper, positive, custom);
        count += keep;
        sum += mid * keep;
        if (out[i] !== keep) {
          out[i] = keep;
          trimmed = true;
        }
      } else {
        out[i] = 0;
        trimmed = true;
      }
    });
    return out;
  };
  const pos = side(h.positiveSpans, h.positiveBuckets, true);
  const neg = side(h.negativeSpans, h.negativeBuckets, false);
  let zeroCount = h.zeroCount;
  if (h.zeroCount > 0) {
    let lower = -h.zeroThreshold;
    let up = h.zeroThreshold;
    if (hasNegative && !hasPositive) up = 0;
    if (hasPositive && !hasNegative) lower = 0;
    let keep: number;
    let mid: number;
    if (upper) {
      if (rhs <= lower) [keep, mid] = [0, 0];
      else if (rhs >= up) [keep, mid] = [h.zeroCount, (lower + up) / 2];
      else [keep, mid] = [(h.zeroCount * (rhs - lower)) / (up - lower), (lower + rhs) / 2];
    } else if (rhs <= lower) [keep, mid] = [h.zeroCount, (lower + up) / 2];
    else if (rhs >= up) [keep, mid] = [0, 0];
    else [keep, mid] = [(h.zeroCount * (up - rhs)) / (up - lower), (rhs + up) / 2];
    if (keep !== h.zeroCount) {
      zeroCount = keep;
      trimmed = true;
    }
    sum += mid * keep;
    count += keep;
  }
  if (!trimmed) return h;
  return compactHistogram({ ...h, count, sum, zeroCount, positiveBuckets: pos, negativeBuckets: neg }, true);
}

/** The kept count of a bucket across the trim point, and the midpoint of its kept part. */
function trimBucket(
  b: Bucket,
  rhs: number,
  upper: boolean,
  positive: boolean,
  linear: boolean,
): [number, number] {
  if (b.lower === -Infinity || b.upper === Infinity) return trimInfiniteBucket(b, rhs, upper);
  let below: number;
  if (rhs <= b.lower) below = 0;
  else if (rhs >= b.upper) below = b.count;
  else if (linear) below = (b.count * (rhs - b.lower)) / (b.upper - b.lower);
  else {
    const lo = Math.log2(Math.abs(b.lower));
    const hi = Math.log2(Math.abs(b.upper));
    const v = Math.log2(Math.abs(rhs));
    below = b.count * (rhs > 0 ? (v - lo) / (hi - lo) : 1 - (v - hi) / (lo - hi));
  }
  return upper
    ? [below, trimMidpoint(b.lower, rhs, positive, linear)]
    : [b.count - below, trimMidpoint(rhs, b.upper, positive, linear)];
}

/** A bucket reaching -Inf or +Inf (custom buckets): kept or dropped whole, or linearly from 0. */
function trimInfiniteBucket(b: Bucket, rhs: number, upper: boolean): [number, number] {
  const finite = (x: number): number => (x === Infinity || x === -Infinity ? 0 : x);
  if (b.lower === -Infinity) {
    if (upper) {
      if (rhs >= b.upper) return [b.count, 0];
      if (rhs > 0 && b.upper > 0 && b.upper !== Infinity) return [(b.count * rhs) / b.upper, rhs / 2];
      if (b.upper <= 0) return [b.count, rhs];
      return [0, finite(b.upper)];
    }
    if (rhs <= b.lower) return [b.count, 0];
    if (rhs >= 0 && b.upper > rhs && b.upper !== Infinity)
      return [b.count * (1 - rhs / b.upper), (rhs + b.upper) / 2];
    return [0, finite(b.upper)];
  }
  if (upper) return [0, finite(b.lower)];
  if (rhs >= b.lower) return [b.count, rhs];
  return [0, finite(b.lower)];
}

/** The midpoint of a bucket's kept part: arithmetic (linear) or geometric, toward finite bounds. */
function trimMidpoint(lower: number, upper: number, positive: boolean, linear: boolean): number {
  if (lower === Infinity || lower === -Infinity) {
    if (upper === Infinity || upper === -Infinity) return 0;
    return upper > 0 ? upper / 2 : upper;
  }
  if (upper === Infinity || upper === -Infinity) return lower;
  if (linear) return (lower + upper) / 2;
  const g = Math.sqrt(Math.abs(lower * upper));
  return positive ? g : -g;
}
