// The WAL record of native histogram samples (type 7, our own layout like the other records):
//
//   7 | uvarint n | n × sample:
//     uvarint ref | f64 t | u8 kind (bit 0: float; bit 1: an f64 start timestamp follows) | [f64 st] |
//     u8 counter reset hint | zigzag schema |
//     f64 zero threshold | f64 zero count | f64 count | f64 sum |
//     uvarint #positive spans, (zigzag offset, uvarint length)* | the same for negative spans |
//     uvarint #positive buckets, f64* | uvarint #negative buckets, f64* |
//     custom bounds (schema -53 only): uvarint n, f64*
//
// Integer histograms keep their bucket deltas (exact as doubles below 2^53). Doubles are little-endian
// and copied as bits, so a stale marker's sum survives.
import {
  isCustomBucketsSchema,
  type FloatHistogram,
  type Histogram,
  type Span,
} from '../../model/histogram.js';
import { RecordDecodeError, RecordType } from './records.js';

export interface RefHistogramSample {
  ref: number;
  t: number;
  /** Exactly one of h (integer) and fh (float). */
  h?: Histogram;
  fh?: FloatHistogram;
  /** Start timestamp (st-storage; absent: unknown). */
  st?: number;
}

class Writer {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  p = 0;

  private room(n: number): void {
    if (this.p + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.p + n));
    next.set(this.buf.subarray(0, this.p));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.p++] = v;
  }

  uvarint(v: number): void {
    this.room(10);
    while (v >= 128) {
      this.buf[this.p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.p++] = v;
  }

  zigzag(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.p, v, true);
    this.p += 8;
  }

  spans(s: readonly Span[]): void {
    this.uvarint(s.length);
    for (const x of s) {
      this.zigzag(x.offset);
      this.uvarint(x.length);
    }
  }

  floats(a: readonly number[]): void {
    this.uvarint(a.length);
    for (const v of a) this.f64(v);
  }
}

export function encodeHistogramSamples(samples: readonly RefHistogramSample[]): Uint8Array {
  const w = new Writer();
  w.u8(RecordType.Histograms);
  w.uvarint(samples.length);
  for (const s of samples) {
    const h = (s.h ?? s.fh)!;
    w.uvarint(s.ref);
    w.f64(s.t);
    const st = s.st ?? 0;
    w.u8((s.h !== undefined ? 0 : 1) | (st !== 0 ? 2 : 0));
    if (st !== 0) w.f64(st);
    w.u8(h.counterResetHint);
    w.zigzag(h.schema);
    w.f64(h.zeroThreshold);
    w.f64(h.zeroCount);
    w.f64(h.count);
    w.f64(h.sum);
    w.spans(h.positiveSpans);
    w.spans(h.negativeSpans);
    w.floats(h.positiveBuckets);
    w.floats(h.negativeBuckets);
    if (isCustomBucketsSchema(h.schema)) w.floats(h.customValues ?? []);
  }
  return w.buf.slice(0, w.p);
}

export function decodeHistogramSamples(rec: Uint8Array): RefHistogramSample[] {
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  let p = 1;
  const need = (n: number): void => {
    if (p + n > rec.length) throw new RecordDecodeError('unexpected end of histogram record');
  };
  const uvarint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      need(1);
      const b = rec[p++];
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
    }
    throw new RecordDecodeError('varint overflow');
  };
  const zigzag = (): number => {
    const z = uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  };
  const f64 = (): number => {
    need(8);
    const v = view.getFloat64(p, true);
    p += 8;
    return v;
  };
  const u8 = (): number => {
    need(1);
    return rec[p++];
  };
  const spans = (): Span[] => {
    const n = uvarint();
    const out: Span[] = [];
    for (let i = 0; i < n; i++) out.push({ offset: zigzag(), length: uvarint() });
    return out;
  };
  const floats = (): number[] => {
    const n = uvarint();
    need(8 * n);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(f64());
    return out;
  };
  const n = uvarint();
  const out: RefHistogramSample[] = [];
  for (let i = 0; i < n; i++) {
    const ref = uvarint();
    const t = f64();
    const kind = u8();
    const st = (kind & 2) !== 0 ? f64() : 0;
    const h: Histogram = {
      counterResetHint: u8(),
      schema: zigzag(),
      zeroThreshold: f64(),
      zeroCount: f64(),
      count: f64(),
      sum: f64(),
      positiveSpans: spans(),
      negativeSpans: spans(),
      positiveBuckets: floats(),
      negativeBuckets: floats(),
    };
    if (isCustomBucketsSchema(h.schema)) h.customValues = floats();
    const x: RefHistogramSample = (kind & 1) === 0 ? { ref, t, h } : { ref, t, fh: h };
    if (st !== 0) x.st = st;
    out.push(x);
  }
  return out;
}
