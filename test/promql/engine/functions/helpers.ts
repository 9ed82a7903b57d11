// Test helpers: promqltest-style `load` expansions turned into RangeSeries / vectors.
import { Labels } from '../../../../src/model/labels.js';
import { STALE_NAN } from '../../../../src/model/value.js';
import type {
  FunctionArg,
  FunctionContext,
  InstantVector,
  RangeSeries,
} from '../../../../src/promql/engine/functions/types.js';

/** Expands `0+10x3 5 _ stale NaN` into values (undefined = missing sample). */
export function expand(spec: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const num = (s: string): number =>
    s === 'Inf' || s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : s === 'NaN' ? NaN : Number(s);
  for (const tok of spec.trim().split(/\s+/)) {
    if (tok === '_') out.push(undefined);
    else if (tok === 'stale') out.push(STALE_NAN);
    else {
      const m = /^([+-]?(?:[\d.e+]+|Inf|NaN))([+-])([\d.e+]+|Inf)x(\d+)$/.exec(tok);
      if (m) {
        const start = num(m[1]);
        const step = num(m[3]) * (m[2] === '-' ? -1 : 1);
        for (let i = 0; i <= Number(m[4]); i++) out.push(start + step * i);
      } else out.push(num(tok));
    }
  }
  return out;
}

export interface TestSeries {
  labels: Labels;
  t: number[];
  v: number[];
}

/** `load <intervalMs>` of one series. */
export function load(intervalMs: number, labels: Record<string, string>, spec: string): TestSeries {
  const t: number[] = [];
  const v: number[] = [];
  expand(spec).forEach((x, i) => {
    if (x !== undefined) {
      t.push(i * intervalMs);
      v.push(x);
    }
  });
  return { labels: Labels.fromRecord(labels), t, v };
}

export function ctx(evalTime: number, rangeStart = evalTime, rangeEnd = evalTime) {
  const warns: string[] = [];
  const infos: string[] = [];
  const c: FunctionContext = {
    evalTime,
    rangeStart,
    rangeEnd,
    lookbackDelta: 300_000,
    annotations: { warn: (m) => warns.push(m), info: (m) => infos.push(m) },
    pos: { start: 0, end: 0 },
    features: new Set(['promql-experimental-functions']),
    queryStart: evalTime,
    queryEnd: evalTime,
    queryStep: 0,
    memo: new Map(),
  };
  return { c, warns, infos };
}

/** A matrix argument `series[range] offset` evaluated at `at` (ms), with the matching context. */
export function matrix(series: TestSeries[], at: number, range: number, offset = 0) {
  const end = at - offset;
  const start = end - range;
  const value: RangeSeries[] = series.map((s) => {
    const t = Float64Array.from(s.t);
    const v = Float64Array.from(s.v);
    let from = 0;
    while (from < t.length && t[from] <= start) from++;
    let to = from;
    while (to < t.length && t[to] <= end) to++;
    return { labels: s.labels, t, v, from, to };
  });
  const arg: FunctionArg = { type: 'matrix', value, range };
  return { arg, ...ctx(at, start, end) };
}

/** The instant vector of `series` at `at` (last sample within 5m). */
export function instant(series: TestSeries[], at: number): InstantVector {
  const out: InstantVector = [];
  for (const s of series) {
    let i = s.t.length - 1;
    while (i >= 0 && s.t[i] > at) i--;
    if (i >= 0 && s.t[i] > at - 300_000) out.push({ labels: s.labels, t: s.t[i], v: s.v[i] });
  }
  return out;
}

export const vec = (value: InstantVector): FunctionArg => ({ type: 'vector', value });
export const scalar = (value: number): FunctionArg => ({ type: 'scalar', value });
export const str = (value: string): FunctionArg => ({ type: 'string', value });

/** Result as {labels-string: value} for order-free comparison. */
export function byLabels(r: InstantVector | number): Record<string, number> {
  if (typeof r === 'number') throw new Error('expected a vector');
  const out: Record<string, number> = {};
  for (const el of r) out[el.labels.toString()] = el.v;
  return out;
}

export const m = (minutes: number): number => minutes * 60_000;
export const s = (seconds: number): number => seconds * 1000;
