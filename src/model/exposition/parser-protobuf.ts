// The Prometheus protobuf exposition format (PrometheusProto: varint-length-delimited
// io.prometheus.client.MetricFamily messages), read as Prometheus's model/textparse/protobufparse.go
// reads it with native histograms not scraped: per family its HELP, UNIT (when set) and TYPE, then the
// series — counters, gauges and untyped as they are named; summaries as _count, _sum and one series per
// quantile; histograms (classic, and native ones read through their classic parts) as _count, _sum and
// _bucket{le} with a +Inf bucket added when absent. `le` and `quantile` values are written as
// OpenMetrics floats ("1.0"), a timestamp of 0 means none.
//
// The body is decoded in one pass into a compact entry list; the pull interface walks it. Series texts
// (the scrape cache's keys) are the name and the sorted label pairs joined with 0xff, as Prometheus's.
import { CounterResetHint, type FloatHistogram, type Histogram, type Span } from '../histogram.js';
import { Labels } from '../labels.js';
import { ProtoError, ProtoReader } from '../protobuf.js';
import { formatOpenMetricsFloat } from './writer.js';
import {
  Entry,
  ParseError,
  type EntryKind,
  type Exemplar,
  type ExpositionParser,
  type MetricType,
} from './types.js';

const enum ProtoType {
  Counter = 0,
  Gauge = 1,
  Summary = 2,
  Untyped = 3,
  Histogram = 4,
  GaugeHistogram = 5,
}

const TYPE_NAMES: Record<number, MetricType> = {
  [ProtoType.Counter]: 'counter',
  [ProtoType.Gauge]: 'gauge',
  [ProtoType.Summary]: 'summary',
  [ProtoType.Untyped]: 'unknown',
  [ProtoType.Histogram]: 'histogram',
  [ProtoType.GaugeHistogram]: 'gaugehistogram',
};

interface SeriesEntry {
  kind: typeof Entry.Series | typeof Entry.Histogram;
  /** Label pairs including __name__, sorted by name (duplicates kept next to each other). */
  pairs: string[];
  text: string;
  value: number;
  timestamp: number | undefined;
  /** Entry.Histogram: the native histogram. */
  hist?: { h?: Histogram; fh?: FloatHistogram };
  /** The family's start (created) timestamp in ms: counters, summaries and histograms (0: none). */
  st: number;
}

interface MetaEntry {
  kind: typeof Entry.Help | typeof Entry.Unit | typeof Entry.Type;
  family: string;
  help: string;
  unit: string;
  type: MetricType;
}

type ParsedEntry = SeriesEntry | MetaEntry;

interface ProtoMetric {
  labels: string[];
  timestampMs: number;
  value: number;
  /** start_timestamp of a Counter, Summary or Histogram in ms (0: none). */
  startMs: number;
  summary?: { count: number; sum: number; quantiles: Array<[number, number]>; startMs: number };
  histogram?: ProtoHistogram;
}

interface ProtoHistogram {
  /** start_timestamp in ms (0: none). */
  startMs: number;
  count: number;
  countFloat: number;
  sum: number;
  buckets: Array<[number, number]>;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  zeroCountFloat: number;
  negativeSpans: Span[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: Span[];
  positiveDeltas: number[];
  positiveCounts: number[];
}

export interface ProtobufParserOptions {
  /** scrape_native_histograms: native histograms come as Entry.Histogram (else through their classic parts). */
  nativeHistograms?: boolean;
  /** always_scrape_classic_histograms: a native histogram's classic parts come too. */
  alwaysScrapeClassicHistograms?: boolean;
}

/** Prometheus's isNativeHistogram: spans, a zero threshold or a zero count make it one. */
function isNative(h: ProtoHistogram): boolean {
  return (
    h.positiveSpans.length > 0 ||
    h.negativeSpans.length > 0 ||
    h.zeroThreshold > 0 ||
    h.zeroCount > 0 ||
    h.zeroCountFloat > 0
  );
}

const SEP = '\xff';
// Prometheus's UTF-8 metric name rule: any valid UTF-8 that is not empty
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export class ProtobufParser implements ExpositionParser {
  private readonly entries: ParsedEntry[] = [];
  private i = -1;
  private cur: ParsedEntry | undefined;

  constructor(
    body: Uint8Array,
    private readonly opts: ProtobufParserOptions = {},
  ) {
    try {
      this.decode(body);
    } catch (err) {
      if (err instanceof ParseError) throw err;
      throw new ParseError(
        err instanceof ProtoError || err instanceof TypeError ? `protobuf: ${err.message}` : String(err),
        1,
        1,
        '',
      );
    }
  }

  private decode(body: Uint8Array): void {
    const r = new ProtoReader(body);
    while (!r.done()) {
      const fam = r.sub();
      this.readFamily(fam);
    }
  }

  private readFamily(r: ProtoReader): void {
    let name = '';
    let help = '';
    let unit = '';
    let type: number = ProtoType.Counter;
    const metrics: ProtoReader[] = [];
    while (!r.done()) {
      const { field, wire } = r.tag();
      if (field === 1 && wire === 2) name = strictString(r);
      else if (field === 2 && wire === 2) help = strictString(r);
      else if (field === 3 && wire === 0) type = r.uvarint();
      else if (field === 4 && wire === 2) metrics.push(r.sub());
      else if (field === 5 && wire === 2) unit = r.string();
      else r.skip(wire);
    }
    // a family without metrics yields nothing, not even its metadata (as Prometheus's decoder skips it)
    if (metrics.length === 0) return;
    if (name === '') throw new ParseError('invalid metric name: ', 1, 1, '');
    const typeName = TYPE_NAMES[type];
    if (typeName === undefined)
      throw new ParseError(`unknown metric type for metric "${name}": ${type}`, 1, 1, '');
    const meta = (kind: MetaEntry['kind']): MetaEntry => ({ kind, family: name, help, unit, type: typeName });
    this.entries.push(meta(Entry.Help));
    if (unit !== '') this.entries.push(meta(Entry.Unit));
    this.entries.push(meta(Entry.Type));
    for (const m of metrics) this.metric(name, type, decodeMetric(m, type));
  }

  private metric(name: string, type: number, m: ProtoMetric): void {
    const ts = m.timestampMs !== 0 ? m.timestampMs : undefined;
    const add = (
      metricName: string,
      value: number,
      extra?: [string, string],
      hist?: SeriesEntry['hist'],
    ): void => {
      const pairs = ['__name__', metricName, ...m.labels];
      if (extra !== undefined) pairs.push(extra[0], extra[1]);
      const sorted = sortPairs(pairs);
      let text = metricName;
      for (let k = 0; k < sorted.length; k += 2) {
        if (sorted[k] === '__name__') continue;
        text += SEP + sorted[k] + SEP + sorted[k + 1];
      }
      const st = m.startMs;
      this.entries.push(
        hist === undefined
          ? { kind: Entry.Series, pairs: sorted, text, value, timestamp: ts, st }
          : { kind: Entry.Histogram, pairs: sorted, text, value, timestamp: ts, hist, st },
      );
    };
    switch (type) {
      case ProtoType.Summary: {
        const s = m.summary ?? { count: 0, sum: 0, quantiles: [], startMs: 0 };
        add(name + '_count', s.count);
        add(name + '_sum', s.sum);
        for (const [q, v] of s.quantiles) add(name, v, ['quantile', formatOpenMetricsFloat(q)]);
        return;
      }
      case ProtoType.Histogram:
      case ProtoType.GaugeHistogram: {
        const h = m.histogram ?? emptyHistogram();
        if (this.opts.nativeHistograms === true && isNative(h)) {
          add(name, 0, undefined, nativeOf(h, type === ProtoType.GaugeHistogram));
          if (this.opts.alwaysScrapeClassicHistograms !== true) return;
        }
        const count = h.countFloat !== 0 ? h.countFloat : h.count;
        add(name + '_count', count);
        add(name + '_sum', h.sum);
        let sawInf = false;
        for (const [le, v] of h.buckets) {
          add(name + '_bucket', v, ['le', formatOpenMetricsFloat(le)]);
          if (le === Infinity) {
            sawInf = true;
            break;
          }
        }
        if (!sawInf) add(name + '_bucket', count, ['le', '+Inf']);
        return;
      }
      default:
        add(name, m.value);
    }
  }

  next(): EntryKind {
    this.i++;
    this.cur = this.entries[this.i];
    return this.cur === undefined ? Entry.EOF : this.cur.kind;
  }

  expectSeries(): void {}

  private series(): SeriesEntry {
    return this.cur as SeriesEntry;
  }

  seriesText(): string {
    return this.series().text;
  }

  value(): number {
    return this.series().value;
  }

  timestamp(): number | undefined {
    return this.series().timestamp;
  }

  /** The sample's start timestamp in ms (Prometheus's StartTimestamp), undefined when none. */
  startTimestamp(): number | undefined {
    const st = this.series().st;
    return st !== 0 ? st : undefined;
  }

  labels(): Labels {
    return Labels.fromPairs(this.series().pairs);
  }

  repeatedLabelName(): string | undefined {
    const p = this.series().pairs;
    for (let k = 2; k < p.length; k += 2) if (p[k] === p[k - 2]) return p[k];
    return undefined;
  }

  exemplar(): Exemplar | undefined {
    return undefined;
  }

  histogram(): { h?: Histogram; fh?: FloatHistogram } {
    return this.series().hist ?? {};
  }

  private meta(): MetaEntry {
    return this.cur as MetaEntry;
  }

  family(): string {
    return this.meta().family;
  }

  metricType(): MetricType {
    return this.meta().type;
  }

  help(): string {
    return this.meta().help;
  }

  unit(): string {
    return this.meta().unit;
  }
}

/** A string field that must be valid UTF-8 (names and help, as Prometheus checks). */
function strictString(r: ProtoReader): string {
  const { start, end } = r.bytes();
  return textDecoder.decode(r.buf.subarray(start, end));
}

function sortPairs(pairs: string[]): string[] {
  const idx: number[] = [];
  for (let k = 0; k < pairs.length; k += 2) idx.push(k);
  idx.sort((a, b) => (pairs[a] < pairs[b] ? -1 : pairs[a] > pairs[b] ? 1 : a - b));
  const out: string[] = [];
  for (const k of idx) out.push(pairs[k], pairs[k + 1]);
  return out;
}

function decodeMetric(r: ProtoReader, type: number): ProtoMetric {
  const m: ProtoMetric = { labels: [], timestampMs: 0, value: 0, startMs: 0 };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: {
        // LabelPair
        const lp = r.sub();
        let n = '';
        let v = '';
        while (!lp.done()) {
          const t = lp.tag();
          if (t.field === 1 && t.wire === 2) n = lp.string();
          else if (t.field === 2 && t.wire === 2) v = lp.string();
          else lp.skip(t.wire);
        }
        m.labels.push(n, v);
        break;
      }
      case 2: // Gauge
      case 3: // Counter
      case 5: // Untyped
        if (wire !== 2) r.skip(wire);
        else if (field === 3 && type === ProtoType.Counter) {
          const c = r.sub();
          while (!c.done()) {
            const t = c.tag();
            if (t.field === 1 && t.wire === 1) m.value = c.double();
            else if (t.field === 3 && t.wire === 2) m.startMs = timestampMs(c.sub());
            else c.skip(t.wire);
          }
        } else if ((field === 2 && type === ProtoType.Gauge) || (field === 5 && type === ProtoType.Untyped))
          m.value = valueField(r.sub());
        else r.skip(wire);
        break;
      case 4:
        if (wire === 2 && type === ProtoType.Summary) {
          m.summary = decodeSummary(r.sub());
          m.startMs = m.summary.startMs;
        } else r.skip(wire);
        break;
      case 7:
        if (wire === 2 && (type === ProtoType.Histogram || type === ProtoType.GaugeHistogram)) {
          m.histogram = decodeHistogram(r.sub());
          m.startMs = m.histogram.startMs;
        } else r.skip(wire);
        break;
      case 6:
        if (wire === 0) m.timestampMs = r.int64();
        else r.skip(wire);
        break;
      default:
        r.skip(wire);
    }
  }
  return m;
}

/** A google.protobuf.Timestamp (seconds = 1, nanos = 2) in ms. */
function timestampMs(r: ProtoReader): number {
  let seconds = 0;
  let nanos = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) seconds = r.int64();
    else if (field === 2 && wire === 0) nanos = r.int64();
    else r.skip(wire);
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

/** The `value` (field 1, double) of Gauge or Untyped. */
function valueField(r: ProtoReader): number {
  let v = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 1) v = r.double();
    else r.skip(wire);
  }
  return v;
}

function decodeSummary(r: ProtoReader): NonNullable<ProtoMetric['summary']> {
  const s = { count: 0, sum: 0, quantiles: [] as Array<[number, number]>, startMs: 0 };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) s.count = r.uvarint();
    else if (field === 4 && wire === 2) s.startMs = timestampMs(r.sub());
    else if (field === 2 && wire === 1) s.sum = r.double();
    else if (field === 3 && wire === 2) {
      const q = r.sub();
      let quantile = 0;
      let value = 0;
      while (!q.done()) {
        const t = q.tag();
        if (t.field === 1 && t.wire === 1) quantile = q.double();
        else if (t.field === 2 && t.wire === 1) value = q.double();
        else q.skip(t.wire);
      }
      s.quantiles.push([quantile, value]);
    } else r.skip(wire);
  }
  return s;
}

function emptyHistogram(): ProtoHistogram {
  return {
    startMs: 0,
    count: 0,
    countFloat: 0,
    sum: 0,
    buckets: [],
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    zeroCountFloat: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
  };
}

function readSpan(r: ProtoReader, out: Span[]): void {
  let offset = 0;
  let length = 0;
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1 && t.wire === 0) offset = r.sint();
    else if (t.field === 2 && t.wire === 0) length = r.uvarint();
    else r.skip(t.wire);
  }
  out.push({ offset, length });
}

function decodeHistogram(r: ProtoReader): ProtoHistogram {
  const h = emptyHistogram();
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) h.count = r.uvarint();
    else if (field === 15 && wire === 2) h.startMs = timestampMs(r.sub());
    else if (field === 4 && wire === 1) h.countFloat = r.double();
    else if (field === 2 && wire === 1) h.sum = r.double();
    else if (field === 3 && wire === 2) {
      const b = r.sub();
      let cum = 0;
      let cumFloat = 0;
      let upper = 0;
      while (!b.done()) {
        const t = b.tag();
        if (t.field === 1 && t.wire === 0) cum = b.uvarint();
        else if (t.field === 4 && t.wire === 1) cumFloat = b.double();
        else if (t.field === 2 && t.wire === 1) upper = b.double();
        else b.skip(t.wire);
      }
      h.buckets.push([upper, cumFloat !== 0 ? cumFloat : cum]);
    } else if (field === 5 && wire === 0) h.schema = r.sint();
    else if (field === 6 && wire === 1) h.zeroThreshold = r.double();
    else if (field === 7 && wire === 0) h.zeroCount = r.uvarint();
    else if (field === 8 && wire === 1) h.zeroCountFloat = r.double();
    else if (field === 9 && wire === 2) readSpan(r.sub(), h.negativeSpans);
    else if (field === 10) r.packedSints(wire, h.negativeDeltas);
    else if (field === 11) r.packedDoubles(wire, h.negativeCounts);
    else if (field === 12 && wire === 2) readSpan(r.sub(), h.positiveSpans);
    else if (field === 13) r.packedSints(wire, h.positiveDeltas);
    else if (field === 14) r.packedDoubles(wire, h.positiveCounts);
    else r.skip(wire);
  }
  return h;
}

/** The native histogram of a protobuf Histogram: float when its counts are floats (as Prometheus). */
function nativeOf(p: ProtoHistogram, gauge: boolean): { h?: Histogram; fh?: FloatHistogram } {
  const base = {
    counterResetHint: gauge ? CounterResetHint.Gauge : CounterResetHint.Unknown,
    schema: p.schema,
    zeroThreshold: p.zeroThreshold,
    sum: p.sum,
    positiveSpans: p.positiveSpans,
    negativeSpans: p.negativeSpans,
  };
  if (p.countFloat > 0 || p.zeroCountFloat > 0)
    return {
      fh: {
        ...base,
        count: p.countFloat,
        zeroCount: p.zeroCountFloat,
        positiveBuckets: p.positiveCounts,
        negativeBuckets: p.negativeCounts,
      },
    };
  return {
    h: {
      ...base,
      count: p.count,
      zeroCount: p.zeroCount,
      positiveBuckets: p.positiveDeltas,
      negativeBuckets: p.negativeDeltas,
    },
  };
}
