// Writing a block: built in `<data>/<ULID>.tmp/` in one transaction with no journal, fsynced, then
// renamed into place, so a crash leaves either a whole block or a .tmp directory that cleanupTmp
// removes at startup (Prometheus's compactor writes `<ULID>.tmp-for-creation` the same way).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { compareLabels } from '../../storage/interfaces.js';
import type { Labels } from '../../model/labels.js';
import { crc32c } from '../chunks/crc32c.js';
import { encodeDEC } from '../chunks/dec.js';
import { XORChunk } from '../chunks/xor.js';
import {
  APPLICATION_ID,
  BLOCK_FILE,
  DELETION_SUFFIX,
  ENC_DEC,
  ENC_DEC_DEFLATE,
  ENC_DEFLATE,
  ENC_RAW,
  MAX_SERIES,
  DEFAULT_PAGE_SIZE,
  SCHEMA_SQL,
  SCHEMA_VERSION,
  TMP_SUFFIX,
  blockEncOf,
  chunkId,
  encodeRefs,
  type BlockMeta,
  type BlockSeries,
} from './format.js';
import { newULID } from './ulid.js';
import { runAsync, runSync } from './steps.js';

/** Samples in an XOR chunk: the big-endian uint16 at its start. */
/** A chunk's sample count (its first 2 bytes; 14 bits in the histogram ST encodings, 5 and 6). */
export function chunkSamples(data: Uint8Array, enc?: number): number {
  if (data.length < 2) return 0;
  const n = (data[0] << 8) | data[1];
  return enc === 5 || enc === 6 ? n & 0x3fff : n;
}

export interface WriteOptions {
  /**
   * Store each chunk in its smallest form: XOR, DEC (decimal values, when bit-exact), either one
   * deflated where that saves at least 1/8 (compaction does; see format.ts).
   */
  compress?: boolean;
  /** SQLite page size (a power of two, 512-65536); default DEFAULT_PAGE_SIZE. */
  pageSize?: number;
}

/**
 * Writes a block from series sorted by labels (strictly increasing) and returns its meta, or
 * undefined when the series hold no samples (no block is written, as in Prometheus). Chunks are
 * stored as given. `compaction` defaults to level 1 with the block as its own source; an empty
 * `sources` list is likewise replaced by the new block's ULID. Atomic: a crash leaves no half block.
 */
export function writeBlock(
  dataDir: string,
  range: { minTime: number; maxTime: number },
  series: Iterable<BlockSeries>,
  compaction?: BlockMeta['compaction'],
  opts: WriteOptions = {},
): BlockMeta | undefined {
  return runSync(writeBlockSteps(dataDir, range, series, compaction, opts));
}

/** writeBlock giving the event loop back between series (see steps.ts); `aborted` stops it cleanly. */
export function writeBlockAsync(
  dataDir: string,
  range: { minTime: number; maxTime: number },
  series: Iterable<BlockSeries>,
  compaction?: BlockMeta['compaction'],
  opts: WriteOptions = {},
  aborted?: () => boolean,
): Promise<BlockMeta | undefined> {
  return runAsync(writeBlockSteps(dataDir, range, series, compaction, opts), aborted);
}

/** The block write as steps: yields after every few series. */
export function* writeBlockSteps(
  dataDir: string,
  range: { minTime: number; maxTime: number },
  series: Iterable<BlockSeries>,
  compaction?: BlockMeta['compaction'],
  opts: WriteOptions = {},
): Generator<void, BlockMeta | undefined, void> {
  const ulid = newULID();
  const tmp = path.join(dataDir, ulid + TMP_SUFFIX);
  const final = path.join(dataDir, ulid);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const file = path.join(tmp, BLOCK_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma(`page_size = ${opts.pageSize ?? DEFAULT_PAGE_SIZE}`);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -65536');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec(SCHEMA_SQL);

    const stats = { numSamples: 0, numSeries: 0, numChunks: 0 };
    const insertSeries = db.prepare('INSERT INTO series (ref, labels, mint, maxt) VALUES (?, ?, ?, ?)');
    const insertChunk = db.prepare(
      'INSERT INTO chunks (id, mint, maxt, crc, enc, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertPostings = db.prepare('INSERT INTO postings (name, value, refs) VALUES (?, ?, ?)');
    const postings = new Map<string, Map<string, number[]>>();
    let prev: Labels | undefined;

    db.exec('BEGIN');
    let done = 0;
    for (const s of series) {
      if ((++done & 31) === 0) yield;
      if (prev !== undefined && compareLabels(prev, s.labels) >= 0) {
        throw new Error(`series not sorted by labels: ${s.labels.toString()} after ${prev.toString()}`);
      }
      prev = s.labels;
      if (s.chunks.length === 0) continue;
      const ref = stats.numSeries + 1;
      if (ref > MAX_SERIES) throw new Error(`too many series for one block (${MAX_SERIES})`);
      if (s.chunks.length >= 2 ** 24)
        throw new Error(`too many chunks for one series: ${s.labels.toString()}`);
      let mint = Infinity;
      let maxt = -Infinity;
      for (let i = 0; i < s.chunks.length; i++) {
        const c = s.chunks[i];
        let data = Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength);
        let enc = blockEncOf(c.enc) ?? ENC_RAW;
        if (c.enc === undefined && opts.compress) [data, enc] = smallestEncoding(data);
        insertChunk.run(chunkId(ref, i), c.mint, c.maxt, crc32c(data) | 0, enc, data);
        stats.numSamples += chunkSamples(c.data, c.enc);
        if (c.mint < mint) mint = c.mint;
        if (c.maxt > maxt) maxt = c.maxt;
      }
      stats.numChunks += s.chunks.length;
      stats.numSeries = ref;
      insertSeries.run(ref, JSON.stringify(s.labels.pairs), mint, maxt);
      const pairs = s.labels.pairs;
      for (let i = 0; i < pairs.length; i += 2) {
        let values = postings.get(pairs[i]);
        if (values === undefined) postings.set(pairs[i], (values = new Map()));
        let refs = values.get(pairs[i + 1]);
        if (refs === undefined) values.set(pairs[i + 1], (refs = []));
        refs.push(ref);
      }
    }
    if (stats.numSamples === 0) {
      db.exec('COMMIT');
      db.close();
      db = undefined;
      fs.rmSync(tmp, { recursive: true, force: true });
      return undefined;
    }
    // Sorted (name, value) order: the WITHOUT ROWID b-tree is then built by appends only.
    for (const name of [...postings.keys()].sort(byCodeUnits)) {
      const values = postings.get(name)!;
      for (const value of [...values.keys()].sort(byCodeUnits)) {
        insertPostings.run(name, value, Buffer.from(encodeRefs(values.get(value)!).buffer));
      }
    }
    const meta: BlockMeta = {
      ulid,
      minTime: range.minTime,
      maxTime: range.maxTime,
      stats,
      compaction:
        compaction === undefined
          ? { level: 1, sources: [ulid] }
          : { ...compaction, sources: compaction.sources.length === 0 ? [ulid] : [...compaction.sources] },
      version: 1,
    };
    db.prepare("INSERT INTO meta (key, value) VALUES ('meta', ?)").run(JSON.stringify(meta));
    db.exec('COMMIT');
    db.close();
    db = undefined;
    fsyncPath(file);
    fsyncPath(tmp);
    fs.renameSync(tmp, final);
    fsyncPath(dataDir);
    return meta;
  } catch (err) {
    if (db !== undefined && db.open) db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

let scratchT = new Float64Array(1024);
let scratchV = new Float64Array(1024);

/** A deflated form when it saves at least 1/8 (inflating costs read time), else undefined. */
function deflated(data: Buffer): Buffer | undefined {
  if (data.length < 64) return undefined;
  const z = zlib.deflateRawSync(data);
  return z.length * 8 <= data.length * 7 ? z : undefined;
}

/** The smallest stored form of an XOR chunk: XOR, deflated XOR, DEC (when exact) or deflated DEC. */
function smallestEncoding(xor: Buffer): [Buffer, number] {
  let best = xor;
  let enc = ENC_RAW;
  const n = chunkSamples(xor);
  let dec: Uint8Array | undefined;
  if (n > 0) {
    if (scratchT.length < n) {
      scratchT = new Float64Array(Math.max(n, scratchT.length * 2));
      scratchV = new Float64Array(scratchT.length);
    }
    const got = XORChunk.fromBytes(xor).decodeInto(scratchT, scratchV, 0, -Infinity, Infinity);
    dec = encodeDEC(scratchT, scratchV, got);
  }
  // Deflating an XOR chunk rarely halves it: skip that try when DEC is already at half (write time).
  if (dec === undefined || dec.length * 2 > xor.length) {
    const xz = deflated(xor);
    if (xz !== undefined) {
      best = xz;
      enc = ENC_DEFLATE;
    }
  }
  if (dec === undefined) return [best, enc];
  const d = Buffer.from(dec.buffer, dec.byteOffset, dec.byteLength);
  if (d.length < best.length) {
    best = d;
    enc = ENC_DEC;
  }
  const dz = deflated(d);
  if (dz !== undefined && dz.length < best.length) {
    best = dz;
    enc = ENC_DEC_DEFLATE;
  }
  return [best, enc];
}

/** String order by UTF-16 code units, as label sorting elsewhere (not localeCompare). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** fsync of a file or a directory (so a rename or a new entry is durable). */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes directories left by interrupted writes and deletions (`*.tmp`, `*.tmp-for-creation`,
 * `*.tmp-for-deletion`), as Prometheus does at startup; returns the names removed.
 */
export function cleanupTmp(dataDir: string): string[] {
  const removed: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dataDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    if (
      e.name.endsWith(TMP_SUFFIX) ||
      e.name.endsWith('.tmp-for-creation') ||
      e.name.endsWith(DELETION_SUFFIX)
    ) {
      fs.rmSync(path.join(dataDir, e.name), { recursive: true, force: true });
      removed.push(e.name);
    }
  }
  return removed;
}
