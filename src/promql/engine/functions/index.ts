// Every PromQL function implementation by name, for the evaluator.
//
// Metric-name handling (delayed removal, as Prometheus 3 does): functions never delete __name__
// themselves; they set `dropName: true` on results whose name Prometheus drops (math, clamp, round,
// timestamp, calendar functions with an argument, histogram_*, and every range function except
// first_over_time/last_over_time), and pass an input's `dropName` through where Prometheus keeps the
// name (sort*, label_replace/label_join unless they write __name__, first/last_over_time).
//
// Not here (engine-handled): absent() (needs the selector's matchers), info(), start()/end()/
// range()/step(), integral(). absent_over_time returns 1 per present series; the engine shapes it.
import type { FunctionImpl } from './types.js';
import { HISTOGRAM_FUNCTIONS } from './histogram.js';
import { LABEL_FUNCTIONS } from './labels.js';
import { MATH_FUNCTIONS } from './math.js';
import { RANGE_FUNCTIONS } from './range.js';
import { SORT_FUNCTIONS } from './sort.js';
import { TIME_FUNCTIONS } from './time.js';

export const FUNCTION_IMPLS: Record<string, FunctionImpl> = {
  ...MATH_FUNCTIONS,
  ...TIME_FUNCTIONS,
  ...RANGE_FUNCTIONS,
  ...LABEL_FUNCTIONS,
  ...SORT_FUNCTIONS,
  ...HISTOGRAM_FUNCTIONS,
};

export type { FunctionImpl } from './types.js';
export { bucketQuantile, bucketFraction, parseBound, formatOpenMetricsFloat } from './histogram.js';
export { quantile, kahanInc } from './util.js';
export { invalidQuantileMessage } from './range.js';
export { natsortLess } from './sort.js';
export { expandTemplate, isValidLabelName } from './labels.js';
