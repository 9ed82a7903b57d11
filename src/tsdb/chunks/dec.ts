// Decimal chunk ("DEC"), a storage-only encoding for compacted blocks: most exporter values are exact
// decimals (counters, 1/100 s CPU seconds, bytes, one-decimal temperatures), which XOR stores as
// 64-bit float XORs of ~20-40 significant bits. Here every value is m / 10^k for one k (0..12) per
// chunk and integers m, and both timestamps and the m are stored as integer sequences.
//
// Layout: a big-endian uint16 sample count (as XOR chunks, so chunkSamples() reads both), then a bit
// stream (MSB first): 4 bits k, the timestamp sequence, the value sequence. A sequence of n safe
// integers x: zigzag(x0) as 6 bits of length L then L bits; for n >= 2 one bit `order` (0: residuals
// are deltas x[i]-x[i-1], i >= 1; 1: delta-of-deltas, the first delta written like x0), 6 bits of
// `shift` (the residuals' common power-of-two factor: memory in 4 KiB pages), 6 bits of width W, and
// per residual r (divided by 2^shift): '0' for r = 0; '10' + W bits of zigzag(r) - 1 when that fits;
// else '11' + 6 bits L + L bits of zigzag(r) - 1. Order and W are chosen per sequence for the fewest
// bits (one histogram pass each).
//
// encodeDEC returns undefined unless every value survives decoding with identical 64 bits: -0, NaN
// (stale markers), ±Inf, non-decimal floats and magnitudes beyond 2^52 keep their chunk in XOR.
// Timestamps must be safe integers with residuals below 2^52 in magnitude (always so in practice).
import { BitWriter, peek32 } from './bitstream.js';

const TWO32 = 4294967296;
/** Magnitude bound for scaled values and residuals: their zigzag stays a safe integer. */
const LIMIT = 2 ** 52;
export const MAX_DEC_SCALE = 12;
const POW10: number[] = [];
for (let k = 0; k <= MAX_DEC_SCALE; k++) POW10.push(10 ** k);

/** Bits needed for a non-negative safe integer (0 for 0). */
function bitLen(x: number): number {
  return x < TWO32 ? 32 - Math.clz32(x) : 64 - Math.clz32(Math.floor(x / TWO32));
}

function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

function unzigzag(z: number): number {
  // z is a safe integer; odd → negative
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Writes the `n` (0..53) low bits of the non-negative safe integer x. */
function writeU(w: BitWriter, x: number, n: number): void {
  if (n === 0) return;
  if (n <= 32) w.writeBits(x, n);
  else {
    w.writeBits(Math.floor(x / TWO32), n - 32);
    w.writeBits(x % TWO32, 32);
  }
}

/** The smallest k (0..12) for which every value is m / 10^k bit-exactly with |m| < 2^52, or -1. */
export function decimalScale(v: Float64Array, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x === 0) {
      if (1 / x < 0) return -1; // -0
      continue;
    }
    while (!exact(x, k)) if (++k > MAX_DEC_SCALE) return -1;
  }
  // a value accepted at a smaller k is re-checked at the final one
  for (let i = 0; i < n; i++) if (!exact(v[i], k)) return -1;
  return k;
}

function exact(x: number, k: number): boolean {
  const p = POW10[k];
  const m = Math.round(x * p);
  return m > -LIMIT && m < LIMIT && m / p === x && !(x === 0 && 1 / x < 0);
}

interface SeqPlan {
  order: 1 | 2;
  shift: number;
  width: number;
  bits: number;
}

// scratch for residual bit lengths (per sequence), grown as needed
let resid = new Float64Array(1024);

/** Cheapest residual coding of x[0..n) for n >= 2, or undefined when a residual is too large. */
function plan(x: Float64Array, n: number): SeqPlan | undefined {
  let best: SeqPlan | undefined;
  for (const order of [1, 2] as const) {
    if (order === 2 && n < 3) break;
    // residuals and their common factor 2^shift
    if (resid.length < n) resid = new Float64Array(Math.max(n, resid.length * 2));
    let m = 0;
    let ok = true;
    let orBits = 0; // OR of the residuals' low 32 bits (for the trailing-zero count)
    let prevD = x[1] - x[0];
    for (let i = 1; i < n; i++) {
      const d = x[i] - x[i - 1];
      const r = order === 1 ? d : i === 1 ? 0 : d - prevD;
      prevD = d;
      if (!(r > -LIMIT && r < LIMIT) || !(d > -LIMIT && d < LIMIT)) {
        ok = false;
        break;
      }
      if (order === 2 && i === 1) continue;
      resid[m++] = r;
      if (r !== 0) orBits |= Math.abs(r) % TWO32;
    }
    if (!ok) continue;
    const shift = orBits === 0 ? 0 : 31 - Math.clz32(orBits & -orBits);
    const div = 2 ** shift;
    const hist = new Float64Array(55);
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = resid[i];
      if (r === 0) zeros++;
      else hist[bitLen(zigzag(r / div) - 1)]++;
    }
    // cost(W) = zeros + Σ_{L <= W} (2 + W) + Σ_{L > W} (8 + L)
    let bestW = 0;
    let bestCost = Infinity;
    let fits = 0;
    let escBits = 0;
    for (let L = 0; L < 55; L++) escBits += hist[L] * (8 + L);
    for (let W = 0; W < 54; W++) {
      fits += hist[W];
      escBits -= hist[W] * (8 + W);
      const cost = (fits * (2 + W) + escBits) | 0;
      if (cost < bestCost) {
        bestCost = cost;
        bestW = W;
      }
    }
    let bits = zeros + bestCost + 13;
    if (order === 2) bits += 6 + bitLen(zigzag(x[1] - x[0]));
    if (best === undefined || bits < best.bits) best = { order, shift, width: bestW, bits };
  }
  return best;
}

function writeSeq(w: BitWriter, x: Float64Array, n: number, p: SeqPlan | undefined): void {
  const z0 = zigzag(x[0]);
  const l0 = bitLen(z0);
  w.ensure(16);
  w.writeBits(l0, 6);
  writeU(w, z0, l0);
  if (n < 2 || p === undefined) return;
  w.ensure(4);
  w.writeBits(p.order === 2 ? 1 : 0, 1);
  w.writeBits(p.shift, 6);
  w.writeBits(p.width, 6);
  let start = 1;
  if (p.order === 2) {
    const z = zigzag(x[1] - x[0]);
    const l = bitLen(z);
    w.ensure(8);
    w.writeBits(l, 6);
    writeU(w, z, l);
    start = 2;
  }
  const div = 2 ** p.shift;
  const W = p.width;
  const lim = 2 ** W;
  for (let i = start; i < n; i++) {
    const d = x[i] - x[i - 1];
    const r = p.order === 1 ? d : d - (x[i - 1] - x[i - 2]);
    w.ensure(16);
    if (r === 0) {
      w.writeZero();
      continue;
    }
    const z = zigzag(r / div) - 1;
    if (z < lim) {
      w.writeBits(2, 2);
      writeU(w, z, W);
    } else {
      const l = bitLen(z);
      w.writeBits(3, 2);
      w.writeBits(l, 6);
      writeU(w, z, l);
    }
  }
}

let mscratch = new Float64Array(1024);

/**
 * The DEC encoding of n samples (n 1..65535; timestamps strictly increasing safe integers), or
 * undefined when some value or timestamp does not fit it exactly.
 */
export function encodeDEC(t: Float64Array, v: Float64Array, n: number): Uint8Array | undefined {
  if (n < 1 || n > 0xffff) return undefined;
  const k = decimalScale(v, n);
  if (k < 0) return undefined;
  for (let i = 0; i < n; i++) if (!Number.isSafeInteger(t[i]) || !(Math.abs(t[i]) < LIMIT)) return undefined;
  if (mscratch.length < n) mscratch = new Float64Array(Math.max(n, mscratch.length * 2));
  const m = mscratch;
  const p10 = POW10[k];
  for (let i = 0; i < n; i++) m[i] = Math.round(v[i] * p10);
  let tp: SeqPlan | undefined;
  let vp: SeqPlan | undefined;
  if (n >= 2) {
    tp = plan(t, n);
    vp = plan(m, n);
    if (tp === undefined || vp === undefined) return undefined;
  }
  const w = new BitWriter(16 + n);
  w.ensure(8);
  w.writeBits(n, 16);
  w.writeBits(k, 4);
  writeSeq(w, t, n, tp);
  writeSeq(w, m, n, vp);
  return w.buf.slice(0, (w.pos + 7) >>> 3);
}

/** Samples in a DEC chunk. */
export function decSamples(b: Uint8Array): number {
  return b.length < 2 ? 0 : (b[0] << 8) | b[1];
}

/** Throws unless `b` looks like a DEC chunk (count and scale; a checksum already vouches for the rest). */
export function checkDEC(b: Uint8Array): void {
  if (b.length < 3 || decSamples(b) === 0) throw new Error('DEC chunk: truncated');
  if (b[2] >>> 4 > MAX_DEC_SCALE) throw new Error(`DEC chunk: bad scale ${b[2] >>> 4}`);
}

/** The `l`-bit unsigned integer (l <= 53) at bit `pos`; the caller moves past it. */
function readU(buf: Uint8Array, pos: number, l: number): number {
  if (l === 0) return 0;
  if (l <= 32) return peek32(buf, pos) >>> (32 - l);
  return (peek32(buf, pos) >>> (64 - l)) * TWO32 + peek32(buf, pos + l - 32);
}

/**
 * Reads one sequence into out[at..at+n) (as float64 integers); returns the bit position after it.
 * (readU is not a closure over `pos`: that allocated a closure and its context per sequence.)
 */
function readSeq(buf: Uint8Array, pos: number, n: number, out: Float64Array, at: number): number {
  const l0 = peek32(buf, pos) >>> 26;
  pos += 6;
  let x = unzigzag(readU(buf, pos, l0));
  pos += l0;
  out[at] = x;
  if (n < 2) return pos;
  const head = peek32(buf, pos) >>> 19; // order(1) shift(6) width(6)
  pos += 13;
  const order = head >>> 12;
  const div = 2 ** ((head >>> 6) & 63);
  const W = head & 63;
  let d = 0;
  let i = 1;
  if (order === 1) {
    const l = peek32(buf, pos) >>> 26;
    pos += 6;
    d = unzigzag(readU(buf, pos, l));
    pos += l;
    x += d;
    out[at + 1] = x;
    i = 2;
  }
  for (; i < n; i++) {
    const w = peek32(buf, pos);
    let r = 0;
    if ((w & 0x80000000) === 0) {
      pos += 1;
    } else if ((w & 0x40000000) === 0) {
      if (W <= 30) {
        // the usual case: the W bits are in the word already
        const z = W === 0 ? 1 : ((w << 2) >>> (32 - W)) + 1;
        r = ((z & 1) === 0 ? z >>> 1 : -((z + 1) >>> 1)) * div;
        pos += 2 + W;
      } else {
        pos += 2;
        r = unzigzag(readU(buf, pos, W) + 1) * div;
        pos += W;
      }
    } else {
      const l = (w >>> 24) & 63;
      pos += 8;
      r = unzigzag(readU(buf, pos, l) + 1) * div;
      pos += l;
    }
    if (order === 1) {
      d += r;
      x += d;
    } else {
      x += r;
    }
    out[at + i] = x;
  }
  return pos;
}

let vscratch = new Float64Array(1024);

/**
 * Decodes the samples with mint <= t <= maxt into ts/vs from index `at` (as XORChunk.decodeInto);
 * returns how many were written. ts and vs need room for all samples from `at`.
 */
export function decodeDECInto(
  b: Uint8Array,
  ts: Float64Array,
  vs: Float64Array,
  at: number,
  mint: number,
  maxt: number,
): number {
  const n = decSamples(b);
  if (n === 0) return 0;
  if (at + n > ts.length || at + n > vs.length)
    throw new RangeError(`decodeDECInto: room for ${n} samples at ${at} needed`);
  const k = b[2] >>> 4;
  if (k > MAX_DEC_SCALE) throw new Error(`DEC chunk: bad scale ${k}`);
  const pos = readSeq(b, 20, n, ts, at);
  if (vscratch.length < n) vscratch = new Float64Array(Math.max(n, vscratch.length * 2));
  readSeq(b, pos, n, vscratch, 0);
  const p10 = POW10[k];
  // values in place; then keep [mint, maxt]
  let lo = at;
  const end = at + n;
  while (lo < end && ts[lo] < mint) lo++;
  let o = at;
  for (let i = lo; i < end; i++) {
    const t = ts[i];
    if (t > maxt) break;
    ts[o] = t;
    vs[o] = vscratch[i - at] / p10;
    o++;
  }
  return o - at;
}
