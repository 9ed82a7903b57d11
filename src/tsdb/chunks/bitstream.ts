// Bit streams for the chunk encodings, MSB first within each byte as Prometheus's bstream writes them.
// Values are at most 32 bits per call so that everything stays in V8's int32/uint32 fast paths; 64-bit
// quantities are two calls (high word, low word). No BigInt anywhere.

/** Largest encoded size of one XOR sample in bytes (4+64 dod bits + 2+5+6+64 value bits), rounded up. */
export const MAX_SAMPLE_BYTES = 20;

// Prometheus compacts a chunk only when more than 32 bytes of capacity are spare.
const COMPACT_SLACK = 32;

// Small buffers are carved from shared 64 KiB slabs: V8 allocates every ArrayBuffer above 64 bytes
// off-heap at ~0.5 µs each, which would cost more than encoding a chunk's worth of samples. A slab is
// freed when no view into it (and no writer's region) is left, like Node's Buffer pool. Two sets of
// slabs: one for streams being written, which grow by moving to a larger region and so leave dead
// ones behind, and one for bytes kept as they are until dropped together (the head's completed
// chunks, until its truncation): sharing slabs, a kept chunk would pin the dead regions around it
// (measured: ~400 bytes a chunk for chunks of high-entropy values).
const SLAB_BYTES = 64 * 1024;
const MAX_SLAB_ALLOC = 4096;

class Slabs {
  slab = new Uint8Array(SLAB_BYTES);
  used = 0;
}
const streamSlabs = new Slabs();
const keptSlabs = new Slabs();

const NO_BYTES = new Uint8Array(0);

/** Where allocRegion put its last region: this array, from the returned offset. */
let regionArray: Uint8Array = streamSlabs.slab;

/**
 * `size` zero bytes in `regionArray` from the returned offset: a region of the current slab when
 * small, else an array of its own (offset 0). No view is made for the region.
 */
function allocRegion(size: number, slabs: Slabs = streamSlabs): number {
  if (size > MAX_SLAB_ALLOC) {
    regionArray = new Uint8Array(size);
    return 0;
  }
  const aligned = (size + 7) & ~7;
  if (slabs.used + aligned > SLAB_BYTES) {
    slabs.slab = new Uint8Array(SLAB_BYTES);
    slabs.used = 0;
  }
  const at = slabs.used;
  slabs.used += aligned;
  regionArray = slabs.slab;
  return at;
}

function regionView(at: number, size: number): Uint8Array {
  return at === 0 && regionArray.length === size ? regionArray : regionArray.subarray(at, at + size);
}

/** A zero-filled byte array of `size` bytes, from a shared slab when small. */
export function allocZeroed(size: number): Uint8Array {
  return regionView(allocRegion(size), size);
}

/** A copy of `bytes` to keep unchanged, in the slabs of kept bytes (see above) when small. */
export function keepCopy(bytes: Uint8Array): Uint8Array {
  const out = regionView(allocRegion(bytes.length, keptSlabs), bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Appends bits to a growable byte buffer (pre-sized, doubling). Bytes past the write position are always
 * zero, so writes OR into the current byte and plain-store the following ones.
 *
 * The stream lives in `buf` from byte `base`. A writer constructed `inSlab` (the XOR chunk) writes
 * straight into a shared slab (buf is the whole slab, base its region's offset): the head keeps one
 * open XOR chunk per series, and a Uint8Array view per chunk (~100 bytes of V8 object) cost almost as
 * much memory as the chunk's bytes. Other writers own their array (base 0), which their codecs index
 * directly.
 */
export class BitWriter {
  /** Backing store; only `byteLength` bytes from `base` are meaningful. */
  buf: Uint8Array;
  /** Where the stream starts in buf. */
  base = 0;
  /** Bytes of buf from base that belong to this stream. */
  cap: number;
  /** Bits written so far. */
  pos = 0;
  /**
   * Prometheus's bstream leaves an empty trailing byte when its last write was whole bytes (writeBits of a
   * multiple of 8 bits) ending on a byte boundary; we mimic it so that our bytes are Prometheus's bytes.
   * writeBits sets it from n; a caller that merges several logical writes into one sets it itself.
   */
  lastWasByte = false;

  /** `initialBytes` 0: no buffer yet (a subclass sets one). */
  constructor(initialBytes = 128, inSlab = false) {
    const size = initialBytes === 0 ? 0 : Math.max(8, initialBytes);
    if (size === 0) {
      this.buf = NO_BYTES;
    } else if (inSlab) {
      this.base = allocRegion(size);
      this.buf = regionArray;
    } else {
      this.buf = allocZeroed(size);
    }
    this.cap = size;
  }

  /** Length in bytes of the stream as Prometheus's bstream would hold it. */
  get byteLength(): number {
    const n = (this.pos + 7) >>> 3;
    return this.lastWasByte && (this.pos & 7) === 0 ? n + 1 : n;
  }

  /** Makes room for `bytes` more bytes (plus one for the trailing empty byte) without further checks. */
  ensure(bytes: number): void {
    // put() stores up to 3 bytes past the current one, and the stream may end with an empty byte
    if ((this.pos >>> 3) + bytes + 5 > this.cap) this.grow((this.pos >>> 3) + bytes + 5);
  }

  private grow(need: number): void {
    let size = this.cap * 2;
    while (size < need) size *= 2;
    this.moveTo(size, this.cap); // bytes past the stream are zero in both
  }

  /** Moves the stream into a buffer of its exact length when the spare capacity is worth reclaiming. */
  compact(): void {
    const len = this.byteLength;
    if (this.cap <= len + COMPACT_SLACK) return;
    this.moveTo(len, len);
  }

  /** Moves the first `keep` bytes of the stream to a new zeroed buffer of `size` bytes. */
  private moveTo(size: number, keep: number): void {
    const from = this.buf.subarray(this.base, this.base + keep);
    // A writer in a slab (buf longer than its region) stays in slabs; one that owns its array (or
    // outgrew the slabs) gets arrays of its own, which is the same for sizes beyond a slab's.
    if (this.buf.length !== this.cap) {
      const at = allocRegion(size);
      regionArray.set(from, at);
      this.buf = regionArray;
      this.base = at;
    } else {
      const next = allocZeroed(size);
      next.set(from);
      this.buf = next;
    }
    this.cap = size;
  }

  /** The stream's bytes (exact length): a view, valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(this.base, this.base + this.byteLength);
  }

  writeBit(bit: number): void {
    const pos = this.pos;
    if (bit !== 0) this.buf[this.base + (pos >>> 3)] |= 0x80 >>> (pos & 7);
    this.pos = pos + 1;
    this.lastWasByte = false;
  }

  /** Writes a 0 bit: the bits past the position are zero already. */
  writeZero(): void {
    this.pos++;
    this.lastWasByte = false;
  }

  /**
   * Writes the `n` low bits of `v`, most significant first; 1 <= n <= 32 and v < 2^n (callers mask).
   * The caller has reserved room with ensure().
   */
  writeBits(v: number, n: number): void {
    const pos = this.pos;
    const buf = this.buf;
    const i = this.base + (pos >>> 3);
    this.pos = pos + n;
    this.lastWasByte = (n & 7) === 0;
    // The bits land in the 4 or 5 bytes from the current one. Those after it are still zero, so storing
    // whole bytes (zeros past the new bits included) is safe; ensure() keeps room for them.
    const s = 32 - (pos & 7) - n;
    if (s >= 0) {
      const w = v << s;
      buf[i] |= w >>> 24;
      buf[i + 1] = w >>> 16; // typed-array stores keep the low 8 bits
      buf[i + 2] = w >>> 8;
      buf[i + 3] = w;
    } else {
      const w = v >>> -s; // all but the last -s (1..7) bits
      buf[i] |= w >>> 24;
      buf[i + 1] = w >>> 16;
      buf[i + 2] = w >>> 8;
      buf[i + 3] = w;
      buf[i + 4] = v << (8 + s);
    }
  }

  /** Writes the `n` low bits (32 < n <= 64) of the 64-bit value (hi, lo); hi < 2^(n-32). */
  writeBits64(hi: number, lo: number, n: number): void {
    this.writeBits(hi, n - 32);
    this.writeBits(lo, 32);
    this.lastWasByte = (n & 7) === 0;
  }

  /** Copy of the stream's bytes (exact length). */
  toBytes(): Uint8Array {
    return this.buf.slice(this.base, this.base + this.byteLength);
  }
}

/**
 * The 32 bits of `buf` starting at bit `pos`, MSB first, as a uint32. Bits past the end of `buf` read as
 * zero, so a reader may look ahead freely near the end of a stream.
 */
export function peek32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const off = pos & 7;
  if (i + 4 < buf.length) {
    const w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
    return off === 0 ? w >>> 0 : ((w << off) | (buf[i + 4] >>> (8 - off))) >>> 0;
  }
  return peek32Tail(buf, i, off);
}

function peek32Tail(buf: Uint8Array, i: number, off: number): number {
  const len = buf.length;
  const w =
    ((i < len ? buf[i] : 0) << 24) |
    ((i + 1 < len ? buf[i + 1] : 0) << 16) |
    ((i + 2 < len ? buf[i + 2] : 0) << 8) |
    (i + 3 < len ? buf[i + 3] : 0);
  return off === 0 ? w >>> 0 : ((w << off) | ((i + 4 < len ? buf[i + 4] : 0) >>> (8 - off))) >>> 0;
}

/** Reads bits MSB first from a byte array; the cursor is a bit position. */
export class BitReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    bitPos = 0,
  ) {
    this.pos = bitPos;
  }

  /** Reads `n` bits (1 <= n <= 32) as a uint32. */
  readBits(n: number): number {
    const v = peek32(this.buf, this.pos) >>> (32 - n);
    this.pos += n;
    return v;
  }

  readBit(): number {
    const pos = this.pos;
    this.pos = pos + 1;
    return (this.buf[pos >>> 3] >>> (7 - (pos & 7))) & 1;
  }

  /** True when at least `n` more bits exist in the buffer. */
  has(n: number): boolean {
    return this.pos + n <= this.buf.length * 8;
  }
}
