// Prometheus's variable-bit integers (tsdb/chunkenc/varbit.go), used by the histogram chunk
// encodings: a unary prefix of up to eight 1 bits (ended by a 0 below eight) picks the payload width,
// 0/3/6/9/12/18/25/56/64 bits. Signed payloads cover -(2^(n-1)-1) .. 2^(n-1), two's complement.
// Numbers are JS doubles: exact for |v| < 2^53, which bounds every count we hold.
import type { BitReader, BitWriter } from './bitstream.js';

const TWO32 = 4294967296;
const WIDTHS = [3, 6, 9, 12, 18, 25, 56];

/** Writes the low `n` bits (n <= 64) of the two's complement of `v`. */
function writeWide(w: BitWriter, v: number, n: number): void {
  if (n <= 32) {
    w.writeBits(n === 32 ? v >>> 0 : (v >>> 0) & (((1 << n) - 1) >>> 0), n);
    return;
  }
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  const hiBits = n - 32;
  w.writeBits64((hi >>> 0) % 2 ** hiBits, lo >>> 0, n);
}

export function putVarbitInt(w: BitWriter, v: number): void {
  w.ensure(10);
  if (v === 0) {
    w.writeBits(0, 1);
    return;
  }
  for (let k = 0; k < WIDTHS.length; k++) {
    const n = WIDTHS[k];
    const half = 2 ** (n - 1);
    if (v >= -(half - 1) && v <= half) {
      // prefix: k+1 ones and a zero (eight ones without a zero mean the full 64 bits)
      w.writeBits((1 << (k + 2)) - 2, k + 2);
      writeWide(w, v, n);
      return;
    }
  }
  w.writeBits(0xff, 8);
  writeWide(w, v, 64);
}

export function putVarbitUint(w: BitWriter, v: number): void {
  w.ensure(10);
  if (v === 0) {
    w.writeBits(0, 1);
    return;
  }
  for (let k = 0; k < WIDTHS.length; k++) {
    const n = WIDTHS[k];
    if (v < 2 ** n) {
      w.writeBits((1 << (k + 2)) - 2, k + 2);
      writeWide(w, v, n);
      return;
    }
  }
  w.writeBits(0xff, 8);
  writeWide(w, v, 64);
}

/** The prefix: how many 1 bits (0..8) before the terminating 0 (none after eight). */
function readPrefix(r: BitReader): number {
  let ones = 0;
  while (ones < 8 && r.readBit() === 1) ones++;
  return ones;
}

function readWide(r: BitReader, n: number): number {
  if (n <= 32) return r.readBits(n);
  const hi = r.readBits(n - 32);
  const lo = r.readBits(32);
  return hi * TWO32 + lo;
}

export function readVarbitInt(r: BitReader): number {
  const ones = readPrefix(r);
  if (ones === 0) return 0;
  if (ones === 8) {
    const hi = r.readBits(32);
    const lo = r.readBits(32);
    return (hi >= 0x80000000 ? hi - TWO32 : hi) * TWO32 + lo;
  }
  const n = WIDTHS[ones - 1];
  if (n > 32) {
    // two words, so that a negative value is rebuilt exactly: (hi - 2^(n-32)) · 2^32 + lo
    const hiBits = n - 32;
    const hi = r.readBits(hiBits);
    const lo = r.readBits(32);
    const half = 2 ** (hiBits - 1);
    const negative = hi > half || (hi === half && lo > 0);
    return (negative ? hi - 2 ** hiBits : hi) * TWO32 + lo;
  }
  const bits = r.readBits(n);
  return bits > 2 ** (n - 1) ? bits - 2 ** n : bits;
}

export function readVarbitUint(r: BitReader): number {
  const ones = readPrefix(r);
  if (ones === 0) return 0;
  if (ones === 8) return readWide(r, 64);
  return readWide(r, WIDTHS[ones - 1]);
}
