// Gorilla/XOR float chunk in Prometheus's exact byte layout (tsdb/chunkenc/xor.go): a 2-byte big-endian
// sample count, then the first sample (signed varint t, raw 64 value bits), the second (uvarint t delta,
// XOR value), and then delta-of-delta timestamps with XOR values. Values travel as two uint32 words
// (hi, lo) so that NaN payloads survive and no BigInt is needed.
import { BitWriter, MAX_SAMPLE_BYTES, peek32 } from './bitstream.js';

/** Prometheus's chunk encoding byte for XOR chunks (chunkenc.EncXOR). */
export const ENC_XOR = 1;

/** The sample count lives in a uint16. */
export const MAX_XOR_SAMPLES = 0xffff;

const TWO32 = 4294967296;

// Float bits through a shared view; little-endian hosts only (x64, arm64): [0] is the low word.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('XOR chunks need a little-endian host');

export interface XORIterator {
  /** Advances to the next sample; false at the end. */
  next(): boolean;
  /** Advances to the first sample with timestamp >= t; never moves backwards; false if there is none. */
  seek(t: number): boolean;
  /** Timestamp of the current sample. */
  at(): number;
  /** Value of the current sample (a stale marker may come back with V8's quiet bit set; see isStaleNaN). */
  value(): number;
}

/**
 * An XOR chunk: appendable (its own bit stream, in a shared slab: see BitWriter) or a read-only view of
 * stored bytes. It is its stream rather than holding one: the head keeps an open chunk per series, and
 * a second object per chunk cost 64 bytes a series.
 */
export class XORChunk extends BitWriter {
  private readonly ro: Uint8Array | null;
  private n = 0;
  private mint = Infinity;
  private maxt = -Infinity;
  // appender state (the previous t is maxt): previous t delta, previous value words, current XOR
  // window. The value words are kept as int32 (`| 0`): V8 keeps those in the field itself, where a
  // uint32 above 2^31 is a 16-byte heap number per field per chunk (and one such store boxes the
  // field in every chunk).
  private tDelta = 0;
  private vh = 0;
  private vl = 0;
  private leading = 0xff; // 0xff: no window yet, the next non-zero XOR writes the full form
  private trailing = 0;
  private sig = 0;

  /**
   * `new XORChunk()`: an empty chunk for appending (minTime Infinity and maxTime -Infinity while empty).
   * With bytes it is fromBytes().
   */
  constructor(bytes?: Uint8Array) {
    super(bytes === undefined ? 128 : 0, true);
    if (bytes === undefined) {
      this.pos = 16; // the sample count
      this.ro = null;
    } else {
      if (bytes.length < 2) throw new Error(`XOR chunk too short: ${bytes.length} bytes`);
      this.ro = bytes;
      // the stream's state describes the bytes, so that byteLength and compact() hold for them too
      this.buf = bytes;
      this.cap = bytes.length;
      this.pos = bytes.length * 8;
      this.n = (bytes[0] << 8) | bytes[1];
      this.mint = NaN; // decoded lazily
      this.maxt = NaN;
    }
  }

  /** A read-only view over stored bytes (not copied; they must not change while the chunk is used). */
  static fromBytes(bytes: Uint8Array): XORChunk {
    return new XORChunk(bytes);
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

  /** The encoded bytes, exact length: a view, valid until the next append. */
  bytes(): Uint8Array {
    if (this.ro !== null) return this.ro;
    // the sample count, kept current here rather than on every append
    this.buf[this.base] = this.n >>> 8;
    this.buf[this.base + 1] = this.n & 0xff;
    return this.view();
  }

  /**
   * Appends a sample. The caller guarantees t is greater than the previous t (and that t differences are
   * safe integers). Stale markers are stored as 0x7ff0000000000002 even if V8 set their quiet bit.
   */
  append(t: number, v: number): void {
    if (this.ro !== null) throw new Error('cannot append to a read-only XOR chunk');
    const num = this.n;
    if (num === MAX_XOR_SAMPLES) throw new RangeError(`XOR chunk full (${MAX_XOR_SAMPLES} samples)`);
    this.ensure(MAX_SAMPLE_BYTES);
    f64[0] = v;
    let hi = u32[1];
    const lo = u32[0];
    if (lo === 2 && (hi & 0xfff7ffff) === 0x7ff00000) hi = 0x7ff00000;

    if (num === 0) {
      writeVarint(this, t);
      this.writeBits64(hi, lo, 64);
      this.mint = t;
    } else {
      const tDelta = t - this.maxt;
      if (num === 1) {
        writeUvarint(this, tDelta);
      } else {
        const dod = tDelta - this.tDelta;
        // Prometheus's buckets: bitRange(x, n) is -(2^(n-1)-1) <= x <= 2^(n-1), asymmetric on purpose.
        // Prefix and payload go out as one write.
        if (dod === 0) {
          this.writeZero();
        } else if (dod >= -8191 && dod <= 8192) {
          this.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
        } else if (dod >= -65535 && dod <= 65536) {
          this.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
        } else if (dod >= -524287 && dod <= 524288) {
          this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
        } else {
          this.writeBits(0b1111, 4);
          const dh = Math.floor(dod / TWO32); // two's complement high word (exact within 2^53)
          this.writeBits64(dh >>> 0, (dod - dh * TWO32) >>> 0, 64);
        }
      }
      // as an int32 when it is one (always, within a head chunk's range): an arithmetic result stored
      // as is would be a heap number, and its field would box every chunk's delta
      this.tDelta = (tDelta | 0) === tDelta ? tDelta | 0 : tDelta;
      this.writeValue(hi, lo);
    }
    this.vh = hi | 0;
    this.vl = lo | 0;
    this.n = num + 1;
    this.maxt = t;
  }

  private writeValue(hi: number, lo: number): void {
    const xh = (hi ^ this.vh) >>> 0;
    const xl = (lo ^ this.vl) >>> 0;
    if (xh === 0 && xl === 0) {
      this.writeZero();
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading >= 32) leading = 31; // must fit in 5 bits
    let tr: number;
    let sig: number;
    let head: number;
    let headBits: number;
    if (leading >= this.leading && trailing >= this.trailing) {
      // '10': inside the previous window (never true while leading is 0xff)
      tr = this.trailing;
      sig = this.sig;
      head = 0b10;
      headBits = 2;
    } else {
      // '11', 5 bits leading, 6 bits significant bits (64 written as 0)
      this.leading = leading;
      this.trailing = tr = trailing;
      this.sig = sig = 64 - leading - trailing;
      head = (0b11 << 11) | (leading << 6) | (sig & 63);
      headBits = 13;
    }
    // x >> tr as (h, l); it fits in sig bits
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
    if (headBits + sig <= 32) {
      this.writeBits(((head << sig) | l) >>> 0, headBits + sig);
    } else {
      this.writeBits(head, headBits);
      if (sig > 32) {
        this.writeBits(h, sig - 32);
        this.writeBits(l, 32);
      } else {
        this.writeBits(l, sig);
      }
    }
    this.lastWasByte = (sig & 7) === 0; // Prometheus's last write is the sig bits
  }

  /**
   * Decodes the samples with mint <= t <= maxt into ts/vs starting at index `at`; returns how many were
   * written. Values are written bit-exact through a Uint32Array over vs's buffer. ts and vs must have
   * room for numSamples from `at`.
   */
  decodeInto(ts: Float64Array, vs: Float64Array, at: number, mint: number, maxt: number): number {
    const n = this.n;
    if (at + n > ts.length || at + n > vs.length)
      throw new RangeError(`decodeInto: room for ${n} samples at ${at} needed`);
    if (n === 0) return 0;
    const vw = new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2); // a view: no allocation of bytes
    // Stored bytes are read from a padded copy; an open chunk's stream in place, from its region.
    const buf = this.ro !== null ? padded(this.ro) : this.buf;
    // The first sample and the second's t delta are byte-aligned varints (read bytewise); everything
    // else is decoded inline over locals: this loop is the query path's inner loop.
    let i = (this.ro !== null ? 0 : this.base) + 2;
    let b = buf[i++];
    const neg = b & 1;
    let k0 = (b & 0x7f) >>> 1;
    for (let mul = 64; b >= 0x80; mul *= 128) {
      b = buf[i++];
      k0 += (b & 0x7f) * mul;
    }
    let t = neg !== 0 ? -k0 - 1 : k0;
    let vh = ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
    let vl = ((buf[i + 4] << 24) | (buf[i + 5] << 16) | (buf[i + 6] << 8) | buf[i + 7]) >>> 0;
    i += 8;
    let o = at;
    if (t > maxt) return 0;
    if (t >= mint) {
      ts[o] = t;
      vw[2 * o] = vl;
      vw[2 * o + 1] = vh;
      o++;
    }
    if (n === 1) return o - at;
    let tDelta = 0;
    b = 0x80;
    for (let mul = 1; b >= 0x80; mul *= 128) {
      b = buf[i++];
      tDelta += (b & 0x7f) * mul;
    }
    let pos = i * 8;
    // Prometheus's iterator starts with a 0/0 window (see XORChunkIterator)
    let leading: number;
    let trailing = 0;
    let sig = 64;
    for (let k = 1; k < n; k++) {
      let w = peek32(buf, pos);
      // `w` keeps the next `avail` bits at its top, so that a zero dod (the usual case) needs no new read
      let avail = 32;
      if (k > 1) {
        // delta of deltas (the second sample has its t delta already)
        if ((w & 0x80000000) === 0) {
          pos += 1;
          w <<= 1;
          avail = 31;
        } else {
          if ((w & 0x40000000) === 0) {
            const b = (w >>> 16) & 0x3fff;
            tDelta += b > 0x2000 ? b - 0x4000 : b;
            pos += 16;
          } else if ((w & 0x20000000) === 0) {
            const b = (w >>> 12) & 0x1ffff;
            tDelta += b > 0x10000 ? b - 0x20000 : b;
            pos += 20;
          } else if ((w & 0x10000000) === 0) {
            const b = (w >>> 8) & 0xfffff;
            tDelta += b > 0x80000 ? b - 0x100000 : b;
            pos += 24;
          } else {
            tDelta += (peek32(buf, pos + 4) | 0) * TWO32 + peek32(buf, pos + 36);
            pos += 68;
          }
          w = peek32(buf, pos);
        }
      }
      t += tDelta;
      if (t > maxt) break;
      if ((w & 0x80000000) !== 0) {
        let used: number;
        if ((w & 0x40000000) === 0) {
          used = 2;
        } else {
          leading = (w >>> 25) & 31;
          sig = (w >>> 19) & 63;
          if (sig === 0) sig = 64;
          trailing = 64 - leading - sig;
          used = 13;
        }
        let xh: number;
        let xl: number;
        if (sig <= avail - used) {
          xh = 0;
          xl = (w << used) >>> (32 - sig);
        } else if (sig <= 32) {
          xh = 0;
          xl = peek32(buf, pos + used) >>> (32 - sig);
        } else {
          xh = peek32(buf, pos + used) >>> (64 - sig);
          xl = peek32(buf, pos + used + sig - 32);
        }
        pos += used + sig;
        if (trailing >= 32) {
          xh = xl << (trailing - 32);
          xl = 0;
        } else if (trailing > 0) {
          xh = (xh << trailing) | (xl >>> (32 - trailing));
          xl = xl << trailing;
        }
        vh ^= xh;
        vl ^= xl;
      } else {
        pos += 1;
      }
      if (t >= mint) {
        ts[o] = t;
        vw[2 * o] = vl;
        vw[2 * o + 1] = vh;
        o++;
      }
    }
    return o - at;
  }

  iterator(): XORIterator {
    const it = new XORChunkIterator();
    it.reset(this.buf, this.base, this.n);
    return it;
  }

  private decodeBounds(): void {
    if (this.n === 0) {
      this.mint = Infinity;
      this.maxt = -Infinity;
      return;
    }
    const it = decodeState;
    it.reset(this.buf, this.base, this.n);
    it.next();
    this.mint = it.t;
    while (it.next());
    this.maxt = it.t;
  }
}

/** Iterates an XOR chunk's samples; state kept as fields so that one object serves a whole chunk. */
class XORChunkIterator implements XORIterator {
  buf: Uint8Array = new Uint8Array(0);
  pos = 16;
  total = 0;
  read = 0;
  t = -Infinity;
  tDelta = 0;
  vh = 0;
  vl = 0;
  // Prometheus's iterator starts with a 0/0 window (64 significant bits). Our appender never reuses a
  // window for the second value, but Prometheus's does after it reopens a one-sample chunk.
  leading = 0;
  trailing = 0;

  /**
   * Starts over on the `total` samples of the stream at byte `start` of `buf`: a chunk's stored bytes
   * (from 0) or an open chunk's region, read in place. Appends only set bits past the current end, and
   * a grown stream moves to a new region, so the first `total` samples stay valid while appending
   * continues.
   */
  reset(buf: Uint8Array, start: number, total: number): void {
    this.buf = buf;
    this.pos = start * 8 + 16;
    this.total = total;
    this.read = 0;
    this.t = -Infinity;
    this.tDelta = 0;
    this.vh = 0;
    this.vl = 0;
    this.leading = 0;
    this.trailing = 0;
  }

  next(): boolean {
    const read = this.read;
    if (read >= this.total) return false;
    const buf = this.buf;
    let pos = this.pos;
    if (read === 0) {
      pos = this.readFirst(buf, pos);
    } else {
      if (read === 1) {
        // uvarint t delta
        let d = 0;
        let mul = 1;
        for (;;) {
          const b = peek32(buf, pos) >>> 24;
          pos += 8;
          d += (b & 0x7f) * mul;
          if (b < 0x80) break;
          mul *= 128;
        }
        this.tDelta = d;
      } else {
        const w = peek32(buf, pos);
        if ((w & 0x80000000) === 0) {
          pos += 1;
        } else if ((w & 0x40000000) === 0) {
          let b = (w >>> 16) & 0x3fff;
          if (b > 0x2000) b -= 0x4000;
          this.tDelta += b;
          pos += 16;
        } else if ((w & 0x20000000) === 0) {
          let b = (w >>> 12) & 0x1ffff;
          if (b > 0x10000) b -= 0x20000;
          this.tDelta += b;
          pos += 20;
        } else if ((w & 0x10000000) === 0) {
          let b = (w >>> 8) & 0xfffff;
          if (b > 0x80000) b -= 0x100000;
          this.tDelta += b;
          pos += 24;
        } else {
          const dh = peek32(buf, pos + 4) | 0; // signed high word
          const dl = peek32(buf, pos + 36);
          this.tDelta += dh * TWO32 + dl;
          pos += 68;
        }
      }
      this.t += this.tDelta;
      // value
      const w = peek32(buf, pos);
      if ((w & 0x80000000) !== 0) {
        if ((w & 0x40000000) === 0) {
          pos += 2;
        } else {
          const leading = (w >>> 25) & 31;
          const sig = (w >>> 19) & 63;
          this.leading = leading;
          this.trailing = 64 - leading - (sig === 0 ? 64 : sig);
          pos += 13;
        }
        const tr = this.trailing;
        const sig = 64 - this.leading - tr;
        let xh: number;
        let xl: number;
        if (sig <= 32) {
          xh = 0;
          xl = peek32(buf, pos) >>> (32 - sig);
        } else {
          xh = peek32(buf, pos) >>> (64 - sig);
          xl = peek32(buf, pos + sig - 32);
        }
        pos += sig;
        // (xh, xl) <<= tr
        if (tr >= 32) {
          xh = xl << (tr - 32);
          xl = 0;
        } else if (tr > 0) {
          xh = (xh << tr) | (xl >>> (32 - tr));
          xl = xl << tr;
        }
        this.vh = (this.vh ^ xh) >>> 0;
        this.vl = (this.vl ^ xl) >>> 0;
      } else {
        pos += 1;
      }
    }
    this.pos = pos;
    this.read = read + 1;
    return true;
  }

  private readFirst(buf: Uint8Array, pos: number): number {
    // signed varint (zig-zag): the first byte's low bit is the sign; decode |t| without overflowing 2^53
    let b = peek32(buf, pos) >>> 24;
    pos += 8;
    const neg = b & 1;
    let k = (b & 0x7f) >>> 1;
    let mul = 64;
    while (b >= 0x80) {
      b = peek32(buf, pos) >>> 24;
      pos += 8;
      k += (b & 0x7f) * mul;
      mul *= 128;
    }
    this.t = neg !== 0 ? -k - 1 : k;
    this.vh = peek32(buf, pos);
    this.vl = peek32(buf, pos + 32);
    return pos + 64;
  }

  seek(t: number): boolean {
    while (t > this.t || this.read === 0) {
      if (!this.next()) return false;
    }
    return true;
  }

  at(): number {
    return this.t;
  }

  value(): number {
    u32[1] = this.vh;
    u32[0] = this.vl;
    return f64[0];
  }
}

const decodeState = new XORChunkIterator();

// Stored bytes are decoded from a copy with spare bytes after them, so that every look-ahead read takes
// peek32's fast path (the bounds-checked tail path costs a third of the decode speed). Bytes past the
// copy are stale but never used: reads take only the bits that belong to the stream.
let scratch: Uint8Array = new Uint8Array(4096);
function padded(bytes: Uint8Array): Uint8Array {
  if (bytes.length + 8 > scratch.length)
    scratch = new Uint8Array(Math.max(bytes.length + 8, scratch.length * 2));
  scratch.set(bytes);
  return scratch;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Go's binary.PutVarint (zig-zag) byte by byte, exact for every safe integer. */
export function writeVarint(w: BitWriter, t: number): void {
  // zig-zag value = 2k + s, k = |t| or |t|-1; the first byte carries s and k's low 6 bits
  const s = t < 0 ? 1 : 0;
  let k = s === 1 ? -t - 1 : t;
  const low = ((k % 64) << 1) | s;
  k = Math.floor(k / 64);
  if (k === 0) {
    w.writeBits(low, 8);
    return;
  }
  w.writeBits(low | 0x80, 8);
  writeUvarint(w, k);
}

/** Go's binary.PutUvarint byte by byte for a non-negative safe integer. */
export function writeUvarint(w: BitWriter, x: number): void {
  while (x >= 0x80) {
    w.writeBits((x % 128) | 0x80, 8);
    x = Math.floor(x / 128);
  }
  w.writeBits(x, 8);
}
