// Prometheus's on-disk block (tsdb/docs/format/: index.md, chunks.md, tombstones.md), written from
// series with their chunks, so that Prometheus's own readers (promtool tsdb, Prometheus, the Thanos
// sidecar's shipper and Thanos store) take it:
//
//   <dir>/meta.json     ulid, minTime, maxTime (exclusive), stats, compaction, version 1
//   <dir>/chunks/000001 magic 0x85BD40DD, version 1, 3 bytes padding, then per chunk: uvarint length,
//                       encoding byte, data, CRC-32C of encoding and data; a chunk's ref is
//                       segment index << 32 | offset (segments cut at 512 MiB)
//   <dir>/index         index format v2 as Prometheus 3.14 writes it: symbol table, 16-byte aligned
//                       series, no label indices, 4-byte aligned postings (the all-series list ""="" first),
//                       postings offset table, TOC; CRC-32C everywhere
//   <dir>/tombstones    magic 0x0130BA30, version 1, (uvarint series ref, varint mint, varint maxt)*, CRC
//
// Prometheus 2.x reads only the XOR, histogram and float histogram encodings: chunks with start
// timestamps (XOR2, histogram ST) are re-encoded without them. The whole block is built in memory.
import fs from 'node:fs';
import path from 'node:path';
import type { Labels } from '../../model/labels.js';
import { crc32c } from '../chunks/crc32c.js';
import {
  ENC_FLOAT_HISTOGRAM,
  ENC_FLOAT_HISTOGRAM_ST,
  ENC_HISTOGRAM,
  ENC_HISTOGRAM_ST,
  FloatHistogramChunk,
  HistogramChunk,
} from '../chunks/histogram.js';
import { ENC_XOR, XORChunk } from '../chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from '../chunks/xor2.js';
import type { Interval } from './tombstones.js';
import type { Block } from './reader.js';

const INDEX_MAGIC = 0xbaaad700;
const INDEX_V2 = 2;
const CHUNKS_MAGIC = 0x85bd40dd;
const TOMBSTONES_MAGIC = 0x0130ba30;
const SEGMENT_MAX_BYTES = 512 * 1024 * 1024;
const TWO32 = 4294967296;

export interface PromBlockChunk {
  mint: number;
  maxt: number;
  /** Prometheus's chunk encoding (1 XOR, 2 histogram, 3 float histogram; 4-6 are re-encoded). */
  enc: number;
  data: Uint8Array;
}

export interface PromBlockSeries {
  labels: Labels;
  chunks: PromBlockChunk[];
  /** Deleted intervals, written to the tombstones file. */
  deleted?: readonly Interval[];
}

export interface PromBlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number; numTombstones: number };
  compaction: { level: number; sources: string[] };
  version: 1;
}

/** A growable byte buffer with Go's encoding.Encbuf writers. */
class Buf {
  b = new Uint8Array(4096);
  n = 0;

  private room(k: number): void {
    if (this.n + k <= this.b.length) return;
    let size = this.b.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.b.subarray(0, this.n));
    this.b = next;
  }

  byte(x: number): void {
    this.room(1);
    this.b[this.n++] = x;
  }

  be32(x: number): void {
    this.room(4);
    this.b[this.n++] = (x >>> 24) & 0xff;
    this.b[this.n++] = (x >>> 16) & 0xff;
    this.b[this.n++] = (x >>> 8) & 0xff;
    this.b[this.n++] = x & 0xff;
  }

  be64(x: number): void {
    this.be32(Math.floor(x / TWO32));
    this.be32(x % TWO32);
  }

  uvarint(x: number): void {
    this.room(10);
    while (x >= 0x80) {
      this.b[this.n++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.b[this.n++] = x;
  }

  varint(x: number): void {
    this.uvarint(x < 0 ? -2 * x - 1 : 2 * x);
  }

  bytes(x: Uint8Array): void {
    this.room(x.length);
    this.b.set(x, this.n);
    this.n += x.length;
  }

  str(s: string): void {
    const x = Buffer.from(s, 'utf8');
    this.uvarint(x.length);
    this.bytes(x);
  }

  pad(align: number): void {
    while (this.n % align !== 0) this.byte(0);
  }

  setBE32(at: number, x: number): void {
    this.b[at] = (x >>> 24) & 0xff;
    this.b[at + 1] = (x >>> 16) & 0xff;
    this.b[at + 2] = (x >>> 8) & 0xff;
    this.b[at + 3] = x & 0xff;
  }

  crcFrom(start: number): number {
    return crc32c(this.b, start, this.n) >>> 0;
  }

  view(): Uint8Array {
    return this.b.subarray(0, this.n);
  }
}

/** Strings in Go's order (bytes, not UTF-16 code units). */
function goCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A chunk in an encoding Prometheus 2.x reads (start timestamps dropped), and its sample count. */
function plainChunk(c: PromBlockChunk): { enc: number; data: Uint8Array; samples: number } {
  switch (c.enc) {
    case ENC_XOR2: {
      const s = XOR2Chunk.fromBytes(c.data).samples();
      const x = new XORChunk();
      for (let i = 0; i < s.n; i++) x.append(s.t[i], s.v[i]);
      return { enc: ENC_XOR, data: x.bytes().slice(), samples: s.n };
    }
    case ENC_HISTOGRAM_ST: {
      const src = HistogramChunk.fromBytes(c.data, true);
      const out = new HistogramChunk();
      out.counterResetHeader = src.counterResetHeader;
      for (const s of src.samples()) out.append(s.t, s.h);
      return { enc: ENC_HISTOGRAM, data: out.bytes(), samples: out.numSamples };
    }
    case ENC_FLOAT_HISTOGRAM_ST: {
      const src = FloatHistogramChunk.fromBytes(c.data, true);
      const out = new FloatHistogramChunk();
      out.counterResetHeader = src.counterResetHeader;
      for (const s of src.samples()) out.append(s.t, s.h);
      return { enc: ENC_FLOAT_HISTOGRAM, data: out.bytes(), samples: out.numSamples };
    }
    default: {
      const n = c.data.length < 2 ? 0 : (c.data[0] << 8) | c.data[1];
      return { enc: c.enc, data: c.data, samples: n };
    }
  }
}

/**
 * Writes one block in Prometheus's format into `dir`, from series sorted by labels whose chunks are
 * sorted by time. Written under `dir`.tmp and renamed, as Prometheus does; with `inPlace`, into an
 * existing directory (a Promethium block's own: its files are moved in, meta.json last, so that a
 * shipper never sees a block without its index and chunks). Returns the meta.json it wrote.
 */
export function writePrometheusBlock(
  dir: string,
  desc: { ulid: string; minTime: number; maxTime: number; level?: number; sources?: string[] },
  input: Iterable<PromBlockSeries>,
  inPlace = false,
): PromBlockMeta {
  const series = [...input].filter((s) => s.chunks.length > 0);
  const tmp = inPlace ? path.join(dir, 'prometheus.tmp') : `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'chunks'), { recursive: true });

  // chunks: segment files, each chunk's ref
  const segments: Buf[] = [];
  const newSegment = (): Buf => {
    const b = new Buf();
    b.be32(CHUNKS_MAGIC);
    b.byte(1);
    b.byte(0);
    b.byte(0);
    b.byte(0);
    segments.push(b);
    return b;
  };
  let seg = newSegment();
  let numSamples = 0;
  let numChunks = 0;
  const refs: number[][] = [];
  for (const s of series) {
    const mine: number[] = [];
    for (const c of s.chunks) {
      const p = plainChunk(c);
      if (seg.n + p.data.length + 15 > SEGMENT_MAX_BYTES && seg.n > 8) seg = newSegment();
      mine.push((segments.length - 1) * TWO32 + seg.n);
      seg.uvarint(p.data.length);
      const at = seg.n;
      seg.byte(p.enc);
      seg.bytes(p.data);
      seg.be32(seg.crcFrom(at));
      numSamples += p.samples;
      numChunks++;
    }
    refs.push(mine);
  }

  // index: symbols
  const idx = new Buf();
  idx.be32(INDEX_MAGIC);
  idx.byte(INDEX_V2);
  const symbolSet = new Set<string>(['']);
  for (const s of series) for (const x of s.labels.pairs) symbolSet.add(x);
  const symbols = [...symbolSet].sort(goCompare);
  const symbolRef = new Map(symbols.map((x, i) => [x, i]));
  const tocSymbols = idx.n;
  idx.be32(0); // length, set below
  idx.be32(symbols.length);
  for (const x of symbols) idx.str(x);
  idx.setBE32(tocSymbols, idx.n - tocSymbols - 4);
  idx.be32(idx.crcFrom(tocSymbols + 4));

  // series, 16-byte aligned: the id is offset / 16
  idx.pad(16);
  const tocSeries = idx.n;
  const ids: number[] = [];
  const postings = new Map<string, Map<string, number[]>>();
  const entry = new Buf();
  series.forEach((s, k) => {
    idx.pad(16);
    const id = idx.n / 16;
    ids.push(id);
    entry.n = 0;
    const pairs = s.labels.pairs;
    entry.uvarint(pairs.length / 2);
    for (let i = 0; i < pairs.length; i += 2) {
      entry.uvarint(symbolRef.get(pairs[i])!);
      entry.uvarint(symbolRef.get(pairs[i + 1])!);
      let byValue = postings.get(pairs[i]);
      if (byValue === undefined) postings.set(pairs[i], (byValue = new Map()));
      let list = byValue.get(pairs[i + 1]);
      if (list === undefined) byValue.set(pairs[i + 1], (list = []));
      list.push(id);
    }
    entry.uvarint(s.chunks.length);
    let t0 = 0;
    let ref0 = 0;
    s.chunks.forEach((c, i) => {
      const ref = refs[k][i];
      if (i === 0) {
        entry.varint(c.mint);
        entry.uvarint(c.maxt - c.mint);
        entry.uvarint(ref);
      } else {
        entry.uvarint(c.mint - t0);
        entry.uvarint(c.maxt - c.mint);
        entry.varint(ref - ref0);
      }
      t0 = c.maxt;
      ref0 = ref;
    });
    idx.uvarint(entry.n);
    idx.bytes(entry.view());
    idx.be32(crc32c(entry.b, 0, entry.n) >>> 0);
  });

  // no label indices (Prometheus 3 writes none); postings, 4-byte aligned, all series first
  const tocLabelIndices = idx.n;
  idx.pad(4);
  const tocPostings = idx.n;
  const offsets: Array<[string, string, number]> = [];
  const writePosting = (name: string, value: string, list: readonly number[]): void => {
    idx.pad(4);
    offsets.push([name, value, idx.n]);
    idx.be32(4 + 4 * list.length);
    const at = idx.n;
    idx.be32(list.length);
    for (const id of list) idx.be32(id);
    idx.be32(idx.crcFrom(at));
  };
  writePosting('', '', ids);
  for (const name of [...postings.keys()].sort(goCompare)) {
    const byValue = postings.get(name)!;
    for (const value of [...byValue.keys()].sort(goCompare)) writePosting(name, value, byValue.get(value)!);
  }

  // postings offset table, then the TOC
  const tocPostingsTable = idx.n;
  idx.be32(0); // length, set below
  const at = idx.n;
  idx.be32(offsets.length);
  for (const [name, value, off] of offsets) {
    idx.uvarint(2);
    idx.str(name);
    idx.str(value);
    idx.uvarint(off);
  }
  idx.setBE32(tocPostingsTable, idx.n - tocPostingsTable - 4);
  idx.be32(idx.crcFrom(at));
  const tocAt = idx.n;
  for (const x of [tocSymbols, tocSeries, tocLabelIndices, tocPostingsTable, tocPostings, tocPostingsTable])
    idx.be64(x);
  idx.be32(idx.crcFrom(tocAt));

  // tombstones
  const tomb = new Buf();
  tomb.be32(TOMBSTONES_MAGIC);
  tomb.byte(1);
  let numTombstones = 0;
  series.forEach((s, k) => {
    for (const iv of s.deleted ?? []) {
      tomb.uvarint(ids[k]);
      tomb.varint(iv.mint);
      tomb.varint(iv.maxt);
      numTombstones++;
    }
  });
  tomb.be32(tomb.crcFrom(5));

  const meta: PromBlockMeta = {
    ulid: desc.ulid,
    minTime: desc.minTime,
    maxTime: desc.maxTime,
    stats: { numSamples, numSeries: series.length, numChunks, numTombstones },
    compaction: { level: desc.level ?? 1, sources: desc.sources ?? [desc.ulid] },
    version: 1,
  };
  segments.forEach((b, i) =>
    fs.writeFileSync(path.join(tmp, 'chunks', String(i + 1).padStart(6, '0')), b.view()),
  );
  fs.writeFileSync(path.join(tmp, 'index'), idx.view());
  fs.writeFileSync(path.join(tmp, 'tombstones'), tomb.view());
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, '\t'));
  if (!inPlace) fs.renameSync(tmp, dir);
  else {
    for (const f of ['chunks', 'index', 'tombstones', 'meta.json']) {
      fs.rmSync(path.join(dir, f), { recursive: true, force: true });
      fs.renameSync(path.join(tmp, f), path.join(dir, f));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return meta;
}

/**
 * A Promethium block (open) in Prometheus's format: into `dir`, or, with `inPlace`, into the block's
 * own directory beside its block.db (for the Thanos sidecar's shipper). Decimal chunks become XOR
 * chunks and start timestamps are dropped (Prometheus 2.x reads neither).
 */
export function exportBlock(block: Block, dir: string, inPlace = false): PromBlockMeta {
  const meta = block.meta;
  const warnings: string[] = [];
  const series = function* (): Iterable<PromBlockSeries> {
    for (const s of block.seriesWithRefs(warnings)) {
      const chunks = s.chunks
        .map((c) => ({ mint: c.mint, maxt: c.maxt, enc: c.enc ?? ENC_XOR, data: c.data }))
        .sort((a, b) => a.mint - b.mint);
      const deleted = block.tombstonesFor(s.ref);
      yield deleted === undefined ? { labels: s.labels, chunks } : { labels: s.labels, chunks, deleted };
    }
  };
  const out = writePrometheusBlock(
    dir,
    {
      ulid: meta.ulid,
      minTime: meta.minTime,
      maxTime: meta.maxTime,
      level: meta.compaction.level,
      sources: meta.compaction.sources,
    },
    series(),
    inPlace,
  );
  if (warnings.length > 0) throw new Error(`block ${meta.ulid}: ${warnings.join('; ')}`);
  return out;
}
