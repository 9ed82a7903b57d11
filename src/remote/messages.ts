// Remote write 1.0 (prometheus.WriteRequest), 2.0 (io.prometheus.write.v2.Request) and remote read
// (prometheus.ReadRequest, ReadResponse, ChunkedReadResponse) messages, decoded into and encoded from
// plain data. Field numbers from prompb/remote.proto, prompb/types.proto and
// prompb/io/prometheus/write/v2/types.proto of Prometheus 3.14.
import { int64Len, ProtoError, ProtoReader, ProtoWriter } from '../model/protobuf.js';
import { isStaleNaN } from '../model/value.js';
import {
  isCustomBucketsSchema,
  type CounterResetHint,
  type FloatHistogram,
  type Histogram,
  type Span,
} from '../model/histogram.js';

/** The two remote write messages, as Content-Type's proto parameter and protobuf_message name them. */
export const MESSAGE_V1 = 'prometheus.WriteRequest';
export const MESSAGE_V2 = 'io.prometheus.write.v2.Request';

export interface WireSample {
  t: number;
  v: number;
  /** v2: the sample's start timestamp, when sent (0 or absent: unset). */
  st?: number;
}

export interface WireExemplar {
  /** Flat name/value pairs. */
  labels: string[];
  t: number;
  v: number;
}

export type MetricType =
  'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';

const METRIC_TYPES: MetricType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

/** A scraped family's type as remote write's MetricType (untyped, and anything else, is unknown). */
export function metricTypeOf(t: string): MetricType {
  return (METRIC_TYPES as string[]).includes(t) ? (t as MetricType) : 'unknown';
}

export interface WireMetadata {
  type: MetricType;
  /** v1: metric_family_name; v2: unset (the series' own name). */
  family: string;
  help: string;
  unit: string;
}

export interface WireSeries {
  /** Flat name/value pairs, as sent (not yet checked for order or duplicates). */
  labels: string[];
  samples: WireSample[];
  exemplars: WireExemplar[];
  /** Native histogram samples. */
  histograms: WireHistogram[];
  /** v2: the series' metadata, when sent. */
  metadata?: WireMetadata;
  /** v2: created (start) timestamp of the first sample, 0 when unset. */
  startTimestamp: number;
}

/** A native histogram sample on the wire: an integer (h) or a float (fh) histogram. */
export interface WireHistogram {
  t: number;
  h?: Histogram;
  fh?: FloatHistogram;
  /** v2: the histogram's start timestamp, when sent (0 or absent: unset). */
  st?: number;
}

export interface WriteRequest {
  series: WireSeries[];
  /** v1 only: metadata per metric family. */
  metadata: WireMetadata[];
}

function readLabel(r: ProtoReader, out: string[]): void {
  let name = '';
  let value = '';
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  out.push(name, value);
}

function readSample(r: ProtoReader): WireSample & { st: number } {
  let v = 0;
  let t = 0;
  let st = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 1) v = r.double();
    else if (field === 2 && wire === 0) t = r.int64();
    else if (field === 3 && wire === 0) st = r.int64();
    else r.skip(wire);
  }
  return { t, v, st };
}

/** Decodes a prometheus.WriteRequest (remote write 1.0). */
export function decodeWriteV1(buf: Uint8Array): WriteRequest {
  const r = new ProtoReader(buf);
  const out: WriteRequest = { series: [], metadata: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const ts = r.sub();
      const s: WireSeries = { labels: [], samples: [], exemplars: [], histograms: [], startTimestamp: 0 };
      while (!ts.done()) {
        const f = ts.tag();
        if (f.field === 1 && f.wire === 2) readLabel(ts.sub(), s.labels);
        else if (f.field === 2 && f.wire === 2) {
          const { t, v } = readSample(ts.sub());
          s.samples.push({ t, v });
        } else if (f.field === 3 && f.wire === 2) {
          const er = ts.sub();
          const e: WireExemplar = { labels: [], t: 0, v: 0 };
          while (!er.done()) {
            const g = er.tag();
            if (g.field === 1 && g.wire === 2) readLabel(er.sub(), e.labels);
            else if (g.field === 2 && g.wire === 1) e.v = er.double();
            else if (g.field === 3 && g.wire === 0) e.t = er.int64();
            else er.skip(g.wire);
          }
          s.exemplars.push(e);
        } else if (f.field === 4 && f.wire === 2) {
          s.histograms.push(readHistogram(ts.sub()));
        } else ts.skip(f.wire);
      }
      out.series.push(s);
    } else if (field === 3 && wire === 2) {
      const mr = r.sub();
      const m: WireMetadata = { type: 'unknown', family: '', help: '', unit: '' };
      while (!mr.done()) {
        const g = mr.tag();
        if (g.field === 1 && g.wire === 0) m.type = METRIC_TYPES[mr.uvarint()] ?? 'unknown';
        else if (g.field === 2 && g.wire === 2) m.family = mr.string();
        else if (g.field === 4 && g.wire === 2) m.help = mr.string();
        else if (g.field === 5 && g.wire === 2) m.unit = mr.string();
        else mr.skip(g.wire);
      }
      out.metadata.push(m);
    } else r.skip(wire);
  }
  return out;
}

/** Decodes an io.prometheus.write.v2.Request (remote write 2.0): labels resolved through the symbols. */
export function decodeWriteV2(buf: Uint8Array): WriteRequest {
  const r = new ProtoReader(buf);
  const symbols: string[] = [];
  const raw: Array<{ start: number; end: number }> = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 4 && wire === 2) symbols.push(r.string());
    else if (field === 5 && wire === 2) raw.push(r.bytes());
    else r.skip(wire);
  }
  const sym = (i: number): string => {
    if (i >= symbols.length)
      throw new ProtoError(`symbol reference ${i} out of range (${symbols.length} symbols)`);
    return symbols[i];
  };
  const refs = (list: number[]): string[] => {
    if (list.length % 2 !== 0) throw new ProtoError('odd number of label references');
    return list.map(sym);
  };
  const out: WriteRequest = { series: [], metadata: [] };
  for (const { start, end } of raw) {
    const ts = new ProtoReader(buf, start, end);
    const labelRefs: number[] = [];
    const s: WireSeries = { labels: [], samples: [], exemplars: [], histograms: [], startTimestamp: 0 };
    while (!ts.done()) {
      const f = ts.tag();
      if (f.field === 1) ts.packedUvarints(f.wire, labelRefs);
      else if (f.field === 2 && f.wire === 2) {
        const { t, v, st } = readSample(ts.sub());
        if (s.samples.length === 0 && st !== 0) s.startTimestamp = st;
        s.samples.push(st !== 0 ? { t, v, st } : { t, v });
      } else if (f.field === 3 && f.wire === 2) {
        // Histogram.start_timestamp (3.14's field 17), the first histogram's when no sample has one
        const st = { v: 0 };
        const x = readHistogram(ts.sub(), st);
        if (st.v !== 0) x.st = st.v;
        s.histograms.push(x);
        if (s.histograms.length === 1 && s.startTimestamp === 0) s.startTimestamp = st.v;
      } else if (f.field === 4 && f.wire === 2) {
        const er = ts.sub();
        const e: WireExemplar = { labels: [], t: 0, v: 0 };
        const erefs: number[] = [];
        while (!er.done()) {
          const g = er.tag();
          if (g.field === 1) er.packedUvarints(g.wire, erefs);
          else if (g.field === 2 && g.wire === 1) e.v = er.double();
          else if (g.field === 3 && g.wire === 0) e.t = er.int64();
          else er.skip(g.wire);
        }
        e.labels = refs(erefs);
        s.exemplars.push(e);
      } else if (f.field === 5 && f.wire === 2) {
        const mr = ts.sub();
        const m: WireMetadata = { type: 'unknown', family: '', help: '', unit: '' };
        while (!mr.done()) {
          const g = mr.tag();
          if (g.field === 1 && g.wire === 0) m.type = METRIC_TYPES[mr.uvarint()] ?? 'unknown';
          else if (g.field === 3 && g.wire === 0) m.help = sym(mr.uvarint());
          else if (g.field === 4 && g.wire === 0) m.unit = sym(mr.uvarint());
          else mr.skip(g.wire);
        }
        s.metadata = m;
      } else if (f.field === 6 && f.wire === 0) s.startTimestamp = ts.int64();
      else ts.skip(f.wire);
    }
    s.labels = refs(labelRefs);
    out.series.push(s);
  }
  return out;
}

function readSpans(r: ProtoReader, out: Span[]): void {
  let offset = 0;
  let length = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) offset = r.sint();
    else if (field === 2 && wire === 0) length = r.uvarint();
    else r.skip(wire);
  }
  out.push({ offset, length });
}

/**
 * prompb's Histogram (1.0 and 2.0 alike): count_float or zero_count_float makes it a float histogram.
 * 2.0's start_timestamp goes to `st` when given.
 */
function readHistogram(r: ProtoReader, st?: { v: number }): WireHistogram {
  let countInt = 0;
  let countFloat: number | undefined;
  let zeroInt = 0;
  let zeroFloat: number | undefined;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let hint = 0;
  let t = 0;
  const pSpans: Span[] = [];
  const nSpans: Span[] = [];
  const pDeltas: number[] = [];
  const nDeltas: number[] = [];
  const pCounts: number[] = [];
  const nCounts: number[] = [];
  const custom: number[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        countInt = r.uvarint();
        break;
      case 2:
        countFloat = r.double();
        break;
      case 3:
        sum = r.double();
        break;
      case 4:
        schema = r.sint();
        break;
      case 5:
        zeroThreshold = r.double();
        break;
      case 6:
        zeroInt = r.uvarint();
        break;
      case 7:
        zeroFloat = r.double();
        break;
      case 8:
        readSpans(r.sub(), nSpans);
        break;
      case 9:
        r.packedSints(wire, nDeltas);
        break;
      case 10:
        r.packedDoubles(wire, nCounts);
        break;
      case 11:
        readSpans(r.sub(), pSpans);
        break;
      case 12:
        r.packedSints(wire, pDeltas);
        break;
      case 13:
        r.packedDoubles(wire, pCounts);
        break;
      case 14:
        hint = r.uvarint();
        break;
      case 15:
        t = r.int64();
        break;
      case 16:
        r.packedDoubles(wire, custom);
        break;
      case 17:
        if (st !== undefined) st.v = r.int64();
        else r.skip(wire);
        break;
      default:
        r.skip(wire);
    }
  }
  const base = {
    counterResetHint: hint as CounterResetHint,
    schema,
    zeroThreshold,
    sum,
    positiveSpans: pSpans,
    negativeSpans: nSpans,
    ...(isCustomBucketsSchema(schema) ? { customValues: custom } : {}),
  };
  if (countFloat !== undefined || zeroFloat !== undefined)
    return {
      t,
      fh: {
        ...base,
        count: countFloat ?? 0,
        zeroCount: zeroFloat ?? 0,
        positiveBuckets: pCounts,
        negativeBuckets: nCounts,
      },
    };
  return {
    t,
    h: { ...base, count: countInt, zeroCount: zeroInt, positiveBuckets: pDeltas, negativeBuckets: nDeltas },
  };
}

function writeSpans(w: ProtoWriter, field: number, spans: readonly Span[]): void {
  for (const s of spans) {
    const m = new ProtoWriter();
    m.sintField(1, s.offset);
    m.uvarintField(2, s.length);
    w.messageField(field, m);
  }
}

/**
 * prompb's Histogram; the count oneofs are written even when zero (they decide the kind). `st`: 2.0's
 * start_timestamp (0 leaves it out).
 */
function writeHistogram(w: ProtoWriter, field: number, x: WireHistogram, st = 0): void {
  const m = new ProtoWriter();
  const h = (x.h ?? x.fh)!;
  if (x.h !== undefined) {
    m.tag(1, 0);
    m.uvarint(h.count);
  } else {
    m.tag(2, 1);
    m.fixed64(h.count);
  }
  writeValue(m, 3, h.sum);
  m.sintField(4, h.schema);
  if (h.zeroThreshold !== 0) m.doubleField(5, h.zeroThreshold);
  if (x.h !== undefined) {
    m.tag(6, 0);
    m.uvarint(h.zeroCount);
  } else {
    m.tag(7, 1);
    m.fixed64(h.zeroCount);
  }
  writeSpans(m, 8, h.negativeSpans);
  if (x.h !== undefined) m.packedSintField(9, h.negativeBuckets);
  else m.packedDoubleField(10, h.negativeBuckets);
  writeSpans(m, 11, h.positiveSpans);
  if (x.h !== undefined) m.packedSintField(12, h.positiveBuckets);
  else m.packedDoubleField(13, h.positiveBuckets);
  m.uvarintField(14, h.counterResetHint);
  m.int64Field(15, x.t);
  if (h.customValues !== undefined) m.packedDoubleField(16, h.customValues);
  if (st !== 0) m.int64Field(17, st);
  w.messageField(field, m);
}

function writeLabels(w: ProtoWriter, field: number, pairs: readonly string[]): void {
  for (let i = 0; i < pairs.length; i += 2) {
    const l = new ProtoWriter();
    l.stringField(1, pairs[i]);
    l.stringField(2, pairs[i + 1]);
    w.messageField(field, l);
  }
}

/**
 * The stale marker as it goes on the wire (0x7ff0000000000002, little-endian). V8 may quiet the NaN on
 * its way from the WAL (0x7ff8000000000002), and receivers recognise a stale marker only by its exact
 * bits (Prometheus's value.IsStaleNaN), so it is written from these bytes, not from the number.
 */
const STALE_NAN_BYTES = new Uint8Array([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** A sample value (a double field); one comparison for anything that is not NaN. */
function writeValue(w: ProtoWriter, field: number, v: number): void {
  if (v !== v && isStaleNaN(v)) {
    w.tag(field, 1);
    w.raw(STALE_NAN_BYTES);
  } else w.doubleField(field, v);
}

function writeSample(w: ProtoWriter, field: number, s: WireSample): void {
  const m = new ProtoWriter();
  writeValue(m, 1, s.v);
  m.int64Field(2, s.t);
  w.messageField(field, m);
}

/** A series' labels as the repeated Label fields of a TimeSeries, encoded once and reused. */
export function encodeLabelFields(pairs: readonly string[]): Uint8Array {
  const w = new ProtoWriter();
  writeLabels(w, 1, pairs);
  return w.bytes().slice();
}

/**
 * A 1.0 WriteRequest straight from columns: the sender's hot path. No object per sample; each
 * TimeSeries' length is computed first so nested messages are written in place.
 */
export function encodeWriteV1Columns(
  series: ReadonlyArray<{ labelFields: Uint8Array; t: ArrayLike<number>; v: ArrayLike<number>; n: number }>,
): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    let size = s.labelFields.length;
    for (let i = 0; i < s.n; i++) {
      const t = s.t[i];
      const len = 9 + (t === 0 ? 0 : 1 + int64Len(t));
      size += 1 + int64Len(len) + len;
    }
    w.tag(1, 2);
    w.uvarint(size);
    w.raw(s.labelFields);
    for (let i = 0; i < s.n; i++) {
      const t = s.t[i];
      w.tag(2, 2);
      w.uvarint(9 + (t === 0 ? 0 : 1 + int64Len(t)));
      writeValue(w, 1, s.v[i]);
      w.int64Field(2, t);
    }
  }
  return w.bytes();
}

/** Encodes a remote write 1.0 request (tests and the sender). */
export function encodeWriteV1(req: WriteRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const s of req.series) {
    const ts = new ProtoWriter();
    writeLabels(ts, 1, s.labels);
    for (const x of s.samples) writeSample(ts, 2, x);
    for (const e of s.exemplars) {
      const em = new ProtoWriter();
      writeLabels(em, 1, e.labels);
      em.doubleField(2, e.v);
      em.int64Field(3, e.t);
      ts.messageField(3, em);
    }
    for (const x of s.histograms) writeHistogram(ts, 4, x);
    w.messageField(1, ts);
  }
  for (const m of req.metadata) {
    const mm = new ProtoWriter();
    mm.uvarintField(1, METRIC_TYPES.indexOf(m.type));
    mm.stringField(2, m.family);
    mm.stringField(4, m.help);
    mm.stringField(5, m.unit);
    w.messageField(3, mm);
  }
  return w.bytes();
}

/** Encodes a remote write 2.0 request with its symbol table ("" first). */
export function encodeWriteV2(req: WriteRequest): Uint8Array {
  const symbols = [''];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(s, i);
    }
    return i;
  };
  const body: Uint8Array[] = [];
  for (const s of req.series) {
    const ts = new ProtoWriter();
    ts.packedUvarintField(1, s.labels.map(ref));
    // each sample's own start timestamp when it has one; else the series' on its first sample
    s.samples.forEach((x, i) => {
      const m = new ProtoWriter();
      writeValue(m, 1, x.v);
      m.int64Field(2, x.t);
      const st = x.st ?? (i === 0 ? s.startTimestamp : 0);
      if (st !== 0 || i === 0) m.int64Field(3, st);
      ts.messageField(2, m);
    });
    // a series of histograms carries the series' start timestamp on the first one (Histogram field
    // 17), as a series of samples does on its first Sample, unless a histogram has its own
    s.histograms.forEach((x, i) =>
      writeHistogram(ts, 3, x, x.st ?? (i === 0 && s.samples.length === 0 ? s.startTimestamp : 0)),
    );
    for (const e of s.exemplars) {
      const em = new ProtoWriter();
      em.packedUvarintField(1, e.labels.map(ref));
      em.doubleField(2, e.v);
      em.int64Field(3, e.t);
      ts.messageField(4, em);
    }
    if (s.metadata !== undefined) {
      const mm = new ProtoWriter();
      mm.uvarintField(1, METRIC_TYPES.indexOf(s.metadata.type));
      mm.uvarintField(3, ref(s.metadata.help));
      mm.uvarintField(4, ref(s.metadata.unit));
      ts.messageField(5, mm);
    }
    body.push(ts.bytes().slice());
  }
  const w = new ProtoWriter();
  for (const s of symbols) w.stringField(4, s);
  for (const b of body) w.bytesField(5, b);
  return w.bytes();
}

export type MatcherType = '=' | '!=' | '=~' | '!~';
const MATCHER_TYPES: MatcherType[] = ['=', '!=', '=~', '!~'];

export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: Array<{ type: MatcherType; name: string; value: string }>;
  hints?: {
    stepMs: number;
    func: string;
    startMs: number;
    endMs: number;
    grouping: string[];
    by: boolean;
    rangeMs: number;
  };
}

export interface ReadRequest {
  queries: ReadQuery[];
  /** 0 SAMPLES, 1 STREAMED_XOR_CHUNKS. */
  acceptedResponseTypes: number[];
}

export function decodeReadRequest(buf: Uint8Array): ReadRequest {
  const r = new ProtoReader(buf);
  const out: ReadRequest = { queries: [], acceptedResponseTypes: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const q = r.sub();
      const query: ReadQuery = { startMs: 0, endMs: 0, matchers: [] };
      while (!q.done()) {
        const f = q.tag();
        if (f.field === 1 && f.wire === 0) query.startMs = q.int64();
        else if (f.field === 2 && f.wire === 0) query.endMs = q.int64();
        else if (f.field === 3 && f.wire === 2) {
          const m = q.sub();
          const matcher = { type: '=' as MatcherType, name: '', value: '' };
          while (!m.done()) {
            const g = m.tag();
            if (g.field === 1 && g.wire === 0) {
              const t = MATCHER_TYPES[m.uvarint()];
              if (t === undefined) throw new ProtoError('unknown label matcher type');
              matcher.type = t;
            } else if (g.field === 2 && g.wire === 2) matcher.name = m.string();
            else if (g.field === 3 && g.wire === 2) matcher.value = m.string();
            else m.skip(g.wire);
          }
          query.matchers.push(matcher);
        } else if (f.field === 4 && f.wire === 2) {
          const h = q.sub();
          const hints = {
            stepMs: 0,
            func: '',
            startMs: 0,
            endMs: 0,
            grouping: [] as string[],
            by: false,
            rangeMs: 0,
          };
          while (!h.done()) {
            const g = h.tag();
            if (g.field === 1 && g.wire === 0) hints.stepMs = h.int64();
            else if (g.field === 2 && g.wire === 2) hints.func = h.string();
            else if (g.field === 3 && g.wire === 0) hints.startMs = h.int64();
            else if (g.field === 4 && g.wire === 0) hints.endMs = h.int64();
            else if (g.field === 5 && g.wire === 2) hints.grouping.push(h.string());
            else if (g.field === 6 && g.wire === 0) hints.by = h.uvarint() !== 0;
            else if (g.field === 7 && g.wire === 0) hints.rangeMs = h.int64();
            else h.skip(g.wire);
          }
          query.hints = hints;
        } else q.skip(f.wire);
      }
      out.queries.push(query);
    } else if (field === 2) r.packedUvarints(wire, out.acceptedResponseTypes);
    else r.skip(wire);
  }
  return out;
}

/** Encodes a ReadRequest (tests, and a remote read client). */
export function encodeReadRequest(req: ReadRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const q of req.queries) {
    const qw = new ProtoWriter();
    qw.int64Field(1, q.startMs);
    qw.int64Field(2, q.endMs);
    for (const m of q.matchers) {
      const mw = new ProtoWriter();
      mw.uvarintField(1, MATCHER_TYPES.indexOf(m.type));
      mw.stringField(2, m.name);
      mw.stringField(3, m.value);
      qw.messageField(3, mw);
    }
    w.messageField(1, qw);
  }
  w.packedUvarintField(2, req.acceptedResponseTypes);
  return w.bytes();
}

export interface ReadSeries {
  labels: string[];
  samples: WireSample[];
  /** Native histogram samples (left out when none). */
  histograms?: WireHistogram[];
}

/** A SAMPLES ReadResponse: one QueryResult per query. */
export function encodeReadResponse(results: ReadSeries[][]): Uint8Array {
  const w = new ProtoWriter();
  for (const series of results) {
    const qr = new ProtoWriter();
    for (const s of series) {
      const ts = new ProtoWriter();
      writeLabels(ts, 1, s.labels);
      for (const x of s.samples) writeSample(ts, 2, x);
      for (const x of s.histograms ?? []) writeHistogram(ts, 4, x);
      qr.messageField(1, ts);
    }
    w.messageField(1, qr);
  }
  return w.bytes();
}

export function decodeReadResponse(buf: Uint8Array): ReadSeries[][] {
  const r = new ProtoReader(buf);
  const out: ReadSeries[][] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== 2) {
      r.skip(wire);
      continue;
    }
    const qr = r.sub();
    const series: ReadSeries[] = [];
    while (!qr.done()) {
      const f = qr.tag();
      if (f.field !== 1 || f.wire !== 2) {
        qr.skip(f.wire);
        continue;
      }
      const decoded = decodeWriteV1(wrapSeries(qr));
      for (const s of decoded.series)
        series.push(
          s.histograms.length > 0
            ? { labels: s.labels, samples: s.samples, histograms: s.histograms }
            : { labels: s.labels, samples: s.samples },
        );
    }
    out.push(series);
  }
  return out;
}

/** Re-wraps one TimeSeries field as a WriteRequest so its decoder can read it. */
function wrapSeries(r: ProtoReader): Uint8Array {
  const { start, end } = r.bytes();
  const w = new ProtoWriter();
  w.bytesField(1, r.buf.subarray(start, end));
  return w.bytes();
}

export interface WireChunk {
  minTimeMs: number;
  maxTimeMs: number;
  /** 1 XOR, 2 HISTOGRAM, 3 FLOAT_HISTOGRAM */
  type: number;
  data: Uint8Array;
}

/** One ChunkedReadResponse: whole series with their chunks, for one query. */
export function encodeChunkedReadResponse(
  series: Array<{ labels: string[]; chunks: WireChunk[] }>,
  queryIndex: number,
): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    const cs = new ProtoWriter();
    writeLabels(cs, 1, s.labels);
    for (const c of s.chunks) {
      const cw = new ProtoWriter();
      cw.int64Field(1, c.minTimeMs);
      cw.int64Field(2, c.maxTimeMs);
      cw.uvarintField(3, c.type);
      cw.bytesField(4, c.data);
      cs.messageField(2, cw);
    }
    w.messageField(1, cs);
  }
  w.int64Field(2, queryIndex);
  return w.bytes();
}

export function decodeChunkedReadResponse(buf: Uint8Array): {
  series: Array<{ labels: string[]; chunks: WireChunk[] }>;
  queryIndex: number;
} {
  const r = new ProtoReader(buf);
  const out = { series: [] as Array<{ labels: string[]; chunks: WireChunk[] }>, queryIndex: 0 };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const cs = r.sub();
      const s = { labels: [] as string[], chunks: [] as WireChunk[] };
      while (!cs.done()) {
        const f = cs.tag();
        if (f.field === 1 && f.wire === 2) readLabel(cs.sub(), s.labels);
        else if (f.field === 2 && f.wire === 2) {
          const cr = cs.sub();
          const c: WireChunk = { minTimeMs: 0, maxTimeMs: 0, type: 0, data: new Uint8Array(0) };
          while (!cr.done()) {
            const g = cr.tag();
            if (g.field === 1 && g.wire === 0) c.minTimeMs = cr.int64();
            else if (g.field === 2 && g.wire === 0) c.maxTimeMs = cr.int64();
            else if (g.field === 3 && g.wire === 0) c.type = cr.uvarint();
            else if (g.field === 4 && g.wire === 2) {
              const b = cr.bytes();
              c.data = cr.buf.slice(b.start, b.end);
            } else cr.skip(g.wire);
          }
          s.chunks.push(c);
        } else cs.skip(f.wire);
      }
      out.series.push(s);
    } else if (field === 2 && wire === 0) out.queryIndex = r.int64();
    else r.skip(wire);
  }
  return out;
}
