// `promethium-tool tsdb export-blocks SRC DIR`: every block of a Promethium data directory written
// in Prometheus's block format (src/tsdb/block/prom-block.ts) under DIR/<ULID>/, for Prometheus's
// own tools (promtool tsdb), Prometheus itself, or the Thanos sidecar and store. Series, chunks and
// tombstones go as they are; decimal chunks become XOR chunks, and start timestamps are dropped.
import fs from 'node:fs';
import path from 'node:path';
import { Block } from '../tsdb/block/index.js';
import { isULID } from '../tsdb/block/ulid.js';
import { exportBlock, type PromBlockMeta } from '../tsdb/block/prom-block.js';

/** The blocks of `src` (a data directory), each written to `dir`/<ULID>/; returns their meta. */
export function exportBlocks(src: string, dir: string): PromBlockMeta[] {
  if (!fs.existsSync(src)) throw new Error(`${src}: no such directory`);
  // a Prometheus data directory has a WAL directory (its readers, promtool's among them, open it)
  fs.mkdirSync(path.join(dir, 'wal'), { recursive: true });
  const out: PromBlockMeta[] = [];
  for (const name of fs.readdirSync(src).sort()) {
    if (
      !isULID(name) ||
      !fs.existsSync(path.join(src, name, 'block.db')) ||
      !fs.statSync(path.join(src, name)).isDirectory()
    )
      continue;
    const target = path.join(dir, name);
    if (fs.existsSync(target)) throw new Error(`${target} exists already`);
    const block = Block.open(path.join(src, name));
    try {
      out.push(exportBlock(block, target));
    } finally {
      block.close();
    }
  }
  return out;
}
