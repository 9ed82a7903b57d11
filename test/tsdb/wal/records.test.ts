import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '../../../src/model/labels.js';
import { NORMAL_NAN, STALE_NAN } from '../../../src/model/value.js';
import {
  ByteInterner,
  RecordDecodeError,
  RecordType,
  SampleColumns,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
  filterSeries,
  recordType,
} from '../../../src/tsdb/wal/records.js';

function bitsOf(v: number): string {
  const f = new Float64Array([v]);
  const w = new Uint32Array(f.buffer);
  return w[1].toString(16).padStart(8, '0') + w[0].toString(16).padStart(8, '0');
}

/** The stored bits of a[i], read without passing the value through JS (which may quiet a NaN). */
function bitsAt(a: Float64Array, i: number): string {
  const w = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  return w[2 * i + 1].toString(16).padStart(8, '0') + w[2 * i].toString(16).padStart(8, '0');
}

function roundTripSamples(refs: number[], ts: number[], vs: Float64Array): SampleColumns {
  const rec = encodeSamples(refs, ts, vs, refs.length);
  expect(recordType(rec)).toBe(RecordType.Samples);
  const out = new SampleColumns(1);
  expect(decodeSamples(rec, out)).toBe(refs.length);
  expect(out.length).toBe(refs.length);
  expect(Array.from(out.refs.subarray(0, out.length))).toEqual(refs);
  expect(Array.from(out.ts.subarray(0, out.length))).toEqual(ts);
  for (let i = 0; i < refs.length; i++) expect(bitsAt(out.vs, i)).toBe(bitsAt(vs, i));
  return out;
}

describe('WAL records', () => {
  it('round-trips series records, including UTF-8 and empty sets', () => {
    const labels = [
      Labels.fromRecord({ __name__: 'up', job: 'node', instance: 'localhost:9100' }),
      Labels.fromRecord({ __name__: 'héllo_wörld', emoji: '🙂 x', long: 'v'.repeat(300) }),
      Labels.EMPTY,
    ];
    const refs = [1, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    const rec = encodeSeries(refs, labels);
    expect(recordType(rec)).toBe(RecordType.Series);
    const got = decodeSeries(rec);
    expect(got.map((s) => s.ref)).toEqual(refs);
    for (let i = 0; i < labels.length; i++) expect(got[i].labels.equals(labels[i])).toBe(true);
    expect(decodeSeries(encodeSeries([], []))).toEqual([]);
  });

  it('decodes series through a ByteInterner to the same labels, reusing the strings it has seen', () => {
    const sets = [
      Labels.fromRecord({ __name__: 'node_cpu', cpu: '0', mode: 'idle', instance: 'a:9100' }),
      Labels.fromRecord({ __name__: 'node_cpu', cpu: '1', mode: 'idle', instance: 'a:9100' }),
      Labels.fromRecord({ __name__: 'héllo_wörld', emoji: '🙂 x', long: 'v'.repeat(300) }),
      Labels.fromRecord({ __name__: 'héllo_wörld', emoji: '🙂 x', long: 'w'.repeat(300) }),
      // same length and bytes but one: must not be taken for each other
      Labels.fromRecord({ __name__: 'ab', x: 'ba' }),
    ];
    const strings = new ByteInterner();
    const first = decodeSeries(encodeSeries([1, 2, 3, 4, 5], sets), strings);
    const again = decodeSeries(encodeSeries([1, 2, 3, 4, 5], sets), strings);
    for (let i = 0; i < sets.length; i++) {
      expect(first[i].labels.equals(sets[i])).toBe(true);
      expect(again[i].labels.equals(sets[i])).toBe(true);
      expect(again[i].labels.equals(decodeSeries(encodeSeries([1], [sets[i]]))[0].labels)).toBe(true);
    }
    // the second decoding hands back the very strings of the first
    for (let i = 0; i < sets.length; i++)
      for (let j = 0; j < sets[i].pairs.length; j++)
        expect(again[i].labels.pairs[j]).toBe(first[i].labels.pairs[j]);
  });

  it('filters series entries without decoding labels', () => {
    const labels = [1, 2, 3, 4].map((i) => Labels.fromRecord({ __name__: 'm', i: String(i) }));
    const rec = encodeSeries([10, 20, 30, 40], labels);
    const kept = filterSeries(rec, (r) => r === 20 || r === 40)!;
    expect(decodeSeries(kept).map((s) => [s.ref, s.labels.get('i')])).toEqual([
      [20, '2'],
      [40, '4'],
    ]);
    expect(filterSeries(rec, () => false)).toBeUndefined();
  });

  it('round-trips samples bit-exactly: stale NaN, NormalNaN, -0, infinities, subnormals', () => {
    const vs = new Float64Array([
      STALE_NAN,
      NORMAL_NAN,
      -0,
      0,
      Infinity,
      -Infinity,
      5e-324,
      Number.MAX_VALUE,
      1.5,
      0,
    ]);
    const w = new Uint32Array(vs.buffer);
    w.set([2, 0x7ff00000], 0); // write the NaN bits directly: constructing from JS values may quiet them
    w.set([1, 0x7ff80000], 2);
    w.set([2, 0x7ff00000], 18);
    const n = vs.length;
    const refs = Array.from({ length: n }, (_, i) => 100 + i * 3);
    const ts = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + (i % 3) * 15_000);
    const out = roundTripSamples(refs, ts, vs);
    expect(bitsAt(out.vs, 0)).toBe('7ff0000000000002');
    expect(bitsAt(out.vs, 1)).toBe('7ff8000000000001');
  });

  it('writes Prometheus stale bits even when V8 quieted the marker', () => {
    const vs = new Float64Array(1);
    new Uint32Array(vs.buffer).set([2, 0x7ff80000]); // quieted: 0x7ff8000000000002
    const rec = encodeSamples([1], [1], vs, 1);
    const out = new SampleColumns();
    decodeSamples(rec, out);
    expect(bitsAt(out.vs, 0)).toBe('7ff0000000000002');
  });

  it('round-trips extreme timestamps and refs (wide layout when deltas are not exact)', () => {
    const cases: Array<[number[], number[]]> = [
      [
        [0, 1],
        [-(2 ** 52), 2 ** 52],
      ],
      [
        [5, 4, 3],
        [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0],
      ],
      [
        [1, 2],
        [-(2 ** 63), 2 ** 63],
      ], // Go's MinInt64/MaxInt64 as doubles
      [
        [Number.MAX_SAFE_INTEGER, 0],
        [0.5, -1e300],
      ],
      [[7], [-1]],
    ];
    for (const [refs, ts] of cases) roundTripSamples(refs, ts, new Float64Array(refs.length).fill(1));
  });

  it('round-trips arbitrary samples (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat({ max: 2 ** 40 }),
            // timestamps are int64 milliseconds: -0 has no meaning there (it reads back as 0)
            fc.oneof(
              fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
              fc.maxSafeInteger(),
              fc.double().filter((d) => !Object.is(d, -0)),
            ),
            fc.double(),
          ),
          { maxLength: 200 },
        ),
        (rows) => {
          const refs = rows.map((r) => r[0]);
          const ts = rows.map((r) => r[1]);
          const vs = new Float64Array(rows.map((r) => r[2]));
          const rec = encodeSamples(refs, ts, vs, rows.length);
          const out = new SampleColumns(1);
          decodeSamples(rec, out);
          expect(Array.from(out.refs.subarray(0, out.length))).toEqual(refs);
          expect(Array.from(out.ts.subarray(0, out.length)).map(bitsOf)).toEqual(ts.map(bitsOf));
          for (let i = 0; i < rows.length; i++) expect(bitsAt(out.vs, i)).toBe(bitsAt(vs, i));
        },
      ),
    );
  });

  it('encodes only the first n samples and decodes at an offset into growable columns', () => {
    const vs = new Float64Array([1, 2, 3, 4]);
    const rec = encodeSamples([1, 2, 3, 4], [10, 20, 30, 40], vs, 2);
    const out = new SampleColumns(1);
    decodeSamples(rec, out);
    decodeSamples(rec, out, 2);
    expect(out.length).toBe(4);
    expect(Array.from(out.ts.subarray(0, 4))).toEqual([10, 20, 10, 20]);
    expect(Array.from(out.vs.subarray(0, 4))).toEqual([1, 2, 1, 2]);
  });

  it('is compact for a scrape: a few bytes per sample beyond the 8-byte value', () => {
    const n = 1000;
    const refs = Array.from({ length: n }, (_, i) => 5000 + i);
    const ts = new Array<number>(n).fill(1_700_000_000_000);
    const rec = encodeSamples(refs, ts, new Float64Array(n), n);
    expect(rec.length).toBeLessThan(n * 10 + 32);
  });

  it('round-trips tombstones with unbounded intervals', () => {
    const stones = [
      { ref: 1, mint: -(2 ** 63), maxt: 2 ** 63 },
      { ref: 2 ** 50, mint: 1000, maxt: 2000 },
      { ref: 3, mint: -Infinity, maxt: Infinity },
    ];
    const rec = encodeTombstones(stones);
    expect(recordType(rec)).toBe(RecordType.Tombstones);
    expect(decodeTombstones(rec)).toEqual(stones);
  });

  it('rejects malformed records with RecordDecodeError, never a crash', () => {
    const good = encodeSamples([1, 2, 3], [100, 200, 300], new Float64Array([1, 2, 3]), 3);
    for (let cut = 1; cut < good.length; cut++) {
      expect(() => decodeSamples(good.subarray(0, cut), new SampleColumns())).toThrow(RecordDecodeError);
    }
    const series = encodeSeries([1], [Labels.fromRecord({ a: 'b' })]);
    for (let cut = 2; cut < series.length; cut++) {
      expect(() => decodeSeries(series.subarray(0, cut))).toThrow(RecordDecodeError);
    }
    const stones = encodeTombstones([{ ref: 1, mint: 1, maxt: 2 }]);
    expect(() => decodeTombstones(stones.subarray(0, 5))).toThrow(RecordDecodeError);
    expect(recordType(new Uint8Array([42]))).toBe(RecordType.Unknown);
    expect(recordType(new Uint8Array())).toBe(RecordType.Unknown);
  });
});

describe('WAL samples records with start timestamps (st-storage)', () => {
  it('round-trips STs (none, repeated, changing, after t) in both layouts, and records without them', () => {
    const refs = [1, 2, 2, 3, 3];
    const ts = [1000, 2000, 3000, 4000, 5000];
    const vs = new Float64Array([1, 2, 3, 4, STALE_NAN]);
    const sts = [0, 500, 500, 3999, 6000];
    for (const t of [ts, ts.map((x) => x + 2 ** 60)]) {
      const st = t === ts ? sts : sts.map((x) => (x === 0 ? 0 : x + 2 ** 60));
      const rec = encodeSamples(refs, t, vs, refs.length, st);
      const out = new SampleColumns(1);
      expect(decodeSamples(rec, out)).toBe(5);
      expect(Array.from(out.sts!.subarray(0, 5))).toEqual(st);
      expect(Array.from(out.vs.subarray(0, 4))).toEqual([1, 2, 3, 4]);
      expect(bitsAt(out.vs, 4)).toBe('7ff0000000000002'); // the stale marker, as Prometheus writes it
      // a record without STs after one with them: none is reported
      decodeSamples(encodeSamples(refs, ts, vs, refs.length), out);
      expect(out.sts).toBeUndefined();
    }
  });

  it('appends after earlier records with the STs of each (0 where a record had none)', () => {
    const out = new SampleColumns(1);
    decodeSamples(encodeSamples([1], [10], new Float64Array([1]), 1), out, 0);
    decodeSamples(encodeSamples([2], [20], new Float64Array([2]), 1, [15]), out, 1);
    decodeSamples(encodeSamples([3], [30], new Float64Array([3]), 1), out, 2);
    expect(out.length).toBe(3);
    expect(Array.from(out.sts!.subarray(0, 3))).toEqual([0, 15, 0]);
  });
});
