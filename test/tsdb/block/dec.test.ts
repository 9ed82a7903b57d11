import path from 'node:path';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decimalScale, decodeDECInto, encodeDEC } from '../../../src/tsdb/chunks/dec.js';
import { Block, compactBlocks, writeBlock, type BlockMeta } from '../../../src/tsdb/block/index.js';
import { BLOCK_FILE } from '../../../src/tsdb/block/format.js';
import { crc32c } from '../../../src/tsdb/chunks/crc32c.js';
import { Matcher } from '../../../src/model/matcher.js';
import type { Querier } from '../../../src/storage/interfaces.js';
import { samples, series, tmpDir } from './fixtures.js';

const STALE = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0];

function bits(v: Float64Array, n: number): number[] {
  return [...new Uint32Array(v.buffer, v.byteOffset, n * 2)];
}

/** Encodes and decodes; checks bit-exactness when the encoding applies; returns whether it did. */
function roundTrip(ts: number[], vs: number[]): boolean {
  const n = ts.length;
  const t = Float64Array.from(ts);
  const v = Float64Array.from(vs);
  const enc = encodeDEC(t, v, n);
  if (enc === undefined) return false;
  const t2 = new Float64Array(n);
  const v2 = new Float64Array(n);
  expect(decodeDECInto(enc, t2, v2, 0, -Infinity, Infinity)).toBe(n);
  expect([...t2]).toEqual([...t]);
  expect(bits(v2, n)).toEqual(bits(v, n));
  return true;
}

const times = (n: number, start = 1_700_000_000_000, step = 15_000): number[] =>
  Array.from({ length: n }, (_, i) => start + i * step + (i % 7 === 3 ? 5 : 0));

describe('DEC chunk encoding', () => {
  it('round-trips decimal values bit-exactly', () => {
    expect(roundTrip(times(5), [1, 2, 3, 4, 5])).toBe(true);
    expect(roundTrip(times(4), [0.1, 0.2, 0.30000000000000004 - 0.00000000000000004, 12.34])).toBe(true);
    expect(roundTrip(times(3), [98765.123456789, 98766.623456789, 98767.1])).toBe(true);
    expect(roundTrip(times(3), [4096 * 1e6, 4096 * 1e6 + 8192, 4096 * 999_999])).toBe(true);
    expect(roundTrip(times(1), [42.5])).toBe(true);
    expect(roundTrip(times(2), [0, -3.25])).toBe(true);
    expect(roundTrip([-5_000, -10, 0, 7], [1e-12, -1e-12, 1234.5, -7])).toBe(true);
  });

  it('falls back (undefined) for values it cannot hold exactly', () => {
    const t = times(3);
    expect(roundTrip(t, [1, -0, 2])).toBe(false);
    expect(roundTrip(t, [1, NaN, 2])).toBe(false);
    expect(roundTrip(t, [1, STALE, 2])).toBe(false);
    expect(roundTrip(t, [1, Infinity, 2])).toBe(false);
    expect(roundTrip(t, [1, -Infinity, 2])).toBe(false);
    expect(roundTrip(t, [1, 0.1 + 0.2, 2])).toBe(false); // 17 significant digits
    expect(roundTrip(t, [1, 2 ** 52, 2])).toBe(false);
    expect(roundTrip(t, [1, 1e-13, 2])).toBe(false);
    expect(roundTrip(t, [1, 1.7e9 + 0.123456789, 2])).toBe(false); // 1.7e18 > 2^52 scaled
    expect(roundTrip(t, [Math.PI, 1, 2])).toBe(false);
    expect(decimalScale(Float64Array.from([1.5, 2.25]), 2)).toBe(2);
  });

  it('round-trips random decimal series bit-exactly (property)', () => {
    // one scale per series, scaled integers within 2^40 (random walks and arbitrary jumps mixed)
    const series = fc
      .tuple(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: -5, max: 5 })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.boolean(),
      )
      .map(([k, ms, walk]) => {
        let acc = 0;
        return ms.map((m) => {
          acc = walk ? Math.max(-(2 ** 40), Math.min(2 ** 40, acc + m)) : m;
          return acc / 10 ** k;
        });
      });
    fc.assert(
      fc.property(
        series,
        fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        fc.array(fc.integer({ min: 1, max: 2 ** 31 }), { minLength: 300, maxLength: 300 }),
        (vs, start, gaps) => {
          const ts: number[] = [];
          let t = start;
          for (let i = 0; i < vs.length; i++) ts.push((t += gaps[i]));
          expect(roundTrip(ts, vs)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is bit-exact or falls back for arbitrary doubles (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.double(),
            fc.integer({ min: -1e6, max: 1e6 }),
            fc.constantFrom(0, -0, NaN, STALE, Infinity, -Infinity, 2 ** 52 - 1, -(2 ** 52) + 1, 2 ** 53),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        (vs) => {
          roundTrip(times(vs.length), vs);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('applies to integer-heavy series and beats nothing when it cannot', () => {
    const n = 1000;
    const vs = Array.from({ length: n }, (_, i) => 1e9 + i * 300 + (i % 3));
    expect(roundTrip(times(n), vs)).toBe(true);
    const ts = times(n);
    const enc = encodeDEC(Float64Array.from(ts), Float64Array.from(vs), n)!;
    expect(enc.length).toBeLessThan(n * 1.5);
  });

  it('decodes only the samples within [mint, maxt]', () => {
    const ts = times(10);
    const enc = encodeDEC(Float64Array.from(ts), Float64Array.from(ts.map((_, i) => i / 4)), 10)!;
    const t = new Float64Array(12);
    const v = new Float64Array(12);
    const got = decodeDECInto(enc, t, v, 2, ts[3], ts[6]);
    expect(got).toBe(4);
    expect([...t.subarray(2, 6)]).toEqual(ts.slice(3, 7));
    expect([...v.subarray(2, 6)]).toEqual([0.75, 1, 1.25, 1.5]);
  });
});

const open = (dir: string, m: BlockMeta): Block => Block.open(path.join(dir, m.ulid));

describe('compacted blocks with DEC chunks', () => {
  function mixedBlocks(dir: string): BlockMeta[] {
    const mk = (from: number, to: number): BlockMeta =>
      writeBlock(dir, { minTime: from, maxTime: to }, [
        series(
          { __name__: 'counter' },
          samples(from, to, 15_000, (t) => Math.floor(t / 7) * 3),
        ),
        series(
          { __name__: 'decimal' },
          samples(from, to, 15_000, (t) => Math.round(t / 13) / 100),
        ),
        series(
          { __name__: 'float' },
          samples(from, to, 15_000, (t) => Math.sin(t)),
        ),
        series(
          { __name__: 'mixed' },
          samples(from, to, 15_000, (t) => (t % 600_000 === 0 ? STALE : t % 450_000 === 0 ? -0 : t / 1000)),
        ),
        series(
          { __name__: 'page' },
          samples(from, to, 15_000, (t) => 4096 * Math.floor(t / 9999)),
        ),
      ])!;
    return [mk(0, 3600_000), mk(3600_000, 7200_000)];
  }

  function encodings(dir: string, m: BlockMeta): Set<number> {
    const db = new Database(path.join(dir, m.ulid, BLOCK_FILE), { readonly: true });
    try {
      return new Set(db.prepare('SELECT DISTINCT enc FROM chunks').pluck().all() as number[]);
    } finally {
      db.close();
    }
  }

  it('reads a block mixing XOR and DEC chunks back exactly, and recompacts it', () => {
    const dir = tmpDir();
    const metas = mixedBlocks(dir);
    const sources = metas.map((m) => open(dir, m));
    const expected = sources.map((b) => readBits(b.querier(0, 7200_000)));
    const meta = compactBlocks(dir, sources)!;
    for (const b of sources) b.close();
    const encs = encodings(dir, meta);
    expect(encs.has(2) || encs.has(3)).toBe(true);
    expect(encs.has(0) || encs.has(1)).toBe(true);
    const out = open(dir, meta);
    const got = readBits(out.querier(0, 7200_000));
    expect(got.warnings).toEqual([]);
    // per series: the two source blocks' samples concatenated, bit-exact (stale markers, -0)
    expect(got.series.map((s) => s.labels)).toEqual(expected[0].series.map((s) => s.labels));
    for (let i = 0; i < got.series.length; i++) {
      const want = [...expected[0].series[i].samples, ...expected[1].series[i].samples];
      expect(got.series[i].samples).toEqual(want);
    }
    // a sub-range read
    const part = readBits(out.querier(1000_000, 2000_000));
    expect(part.series[0].samples.length).toBe(67);
    expect(
      part.series[0].samples.every((x) => +x.split(':')[0] >= 1000_000 && +x.split(':')[0] <= 2000_000),
    ).toBe(true);
    // compacting the compacted block again (DEC chunks read back as XOR) keeps every sample
    const again = compactBlocks(dir, [out], { cleanTombstones: true })!;
    out.close();
    const b2 = open(dir, again);
    const got2 = readBits(b2.querier(0, 7200_000));
    b2.close();
    expect(got2.series).toEqual(got.series);
  });

  it('skips a corrupted DEC chunk with a warning', () => {
    const dir = tmpDir();
    const sources = mixedBlocks(dir).map((m) => open(dir, m));
    const meta = compactBlocks(dir, sources)!;
    for (const b of sources) b.close();
    const file = path.join(dir, meta.ulid, BLOCK_FILE);
    const db = new Database(file);
    const row = db.prepare('SELECT id, data FROM chunks WHERE enc IN (2, 3) LIMIT 1').get() as {
      id: number;
      data: Buffer;
    };
    row.data[Math.floor(row.data.length / 2)] ^= 0x10;
    db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const b = Block.open(path.join(dir, meta.ulid));
    const r = readBits(b.querier(0, 7200_000));
    b.close();
    expect(r.warnings.length).toBe(1);
    expect(r.warnings[0]).toMatch(/checksum mismatch/);
    expect(r.series.length).toBeGreaterThan(0);
  });
});

/** A select's series with samples as `t:hi.lo` strings of their raw bits (NaN payloads kept). */
describe('DEC chunks with a valid checksum but a bad header', () => {
  it('are skipped with a warning', () => {
    const dir = tmpDir();
    const from = 0;
    const to = 3600_000;
    const mk = (a: number, b: number): BlockMeta =>
      writeBlock(dir, { minTime: a, maxTime: b }, [
        series(
          { __name__: 'c' },
          samples(a, b, 15_000, (t) => t / 1000),
        ),
      ])!;
    const sources = [mk(from, to / 2), mk(to / 2, to)].map((m) => open(dir, m));
    const meta = compactBlocks(dir, sources)!;
    for (const b of sources) b.close();
    const db = new Database(path.join(dir, meta.ulid, BLOCK_FILE));
    const bad = Buffer.from([0, 5, 0xf0, 0, 0]); // scale 15
    const n = db.prepare('UPDATE chunks SET enc = 2, data = ?, crc = ?').run(bad, crc32c(bad) | 0).changes;
    db.close();
    expect(n).toBeGreaterThan(0);
    const b = Block.open(path.join(dir, meta.ulid));
    const r = readBits(b.querier(from, to));
    b.close();
    expect(r.series).toEqual([]);
    expect(r.warnings.length).toBe(n);
    expect(r.warnings[0]).toMatch(/bad scale 15 \(chunk skipped\)/);
  });
});

function readBits(q: Querier): {
  series: Array<{ labels: string; samples: string[] }>;
  warnings: readonly string[];
} {
  const set = q.select([new Matcher('=~', '__name__', '.+')]);
  const out: Array<{ labels: string; samples: string[] }> = [];
  for (const s of set) {
    const b = s.samples();
    const w = new Uint32Array(b.v.buffer, b.v.byteOffset, b.length * 2);
    const strs: string[] = [];
    for (let i = 0; i < b.length; i++)
      strs.push(`${b.t[i]}:${w[2 * i + 1].toString(16)}.${w[2 * i].toString(16)}`);
    out.push({ labels: s.labels.toString(), samples: strs });
  }
  return { series: out, warnings: set.warnings };
}
