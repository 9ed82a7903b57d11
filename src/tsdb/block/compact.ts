// Compaction: several blocks (possibly overlapping in time) merged into one, as Prometheus's
// LeveledCompactor.Compact with its compacting chunk-series merger: series merged by labels,
// samples limited to the new block's range, tombstoned samples dropped, and samples with the same
// timestamp in several blocks deduplicated (one is kept: the one from the block with the lowest
// minTime). Unlike Prometheus, small chunks are re-encoded into larger ones (up to maxChunkSamples /
// maxChunkBytes): fewer rows, less per-row and per-chunk-header overhead on disk.
import { HistogramPart, histogramSamples } from '../head-histograms.js';
import { ENC_FLOAT_HISTOGRAM_ST, ENC_HISTOGRAM_ST } from '../chunks/histogram.js';
import { mergeHistogramSamples } from '../../storage/merge.js';
import type { Labels } from '../../model/labels.js';
import { compareLabels } from '../../storage/interfaces.js';
import { XORChunk } from '../chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from '../chunks/xor2.js';
import { compactedPageSize, type BlockMeta, type BlockSeries, type ChunkData } from './format.js';
import type { Block } from './reader.js';
import { intersects, removeDeleted, type Interval } from './tombstones.js';
import { chunkSamples, writeBlockSteps } from './writer.js';
import { AbortedError, runAsync, runSync } from './steps.js';

export interface CompactOptions {
  /**
   * Rewrite one block with its tombstones applied (clean_tombstones): the new block is level 1,
   * its own source, with the old block as its parent (Prometheus's compactor.Write with a base).
   */
  cleanTombstones?: boolean;
  /** Samples per re-encoded chunk, at most (default 1000; XOR chunks hold at most 65535). */
  maxChunkSamples?: number;
  /** Bytes per re-encoded chunk, about (a chunk is cut once it reaches this; default 4096). */
  maxChunkBytes?: number;
  /** Deflate chunks where that saves at least 1/8 (default true). */
  compress?: boolean;
}

export const DEFAULT_MAX_CHUNK_SAMPLES = 1000;
export const DEFAULT_MAX_CHUNK_BYTES = 4096;

/** Prometheus's CompactBlockMetas: covering range, level max+1, sorted union of sources, parents. */
export function compactBlockMetas(metas: readonly BlockMeta[]): {
  minTime: number;
  maxTime: number;
  compaction: BlockMeta['compaction'];
} {
  let minTime = Infinity;
  let maxTime = -Infinity;
  let level = 0;
  const sources = new Set<string>();
  for (const m of metas) {
    minTime = Math.min(minTime, m.minTime);
    maxTime = Math.max(maxTime, m.maxTime);
    level = Math.max(level, m.compaction.level);
    for (const s of m.compaction.sources) sources.add(s);
  }
  return {
    minTime,
    maxTime,
    compaction: {
      level: level + 1,
      sources: [...sources].sort(),
      parents: metas.map((m) => ({ ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime })),
    },
  };
}

/**
 * Compacts `blocks` into one new block in `dataDir` and returns its meta. When nothing is left (all
 * samples deleted or out of range), no block is written, every source is marked deletable and
 * undefined is returned. On failure the sources are marked compaction-failed (not for
 * cleanTombstones), as Prometheus does, and the error is rethrown.
 */
export function compactBlocks(
  dataDir: string,
  blocks: readonly Block[],
  opts: CompactOptions = {},
): BlockMeta | undefined {
  return runSync(compactBlocksSteps(dataDir, blocks, opts));
}

/** compactBlocks giving the event loop back between series (see steps.ts). */
export function compactBlocksAsync(
  dataDir: string,
  blocks: readonly Block[],
  opts: CompactOptions = {},
  aborted?: () => boolean,
): Promise<BlockMeta | undefined> {
  return runAsync(compactBlocksSteps(dataDir, blocks, opts), aborted);
}

function* compactBlocksSteps(
  dataDir: string,
  blocks: readonly Block[],
  opts: CompactOptions,
): Generator<void, BlockMeta | undefined, void> {
  if (blocks.length === 0) throw new Error('cannot compact no blocks');
  if (opts.cleanTombstones && blocks.length !== 1)
    throw new Error('cleanTombstones rewrites exactly one block');
  const sorted = [...blocks].sort((a, b) => a.meta.minTime - b.meta.minTime);
  const target = opts.cleanTombstones
    ? {
        minTime: sorted[0].meta.minTime,
        maxTime: sorted[0].meta.maxTime,
        compaction: {
          level: 1,
          sources: [], // writeBlock puts the new block's own ULID here
          parents: [
            { ulid: sorted[0].meta.ulid, minTime: sorted[0].meta.minTime, maxTime: sorted[0].meta.maxTime },
          ],
        },
      }
    : compactBlockMetas(sorted.map((b) => b.meta));
  let meta: BlockMeta | undefined;
  try {
    const merged = mergeSeries(sorted, target.minTime, target.maxTime - 1, {
      maxSamples: Math.min(opts.maxChunkSamples ?? DEFAULT_MAX_CHUNK_SAMPLES, 0xffff),
      maxBytes: opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES,
    });
    const inputBytes = sorted.reduce((n, b) => n + b.size(), 0);
    meta = yield* writeBlockSteps(dataDir, target, merged, target.compaction, {
      compress: opts.compress ?? true,
      pageSize: compactedPageSize(inputBytes),
    });
  } catch (err) {
    if (!opts.cleanTombstones && !(err instanceof AbortedError)) {
      for (const b of sorted) {
        try {
          b.markCompactionFailed();
        } catch {
          // the original error matters more
        }
      }
    }
    throw err;
  }
  if (meta === undefined) for (const b of sorted) b.markDeletable();
  return meta;
}

interface ChunkSizing {
  maxSamples: number;
  maxBytes: number;
}

/** One source chunk of a merged series, with what is needed to clip it. */
interface SourceChunk {
  chunk: ChunkData;
  deleted: readonly Interval[] | undefined;
  /** Block order: on equal timestamps the lower one wins. */
  priority: number;
}

type Cursor = Iterator<BlockSeries & { ref: number }>;

/** The blocks' series merged by labels, chunks clipped to [mint, maxt], deleted samples dropped. */
export function* mergeSeries(
  blocks: readonly Block[],
  mint: number,
  maxt: number,
  sizing: ChunkSizing,
): Iterable<BlockSeries> {
  const cursors: Cursor[] = blocks.map((b) => b.seriesWithRefs()[Symbol.iterator]());
  const heads: Array<(BlockSeries & { ref: number }) | undefined> = cursors.map((c) => next(c));
  for (;;) {
    let min: Labels | undefined;
    for (const h of heads)
      if (h !== undefined && (min === undefined || compareLabels(h.labels, min) < 0)) min = h.labels;
    if (min === undefined) return;
    const sources: SourceChunk[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h === undefined || compareLabels(h.labels, min) !== 0) continue;
      const deleted = blocks[i].tombstonesFor(h.ref);
      for (const c of h.chunks) sources.push({ chunk: c, deleted, priority: i });
      heads[i] = next(cursors[i]);
    }
    const floats = sources.filter((x) => x.chunk.enc === undefined || x.chunk.enc === ENC_XOR2);
    // with start timestamps (XOR2 chunks, st-storage) the float samples are re-encoded as XOR2
    const chunks = floats.some((x) => x.chunk.enc === ENC_XOR2)
      ? rechunkWithST(floats, mint, maxt, sizing)
      : rechunk(floats, mint, maxt, sizing);
    if (floats.length < sources.length) {
      // native histogram chunks are merged apart from the float ones
      chunks.push(
        ...rechunkHistograms(
          sources.filter((x) => x.chunk.enc !== undefined && x.chunk.enc !== ENC_XOR2),
          mint,
          maxt,
        ),
      );
      chunks.sort((a, b) => a.mint - b.mint);
    }
    if (chunks.length > 0) yield { labels: min, chunks };
  }
}

function next(c: Cursor): (BlockSeries & { ref: number }) | undefined {
  const r = c.next();
  return r.done ? undefined : r.value;
}

/**
 * A series' output chunks. Chunks that overlap nothing, lie inside [mint, maxt], lose nothing to
 * tombstones and are already at least half the target size are copied as they are; everything else
 * is decoded, merged (deduplicated by timestamp) and re-encoded into chunks of the target size.
 */
export function rechunk(
  sources: SourceChunk[],
  mint: number,
  maxt: number,
  sizing: ChunkSizing,
): ChunkData[] {
  sources.sort((a, b) => a.chunk.mint - b.chunk.mint || a.priority - b.priority);
  const out: ChunkData[] = [];
  const pending = new SampleBuffer();
  let i = 0;
  while (i < sources.length) {
    // an overlap group: chunks whose ranges chain into each other
    let j = i + 1;
    let groupMax = sources[i].chunk.maxt;
    while (j < sources.length && sources[j].chunk.mint <= groupMax) {
      groupMax = Math.max(groupMax, sources[j].chunk.maxt);
      j++;
    }
    if (j === i + 1 && keepAsIs(sources[i], mint, maxt, sizing)) {
      pending.encodeInto(out, sizing);
      out.push(sources[i].chunk);
    } else {
      const parts: DecodedPart[] = [];
      for (let k = i; k < j; k++) {
        const p = decodePart(sources[k], mint, maxt);
        if (p.n > 0) parts.push(p);
      }
      if (parts.length === 1) pending.append(parts[0].t, parts[0].v, parts[0].n);
      else if (parts.length > 1) mergeParts(parts, pending);
    }
    i = j;
  }
  pending.encodeInto(out, sizing);
  return out;
}

function keepAsIs(s: SourceChunk, mint: number, maxt: number, sizing: ChunkSizing): boolean {
  const c = s.chunk;
  if (c.mint < mint || c.maxt > maxt) return false;
  if (s.deleted !== undefined && intersects(s.deleted, c.mint, c.maxt)) return false;
  return chunkSamples(c.data) * 2 >= sizing.maxSamples || c.data.length * 2 >= sizing.maxBytes;
}

interface DecodedPart {
  t: Float64Array;
  v: Float64Array;
  n: number;
  priority: number;
}

function decodePart(s: SourceChunk, mint: number, maxt: number): DecodedPart {
  const cap = chunkSamples(s.chunk.data);
  const t = new Float64Array(cap);
  const v = new Float64Array(cap);
  let n = XORChunk.fromBytes(s.chunk.data).decodeInto(t, v, 0, mint, maxt);
  if (s.deleted !== undefined) n = removeDeleted(t, v, n, s.deleted);
  return { t, v, n, priority: s.priority };
}

/** k-way merge by timestamp; on equal timestamps the part with the lowest priority wins. */
function mergeParts(parts: DecodedPart[], out: SampleBuffer): void {
  parts.sort((a, b) => a.priority - b.priority);
  const pos = new Array<number>(parts.length).fill(0);
  const words = parts.map((p) => new Uint32Array(p.v.buffer, p.v.byteOffset, p.v.length * 2));
  for (;;) {
    let best = -1;
    let bt = Infinity;
    for (let k = 0; k < parts.length; k++) {
      if (pos[k] < parts[k].n && parts[k].t[pos[k]] < bt) {
        bt = parts[k].t[pos[k]];
        best = k;
      }
    }
    if (best < 0) return;
    out.pushWords(bt, words[best][2 * pos[best]], words[best][2 * pos[best] + 1]);
    for (let k = 0; k < parts.length; k++) if (pos[k] < parts[k].n && parts[k].t[pos[k]] === bt) pos[k]++;
  }
}

/** Growing columnar samples (value bits kept as words, so NaN payloads survive). */
class SampleBuffer {
  t = new Float64Array(1024);
  w = new Uint32Array(2048);
  n = 0;

  private grow(need: number): void {
    if (this.n + need <= this.t.length) return;
    let cap = this.t.length * 2;
    while (cap < this.n + need) cap *= 2;
    const t = new Float64Array(cap);
    t.set(this.t.subarray(0, this.n));
    const w = new Uint32Array(cap * 2);
    w.set(this.w.subarray(0, this.n * 2));
    this.t = t;
    this.w = w;
  }

  pushWords(t: number, lo: number, hi: number): void {
    this.grow(1);
    this.t[this.n] = t;
    this.w[2 * this.n] = lo;
    this.w[2 * this.n + 1] = hi;
    this.n++;
  }

  append(t: Float64Array, v: Float64Array, n: number): void {
    this.grow(n);
    this.t.set(t.subarray(0, n), this.n);
    this.w.set(new Uint32Array(v.buffer, v.byteOffset, n * 2), this.n * 2);
    this.n += n;
  }

  /** Encodes the buffered samples into chunks of the target size, appended to `out`; empties it. */
  encodeInto(out: ChunkData[], sizing: ChunkSizing): void {
    if (this.n === 0) return;
    const v = new Float64Array(this.w.buffer, 0, this.n);
    let c = new XORChunk();
    for (let i = 0; i < this.n; i++) {
      c.append(this.t[i], v[i]);
      if (c.numSamples >= sizing.maxSamples || c.bytes().length >= sizing.maxBytes) {
        out.push(seal(c));
        c = new XORChunk();
      }
    }
    if (c.numSamples > 0) out.push(seal(c));
    this.n = 0;
  }
}

/**
 * rechunk() for a series with start timestamps: every chunk (XOR or XOR2) decoded with its STs,
 * merged by timestamp (the lowest priority wins a tie), tombstones applied, and re-encoded as XOR2
 * chunks of the target size.
 */
function rechunkWithST(sources: SourceChunk[], mint: number, maxt: number, sizing: ChunkSizing): ChunkData[] {
  const rows: Array<{ t: number; v: number; st: number; priority: number }> = [];
  for (const s of sources) {
    const c = s.chunk;
    if (c.enc === ENC_XOR2) {
      const x = XOR2Chunk.fromBytes(c.data).samples();
      for (let k = 0; k < x.n; k++) rows.push({ t: x.t[k], v: x.v[k], st: x.st[k], priority: s.priority });
    } else {
      const p = decodePart(s, -Infinity, Infinity);
      for (let k = 0; k < p.n; k++) rows.push({ t: p.t[k], v: p.v[k], st: 0, priority: s.priority });
    }
    if (s.deleted !== undefined) {
      const del = s.deleted;
      for (let k = rows.length - 1; k >= 0; k--)
        if (rows[k].priority === s.priority && del.some((iv) => rows[k].t >= iv.mint && rows[k].t <= iv.maxt))
          rows.splice(k, 1);
    }
  }
  rows.sort((a, b) => a.t - b.t || a.priority - b.priority);
  const out: ChunkData[] = [];
  let c = new XOR2Chunk();
  let last = NaN;
  for (const r of rows) {
    if (r.t < mint || r.t > maxt || r.t === last) continue;
    last = r.t;
    c.append(r.t, r.v, r.st);
    if (c.numSamples >= sizing.maxSamples || c.byteLength >= sizing.maxBytes) {
      out.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice(), enc: ENC_XOR2 });
      c = new XOR2Chunk();
    }
  }
  if (c.numSamples > 0)
    out.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice(), enc: ENC_XOR2 });
  return out;
}

function seal(c: XORChunk): ChunkData {
  return { mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() };
}

/**
 * A series' native histogram chunks for the output block: a chunk that overlaps no other, lies inside
 * [mint, maxt] and loses nothing to tombstones is copied; the others are decoded, merged by time (on
 * equal times the earlier block wins) and encoded again.
 */
export function rechunkHistograms(sources: SourceChunk[], mint: number, maxt: number): ChunkData[] {
  sources.sort((a, b) => a.chunk.mint - b.chunk.mint || a.priority - b.priority);
  const out: ChunkData[] = [];
  let i = 0;
  while (i < sources.length) {
    let j = i + 1;
    let groupMax = sources[i].chunk.maxt;
    while (j < sources.length && sources[j].chunk.mint <= groupMax) {
      groupMax = Math.max(groupMax, sources[j].chunk.maxt);
      j++;
    }
    const one = sources[i];
    const c = one.chunk;
    if (
      j === i + 1 &&
      c.mint >= mint &&
      c.maxt <= maxt &&
      (one.deleted === undefined || !intersects(one.deleted, c.mint, c.maxt))
    ) {
      out.push(c);
    } else {
      const lists = sources.slice(i, j).map((x) => {
        const all = histogramSamples(
          [{ mint: x.chunk.mint, maxt: x.chunk.maxt, enc: x.chunk.enc!, data: x.chunk.data }],
          mint,
          maxt,
        );
        const del = x.deleted;
        return del === undefined
          ? all
          : all.filter((y) => !del.some((iv) => y.t >= iv.mint && y.t <= iv.maxt));
      });
      // the start-timestamp encodings stay so (st-storage)
      const withST = sources
        .slice(i, j)
        .some((x) => x.chunk.enc === ENC_HISTOGRAM_ST || x.chunk.enc === ENC_FLOAT_HISTOGRAM_ST);
      const part = new HistogramPart(withST);
      for (const y of mergeHistogramSamples(lists)) part.append(y.t, y.h, y.fh, y.st);
      for (const k of part.chunks())
        out.push({ mint: k.mint, maxt: k.maxt, data: k.data.slice(), enc: k.enc });
    }
    i = j;
  }
  return out;
}
