// Reading a block: its label index (PostingsIndex), its series and chunks, and queriers that cut
// samples to [mint, maxt] and hide tombstoned ones, as Prometheus's blockQuerier does. A chunk whose
// checksum does not match is skipped with a warning on the SeriesSet, never an exception.
import {} from '../chunks/histogram.js';
import { histogramSamples } from '../head-histograms.js';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import inflate from 'tiny-inflate';
import { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type {
  HistogramSample,
  Querier,
  SampleBatch,
  SelectHints,
  Series,
  SeriesSet,
} from '../../storage/interfaces.js';
import { crc32c } from '../chunks/crc32c.js';
import { checkDEC, decodeDECInto } from '../chunks/dec.js';
import { XORChunk } from '../chunks/xor.js';
import { XOR2Chunk } from '../chunks/xor2.js';
import { EMPTY_POSTINGS, postingsForMatchers, type PostingsIndex } from '../postings.js';
import {
  APPLICATION_ID,
  BLOCK_FILE,
  BlockError,
  CHUNK_ID_SPAN,
  ENC_DEC,
  ENC_DEC_DEFLATE,
  ENC_FLOAT_HISTOGRAM,
  ENC_FLOAT_HISTOGRAM_ST,
  ENC_HISTOGRAM,
  ENC_HISTOGRAM_ST,
  ENC_XOR2,
  chunkEncOfBlock,
  ENC_DEFLATE,
  ENC_RAW,
  READABLE_SCHEMA_VERSIONS,
  READ_MMAP_SIZE,
  TABLES,
  chunkId,
  decodeRefs,
  parseMeta,
  type BlockMeta,
  type BlockSeries,
  type ChunkData,
  type TombstoneInterval,
} from './format.js';
import { addInterval, covers, removeDeleted, type Interval } from './tombstones.js';
import { chunkSamples } from './writer.js';
import { SampleArena } from '../sample-arena.js';

/** Refs this close together are read with one range scan (the few rows in between are dropped). */
const MAX_REF_GAP = 4;

interface Statements {
  /** Pluck statements: each row is the single column's value. */
  labelNames: Database.Statement<[], string>;
  labelValues: Database.Statement<[string], string>;
  postings: Database.Statement<[string, string], [Buffer]>;
  seriesRange: Database.Statement<[number, number], [number, string, number, number]>;
  /** The chunks' columns with the length of their data, and their data end to end (see chunkRows). */
  chunksRange: Database.Statement<
    [number, number, number, number],
    [number, number, number, number, number, number]
  >;
  chunksData: Database.Statement<[number, number, number, number], Buffer | null>;
  anyChunk: Database.Statement<[number, number, number, number], [number]>;
}

type ChunkRow = [id: number, mint: number, maxt: number, crc: number, enc: number, data: Buffer];

const NO_DATA = Buffer.alloc(0);

const EMPTY_BATCH: SampleBatch = { t: new Float64Array(0), v: new Float64Array(0), length: 0 };

function sqliteMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Checks the SQLite header against the file: the magic string, and that the page count the header
 * records matches the file's length, which catches truncation before any page is read.
 */
function checkHeader(dir: string, file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new BlockError(dir, `cannot open ${BLOCK_FILE}: ${sqliteMessage(err)}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const h = Buffer.alloc(100);
    const n = fs.readSync(fd, h, 0, 100, 0);
    if (n < 100 || h.toString('latin1', 0, 16) !== 'SQLite format 3\0') {
      throw new BlockError(dir, `${BLOCK_FILE} is not an SQLite database`);
    }
    const raw = h.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const pages = h.readUInt32BE(28);
    const validFor = h.readUInt32BE(92);
    const changes = h.readUInt32BE(24);
    if (validFor === changes && pages * pageSize !== size) {
      throw new BlockError(
        dir,
        `${BLOCK_FILE} is ${size} bytes, its header says ${pages * pageSize} (truncated?)`,
      );
    }
  } finally {
    fs.closeSync(fd);
  }
}

function openReader(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma(`mmap_size = ${READ_MMAP_SIZE}`);
  return db;
}

function prepare(db: Database.Database): Statements {
  return {
    labelNames: db.prepare<[], string>('SELECT DISTINCT name FROM postings').pluck(),
    labelValues: db.prepare<[string], string>('SELECT value FROM postings WHERE name = ?').pluck(),
    postings: db
      .prepare<[string, string], [Buffer]>('SELECT refs FROM postings WHERE name = ? AND value = ?')
      .raw(),
    seriesRange: db
      .prepare<[number, number], [number, string, number, number]>(
        'SELECT ref, labels, mint, maxt FROM series WHERE ref >= ? AND ref <= ? ORDER BY ref',
      )
      .raw(),
    chunksRange: db
      .prepare<[number, number, number, number], [number, number, number, number, number, number]>(
        'SELECT id, mint, maxt, crc, enc, length(data) FROM chunks WHERE id >= ? AND id < ? AND maxt >= ? AND mint <= ? ORDER BY id',
      )
      .raw(),
    // group_concat keeps a blob's bytes as they are (UTF-8 database), CAST makes the result a blob
    chunksData: db
      .prepare<[number, number, number, number], Buffer | null>(
        "SELECT CAST(group_concat(data, x'' ORDER BY id) AS BLOB) FROM chunks WHERE id >= ? AND id < ? AND maxt >= ? AND mint <= ?",
      )
      .pluck(),
    anyChunk: db
      .prepare<[number, number, number, number], [number]>(
        'SELECT 1 FROM chunks WHERE id >= ? AND id < ? AND maxt >= ? AND mint <= ? LIMIT 1',
      )
      .raw(),
  };
}

function decodeLabels(json: string): Labels {
  return Labels.fromSortedPairs(JSON.parse(json) as string[]);
}

/** A loaded series: labels and the chunks (bytes verified) that a query needs. */
interface LoadedSeries {
  ref: number;
  labels: Labels;
  chunks: ChunkRow[];
}

export class Block implements PostingsIndex {
  private db: Database.Database;
  private stmts: Statements;
  private metaValue: BlockMeta;
  private readonly tombstones = new Map<number, Interval[]>();
  private all: Uint32Array | undefined;
  private closed = false;
  /** Told, with the first warning, whenever a read meets damaged data (the data is skipped). */
  onDamage?: (detail: string) => void;

  private constructor(
    readonly dir: string,
    db: Database.Database,
    meta: BlockMeta,
  ) {
    this.db = db;
    this.stmts = prepare(db);
    this.metaValue = meta;
  }

  /** Opens a block directory; throws BlockError for a missing, truncated, foreign or damaged block. */
  static open(dir: string): Block {
    const file = path.join(dir, BLOCK_FILE);
    checkHeader(dir, file);
    // A tombstone write interrupted by a crash leaves a hot journal that only a writable connection
    // may roll back; do that before the read-only connection sees the file.
    if (fs.existsSync(file + '-journal')) {
      try {
        const rw = new Database(file, { fileMustExist: true });
        rw.prepare('SELECT count(*) FROM meta').get();
        rw.close();
      } catch (err) {
        throw new BlockError(dir, `recovering tombstone journal: ${sqliteMessage(err)}`);
      }
    }
    let db: Database.Database | undefined;
    try {
      db = openReader(file);
      const appId = db.pragma('application_id', { simple: true }) as number;
      const version = db.pragma('user_version', { simple: true }) as number;
      if (appId !== APPLICATION_ID) throw new Error('not a Promethium block (application_id)');
      if (!READABLE_SCHEMA_VERSIONS.includes(version))
        throw new Error(`unsupported block schema version ${version}`);
      const tables = new Set(
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[],
      );
      for (const t of TABLES) if (!tables.has(t)) throw new Error(`missing table ${t}`);
      const metaText = db.prepare("SELECT value FROM meta WHERE key = 'meta'").pluck().get() as
        string | undefined;
      if (metaText === undefined) throw new Error('no meta');
      const meta = parseMeta(metaText);
      // Cheap consistency checks (b-tree seeks, no scans): the last series and chunk agree with the stats.
      const maxRef = (db.prepare('SELECT max(ref) FROM series').pluck().get() as number | null) ?? 0;
      if (maxRef !== meta.stats.numSeries)
        throw new Error(`meta says ${meta.stats.numSeries} series, index has ${maxRef}`);
      const maxId = db.prepare('SELECT max(id) FROM chunks').pluck().get() as number | null;
      if (maxRef > 0 && (maxId === null || Math.floor(maxId / CHUNK_ID_SPAN) !== maxRef)) {
        throw new Error('chunks do not match the series index');
      }
      const block = new Block(dir, db, meta);
      for (const row of db
        .prepare('SELECT ref, mint, maxt FROM tombstones ORDER BY ref, mint')
        .raw()
        .all() as Array<[number, number, number]>) {
        const list = block.tombstones.get(row[0]);
        if (list === undefined) block.tombstones.set(row[0], [{ mint: row[1], maxt: row[2] }]);
        else list.push({ mint: row[1], maxt: row[2] });
      }
      return block;
    } catch (err) {
      if (db !== undefined && db.open) db.close();
      if (err instanceof BlockError) throw err;
      throw new BlockError(dir, sqliteMessage(err));
    }
  }

  get meta(): BlockMeta {
    return this.metaValue;
  }

  // ---- PostingsIndex -------------------------------------------------------------------------

  labelNames(): string[] {
    return this.stmts.labelNames.all().sort(byCodeUnits);
  }

  labelValues(name: string): string[] {
    return this.stmts.labelValues.all(name).sort(byCodeUnits);
  }

  postings(name: string, value: string): Uint32Array {
    const row = this.stmts.postings.get(name, value);
    return row === undefined ? EMPTY_POSTINGS : decodeRefs(row[0]);
  }

  allPostings(): Uint32Array {
    if (this.all === undefined) {
      const n = this.metaValue.stats.numSeries;
      this.all = new Uint32Array(n);
      for (let i = 0; i < n; i++) this.all[i] = i + 1;
    }
    return this.all;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** The series matching all matchers (every series for none): refs in label order. */
  seriesRefs(matchers: readonly Matcher[]): Uint32Array {
    return matchers.length === 0 ? this.allPostings() : postingsForMatchers(this, matchers);
  }

  querier(mint: number, maxt: number): Querier {
    return new BlockQuerier(this, mint, maxt);
  }

  /**
   * Loads series `refs` with their chunks overlapping [mint, maxt] that tombstones do not cover
   * entirely; bad checksums become warnings. `withData` false loads chunk bounds only (their data
   * empty and unchecked), for series lookups, as Prometheus's querier loads no chunks for them.
   */
  loadSeries(
    refs: Uint32Array,
    mint: number,
    maxt: number,
    warnings: string[],
    skipDeleted = true,
    withData = true,
  ): LoadedSeries[] {
    const out: LoadedSeries[] = [];
    const warned = warnings.length;
    let i = 0;
    while (i < refs.length) {
      // a run of refs close together, read with two range scans
      let j = i + 1;
      while (j < refs.length && refs[j] - refs[j - 1] <= MAX_REF_GAP) j++;
      const lo = refs[i];
      const hi = refs[j - 1];
      try {
        this.loadRun(refs, i, j, mint, maxt, skipDeleted, withData, warnings, out);
      } catch (err) {
        warnings.push(`block ${this.metaValue.ulid}: reading series ${lo}..${hi}: ${sqliteMessage(err)}`);
      }
      i = j;
    }
    if (warnings.length > warned) this.onDamage?.(warnings[warned]);
    return out;
  }

  private loadRun(
    refs: Uint32Array,
    from: number,
    to: number,
    mint: number,
    maxt: number,
    skipDeleted: boolean,
    withData: boolean,
    warnings: string[],
    out: LoadedSeries[],
  ): void {
    const lo = refs[from];
    const hi = refs[to - 1];
    const seriesRows = this.stmts.seriesRange.all(lo, hi);
    const chunkRows = this.chunkRows(chunkId(lo, 0), chunkId(hi + 1, 0), mint, maxt, withData);
    let k = 0; // index into chunkRows
    let s = 0; // index into seriesRows
    for (let r = from; r < to; r++) {
      const ref = refs[r];
      while (s < seriesRows.length && seriesRows[s][0] < ref) s++;
      if (s === seriesRows.length || seriesRows[s][0] !== ref) continue;
      const row = seriesRows[s];
      const lowId = chunkId(ref, 0);
      const highId = chunkId(ref + 1, 0);
      while (k < chunkRows.length && chunkRows[k][0] < lowId) k++;
      if (row[3] < mint || row[2] > maxt) continue;
      const deleted = skipDeleted ? this.tombstones.get(ref) : undefined;
      const chunks: ChunkRow[] = [];
      let labels: Labels | undefined;
      for (; k < chunkRows.length && chunkRows[k][0] < highId; k++) {
        const c = chunkRows[k];
        if (deleted !== undefined && covers(deleted, c[1], c[2])) continue;
        if (!withData) {
          chunks.push(c);
          continue;
        }
        if ((crc32c(c[5]) | 0) !== c[3]) {
          labels ??= decodeLabels(row[1]);
          warnings.push(
            `block ${this.metaValue.ulid}: series ${labels.toString()}: chunk ${c[1]}-${c[2]}: checksum mismatch expected:${(c[3] >>> 0).toString(16)}, actual:${(crc32c(c[5]) >>> 0).toString(16)} (chunk skipped)`,
          );
          continue;
        }
        const enc = c[4];
        if (enc !== ENC_RAW) {
          try {
            if (enc === ENC_DEFLATE || enc === ENC_DEC_DEFLATE) {
              c[5] = inflateChunk(c[5]);
              c[4] = enc === ENC_DEFLATE ? ENC_RAW : ENC_DEC;
            } else if (enc !== ENC_DEC && chunkEncOfBlock(enc) === undefined) {
              throw new Error(`unknown encoding ${enc}`);
            }
            if (c[4] === ENC_DEC) checkDEC(c[5]);
          } catch (err) {
            warnings.push(
              `block ${this.metaValue.ulid}: chunk ${c[1]}-${c[2]}: ${sqliteMessage(err)} (chunk skipped)`,
            );
            continue;
          }
        }
        chunks.push(c);
      }
      if (chunks.length > 0) out.push({ ref, labels: labels ?? decodeLabels(row[1]), chunks });
    }
  }

  /**
   * The chunks with ids in [fromId, toId) overlapping [mint, maxt], in id order. Their data is read
   * as one blob and cut into views: better-sqlite3 copies each blob it returns into a Buffer of its
   * own, which cost 2 µs a chunk, more than the rest of the row, and made the GC track an off-heap
   * allocation per chunk. Both statements read the same immutable rows (the connection is read-only;
   * tombstone writes reopen it).
   */
  private chunkRows(fromId: number, toId: number, mint: number, maxt: number, withData: boolean): ChunkRow[] {
    const rows = this.stmts.chunksRange.all(fromId, toId, mint, maxt) as unknown as ChunkRow[];
    if (rows.length === 0) return rows;
    if (!withData) {
      for (const row of rows) row[5] = NO_DATA;
      return rows;
    }
    const data = this.stmts.chunksData.get(fromId, toId, mint, maxt) ?? NO_DATA;
    let at = 0;
    for (const row of rows) {
      const len = row[5] as unknown as number;
      row[5] = data.subarray(at, at + len);
      at += len;
    }
    if (at !== data.length) throw new Error(`chunk data is ${data.length} bytes, its rows say ${at}`);
    return rows;
  }

  /**
   * The samples of a loaded series within [mint, maxt], tombstones applied; their arrays are cut
   * from `arena` (see SampleArena).
   */
  decode(s: LoadedSeries, mint: number, maxt: number, arena: SampleArena): SampleBatch {
    let cap = 0;
    for (const c of s.chunks) if (!isHistogramEnc(c[4])) cap += chunkSamples(c[5]);
    if (cap === 0) return EMPTY_BATCH;
    const { t, v } = arena.room(cap);
    // start timestamps, when a chunk is XOR2 (st-storage)
    const st = s.chunks.some((c) => c[4] === ENC_XOR2) ? new Float64Array(cap) : undefined;
    let n = 0;
    for (const c of s.chunks) {
      if (isHistogramEnc(c[4])) continue;
      n +=
        c[4] === ENC_DEC
          ? decodeDECInto(c[5], t, v, n, mint, maxt)
          : c[4] === ENC_XOR2
            ? XOR2Chunk.fromBytes(c[5]).decodeInto(t, v, st!, n, mint, maxt)
            : XORChunk.fromBytes(c[5]).decodeInto(t, v, n, mint, maxt);
    }
    const deleted = this.tombstones.get(s.ref);
    if (deleted !== undefined) n = removeDeleted(t, v, n, deleted, st);
    return st === undefined ? { ...arena.take(n), length: n } : { ...arena.take(n), length: n, st };
  }

  /** The native histogram samples of a loaded series within [mint, maxt], tombstones applied. */
  decodeHistograms(s: LoadedSeries, mint: number, maxt: number): HistogramSample[] {
    const chunks = s.chunks
      .filter((c) => isHistogramEnc(c[4]))
      .map((c) => ({ mint: c[1], maxt: c[2], enc: chunkEncOf(c[4]), data: c[5] }));
    const deleted = this.tombstones.get(s.ref);
    const all = histogramSamples(chunks, mint, maxt);
    return deleted === undefined
      ? all
      : all.filter((x) => !deleted.some((iv) => x.t >= iv.mint && x.t <= iv.maxt));
  }

  /**
   * Every series with all its chunks as stored, in label order, for compaction and snapshots.
   * Tombstones are not applied (see tombstonesFor); chunks failing their checksum are dropped and
   * reported through `warnings` when given.
   */
  *series(warnings?: string[]): Iterable<BlockSeries> {
    for (const s of this.seriesWithRefs(warnings)) yield { labels: s.labels, chunks: s.chunks };
  }

  /** As series(), with each series' ref (for its tombstones). */
  *seriesWithRefs(warnings?: string[]): Iterable<BlockSeries & { ref: number }> {
    const n = this.metaValue.stats.numSeries;
    const BATCH = 256;
    for (let lo = 1; lo <= n; lo += BATCH) {
      const hi = Math.min(n, lo + BATCH - 1);
      const refs = new Uint32Array(hi - lo + 1);
      for (let i = 0; i < refs.length; i++) refs[i] = lo + i;
      const sink: string[] = [];
      const loaded = this.loadSeries(refs, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, sink, false);
      if (warnings !== undefined) warnings.push(...sink);
      for (const s of loaded) {
        yield {
          ref: s.ref,
          labels: s.labels,
          chunks: s.chunks.map((c): ChunkData =>
            isHistogramEnc(c[4]) || c[4] === ENC_XOR2
              ? { mint: c[1], maxt: c[2], data: c[5], enc: chunkEncOf(c[4]) }
              : { mint: c[1], maxt: c[2], data: c[4] === ENC_DEC ? decToXOR(c[5]) : c[5] },
          ),
        };
      }
    }
  }

  /** Labels of series `refs` (refs that do not exist are left out). */
  loadLabels(refs: Uint32Array): Labels[] {
    const out: Labels[] = [];
    let i = 0;
    while (i < refs.length) {
      let j = i + 1;
      while (j < refs.length && refs[j] - refs[j - 1] <= MAX_REF_GAP) j++;
      const rows = this.stmts.seriesRange.all(refs[i], refs[j - 1]);
      let s = 0;
      for (let r = i; r < j; r++) {
        while (s < rows.length && rows[s][0] < refs[r]) s++;
        if (s < rows.length && rows[s][0] === refs[r]) out.push(decodeLabels(rows[s][1]));
      }
      i = j;
    }
    return out;
  }

  /** The deleted intervals of series `ref` (sorted, merged), or undefined. */
  tombstonesFor(ref: number): readonly Interval[] | undefined {
    return this.tombstones.get(ref);
  }

  /** Number of tombstone intervals over all series (Prometheus's NumTombstones). */
  tombstoneCount(): number {
    let n = 0;
    for (const ivs of this.tombstones.values()) n += ivs.length;
    return n;
  }

  // ---- deletes and meta flags ----------------------------------------------------------------

  /**
   * Adds deleted intervals. As Prometheus's Block.Delete, an interval is kept only for a series with
   * a chunk overlapping it, clamped to the series' first chunk start and last chunk end.
   * Returns the number of intervals recorded.
   */
  addTombstones(intervals: readonly TombstoneInterval[]): number {
    const next = new Map<number, Interval[]>();
    const seriesBounds = this.db.prepare('SELECT mint, maxt FROM series WHERE ref = ?').raw();
    let added = 0;
    for (const iv of intervals) {
      if (iv.mint > iv.maxt) continue;
      const b = seriesBounds.get(iv.ref) as [number, number] | undefined;
      if (b === undefined) continue;
      const lo = Math.max(iv.mint, b[0], Number.MIN_SAFE_INTEGER);
      const hi = Math.min(iv.maxt, b[1], Number.MAX_SAFE_INTEGER);
      if (lo > hi) continue;
      if (this.stmts.anyChunk.get(chunkId(iv.ref, 0), chunkId(iv.ref + 1, 0), lo, hi) === undefined) continue;
      const cur = next.get(iv.ref) ?? this.tombstones.get(iv.ref) ?? [];
      next.set(iv.ref, addInterval(cur, { mint: lo, maxt: hi }));
      added++;
    }
    if (next.size === 0) return 0;
    for (const [ref, ivs] of next) this.tombstones.set(ref, ivs);
    const meta: BlockMeta = {
      ...this.metaValue,
      stats: { ...this.metaValue.stats, numTombstones: this.tombstoneCount() },
    };
    this.mutate((db) => {
      const del = db.prepare('DELETE FROM tombstones WHERE ref = ?');
      const ins = db.prepare('INSERT INTO tombstones (ref, mint, maxt) VALUES (?, ?, ?)');
      for (const [ref, ivs] of next) {
        del.run(ref);
        for (const iv of ivs) ins.run(ref, iv.mint, iv.maxt);
      }
      db.prepare("UPDATE meta SET value = ? WHERE key = 'meta'").run(JSON.stringify(meta));
    });
    this.metaValue = meta;
    return added;
  }

  /** Prometheus's Block.Delete: tombstones [mint, maxt] on every series matching the matchers. */
  delete(mint: number, maxt: number, matchers: readonly Matcher[]): number {
    const refs = this.seriesRefs(matchers);
    const ivs: TombstoneInterval[] = [];
    for (const ref of refs) ivs.push({ ref, mint, maxt });
    return this.addTombstones(ivs);
  }

  /** Records compaction.failed (the planner then leaves the block alone), as Prometheus's setCompactionFailed. */
  markCompactionFailed(): void {
    this.setCompactionFlag('failed');
  }

  /** Records compaction.deletable: the block was compacted into nothing and may be removed. */
  markDeletable(): void {
    this.setCompactionFlag('deletable');
  }

  private setCompactionFlag(flag: 'failed' | 'deletable'): void {
    const meta: BlockMeta = { ...this.metaValue, compaction: { ...this.metaValue.compaction, [flag]: true } };
    this.mutate((db) => db.prepare("UPDATE meta SET value = ? WHERE key = 'meta'").run(JSON.stringify(meta)));
    this.metaValue = meta;
  }

  /**
   * The one in-place write a block sees: through its own connection, with a rollback journal and a
   * full sync, so it is atomic. If the file is hard-linked (a snapshot shares it), it is copied first
   * so the snapshot keeps the state it was taken with.
   */
  private mutate(fn: (db: Database.Database) => void): void {
    if (this.closed) throw new Error(`block ${this.metaValue.ulid} is closed`);
    const file = path.join(this.dir, BLOCK_FILE);
    this.db.close();
    try {
      if (fs.statSync(file).nlink > 1) {
        const copy = file + '.cow';
        fs.copyFileSync(file, copy);
        fs.renameSync(copy, file);
      }
      const db = new Database(file, { fileMustExist: true });
      try {
        db.pragma('journal_mode = DELETE');
        db.pragma('synchronous = FULL');
        db.transaction(() => fn(db)).immediate();
      } finally {
        db.close();
      }
    } finally {
      this.db = openReader(file);
      this.stmts = prepare(this.db);
    }
  }

  /** Bytes on disk (all files of the block directory). */
  size(): number {
    let n = 0;
    for (const name of fs.readdirSync(this.dir)) {
      try {
        n += fs.statSync(path.join(this.dir, name)).size;
      } catch {
        // removed meanwhile (a journal)
      }
    }
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** Room for an inflated chunk; a chunk that fills it (never seen: chunks are a few hundred bytes) is inflated by zlib. */
const inflated = new Uint8Array(1 << 16);

/**
 * A deflated chunk's bytes. tiny-inflate, not zlib: zlib's inflateRawSync builds a stream object per
 * call, which for chunks of ~150 bytes cost twice the inflating (4.8 against 9.5 µs a chunk, warm)
 * and left ~0.5 kB of garbage each.
 */
export function inflateChunk(data: Buffer): Buffer {
  const out = inflate(data, inflated);
  if (out === inflated) return zlib.inflateRawSync(data);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A DEC chunk as the XOR chunk of the same samples (ChunkData carries XOR bytes). */
function decToXOR(dec: Uint8Array): Uint8Array {
  const n = chunkSamples(dec);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const got = decodeDECInto(dec, t, v, 0, -Infinity, Infinity);
  const x = new XORChunk();
  for (let i = 0; i < got; i++) x.append(t[i], v[i]);
  return x.bytes().slice();
}

class BlockQuerier implements Querier {
  constructor(
    private readonly block: Block,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet {
    // As Prometheus's blockQuerier: hints' start and end replace the querier's range.
    const mint = hints?.start ?? this.mint;
    const maxt = hints?.end ?? this.maxt;
    const warnings: string[] = [];
    // a series lookup (the series API) reads no chunk data, as in Prometheus; its samples, if asked
    // for after all, are read then
    const lookup = hints?.func === 'series';
    let loaded: LoadedSeries[] = [];
    try {
      loaded = this.block.loadSeries(this.block.seriesRefs(matchers), mint, maxt, warnings, true, !lookup);
    } catch (err) {
      warnings.push(`block ${this.block.meta.ulid}: ${sqliteMessage(err)}`);
      this.block.onDamage?.(warnings[warnings.length - 1]);
    }
    const block = this.block;
    const arena = new SampleArena();
    const withData = (s: LoadedSeries): LoadedSeries =>
      lookup ? (block.loadSeries(Uint32Array.of(s.ref), mint, maxt, [])[0] ?? { ...s, chunks: [] }) : s;
    const series: Series[] = loaded.map((s) => {
      const x: Series = { labels: s.labels, samples: () => block.decode(withData(s), mint, maxt, arena) };
      if (s.chunks.some((c) => isHistogramEnc(c[4])))
        x.histograms = () => block.decodeHistograms(withData(s), mint, maxt);
      return x;
    });
    return {
      warnings,
      [Symbol.iterator]: () => series[Symbol.iterator](),
    };
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    if (matchers === undefined || matchers.length === 0) return this.block.labelNames();
    const names = new Set<string>();
    for (const s of this.labelsOf(matchers)) s.forEach((n) => names.add(n));
    return [...names].sort(byCodeUnits);
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    if (matchers === undefined || matchers.length === 0) return this.block.labelValues(name);
    const values = new Set<string>();
    for (const s of this.labelsOf(matchers)) {
      const v = s.get(name);
      if (v !== undefined) values.add(v);
    }
    return [...values].sort(byCodeUnits);
  }

  /** Labels of the matching series; label APIs do not look at samples (spec §8). */
  private labelsOf(matchers: readonly Matcher[]): Labels[] {
    const refs = this.block.seriesRefs(matchers);
    return this.block.loadLabels(refs);
  }

  close(): void {}
}

export type { LoadedSeries };

function isHistogramEnc(enc: number): boolean {
  return (
    enc === ENC_HISTOGRAM ||
    enc === ENC_FLOAT_HISTOGRAM ||
    enc === ENC_HISTOGRAM_ST ||
    enc === ENC_FLOAT_HISTOGRAM_ST
  );
}

/** Prometheus's chunk encoding of a chunk stored as it is (histograms, XOR2). */
function chunkEncOf(enc: number): number {
  return chunkEncOfBlock(enc)!;
}
