// Every PromQL function with its signature, as Prometheus's promql/parser/functions.go (3.x).
// `variadic`: 0 = fixed arity, n > 0 = up to n optional trailing args, -1 = unlimited repeats of the last type.
import type { ValueType } from './ast.js';

export interface FunctionDef {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Needs the 'promql-experimental-functions' feature. */
  readonly experimental: boolean;
}

const S: ValueType = 'scalar';
const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const STR: ValueType = 'string';

// [name, argTypes, variadic, returnType, experimental]
const table: [string, ValueType[], number, ValueType, boolean?][] = [
  ['abs', [V], 0, V],
  ['absent', [V], 0, V],
  ['absent_over_time', [M], 0, V],
  ['acos', [V], 0, V],
  ['acosh', [V], 0, V],
  ['asin', [V], 0, V],
  ['asinh', [V], 0, V],
  ['atan', [V], 0, V],
  ['atanh', [V], 0, V],
  ['avg_over_time', [M], 0, V],
  ['ceil', [V], 0, V],
  ['changes', [M], 0, V],
  ['clamp', [V, S, S], 0, V],
  ['clamp_max', [V, S], 0, V],
  ['clamp_min', [V, S], 0, V],
  ['cos', [V], 0, V],
  ['cosh', [V], 0, V],
  ['count_over_time', [M], 0, V],
  ['days_in_month', [V], 1, V],
  ['day_of_month', [V], 1, V],
  ['day_of_week', [V], 1, V],
  ['day_of_year', [V], 1, V],
  ['deg', [V], 0, V],
  ['delta', [M], 0, V],
  ['deriv', [M], 0, V],
  ['double_exponential_smoothing', [M, S, S], 0, V, true],
  ['end', [], 0, S, true],
  ['exp', [V], 0, V],
  ['first_over_time', [M], 0, V, true],
  ['floor', [V], 0, V],
  ['histogram_avg', [V], 0, V],
  ['histogram_count', [V], 0, V],
  ['histogram_fraction', [S, S, V], 0, V],
  ['histogram_quantile', [S, V], 0, V],
  ['histogram_quantiles', [V, STR, S, S], 9, V, true],
  ['histogram_stddev', [V], 0, V],
  ['histogram_stdvar', [V], 0, V],
  ['histogram_sum', [V], 0, V],
  ['hour', [V], 1, V],
  ['idelta', [M], 0, V],
  ['increase', [M], 0, V],
  ['info', [V, V], 1, V, true],
  ['integral', [M, S], 1, V, true],
  ['irate', [M], 0, V],
  ['label_join', [V, STR, STR, STR], -1, V],
  ['label_replace', [V, STR, STR, STR, STR], 0, V],
  ['last_over_time', [M], 0, V],
  ['ln', [V], 0, V],
  ['log10', [V], 0, V],
  ['log2', [V], 0, V],
  ['mad_over_time', [M], 0, V, true],
  ['max_of', [S, S], 0, S, true],
  ['max_over_time', [M], 0, V],
  ['min_of', [S, S], 0, S, true],
  ['min_over_time', [M], 0, V],
  ['minute', [V], 1, V],
  ['month', [V], 1, V],
  ['pi', [], 0, S],
  ['predict_linear', [M, S], 0, V],
  ['present_over_time', [M], 0, V],
  ['quantile_over_time', [S, M], 0, V],
  ['rad', [V], 0, V],
  ['range', [], 0, S, true],
  ['rate', [M], 0, V],
  ['resets', [M], 0, V],
  ['round', [V, S], 1, V],
  ['scalar', [V], 0, S],
  ['sgn', [V], 0, V],
  ['sin', [V], 0, V],
  ['sinh', [V], 0, V],
  ['sort', [V], 0, V],
  ['sort_by_label', [V, STR], -1, V, true],
  ['sort_by_label_desc', [V, STR], -1, V, true],
  ['sort_desc', [V], 0, V],
  ['sqrt', [V], 0, V],
  ['start', [], 0, S, true],
  ['start_timestamp', [V], 0, V, true],
  ['stddev_over_time', [M], 0, V],
  ['stdvar_over_time', [M], 0, V],
  ['step', [], 0, S, true],
  ['sum_over_time', [M], 0, V],
  ['tan', [V], 0, V],
  ['tanh', [V], 0, V],
  ['time', [], 0, S],
  ['timestamp', [V], 0, V],
  ['ts_of_first_over_time', [M], 0, V, true],
  ['ts_of_last_over_time', [M], 0, V, true],
  ['ts_of_max_over_time', [M], 0, V, true],
  ['ts_of_min_over_time', [M], 0, V, true],
  ['vector', [S], 0, V],
  ['year', [V], 1, V],
];

/** All functions by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(
  table.map(([name, argTypes, variadic, returnType, experimental]) => [
    name,
    Object.freeze({ name, argTypes, variadic, returnType, experimental: experimental ?? false }),
  ]),
);
