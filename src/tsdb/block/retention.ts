// Which blocks retention removes: Prometheus's BeyondTimeRetention and BeyondSizeRetention
// (tsdb/db.go). Blocks are taken newest first by maxTime. Time: every block from the first one
// whose maxTime is at least `retentionMs` behind the newest block's maxTime (never the newest
// itself). Size: starting from the WAL and head bytes, add block sizes newest first; the block
// that takes the total over maxBytes and every older one go (this can include the newest).
import type { BlockMeta } from './format.js';

export interface RetentionLimits {
  /** Time retention in ms; 0 disables it. */
  retentionMs: number;
  /** Size retention in bytes; 0 or less disables it. */
  maxBytes: number;
  /** Bytes on disk per block ULID. */
  sizes: ReadonlyMap<string, number>;
  /** WAL (and head chunks) bytes, counted before any block. */
  walAndHeadBytes: number;
}

export function blocksBeyondRetention(
  metas: readonly BlockMeta[],
  limits: RetentionLimits,
): { byTime: string[]; bySize: string[] } {
  const byTime: string[] = [];
  const bySize: string[] = [];
  if (metas.length === 0) return { byTime, bySize };
  const blocks = [...metas].sort((a, b) => b.maxTime - a.maxTime);
  if (limits.retentionMs !== 0) {
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[0].maxTime - blocks[i].maxTime >= limits.retentionMs) {
        for (const b of blocks.slice(i)) byTime.push(b.ulid);
        break;
      }
    }
  }
  if (limits.maxBytes > 0) {
    let total = limits.walAndHeadBytes;
    for (let i = 0; i < blocks.length; i++) {
      total += limits.sizes.get(blocks[i].ulid) ?? 0;
      if (total > limits.maxBytes) {
        for (const b of blocks.slice(i)) bySize.push(b.ulid);
        break;
      }
    }
  }
  return { byTime, bySize };
}
