// WAL directory layout, as Prometheus's tsdb/wlog: numbered segment files `00000000`, `00000001`, …
// and checkpoint directories `checkpoint.NNNNNNNN` (built in `checkpoint.NNNNNNNN.tmp`).
//
// Record framing inside a segment (our own format, little-endian):
//   u32 length of the record | u32 CRC32-C of the record | record (u8 type, payload)
// A record never spans two segments.
import fs from 'node:fs';
import path from 'node:path';

export const FRAME_HEADER = 8;
export const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;
export const CHECKPOINT_PREFIX = 'checkpoint.';
export const TMP_SUFFIX = '.tmp';

export function segmentName(i: number): string {
  return String(i).padStart(8, '0');
}

export function segmentPath(dir: string, i: number): string {
  return path.join(dir, segmentName(i));
}

export function checkpointPath(dir: string, i: number): string {
  return path.join(dir, CHECKPOINT_PREFIX + segmentName(i));
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Segment indexes in `dir`, ascending. Names that are not all digits are ignored, as in Prometheus. */
export function listSegments(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdir(dir)) if (/^\d+$/.test(name)) out.push(Number(name));
  return out.sort((a, b) => a - b);
}

/** Checkpoint indexes in `dir`, ascending (temporary `.tmp` directories excluded). */
export function listCheckpoints(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdir(dir)) {
    const m = /^checkpoint\.(\d+)$/.exec(name);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** Makes renames, creations and deletions in `dir` durable. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Total bytes of regular files below `dir`. */
export function dirSize(dir: string): number {
  let total = 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    try {
      if (ent.isDirectory()) total += dirSize(p);
      else if (ent.isFile()) total += fs.statSync(p).size;
    } catch (err) {
      // a segment or checkpoint deleted by a concurrent truncation is simply not counted
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return total;
}
