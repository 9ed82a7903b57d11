import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Matcher } from '../../../src/model/matcher.js';
import { STALE_NAN, isStaleNaN } from '../../../src/model/value.js';
import { Block, BlockError, cleanupTmp, isULID, newULID, writeBlock } from '../../../src/tsdb/block/index.js';
import { ulidTime } from '../../../src/tsdb/block/ulid.js';
import { inflateChunk } from '../../../src/tsdb/block/reader.js';
import { L, readAll, samples, series, tmpDir } from './fixtures.js';

function threeSeries(): ReturnType<typeof series>[] {
  return [
    series({ __name__: 'a', job: 'x', instance: '1' }, samples(0, 600_000, 15_000)),
    series(
      { __name__: 'a', job: 'x', instance: '2' },
      samples(0, 600_000, 15_000, (t) => -t),
    ),
    series(
      { __name__: 'b', job: 'y' },
      samples(300_000, 1_200_000, 15_000, () => 7),
    ),
  ].sort((x, y) => (x.labels.toString() < y.labels.toString() ? -1 : 1));
}

describe('ULIDs', () => {
  it('encode the time in 10 Crockford base32 characters and 80 random bits in 16', () => {
    const id = newULID(1_469_918_176_385, new Uint8Array(10));
    expect(id).toBe('01ARYZ6S410000000000000000');
    expect(ulidTime(id)).toBe(1_469_918_176_385);
    const r = newULID(0, new Uint8Array(10).fill(0xff));
    expect(r).toBe('0000000000ZZZZZZZZZZZZZZZZ');
    expect(isULID(newULID())).toBe(true);
    expect(isULID('01ARYZ6S41TSV4RRFFQ69G5FAI')).toBe(false); // I is not Crockford
    expect(newULID(1000) < newULID(2000)).toBe(true);
  });
});

describe('block write and read', () => {
  it('round-trips labels, chunks bit-exact and meta', () => {
    const dir = tmpDir();
    const input = threeSeries();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, input)!;
    expect(meta.stats).toEqual({ numSeries: 3, numChunks: 3, numSamples: 40 + 40 + 60 });
    expect(meta.compaction).toEqual({ level: 1, sources: [meta.ulid] });
    expect(meta.version).toBe(1);
    expect(fs.readdirSync(dir)).toEqual([meta.ulid]);

    const b = Block.open(path.join(dir, meta.ulid));
    expect(b.meta).toEqual(meta);
    const back = [...b.series()];
    expect(back.map((s) => s.labels.toString())).toEqual(input.map((s) => s.labels.toString()));
    for (let i = 0; i < input.length; i++) {
      expect(back[i].chunks.length).toBe(input[i].chunks.length);
      for (let j = 0; j < input[i].chunks.length; j++) {
        expect(back[i].chunks[j].mint).toBe(input[i].chunks[j].mint);
        expect(back[i].chunks[j].maxt).toBe(input[i].chunks[j].maxt);
        expect(Buffer.from(back[i].chunks[j].data).equals(Buffer.from(input[i].chunks[j].data))).toBe(true);
      }
    }
    expect(b.size()).toBeGreaterThan(0);
    b.close();
  });

  it('answers the label index and matchers like Prometheus', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, threeSeries())!;
    const b = Block.open(path.join(dir, meta.ulid));
    expect(b.labelNames()).toEqual(['__name__', 'instance', 'job']);
    expect(b.labelValues('job')).toEqual(['x', 'y']);
    expect(b.labelValues('nope')).toEqual([]);
    expect([...b.allPostings()]).toEqual([1, 2, 3]);
    expect([...b.postings('__name__', 'a')]).toEqual([1, 2]);
    expect([...b.postings('__name__', 'zzz')]).toEqual([]);
    expect([...b.seriesRefs([new Matcher('=', 'instance', '')])]).toEqual([3]);
    expect([...b.seriesRefs([new Matcher('!=', 'instance', '1')])]).toEqual([2, 3]);
    expect([...b.seriesRefs([new Matcher('=~', 'job', 'x|y'), new Matcher('!~', 'instance', '2')])]).toEqual([
      1, 3,
    ]);

    const q = b.querier(0, 2_000_000);
    expect(q.labelNames()).toEqual(['__name__', 'instance', 'job']);
    expect(q.labelNames([new Matcher('=', 'job', 'y')])).toEqual(['__name__', 'job']);
    expect(q.labelValues('instance', [new Matcher('=', '__name__', 'a')])).toEqual(['1', '2']);
    expect(q.labelValues('__name__')).toEqual(['a', 'b']);
    const got = readAll(q, [new Matcher('=', 'job', 'x')]);
    expect(got.series.map((s) => s.labels)).toEqual(['a{instance="1", job="x"}', 'a{instance="2", job="x"}']);
    expect(got.series[1].v[3]).toBe(-45_000);
    b.close();
  });

  it('restricts samples to the querier range (closed) and to select hints', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, threeSeries())!;
    const b = Block.open(path.join(dir, meta.ulid));
    const r = readAll(b.querier(30_000, 90_000));
    expect(r.series.map((s) => s.t)).toEqual([
      [30_000, 45_000, 60_000, 75_000, 90_000],
      [30_000, 45_000, 60_000, 75_000, 90_000],
    ]); // b starts at 300s: no sample in range, not returned
    const h = b
      .querier(0, 2_000_000)
      .select([new Matcher('=', '__name__', 'b')], { start: 1_000_000, end: 1_100_000 });
    expect([...h].map((s) => [...s.samples().t.subarray(0, s.samples().length)])).toEqual([
      [1_005_000, 1_020_000, 1_035_000, 1_050_000, 1_065_000, 1_080_000, 1_095_000],
    ]);
    b.close();
  });

  it('hands each series views of exactly its samples, disjoint within the shared slabs', () => {
    const dir = tmpDir();
    // series of 1 to 400 samples, and one longer than a slab (4k samples)
    const all = Array.from({ length: 300 }, (_, i) =>
      series(
        { __name__: 'm', i: String(i).padStart(3, '0') },
        samples(0, 15_000 * (1 + ((i * 37) % 400)), 15_000, (t) => t + i),
      ),
    );
    all.push(
      series(
        { __name__: 'm', i: 'long' },
        samples(0, 15_000 * 70_000, 15_000, (t) => -t),
      ),
    );
    const meta = writeBlock(dir, { minTime: 0, maxTime: 15_000 * 70_000 }, all)!;
    const b = Block.open(path.join(dir, meta.ulid));
    // a window cutting into the chunks, as an instant query's lookback does
    const [mint, maxt] = [600_000, 3_000_000];
    const set = b.querier(mint, maxt).select([new Matcher('=', '__name__', 'm')]);
    const seen: Array<{ buffer: ArrayBufferLike; from: number; to: number }> = [];
    let n = 0;
    for (const s of set) {
      const batch = s.samples();
      const i = s.labels.get('i')!;
      const count = i === 'long' ? 70_000 : 1 + ((Number(i) * 37) % 400);
      const ts = Array.from({ length: count }, (_, k) => k * 15_000).filter((t) => t >= mint && t <= maxt);
      expect(batch.length).toBe(ts.length);
      expect(batch.t.length).toBe(batch.length);
      expect([...batch.t]).toEqual(ts);
      expect([...batch.v]).toEqual(ts.map((t) => (i === 'long' ? -t : t + Number(i))));
      seen.push({
        buffer: batch.t.buffer,
        from: batch.t.byteOffset,
        to: batch.t.byteOffset + batch.t.byteLength,
      });
      n++;
    }
    // series that end before the window are not selected
    expect(n).toBe(
      1 +
        Array.from({ length: 300 }, (_, i) => 1 + ((i * 37) % 400)).filter((c) => (c - 1) * 15_000 >= mint)
          .length,
    );
    expect(n).toBeGreaterThan(250);
    for (const a of seen)
      for (const o of seen)
        if (a !== o && a.buffer === o.buffer && a.to > a.from && o.to > o.from)
          expect(a.to <= o.from || o.to <= a.from).toBe(true);
    // fewer buffers than series: they share slabs
    expect(new Set(seen.map((x) => x.buffer)).size).toBeLessThan(n / 10);
    b.close();
  });

  it('inflates deflated chunks as zlib does, also those larger than its buffer (64 KiB)', () => {
    for (const size of [0, 1, 300, 65_535, 65_536, 65_537, 200_000]) {
      const raw = Buffer.alloc(size);
      for (let i = 0; i < size; i++) raw[i] = (i * 7919) % 251 < 40 ? (i * 31) & 255 : 0;
      expect(Buffer.from(inflateChunk(zlib.deflateRawSync(raw)))).toEqual(raw);
    }
    expect(() => inflateChunk(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });

  it('keeps stale markers bit-exact', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 100 }, [
      series({ __name__: 's' }, [
        [1, 1],
        [2, STALE_NAN],
        [3, 3],
      ]),
    ])!;
    const b = Block.open(path.join(dir, meta.ulid));
    const v = readAll(b.querier(0, 100)).series[0].v;
    expect(isStaleNaN(v[1])).toBe(true);
    b.close();
  });

  it('writes no block for series without samples', () => {
    const dir = tmpDir();
    expect(
      writeBlock(dir, { minTime: 0, maxTime: 10 }, [{ labels: L({ a: 'b' }), chunks: [] }]),
    ).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses unsorted series and leaves nothing behind', () => {
    const dir = tmpDir();
    const s = threeSeries();
    expect(() => writeBlock(dir, { minTime: 0, maxTime: 2_000_000 }, [s[1], s[0]])).toThrow(/not sorted/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('tombstones', () => {
  it('hide samples, skip covered chunks, clamp to the data and survive reopening', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, [
      series({ __name__: 'm', i: '1' }, samples(0, 600_000, 15_000), 10), // 4 chunks of 10
      series({ __name__: 'm', i: '2' }, samples(0, 600_000, 15_000), 10),
    ])!;
    const b = Block.open(path.join(dir, meta.ulid));
    const refs = b.seriesRefs([new Matcher('=', 'i', '1')]);
    // [150s, 299s] covers the second chunk exactly; a far-away interval is dropped (no chunk there)
    expect(
      b.addTombstones([
        { ref: refs[0], mint: 150_000, maxt: 299_999 },
        { ref: refs[0], mint: 5_000_000, maxt: 6_000_000 },
      ]),
    ).toBe(1);
    expect(b.delete(-1e15, 30_000, [new Matcher('=', '__name__', 'm')])).toBe(2);
    expect(b.tombstoneCount()).toBe(3);
    expect(b.meta.stats.numTombstones).toBe(3);
    const check = (blk: Block): void => {
      const r = readAll(blk.querier(0, 2_000_000));
      expect(r.series[0].t.length).toBe(40 - 10 - 3);
      expect(r.series[0].t.slice(0, 8)).toEqual([
        45_000, 60_000, 75_000, 90_000, 105_000, 120_000, 135_000, 300_000,
      ]);
      expect(r.series[1].t.length).toBe(37);
      expect(blk.tombstonesFor(refs[0])).toEqual([
        { mint: 0, maxt: 30_000 },
        { mint: 150_000, maxt: 299_999 },
      ]);
    };
    check(b);
    b.close();
    const again = Block.open(path.join(dir, meta.ulid));
    check(again);
    expect(again.meta.stats.numTombstones).toBe(3);
    // adjacent intervals merge
    again.addTombstones([{ ref: refs[0], mint: 30_001, maxt: 149_999 }]);
    expect(again.tombstonesFor(refs[0])).toEqual([{ mint: 0, maxt: 299_999 }]);
    expect(again.tombstoneCount()).toBe(2);
    again.close();
  });

  it('break a hard link first, so a linked snapshot keeps its state', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, threeSeries())!;
    const snap = path.join(dir, 'snap');
    fs.mkdirSync(path.join(snap, meta.ulid), { recursive: true });
    fs.linkSync(path.join(dir, meta.ulid, 'block.db'), path.join(snap, meta.ulid, 'block.db'));
    const b = Block.open(path.join(dir, meta.ulid));
    b.delete(0, 2_000_000, [new Matcher('=', '__name__', 'b')]);
    expect(readAll(b.querier(0, 2_000_000)).series.length).toBe(2);
    b.close();
    const s = Block.open(path.join(snap, meta.ulid));
    expect(s.tombstoneCount()).toBe(0);
    expect(readAll(s.querier(0, 2_000_000)).series.length).toBe(3);
    s.close();
  });
});

describe('damage', () => {
  it('skips a chunk whose checksum does not match, with a warning', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, [
      series({ __name__: 'm', i: '1' }, samples(0, 600_000, 15_000), 20),
      series({ __name__: 'm', i: '2' }, samples(0, 600_000, 15_000), 20),
    ])!;
    const file = path.join(dir, meta.ulid, 'block.db');
    const db = new Database(file);
    const row = db.prepare('SELECT id, data FROM chunks ORDER BY id LIMIT 1').get() as {
      id: number;
      data: Buffer;
    };
    row.data[5] ^= 0xff;
    db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const b = Block.open(path.join(dir, meta.ulid));
    const r = readAll(b.querier(0, 2_000_000));
    expect(r.series.map((s) => s.t.length)).toEqual([20, 40]);
    expect(r.warnings.length).toBe(1);
    expect(r.warnings[0]).toMatch(/checksum mismatch/);
    expect(r.warnings[0]).toContain('i="1"');
    const warnings: string[] = [];
    expect([...b.series(warnings)][0].chunks.length).toBe(1);
    expect(warnings.length).toBe(1);
    b.close();
  });

  it('reads no chunk data for a series lookup (the series API), as Prometheus', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, [
      series({ __name__: 'm', i: '1' }, samples(0, 600_000, 15_000), 20),
      series({ __name__: 'm', i: '2' }, samples(0, 600_000, 15_000), 20),
      series({ __name__: 'm', i: '3' }, samples(900_000, 1_000_000, 15_000), 20),
    ])!;
    const file = path.join(dir, meta.ulid, 'block.db');
    const db = new Database(file);
    // every chunk of series 1 damaged: a lookup does not read them, so it does not see it
    const rows = db.prepare('SELECT id, data FROM chunks ORDER BY id LIMIT 2').all() as Array<{
      id: number;
      data: Buffer;
    }>;
    for (const row of rows) {
      row.data[5] ^= 0xff;
      db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    }
    db.close();
    const b = Block.open(path.join(dir, meta.ulid));
    const matchers = [new Matcher('=', '__name__', 'm')];
    const lookup = b.querier(0, 600_000).select(matchers, { func: 'series' });
    expect(lookup.warnings).toEqual([]);
    const found = [...lookup];
    // series 3 has no chunk in the range
    expect(found.map((s) => s.labels.get('i'))).toEqual(['1', '2']);
    // samples asked for after all are read (and checked) then
    expect(found.map((s) => s.samples().length)).toEqual([0, 40]);
    const full = b.querier(0, 600_000).select(matchers);
    expect(full.warnings).toHaveLength(2);
    expect([...full].map((s) => s.labels.get('i'))).toEqual(['2']);
    b.close();
  });

  it('fails Block.open with BlockError for missing, truncated, garbage and foreign files', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, threeSeries())!;
    const blockDir = path.join(dir, meta.ulid);
    const file = path.join(blockDir, 'block.db');
    const good = fs.readFileSync(file);

    expect(() => Block.open(path.join(dir, 'missing'))).toThrow(BlockError);

    fs.writeFileSync(file, good.subarray(0, good.length - 100));
    expect(() => Block.open(blockDir)).toThrow(BlockError);
    fs.writeFileSync(file, good.subarray(0, 50));
    expect(() => Block.open(blockDir)).toThrow(BlockError);

    fs.writeFileSync(file, Buffer.alloc(good.length, 0x5a));
    expect(() => Block.open(blockDir)).toThrow(/not an SQLite database/);

    const garbled = Buffer.from(good);
    garbled.fill(0x5a, 100); // header kept, every page garbage
    fs.writeFileSync(file, garbled);
    expect(() => Block.open(blockDir)).toThrow(BlockError);

    fs.rmSync(file);
    const other = new Database(file);
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(() => Block.open(blockDir)).toThrow(/not a Promethium block/);

    fs.writeFileSync(file, good);
    expect(Block.open(blockDir).meta.ulid).toBe(meta.ulid);
  });

  it('cleanupTmp removes directories left by interrupted writes and deletions', () => {
    const dir = tmpDir();
    const meta = writeBlock(dir, { minTime: 0, maxTime: 1_200_000 }, threeSeries())!;
    const left = [`${newULID()}.tmp`, `${newULID()}.tmp-for-creation`, `${newULID()}.tmp-for-deletion`];
    for (const d of left) {
      fs.mkdirSync(path.join(dir, d));
      fs.writeFileSync(path.join(dir, d, 'block.db'), 'half');
    }
    fs.writeFileSync(path.join(dir, 'lock'), '1');
    expect(cleanupTmp(dir).sort()).toEqual([...left].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([meta.ulid, 'lock'].sort());
    expect(cleanupTmp(path.join(dir, 'nope'))).toEqual([]);
  });
});
