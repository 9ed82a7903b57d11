// Shared helpers for PromQL function implementations.
import { Labels } from '../../../model/labels.js';
import { isStaleNaN } from '../../../model/value.js';
import type { FunctionArg, InstantVector, RangeSeries, VectorElement } from './types.js';

/** The float samples of one series' window, with any stale markers left out. */
export interface Points {
  t: Float64Array;
  v: Float64Array;
  n: number;
  /** Start timestamps aligned with t, when the series has them (rate & co. read them). */
  st?: Float64Array;
}

/** The window [from, to) of `s` as zero-based views; copies only when stale markers must be dropped. */
export function points(s: RangeSeries): Points {
  const { from, to } = s;
  let stale = false;
  if (s.noStale !== true)
    for (let i = from; i < to; i++) {
      const x = s.v[i];
      if (x !== x && isStaleNaN(x)) {
        stale = true;
        break;
      }
    }
  if (!stale) {
    const p: Points = { t: s.t.subarray(from, to), v: s.v.subarray(from, to), n: to - from };
    if (s.st !== undefined) p.st = s.st.subarray(from, to);
    return p;
  }
  const t = new Float64Array(to - from);
  const v = new Float64Array(to - from);
  const st = s.st === undefined ? undefined : new Float64Array(to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    const x = s.v[i];
    if (x !== x && isStaleNaN(x)) continue;
    t[n] = s.t[i];
    v[n] = x;
    if (st !== undefined) st[n] = s.st![i];
    n++;
  }
  const p: Points = { t, v, n };
  if (st !== undefined) p.st = st;
  return p;
}

/** Go's sort.Search: the smallest i in [0, n) with f(i) true, or n. */
export function searchIndex(n: number, f: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!f(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Neumaier-improved Kahan summation step, as Prometheus's util/kahansum.Inc. Returns [sum, c]. */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

export function vectorArg(args: FunctionArg[], i: number): InstantVector {
  const a = args[i];
  if (a?.type !== 'vector') throw new Error(`function argument ${i} must be an instant vector`);
  return a.value;
}

export function matrixArg(args: FunctionArg[], i: number): { series: RangeSeries[]; range: number } {
  const a = args[i];
  if (a?.type !== 'matrix') throw new Error(`function argument ${i} must be a range vector`);
  return { series: a.value, range: a.range };
}

export function scalarArg(args: FunctionArg[], i: number): number {
  const a = args[i];
  if (a?.type === 'scalar') return a.value;
  // Prometheus hands scalars over as one-element vectors; accept that shape too.
  if (a?.type === 'vector' && a.value.length > 0) return a.value[0].v;
  throw new Error(`function argument ${i} must be a scalar`);
}

export function stringArg(args: FunctionArg[], i: number): string {
  const a = args[i];
  if (a?.type !== 'string') throw new Error(`function argument ${i} must be a string`);
  return a.value;
}

export function metricName(l: Labels): string {
  return l.get('__name__') ?? '';
}

/** Go's %g (shortest representation) for annotation messages. */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // Go's shortest %g switches to exponent form when exp < -4 || exp >= 21.
  const [mant, ex] = v.toExponential().split('e');
  const x = Number(ex);
  if (x < -4 || x >= 21) {
    const sign = x < 0 ? '-' : '+';
    const abs = Math.abs(x);
    return `${mant}e${sign}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v);
}

/** Go's %f: six decimals. */
export function formatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}

/** Prometheus's labels.Compare: pairwise by name then value, shorter set first. */
export function compareLabels(a: Labels, b: Labels): number {
  const p = a.pairs;
  const q = b.pairs;
  const n = Math.min(p.length, q.length);
  for (let i = 0; i < n; i++) {
    if (p[i] !== q[i]) return p[i] < q[i] ? -1 : 1;
  }
  return p.length - q.length;
}

/** Labels without the given names. */
export function withoutLabels(l: Labels, names: readonly string[]): Labels {
  const p = l.pairs;
  const out: string[] = [];
  for (let i = 0; i < p.length; i += 2) if (!names.includes(p[i])) out.push(p[i], p[i + 1]);
  return Labels.fromSortedPairs(out);
}

/** A key identifying a label set (names and values). */
export function labelsKey(l: Labels): string {
  return l.pairs.join('\xff');
}

/** Quantile of a list of values (sorted in place), as Prometheus's quantile(). */
let scratch = new Float64Array(256);

/**
 * quantile() over the first `n` of `src`, without sorting `src`: the numbers are sorted natively in a
 * scratch buffer, NaNs counted apart and placed first, as Prometheus's ordering has them.
 */
export function quantileOfFloats(q: number, src: Float64Array, n: number): number {
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  let nan = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i];
    if (x !== x) nan++;
    else scratch[k++] = x;
  }
  const sorted = scratch.subarray(0, k).sort();
  const at = (i: number): number => (i < nan ? NaN : sorted[i - nan]);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return at(lower) * (1 - weight) + at(upper) * weight;
}

export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // NaN sorts first, as Prometheus's vectorByValueHeap.
  values.sort((a, b) => {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a - b;
  });
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/** A result element for a vector function that drops the metric name. */
export function dropped(el: VectorElement, v: number): VectorElement {
  return { labels: el.labels, t: el.t, v, dropName: true };
}
