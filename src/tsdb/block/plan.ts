// Which blocks to compact next: Prometheus's LeveledCompactor.Plan (tsdb/compact.go), on metas.
// Overlapping blocks first (vertical compaction); otherwise the newest block is left out and the
// others are grouped into aligned windows of the next ranges; otherwise a big block with many
// tombstones is rewritten alone.
import type { BlockMeta } from './format.js';

/** Prometheus's ExponentialBlockRanges: minSize, minSize*factor, ... (`steps` values). */
export function exponentialBlockRanges(minSize: number, steps: number, factor: number): number[] {
  const out: number[] = [];
  let cur = minSize;
  for (let i = 0; i < steps; i++) {
    out.push(cur);
    cur *= factor;
  }
  return out;
}

/**
 * Block ranges as cmd/prometheus sets them: 2h (the min block duration) growing ×3, up to the max
 * block duration, which defaults to 10% of the time retention, at most 31 days.
 */
export function defaultBlockRanges(minBlockMs: number, retentionMs: number, maxBlockMs?: number): number[] {
  const max =
    maxBlockMs ??
    (retentionMs > 0 ? Math.min(31 * 86_400_000, Math.trunc(retentionMs / 10)) : 31 * 86_400_000);
  const out = exponentialBlockRanges(minBlockMs, 10, 3).filter((r) => r <= max);
  return out.length > 0 ? out : [minBlockMs];
}

/**
 * The next group of blocks to compact (empty: nothing to do). As Prometheus, one group per call:
 * compact it, reload, and plan again until this returns nothing. `ranges` as from
 * defaultBlockRanges; blocks marked compaction.failed are never grouped.
 */
export function planCompaction(metas: readonly BlockMeta[], ranges: readonly number[]): BlockMeta[] {
  if (metas.length === 0) return [];
  const ms = [...metas].sort((a, b) => a.minTime - b.minTime);
  const overlapping = selectOverlapping(ms);
  if (overlapping.length > 0) return overlapping;
  // Leave out the newest block (just written from the head): a window of one block size for backups.
  const dms = ms.slice(0, -1);
  const picked = selectDirs(dms, ranges);
  if (picked.length > 0) return picked;
  // A block with a big enough range and more than 5% tombstones is rewritten on its own.
  for (let i = dms.length - 1; i >= 0; i--) {
    const m = dms[i];
    const tombs = m.stats.numTombstones ?? 0;
    if (m.maxTime - m.minTime < ranges[Math.trunc(ranges.length / 2)]) {
      // An entirely deleted block is worth rewriting whatever its size.
      if (tombs > 0 && tombs >= m.stats.numSeries) return [m];
      break;
    }
    if (tombs / (m.stats.numSeries + 1) > 0.05) return [m];
  }
  return [];
}

/** The first run of blocks (sorted by minTime) that overlap each other. */
function selectOverlapping(ms: readonly BlockMeta[]): BlockMeta[] {
  if (ms.length < 2) return [];
  const out: BlockMeta[] = [];
  let globalMaxt = ms[0].maxTime;
  for (let i = 1; i < ms.length; i++) {
    const d = ms[i];
    if (d.minTime < globalMaxt) {
      if (out.length === 0) out.push(ms[i - 1]);
      out.push(d);
    } else if (out.length > 0) {
      break;
    }
    if (d.maxTime > globalMaxt) globalMaxt = d.maxTime;
  }
  return out;
}

function selectDirs(ds: readonly BlockMeta[], ranges: readonly number[]): BlockMeta[] {
  if (ranges.length < 2 || ds.length < 1) return [];
  const highTime = ds[ds.length - 1].minTime;
  for (const iv of ranges.slice(1)) {
    const parts = splitByRange(ds, iv);
    outer: for (const p of parts) {
      for (const m of p) if (m.compaction.failed) continue outer;
      const mint = p[0].minTime;
      const maxt = p[p.length - 1].maxTime;
      // A full window (possibly with gaps), or one entirely before the newest block.
      if ((maxt - mint === iv || maxt <= highTime) && p.length > 1) return p;
    }
  }
  return [];
}

/**
 * Groups blocks (sorted by minTime) into aligned windows [t0, t0+tr]; a block reaching past its
 * window is left out. Go's integer division truncates, hence the formula for negative times.
 */
export function splitByRange<T extends { minTime: number; maxTime: number }>(
  ds: readonly T[],
  tr: number,
): T[][] {
  const out: T[][] = [];
  let i = 0;
  while (i < ds.length) {
    const m = ds[i];
    const t0 = m.minTime >= 0 ? tr * Math.trunc(m.minTime / tr) : tr * Math.trunc((m.minTime - tr + 1) / tr);
    if (m.maxTime > t0 + tr) {
      i++;
      continue;
    }
    const group: T[] = [];
    for (; i < ds.length; i++) {
      if (ds[i].maxTime > t0 + tr) break;
      group.push(ds[i]);
    }
    if (group.length > 0) out.push(group);
  }
  return out;
}
