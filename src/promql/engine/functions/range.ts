// Range-vector functions: rate family, *_over_time, regression, resets/changes, smoothing.
// Each is called once per evaluation step with all series of its matrix argument.
import { METRIC_NAME } from '../../../model/labels.js';
import {
  isStartTimestampReset,
  startTimeOverlaps,
  startTimeOverlapWarning,
  stResetAt,
} from './start-time.js';
import type { FunctionArg, FunctionContext, FunctionImpl, InstantVector, RangeSeries } from './types.js';
import {
  formatF,
  formatG,
  kahanInc,
  matrixArg,
  points,
  quantile,
  quantileOfFloats,
  scalarArg,
  searchIndex,
  type Points,
} from './util.js';

/** Applies `fn` to each series with at least one float sample in its window; NaN-free `undefined` drops it. */
function overSeries(
  args: FunctionArg[],
  ctx: FunctionContext,
  fn: (p: Points, s: RangeSeries) => number | undefined,
  keepName = false,
): InstantVector {
  const { series } = matrixArg(args, 0);
  const out: InstantVector = [];
  for (const s of series) {
    const p = points(s);
    if (p.n === 0) continue;
    const v = fn(p, s);
    if (v === undefined) continue;
    out.push({ labels: s.labels, t: ctx.evalTime, v, dropName: keepName ? s.dropName : true });
  }
  return out;
}

// === rate / increase / delta ===

/**
 * Prometheus's extrapolatedRate over samples [lo, hi) of t/v. Takes the bounds rather than a Points
 * view: rate over a range query calls this for every series at every step, and a window without
 * stale markers is read in place, without allocating subarrays.
 */
export function extrapolatedRate(
  t: Float64Array,
  v: Float64Array,
  lo: number,
  hi: number,
  ctx: Pick<FunctionContext, 'rangeStart' | 'rangeEnd'>,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
  st?: Float64Array,
  onOverlap?: () => void,
): number | undefined {
  const n = hi - lo;
  // one sample is enough when its start timestamp lies in the window (below); otherwise two
  if (n < 1 || (n < 2 && !(isCounter && st !== undefined))) return undefined;
  const firstT = t[lo];
  const lastT = t[hi - 1];
  const firstV = v[lo];
  let result = v[hi - 1] - firstV;
  if (isCounter) {
    if (st === undefined) {
      for (let i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) result += v[i - 1];
    } else {
      let overlap = false;
      for (let i = lo + 1; i < hi; i++) {
        if (!overlap && startTimeOverlaps(st[i - 1], t[i - 1], st[i])) {
          overlap = true;
          onOverlap?.();
        }
        if (v[i] < v[i - 1] || isStartTimestampReset(st[i - 1], t[i - 1], st[i], t[i])) result += v[i - 1];
      }
    }
  }
  let durationToStart = (firstT - ctx.rangeStart) / 1000;
  let durationToEnd = (ctx.rangeEnd - lastT) / 1000;
  let sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = n > 1 ? sampledInterval / (n - 1) : 0;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  const firstST = isCounter && st !== undefined ? st[lo] : 0;
  if (firstST !== 0 && firstST > ctx.rangeStart && firstST < firstT) {
    // the counter started inside the window: a zero sample at its start replaces extrapolating left
    durationToStart = 0;
    sampledInterval = (lastT - firstST) / 1000;
    result += firstV;
  } else if (n < 2) return undefined;
  else {
    if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
    if (isCounter) {
      let durationToZero = durationToStart;
      if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor =
    sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

// === anchored / smoothed rate, increase, delta (promql-extended-range-selectors) ===

/** Linear interpolation at `at`; for counters a reset between the points counts from zero. */
function interpolate(t1: number, y1: number, t2: number, y2: number, at: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (at - t1)) / (t2 - t1);
}

/**
 * Prometheus's extendedRate. The points hold the samples in the window plus the last one at or
 * before rangeStart and, for smoothed, the first one at or after rangeEnd.
 */
export function extendedRate(
  p: Points,
  ctx: FunctionContext,
  rangeMs: number,
  smoothed: boolean,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const { t, v } = p;
  const { rangeStart, rangeEnd } = ctx;
  let last = p.n - 1;
  let first = Math.max(0, searchIndex(last, (i) => t[i] > rangeStart) - 1);
  if (smoothed) last = searchIndex(last, (i) => t[i] >= rangeEnd);
  if (t[last] <= rangeStart) return undefined;
  if (smoothed && t[first] > rangeEnd) return undefined;
  const left =
    smoothed && t[first] < rangeStart
      ? interpolate(t[first], v[first], t[first + 1], v[first + 1], rangeStart, isCounter)
      : v[first];
  const right =
    smoothed && last > 0 && t[last] > rangeEnd
      ? interpolate(t[last - 1], v[last - 1], t[last], v[last], rangeEnd, isCounter)
      : v[last];
  let result = right - left;
  if (isCounter) {
    // only samples strictly inside the window; the boundaries handled resets themselves
    if (t[first] <= rangeStart) first++;
    if (t[last] >= rangeEnd) last--;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (v[i] < prev) result += prev;
      prev = v[i];
    }
    if (right < prev) result += prev;
  }
  if (isRate) result /= rangeMs / 1000;
  return result;
}

function rateFn(isCounter: boolean, isRate: boolean): FunctionImpl {
  return (args, ctx) => {
    const { range } = matrixArg(args, 0);
    const a = args[0];
    const mod = a?.type === 'matrix' ? a.rangeModifier : undefined;
    if (mod !== undefined) {
      const smoothed = mod === 'smoothed';
      return overSeries(args, ctx, (p) => extendedRate(p, ctx, range, smoothed, isCounter, isRate));
    }
    const { series } = matrixArg(args, 0);
    const out: InstantVector = [];
    for (const s of series) {
      let v: number | undefined;
      const onOverlap = (): void =>
        ctx.annotations.warn(startTimeOverlapWarning(s.labels.get(METRIC_NAME) ?? ''));
      if (s.noStale === true)
        v = extrapolatedRate(s.t, s.v, s.from, s.to, ctx, range, isCounter, isRate, s.st, onOverlap);
      else {
        const p = points(s);
        v = extrapolatedRate(p.t, p.v, 0, p.n, ctx, range, isCounter, isRate, p.st, onOverlap);
      }
      if (v !== undefined) out.push({ labels: s.labels, t: ctx.evalTime, v, dropName: true });
    }
    return out;
  };
}

// === irate / idelta ===

function instantValue(p: Points, isRate: boolean): number | undefined {
  const n = p.n;
  if (n < 2) return undefined;
  const t0 = p.t[n - 2];
  const t1 = p.t[n - 1];
  const v0 = p.v[n - 2];
  const v1 = p.v[n - 1];
  const interval = t1 - t0;
  if (interval === 0) return undefined;
  let r = v1;
  // For a counter reset, irate keeps the last value (as if it started from zero).
  if (!isRate || !(v1 < v0 || stResetAt(p.st, p.t, n - 1))) r = v1 - v0;
  if (isRate) r /= interval / 1000;
  return r;
}

// === *_over_time ===

function avg(p: Points): number {
  const { v, n } = p;
  let sum = v[0];
  let count = 1;
  let mean = 0;
  let c = 0;
  let incremental = false;
  for (let i = 1; i < n; i++) {
    const f = v[i];
    count = i + 1;
    if (!incremental) {
      const [ns, nc] = kahanInc(f, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanInc(f / count, q * mean, q * c);
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

function sum(p: Points): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < p.n; i++) [s, c] = kahanInc(p.v[i], s, c);
  if (s === Infinity || s === -Infinity) return s;
  return s + c;
}

function variance(p: Points): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = 0; i < p.n; i++) {
    const f = p.v[i];
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** max/min and their timestamps; `better(cur, best)` decides replacement (NaN best is always replaced). */
function compare(p: Points, better: (cur: number, best: number) => boolean, returnTs: boolean): number {
  let best = p.v[0];
  let ts = p.t[0];
  for (let i = 0; i < p.n; i++) {
    const f = p.v[i];
    if (better(f, best) || Number.isNaN(best)) {
      best = f;
      ts = p.t[i];
    }
  }
  return returnTs ? ts / 1000 : best;
}

function linearRegression(p: Points, interceptTime: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = p.v[0];
  let constY = true;
  for (let i = 0; i < p.n; i++) {
    const y = p.v[i];
    if (constY && i > 0 && y !== initY) constY = false;
    n += 1;
    const x = (p.t[i] - interceptTime) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function doubleExponentialSmoothing(p: Points, sf: number, tf: number): number | undefined {
  const l = p.n;
  if (l < 2) return undefined;
  const v = p.v;
  let s0 = 0;
  let s1 = v[0];
  let b = v[1] - v[0];
  for (let i = 1; i < l; i++) {
    const x = sf * v[i];
    // trend value at index i-1
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

const desImpl: FunctionImpl = (args, ctx) => {
  const sf = scalarArg(args, 1);
  const tf = scalarArg(args, 2);
  // Prometheus validates only when there is a series to smooth.
  if (matrixArg(args, 0).series.length > 0) {
    if (sf <= 0 || sf >= 1)
      throw new Error(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatF(sf)}`);
    if (tf <= 0 || tf >= 1)
      throw new Error(`invalid trend factor. Expected: 0 < tf < 1, got: ${formatF(tf)}`);
  }
  return overSeries(args, ctx, (p) => doubleExponentialSmoothing(p, sf, tf));
};

function resets(p: Points): number {
  let r = 0;
  for (let i = 1; i < p.n; i++) if (p.v[i] < p.v[i - 1] || stResetAt(p.st, p.t, i)) r++;
  return r;
}

function changes(p: Points): number {
  let c = 0;
  for (let i = 1; i < p.n; i++) {
    const a = p.v[i - 1];
    const b = p.v[i];
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) c++;
  }
  return c;
}

/** The message Prometheus uses for a quantile outside [0, 1]. */
export function invalidQuantileMessage(q: number): string {
  return `quantile value should be between 0 and 1, got ${formatG(q)}`;
}

const quantileOverTime: FunctionImpl = (args, ctx) => {
  const q = scalarArg(args, 0);
  const { series } = matrixArg(args, 1);
  const out: InstantVector = [];
  let warned = false;
  for (const s of series) {
    const p = points(s);
    if (p.n === 0) continue;
    if (!warned && (Number.isNaN(q) || q < 0 || q > 1)) {
      ctx.annotations.warn(invalidQuantileMessage(q));
      warned = true;
    }
    out.push({
      labels: s.labels,
      t: ctx.evalTime,
      v: quantileOfFloats(q, p.v, p.n),
      dropName: true,
    });
  }
  return out;
};

function madOverTime(p: Points): number {
  const values = Array.from(p.v.subarray(0, p.n));
  // A NaN sample leaves the median, so the deviation, undefined: NaN rather than dropping it.
  if (values.some(Number.isNaN)) return NaN;
  const median = quantile(0.5, values.slice());
  return quantile(
    0.5,
    values.map((x) => Math.abs(x - median)),
  );
}

export const RANGE_FUNCTIONS: Record<string, FunctionImpl> = {
  rate: rateFn(true, true),
  increase: rateFn(true, false),
  delta: rateFn(false, false),
  irate: (args, ctx) => overSeries(args, ctx, (p) => instantValue(p, true)),
  idelta: (args, ctx) => overSeries(args, ctx, (p) => instantValue(p, false)),
  avg_over_time: (args, ctx) => overSeries(args, ctx, avg),
  sum_over_time: (args, ctx) => overSeries(args, ctx, sum),
  count_over_time: (args, ctx) => overSeries(args, ctx, (p) => p.n),
  min_over_time: (args, ctx) => overSeries(args, ctx, (p) => compare(p, (c, b) => c < b, false)),
  max_over_time: (args, ctx) => overSeries(args, ctx, (p) => compare(p, (c, b) => c > b, false)),
  ts_of_min_over_time: (args, ctx) => overSeries(args, ctx, (p) => compare(p, (c, b) => c <= b, true)),
  ts_of_max_over_time: (args, ctx) => overSeries(args, ctx, (p) => compare(p, (c, b) => c >= b, true)),
  ts_of_first_over_time: (args, ctx) => overSeries(args, ctx, (p) => p.t[0] / 1000),
  ts_of_last_over_time: (args, ctx) => overSeries(args, ctx, (p) => p.t[p.n - 1] / 1000),
  first_over_time: (args, ctx) => overSeries(args, ctx, (p) => p.v[0], true),
  last_over_time: (args, ctx) => overSeries(args, ctx, (p) => p.v[p.n - 1], true),
  present_over_time: (args, ctx) => overSeries(args, ctx, () => 1),
  // The engine turns this into the absent() shape; per series it only reports presence.
  absent_over_time: (args, ctx) => overSeries(args, ctx, () => 1),
  stddev_over_time: (args, ctx) => overSeries(args, ctx, (p) => Math.sqrt(variance(p))),
  stdvar_over_time: (args, ctx) => overSeries(args, ctx, variance),
  mad_over_time: (args, ctx) => overSeries(args, ctx, madOverTime),
  quantile_over_time: quantileOverTime,
  deriv: (args, ctx) => overSeries(args, ctx, (p) => (p.n < 2 ? undefined : linearRegression(p, p.t[0])[0])),
  predict_linear: (args, ctx) => {
    const duration = scalarArg(args, 1);
    return overSeries(args, ctx, (p) => {
      if (p.n < 2) return undefined;
      const [slope, intercept] = linearRegression(p, ctx.evalTime);
      return slope * duration + intercept;
    });
  },
  resets: (args, ctx) => overSeries(args, ctx, resets),
  changes: (args, ctx) => overSeries(args, ctx, changes),
  double_exponential_smoothing: desImpl,
  holt_winters: desImpl,
};
