import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { XORChunk } from '../../../src/tsdb/chunks/xor.js';
import { BitReader, BitWriter, allocZeroed, keepCopy } from '../../../src/tsdb/chunks/bitstream.js';
import { STALE_NAN } from '../../../src/model/value.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A number with the given bits, made through a typed array (V8 keeps NaN payloads that way). */
function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0];
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Every sample's (t, hi, lo) as decodeInto gives them. */
function decodeWords(
  c: XORChunk,
  mint = -Infinity,
  maxt = Infinity,
  at = 0,
): Array<[number, number, number]> {
  const ts = new Float64Array(at + c.numSamples);
  const vs = new Float64Array(at + c.numSamples);
  const n = c.decodeInto(ts, vs, at, mint, maxt);
  const w = new Uint32Array(vs.buffer);
  const out: Array<[number, number, number]> = [];
  for (let i = at; i < at + n; i++) out.push([ts[i], w[2 * i + 1], w[2 * i]]);
  return out;
}

/** The same through the iterator; values turned into words through a typed array. */
function iterateWords(c: XORChunk): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const it = c.iterator();
  while (it.next()) {
    f64[0] = it.value();
    out.push([it.at(), u32[1], u32[0]]);
  }
  return out;
}

function build(samples: Array<[number, number]>): XORChunk {
  const c = new XORChunk();
  for (const [t, v] of samples) c.append(t, v);
  return c;
}

/**
 * Signaling NaNs with their quiet bit set. V8 may set it whenever a NaN travels as a JS number (Node.js
 * 26 does so in unoptimised code), so a payload can change before it reaches the chunk or after it
 * leaves the iterator; the codec itself copies bits. The stale marker is the exception that matters:
 * append() stores it exactly and decodeInto() returns it exactly (`keepStale`).
 */
function quieted(rows: Array<[number, number, number]>, keepStale: boolean): Array<[number, number, number]> {
  return rows.map(([t, hi, lo]) => {
    const nan = (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) !== 0 || lo !== 0);
    if (!nan || (keepStale && hi === 0x7ff00000 && lo === 2)) return [t, hi, lo];
    return [t, (hi | 0x00080000) >>> 0, lo];
  });
}

/** Checks a series round-trips bit-exact (but for quiet bits, see `quieted`) through decodeInto, the iterator and fromBytes. */
function roundTrip(samples: Array<[number, number, number]>): void {
  const c = new XORChunk();
  for (const [t, hi, lo] of samples) c.append(t, fromBits(hi, lo));
  expect(c.numSamples).toBe(samples.length);
  const decoded = quieted(samples, true);
  const iterated = quieted(samples, false);
  expect(quieted(decodeWords(c), true)).toEqual(decoded);
  expect(quieted(iterateWords(c), false)).toEqual(iterated);
  const stored = XORChunk.fromBytes(c.bytes().slice());
  expect(stored.numSamples).toBe(samples.length);
  expect(quieted(decodeWords(stored), true)).toEqual(decoded);
  expect(quieted(iterateWords(stored), false)).toEqual(iterated);
  if (samples.length > 0) {
    expect(stored.minTime).toBe(samples[0][0]);
    expect(stored.maxTime).toBe(samples[samples.length - 1][0]);
    expect(c.minTime).toBe(samples[0][0]);
    expect(c.maxTime).toBe(samples[samples.length - 1][0]);
  }
}

const SPECIAL: Array<[string, number, number]> = [
  ['+0', 0, 0],
  ['-0', 0x80000000, 0],
  ['smallest subnormal', 0, 1],
  ['largest subnormal', 0x000fffff, 0xffffffff],
  ['-subnormal', 0x80000000, 12345],
  ['max', 0x7fefffff, 0xffffffff],
  ['-max', 0xffefffff, 0xffffffff],
  ['+Inf', 0x7ff00000, 0],
  ['-Inf', 0xfff00000, 0],
  ['NormalNaN', 0x7ff80000, 1],
  ['stale', 0x7ff00000, 2],
  ['negative quiet NaN', 0xfff80000, 0],
  ['NaN payload', 0x7ff4dead, 0xbeef0001],
  ['1', 0x3ff00000, 0],
  ['min normal', 0x00100000, 0],
];

describe('XORChunk values', () => {
  test('empty chunk', () => {
    const c = new XORChunk();
    expect(hex(c.bytes())).toBe('0000');
    expect(c.numSamples).toBe(0);
    expect(c.minTime).toBe(Infinity);
    expect(c.maxTime).toBe(-Infinity);
    expect(decodeWords(c)).toEqual([]);
    expect(c.iterator().next()).toBe(false);
    const ro = XORChunk.fromBytes(new Uint8Array([0, 0]));
    expect(ro.numSamples).toBe(0);
    expect(ro.maxTime).toBe(-Infinity);
  });

  test.each(SPECIAL)('%s alone, first and after every other class', (_name, hi, lo) => {
    roundTrip([[1000, hi, lo]]);
    const series: Array<[number, number, number]> = [];
    let t = -5_000;
    for (const [, h2, l2] of SPECIAL) {
      series.push([t, h2, l2]);
      series.push([(t += 15_000), hi, lo]);
      series.push([(t += 15_000), hi, lo]); // unchanged value
      t += 15_000;
    }
    roundTrip(series);
  });

  test('stale marker keeps its exact bits after V8 quieted it in a double array', () => {
    const doubles = [1.5, STALE_NAN, 2.5]; // a PACKED_DOUBLE array: V8 may set the quiet bit
    const quieted = fromBits(0x7ff80000, 2); // what a quieted stale marker looks like
    const c = new XORChunk();
    c.append(1000, doubles[1]);
    c.append(2000, quieted);
    c.append(3000, doubles[0]);
    c.append(4000, quieted);
    expect(decodeWords(c)).toEqual([
      [1000, 0x7ff00000, 2],
      [2000, 0x7ff00000, 2],
      [3000, 0x3ff80000, 0],
      [4000, 0x7ff00000, 2],
    ]);
  });

  test('random bit patterns, including arbitrary NaN payloads', () => {
    const words = new Uint32Array(2 * 500);
    let x = 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    // every 7th value a NaN with a random payload, every 11th the previous value again
    for (let i = 0; i < 500; i += 7) words[2 * i + 1] = 0x7ff00000 | (words[2 * i + 1] & 0x800fffff) | 1;
    for (let i = 11; i < 500; i += 11) {
      words[2 * i] = words[2 * i - 2];
      words[2 * i + 1] = words[2 * i - 1];
    }
    const samples: Array<[number, number, number]> = [];
    for (let i = 0; i < 500; i++)
      samples.push([1_700_000_000_000 + i * 15_000, words[2 * i + 1], words[2 * i]]);
    roundTrip(samples);
  });

  test('XOR windows: leading >= 32 clamps to 31, 64 significant bits, window reuse', () => {
    roundTrip([
      [0, 0x3ff00000, 0],
      [1, 0x3ff00000, 1], // xor 1: leading 63 -> 31, trailing 0, sig 33
      [2, 0x3ff00000, 3], // inside the window
      [3, 0xc00fffff, 0xffffffff], // xor has leading 0 and trailing 0: 64 significant bits (written as 0)
      [4, 0x3ff00000, 0x80000000],
      [5, 0x3ff00001, 0], // xor crosses the word boundary
      [6, 0x3ff00001, 0],
    ]);
  });
});

describe('XORChunk timestamps', () => {
  test('regular, irregular, huge gaps and negative', () => {
    const cases: number[][] = [
      Array.from({ length: 240 }, (_, i) => 1_700_000_000_000 + i * 15_000),
      Array.from({ length: 200 }, (_, i) => 1_700_000_000_000 + i * 15_000 + ((i * 7919) % 23) - 11),
      [-9_007_199_254_740_991 + 1, -1_000_000_000_000, -1, 0, 1, 86_400_000, 9_007_199_254_740_991 - 1],
      [-5_000, -4_000, -2_500, -2_499],
      [0, 1, 2, 3, 4e15, 4e15 + 1, 8e15],
      [Number.MAX_SAFE_INTEGER - 10, Number.MAX_SAFE_INTEGER],
      [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER + 1],
    ];
    for (const ts of cases) roundTrip(ts.map((t, i) => [t, 0x40000000, i]));
  });

  // The dod bucket chosen: its prefix bits sit right after the second sample, i.e. after the header,
  // the one-byte varint of t0 = 0, the 64 value bits, the uvarint of the first delta and a '0' value bit.
  const uvarintLen = (x: number): number => (x < 128 ? 1 : 1 + uvarintLen(Math.floor(x / 128)));
  // Prometheus's bitRange(x, n) is -(2^(n-1)-1) <= x <= 2^(n-1): +8192 fits 14 bits, -8192 does not
  const cases: Array<[number, string]> = [
    [0, '0'],
    [1, '10'],
    [-1, '10'],
    [8191, '10'],
    [8192, '10'],
    [-8191, '10'],
    [-8192, '110'],
    [8193, '110'],
    [65535, '110'],
    [65536, '110'],
    [-65535, '110'],
    [-65536, '1110'],
    [65537, '1110'],
    [524288, '1110'],
    [-524287, '1110'],
    [-524288, '1111'],
    [524289, '1111'],
    [2 ** 31 - 1, '1111'],
    [2 ** 31, '1111'],
    [-(2 ** 31), '1111'],
    [2 ** 32 + 5, '1111'],
    [-(2 ** 32) - 5, '1111'],
    [-(2 ** 40) - 3, '1111'],
    [2 ** 51, '1111'],
  ];
  test.each(cases)('dod %d uses bucket %s and round-trips', (dod, prefix) => {
    const d = Math.max(100, -dod + 1); // the first delta, large enough for t2 > t1
    const ts = [0, d, 2 * d + dod];
    const c = build(ts.map((t) => [t, 1]));
    const r = new BitReader(c.bytes(), 16 + 8 + 64 + 8 * uvarintLen(d) + 1);
    let got = '';
    for (let i = 0; i < 4; i++) {
      const b = r.readBit();
      got += b;
      if (b === 0) break;
    }
    expect(got).toBe(prefix);
    // a longer series that leaves the bucket and comes back, with changing values
    const more = [...ts, ts[2] + d + dod, ts[2] + 2 * d + dod, ts[2] + 3 * d + 2 * dod + 1];
    roundTrip(more.map((t, i) => [t, 0x3ff00000 + i, i * 3]));
  });
});

describe('XORChunk bytes are Prometheus bytes', () => {
  // Derived by hand from tsdb/chunkenc/xor.go for (1000, 1), (2000, 2), (3000, 2), (3500, 3.5):
  //   00 04                    sample count 4, uint16 big-endian
  //   d0 0f                    PutVarint(1000): zig-zag 2000 = 0x7d0 -> 0x50|0x80, 0x0f
  //   3f f0 00 00 00 00 00 00  bits of 1.0
  //   e8 07                    PutUvarint(1000): 0x68|0x80, 0x07
  //   then bits: value 2.0 ^ 1.0 = 0x7ff0000000000000: leading 1, trailing 52, sig 11, no window yet:
  //     '1' '1' 00001 001011 11111111111                                   -> c2 5f ff
  //   sample 3: dod 0 -> '0'; same value -> '0'
  //   sample 4: delta 500, dod -500: '10' + 14 bits of 16384-500 = 11111000001100;
  //     value 3.5 ^ 2.0 = 0x000c000000000000: leading 12, trailing 50 (< 52, so a new window):
  //     '1' '1' 01100 000010 11
  //   bits 00 1011111000001100 110110000001011 + padding -> 2f 83 36 05 80
  test('a small known series', () => {
    const c = build([
      [1000, 1],
      [2000, 2],
      [3000, 2],
      [3500, 3.5],
    ]);
    expect(hex(c.bytes())).toBe('0004' + 'd00f' + '3ff0000000000000' + 'e807' + 'c25fff' + '2f83360580');
    expect(c.byteLength).toBe(22);
    expect(XORChunk.fromBytes(c.bytes()).byteLength).toBe(22);
  });

  // Prometheus's bstream.writeByte leaves an empty byte after whole-byte writes that end on a byte
  // boundary, and Bytes() includes it: a one-sample chunk is 2 + varint + 8 + 1 bytes.
  test('the trailing empty byte after whole-byte writes', () => {
    expect(hex(build([[1000, 1]]).bytes())).toBe('0001' + 'd00f' + '3ff0000000000000' + '00');
    expect(hex(build([[-1, 0]]).bytes())).toBe('0001' + '01' + '0000000000000000' + '00');
    // second value 1.0 ^ 0x3ff0000000000100 = 0x100: leading 55 -> 31, trailing 8, sig 25:
    //   '11' 11111 011001 + 25 bits of 1: 11111110 11001000 00000000 00000000 000001(00); unaligned
    const two = build([
      [0, 1],
      [1, fromBits(0x3ff00000, 0x100)],
    ]);
    expect(hex(two.bytes())).toBe('0002' + '00' + '3ff0000000000000' + '01' + 'fec8000004');
    // a stream that ends aligned after a window write of whole bytes gets the empty byte too
    const c = new XORChunk();
    c.append(0, 1);
    c.append(10, fromBits(0x3ff000ff, 0xffff0000)); // xor 0x000000ffffff0000: leading 24, trailing 16, sig 24
    // bits: 16 + 8 + 64 + 8 + (2 + 5 + 6 + 24 = 37) = 133 -> 17 bytes
    expect(c.bytes().length).toBe(17);
    c.append(20, fromBits(0x3ff0007f, 0xfffe0000)); // dod '0'; xor 0x0000008000010000 in the window: '10' + 24
    // 133 + 1 + 26 = 160 bits: aligned, and the last write (24 bits) was whole bytes -> an empty byte
    expect(c.bytes().length).toBe(21);
    expect(c.bytes()[20]).toBe(0);
    c.append(30, fromBits(0x3ff0007f, 0xfffe0000)); // '0' '0': 162 bits
    expect(c.bytes().length).toBe(21);
  });
});

describe('XORChunk reading', () => {
  const samples: Array<[number, number]> = Array.from({ length: 50 }, (_, i) => [1000 + i * 10, i * 1.5]);
  const c = build(samples);

  test('decodeInto with mint/maxt windows and an offset', () => {
    const ts = new Float64Array(60);
    const vs = new Float64Array(60);
    expect(c.decodeInto(ts, vs, 5, 1100, 1200)).toBe(11);
    expect(Array.from(ts.subarray(5, 16))).toEqual(Array.from({ length: 11 }, (_, i) => 1100 + i * 10));
    expect(Array.from(vs.subarray(5, 16))).toEqual(Array.from({ length: 11 }, (_, i) => (10 + i) * 1.5));
    expect(ts[4]).toBe(0);
    expect(ts[16]).toBe(0);
    expect(c.decodeInto(ts, vs, 0, 1095, 1105)).toBe(1); // between samples
    expect(ts[0]).toBe(1100);
    expect(c.decodeInto(ts, vs, 0, 0, 999)).toBe(0);
    expect(c.decodeInto(ts, vs, 0, 1491, 1e13)).toBe(0);
    expect(c.decodeInto(ts, vs, 0, 1490, 1490)).toBe(1);
    expect(c.decodeInto(ts, vs, 0, 1000, 1000)).toBe(1);
    expect(c.decodeInto(ts, vs, 0, 1010, 1010)).toBe(1);
    expect(vs[0]).toBe(1.5);
    expect(c.decodeInto(ts, vs, 0, -Infinity, Infinity)).toBe(50);
    expect(() => c.decodeInto(ts, vs, 11, -Infinity, Infinity)).toThrow(RangeError);
    // a value buffer that is a view at an offset into a larger buffer
    const big = new Float64Array(100);
    const view = big.subarray(30, 90);
    expect(c.decodeInto(ts, view, 0, -Infinity, Infinity)).toBe(50);
    expect(big[30 + 49]).toBe(49 * 1.5);
    expect(big[29]).toBe(0);
  });

  test('seek: first sample at or after t, never backwards, no-op when already there', () => {
    const it = c.iterator();
    expect(it.seek(1000)).toBe(true);
    expect(it.at()).toBe(1000);
    expect(it.seek(1055)).toBe(true);
    expect(it.at()).toBe(1060);
    expect(it.value()).toBe(9);
    expect(it.seek(1060)).toBe(true); // already there
    expect(it.at()).toBe(1060);
    expect(it.seek(0)).toBe(true); // never backwards
    expect(it.at()).toBe(1060);
    expect(it.next()).toBe(true);
    expect(it.at()).toBe(1070);
    expect(it.seek(1490)).toBe(true);
    expect(it.at()).toBe(1490);
    expect(it.seek(1491)).toBe(false);
    expect(it.next()).toBe(false);
    const fresh = c.iterator();
    expect(fresh.seek(-1e15)).toBe(true); // the first seek always reads a sample
    expect(fresh.at()).toBe(1000);
    expect(XORChunk.fromBytes(c.bytes().slice()).iterator().seek(2000)).toBe(false);
    expect(new XORChunk().iterator().seek(0)).toBe(false);
  });

  test('fromBytes is a read-only view without copying', () => {
    const bytes = c.bytes().slice();
    const ro = XORChunk.fromBytes(bytes);
    expect(ro.bytes()).toBe(bytes);
    expect(ro.numSamples).toBe(50);
    expect(ro.minTime).toBe(1000);
    expect(ro.maxTime).toBe(1490);
    expect(() => ro.append(2000, 1)).toThrow(/read-only/);
    expect(() => XORChunk.fromBytes(new Uint8Array(1))).toThrow();
  });

  test('iterators and decodes see a consistent prefix while appending continues', () => {
    const w = new XORChunk();
    for (let i = 0; i < 10; i++) w.append(i * 1000, i);
    const it = w.iterator();
    const snapshot = w.bytes().slice();
    for (let i = 10; i < 500; i++) w.append(i * 1000 + (i % 3), Math.sqrt(i)); // grows the buffer
    let n = 0;
    while (it.next()) {
      expect(it.at()).toBe(n * 1000);
      expect(it.value()).toBe(n);
      n++;
    }
    expect(n).toBe(10);
    expect(hex(XORChunk.fromBytes(snapshot).bytes())).toBe(hex(snapshot));
    expect(decodeWords(w).length).toBe(500);
    expect(w.maxTime).toBe(499 * 1000 + (499 % 3));
  });

  test('compact keeps the bytes and appending still works', () => {
    const w = new XORChunk();
    for (let i = 0; i < 5; i++) w.append(i * 15_000, i);
    const before = hex(w.bytes());
    w.compact();
    expect(hex(w.bytes())).toBe(before);
    for (let i = 5; i < 300; i++) w.append(i * 15_000, i * 0.1);
    const all = decodeWords(w);
    expect(all.length).toBe(300);
    f64[0] = 299 * 0.1;
    expect(all[299]).toEqual([299 * 15_000, u32[1], u32[0]]);
  });

  test('the sample count is a uint16', () => {
    const w = new XORChunk();
    for (let i = 0; i < 65535; i++) w.append(i, 0);
    expect(hex(w.bytes().subarray(0, 2))).toBe('ffff');
    expect(() => w.append(65535, 0)).toThrow(RangeError);
    expect(XORChunk.fromBytes(w.bytes().slice()).maxTime).toBe(65534);
  });
});

describe('XORChunk property', () => {
  const sample = fc.record({
    gap: fc.oneof(
      fc.constant(15_000),
      fc.integer({ min: 1, max: 20 }).map((j) => 15_000 + j - 10),
      fc.integer({ min: 1, max: 2 ** 40 }),
    ),
    hi: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constant(0x7ff00000), fc.constant(0x40000000)),
    lo: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constant(0), fc.constant(2)),
    same: fc.boolean(),
  });
  test('random sample sequences round-trip bit-exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        fc.array(sample, { maxLength: 300 }),
        (start, rows) => {
          const samples: Array<[number, number, number]> = [];
          let t = start;
          for (const r of rows) {
            const prev = samples[samples.length - 1];
            samples.push(r.same && prev !== undefined ? [t, prev[1], prev[2]] : [t, r.hi, r.lo]);
            t += r.gap;
          }
          // a stale marker as stored comes back exact; other NaN payloads as written
          roundTrip(samples);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('XORChunk streams in shared slabs', () => {
  test('chunks appended in turn keep their own bytes while they grow, move and outgrow the slabs', () => {
    // Open chunks write into regions of shared slabs; a chunk that grows moves to a new region, and one
    // past 4 KiB to an array of its own. Appending to many in turn puts neighbours next to each other.
    const rnd = (
      (seed) => () =>
        (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    )(42);
    const chunks = Array.from({ length: 700 }, () => new XORChunk());
    const rows: Array<Array<[number, number, number]>> = chunks.map(() => []);
    for (let k = 0; k < 800; k++) {
      for (let i = 0; i < chunks.length; i++) {
        // some chunks get random 64-bit values (~10 bytes a sample: past 4 KiB), others steady ones
        if (i % 7 !== 0 && k >= 120) continue;
        const hi = i % 7 === 0 ? Math.floor(rnd() * 0x7ff00000) : 0x40590000;
        const lo = i % 7 === 0 ? Math.floor(rnd() * 2 ** 32) : k;
        const t = 1_700_000_000_000 + k * 15_000 + (i % 3);
        chunks[i].append(t, fromBits(hi, lo));
        rows[i].push([t, hi, lo]);
      }
    }
    expect(chunks[0].byteLength).toBeGreaterThan(4096);
    for (let i = 0; i < chunks.length; i++) {
      expect(decodeWords(chunks[i])).toEqual(rows[i]);
      expect(iterateWords(chunks[i])).toEqual(rows[i]);
      const alone = new XORChunk();
      for (const [t, hi, lo] of rows[i]) alone.append(t, fromBits(hi, lo));
      expect(hex(chunks[i].bytes())).toBe(hex(alone.bytes()));
    }
  });

  test('open chunks write into one shared slab, each from its own offset (no array per chunk)', () => {
    // three in a row: a slab boundary can fall between two of them, not between both pairs
    const cs = [new XORChunk(), new XORChunk(), new XORChunk()];
    const [a, b] = cs[0].buf === cs[1].buf ? [cs[0], cs[1]] : [cs[1], cs[2]];
    a.append(1000, 1);
    b.append(1000, 2);
    expect(a.buf).toBe(b.buf);
    expect(a.buf.length).toBe(64 * 1024);
    expect(Math.abs(b.base - a.base)).toBeGreaterThanOrEqual(128);
    expect(decodeWords(a)).toEqual([[1000, 0x3ff00000, 0]]);
    expect(decodeWords(b)).toEqual([[1000, 0x40000000, 0]]);
  });

  test('kept copies (completed chunks) share slabs of their own, apart from the streams being written', () => {
    // a completed chunk lives until the head's truncation; in the streams' slabs it would pin the
    // regions that growing streams leave behind
    const c = new XORChunk();
    for (let k = 0; k < 50; k++) c.append(k * 1000, Math.sqrt(k));
    const kept = [keepCopy(c.bytes()), keepCopy(c.bytes()), keepCopy(c.bytes())];
    for (const k of kept) {
      expect(hex(k)).toBe(hex(c.bytes()));
      expect(k.buffer).not.toBe(c.buf.buffer);
      expect(k.buffer).not.toBe(allocZeroed(64).buffer);
    }
    expect(kept[0].buffer === kept[1].buffer || kept[1].buffer === kept[2].buffer).toBe(true);
  });

  test('compact keeps the bytes, and appending continues after it', () => {
    const c = new XORChunk();
    for (let k = 0; k < 10; k++) c.append(k * 1000, k * 1.5);
    const before = hex(c.bytes());
    c.compact();
    expect(hex(c.bytes())).toBe(before);
    c.append(10_000, 15);
    expect(decodeWords(c).map((r) => r[0])).toEqual(Array.from({ length: 11 }, (_, k) => k * 1000));
  });
});

describe('XORChunk decoding chunks Prometheus wrote', () => {
  test('a second value that reuses the initial 0/0 window (a reopened one-sample chunk)', () => {
    const w = new BitWriter();
    w.ensure(40);
    w.writeBits(2, 16); // two samples
    w.writeBits(0, 8); // t0 = 0
    w.writeBits64(0x3ff00000, 0, 64); // 1.0
    w.writeBits(10, 8); // delta 10
    w.writeBits(0b10, 2); // reuse the window: leading 0, trailing 0, 64 bits
    w.writeBits64(0x7ff00000, 0, 64); // 1.0 ^ 2.0
    const c = XORChunk.fromBytes(w.toBytes());
    expect(decodeWords(c)).toEqual([
      [0, 0x3ff00000, 0],
      [10, 0x40000000, 0],
    ]);
    expect(iterateWords(c)).toEqual(decodeWords(c));
  });
});
