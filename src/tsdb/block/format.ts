// The on-disk block: one directory `<data>/<ULID>/` holding one SQLite database, `block.db`.
// Prometheus splits a block into meta.json, index, chunks/ and tombstones (tsdb/block.go); here the
// same parts are tables of one file, so a block is written, checked and renamed as a single unit.
//
// Schema (application_id 'PRMB', user_version 3; versions 1 (enc 0-1) and 2 (enc 0-3) are read too):
//
//   meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID
//     'meta' → BlockMeta as JSON, the fields of Prometheus's meta.json (ulid, minTime, maxTime
//     exclusive, stats, compaction {level, sources, parents}, version 1).
//   series(ref INTEGER PRIMARY KEY, labels TEXT, mint INTEGER, maxt INTEGER)
//     refs are 1..numSeries in label order, so ref order is label order and the postings of all
//     series are just 1..n; labels are a JSON array of flat sorted name/value pairs; mint/maxt span
//     the series' chunks (for delete clamping and to skip series without data in a query's range).
//   postings(name TEXT, value TEXT, refs BLOB, PRIMARY KEY (name, value)) WITHOUT ROWID
//     refs: the sorted series refs as little-endian uint32, read back as a Uint32Array without
//     decoding. Keyed by (name, value), so label names and values come sorted from the b-tree.
//   chunks(id INTEGER PRIMARY KEY, mint INTEGER, maxt INTEGER, crc INTEGER, enc INTEGER, data BLOB)
//     id = ref * 2^24 + ordinal: a series' chunks are one contiguous, time-ordered rowid range, so
//     they are found by a range scan with no secondary index; the row order is also the insertion
//     order, which lets SQLite fill pages completely. mint/maxt (closed) come before the blob so a
//     time filter reads no chunk bytes. crc = CRC32C of the stored data (Prometheus's chunk checksum),
//     as a signed 32-bit integer (4 bytes in SQLite's record format; unsigned would take 6).
//     enc: 0 = data is the XOR chunk, 1 = data is the XOR chunk deflated (raw deflate): XOR streams
//     of flat or slowly moving series (and of regular timestamps) still hold repeated bit patterns.
//     2 = data is a DEC chunk (chunks/dec.ts: values as scaled decimal integers, timestamps and values
//     as delta or delta-of-delta sequences with a per-chunk bit width), used only when every value
//     round-trips bit-exactly; 3 = the DEC chunk deflated. Blocks store each chunk in the smallest
//     of the four (a deflated form only when it saves at least 1/8 over its plain form: inflating
//     costs read time): compacted blocks, head blocks and backfilled blocks alike (head blocks
//     stored enc 0 until issue 19; those still read). Small enc values cost no payload bytes.
//     Readers turn enc 1 and 3 back into 0 and 2 and decode 2 straight into sample arrays; only the
//     block layer sees the encodings (compaction converts DEC input chunks back to XOR).
//     4 = a native histogram chunk, 5 = a float histogram chunk, both in Prometheus's byte layout and
//     stored as they are (version 3); float reads skip them.
//   tombstones(ref INTEGER, mint INTEGER, maxt INTEGER, PRIMARY KEY (ref, mint)) WITHOUT ROWID
//     deleted closed intervals per series, merged when they overlap or touch (tombstones.Intervals).
//
// Pragmas, and why:
// - page_size: fixed per block at creation. Rows are appended in rowid order, so SQLite fills each
//   leaf until the next row does not fit: the waste per page is about half a row, and every table
//   costs at least one page. Head blocks (small, ~50-300-byte chunks) use 8 KiB pages; compacted
//   blocks (re-chunked rows up to ~4 KiB) use 16-64 KiB by size: measured on 1,000 node-like series
//   over 24 h, 16 KiB pages made the compacted block 8% bigger than 64 KiB (test/tsdb/block/size).
//   Read amplification of big pages is small because reads go through mmap (4 KiB faults).
// - Writing (`<ULID>.tmp`, never seen by readers until renamed): journal_mode=OFF and synchronous=OFF,
//   one transaction, because a crash leaves only a .tmp directory that cleanupTmp removes; the file
//   is fsynced once, then the directory is renamed atomically (as Prometheus's compactor does).
// - Reading: opened read-only, query_only=ON, locking_mode=EXCLUSIVE (the shared lock is taken once
//   and kept: no fcntl lock/unlock and change-counter check per statement), mmap_size 1 GiB (blocks
//   are read through the page cache without copies; address space is cheap on 64-bit hosts).
// - Tombstone writes (addTombstones) use a separate short-lived connection with the default rollback
//   journal and synchronous=FULL: the only in-place change a block ever sees, so it must be atomic.
import type { Labels } from '../../model/labels.js';

export const BLOCK_FILE = 'block.db';
export const TMP_SUFFIX = '.tmp';
export const DELETION_SUFFIX = '.tmp-for-deletion';

/** 'PRMB' as a big-endian int32: marks the file as a Promethium block. */
export const APPLICATION_ID = 0x50524d42;
export const SCHEMA_VERSION = 3;
/** Schema versions this reader opens: 1 (enc 0-1 only) and 2 (adds enc 2-3); the tables are the same. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3];
/** Page size of blocks written from the head (small blocks, chunks of ~120 samples, 50-300 bytes). */
export const DEFAULT_PAGE_SIZE = 8192;

/** Page size for a compacted block, by the bytes of its inputs (rows up to ~4 KiB after re-chunking). */
export function compactedPageSize(inputBytes: number): number {
  return inputBytes >= 64 << 20 ? 65536 : inputBytes >= 8 << 20 ? 32768 : 16384;
}
export const READ_MMAP_SIZE = 1 << 30;

export const ENC_RAW = 0;
export const ENC_DEFLATE = 1;
/** The decimal chunk (chunks/dec.ts). */
export const ENC_DEC = 2;
/** The decimal chunk, raw-deflated. */
export const ENC_DEC_DEFLATE = 3;
/** A native histogram chunk in Prometheus's layout (chunks/histogram.ts), stored as it is. Version 3. */
export const ENC_HISTOGRAM = 4;
/** A float histogram chunk in Prometheus's layout, stored as it is. Version 3. */
export const ENC_FLOAT_HISTOGRAM = 5;
/**
 * Chunks with start timestamps (st-storage), stored as they are in Prometheus 3.14's layouts: XOR2
 * float chunks, and the histogram and float histogram ST chunks.
 */
export const ENC_XOR2 = 6;
export const ENC_HISTOGRAM_ST = 7;
export const ENC_FLOAT_HISTOGRAM_ST = 8;

/** The block encoding of a Prometheus chunk encoding stored as it is (undefined: XOR, stored raw or DEC). */
export function blockEncOf(chunkEnc: number | undefined): number | undefined {
  switch (chunkEnc) {
    case 2:
      return ENC_HISTOGRAM;
    case 3:
      return ENC_FLOAT_HISTOGRAM;
    case 4:
      return ENC_XOR2;
    case 5:
      return ENC_HISTOGRAM_ST;
    case 6:
      return ENC_FLOAT_HISTOGRAM_ST;
    default:
      return undefined;
  }
}

/** The Prometheus chunk encoding of a block encoding that stores one as it is (undefined: XOR or DEC). */
export function chunkEncOfBlock(enc: number): number | undefined {
  switch (enc) {
    case ENC_HISTOGRAM:
      return 2;
    case ENC_FLOAT_HISTOGRAM:
      return 3;
    case ENC_XOR2:
      return 4;
    case ENC_HISTOGRAM_ST:
      return 5;
    case ENC_FLOAT_HISTOGRAM_ST:
      return 6;
    default:
      return undefined;
  }
}

/** Chunks per series are addressed as ref * CHUNK_ID_SPAN + ordinal. */
export const CHUNK_ID_SPAN = 2 ** 24;
/** Refs must keep ids within 2^53 (safe integers): 2^29 series per block. */
export const MAX_SERIES = 2 ** 29 - 1;

export const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE series (ref INTEGER PRIMARY KEY, labels TEXT NOT NULL, mint INTEGER NOT NULL, maxt INTEGER NOT NULL);
CREATE TABLE postings (name TEXT NOT NULL, value TEXT NOT NULL, refs BLOB NOT NULL, PRIMARY KEY (name, value)) WITHOUT ROWID;
CREATE TABLE chunks (id INTEGER PRIMARY KEY, mint INTEGER NOT NULL, maxt INTEGER NOT NULL, crc INTEGER NOT NULL, enc INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE tombstones (ref INTEGER NOT NULL, mint INTEGER NOT NULL, maxt INTEGER NOT NULL, PRIMARY KEY (ref, mint)) WITHOUT ROWID;
`;

export const TABLES = ['meta', 'series', 'postings', 'chunks', 'tombstones'] as const;

export interface BlockDesc {
  ulid: string;
  minTime: number;
  maxTime: number;
}

export interface BlockMeta {
  ulid: string;
  /** Inclusive. */
  minTime: number;
  /** Exclusive, as Prometheus's meta.json. */
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number; numTombstones?: number };
  compaction: {
    level: number;
    sources: string[];
    parents?: BlockDesc[];
    /** Set when a compaction of this block failed; the planner skips such blocks. */
    failed?: boolean;
    /** Set when the block was compacted into nothing; the DB deletes it on reload. */
    deletable?: boolean;
    /** Prometheus's compaction hints; "from-out-of-order" marks a block of out-of-order samples. */
    hints?: string[];
  };
  version: 1;
}

export interface ChunkData {
  /** Closed range of the chunk's samples. */
  mint: number;
  maxt: number;
  /** Chunk bytes in Prometheus's layout: XOR unless `enc` says otherwise. */
  data: Uint8Array;
  /**
   * Prometheus's chunk encoding: 2 histogram, 3 float histogram, 4 XOR2, 5 and 6 the histogram ST
   * encodings; absent for XOR.
   */
  enc?: number;
}

export interface BlockSeries {
  labels: Labels;
  chunks: ChunkData[];
}

export interface TombstoneInterval {
  ref: number;
  /** Closed interval of deleted samples. */
  mint: number;
  maxt: number;
}

/** A block that cannot be used: missing, truncated, not ours, or with a bad meta. */
export class BlockError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`block ${dir}: ${message}`);
    this.name = 'BlockError';
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Sorted refs as little-endian uint32 bytes. */
export function encodeRefs(refs: ArrayLike<number>): Uint8Array {
  const out = new Uint32Array(refs.length);
  for (let i = 0; i < refs.length; i++) out[i] = refs[i];
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(out.buffer);
    for (let i = 0; i < refs.length; i++) dv.setUint32(i * 4, refs[i], true);
  }
  return new Uint8Array(out.buffer);
}

/** The refs in a postings blob, as a Uint32Array (a view when aligned, a copy otherwise). */
export function decodeRefs(blob: Uint8Array): Uint32Array {
  const n = blob.byteLength >>> 2;
  if (LITTLE_ENDIAN && (blob.byteOffset & 3) === 0) return new Uint32Array(blob.buffer, blob.byteOffset, n);
  const out = new Uint32Array(n);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}

export function chunkId(ref: number, ordinal: number): number {
  return ref * CHUNK_ID_SPAN + ordinal;
}

/** Reads and checks a BlockMeta from its JSON text; throws a plain Error naming the bad field. */
export function parseMeta(text: string): BlockMeta {
  const m = JSON.parse(text) as BlockMeta;
  const int = (v: unknown, what: string): void => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`meta: bad ${what}`);
  };
  if (typeof m !== 'object' || m === null) throw new Error('meta: not an object');
  if (typeof m.ulid !== 'string') throw new Error('meta: bad ulid');
  int(m.minTime, 'minTime');
  int(m.maxTime, 'maxTime');
  if (m.version !== 1) throw new Error(`meta: unsupported version ${String(m.version)}`);
  if (typeof m.stats !== 'object' || m.stats === null) throw new Error('meta: bad stats');
  int(m.stats.numSamples, 'stats.numSamples');
  int(m.stats.numSeries, 'stats.numSeries');
  int(m.stats.numChunks, 'stats.numChunks');
  if (typeof m.compaction !== 'object' || m.compaction === null) throw new Error('meta: bad compaction');
  int(m.compaction.level, 'compaction.level');
  if (!Array.isArray(m.compaction.sources)) throw new Error('meta: bad compaction.sources');
  return m;
}
