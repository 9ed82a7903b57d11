// Native histogram chunks in Prometheus's byte layouts (tsdb/docs/format/chunks.md; chunkenc/
// histogram.go, float_histogram.go, histogram_meta.go), so remote read and block export can hand them
// over unchanged:
//   header: num_samples u16 BE | flags u8 (top two bits: counter reset header) |
//           zero threshold (1 byte, or 255 + 8 bytes) | schema varbit_int | positive spans |
//           negative spans | custom bounds (schema -53 only)
//   integer chunk, sample 0: t varbit_int, count varbit_uint, zero_count varbit_uint, sum 64 bits,
//           bucket deltas varbit_int…; later samples: delta-of-delta of t, count, zero_count and every
//           bucket (varbit_int), sum XOR-encoded.
//   float chunk, sample 0: t varbit_int, count, zero_count, sum and every bucket as 64 bits; later
//           samples: t delta-of-delta, then each of those XOR-encoded with its own window.
// One chunk has one bucket layout (schema, zero threshold, spans, custom bounds). When buckets appear,
// Prometheus recodes the chunk to the wider layout; that is the caller's (head-histograms.ts), which
// rebuilds the chunk from its samples. A stale marker is a histogram whose sum is the stale NaN: it
// carries no buckets.
import {
  CounterResetHint,
  countSpans,
  isCustomBucketsSchema,
  isKnownSchema,
  type FloatHistogram,
  type Histogram,
  type Span,
} from '../../model/histogram.js';
import { isStaleNaN } from '../../model/value.js';
import { BitReader, BitWriter } from './bitstream.js';
import { putVarbitInt, putVarbitUint, readVarbitInt, readVarbitUint } from './varbit.js';

export const ENC_HISTOGRAM = 2;
export const ENC_FLOAT_HISTOGRAM = 3;
/**
 * Prometheus 3.14's start-timestamp variants (histogram_st.go, float_histogram_st.go): the same
 * samples, the counter reset header in the top bits of the sample count (14 bits left for it), the
 * third header byte an ST header, and each sample's ST after its payload (see StEncoder).
 */
export const ENC_HISTOGRAM_ST = 5;
export const ENC_FLOAT_HISTOGRAM_ST = 6;

/** The chunk header's counter reset bits (Prometheus's CounterResetHeader). */
export const enum CounterResetHeader {
  Unknown = 0b00000000,
  CounterReset = 0b10000000,
  NotCounterReset = 0b01000000,
  Gauge = 0b11000000,
}

const HEADER_BYTES = 3;
const FLAG_POS = 2;
const HEADER_MASK = 0b11000000;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function bitsOf(v: number): [number, number] {
  f64[0] = v;
  return [u32[1], u32[0]];
}

function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0];
}

/** The chunk header for each sample counter reset hint (Unknown, CounterReset, NotCounterReset, Gauge). */
const HEADER_OF_HINT: readonly CounterResetHeader[] = [
  CounterResetHeader.Unknown,
  CounterResetHeader.CounterReset,
  CounterResetHeader.NotCounterReset,
  CounterResetHeader.Gauge,
];

/** Prometheus's CounterResetHintToHeader. */
export function headerForHint(hint: CounterResetHint): CounterResetHeader {
  return HEADER_OF_HINT[hint] ?? CounterResetHeader.Unknown;
}

function hintForHeader(h: CounterResetHeader): CounterResetHint {
  const i = HEADER_OF_HINT.indexOf(h);
  return i < 0 ? CounterResetHint.Unknown : (i as CounterResetHint);
}

// ---- layout (histogram_meta.go) ----

function putZeroThreshold(w: BitWriter, v: number): void {
  w.ensure(10);
  if (v === 0) {
    w.writeBits(0, 8);
    return;
  }
  // a power of two 2^(e-1) with e in -242..11 fits one byte: e + 243
  const e = v > 0 && Number.isFinite(v) ? Math.log2(v) + 1 : NaN;
  if (Number.isInteger(e) && e >= -242 && e <= 11 && 2 ** (e - 1) === v) {
    w.writeBits(e + 243, 8);
    return;
  }
  w.writeBits(255, 8);
  const [hi, lo] = bitsOf(v);
  w.writeBits64(hi, lo, 64);
}

function readZeroThreshold(r: BitReader): number {
  const b = r.readBits(8);
  if (b === 0) return 0;
  if (b === 255) return fromBits(r.readBits(32), r.readBits(32));
  return 0.5 * 2 ** (b - 243);
}

function putSpans(w: BitWriter, spans: readonly Span[]): void {
  putVarbitUint(w, spans.length);
  for (const s of spans) {
    putVarbitUint(w, s.length);
    putVarbitInt(w, s.offset);
  }
}

function readSpans(r: BitReader): Span[] {
  const n = readVarbitUint(r);
  const out: Span[] = [];
  for (let i = 0; i < n; i++) {
    const length = readVarbitUint(r);
    out.push({ offset: readVarbitInt(r), length });
  }
  return out;
}

function putCustomBound(w: BitWriter, v: number): void {
  const t = v * 1000;
  // whole thousandths up to 33554.43 go as a varbit_uint (+1, 0 marks a raw float)
  if (t < 0 || t > 33554430 || Math.round(t) / 1000 !== v) {
    w.ensure(10);
    w.writeBits(0, 1);
    const [hi, lo] = bitsOf(v);
    w.writeBits64(hi, lo, 64);
    return;
  }
  putVarbitUint(w, Math.round(t) + 1);
}

function readCustomBound(r: BitReader): number {
  const b = readVarbitUint(r);
  if (b === 0) return fromBits(r.readBits(32), r.readBits(32));
  return (b - 1) / 1000;
}

export interface Layout {
  schema: number;
  zeroThreshold: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  customValues?: number[];
}

function putLayout(w: BitWriter, l: Layout): void {
  putZeroThreshold(w, l.zeroThreshold);
  putVarbitInt(w, l.schema);
  putSpans(w, l.positiveSpans);
  putSpans(w, l.negativeSpans);
  if (isCustomBucketsSchema(l.schema)) {
    const cv = l.customValues ?? [];
    putVarbitUint(w, cv.length);
    for (const v of cv) putCustomBound(w, v);
  }
}

function readLayout(r: BitReader): Layout {
  const zeroThreshold = readZeroThreshold(r);
  const schema = readVarbitInt(r);
  const positiveSpans = readSpans(r);
  const negativeSpans = readSpans(r);
  const l: Layout = { schema, zeroThreshold, positiveSpans, negativeSpans };
  if (isCustomBucketsSchema(schema)) {
    const n = readVarbitUint(r);
    l.customValues = [];
    for (let i = 0; i < n; i++) l.customValues.push(readCustomBound(r));
  }
  if (!isKnownSchema(schema))
    throw new Error(
      `histogram has an unknown schema, which must be between -9 and 52 for exponential buckets, or -53 for custom buckets, got schema ${schema}`,
    );
  return l;
}

function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i].offset !== b[i].offset || a[i].length !== b[i].length) return false;
  return true;
}

/** Whether `h` fits the chunk's layout (a stale marker fits any). */
function fitsLayout(l: Layout, h: Layout & { sum: number }): boolean {
  if (isStaleNaN(h.sum)) return true;
  if (l.schema !== h.schema || l.zeroThreshold !== h.zeroThreshold) return false;
  if (!sameSpans(l.positiveSpans, h.positiveSpans) || !sameSpans(l.negativeSpans, h.negativeSpans))
    return false;
  const a = l.customValues ?? [];
  const b = h.customValues ?? [];
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The ST header's "every sample has its ST from" field is 7 bits. */
const MAX_FIRST_ST_CHANGE_ON = 0x7f;

/**
 * Start timestamps in histogram ST chunks (Prometheus's stEncoder, chunkenc/st.go): sample 0's ST as
 * a varint of t - st when known (ST header bit 7); the first change as a varbit of prevT - st at
 * sample index `firstSTChangeOn` (the header's low 7 bits, forced at index 127), and from then on
 * every sample's change of prevT - st. XOR2 float chunks (xor2.ts) follow the same scheme.
 */
class StEncoder {
  st = 0;
  stDiff = 0;
  firstSTChangeOn = 0;

  /** After sample `index`'s payload; `header` is the chunk's bytes, the ST header at byte 2. */
  encode(w: BitWriter, header: Uint8Array, index: number, t: number, prevT: number, st: number): void {
    if (index === 0) {
      if (st !== 0) {
        writeVarintBits(w, t - st);
        header[2] = 0x80;
      }
    } else if (index === 1) {
      if (st !== this.st) {
        this.stDiff = prevT - st;
        this.firstSTChangeOn = 1;
        header[2] |= 1;
        putVarbitInt(w, this.stDiff);
      }
    } else if (this.firstSTChangeOn > 0) {
      const d = prevT - st;
      putVarbitInt(w, d - this.stDiff);
      this.stDiff = d;
    } else if (st !== this.st || index === MAX_FIRST_ST_CHANGE_ON) {
      this.stDiff = prevT - st;
      this.firstSTChangeOn = index;
      header[2] |= index;
      putVarbitInt(w, this.stDiff);
    }
    this.st = st;
  }
}

/** Reads what StEncoder wrote, sample by sample. */
class StDecoder {
  st = 0;
  private stDiff = 0;

  constructor(
    private readonly firstSTKnown: boolean,
    private readonly firstSTChangeOn: number,
  ) {}

  decode(r: BitReader, index: number, t: number, prevT: number): number {
    if (index === 0) {
      if (this.firstSTKnown) this.st = t - readVarintBits(r);
    } else if (this.firstSTChangeOn > 0 && index >= this.firstSTChangeOn) {
      const d = readVarbitInt(r);
      this.stDiff = index === this.firstSTChangeOn ? d : this.stDiff + d;
      this.st = prevT - this.stDiff;
    }
    return this.st;
  }
}

/** Go's PutVarint as 8-bit groups at any bit position (bstream.writeByte). */
function writeVarintBits(w: BitWriter, v: number): void {
  w.ensure(12);
  let z = v < 0 ? -2 * v - 1 : 2 * v;
  while (z >= 0x80) {
    w.writeBits((z % 128) | 0x80, 8);
    z = Math.floor(z / 128);
  }
  w.writeBits(z, 8);
}

function readVarintBits(r: BitReader): number {
  let z = 0;
  for (let mul = 1; ; mul *= 128) {
    const b = r.readBits(8);
    z += (b & 0x7f) * mul;
    if (b < 0x80) break;
  }
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Gorilla XOR of a float against the previous one, with its own leading/trailing window. */
class XorState {
  hi = 0;
  lo = 0;
  leading = 0xff;
  trailing = 0;

  set(v: number): void {
    [this.hi, this.lo] = bitsOf(v);
  }

  write(w: BitWriter, v: number): void {
    w.ensure(12);
    const [hi, lo] = bitsOf(v);
    const xh = (hi ^ this.hi) >>> 0;
    const xl = (lo ^ this.lo) >>> 0;
    this.hi = hi;
    this.lo = lo;
    if (xh === 0 && xl === 0) {
      w.writeBits(0, 1);
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 32 + (31 - Math.clz32(xh & -xh));
    if (leading >= 32) leading = 31;
    let tr: number;
    let sig: number;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      w.writeBits(0b10, 2);
      tr = this.trailing;
      sig = 64 - this.leading - this.trailing;
    } else {
      this.leading = leading;
      this.trailing = trailing;
      sig = 64 - leading - trailing;
      tr = trailing;
      w.writeBits(0b11, 2);
      w.writeBits(leading, 5);
      w.writeBits(sig & 63, 6);
    }
    writeShifted(w, xh, xl, tr, sig);
  }

  read(r: BitReader): void {
    if (r.readBit() === 0) return;
    let sig: number;
    if (r.readBit() === 0) {
      sig = 64 - this.leading - this.trailing;
    } else {
      this.leading = r.readBits(5);
      sig = r.readBits(6);
      if (sig === 0) sig = 64;
      this.trailing = 64 - this.leading - sig;
    }
    let h = 0;
    let l: number;
    if (sig > 32) {
      h = r.readBits(sig - 32);
      l = r.readBits(32);
    } else l = r.readBits(sig);
    // shift (h, l) left by trailing and XOR into the value
    const tr = this.trailing;
    let xh: number;
    let xl: number;
    if (tr === 0) {
      xh = h;
      xl = l;
    } else if (tr < 32) {
      xh = ((h << tr) | (l >>> (32 - tr))) >>> 0;
      xl = (l << tr) >>> 0;
    } else {
      xh = (l << (tr - 32)) >>> 0;
      xl = 0;
    }
    this.hi = (this.hi ^ xh) >>> 0;
    this.lo = (this.lo ^ xl) >>> 0;
  }

  get value(): number {
    return fromBits(this.hi, this.lo);
  }
}

/** Writes (xh, xl) >> tr as `sig` bits. */
function writeShifted(w: BitWriter, xh: number, xl: number, tr: number, sig: number): void {
  let h: number;
  let l: number;
  if (tr === 0) {
    h = xh;
    l = xl;
  } else if (tr < 32) {
    l = ((xl >>> tr) | (xh << (32 - tr))) >>> 0;
    h = xh >>> tr;
  } else {
    l = xh >>> (tr - 32);
    h = 0;
  }
  if (sig > 32) w.writeBits64(h, l, sig);
  else w.writeBits(l, sig);
}

abstract class HistogramChunkBase {
  protected readonly w: BitWriter | null;
  protected readonly ro: Uint8Array | null;
  protected n = 0;
  protected layout: Layout | undefined;
  protected t = 0;
  protected tDelta = 0;
  private mint = Infinity;
  private maxt = -Infinity;
  /** Start timestamps per sample (the ST encodings): their encoder while appending. */
  protected readonly stEnc: StEncoder | undefined;
  /** Where the counter reset header lives: byte 2, or byte 0 in the ST encodings. */
  private readonly flagPos: number;

  /** `withST`: the ST variant of the encoding (ENC_HISTOGRAM_ST / ENC_FLOAT_HISTOGRAM_ST). */
  constructor(
    bytes?: Uint8Array,
    readonly withST = false,
  ) {
    this.flagPos = withST ? 0 : FLAG_POS;
    if (bytes === undefined) {
      this.w = new BitWriter(256);
      this.w.ensure(4);
      this.w.writeBits(0, 24);
      this.ro = null;
      if (withST) this.stEnc = new StEncoder();
    } else {
      this.w = null;
      this.ro = bytes;
      this.n = ((bytes[0] << 8) | bytes[1]) & (withST ? 0x3fff : 0xffff);
    }
  }

  abstract readonly encoding: number;

  /** Writes sample `index`'s start timestamp after its payload (ST encodings only). */
  protected putST(w: BitWriter, t: number, prevT: number, st: number): void {
    this.stEnc?.encode(w, w.buf, this.n, t, prevT, st);
  }

  /** A decoder of the samples' start timestamps (undefined: not an ST encoding). */
  protected stDecoder(): StDecoder | undefined {
    if (!this.withST) return undefined;
    const b = this.ro ?? this.w!.buf;
    return new StDecoder((b[2] & 0x80) !== 0, b[2] & 0x7f);
  }

  get numSamples(): number {
    return this.n;
  }

  get minTime(): number {
    return this.mint;
  }

  get maxTime(): number {
    return this.maxt;
  }

  /** The length of bytes() without copying them (the head checks it on every append). */
  get byteLength(): number {
    if (this.ro !== null) return this.ro.length;
    return this.n === 0 ? HEADER_BYTES : this.w!.byteLength;
  }

  /** The chunk's bytes as Prometheus holds them. */
  bytes(): Uint8Array {
    if (this.ro !== null) return this.ro;
    const w = this.w!;
    const out = this.n === 0 ? w.buf.slice(0, HEADER_BYTES) : w.toBytes();
    // the ST encodings keep the counter reset header in byte 0's top bits
    out[0] = (this.withST ? out[0] & HEADER_MASK : 0) | (this.n >>> 8);
    out[1] = this.n & 0xff;
    return out;
  }

  get counterResetHeader(): CounterResetHeader {
    const b = this.ro ?? this.w!.buf;
    return (b[this.flagPos] & HEADER_MASK) as CounterResetHeader;
  }

  set counterResetHeader(h: CounterResetHeader) {
    const b = this.w!.buf;
    b[this.flagPos] = (b[this.flagPos] & ~HEADER_MASK) | h;
  }

  /** The last sample appended was a stale marker: only stale markers may follow in this chunk. */
  private lastStale = false;

  /** The bucket layout of an appendable chunk's samples (undefined while empty). */
  get bucketLayout(): Readonly<Layout> | undefined {
    return this.layout;
  }

  /**
   * Whether `h` can be appended: its layout is the chunk's, and it does not follow a stale marker
   * (unless it is one), as Prometheus's appendable(). Otherwise the caller cuts a new chunk.
   */
  fits(h: Histogram | FloatHistogram): boolean {
    if (this.layout === undefined) return true;
    if (this.lastStale && !isStaleNaN(h.sum)) return false;
    return fitsLayout(this.layout, h);
  }

  protected begin(t: number, h: Layout & { sum: number }): BitWriter {
    const w = this.w;
    if (w === null) throw new Error('cannot append to a read-only histogram chunk');
    if (this.n === (this.withST ? 0x3fff : 0xffff))
      throw new RangeError(`histogram chunk full (${this.n} samples)`);
    if (this.layout !== undefined && !this.fits(h as Histogram))
      throw new Error('histogram does not fit the chunk (layout, or after a stale marker): cut a new chunk');
    this.lastStale = isStaleNaN(h.sum);
    if (this.n > 0 && t <= this.maxt) throw new Error('histogram chunk appends must be in time order');
    if (this.n === 0) {
      // a stale marker as the first sample dictates an empty layout
      const l: Layout = isStaleNaN(h.sum)
        ? { schema: 0, zeroThreshold: 0, positiveSpans: [], negativeSpans: [] }
        : {
            schema: h.schema,
            zeroThreshold: h.zeroThreshold,
            positiveSpans: h.positiveSpans.map((s) => ({ ...s })),
            negativeSpans: h.negativeSpans.map((s) => ({ ...s })),
            ...(isCustomBucketsSchema(h.schema) ? { customValues: [...(h.customValues ?? [])] } : {}),
          };
      putLayout(w, l);
      this.layout = l;
      this.mint = t;
    }
    return w;
  }

  protected end(t: number, tDelta: number): void {
    this.t = t;
    this.tDelta = tDelta;
    this.maxt = t;
    this.n++;
  }

  protected reader(): { r: BitReader; layout: Layout; pCount: number; nCount: number } {
    const bytes = this.bytes();
    const r = new BitReader(bytes, HEADER_BYTES * 8);
    const layout = readLayout(r);
    return { r, layout, pCount: countSpans(layout.positiveSpans), nCount: countSpans(layout.negativeSpans) };
  }
}

export interface HistogramSample {
  t: number;
  h: Histogram;
  /** Start timestamp (ST encodings; absent: unknown). */
  st?: number;
}

export interface FloatHistogramSample {
  t: number;
  h: FloatHistogram;
  st?: number;
}

const STALE_LAYOUT = { schema: 0, zeroThreshold: 0, positiveSpans: [], negativeSpans: [] };

/** An integer histogram chunk (EncHistogram). */
export class HistogramChunk extends HistogramChunkBase {
  get encoding(): number {
    return this.withST ? ENC_HISTOGRAM_ST : ENC_HISTOGRAM;
  }
  private cnt = 0;
  private zCnt = 0;
  private cntDelta = 0;
  private zCntDelta = 0;
  private pBuckets: number[] = [];
  private nBuckets: number[] = [];
  private pDeltas: number[] = [];
  private nDeltas: number[] = [];
  private readonly sum = new XorState();

  static fromBytes(bytes: Uint8Array, withST = false): HistogramChunk {
    return new HistogramChunk(bytes, withST);
  }

  /** Appends a sample; `st` is its start timestamp (0: unknown), kept by the ST encoding only. */
  append(t: number, hIn: Histogram, st = 0): void {
    const stale = isStaleNaN(hIn.sum);
    const h: Histogram = stale
      ? {
          ...STALE_LAYOUT,
          counterResetHint: 0,
          count: 0,
          zeroCount: 0,
          sum: hIn.sum,
          positiveBuckets: [],
          negativeBuckets: [],
        }
      : hIn;
    const w = this.begin(t, h);
    let tDelta = 0;
    let cntDelta = 0;
    let zCntDelta = 0;
    if (this.n === 0) {
      putVarbitInt(w, t);
      putVarbitUint(w, h.count);
      putVarbitUint(w, h.zeroCount);
      const [hi, lo] = bitsOf(h.sum);
      w.ensure(10);
      w.writeBits64(hi, lo, 64);
      this.sum.set(h.sum);
      for (const b of h.positiveBuckets) putVarbitInt(w, b);
      for (const b of h.negativeBuckets) putVarbitInt(w, b);
      this.pBuckets = new Array<number>(h.positiveBuckets.length).fill(0);
      this.nBuckets = new Array<number>(h.negativeBuckets.length).fill(0);
      this.pDeltas = new Array<number>(h.positiveBuckets.length).fill(0);
      this.nDeltas = new Array<number>(h.negativeBuckets.length).fill(0);
    } else {
      tDelta = t - this.t;
      cntDelta = h.count - this.cnt;
      zCntDelta = h.zeroCount - this.zCnt;
      putVarbitInt(w, tDelta - this.tDelta);
      // as Prometheus: a stale marker writes zero count changes (its reader keeps the running deltas)
      putVarbitInt(w, stale ? 0 : cntDelta - this.cntDelta);
      putVarbitInt(w, stale ? 0 : zCntDelta - this.zCntDelta);
      this.sum.write(w, h.sum);
      for (let i = 0; i < h.positiveBuckets.length; i++) {
        const delta = h.positiveBuckets[i] - this.pBuckets[i];
        putVarbitInt(w, delta - this.pDeltas[i]);
        this.pDeltas[i] = delta;
      }
      for (let i = 0; i < h.negativeBuckets.length; i++) {
        const delta = h.negativeBuckets[i] - this.nBuckets[i];
        putVarbitInt(w, delta - this.nDeltas[i]);
        this.nDeltas[i] = delta;
      }
    }
    this.cnt = h.count;
    this.zCnt = h.zeroCount;
    this.cntDelta = cntDelta;
    this.zCntDelta = zCntDelta;
    for (let i = 0; i < h.positiveBuckets.length; i++) this.pBuckets[i] = h.positiveBuckets[i];
    for (let i = 0; i < h.negativeBuckets.length; i++) this.nBuckets[i] = h.negativeBuckets[i];
    this.putST(w, t, this.t, st);
    this.end(t, tDelta);
  }

  /** Every sample, in order; bucket values as deltas (the integer histogram form). */
  samples(): HistogramSample[] {
    const total = this.n;
    const out: HistogramSample[] = [];
    if (total === 0) return out;
    const { r, layout, pCount, nCount } = this.reader();
    const hint = hintForHeader(this.counterResetHeader);
    const pb = new Array<number>(pCount).fill(0);
    const nb = new Array<number>(nCount).fill(0);
    const pd = new Array<number>(pCount).fill(0);
    const nd = new Array<number>(nCount).fill(0);
    let t = 0;
    let tDelta = 0;
    let cnt = 0;
    let zCnt = 0;
    let cntDelta = 0;
    let zCntDelta = 0;
    const sum = new XorState();
    const stDec = this.stDecoder();
    for (let k = 0; k < total; k++) {
      const prevT = t;
      if (k === 0) {
        t = readVarbitInt(r);
        cnt = readVarbitUint(r);
        zCnt = readVarbitUint(r);
        sum.hi = r.readBits(32);
        sum.lo = r.readBits(32);
        for (let i = 0; i < pCount; i++) pb[i] = readVarbitInt(r);
        for (let i = 0; i < nCount; i++) nb[i] = readVarbitInt(r);
      } else {
        tDelta += readVarbitInt(r);
        t += tDelta;
        cntDelta += readVarbitInt(r);
        cnt += cntDelta;
        zCntDelta += readVarbitInt(r);
        zCnt += zCntDelta;
        sum.read(r);
        if (!isStaleNaN(sum.value)) {
          for (let i = 0; i < pCount; i++) {
            pd[i] += readVarbitInt(r);
            pb[i] += pd[i];
          }
          for (let i = 0; i < nCount; i++) {
            nd[i] += readVarbitInt(r);
            nb[i] += nd[i];
          }
        }
      }
      const st = stDec?.decode(r, k, t, prevT) ?? 0;
      const s = sum.value;
      if (isStaleNaN(s)) {
        out.push({
          ...(st !== 0 ? { st } : {}),
          t,
          h: {
            ...STALE_LAYOUT,
            counterResetHint: 0,
            count: 0,
            zeroCount: 0,
            sum: s,
            positiveBuckets: [],
            negativeBuckets: [],
          },
        });
        continue;
      }
      out.push({
        ...(st !== 0 ? { st } : {}),
        t,
        h: {
          counterResetHint: sampleHint(hint, k),
          schema: layout.schema,
          zeroThreshold: layout.zeroThreshold,
          zeroCount: zCnt,
          count: cnt,
          sum: s,
          positiveSpans: layout.positiveSpans.map((x) => ({ ...x })),
          negativeSpans: layout.negativeSpans.map((x) => ({ ...x })),
          positiveBuckets: [...pb],
          negativeBuckets: [...nb],
          ...(layout.customValues !== undefined ? { customValues: [...layout.customValues] } : {}),
        },
      });
    }
    return out;
  }
}

/** A float histogram chunk (EncFloatHistogram). */
export class FloatHistogramChunk extends HistogramChunkBase {
  get encoding(): number {
    return this.withST ? ENC_FLOAT_HISTOGRAM_ST : ENC_FLOAT_HISTOGRAM;
  }
  private readonly cnt = new XorState();
  private readonly zCnt = new XorState();
  private readonly sum = new XorState();
  private pBuckets: XorState[] = [];
  private nBuckets: XorState[] = [];

  static fromBytes(bytes: Uint8Array, withST = false): FloatHistogramChunk {
    return new FloatHistogramChunk(bytes, withST);
  }

  /** Appends a sample; `st` is its start timestamp (0: unknown), kept by the ST encoding only. */
  append(t: number, hIn: FloatHistogram, st = 0): void {
    const h: FloatHistogram = isStaleNaN(hIn.sum)
      ? {
          ...STALE_LAYOUT,
          counterResetHint: 0,
          count: 0,
          zeroCount: 0,
          sum: hIn.sum,
          positiveBuckets: [],
          negativeBuckets: [],
        }
      : hIn;
    const w = this.begin(t, h);
    let tDelta = 0;
    if (this.n === 0) {
      putVarbitInt(w, t);
      for (const v of [h.count, h.zeroCount, h.sum, ...h.positiveBuckets, ...h.negativeBuckets]) {
        const [hi, lo] = bitsOf(v);
        w.ensure(10);
        w.writeBits64(hi, lo, 64);
      }
      this.cnt.set(h.count);
      this.zCnt.set(h.zeroCount);
      this.sum.set(h.sum);
      const state = (v: number): XorState => {
        const x = new XorState();
        x.set(v);
        return x;
      };
      this.pBuckets = h.positiveBuckets.map(state);
      this.nBuckets = h.negativeBuckets.map(state);
    } else {
      tDelta = t - this.t;
      putVarbitInt(w, tDelta - this.tDelta);
      this.cnt.write(w, h.count);
      this.zCnt.write(w, h.zeroCount);
      this.sum.write(w, h.sum);
      for (let i = 0; i < h.positiveBuckets.length; i++) this.pBuckets[i].write(w, h.positiveBuckets[i]);
      for (let i = 0; i < h.negativeBuckets.length; i++) this.nBuckets[i].write(w, h.negativeBuckets[i]);
    }
    this.putST(w, t, this.t, st);
    this.end(t, tDelta);
  }

  samples(): FloatHistogramSample[] {
    const total = this.n;
    const out: FloatHistogramSample[] = [];
    if (total === 0) return out;
    const { r, layout, pCount, nCount } = this.reader();
    const hint = hintForHeader(this.counterResetHeader);
    const cnt = new XorState();
    const zCnt = new XorState();
    const sum = new XorState();
    const pb = Array.from({ length: pCount }, () => new XorState());
    const nb = Array.from({ length: nCount }, () => new XorState());
    let t = 0;
    let tDelta = 0;
    const stDec = this.stDecoder();
    for (let k = 0; k < total; k++) {
      const prevT = t;
      if (k === 0) {
        t = readVarbitInt(r);
        for (const x of [cnt, zCnt, sum, ...pb, ...nb]) {
          x.hi = r.readBits(32);
          x.lo = r.readBits(32);
        }
      } else {
        tDelta += readVarbitInt(r);
        t += tDelta;
        cnt.read(r);
        zCnt.read(r);
        sum.read(r);
        if (!isStaleNaN(sum.value)) for (const x of [...pb, ...nb]) x.read(r);
      }
      const st = stDec?.decode(r, k, t, prevT) ?? 0;
      if (isStaleNaN(sum.value)) {
        out.push({
          ...(st !== 0 ? { st } : {}),
          t,
          h: {
            ...STALE_LAYOUT,
            counterResetHint: 0,
            count: 0,
            zeroCount: 0,
            sum: sum.value,
            positiveBuckets: [],
            negativeBuckets: [],
          },
        });
        continue;
      }
      out.push({
        ...(st !== 0 ? { st } : {}),
        t,
        h: {
          counterResetHint: sampleHint(hint, k),
          schema: layout.schema,
          zeroThreshold: layout.zeroThreshold,
          zeroCount: zCnt.value,
          count: cnt.value,
          sum: sum.value,
          positiveSpans: layout.positiveSpans.map((x) => ({ ...x })),
          negativeSpans: layout.negativeSpans.map((x) => ({ ...x })),
          positiveBuckets: pb.map((x) => x.value),
          negativeBuckets: nb.map((x) => x.value),
          ...(layout.customValues !== undefined ? { customValues: [...layout.customValues] } : {}),
        },
      });
    }
    return out;
  }
}

/**
 * The hint a read sample gets (Prometheus's counterResetHint): gauge in a gauge chunk, "not a reset"
 * after a counter chunk's first sample, "unknown" for the first (the previous chunk may be gone).
 */
function sampleHint(header: CounterResetHint, index: number): CounterResetHint {
  if (header === CounterResetHint.Gauge) return CounterResetHint.Gauge;
  return index > 0 ? CounterResetHint.NotCounterReset : CounterResetHint.Unknown;
}
