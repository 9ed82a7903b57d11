import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Matcher } from '../../../src/model/matcher.js';
import { Block, compactBlocks, writeBlock, type BlockMeta } from '../../../src/tsdb/block/index.js';
import { chunkSamples } from '../../../src/tsdb/block/writer.js';
import { readAll, samples, series, tmpDir } from './fixtures.js';

const open = (dir: string, m: BlockMeta): Block => Block.open(path.join(dir, m.ulid));

describe('compactBlocks', () => {
  it('merges overlapping blocks by labels, deduplicating samples by timestamp', () => {
    const dir = tmpDir();
    // block A: [0, 600s) a and b; block B: [300s, 900s) a (overlapping, same timestamps in 300..599s) and c
    const a = writeBlock(dir, { minTime: 0, maxTime: 600_000 }, [
      series(
        { __name__: 'a' },
        samples(0, 600_000, 15_000, () => 1),
      ),
      series(
        { __name__: 'b' },
        samples(0, 600_000, 15_000, () => 2),
      ),
    ])!;
    const b = writeBlock(dir, { minTime: 300_000, maxTime: 900_000 }, [
      series(
        { __name__: 'a' },
        samples(300_000, 900_000, 15_000, () => 9),
      ),
      series(
        { __name__: 'c' },
        samples(300_000, 900_000, 10_000, () => 3),
      ),
    ])!;
    const blocks = [open(dir, b), open(dir, a)];
    const meta = compactBlocks(dir, blocks)!;
    expect(meta.minTime).toBe(0);
    expect(meta.maxTime).toBe(900_000);
    expect(meta.compaction.level).toBe(2);
    expect(meta.compaction.sources).toEqual([a.ulid, b.ulid].sort());
    expect(meta.compaction.parents).toEqual([
      { ulid: a.ulid, minTime: 0, maxTime: 600_000 },
      { ulid: b.ulid, minTime: 300_000, maxTime: 900_000 },
    ]);
    expect(meta.stats).toEqual({ numSeries: 3, numSamples: 60 + 40 + 60, numChunks: 3 });
    const out = open(dir, meta);
    const r = readAll(out.querier(0, 1_000_000));
    expect(r.series.map((s) => s.labels)).toEqual(['a', 'b', 'c']);
    const sa = r.series[0];
    expect(sa.t).toEqual(samples(0, 900_000, 15_000).map(([t]) => t));
    // the earlier block's sample wins on equal timestamps
    expect(sa.v.slice(18, 22)).toEqual([1, 1, 1, 1]);
    expect(sa.v.slice(38, 42)).toEqual([1, 1, 9, 9]);
    for (const blk of [...blocks, out]) blk.close();
  });

  it('drops tombstoned samples and samples outside the new range', () => {
    const dir = tmpDir();
    const a = writeBlock(dir, { minTime: 0, maxTime: 300_000 }, [
      series({ __name__: 'x' }, samples(0, 300_000, 15_000)),
    ])!;
    const b = writeBlock(dir, { minTime: 300_000, maxTime: 600_000 }, [
      series({ __name__: 'x' }, samples(300_000, 600_000, 15_000)),
      series({ __name__: 'y' }, samples(300_000, 600_000, 15_000)),
    ])!;
    const ba = open(dir, a);
    const bb = open(dir, b);
    ba.delete(0, 100_000, [new Matcher('=', '__name__', 'x')]);
    bb.delete(0, 1e12, [new Matcher('=', '__name__', 'y')]);
    const meta = compactBlocks(dir, [ba, bb])!;
    expect(meta.stats.numSeries).toBe(1);
    expect(meta.stats.numSamples).toBe(40 - 7);
    const out = open(dir, meta);
    expect(out.tombstoneCount()).toBe(0);
    expect(readAll(out.querier(0, 1e12)).series[0].t[0]).toBe(105_000);
    for (const blk of [ba, bb, out]) blk.close();
  });

  it('re-encodes small chunks into larger ones and copies large ones as they are', () => {
    const dir = tmpDir();
    const metas = [0, 1, 2].map((i) =>
      writeBlock(dir, { minTime: i * 7_200_000, maxTime: (i + 1) * 7_200_000 }, [
        series({ __name__: 'r' }, samples(i * 7_200_000, (i + 1) * 7_200_000, 15_000), 120),
      ])!,
    );
    const blocks = metas.map((m) => open(dir, m));
    const meta = compactBlocks(dir, blocks, { maxChunkSamples: 1000 })!;
    expect(meta.stats.numSamples).toBe(1440);
    expect(meta.stats.numChunks).toBe(2); // 1000 + 440 instead of 12 × 120
    const out = open(dir, meta);
    const chunks = [...out.series()][0].chunks;
    expect(chunks.map((c) => chunkSamples(c.data))).toEqual([1000, 440]);
    expect(readAll(out.querier(0, 1e12)).series[0].t).toEqual(samples(0, 21_600_000, 15_000).map(([t]) => t));
    // a second compaction copies the 1000-sample chunk as is (bit-exact) and keeps the tail
    const again = compactBlocks(dir, [out], { maxChunkSamples: 1000 })!;
    const copy = open(dir, again);
    const cc = [...copy.series()][0].chunks;
    expect(Buffer.from(cc[0].data).equals(Buffer.from(chunks[0].data))).toBe(true);
    for (const blk of [...blocks, out, copy]) blk.close();
  });

  it('cleanTombstones rewrites one block as level 1 with the old block as parent', () => {
    const dir = tmpDir();
    const m = writeBlock(
      dir,
      { minTime: 0, maxTime: 600_000 },
      [series({ __name__: 'x' }, samples(0, 600_000, 15_000))],
      {
        level: 3,
        sources: ['A', 'B'],
      },
    )!;
    const b = open(dir, m);
    b.delete(0, 299_999, []);
    const meta = compactBlocks(dir, [b], { cleanTombstones: true })!;
    expect(meta.compaction).toEqual({
      level: 1,
      sources: [meta.ulid],
      parents: [{ ulid: m.ulid, minTime: 0, maxTime: 600_000 }],
    });
    expect(meta.stats.numSamples).toBe(20);
    b.close();
  });

  it('writes nothing and marks the sources deletable when nothing is left', () => {
    const dir = tmpDir();
    const m = writeBlock(dir, { minTime: 0, maxTime: 600_000 }, [
      series({ __name__: 'x' }, samples(0, 600_000, 15_000)),
    ])!;
    const b = open(dir, m);
    b.delete(-1e12, 1e12, []);
    expect(compactBlocks(dir, [b], { cleanTombstones: true })).toBeUndefined();
    expect(b.meta.compaction.deletable).toBe(true);
    b.close();
    expect(fs.readdirSync(dir)).toEqual([m.ulid]);
    const again = open(dir, m);
    expect(again.meta.compaction.deletable).toBe(true);
    again.close();
  });
});
