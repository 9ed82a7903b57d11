// The shape every exposition parser hands to the scrape loop (DESIGN.md §4): a pull parser that
// yields one entry at a time without allocating per sample. For a sample, `seriesText()` is the
// series exactly as written in the body (name and label set), so the scrape cache can recognise an
// unchanged series with one map lookup and call `labels()` only for series it has not seen.
import type { FloatHistogram, Histogram } from '../histogram.js';
import type { Labels } from '../labels.js';

export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

/** Entry kinds returned by `ExpositionParser.next()`. */
export const Entry = {
  EOF: 0,
  Series: 1,
  Type: 2,
  Help: 3,
  Unit: 4,
  Comment: 5,
  /** A native histogram sample (the protobuf format with native histograms scraped). */
  Histogram: 6,
} as const;
export type EntryKind = (typeof Entry)[keyof typeof Entry];

export interface Exemplar {
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch, when the exemplar has a timestamp. */
  timestamp?: number;
}

export interface ExpositionParser {
  /** Advances to the next entry; Entry.EOF at the end of the body. Throws ParseError on malformed input. */
  next(): EntryKind;

  /**
   * Scrape-cache hint for the following `next()`: the series text the caller expects next (what
   * `seriesText()` gave at this position in the previous scrape). When the body has exactly that
   * series there, the parser skips scanning it and `seriesText()` returns this very string, so the
   * caller recognises a hit by identity. A wrong hint costs one comparison and changes no result.
   */
  expectSeries(text: string | undefined): void;

  // After Entry.Series:
  /** The series as written (metric name and label set, without value and timestamp): the scrape-cache key. */
  seriesText(): string;
  value(): number;
  /** The sample's own timestamp in milliseconds, or undefined when it has none. */
  timestamp(): number | undefined;
  /** The series' labels including __name__; parses `seriesText()`, so call it only on a cache miss. */
  labels(): Labels;
  /** A label name the series repeats (`m{x="1",x="2"}`), which labels() cannot show; call on a cache miss. */
  repeatedLabelName(): string | undefined;
  /**
   * The sample's start (created) timestamp in ms, if the format gives one (protobuf counters,
   * summaries and histograms); parsers without start timestamps leave it out.
   */
  startTimestamp?(): number | undefined;
  /** The exemplar attached to this sample (OpenMetrics), if any. */
  exemplar(): Exemplar | undefined;
  /** After Entry.Histogram: the native histogram (integer h or float fh); parsers that never yield it leave it out. */
  histogram?(): { h?: Histogram; fh?: FloatHistogram };

  // After Entry.Type, Entry.Help or Entry.Unit:
  /** The metric family the metadata line names. */
  family(): string;
  metricType(): MetricType;
  help(): string;
  unit(): string;
  /**
   * The metadata entry as written (its whole line), so that the scrape loop can recognise a line
   * unchanged since the previous scrape with one comparison; parsers of formats without lines (protobuf)
   * leave it out.
   */
  metadataText?(): string | undefined;
}

/** A malformed exposition body: the whole scrape that got it fails. */
export class ParseError extends Error {
  constructor(
    /** Prometheus-style reason, e.g. `expected label name, got "BCLOSE"`. */
    readonly reason: string,
    /** 1-based line and column of the offending input. */
    readonly line: number,
    readonly column: number,
    /** A short piece of the offending line, for logs and the targets page. */
    readonly excerpt: string,
  ) {
    super(
      `${line}:${column}: parse error: ${reason}${excerpt === '' ? '' : ` in ${JSON.stringify(excerpt)}`}`,
    );
    this.name = 'ParseError';
  }
}

/** One metric family with its samples, as the writer takes it (for /metrics and /federate). */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  samples: Array<{ labels: Labels; value: number; timestamp?: number; exemplar?: Exemplar }>;
}
