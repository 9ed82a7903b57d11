// XOR2 float chunks in Prometheus 3.14's byte layout (tsdb/chunkenc/xor2.go,
// tsdb/docs/format/chunks.md "XOR2 chunk data"): the XOR chunk's idea with a joint control prefix
// for timestamp delta-of-delta and value change, and optional start timestamps (ST) per sample.
//
//   num_samples u16 | st_header u8 | t0 varint | v0 64 bits | st0? varint(t0 - st0)
//   | t1 delta uvarint | v1 <varbit_xor2> | st1? varbit(t0 - st1) | sample_n... | padding
//
// Samples from the third on start with a control prefix: `0` same time step and value, `10` same
// step and a changed value, `110`+13 / `1110`+20 bit delta-of-delta (prefix and dod byte-aligned),
// `11110`+64 bits, `11111` a stale marker. The ST header's top bit says st0 is present; its low 7
// bits the sample from which every sample carries its ST (as a delta of prevT - st), 0 for none.
// A chunk of samples without STs (st = 0) carries no ST bits at all.
//
// Prometheus 3.14's bstream no longer leaves an empty byte after whole-byte writes, so a chunk is
// exactly as long as its bits, rounded up.
import { BitReader, BitWriter } from './bitstream.js';
import { putVarbitInt, readVarbitInt } from './varbit.js';
import { writeUvarint, writeVarint } from './xor.js';

/** Prometheus's chunkenc.EncXOR2. */
export const ENC_XOR2 = 4;

const MAX_SAMPLES = 0xffff;
/** The ST header's "changes from sample" field is 7 bits: from then on every sample has its ST. */
const MAX_FIRST_ST_CHANGE_ON = 0x7f;
const HEADER_BYTES = 3;
const TWO32 = 4294967296;
const STALE_HI = 0x7ff00000;
const STALE_LO = 2;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Decoded samples: times, values (bit-exact through vw) and start timestamps (0: unknown). */
export interface XOR2Samples {
  t: Float64Array;
  v: Float64Array;
  st: Float64Array;
  n: number;
}

export class XOR2Chunk {
  private readonly w: BitWriter | null;
  private readonly ro: Uint8Array | null;
  private n = 0;
  private mint = Infinity;
  private maxt = -Infinity;
  // appender state (Prometheus's xor2Appender)
  private t = 0;
  private tDelta = 0;
  private vh = 0; // the last value that was not a stale marker: the XOR baseline
  private vl = 0;
  private leading = 0xff;
  private trailing = 0;
  private st = 0;
  private stDiff = 0;
  private firstSTChangeOn = 0;
  /** Whether any sample so far has a start timestamp. */
  private anyST = false;

  constructor(bytes?: Uint8Array) {
    if (bytes === undefined) {
      this.w = new BitWriter(128);
      this.w.pos = HEADER_BYTES * 8;
      this.ro = null;
    } else {
      if (bytes.length < HEADER_BYTES) throw new Error(`XOR2 chunk too short: ${bytes.length} bytes`);
      this.w = null;
      this.ro = bytes;
      this.n = (bytes[0] << 8) | bytes[1];
      this.mint = NaN;
      this.maxt = NaN;
    }
  }

  static fromBytes(bytes: Uint8Array): XOR2Chunk {
    return new XOR2Chunk(bytes);
  }

  get numSamples(): number {
    return this.n;
  }

  get minTime(): number {
    if (this.mint !== this.mint) this.decodeBounds();
    return this.mint;
  }

  get maxTime(): number {
    if (this.maxt !== this.maxt) this.decodeBounds();
    return this.maxt;
  }

  get byteLength(): number {
    return this.ro !== null ? this.ro.length : this.w!.byteLength;
  }

  /** Whether a sample of this chunk has a start timestamp (the header says so). */
  get hasST(): boolean {
    if (this.ro !== null) return this.ro[2] !== 0;
    return this.anyST;
  }

  bytes(): Uint8Array {
    if (this.ro !== null) return this.ro;
    const w = this.w!;
    w.buf[0] = this.n >>> 8;
    w.buf[1] = this.n & 0xff;
    return w.buf.subarray(0, w.byteLength);
  }

  compact(): void {
    this.w?.compact();
  }

  /** Appends a sample after the previous one; `st` is its start timestamp (0: unknown). */
  append(t: number, v: number, st = 0): void {
    const w = this.w;
    if (w === null) throw new Error('cannot append to a read-only XOR2 chunk');
    const num = this.n;
    if (num === MAX_SAMPLES) throw new RangeError(`XOR2 chunk full (${MAX_SAMPLES} samples)`);
    w.ensure(48);
    f64[0] = v;
    let hi = u32[1];
    const lo = u32[0];
    if (lo === STALE_LO && (hi & 0xfff7ffff) === STALE_HI) hi = STALE_HI;
    const stale = hi === STALE_HI && lo === STALE_LO;
    let tDelta = 0;
    if (num === 0) {
      writeVarint(w, t);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      if (st !== 0) {
        writeVarint(w, t - st);
        w.buf[2] |= 0x80;
      }
      this.mint = t;
    } else if (num === 1) {
      tDelta = t - this.t;
      writeUvarint(w, tDelta);
      this.writeVDelta(w, hi, lo, stale);
      if (st !== this.st) {
        this.stDiff = this.t - st;
        this.firstSTChangeOn = 1;
        w.buf[2] |= 1;
        putVarbitInt(w, this.stDiff);
      }
    } else {
      tDelta = t - this.t;
      this.writeJoint(w, tDelta - this.tDelta, hi, lo, stale);
      if (this.firstSTChangeOn > 0) {
        const stDiff = this.t - st;
        putVarbitInt(w, stDiff - this.stDiff);
        this.stDiff = stDiff;
      } else if (st !== this.st || num === MAX_FIRST_ST_CHANGE_ON) {
        this.stDiff = this.t - st;
        this.firstSTChangeOn = num;
        w.buf[2] |= num;
        putVarbitInt(w, this.stDiff);
      }
    }
    w.lastWasByte = false;
    if (st !== 0) this.anyST = true;
    this.st = st;
    this.t = t;
    this.tDelta = tDelta;
    if (!stale) {
      this.vh = hi;
      this.vl = lo;
    }
    this.n = num + 1;
    this.maxt = t;
  }

  /** The joint control prefix and value of a sample from the third on. */
  private writeJoint(w: BitWriter, dod: number, hi: number, lo: number, stale: boolean): void {
    const same = hi === this.vh && lo === this.vl;
    if (dod === 0) {
      if (stale) w.writeBits(0b11111, 5);
      else if (same) w.writeBits(0, 1);
      else {
        w.writeBits(0b10, 2);
        this.writeXOR(w, (hi ^ this.vh) >>> 0, (lo ^ this.vl) >>> 0, 0b0, 1, 0b1, 1);
      }
      return;
    }
    if (dod >= -4096 && dod <= 4095) w.writeBits((0b110 << 13) | (dod & 0x1fff), 16);
    else if (dod >= -524288 && dod <= 524287) w.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    else {
      w.writeBits(0b11110, 5);
      const dh = Math.floor(dod / TWO32);
      w.writeBits(dh >>> 0, 32);
      w.writeBits((dod - dh * TWO32) >>> 0, 32);
    }
    if (same) w.writeBits(0, 1);
    else this.writeVDelta(w, hi, lo, stale);
  }

  /** <varbit_xor2>: `0` unchanged, `10` previous window, `110` new window, `111` stale marker. */
  private writeVDelta(w: BitWriter, hi: number, lo: number, stale: boolean): void {
    if (stale) {
      w.writeBits(0b111, 3);
      return;
    }
    const xh = (hi ^ this.vh) >>> 0;
    const xl = (lo ^ this.vl) >>> 0;
    if (xh === 0 && xl === 0) {
      w.writeBits(0, 1);
      return;
    }
    this.writeXOR(w, xh, xl, 0b10, 2, 0b110, 3);
  }

  /** A non-zero XOR: `reuse` + the bits in the previous window, or `fresh` + leading, sigbits, bits. */
  private writeXOR(
    w: BitWriter,
    xh: number,
    xl: number,
    reuse: number,
    reuseBits: number,
    fresh: number,
    freshBits: number,
  ): void {
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading >= 32) leading = 31;
    let tr: number;
    let sig: number;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      tr = this.trailing;
      sig = 64 - this.leading - this.trailing;
      w.writeBits(reuse, reuseBits);
    } else {
      this.leading = leading;
      this.trailing = tr = trailing;
      sig = 64 - leading - trailing;
      w.writeBits(fresh, freshBits);
      w.writeBits(leading, 5);
      w.writeBits(sig & 63, 6);
    }
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
    if (sig > 32) {
      w.writeBits(h, sig - 32);
      w.writeBits(l, 32);
    } else w.writeBits(l, sig);
  }

  /**
   * Decodes the samples with mint <= t <= maxt into t/v/st from index `at` (room for numSamples
   * needed); returns how many were written. Values keep their bits.
   */
  decodeInto(
    ts: Float64Array,
    vs: Float64Array,
    sts: Float64Array,
    at: number,
    mint: number,
    maxt: number,
  ): number {
    const vw = new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
    let o = at;
    this.each((t, hi, lo, st) => {
      if (t > maxt) return false;
      if (t >= mint) {
        ts[o] = t;
        vw[2 * o] = lo;
        vw[2 * o + 1] = hi;
        sts[o] = st;
        o++;
      }
      return true;
    });
    return o - at;
  }

  /** All samples, decoded. */
  samples(): XOR2Samples {
    const n = this.n;
    const out: XOR2Samples = {
      t: new Float64Array(n),
      v: new Float64Array(n),
      st: new Float64Array(n),
      n: 0,
    };
    out.n = this.decodeInto(out.t, out.v, out.st, 0, -Infinity, Infinity);
    return out;
  }

  /** Calls fn with each sample (value as its two words) until it returns false. */
  private each(fn: (t: number, hi: number, lo: number, st: number) => boolean): void {
    const total = this.n;
    if (total === 0) return;
    const bytes = this.ro ?? this.w!.buf.subarray(0, this.w!.byteLength);
    const r = new BitReader(bytes, HEADER_BYTES * 8);
    const firstSTKnown = (bytes[2] & 0x80) !== 0;
    const firstSTChangeOn = bytes[2] & 0x7f;
    const readUvarint = (): number => {
      let x = 0;
      for (let mul = 1; ; mul *= 128) {
        const b = r.readBits(8);
        x += (b & 0x7f) * mul;
        if (b < 0x80) return x;
      }
    };
    const readVarint = (): number => {
      const z = readUvarint();
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    };
    let t = readVarint();
    let hi = r.readBits(32);
    let lo = r.readBits(32);
    let bh = 0;
    let bl = 0;
    if (!(hi === STALE_HI && lo === STALE_LO)) {
      bh = hi;
      bl = lo;
    }
    let st = firstSTKnown ? t - readVarint() : 0;
    if (!fn(t, hi, lo, st)) return;
    if (total === 1) return;
    let leading = 0;
    let trailing = 0;
    // value bits in the current window, XORed into the baseline
    const readWindow = (lead: number, trail: number): void => {
      const sig = 64 - lead - trail;
      let xh = 0;
      let xl: number;
      if (sig > 32) {
        xh = r.readBits(sig - 32);
        xl = r.readBits(32);
      } else xl = r.readBits(sig);
      if (trail >= 32) {
        xh = xl << (trail - 32);
        xl = 0;
      } else if (trail > 0) {
        xh = (xh << trail) | (xl >>> (32 - trail));
        xl = xl << trail;
      }
      bh = (bh ^ xh) >>> 0;
      bl = (bl ^ xl) >>> 0;
      hi = bh;
      lo = bl;
    };
    const readFresh = (): void => {
      leading = r.readBits(5);
      let sig = r.readBits(6);
      if (sig === 0) sig = 64;
      trailing = 64 - leading - sig;
      readWindow(leading, trailing);
    };
    // `0` unchanged, `10` previous window, `110` new window, `111` stale marker
    const decodeValue = (): void => {
      let ones = 0;
      while (ones < 3 && r.readBit() === 1) ones++;
      if (ones === 0) {
        hi = bh;
        lo = bl;
      } else if (ones === 1) readWindow(leading, trailing);
      else if (ones === 2) readFresh();
      else {
        hi = STALE_HI;
        lo = STALE_LO;
      }
    };
    let tDelta = readUvarint();
    let prevT = t;
    t += tDelta;
    decodeValue();
    let stDiff = 0;
    if (firstSTChangeOn === 1) {
      stDiff = readVarbitInt(r);
      st = prevT - stDiff;
    }
    if (!fn(t, hi, lo, st)) return;
    for (let k = 2; k < total; k++) {
      prevT = t;
      let ones = 0;
      while (ones < 5 && r.readBit() === 1) ones++;
      switch (ones) {
        case 0:
          t += tDelta;
          hi = bh;
          lo = bl;
          break;
        case 1:
          t += tDelta;
          if (r.readBit() === 0) readWindow(leading, trailing);
          else readFresh();
          break;
        case 2:
        case 3: {
          const width = ones === 2 ? 13 : 20;
          const b = r.readBits(width);
          tDelta += b >= 2 ** (width - 1) ? b - 2 ** width : b;
          t += tDelta;
          decodeValue();
          break;
        }
        case 4: {
          // `11110`: its 0 is read already
          const dh = r.readBits(32) | 0;
          const dl = r.readBits(32);
          tDelta += dh * TWO32 + dl;
          t += tDelta;
          decodeValue();
          break;
        }
        default:
          t += tDelta;
          hi = STALE_HI;
          lo = STALE_LO;
      }
      if (firstSTChangeOn > 0 && k >= firstSTChangeOn) {
        const d = readVarbitInt(r);
        stDiff = k === firstSTChangeOn ? d : stDiff + d;
        st = prevT - stDiff;
      }
      if (!fn(t, hi, lo, st)) return;
    }
  }

  private decodeBounds(): void {
    if (this.n === 0) {
      this.mint = Infinity;
      this.maxt = -Infinity;
      return;
    }
    let first = NaN;
    let last = NaN;
    this.each((t) => {
      if (first !== first) first = t;
      last = t;
      return true;
    });
    this.mint = first;
    this.maxt = last;
  }
}
