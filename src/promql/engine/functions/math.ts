// Element-wise math on instant vectors. All of these drop the metric name, as in Prometheus.
import type { FunctionImpl, InstantVector } from './types.js';
import { dropped, scalarArg, vectorArg } from './util.js';

function simple(f: (v: number) => number): FunctionImpl {
  return (args) => {
    const out: InstantVector = [];
    for (const el of vectorArg(args, 0)) out.push(dropped(el, f(el.v)));
    return out;
  };
}

function clamp(minVal: number, maxVal: number, vec: InstantVector): InstantVector {
  if (maxVal < minVal) return [];
  const out: InstantVector = [];
  // Go's math.Max/Min propagate NaN.
  for (const el of vec) out.push(dropped(el, Math.max(minVal, Math.min(maxVal, el.v))));
  return out;
}

function sgn(v: number): number {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;
}

export const MATH_FUNCTIONS: Record<string, FunctionImpl> = {
  abs: simple(Math.abs),
  ceil: simple(Math.ceil),
  floor: simple(Math.floor),
  exp: simple(Math.exp),
  sqrt: simple(Math.sqrt),
  ln: simple(Math.log),
  log2: simple(Math.log2),
  log10: simple(Math.log10),
  sin: simple(Math.sin),
  cos: simple(Math.cos),
  tan: simple(Math.tan),
  asin: simple(Math.asin),
  acos: simple(Math.acos),
  atan: simple(Math.atan),
  sinh: simple(Math.sinh),
  cosh: simple(Math.cosh),
  tanh: simple(Math.tanh),
  asinh: simple(Math.asinh),
  acosh: simple(Math.acosh),
  atanh: simple(Math.atanh),
  rad: simple((v) => (v * Math.PI) / 180),
  deg: simple((v) => (v * 180) / Math.PI),
  sgn: simple(sgn),
  clamp: (args) => clamp(scalarArg(args, 1), scalarArg(args, 2), vectorArg(args, 0)),
  clamp_max: (args) => clamp(-Infinity, scalarArg(args, 1), vectorArg(args, 0)),
  clamp_min: (args) => clamp(scalarArg(args, 1), Infinity, vectorArg(args, 0)),
  round: (args) => {
    const toNearest = args.length >= 2 ? scalarArg(args, 1) : 1;
    // Inverted, as Prometheus does, for fewer floating point accuracy issues; ties round up.
    const inv = 1 / toNearest;
    const out: InstantVector = [];
    for (const el of vectorArg(args, 0)) out.push(dropped(el, Math.floor(el.v * inv + 0.5) / inv));
    return out;
  },
  /**
   * The sample timestamps in seconds; the engine supplies each element's sample time in `t`. The result
   * is stamped with the evaluation time, as every function result, so that an outer timestamp() reads
   * that (an `@` inside must not leak out).
   */
  timestamp: (args, ctx) =>
    vectorArg(args, 0).map((el) => ({ labels: el.labels, t: ctx.evalTime, v: el.t / 1000, dropName: true })),
  /** Start timestamps in seconds (0 when unknown): the engine supplies each element's in `t`. */
  start_timestamp: (args, ctx) =>
    vectorArg(args, 0).map((el) => ({ labels: el.labels, t: ctx.evalTime, v: el.t / 1000, dropName: true })),
  pi: () => Math.PI,
  // Experimental scalar min/max; NaN in either argument gives NaN, as Go's math.Min/Max.
  min_of: (args) => Math.min(scalarArg(args, 0), scalarArg(args, 1)),
  max_of: (args) => Math.max(scalarArg(args, 0), scalarArg(args, 1)),
};
