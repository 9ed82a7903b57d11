// WAL record payloads (the bytes inside one framed record). As in Prometheus's tsdb/record, the first
// byte is the record type; the encodings are our own, designed for cheap encode/decode in JS:
//
//   Series     1 | repeated: uvarint ref, uvarint nLabels, (uvarint len, UTF-8 name, uvarint len, UTF-8 value)*
//   Samples    2 | u8 layout | uvarint n | n × 8-byte LE float64 value bits | layout 0: n × (zigzag varint
//                Δref, zigzag varint Δt), deltas from the previous sample (the first from 0, i.e. absolute);
//                layout 1 ("wide", when a ref or t is not an integer within ±2^52): n × f64 ref, n × f64 t;
//                either followed, when the u8 layout has bit 7 set, by the start timestamps (st-storage):
//                n × (u8 0 none | 1 the previous sample's | 2 and zigzag varint t - st)
//   Tombstones 3 | repeated: uvarint ref, f64 LE mint, f64 LE maxt (raw doubles: ±2^63 "unbounded" survive)
//   Histograms 7 | native histogram samples: see histogram-records.ts
//
// Values are copied as raw bits (the stale marker 0x7ff0000000000002 is kept even if V8 quieted it).
import { Labels, intern } from '../../model/labels.js';

export const RecordType = {
  Series: 1,
  Samples: 2,
  Tombstones: 3,
  /** Native histogram samples (histogram-records.ts). */
  Histograms: 7,
  Unknown: 255,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** A record's content is malformed although its checksum matched; replay treats it as a corruption. */
export class RecordDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDecodeError';
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // values are copied between Float64Array memory and the little-endian record format
  throw new Error('the WAL record codec needs a little-endian platform');
}

export function recordType(rec: Uint8Array): RecordType {
  const t = rec.length > 0 ? rec[0] : RecordType.Unknown;
  return t === RecordType.Series ||
    t === RecordType.Samples ||
    t === RecordType.Tombstones ||
    t === RecordType.Histograms
    ? t
    : RecordType.Unknown;
}

// ---------------------------------------------------------------------------------------------
// scratch buffer and varints

let scratch = new Uint8Array(64 * 1024);
function scratchFor(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  return scratch;
}

const TWO52 = 4503599627370496;

/** Unsigned varint of a non-negative integer ≤ 2^53. */
function putUvarint(buf: Uint8Array, p: number, z: number): number {
  while (z > 0x7fffffff) {
    const low = z % 128;
    buf[p++] = low | 128;
    z = (z - low) / 128;
  }
  while (z > 127) {
    buf[p++] = (z & 127) | 128;
    z >>>= 7;
  }
  buf[p++] = z;
  return p;
}

/** Decoder cursor over one record; `p` is advanced by the reads. */
class Cursor {
  p = 0;
  constructor(readonly buf: Uint8Array) {}

  uvarint(): number {
    const buf = this.buf;
    let b = buf[this.p++];
    if (b < 128) return b;
    if (b === undefined) throw new RecordDecodeError('unexpected end of record');
    let z = b & 127;
    let mul = 128;
    for (let i = 1; ; i++) {
      b = buf[this.p++];
      if (b === undefined) throw new RecordDecodeError('unexpected end of record');
      if (i > 7) throw new RecordDecodeError('varint overflow');
      z += (b & 127) * mul;
      if (b < 128) return z;
      mul *= 128;
    }
  }

  bytes(n: number): number {
    const at = this.p;
    if (at + n > this.buf.length) throw new RecordDecodeError('unexpected end of record');
    this.p = at + n;
    return at;
  }
}

// ---------------------------------------------------------------------------------------------
// Series

const encoder = new TextEncoder();

function putString(buf: Uint8Array, p: number, s: string): number {
  const n = s.length;
  // ASCII fast path: length prefix = n bytes; otherwise fall back to the UTF-8 encoder
  const lenAt = p;
  p = putUvarint(buf, p, n);
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p + i] = c;
  }
  if (i === n) return p + n;
  const { written } = encoder.encodeInto(s, buf.subarray(lenAt + 5));
  p = putUvarint(buf, lenAt, written);
  buf.copyWithin(p, lenAt + 5, lenAt + 5 + written);
  return p + written;
}

export function encodeSeries(refs: readonly number[], labels: readonly Labels[]): Uint8Array {
  if (refs.length !== labels.length) throw new Error('encodeSeries: refs and labels differ in length');
  let max = 1;
  for (let i = 0; i < refs.length; i++) {
    const pairs = labels[i].pairs;
    max += 16;
    for (let j = 0; j < pairs.length; j++) max += 5 + 5 + 3 * pairs[j].length;
  }
  const buf = scratchFor(max);
  let p = 0;
  buf[p++] = RecordType.Series;
  for (let i = 0; i < refs.length; i++) {
    const pairs = labels[i].pairs;
    p = putUvarint(buf, p, refs[i]);
    p = putUvarint(buf, p, pairs.length >> 1);
    for (let j = 0; j < pairs.length; j++) p = putString(buf, p, pairs[j]);
  }
  return buf.slice(0, p);
}

export interface RefSeries {
  ref: number;
  labels: Labels;
}

/**
 * Canonical label strings straight from a record's UTF-8 bytes, for WAL replay: nearly every label
 * string of a series record was seen before (names, jobs, instances, shared values), and decoding each
 * to a string only to look up its interned copy made some 20 short-lived strings per series, the
 * largest share of replay's garbage. A hash of the bytes finds the candidates, compared char by byte;
 * only ASCII strings are kept here (others take the decoding path every time).
 */
export class ByteInterner {
  private readonly table = new Map<number, string | string[]>();

  get(buf: Uint8Array, at: number, len: number, text: Buffer): string {
    let h = 0x811c9dc5 ^ len;
    for (let i = at; i < at + len; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const found = this.table.get(h);
    if (found !== undefined) {
      if (typeof found === 'string') {
        if (sameASCII(found, buf, at, len)) return found;
      } else {
        for (const s of found) if (sameASCII(s, buf, at, len)) return s;
      }
    }
    const s = intern(text.toString('utf8', at, at + len));
    if (s.length !== len) return s; // not ASCII
    if (found === undefined) this.table.set(h, s);
    else if (typeof found === 'string') this.table.set(h, [found, s]);
    else found.push(s);
    return s;
  }
}

function sameASCII(s: string, buf: Uint8Array, at: number, len: number): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== buf[at + i]) return false;
  return true;
}

/** The series of a record; `strings` (replay) interns label strings without decoding repeats. */
export function decodeSeries(rec: Uint8Array, strings?: ByteInterner): RefSeries[] {
  if (rec[0] !== RecordType.Series) throw new RecordDecodeError('not a series record');
  const c = new Cursor(rec);
  c.p = 1;
  const text = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  const out: RefSeries[] = [];
  while (c.p < rec.length) {
    const ref = c.uvarint();
    const n = c.uvarint();
    if (n * 2 > rec.length - c.p) throw new RecordDecodeError(`invalid label count ${n}`);
    const pairs: string[] = new Array(n * 2);
    for (let j = 0; j < n * 2; j++) {
      const len = c.uvarint();
      const at = c.bytes(len);
      pairs[j] =
        strings !== undefined ? strings.get(rec, at, len, text) : intern(text.toString('utf8', at, at + len));
    }
    out.push({ ref, labels: Labels.fromSortedPairs(pairs) });
  }
  return out;
}

/** The series entries whose ref passes `keep`, re-encoded from the raw bytes (labels are not decoded). */
export function filterSeries(rec: Uint8Array, keep: (ref: number) => boolean): Uint8Array | undefined {
  if (rec[0] !== RecordType.Series) throw new RecordDecodeError('not a series record');
  const c = new Cursor(rec);
  c.p = 1;
  const out = new Uint8Array(rec.length);
  out[0] = RecordType.Series;
  let w = 1;
  let kept = 0;
  while (c.p < rec.length) {
    const start = c.p;
    const ref = c.uvarint();
    const n = c.uvarint();
    for (let j = 0; j < n * 2; j++) c.bytes(c.uvarint());
    if (keep(ref)) {
      out.set(rec.subarray(start, c.p), w);
      w += c.p - start;
      kept++;
    }
  }
  return kept === 0 ? undefined : out.slice(0, w);
}

// ---------------------------------------------------------------------------------------------
// Samples

const LAYOUT_DELTA = 0;
const LAYOUT_WIDE = 1;
/** Layout flag: start timestamps follow the samples. */
const LAYOUT_ST = 0x80;

/**
 * Encodes samples i < n as one record. refs are series refs (non-negative integers); values are read
 * as raw bits from `vs`.
 */
export function encodeSamples(
  refs: ArrayLike<number>,
  ts: ArrayLike<number>,
  vs: Float64Array,
  n: number,
  sts?: ArrayLike<number>,
): Uint8Array {
  if (n > refs.length || n > ts.length || n > vs.length) throw new Error('encodeSamples: n beyond input');
  if (sts !== undefined) return withStartTimestamps(encodeSamples(refs, ts, vs, n), ts, sts, n);
  const buf = scratchFor(7 + 24 * n);
  buf[0] = RecordType.Samples;
  buf[1] = LAYOUT_DELTA;
  let p = putUvarint(buf, 2, n);
  const vAt = p;
  copyValues(vs, n, buf, vAt);
  p += 8 * n;
  let prevRef = 0;
  let prevT = 0;
  for (let i = 0; i < n; i++) {
    const ref = refs[i];
    const t = ts[i];
    const dr = ref - prevRef;
    const dt = t - prevT;
    // exact only for integer deltas within ±2^52 that reconstruct the input (NaN fails the compares)
    if (
      !(dr <= TWO52 && dr >= -TWO52 && dt <= TWO52 && dt >= -TWO52) ||
      Math.floor(dr) !== dr ||
      Math.floor(dt) !== dt ||
      prevT + dt !== t ||
      prevRef + dr !== ref
    ) {
      return encodeWide(refs, ts, n, buf, vAt);
    }
    prevRef = ref;
    prevT = t;
    let z = dr >= 0 ? dr * 2 : -dr * 2 - 1;
    if (z < 128) buf[p++] = z;
    else p = putUvarint(buf, p, z);
    z = dt >= 0 ? dt * 2 : -dt * 2 - 1;
    if (z < 128) buf[p++] = z;
    else p = putUvarint(buf, p, z);
  }
  return buf.slice(0, p);
}

/** A samples record with its start timestamps appended (see the layout above). */
function withStartTimestamps(
  rec: Uint8Array,
  ts: ArrayLike<number>,
  sts: ArrayLike<number>,
  n: number,
): Uint8Array {
  const buf = new Uint8Array(rec.length + 11 * n);
  buf.set(rec);
  buf[1] |= LAYOUT_ST;
  let p = rec.length;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const st = sts[i];
    if (st === 0) buf[p++] = 0;
    else if (st === prev) buf[p++] = 1;
    else {
      buf[p++] = 2;
      const d = ts[i] - st;
      p = putUvarint(buf, p, d >= 0 ? d * 2 : -d * 2 - 1);
    }
    prev = st;
  }
  return buf.slice(0, p);
}

function encodeWide(refs: ArrayLike<number>, ts: ArrayLike<number>, n: number, buf: Uint8Array, vAt: number) {
  buf[1] = LAYOUT_WIDE;
  const p = vAt + 8 * n;
  const cols = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    cols[i] = refs[i];
    cols[n + i] = ts[i];
  }
  buf.set(new Uint8Array(cols.buffer), p);
  return buf.slice(0, p + 16 * n);
}

const QUIET_STALE_HI = 0x7ff80000;

function copyValues(vs: Float64Array, n: number, buf: Uint8Array, at: number): void {
  buf.set(new Uint8Array(vs.buffer, vs.byteOffset, 8 * n), at);
  // V8 may have quieted the stale marker (0x7ff0000000000002 → 0x7ff8000000000002): store Prometheus's
  // bits (byte 6 of the little-endian value is 0xf8 when quieted, 0xf0 in the marker)
  const w = new Uint32Array(vs.buffer, vs.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    if (w[2 * i + 1] === QUIET_STALE_HI && w[2 * i] === 2) buf[at + 8 * i + 6] = 0xf0;
  }
}

/** Growable columns that samples records decode into; reuse one across records to avoid allocation. */
export class SampleColumns {
  refs: Float64Array;
  ts: Float64Array;
  vs: Float64Array;
  /** Start timestamps (0: unknown) when the last record decoded had them, else undefined. */
  sts: Float64Array | undefined;
  length = 0;

  constructor(capacity = 1024) {
    this.refs = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  /** Makes room for `n` samples, keeping the first `length`. */
  ensure(n: number): void {
    if (this.refs.length >= n) return;
    const cap = Math.max(n, this.refs.length * 2);
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.refs = grow(this.refs);
    this.ts = grow(this.ts);
    this.vs = grow(this.vs);
    if (this.sts !== undefined) this.sts = grow(this.sts);
  }
}

export function newSampleColumns(capacity = 1024): SampleColumns {
  return new SampleColumns(capacity);
}

/**
 * Decodes a samples record into `out` starting at index `at` (default 0); sets `out.length` to
 * `at + n` and returns n. Values keep their exact bits.
 */
export function decodeSamples(rec: Uint8Array, out: SampleColumns, at = 0): number {
  if (rec[0] !== RecordType.Samples) throw new RecordDecodeError('not a samples record');
  const withST = (rec[1] & LAYOUT_ST) !== 0;
  const layout = rec[1] & ~LAYOUT_ST;
  const c = new Cursor(rec);
  c.p = 2;
  const n = c.uvarint();
  if (n * 8 > rec.length - c.p) throw new RecordDecodeError(`invalid sample count ${n}`);
  out.length = Math.min(out.length, at);
  out.ensure(at + n);
  const vAt = c.bytes(8 * n);
  new Uint8Array(out.vs.buffer, out.vs.byteOffset + at * 8, n * 8).set(rec.subarray(vAt, vAt + 8 * n));
  const refs = out.refs;
  const ts = out.ts;
  if (layout === LAYOUT_WIDE) {
    const colAt = c.bytes(16 * n);
    new Uint8Array(refs.buffer, refs.byteOffset + at * 8, n * 8).set(rec.subarray(colAt, colAt + 8 * n));
    new Uint8Array(ts.buffer, ts.byteOffset + at * 8, n * 8).set(rec.subarray(colAt + 8 * n, colAt + 16 * n));
  } else if (layout === LAYOUT_DELTA) {
    let p = c.p;
    let ref = 0;
    let t = 0;
    const end = at + n;
    for (let i = at; i < end; i++) {
      let z = rec[p++];
      if (z >= 128) {
        c.p = p - 1;
        z = c.uvarint();
        p = c.p;
      }
      ref += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      z = rec[p++];
      if (z >= 128) {
        c.p = p - 1;
        z = c.uvarint();
        p = c.p;
      }
      t += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      refs[i] = ref;
      ts[i] = t;
    }
    c.p = p;
  } else {
    throw new RecordDecodeError(`unknown samples layout ${layout}`);
  }
  if (withST) {
    const sts =
      out.sts !== undefined && out.sts.length >= at + n ? out.sts : new Float64Array(out.refs.length);
    if (out.sts !== undefined && sts !== out.sts) sts.set(out.sts.subarray(0, at));
    let prev = 0;
    for (let i = at; i < at + n; i++) {
      const marker = rec[c.p++];
      if (marker === 0) sts[i] = 0;
      else if (marker === 1) sts[i] = prev;
      else if (marker === 2) {
        const z = c.uvarint();
        sts[i] = ts[i] - (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
      } else throw new RecordDecodeError(`bad start timestamp marker ${marker}`);
      prev = sts[i];
    }
    out.sts = sts;
  } else if (at === 0) out.sts = undefined;
  else out.sts?.fill(0, at, at + n);
  // a short record reads `undefined` bytes (NaN deltas); both show up as a length mismatch here
  if (c.p !== rec.length) throw new RecordDecodeError('samples record length mismatch');
  out.length = at + n;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Tombstones

/** A deleted interval [mint, maxt] (closed) of one series. */
export interface Tombstone {
  ref: number;
  mint: number;
  maxt: number;
}

export function encodeTombstones(stones: readonly Tombstone[]): Uint8Array {
  const buf = new Uint8Array(1 + stones.length * 24);
  const dv = new DataView(buf.buffer);
  buf[0] = RecordType.Tombstones;
  let p = 1;
  for (const s of stones) {
    p = putUvarint(buf, p, s.ref);
    dv.setFloat64(p, s.mint, true);
    dv.setFloat64(p + 8, s.maxt, true);
    p += 16;
  }
  return buf.slice(0, p);
}

export function decodeTombstones(rec: Uint8Array): Tombstone[] {
  if (rec[0] !== RecordType.Tombstones) throw new RecordDecodeError('not a tombstones record');
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const c = new Cursor(rec);
  c.p = 1;
  const out: Tombstone[] = [];
  while (c.p < rec.length) {
    const ref = c.uvarint();
    const at = c.bytes(16);
    out.push({ ref, mint: dv.getFloat64(at, true), maxt: dv.getFloat64(at + 8, true) });
  }
  return out;
}
