// One series in the head: completed chunks (encoded bytes) and the open XOR chunk, cut as
// Prometheus cuts head chunks (spec §1.4): a target of 120 samples, spread to end on the chunk-range
// boundary, hard caps of 240 samples and ~1 KiB.
import type { Labels } from '../model/labels.js';
import { keepCopy } from './chunks/bitstream.js';
import { XORChunk } from './chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from './chunks/xor2.js';
import type { HistogramPart } from './head-histograms.js';
import type { OOOSamples } from './ooo.js';

export const SAMPLES_PER_CHUNK = 120;

const NO_CHUNKS: readonly ClosedChunk[] = Object.freeze([]);

/** What MemSeries.append did. */
export const APPEND_DROPPED = 0;
export const APPEND_OK = 1;
export const APPEND_NEW_CHUNK = 2;
export type AppendResult = typeof APPEND_DROPPED | typeof APPEND_OK | typeof APPEND_NEW_CHUNK;
const MAX_BYTES_PER_CHUNK = 1024 - 19;

/** A completed chunk: immutable once here. */
export interface ClosedChunk {
  readonly mint: number;
  readonly maxt: number;
  readonly data: Uint8Array;
  /** ENC_XOR2 for a chunk with start timestamps (st-storage); absent: XOR. */
  readonly enc?: number;
}

/** A float chunk of the head: XOR, or XOR2 when the head keeps start timestamps. */
export type FloatChunk = XORChunk | XOR2Chunk;

/** A completed chunk as its codec. */
export function openClosedChunk(c: ClosedChunk): FloatChunk {
  return c.enc === ENC_XOR2 ? XOR2Chunk.fromBytes(c.data) : XORChunk.fromBytes(c.data);
}

/** End (exclusive) of the chunk-range window holding t; Go's truncating division, as Prometheus. */
export function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width;
}

function computeChunkEndTime(start: number, cur: number, max: number, ratioToFull: number): number {
  const n = (max - start) / ((cur - start + 1) * ratioToFull);
  if (n <= 1) return max;
  return Math.trunc(start + (max - start) / Math.floor(n));
}

export class MemSeries {
  /**
   * Completed chunks, oldest first. Replaced, never mutated, so a querier can hold the array (and
   * every new series can share one empty array: an array per series cost 32 bytes each).
   */
  closed: readonly ClosedChunk[] = NO_CHUNKS;
  head: FloatChunk | undefined = undefined;
  private nextAt = 0;
  /** Newest sample's time and value (-Infinity before the first). */
  maxTime = -Infinity;
  lastValue = 0;
  /** Time of the first sample still held. */
  minTime = Infinity;
  /** Out-of-order samples (see ooo.ts), and those an out-of-order compaction is writing into blocks. */
  ooo: OOOSamples | undefined = undefined;
  oooCompacting: OOOSamples | undefined = undefined;
  /** Native histogram samples (see head-histograms.ts), kept apart from the float chunks. */
  hist: HistogramPart | undefined = undefined;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
  ) {}

  /**
   * Appends an in-order sample: APPEND_DROPPED when it is not newer than the last one, APPEND_NEW_CHUNK
   * when it started a chunk, else APPEND_OK. With `withST` (st-storage) chunks are XOR2 and keep `st`,
   * the sample's start timestamp (0: unknown). (A number, not an object: this runs once per sample
   * scraped or replayed, and a result object per call was a measurable share of the garbage.)
   */
  append(t: number, v: number, chunkRange: number, st = 0, withST = false): AppendResult {
    // a histogram sample may be the newest one
    if (this.hist !== undefined && t <= this.maxTime) return APPEND_DROPPED;
    let c = this.head;
    let created = false;
    if (c === undefined) {
      const last = this.closed[this.closed.length - 1];
      if (last !== undefined && last.maxt >= t) return APPEND_DROPPED;
      c = this.cut(t, chunkRange, withST);
      created = true;
    } else {
      if (c.maxTime >= t) return APPEND_DROPPED;
      const n = c.numSamples;
      if (n > 0 && c.byteLength > MAX_BYTES_PER_CHUNK) {
        c = this.cut(t, chunkRange, withST);
        created = true;
      } else {
        if (n === SAMPLES_PER_CHUNK / 4)
          this.nextAt = computeChunkEndTime(c.minTime, c.maxTime, this.nextAt, 4);
        if (t >= this.nextAt || n >= SAMPLES_PER_CHUNK * 2) {
          c = this.cut(t, chunkRange, withST);
          created = true;
        }
      }
    }
    if (c instanceof XORChunk) c.append(t, v);
    else c.append(t, v, st);
    if (t < this.minTime) this.minTime = t;
    this.maxTime = t;
    this.lastValue = v;
    return created ? APPEND_NEW_CHUNK : APPEND_OK;
  }

  private cut(mint: number, chunkRange: number, withST: boolean): FloatChunk {
    this.closeHead();
    const c = withST ? new XOR2Chunk() : new XORChunk();
    this.head = c;
    this.nextAt = rangeForTimestamp(mint, chunkRange);
    return c;
  }

  /** Moves the open chunk to the completed ones. */
  closeHead(): void {
    const c = this.head;
    if (c === undefined || c.numSamples === 0) return;
    // A copy in a shared slab rather than an ArrayBuffer of its own (~200 bytes of V8 and malloc
    // bookkeeping per chunk): chunks closed together are dropped together by the head's truncation.
    const data = keepCopy(c.bytes());
    this.closed = [
      ...this.closed,
      c instanceof XOR2Chunk
        ? { mint: c.minTime, maxt: c.maxTime, data, enc: ENC_XOR2 }
        : { mint: c.minTime, maxt: c.maxTime, data },
    ];
    this.head = undefined;
  }

  /** Drops completed chunks that end before `mint`; true when the series holds nothing any more. */
  truncateBefore(mint: number): boolean {
    if (this.closed.length > 0 && this.closed[0].maxt < mint) {
      this.closed = this.closed.filter((c) => c.maxt >= mint);
    }
    if (this.head !== undefined && this.head.numSamples > 0 && this.head.maxTime < mint) {
      this.head = undefined;
    }
    this.minTime = this.closed.length > 0 ? this.closed[0].mint : (this.head?.minTime ?? Infinity);
    if (this.hist !== undefined) {
      if (this.hist.truncateBefore(mint)) this.hist = undefined;
      else this.minTime = Math.min(this.minTime, this.hist.minTime);
    }
    return (
      this.hist === undefined &&
      this.closed.length === 0 &&
      (this.head === undefined || this.head.numSamples === 0) &&
      this.ooo === undefined &&
      this.oooCompacting === undefined
    );
  }

  /** Whether the series holds samples (in order or out of order) in [mint, maxt]. */
  overlaps(mint: number, maxt: number): boolean {
    if (this.maxTime >= mint && this.minTime <= maxt) return true;
    const a = this.ooo;
    const b = this.oooCompacting;
    return (
      (a !== undefined && a.maxTime >= mint && a.minTime <= maxt) ||
      (b !== undefined && b.maxTime >= mint && b.minTime <= maxt)
    );
  }

  get chunkCount(): number {
    return (
      this.closed.length +
      (this.head !== undefined && this.head.numSamples > 0 ? 1 : 0) +
      (this.hist?.chunkCount ?? 0)
    );
  }
}
