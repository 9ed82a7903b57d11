// An in-memory store with the head's append rules, for tests of the scraper, engine and API.
// No WAL, no chunks, no out-of-bounds window: series and their samples in growable typed arrays.
import {
  CounterResetHint,
  isCounterResetBetween,
  type FloatHistogram,
  type Histogram,
} from '../model/histogram.js';
import type { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { floatWords, isStaleNaN, sameBits } from '../model/value.js';
import {
  labelNamesForMatchers,
  labelValuesForMatchers,
  MemPostings,
  postingsForMatchers,
} from '../tsdb/postings.js';
import { errAppenderClosed, errDuplicateSample, errInvalidSample, errOutOfOrderSample } from './errors.js';
import {
  compareLabels,
  type Appendable,
  type Appender,
  type HistogramSample,
  type Querier,
  type Queryable,
  type SampleBatch,
  type SelectHints,
  type Series,
  type SeriesRef,
  type SeriesSet,
} from './interfaces.js';

const scratch = new Uint32Array(2);

/** Stores v's bits at sample i of a words view (little-endian: low word first). */
function putValue(words: Uint32Array, i: number, v: number): void {
  floatWords(v, scratch, 0);
  words[2 * i] = scratch[1];
  words[2 * i + 1] = scratch[0];
}

function sameBounds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** One series: timestamps and values (values kept as raw words so NaN payloads survive). */
class MemSeries {
  t = new Float64Array(8);
  v = new Float64Array(8);
  words = new Uint32Array(this.v.buffer);
  length = 0;
  /** Start timestamps aligned with t, from the first sample that had one (0: unknown). */
  st: Float64Array | undefined;
  /** Native histogram samples, time-ordered (apart from the float samples). */
  hists: HistogramSample[] = [];
  /** The head chunk its histograms would be in: samples so far, gauge or not (for read-back hints). */
  private histChunkSamples = 0;
  private histChunkGauge = false;

  /**
   * Stores a histogram with the counter-reset hint Prometheus's head gives it back: the head cuts a
   * chunk on the first sample, a kind or gauge change, a counter reset (or a reset hint), a schema,
   * zero threshold or custom bounds change, after a stale marker and every 120 samples (buckets
   * appearing only recode it); a chunk's first sample reads back "unknown" (the chunk before may be
   * gone), the others "not a reset", and every sample of a gauge chunk "gauge".
   */
  pushHistogram(x: HistogramSample): void {
    const cur = (x.h ?? x.fh)!;
    const curFloat = x.h === undefined;
    const last = this.hists[this.hists.length - 1];
    const prev = last === undefined ? undefined : (last.h ?? last.fh)!;
    const prevFloat = last?.h === undefined;
    const gauge = cur.counterResetHint === CounterResetHint.Gauge;
    let cut =
      prev === undefined ||
      prevFloat !== curFloat ||
      gauge !== this.histChunkGauge ||
      this.histChunkSamples >= 120;
    if (!cut && !gauge && !isStaleNaN(cur.sum)) {
      cut =
        isStaleNaN(prev!.sum) ||
        cur.counterResetHint === CounterResetHint.CounterReset ||
        cur.schema !== prev!.schema ||
        cur.zeroThreshold !== prev!.zeroThreshold ||
        !sameBounds(cur.customValues, prev!.customValues) ||
        isCounterResetBetween(prev!, cur, prevFloat, curFloat);
    }
    if (cut) {
      this.histChunkSamples = 0;
      this.histChunkGauge = gauge;
    }
    const hint = gauge
      ? CounterResetHint.Gauge
      : this.histChunkSamples === 0
        ? CounterResetHint.Unknown
        : CounterResetHint.NotCounterReset;
    this.histChunkSamples++;
    const stored: HistogramSample =
      x.h !== undefined
        ? { t: x.t, h: { ...x.h, counterResetHint: hint } }
        : { t: x.t, fh: { ...x.fh!, counterResetHint: hint } };
    if (x.st !== undefined && x.st !== 0) stored.st = x.st;
    this.hists.push(stored);
  }

  constructor(
    readonly ref: SeriesRef,
    readonly labels: Labels,
  ) {}

  lastT(): number {
    return this.t[this.length - 1];
  }

  lastV(): number {
    return this.v[this.length - 1];
  }

  push(t: number, words: Uint32Array, at: number, st: number): void {
    if (this.length === this.t.length) {
      const t2 = new Float64Array(this.length * 2);
      t2.set(this.t);
      const v2 = new Float64Array(this.length * 2);
      const w2 = new Uint32Array(v2.buffer);
      w2.set(this.words);
      this.t = t2;
      this.v = v2;
      this.words = w2;
      if (this.st !== undefined) {
        const s2 = new Float64Array(this.length * 2);
        s2.set(this.st);
        this.st = s2;
      }
    }
    if (st !== 0) this.st ??= new Float64Array(this.t.length);
    if (this.st !== undefined) this.st[this.length] = st;
    this.t[this.length] = t;
    this.words[2 * this.length] = words[2 * at];
    this.words[2 * this.length + 1] = words[2 * at + 1];
    this.length++;
  }

  /** Index of the first sample with timestamp >= t, among the first n. */
  lowerBound(t: number, n: number): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A copy of samples [lo, hi), values bit for bit. */
  copy(lo: number, hi: number): SampleBatch {
    const t = this.t.slice(lo, hi);
    const v = new Float64Array(hi - lo);
    new Uint32Array(v.buffer).set(this.words.subarray(2 * lo, 2 * hi));
    if (this.st === undefined) return { t, v, length: hi - lo };
    return { t, v, length: hi - lo, st: this.st.slice(lo, hi) };
  }
}

/** Samples pending in an appender, columnar. */
class SampleBuffer {
  series: MemSeries[] = [];
  t = new Float64Array(16);
  words = new Uint32Array(32);
  st = new Float64Array(16);

  get length(): number {
    return this.series.length;
  }

  push(s: MemSeries, t: number, v: number, st: number): void {
    const i = this.series.length;
    if (i === this.t.length) {
      const t2 = new Float64Array(i * 2);
      t2.set(this.t);
      const w2 = new Uint32Array(i * 4);
      w2.set(this.words);
      const s2 = new Float64Array(i * 2);
      s2.set(this.st);
      this.t = t2;
      this.words = w2;
      this.st = s2;
    }
    this.series.push(s);
    this.t[i] = t;
    this.st[i] = st;
    putValue(this.words, i, v);
  }
}

export class MemoryStorage implements Appendable, Queryable {
  private readonly byHash = new Map<number, MemSeries[]>();
  private readonly byRef: MemSeries[] = [];
  private readonly index = new MemPostings();
  private minTime = Infinity;
  private maxTime = -Infinity;

  /** Number of series, including those created by appends that were rolled back (as the head). */
  get numSeries(): number {
    return this.byRef.length;
  }

  appender(): Appender {
    return new MemoryAppender(this);
  }

  querier(mint: number, maxt: number): Querier {
    return new MemoryQuerier(this, mint, maxt);
  }

  /**
   * Appends and commits samples of one series at once ([t, v] or [t, v, start timestamp]); throws
   * the first append error. For tests.
   */
  add(
    labels: Labels,
    samples: Iterable<readonly [number, number] | readonly [number, number, number]>,
  ): void {
    const app = new MemoryAppender(this);
    let ref = 0;
    try {
      for (const [t, v, st] of samples) ref = app.append(ref, labels, t, v, st);
    } catch (err) {
      app.rollback();
      throw err;
    }
    app.commitNow();
  }

  /** @internal */
  seriesByRef(ref: SeriesRef): MemSeries | undefined {
    return ref > 0 ? this.byRef[ref - 1] : undefined;
  }

  /** @internal Finds or creates the series (eagerly, before commit, as the head does). */
  getOrCreate(labels: Labels): MemSeries {
    if (labels.size === 0) throw errInvalidSample('empty labelset');
    const h = labels.hash();
    let bucket = this.byHash.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.byHash.set(h, bucket);
    }
    for (const s of bucket) if (s.labels.equals(labels)) return s;
    const s = new MemSeries(this.byRef.length + 1, labels);
    this.byRef.push(s);
    bucket.push(s);
    this.index.add(s.ref, labels);
    return s;
  }

  /** @internal */
  applyCommitted(buf: SampleBuffer): void {
    for (let i = 0; i < buf.length; i++) {
      const s = buf.series[i];
      const t = buf.t[i];
      // re-checked against what has landed since Append: out of order and duplicates are dropped
      if (s.length > 0 && t <= s.lastT()) continue;
      s.push(t, buf.words, i, buf.st[i]);
      if (t < this.minTime) this.minTime = t;
      if (t > this.maxTime) this.maxTime = t;
    }
  }

  /** @internal */
  select(matchers: readonly Matcher[], mint: number, maxt: number): MemorySeries[] {
    const out: MemorySeries[] = [];
    for (const ref of postingsForMatchers(this.index, matchers)) {
      const s = this.byRef[ref - 1];
      const n = s.length;
      const lo = s.lowerBound(mint, n);
      const hi = s.lowerBound(maxt + 1, n);
      const hists = s.hists.filter((x) => x.t >= mint && x.t <= maxt);
      // the head does not return series without samples in range
      if (lo < hi || hists.length > 0) out.push(new MemorySeries(s, lo, hi, hists));
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  /** @internal Whether any data overlaps [mint, maxt] (the head's check before label lookups). */
  overlaps(mint: number, maxt: number): boolean {
    return this.minTime <= maxt && mint <= this.maxTime;
  }

  /** @internal */
  labelNames(matchers: readonly Matcher[]): string[] {
    return labelNamesForMatchers(this.index, matchers, (ref) => this.byRef[ref - 1]?.labels);
  }

  /** @internal */
  labelValues(name: string, matchers: readonly Matcher[]): string[] {
    return labelValuesForMatchers(this.index, name, matchers, (ref) => this.byRef[ref - 1]?.labels);
  }
}

class MemoryAppender implements Appender {
  private buf = new SampleBuffer();
  private hists: Array<{ s: MemSeries; x: HistogramSample }> = [];
  private closed = false;

  constructor(private readonly storage: MemoryStorage) {}

  append(ref: SeriesRef, labels: Labels, t: number, v: number, st = 0): SeriesRef {
    if (this.closed) throw errAppenderClosed();
    const s = this.storage.seriesByRef(ref) ?? this.storage.getOrCreate(labels);
    // checked against committed samples only, as Prometheus's memSeries.appendable
    if (s.length > 0) {
      const last = s.lastT();
      if (t < last) throw errOutOfOrderSample();
      if (t === last && !sameBits(s.lastV(), v)) throw errDuplicateSample(t, s.lastV(), v);
    }
    this.buf.push(s, t, v, st);
    return s.ref;
  }

  /** Native histograms: kept apart from floats, in time order (an older or equal time is refused). */
  appendHistogram(
    ref: SeriesRef,
    labels: Labels,
    t: number,
    h: Histogram | undefined,
    fh: FloatHistogram | undefined,
    st = 0,
  ): SeriesRef {
    if (this.closed) throw errAppenderClosed();
    const s = this.storage.seriesByRef(ref) ?? this.storage.getOrCreate(labels);
    const last = s.hists[s.hists.length - 1];
    if (last !== undefined && t <= last.t) throw errOutOfOrderSample();
    const x: HistogramSample = h !== undefined ? { t, h } : { t, fh };
    if (st !== 0) x.st = st;
    this.hists.push({ s, x });
    return s.ref;
  }

  commit(): Promise<void> {
    if (this.closed) return Promise.reject(errAppenderClosed());
    this.commitNow();
    return Promise.resolve();
  }

  /** @internal */
  commitNow(): void {
    this.closed = true;
    this.storage.applyCommitted(this.buf);
    this.buf = new SampleBuffer();
    for (const { s, x } of this.hists) {
      const last = s.hists[s.hists.length - 1];
      if (last === undefined || x.t > last.t) s.pushHistogram(x);
    }
    this.hists = [];
  }

  rollback(): void {
    this.closed = true;
    this.buf = new SampleBuffer();
  }
}

class MemorySeries implements Series {
  readonly labels: Labels;

  constructor(
    private readonly s: MemSeries,
    private readonly lo: number,
    private readonly hi: number,
    private readonly hists: HistogramSample[],
  ) {
    this.labels = s.labels;
  }

  samples(): SampleBatch {
    return this.s.copy(this.lo, this.hi);
  }

  histograms(): HistogramSample[] {
    return this.hists;
  }
}

class MemoryQuerier implements Querier {
  private closed = false;

  constructor(
    private readonly storage: MemoryStorage,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Hints' start and end replace the querier's range, as in Prometheus's block querier. */
  select(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet {
    if (this.closed) return seriesSet([]);
    const mint = hints?.start ?? this.mint;
    const maxt = hints?.end ?? this.maxt;
    return seriesSet(this.storage.select(matchers, mint, maxt));
  }

  labelNames(matchers: readonly Matcher[] = []): string[] {
    if (this.closed || !this.storage.overlaps(this.mint, this.maxt)) return [];
    return this.storage.labelNames(matchers);
  }

  labelValues(name: string, matchers: readonly Matcher[] = []): string[] {
    if (this.closed || !this.storage.overlaps(this.mint, this.maxt)) return [];
    return this.storage.labelValues(name, matchers);
  }

  close(): void {
    this.closed = true;
  }
}

/** A series set over an array already sorted by labels. */
export function seriesSet(series: readonly Series[], warnings: readonly string[] = []): SeriesSet {
  return {
    warnings,
    [Symbol.iterator]: () => series[Symbol.iterator](),
  };
}
