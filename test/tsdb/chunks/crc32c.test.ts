import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { crc32c } from '../../../src/tsdb/chunks/crc32c.js';

/** Bit-at-a-time CRC-32C, the definition, to check the sliced tables against. */
function reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  test('known vectors', () => {
    expect(crc32c(enc('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) B.4 test vectors
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(enc('The quick brown fox jumps over the lazy dog'))).toBe(0x22620404);
  });

  test('ranges and continuation from a seed', () => {
    const data = enc('xx123456789yy');
    expect(crc32c(data, 2, 11)).toBe(0xe3069283);
    const whole = enc('hello, write-ahead log record');
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(crc32c(whole, cut, whole.length, crc32c(whole, 0, cut))).toBe(crc32c(whole));
    }
  });

  test('matches the bitwise definition at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(16), (bytes, off) => {
        const padded = new Uint8Array(bytes.length + off);
        padded.set(bytes, off);
        expect(crc32c(padded, off)).toBe(reference(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
