// Planner cases ported from Prometheus's tsdb/compact_test.go (TestSplitByRange,
// TestLeveledCompactor/plan, TestRangeWithFailedCompactionWontGetSelected) and retention cases
// following tsdb/db.go's BeyondTimeRetention and BeyondSizeRetention.
import { describe, expect, it } from 'vitest';
import type { BlockMeta } from '../../../src/tsdb/block/index.js';
import {
  blocksBeyondRetention,
  defaultBlockRanges,
  exponentialBlockRanges,
  planCompaction,
  splitByRange,
} from '../../../src/tsdb/block/index.js';

function meta(
  ulid: string,
  minTime: number,
  maxTime: number,
  stats?: { numSeries: number; numTombstones: number },
): BlockMeta {
  return {
    ulid,
    minTime,
    maxTime,
    stats: {
      numSamples: 1,
      numSeries: stats?.numSeries ?? 0,
      numChunks: 1,
      numTombstones: stats?.numTombstones ?? 0,
    },
    compaction: { level: 1, sources: [ulid] },
    version: 1,
  };
}

describe('block ranges', () => {
  it('grow ×3 from the min block duration up to 10% of retention or 31d', () => {
    const h = 3_600_000;
    expect(exponentialBlockRanges(20, 5, 3)).toEqual([20, 60, 180, 540, 1620]);
    expect(defaultBlockRanges(2 * h, 15 * 24 * h)).toEqual([2 * h, 6 * h, 18 * h]);
    expect(defaultBlockRanges(2 * h, 0)).toEqual([2 * h, 6 * h, 18 * h, 54 * h, 162 * h, 486 * h]);
    expect(defaultBlockRanges(2 * h, 24 * h)).toEqual([2 * h]);
  });
});

describe('splitByRange', () => {
  const cases: Array<{
    tr: number;
    ranges: Array<[number, number]>;
    output: Array<Array<[number, number]>>;
  }> = [
    { tr: 60, ranges: [[0, 10]], output: [[[0, 10]]] },
    { tr: 60, ranges: [[0, 60]], output: [[[0, 60]]] },
    {
      tr: 60,
      ranges: [
        [0, 10],
        [9, 15],
        [30, 60],
      ],
      output: [
        [
          [0, 10],
          [9, 15],
          [30, 60],
        ],
      ],
    },
    {
      tr: 60,
      ranges: [
        [70, 90],
        [125, 130],
        [130, 180],
        [1000, 1001],
      ],
      output: [
        [[70, 90]],
        [
          [125, 130],
          [130, 180],
        ],
        [[1000, 1001]],
      ],
    },
    {
      tr: 60,
      ranges: [
        [50, 70],
        [70, 80],
      ],
      output: [[[70, 80]]],
    },
    {
      tr: 72,
      ranges: [
        [0, 144],
        [144, 216],
        [216, 288],
      ],
      output: [[[144, 216]], [[216, 288]]],
    },
    { tr: 60, ranges: [[-10, -5]], output: [[[-10, -5]]] },
    {
      tr: 60,
      ranges: [
        [-60, -50],
        [-10, -5],
      ],
      output: [
        [
          [-60, -50],
          [-10, -5],
        ],
      ],
    },
    {
      tr: 60,
      ranges: [
        [-60, -50],
        [-10, -5],
        [0, 15],
      ],
      output: [
        [
          [-60, -50],
          [-10, -5],
        ],
        [[0, 15]],
      ],
    },
  ];
  it.each(cases)('range $tr over $ranges', ({ tr, ranges, output }) => {
    const blocks = ranges.map(([minTime, maxTime]) => ({ minTime, maxTime }));
    expect(splitByRange(blocks, tr).map((g) => g.map((b) => [b.minTime, b.maxTime]))).toEqual(output);
  });
});

describe('planCompaction', () => {
  const ranges = [20, 60, 180, 540, 1620];
  const cases: Record<string, { metas: BlockMeta[]; expected: string[] }> = {
    'Outside Range': { metas: [meta('1', 0, 20)], expected: [] },
    'We should wait for four blocks of size 20 to appear before compacting.': {
      metas: [meta('1', 0, 20), meta('2', 20, 40)],
      expected: [],
    },
    'We should wait for a next block of size 20 to appear before compacting the existing ones.': {
      metas: [meta('1', 0, 20), meta('2', 20, 40), meta('3', 40, 60)],
      expected: [],
    },
    'Block to fill the entire parent range appeared – should be compacted': {
      metas: [meta('1', 0, 20), meta('2', 20, 40), meta('3', 40, 60), meta('4', 60, 80)],
      expected: ['1', '2', '3'],
    },
    'Block for the next parent range appeared with gap with size 20. Nothing will happen in the first one': {
      metas: [meta('1', 0, 20), meta('2', 20, 40), meta('3', 60, 80)],
      expected: [],
    },
    'Block for the next parent range appeared, and we have a gap with size 20 between second and third block.':
      {
        metas: [meta('1', 0, 20), meta('2', 20, 40), meta('3', 60, 80), meta('4', 80, 100)],
        expected: ['1', '2'],
      },
    "We have 20, 20, 20, 60, 60 range blocks. '5' is marked as fresh one": {
      metas: [
        meta('1', 0, 20),
        meta('2', 20, 40),
        meta('3', 40, 60),
        meta('4', 60, 120),
        meta('5', 120, 180),
      ],
      expected: ['1', '2', '3'],
    },
    'We have 20, 60, 20, 60, 240 range blocks. We can compact 20 + 60 + 60': {
      metas: [
        meta('2', 20, 40),
        meta('4', 60, 120),
        meta('5', 960, 980),
        meta('6', 120, 180),
        meta('7', 720, 960),
      ],
      expected: ['2', '4', '6'],
    },
    'Do not select large blocks that have many tombstones when there is no fresh block': {
      metas: [meta('1', 0, 540, { numSeries: 10, numTombstones: 3 })],
      expected: [],
    },
    'Select large blocks that have many tombstones when fresh appears': {
      metas: [meta('1', 0, 540, { numSeries: 10, numTombstones: 3 }), meta('2', 540, 560)],
      expected: ['1'],
    },
    'For small blocks, do not compact tombstones, even when fresh appears.': {
      metas: [meta('1', 0, 60, { numSeries: 10, numTombstones: 3 }), meta('2', 60, 80)],
      expected: [],
    },
    'Regression test: we were stuck in a compact loop where we always recompacted the same block when tombstones and series counts were zero':
      {
        metas: [meta('1', 0, 540, { numSeries: 0, numTombstones: 0 }), meta('2', 540, 560)],
        expected: [],
      },
    'Regression test: we were wrongly assuming that new block is fresh from WAL when its ULID is newest.': {
      metas: [meta('5', 0, 360), meta('6', 540, 560), meta('7', 360, 420), meta('8', 420, 540)],
      expected: ['7', '8'],
    },
    'Overlapping blocks 1': {
      metas: [meta('1', 0, 20), meta('2', 19, 40), meta('3', 40, 60)],
      expected: ['1', '2'],
    },
    'Overlapping blocks 2': {
      metas: [meta('1', 0, 20), meta('2', 20, 40), meta('3', 30, 50)],
      expected: ['2', '3'],
    },
    'Overlapping blocks 3': {
      metas: [meta('1', 0, 20), meta('2', 10, 40), meta('3', 30, 50)],
      expected: ['1', '2', '3'],
    },
    'Overlapping blocks 4': {
      metas: [meta('5', 0, 360), meta('6', 340, 560), meta('7', 360, 420), meta('8', 420, 540)],
      expected: ['5', '6', '7', '8'],
    },
    'Overlapping blocks 5': {
      metas: [meta('1', 0, 10), meta('2', 9, 20), meta('3', 30, 40), meta('4', 39, 50)],
      expected: ['1', '2'],
    },
  };
  it.each(Object.entries(cases))('%s', (_title, c) => {
    expect(planCompaction(c.metas, ranges).map((m) => m.ulid)).toEqual(c.expected);
  });

  it('never selects a range holding a block whose compaction failed', () => {
    const failedRanges = [20, 60, 240, 720, 2160];
    const groups = [
      [meta('1', 0, 20), meta('2', 20, 40), meta('3', 40, 60), meta('4', 60, 80)],
      [meta('1', 0, 20), meta('2', 20, 40), meta('3', 60, 80), meta('4', 80, 100)],
      [
        meta('1', 0, 20),
        meta('2', 20, 40),
        meta('3', 40, 60),
        meta('4', 60, 120),
        meta('5', 120, 180),
        meta('6', 180, 200),
      ],
    ];
    for (const metas of groups) {
      metas[1].compaction.failed = true;
      expect(planCompaction(metas, failedRanges)).toEqual([]);
    }
  });

  it('does not crash on blocks without tombstone stats (prometheus#3064)', () => {
    expect(planCompaction([meta('1', 0, 100), meta('2', 101, 200)], [50])).toEqual([]);
  });
});

describe('blocksBeyondRetention', () => {
  const blocks = [meta('a', 0, 100), meta('b', 100, 200), meta('c', 200, 300), meta('d', 300, 400)];
  const sizes = new Map([
    ['a', 10],
    ['b', 20],
    ['c', 30],
    ['d', 40],
  ]);
  const cases: Array<{
    name: string;
    retentionMs: number;
    maxBytes: number;
    wal: number;
    byTime: string[];
    bySize: string[];
    metas?: BlockMeta[];
  }> = [
    { name: 'disabled', retentionMs: 0, maxBytes: 0, wal: 1e9, byTime: [], bySize: [] },
    // from the newest block's maxTime (400): a (100) is 300 behind, b (200) 200 behind
    {
      name: 'time: at least the retention behind',
      retentionMs: 200,
      maxBytes: 0,
      wal: 0,
      byTime: ['b', 'a'],
      bySize: [],
    },
    { name: 'time: just under', retentionMs: 301, maxBytes: 0, wal: 0, byTime: [], bySize: [] },
    {
      name: 'time: never the newest block',
      retentionMs: 1,
      maxBytes: 0,
      wal: 0,
      byTime: ['c', 'b', 'a'],
      bySize: [],
    },
    { name: 'size: newest first', retentionMs: 0, maxBytes: 70, wal: 0, byTime: [], bySize: ['b', 'a'] },
    {
      name: 'size: exactly at the limit is kept',
      retentionMs: 0,
      maxBytes: 100,
      wal: 0,
      byTime: [],
      bySize: [],
    },
    { name: 'size: WAL counted first', retentionMs: 0, maxBytes: 100, wal: 1, byTime: [], bySize: ['a'] },
    {
      name: 'size: may drop the newest block',
      retentionMs: 0,
      maxBytes: 50,
      wal: 20,
      byTime: [],
      bySize: ['d', 'c', 'b', 'a'],
    },
    { name: 'both', retentionMs: 300, maxBytes: 90, wal: 0, byTime: ['a'], bySize: ['a'] },
    {
      name: 'sorted by maxTime, not input order',
      retentionMs: 250,
      maxBytes: 0,
      wal: 0,
      byTime: ['a'],
      bySize: [],
      metas: [meta('d', 300, 400), meta('a', 0, 100), meta('c', 200, 300), meta('b', 100, 200)],
    },
  ];
  it.each(cases)('$name', (c) => {
    expect(
      blocksBeyondRetention(c.metas ?? blocks, {
        retentionMs: c.retentionMs,
        maxBytes: c.maxBytes,
        sizes,
        walAndHeadBytes: c.wal,
      }),
    ).toEqual({ byTime: c.byTime, bySize: c.bySize });
  });
  it('no blocks', () => {
    expect(blocksBeyondRetention([], { retentionMs: 1, maxBytes: 1, sizes, walAndHeadBytes: 5 })).toEqual({
      byTime: [],
      bySize: [],
    });
  });
});
