// The native histogram samples of one head series: completed histogram chunks (Prometheus's byte
// layout, chunks/histogram.ts) and the open one. A chunk is cut, as Prometheus's head cuts them, when
// the kind changes (integer / float histogram), the bucket layout changes (Prometheus recodes the chunk
// instead; we start a new one), after a stale marker, on a counter reset (count or zero count going
// down, a schema increase, a zero threshold decrease, or the sample's own reset hint), when a gauge
// histogram follows counter histograms or back, and at 120 samples or ~1 KiB.
import {
  CounterResetHint,
  detectReset,
  toFloatHistogram,
  type FloatHistogram,
  type Histogram,
} from '../model/histogram.js';
import { isStaleNaN } from '../model/value.js';
import type { HistogramSample } from '../storage/interfaces.js';
import {
  CounterResetHeader,
  ENC_FLOAT_HISTOGRAM,
  ENC_HISTOGRAM,
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
  /** Prometheus's chunk encoding: 2 histogram, 3 float histogram. */
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

  /** Appends a histogram newer than every sample of the series; true when a chunk was cut. */
  append(t: number, h: Histogram | undefined, fh: FloatHistogram | undefined): boolean {
    const x = (h ?? fh)!;
    const isFloat = h === undefined;
    let c = this.head;
    let header: CounterResetHeader | undefined;
    if (c === undefined) header = initialHeader(x);
    else if (c instanceof FloatHistogramChunk !== isFloat || !c.fits(x as Histogram)) {
      header = isStaleNaN(x.sum)
        ? CounterResetHeader.Unknown
        : resetHeader(this.last, this.lastFloat, x, isFloat);
    } else if (!isStaleNaN(x.sum) && this.last !== undefined && !isStaleNaN(this.last.sum)) {
      const gauge = x.counterResetHint === CounterResetHint.Gauge;
      if (gauge !== (c.counterResetHeader === CounterResetHeader.Gauge)) header = initialHeader(x);
      else if (!gauge && isReset(this.last, x, this.lastFloat, isFloat))
        header = CounterResetHeader.CounterReset;
    }
    if (header === undefined && c !== undefined) {
      const n = c.numSamples;
      if (n >= MAX_SAMPLES || (n >= MIN_SAMPLES && c.bytes().length >= TARGET_BYTES))
        header =
          c.counterResetHeader === CounterResetHeader.Gauge
            ? CounterResetHeader.Gauge
            : CounterResetHeader.NotCounterReset;
    }
    if (header !== undefined) {
      this.close();
      c = isFloat ? new FloatHistogramChunk() : new HistogramChunk();
      c.counterResetHeader = header;
      this.head = c;
    }
    if (isFloat) (c as FloatHistogramChunk).append(t, fh!);
    else (c as HistogramChunk).append(t, h!);
    this.last = x;
    this.lastFloat = isFloat;
    return header !== undefined;
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

/** The samples of histogram chunks within [mint, maxt]. */
export function histogramSamples(
  chunks: readonly ClosedHistogramChunk[],
  mint: number,
  maxt: number,
): HistogramSample[] {
  const out: HistogramSample[] = [];
  for (const c of chunks) {
    if (c.maxt < mint || c.mint > maxt) continue;
    if (c.enc === ENC_HISTOGRAM) {
      for (const s of HistogramChunk.fromBytes(c.data).samples())
        if (s.t >= mint && s.t <= maxt) out.push({ t: s.t, h: s.h });
    } else if (c.enc === ENC_FLOAT_HISTOGRAM) {
      for (const s of FloatHistogramChunk.fromBytes(c.data).samples())
        if (s.t >= mint && s.t <= maxt) out.push({ t: s.t, fh: s.h });
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
  return isReset(last, x, lastFloat, isFloat) ? CounterResetHeader.CounterReset : CounterResetHeader.Unknown;
}

/**
 * A counter reset between two histograms of one series: Prometheus's DetectReset (the total, the
 * zero bucket or any bucket going down, a schema increase, a zero threshold decrease); the kinds of
 * the two samples as they were appended.
 */
function isReset(
  prev: Histogram | FloatHistogram,
  cur: Histogram | FloatHistogram,
  prevFloat: boolean,
  curFloat: boolean,
): boolean {
  const f = (x: Histogram | FloatHistogram, isFloat: boolean): FloatHistogram =>
    isFloat ? (x as FloatHistogram) : toFloatHistogram(x as Histogram);
  // the hint "not a reset" only speaks for the sample's own scrape; the data decides here
  const c = {
    ...f(cur, curFloat),
    counterResetHint:
      cur.counterResetHint === CounterResetHint.CounterReset
        ? CounterResetHint.CounterReset
        : CounterResetHint.Unknown,
  };
  return detectReset(c, f(prev, prevFloat));
}
