// The engine's public value types: what an instant or range query returns.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Labels } from '../../model/labels.js';

export interface EngineOptions {
  /** How far back a vector selector looks for a sample (ms); Prometheus's default is 5m. */
  lookbackDelta: number;
  /** Query timeout (ms). */
  timeout: number;
  /** Most samples a query may hold in memory at once. */
  maxSamples: number;
  /** Enabled experimental features (e.g. 'promql-experimental-functions', 'promql-delayed-name-removal'). */
  features?: ReadonlySet<string>;
  /** Default subquery step / global evaluation interval (ms); 60000 when unset. */
  defaultEvaluationInterval?: number;
}

export interface Sample {
  labels: Labels;
  t: number;
  v: number;
  /** A native histogram instead of `v`. */
  h?: FloatHistogram;
}

export interface SeriesPoints {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  /** Native histogram points, aligned with t (undefined where the point is a float); absent: none. */
  h?: Array<FloatHistogram | undefined>;
}

export type QueryValue =
  | { type: 'scalar'; t: number; v: number }
  | { type: 'string'; t: number; v: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; series: SeriesPoints[] };

export interface QueryResult {
  value: QueryValue;
  warnings: string[];
  infos: string[];
  stats?: {
    samplesLoaded: number;
    /** Time (ms) selecting series, evaluating and sorting the result. */
    prepareMs: number;
    evalMs: number;
    sortMs: number;
  };
}
