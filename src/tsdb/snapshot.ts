// What crosses from the thread that ingests to a query worker: one consistent view of the storage for
// one query, taken at once on the ingest thread. The blocks the query may read are named (and pinned
// there until the query releases them: compaction and retention delete them only afterwards); the
// head's series for each of the query's selects are handed over as their labels and XOR chunk bytes,
// copied, in buffers the worker takes ownership of. The worker opens the blocks itself, decodes and
// evaluates; the ingest thread only resolves matchers and copies bytes.
import { Labels } from '../model/labels.js';
import { Matcher, type MatchType } from '../model/matcher.js';
import type { SelectRequest } from '../storage/interfaces.js';
import type { Interval } from './head.js';
import { oooChunks, oooHistogramChunks } from './ooo.js';
import { ENC_XOR } from './chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from './chunks/xor2.js';
import type { MemSeries } from './head-series.js';

/** A matcher as it crosses threads (its regex is compiled again on the other side). */
export interface MatcherSpec {
  type: MatchType;
  name: string;
  value: string;
}

export interface SelectSpec {
  matchers: MatcherSpec[];
  mint: number;
  maxt: number;
}

/** A block the query may read, pinned until the snapshot is released. */
export interface BlockRef {
  ulid: string;
  dir: string;
  minTime: number;
  maxTime: number;
  /** Bumped whenever the block's tombstones change: a worker reopens a block it holds at an older one. */
  generation: number;
}

/** The head's series matching one select: labels and chunks, in buffers made to be transferred. */
export interface PackedHeadSeries {
  /** Label names and values, each once. */
  strings: string[];
  /** Per series: its number of label pairs, then name and value indexes into `strings`. */
  labels: Uint32Array;
  /**
   * Per chunk, six numbers: series index, mint, maxt, byte offset in `data`, byte length, Prometheus's
   * chunk encoding (1 XOR, 2 histogram, 3 float histogram).
   */
  chunks: Float64Array;
  data: Uint8Array;
  /** Per deleted interval, three numbers: series index, mint, maxt. */
  deleted: Float64Array;
}

export interface StorageSnapshot {
  blocks: BlockRef[];
  /** Per select (in request order): the head's series, or null when its range ends before the head. */
  head: Array<PackedHeadSeries | null>;
}

export function matcherSpecs(ms: readonly Matcher[]): MatcherSpec[] {
  return ms.map((m) => ({ type: m.type, name: m.name, value: m.value }));
}

export function selectSpecs(selects: readonly SelectRequest[]): SelectSpec[] {
  return selects.map((s) => ({ matchers: matcherSpecs(s.matchers), mint: s.mint, maxt: s.maxt }));
}

export function matchersOf(specs: readonly MatcherSpec[]): Matcher[] {
  return specs.map((m) => new Matcher(m.type, m.name, m.value));
}

/** The buffers of a snapshot, for postMessage's transfer list. */
export function snapshotTransferList(s: StorageSnapshot): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const h of s.head) {
    if (h === null) continue;
    for (const a of [h.labels, h.chunks, h.data, h.deleted]) out.push(a.buffer as ArrayBuffer);
  }
  return out;
}

/** Packs head series (labels, the chunks overlapping [mint, maxt], deleted intervals). */
export function packHeadSeries(
  series: readonly MemSeries[],
  mint: number,
  maxt: number,
  tombstones: ReadonlyMap<number, readonly Interval[]>,
): PackedHeadSeries {
  const ids = new Map<string, number>();
  const strings: string[] = [];
  const id = (s: string): number => {
    let i = ids.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      ids.set(s, i);
    }
    return i;
  };
  const labels: number[] = [];
  const chunks: number[] = [];
  const deleted: number[] = [];
  const parts: Uint8Array[] = [];
  let bytes = 0;
  series.forEach((s, index) => {
    const pairs = s.labels.pairs;
    labels.push(pairs.length / 2);
    for (const p of pairs) labels.push(id(p));
    const add = (cmint: number, cmaxt: number, data: Uint8Array, enc = 1): void => {
      if (cmaxt < mint || cmint > maxt) return;
      chunks.push(index, cmint, cmaxt, bytes, data.length, enc);
      parts.push(data);
      bytes += data.length;
    };
    for (const c of s.closed) add(c.mint, c.maxt, c.data, c.enc ?? ENC_XOR);
    const open = s.head;
    // the open chunk goes on growing: its bytes as they are now
    if (open !== undefined && open.numSamples > 0)
      add(open.minTime, open.maxTime, open.bytes(), open instanceof XOR2Chunk ? ENC_XOR2 : ENC_XOR);
    // out-of-order samples as extra chunks that overlap the others (the worker sorts them in)
    for (const c of oooChunks(s, mint, maxt)) add(c.minTime, c.maxTime, c.bytes().slice());
    // native histogram chunks (the open one as its bytes now)
    if (s.hist !== undefined) for (const c of s.hist.chunks()) add(c.mint, c.maxt, c.data.slice(), c.enc);
    // out-of-order native histograms: histogram chunks after the in-order ones (the worker merges)
    for (const c of oooHistogramChunks(s, mint, maxt)) add(c.mint, c.maxt, c.data, c.enc);
    for (const iv of tombstones.get(s.ref) ?? []) deleted.push(index, iv.mint, iv.maxt);
  });
  const data = new Uint8Array(bytes);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return {
    strings,
    labels: Uint32Array.from(labels),
    chunks: Float64Array.from(chunks),
    data,
    deleted: Float64Array.from(deleted),
  };
}

/** One series of a packed set, as the worker reads it. */
export interface UnpackedSeries {
  labels: Labels;
  /** Float chunks: XOR (encoding 1) or XOR2 (4, with start timestamps). */
  chunks: Array<{ mint: number; maxt: number; data: Uint8Array; enc: number }>;
  /** Native histogram chunks (encoding 2 or 3). */
  histograms: Array<{ mint: number; maxt: number; enc: number; data: Uint8Array }>;
  deleted: Interval[];
}

/** Reads a packed set back; `intern` lets the worker share label strings across queries. */
export function unpackHeadSeries(p: PackedHeadSeries, intern: (s: string) => string): UnpackedSeries[] {
  const strings = p.strings.map(intern);
  const out: UnpackedSeries[] = [];
  const l = p.labels;
  for (let i = 0; i < l.length;) {
    const n = l[i++];
    const pairs = new Array<string>(2 * n);
    for (let k = 0; k < 2 * n; k++) pairs[k] = strings[l[i++]];
    out.push({ labels: Labels.fromSortedPairs(pairs), chunks: [], histograms: [], deleted: [] });
  }
  const c = p.chunks;
  for (let i = 0; i < c.length; i += 6) {
    const enc = c[i + 5];
    const chunk = {
      mint: c[i + 1],
      maxt: c[i + 2],
      data: p.data.subarray(c[i + 3], c[i + 3] + c[i + 4]),
      enc,
    };
    if (enc === ENC_XOR || enc === ENC_XOR2) out[c[i]].chunks.push(chunk);
    else out[c[i]].histograms.push(chunk);
  }
  const d = p.deleted;
  for (let i = 0; i < d.length; i += 3) out[d[i]].deleted.push({ mint: d[i + 1], maxt: d[i + 2] });
  return out;
}
