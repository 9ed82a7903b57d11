// Native histogram chunks: Prometheus's varbit integers, the chunk layout worked out by hand from
// tsdb/docs/format/chunks.md, and round trips of integer and float histogram series (stale markers,
// custom buckets, zero thresholds of both encodings, 64-bit values).
import { describe, expect, it } from 'vitest';
import {
  CounterResetHint,
  type FloatHistogram,
  type Histogram,
  toFloatHistogram,
} from '../../../src/model/histogram.js';
import { STALE_NAN, isStaleNaN } from '../../../src/model/value.js';
import { BitReader, BitWriter } from '../../../src/tsdb/chunks/bitstream.js';
import {
  CounterResetHeader,
  ENC_FLOAT_HISTOGRAM_ST,
  ENC_HISTOGRAM_ST,
  FloatHistogramChunk,
  HistogramChunk,
} from '../../../src/tsdb/chunks/histogram.js';
import {
  putVarbitInt,
  putVarbitUint,
  readVarbitInt,
  readVarbitUint,
} from '../../../src/tsdb/chunks/varbit.js';

function hist(over: Partial<Histogram> = {}): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 1,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 3,
    sum: 1.5,
    positiveSpans: [{ offset: 0, length: 2 }],
    negativeSpans: [],
    positiveBuckets: [1, 1],
    negativeBuckets: [],
    ...over,
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('varbit integers', () => {
  const edges = [
    0,
    1,
    -1,
    4,
    5,
    -3,
    -4,
    32,
    33,
    -31,
    -32,
    256,
    257,
    -255,
    2048,
    2049,
    -2047,
    131072,
    131073,
    16777216,
    16777217,
    -16777215,
    -16777216,
    2 ** 40,
    -(2 ** 40),
    2 ** 53 - 1,
    -(2 ** 53 - 1),
  ];
  it('round-trips signed values across every width, and unsigned ones', () => {
    const w = new BitWriter();
    for (const v of edges) putVarbitInt(w, v);
    for (const v of edges) if (v >= 0) putVarbitUint(w, v);
    const r = new BitReader(w.toBytes());
    for (const v of edges) expect(readVarbitInt(r)).toBe(v);
    for (const v of edges) if (v >= 0) expect(readVarbitUint(r)).toBe(v);
  });

  it('uses the widths of varbit.go: 1 bit for 0, 5 for -3..4, 9 for 5..32, 64+8 past 56 bits', () => {
    const bitsFor = (v: number, unsigned = false): number => {
      const w = new BitWriter();
      if (unsigned) putVarbitUint(w, v);
      else putVarbitInt(w, v);
      return w.pos;
    };
    expect([0, 4, -3, 5, 32, -31, -32, 2048].map((v) => bitsFor(v))).toEqual([1, 5, 5, 9, 9, 9, 13, 17]);
    expect(bitsFor(2 ** 53 - 1)).toBe(64);
    expect(bitsFor(2 ** 56)).toBe(72);
    expect([7, 8, 63, 64].map((v) => bitsFor(v, true))).toEqual([5, 9, 9, 13]);
  });
});

describe('integer histogram chunk', () => {
  it('lays out header, layout and first sample as chunks.md describes', () => {
    const c = new HistogramChunk();
    c.append(1000, hist());
    // 00 01 | flags 00 | zero threshold 0x00 | schema 10·001 | 1 span: 10·001, length 10·010, offset 0 |
    // 0 negative spans | t 11110·001111101000 | count 10·011 | zero count 0 | sum 0x3ff8… | 10·001 10·001
    expect(hex(c.bytes())).toBe('000100008c6478fa263ff80000000000008c40');
    expect(HistogramChunk.fromBytes(c.bytes()).samples()).toEqual([
      { t: 1000, h: { ...hist(), counterResetHint: CounterResetHint.Unknown } },
    ]);
  });

  it('round-trips a series with growing buckets, a gauge header and a zero threshold of each encoding', () => {
    for (const zeroThreshold of [2 ** -128, 0.001]) {
      const c = new HistogramChunk();
      c.counterResetHeader = CounterResetHeader.Gauge;
      const want: Array<{ t: number; h: Histogram }> = [];
      let t = 1_700_000_000_000;
      for (let i = 0; i < 150; i++) {
        t += i % 7 === 0 ? 15_003 : 15_000;
        const b = [i, i % 3, i % 2 === 1 ? -1 : 0, 2 * i, 5];
        const abs = b.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], []);
        const nb = [1, i];
        const count = abs.reduce((x, y) => x + y, 0) + nb[0] + nb[0] + nb[1] + i;
        const h: Histogram = {
          counterResetHint: CounterResetHint.Gauge,
          schema: 3,
          zeroThreshold,
          zeroCount: i,
          count,
          sum: i * 1.25 - 7,
          positiveSpans: [
            { offset: -2, length: 3 },
            { offset: 4, length: 2 },
          ],
          negativeSpans: [{ offset: 1, length: 2 }],
          positiveBuckets: b,
          negativeBuckets: nb,
        };
        expect(c.fits(h)).toBe(true);
        c.append(t, h);
        want.push({ t, h });
      }
      const back = HistogramChunk.fromBytes(c.bytes());
      expect(back.numSamples).toBe(150);
      expect(back.counterResetHeader).toBe(CounterResetHeader.Gauge);
      expect(back.samples()).toEqual(want);
    }
  });

  it('takes stale markers; after one only stale markers fit; a new layout does not fit', () => {
    const c = new HistogramChunk();
    c.append(1, hist());
    c.append(2, hist({ count: 5, positiveBuckets: [2, 1] }));
    expect(c.fits(hist({ positiveSpans: [{ offset: 1, length: 2 }] }))).toBe(false);
    expect(c.fits(hist({ schema: 2 }))).toBe(false);
    c.append(3, hist({ sum: STALE_NAN }));
    expect(c.fits(hist({ count: 9 }))).toBe(false);
    expect(() => c.append(4, hist())).toThrowError(/cut a new chunk/);
    c.append(5, hist({ sum: STALE_NAN }));
    const s = HistogramChunk.fromBytes(c.bytes()).samples();
    expect(s.map((x) => x.t)).toEqual([1, 2, 3, 5]);
    expect(s[1].h).toEqual({
      ...hist({ count: 5, positiveBuckets: [2, 1] }),
      counterResetHint: CounterResetHint.NotCounterReset,
    });
    expect(isStaleNaN(s[2].h.sum) && isStaleNaN(s[3].h.sum)).toBe(true);
    expect(s[2].h.positiveBuckets).toEqual([]);
  });

  it('keeps custom bucket bounds (schema -53), whole thousandths and raw floats alike', () => {
    const h = hist({
      schema: -53,
      customValues: [0.005, 0.1, 1, 2.5, 33554.43, 1e6, 0.0001],
      positiveSpans: [{ offset: 0, length: 3 }],
      positiveBuckets: [1, 0, 2],
      count: 6,
    });
    h.customValues!.sort((a, b) => a - b);
    const c = new HistogramChunk();
    c.append(10, h);
    c.append(20, { ...h, positiveBuckets: [2, 0, 2], count: 8 });
    const s = HistogramChunk.fromBytes(c.bytes()).samples();
    expect(s[0].h.customValues).toEqual(h.customValues);
    expect(s[1].h.positiveBuckets).toEqual([2, 0, 2]);
  });

  it("reports an unknown schema with Prometheus's message", () => {
    // one sample's header with schema 30 (reserved)
    const w = new BitWriter();
    w.writeBits(0, 24);
    w.writeBits(0, 8);
    putVarbitInt(w, 30);
    const bad = w.toBytes();
    bad[1] = 1;
    expect(() => HistogramChunk.fromBytes(bad).samples()).toThrowError(/unknown schema.*got schema 30/);
  });
});

describe('float histogram chunk', () => {
  it('round-trips float histograms (fractions, NaN sum, stale markers) bit for bit', () => {
    const c = new FloatHistogramChunk();
    const want: Array<{ t: number; h: FloatHistogram }> = [];
    for (let i = 0; i < 130; i++) {
      const h = toFloatHistogram(
        hist({ count: 3 + 2 * i, positiveBuckets: [1 + i, i], sum: i === 5 ? NaN : i / 3 }),
      );
      h.positiveBuckets[0] += 0.25;
      h.count += 0.25;
      h.counterResetHint = i === 0 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset;
      c.append(i * 1000, h);
      want.push({ t: i * 1000, h });
    }
    const s = FloatHistogramChunk.fromBytes(c.bytes()).samples();
    expect(s.length).toBe(130);
    expect(Number.isNaN(s[5].h.sum)).toBe(true);
    s[5].h.sum = want[5].h.sum;
    expect(s).toEqual(want);
    const stale = new FloatHistogramChunk();
    stale.append(1, want[0].h);
    stale.append(2, { ...want[1].h, sum: STALE_NAN });
    const back = FloatHistogramChunk.fromBytes(stale.bytes()).samples();
    expect(isStaleNaN(back[1].h.sum)).toBe(true);
  });
});

describe('histogram ST chunks (encodings 5 and 6)', () => {
  const h = (count: number): Histogram => ({
    counterResetHint: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: count,
    positiveSpans: [{ offset: 0, length: 1 }],
    negativeSpans: [],
    positiveBuckets: [count],
    negativeBuckets: [],
  });

  it('keeps the counter reset header in the sample count and the ST header in byte 2', () => {
    const c = new HistogramChunk(undefined, true);
    c.counterResetHeader = CounterResetHeader.CounterReset;
    c.append(1000, h(1), 500);
    c.append(2000, h(2), 500);
    const b = c.bytes();
    expect(c.encoding).toBe(ENC_HISTOGRAM_ST);
    expect(b[0]).toBe(0b10000000); // reset header, then the top bits of 2 samples
    expect(b[1]).toBe(2);
    expect(b[2]).toBe(0x80); // first ST known, no change after it
    const back = HistogramChunk.fromBytes(b.slice(), true);
    expect(back.numSamples).toBe(2);
    expect(back.counterResetHeader).toBe(CounterResetHeader.CounterReset);
    expect(back.samples().map((s) => [s.t, s.st, s.h.count])).toEqual([
      [1000, 500, 1],
      [2000, 500, 2],
    ]);
  });

  it('round-trips start timestamps that change, in integer and float chunks', () => {
    const sts = [0, 1000, 2000, 2000, 2500, 0, 7000];
    const c = new HistogramChunk(undefined, true);
    const f = new FloatHistogramChunk(undefined, true);
    sts.forEach((st, i) => {
      c.append(1000 * (i + 1), h(i + 1), st);
      f.append(1000 * (i + 1), { ...h(i + 1), positiveBuckets: [i + 1] }, st);
    });
    expect(f.encoding).toBe(ENC_FLOAT_HISTOGRAM_ST);
    const want = sts.map((st) => (st === 0 ? undefined : st));
    expect(
      HistogramChunk.fromBytes(c.bytes().slice(), true)
        .samples()
        .map((s) => s.st),
    ).toEqual(want);
    expect(
      FloatHistogramChunk.fromBytes(f.bytes().slice(), true)
        .samples()
        .map((s) => s.st),
    ).toEqual(want);
  });
});
