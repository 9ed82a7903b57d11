// The contract between the evaluator and PromQL's functions. The evaluator resolves every argument
// for one evaluation step and calls the function; functions never touch storage.
import type { FloatHistogram } from '../../../model/histogram.js';
import type { Labels } from '../../../model/labels.js';

/** One element of an instant vector at the current step. */
export interface VectorElement {
  labels: Labels;
  t: number;
  v: number;
  /** A native histogram sample (then `v` means nothing). */
  h?: FloatHistogram;
  /** Set when the metric name is to be removed from the result (delayed __name__ removal). */
  dropName?: boolean;
}

export type InstantVector = VectorElement[];

/** One series of a range-vector argument: its samples with rangeStart < t <= rangeEnd at this step. */
export interface RangeSeries {
  labels: Labels;
  /** Timestamps and values; only indices [from, to) belong to this step's window. */
  t: Float64Array;
  v: Float64Array;
  from: number;
  to: number;
  /** Native histogram samples, aligned with t (undefined where the sample is a float). */
  h?: ReadonlyArray<FloatHistogram | undefined>;
  /**
   * Start timestamps aligned with t (0: unknown); only a selector's samples have them, and only
   * with the use-start-timestamps feature (rate, increase, irate and resets read them).
   */
  st?: Float64Array;
  dropName?: boolean;
  /** True when the window holds no stale marker (a range selector already left them out). */
  noStale?: boolean;
}

export type FunctionArg =
  | { type: 'vector'; value: InstantVector }
  | {
      type: 'matrix';
      value: RangeSeries[];
      range: number;
      /**
       * Experimental extended range selectors. When set, each series' [from, to) also holds the
       * last sample at or before rangeStart (within the lookback delta) and, for `smoothed`, the
       * first sample after rangeEnd (within the lookback delta).
       */
      rangeModifier?: 'anchored' | 'smoothed';
    }
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string };

export interface Annotations {
  /** Prometheus "PromQL warning: ..." annotations. */
  warn(message: string): void;
  /** Prometheus "PromQL info: ..." annotations. */
  info(message: string): void;
}

export interface FunctionContext {
  /** The step's evaluation time (ms). */
  evalTime: number;
  /** For range functions: the window (rangeStart, rangeEnd] in ms. */
  rangeStart: number;
  rangeEnd: number;
  lookbackDelta: number;
  annotations: Annotations;
  /** The function's call position in the query text (for annotation messages). */
  pos: { start: number; end: number };
  /** Enabled experimental features (e.g. 'promql-experimental-functions'). */
  features: ReadonlySet<string>;
  /** The query's start and end times and resolution step (ms), for start(), end(), range(), step(). */
  queryStart: number;
  queryEnd: number;
  queryStep: number;
  /**
   * Kept for this call of the function across the query's steps: a function may remember work that
   * does not change from step to step there (a compiled regex, a series' relabelled labels).
   */
  memo: Map<unknown, unknown>;
}

/** A function returns an instant vector, or a scalar for scalar-typed functions (time(), scalar(), ...). */
export type FunctionResult = InstantVector | number;

export type FunctionImpl = (args: FunctionArg[], ctx: FunctionContext) => FunctionResult;
