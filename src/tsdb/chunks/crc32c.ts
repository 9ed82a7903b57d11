// CRC-32C (Castagnoli), the checksum Prometheus uses for WAL records and stored chunks
// (crc32.MakeTable(crc32.Castagnoli)). Table-driven, slicing-by-8: eight bytes per step.

const POLY = 0x82f63b78; // reversed 0x1EDC6F41

// T[k*256 + b]: the CRC of byte b followed by k zero bytes
const T = new Uint32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[b] = c >>> 0;
}
for (let b = 0; b < 256; b++) {
  let c = T[b];
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff] ^ (c >>> 8);
    T[k * 256 + b] = c >>> 0;
  }
}

/**
 * CRC-32C of data[start, end). `seed` is a previous result to continue from (Go's crc32.Update), so
 * crc32c(b, 0, b.length, crc32c(a)) equals the CRC of a followed by b.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  let crc = ~seed;
  let i = start;
  const end8 = end - 7;
  while (i < end8) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      T[1792 + (a & 0xff)] ^
      T[1536 + ((a >>> 8) & 0xff)] ^
      T[1280 + ((a >>> 16) & 0xff)] ^
      T[1024 + (a >>> 24)] ^
      T[768 + data[i + 4]] ^
      T[512 + data[i + 5]] ^
      T[256 + data[i + 6]] ^
      T[data[i + 7]];
    i += 8;
  }
  while (i < end) crc = T[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
