// Sample values: float64 numbers, with Prometheus's special NaNs. V8 may set the quiet bit of a NaN
// it copies (double arrays, Map values), so the stale marker is recognised by its payload and written
// back with Prometheus's exact bits wherever bits are stored (chunks, WAL).

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
// little-endian: words[0] is the low word, words[1] the high word
const LO = 0;
const HI = 1;

/** Prometheus's stale marker, bits 0x7ff0000000000002. */
export const STALE_NAN: number = (() => {
  words[HI] = 0x7ff00000;
  words[LO] = 2;
  return bits[0];
})();

/** Prometheus's NormalNaN, bits 0x7ff8000000000001 (what "NaN" in an exposition body means). */
export const NORMAL_NAN: number = (() => {
  words[HI] = 0x7ff80000;
  words[LO] = 1;
  return bits[0];
})();

/** True for the stale marker, also after V8 quieted it (0x7ff8000000000002). */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false; // not NaN
  bits[0] = v;
  return words[LO] === 2 && (words[HI] & 0xfff7ffff) === 0x7ff00000;
}

/** High and low 32-bit words of v as stored: the stale marker always with its exact bits. */
export function floatWords(v: number, out: Uint32Array, at: number): void {
  bits[0] = v;
  if (v !== v && words[LO] === 2 && (words[HI] & 0xfff7ffff) === 0x7ff00000) words[HI] = 0x7ff00000;
  out[at] = words[HI];
  out[at + 1] = words[LO];
}

const pair = new Uint32Array(4);

/** True when a and b have the same bits, as Prometheus compares duplicates (+0 and -0 differ). */
export function sameBits(a: number, b: number): boolean {
  floatWords(a, pair, 0);
  floatWords(b, pair, 2);
  if (a !== a && b !== b) {
    // V8 may have quieted either NaN: compare payloads without the quiet bit
    pair[0] |= 0x00080000;
    pair[2] |= 0x00080000;
  }
  return pair[0] === pair[2] && pair[1] === pair[3];
}
