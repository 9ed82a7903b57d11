// The native histogram samples of one head series: completed histogram chunks (Prometheus's byte
// layout, chunks/histogram.ts) and the open one. A chunk is cut, as Prometheus's head cuts them, when
// the kind changes (integer / float histogram), the schema, zero threshold or custom bounds change,
// after a stale marker, on a counter reset (count or zero count going down, a bucket emptied, or the
// sample's own reset hint), when a gauge histogram follows counter histograms or back, and at 120
// samples or ~1 KiB. When buckets appear, the open chunk is recoded to the wider layout, as
// Prometheus does, rather than cut.
import {
  bucketIndexes,
  CounterResetHint,
  countSpans,
  isCounterResetBetween,
  spansForIndexes,
  type FloatHistogram,
  type Histogram,
  type Span,
} from '../model/histogram.js';
import { isStaleNaN } from '../model/value.js';
import type { HistogramSample } from '../storage/interfaces.js';
import {
  CounterResetHeader,
  ENC_FLOAT_HISTOGRAM,
  ENC_FLOAT_HISTOGRAM_ST,
  ENC_HISTOGRAM,
  ENC_HISTOGRAM_ST,
  FloatHistogramChunk,
  HistogramChunk,
  headerForHint,
} from './chunks/histogram.js';

const MAX_SAMPLES = 120;
const TARGET_BYTES = 1024;
const MIN_SAMPLES = 10;

/** A completed histogram chunk: immutable once here. */
export interface ClosedHistogramChunk {
  readonly mint: number;
  readonly maxt: number;
  /** Prometheus's chunk encoding: 2 histogram, 3 float histogram (5, 6: their start-timestamp forms). */
  readonly enc: number;
  readonly data: Uint8Array;
}

type OpenChunk = HistogramChunk | FloatHistogramChunk;

export class HistogramPart {
  /** Oldest first; replaced, never mutated, so a querier can hold the array. */
  closed: readonly ClosedHistogramChunk[] = [];
  head: OpenChunk | undefined = undefined;
  private last: Histogram | FloatHistogram | undefined;
  private lastFloat = false;

  /** `withST`: chunks in the start-timestamp encodings (st-storage), which keep each sample's ST. */
  constructor(private readonly withST = false) {}

  private newChunk(isFloat: boolean): OpenChunk {
    return isFloat
      ? new FloatHistogramChunk(undefined, this.withST)
      : new HistogramChunk(undefined, this.withST);
  }

  /**
   * Appends a histogram newer than every sample of the series; true when a chunk was cut. `st` is
   * its start timestamp (0: unknown), kept with `withST`.
   */
  append(t: number, h: Histogram | undefined, fh: FloatHistogram | undefined, st = 0): boolean {
    let x = (h ?? fh)!;
    const isFloat = h === undefined;
    let c = this.head;
    let header: CounterResetHeader | undefined;
    if (c === undefined) header = initialHeader(x);
    else if (c instanceof FloatHistogramChunk !== isFloat || !c.fits(x as Histogram)) {
      // new buckets (or buckets gone empty): Prometheus recodes the chunk to the wider layout
      const widened = c instanceof FloatHistogramChunk === isFloat ? this.widen(c, x, isFloat) : undefined;
      if (widened !== undefined) {
        c = this.head = widened.chunk;
        x = widened.x;
        if (isFloat) fh = x as FloatHistogram;
        else h = x as Histogram;
      } else
        header = isStaleNaN(x.sum)
          ? CounterResetHeader.Unknown
          : resetHeader(this.last, this.lastFloat, x, isFloat);
    } else if (!isStaleNaN(x.sum) && this.last !== undefined && !isStaleNaN(this.last.sum)) {
      const gauge = x.counterResetHint === CounterResetHint.Gauge;
      if (gauge !== (c.counterResetHeader === CounterResetHeader.Gauge)) header = initialHeader(x);
      else if (!gauge && isCounterResetBetween(this.last, x, this.lastFloat, isFloat))
        header = CounterResetHeader.CounterReset;
    }
    if (header === undefined && c !== undefined) {
      const n = c.numSamples;
      if (n >= MAX_SAMPLES || (n >= MIN_SAMPLES && c.byteLength >= TARGET_BYTES))
        header =
          c.counterResetHeader === CounterResetHeader.Gauge
            ? CounterResetHeader.Gauge
            : CounterResetHeader.NotCounterReset;
    }
    if (header !== undefined) {
      this.close();
      c = this.newChunk(isFloat);
      c.counterResetHeader = header;
      this.head = c;
    }
    if (isFloat) (c as FloatHistogramChunk).append(t, fh!, st);
    else (c as HistogramChunk).append(t, h!, st);
    this.last = x;
    this.lastFloat = isFloat;
    return header !== undefined;
  }

  /**
   * The open chunk recoded to the union of its layout and x's, with x in that layout (Prometheus's
   * appendable with forward and backward inserts, then recode); undefined when x needs a new chunk
   * instead: a stale marker on either side, another schema, zero threshold or custom bounds, a gauge
   * change, a counter reset, or a full chunk.
   */
  private widen(
    c: OpenChunk,
    x: Histogram | FloatHistogram,
    isFloat: boolean,
  ): { chunk: OpenChunk; x: Histogram | FloatHistogram } | undefined {
    const l = c.bucketLayout;
    const last = this.last;
    if (l === undefined || last === undefined || isStaleNaN(last.sum) || isStaleNaN(x.sum)) return undefined;
    const n = c.numSamples;
    if (n >= MAX_SAMPLES || (n >= MIN_SAMPLES && c.byteLength >= TARGET_BYTES)) return undefined;
    if (l.schema !== x.schema || l.zeroThreshold !== x.zeroThreshold) return undefined;
    const a = l.customValues ?? [];
    const b = x.customValues ?? [];
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) return undefined;
    const gauge = c.counterResetHeader === CounterResetHeader.Gauge;
    if (gauge !== (x.counterResetHint === CounterResetHint.Gauge)) return undefined;
    if (!gauge && isCounterResetBetween(last, x, this.lastFloat, isFloat)) return undefined;
    const pos = unionIndexes(l.positiveSpans, x.positiveSpans);
    const neg = unionIndexes(l.negativeSpans, x.negativeSpans);
    let chunk = c;
    if (pos.length !== countSpans(l.positiveSpans) || neg.length !== countSpans(l.negativeSpans)) {
      chunk = this.newChunk(isFloat);
      chunk.counterResetHeader = c.counterResetHeader;
      for (const s of c.samples()) {
        const y = isStaleNaN(s.h.sum) ? s.h : inLayout(s.h, pos, neg, isFloat);
        if (isFloat) (chunk as FloatHistogramChunk).append(s.t, y as FloatHistogram, s.st);
        else (chunk as HistogramChunk).append(s.t, y as Histogram, s.st);
      }
    }
    return { chunk, x: inLayout(x, pos, neg, isFloat) };
  }

  /** Moves the open chunk to the completed ones. */
  close(): void {
    const c = this.head;
    if (c === undefined || c.numSamples === 0) return;
    this.closed = [
      ...this.closed,
      { mint: c.minTime, maxt: c.maxTime, enc: c.encoding, data: c.bytes().slice() },
    ];
    this.head = undefined;
  }

  /** Every chunk (the open one as its bytes now), oldest first. */
  chunks(): ClosedHistogramChunk[] {
    const out = [...this.closed];
    const c = this.head;
    if (c !== undefined && c.numSamples > 0)
      out.push({ mint: c.minTime, maxt: c.maxTime, enc: c.encoding, data: c.bytes() });
    return out;
  }

  get minTime(): number {
    return this.closed.length > 0 ? this.closed[0].mint : (this.head?.minTime ?? Infinity);
  }

  get chunkCount(): number {
    return this.closed.length + (this.head !== undefined && this.head.numSamples > 0 ? 1 : 0);
  }

  /** Drops completed chunks ending before `mint`; true when nothing is left. */
  truncateBefore(mint: number): boolean {
    if (this.closed.length > 0 && this.closed[0].maxt < mint)
      this.closed = this.closed.filter((c) => c.maxt >= mint);
    if (this.head !== undefined && this.head.numSamples > 0 && this.head.maxTime < mint) {
      this.head = undefined;
      this.last = undefined;
    }
    return this.closed.length === 0 && this.head === undefined;
  }
}

/**
 * The samples of histogram chunks within [mint, maxt], in time order. Chunks may overlap (out-of-order
 * ones after the in-order ones): then the first sample met at a time is kept.
 */
export function histogramSamples(
  chunks: readonly ClosedHistogramChunk[],
  mint: number,
  maxt: number,
): HistogramSample[] {
  const out = chunkSamples(chunks, mint, maxt);
  for (let i = 1; i < out.length; i++) {
    if (out[i].t > out[i - 1].t) continue;
    // overlapping chunks: a stable sort keeps the earlier chunk's sample first at equal times
    const sorted = out.map((x, k) => ({ x, k })).sort((a, b) => a.x.t - b.x.t || a.k - b.k);
    const dedup: HistogramSample[] = [];
    for (const { x } of sorted) if (dedup.length === 0 || dedup[dedup.length - 1].t !== x.t) dedup.push(x);
    return dedup;
  }
  return out;
}

function chunkSamples(
  chunks: readonly ClosedHistogramChunk[],
  mint: number,
  maxt: number,
): HistogramSample[] {
  const out: HistogramSample[] = [];
  for (const c of chunks) {
    if (c.maxt < mint || c.mint > maxt) continue;
    if (c.enc === ENC_HISTOGRAM || c.enc === ENC_HISTOGRAM_ST) {
      for (const s of HistogramChunk.fromBytes(c.data, c.enc === ENC_HISTOGRAM_ST).samples())
        if (s.t >= mint && s.t <= maxt)
          out.push(s.st === undefined ? { t: s.t, h: s.h } : { t: s.t, h: s.h, st: s.st });
    } else if (c.enc === ENC_FLOAT_HISTOGRAM || c.enc === ENC_FLOAT_HISTOGRAM_ST) {
      for (const s of FloatHistogramChunk.fromBytes(c.data, c.enc === ENC_FLOAT_HISTOGRAM_ST).samples())
        if (s.t >= mint && s.t <= maxt)
          out.push(s.st === undefined ? { t: s.t, fh: s.h } : { t: s.t, fh: s.h, st: s.st });
    }
  }
  return out;
}

/** A new chunk's header from its first sample's hint ("not a reset" says nothing about the chunk before). */
function initialHeader(x: Histogram | FloatHistogram): CounterResetHeader {
  return x.counterResetHint === CounterResetHint.NotCounterReset
    ? CounterResetHeader.Unknown
    : headerForHint(x.counterResetHint);
}

function resetHeader(
  last: Histogram | FloatHistogram | undefined,
  lastFloat: boolean,
  x: Histogram | FloatHistogram,
  isFloat: boolean,
): CounterResetHeader {
  if (x.counterResetHint === CounterResetHint.Gauge) return CounterResetHeader.Gauge;
  if (x.counterResetHint === CounterResetHint.CounterReset) return CounterResetHeader.CounterReset;
  if (last === undefined || isStaleNaN(last.sum)) return CounterResetHeader.Unknown;
  return isCounterResetBetween(last, x, lastFloat, isFloat)
    ? CounterResetHeader.CounterReset
    : CounterResetHeader.Unknown;
}

/** The bucket indexes of both span lists, ascending. */
function unionIndexes(a: readonly Span[], b: readonly Span[]): number[] {
  return [...new Set([...bucketIndexes(a), ...bucketIndexes(b)])].sort((x, y) => x - y);
}

/** h with its buckets at the given indexes (a superset of its own), the new ones empty. */
function inLayout<T extends Histogram | FloatHistogram>(
  h: T,
  pos: number[],
  neg: number[],
  isFloat: boolean,
): T {
  const side = (spans: readonly Span[], buckets: readonly number[], idx: readonly number[]): number[] => {
    const byIdx = new Map<number, number>();
    let cur = 0;
    bucketIndexes(spans).forEach((j, i) => byIdx.set(j, isFloat ? buckets[i] : (cur += buckets[i])));
    const abs = idx.map((j) => byIdx.get(j) ?? 0);
    return isFloat ? abs : abs.map((v, i) => (i === 0 ? v : v - abs[i - 1]));
  };
  return {
    ...h,
    positiveSpans: spansForIndexes(pos),
    positiveBuckets: side(h.positiveSpans, h.positiveBuckets, pos),
    negativeSpans: spansForIndexes(neg),
    negativeBuckets: side(h.negativeSpans, h.negativeBuckets, neg),
  };
}
