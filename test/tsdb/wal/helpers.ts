import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replay, type ReplayOptions, type ReplayResult } from '../../../src/tsdb/wal/replay.js';

const dirs: string[] = [];

export function tmpDir(prefix = 'promethium-wal-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A deterministic pseudo-random record: a type byte, a 4-byte id, then filler derived from the id. */
export function makeRecord(id: number, size: number): Uint8Array {
  const r = new Uint8Array(5 + size);
  r[0] = 1 + (id % 3);
  new DataView(r.buffer).setUint32(1, id, true);
  let x = (id * 2654435761) >>> 0 || 1;
  for (let i = 5; i < r.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    r[i] = x & 0xff;
  }
  return r;
}

export function recordId(rec: Uint8Array): number {
  return new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(1, true);
}

export interface Replayed {
  recs: Uint8Array[];
  segments: number[];
  result: ReplayResult;
}

export function replayAll(dir: string, opts?: ReplayOptions): Replayed {
  const recs: Uint8Array[] = [];
  const segments: number[] = [];
  const result = replay(
    dir,
    (rec, seg) => {
      recs.push(rec.slice());
      segments.push(seg);
    },
    opts,
  );
  return { recs, segments, result };
}

/** File name → bytes of every file directly in `dir`. */
export function snapshot(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir)) m.set(name, fs.readFileSync(path.join(dir, name)));
  return m;
}

export function restore(dir: string, snap: Map<string, Buffer>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  for (const [name, bytes] of snap) fs.writeFileSync(path.join(dir, name), bytes);
}
