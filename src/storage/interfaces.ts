// The seams between ingestion, storage and query (DESIGN.md §3). Scraping writes through Appender,
// PromQL and the API read through Querier; neither knows what is behind them.
import type { FloatHistogram, Histogram } from '../model/histogram.js';
import type { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';

/** A storage-assigned id for a series; 0 means "not known yet". */
export type SeriesRef = number;

/** Prometheus's storage.AppendOptions. */
export interface AppendOptions {
  /**
   * Refuse a sample that would go out of order even inside the out-of-order time window (scrape
   * report series and stale markers, rule results: Prometheus sets this for them).
   */
  discardOutOfOrder?: boolean;
}

export interface Appender {
  /**
   * Adds one sample. `ref` is what an earlier append returned for the same labels (0 when unknown);
   * returns the series' ref. `st` is the sample's start timestamp (ms; 0 or absent: unknown), which
   * storages without start timestamps leave out. Throws a StorageError (out of order, out of bounds, duplicate) for this
   * sample only: the rest of the batch still commits, as in Prometheus.
   */
  append(ref: SeriesRef, labels: Labels, t: number, v: number, st?: number): SeriesRef;
  /** Makes the batch durable (in the WAL) and visible; resolves when done. */
  commit(): Promise<void>;
  /** Drops the batch. */
  rollback(): void;
  /**
   * Adds one native histogram sample: an integer histogram `h` or a float histogram `fh` (Prometheus's
   * AppendHistogram). Storages without native histograms leave it out.
   */
  appendHistogram?(
    ref: SeriesRef,
    labels: Labels,
    t: number,
    h: Histogram | undefined,
    fh: FloatHistogram | undefined,
    st?: number,
  ): SeriesRef;
  /** Options for the following appends (storages without out-of-order support need not have it). */
  setOptions?(opts: AppendOptions | undefined): void;
}

export interface Appendable {
  appender(): Appender;
}

/** Samples of one series in time order, columnar. Values keep their bits (stale markers included). */
export interface SampleBatch {
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly length: number;
  /** Start timestamps aligned with t (0: unknown); absent when no sample has one. */
  readonly st?: Float64Array;
}

export interface Series {
  readonly labels: Labels;
  /** The series' samples within the querier's [mint, maxt], decoded on demand. */
  samples(): SampleBatch;
  /** Its native histogram samples within [mint, maxt], time-ordered (absent: none). */
  histograms?(): HistogramSample[];
}

/** Series sorted by labels. */
export interface SeriesSet extends Iterable<Series> {
  /** Non-fatal problems met while selecting (e.g. a damaged block skipped). */
  readonly warnings: readonly string[];
}

export interface SelectHints {
  /** Query start and end (ms) and step; a hint, the querier may return more. */
  start?: number;
  end?: number;
  step?: number;
  /** Range of a range selector (ms), and the function applied to it. */
  range?: number;
  func?: string;
}

export interface Querier {
  /** Series matching all matchers, with samples in [mint, maxt] of the querier. */
  select(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet;
  /** Sorted label names of series matching the matchers (all series when none). */
  labelNames(matchers?: readonly Matcher[]): string[];
  /** Sorted values of `name` among series matching the matchers. */
  labelValues(name: string, matchers?: readonly Matcher[]): string[];
  close(): void;
}

/** One select a query will make: its matchers and the data range (ms, inclusive) it reads. */
export interface SelectRequest {
  readonly matchers: readonly Matcher[];
  readonly mint: number;
  readonly maxt: number;
}

export interface Queryable {
  /** A consistent view of data in [mint, maxt] (inclusive, ms). */
  querier(mint: number, maxt: number): Querier;
  /**
   * Told every select a query will make, before it makes them: a store that answers from a snapshot
   * taken elsewhere (the query workers' view of the TSDB) fetches them all at once. Optional.
   */
  prepare?(selects: readonly SelectRequest[]): Promise<void>;
}

/** Labels ordering used for sorted series sets: by name/value pairs, element-wise. */
export function compareLabels(a: Labels, b: Labels): number {
  const x = a.pairs;
  const y = b.pairs;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/** A native histogram sample: exactly one of h (integer) and fh (float). */
export interface HistogramSample {
  t: number;
  /** Start timestamp (ms); 0 or absent: unknown. */
  st?: number;
  h?: Histogram;
  fh?: FloatHistogram;
}
