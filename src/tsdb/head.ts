// The head: recent data in memory (series with open XOR chunks) plus its label index, fed by
// appenders whose commits go to the WAL first. Behaviour follows Prometheus's tsdb/head*.go (see
// the spec notes in each method).
import type { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { isStaleNaN, sameBits } from '../model/value.js';
import type {
  AppendOptions,
  Appender,
  HistogramSample,
  Querier,
  SampleBatch,
  Series,
  SeriesSet,
  SeriesRef,
} from '../storage/interfaces.js';
import { compareLabels } from '../storage/interfaces.js';
import {
  StorageError,
  errAppenderClosed,
  errDuplicateSample,
  errInvalidSample,
  errOutOfBounds,
  errOutOfOrderSample,
  errTooOldSample,
} from '../storage/errors.js';
import { XORChunk } from './chunks/xor.js';
import {
  APPEND_DROPPED,
  APPEND_NEW_CHUNK,
  MemSeries,
  openClosedChunk,
  type ClosedChunk,
  type FloatChunk,
} from './head-series.js';
import { XOR2Chunk } from './chunks/xor2.js';
import { HeadPostings } from './head-postings.js';
import { OOOSamples, oooChunks, oooHistogramChunks, sortSamples } from './ooo.js';
import { mergeHistogramSamples } from '../storage/merge.js';
import { HistogramPart, histogramSamples } from './head-histograms.js';
import { encodeHistogramSamples, type RefHistogramSample } from './wal/histogram-records.js';
import { validateHistogram, type FloatHistogram, type Histogram } from '../model/histogram.js';
import { postingsForMatchers } from './postings.js';
import { encodeSamples, encodeSeries, encodeTombstones } from './wal/records.js';
import type { WAL } from './wal/wal.js';
import type { TSDBMetrics } from './metrics.js';
import { SeriesByRef } from './series-by-ref.js';

export interface Interval {
  mint: number;
  maxt: number;
}

export interface HeadOptions {
  chunkRange: number;
  wal?: WAL;
  metrics: TSDBMetrics;
  /** Called after a commit that left the head compactable. */
  onCompactable?: () => void;
  /** st-storage: keep each sample's start timestamp (XOR2 and histogram ST chunks, WAL records). */
  stStorage?: boolean;
}

/** The byHash key of a label set: its hash's low 32 bits, as an int32. */
function hashKey(labels: Labels): number {
  return labels.hash() | 0;
}

export class Head {
  /** Series by ref (pages of an array: the append path looks a series up by ref per sample). */
  readonly series = new SeriesByRef<MemSeries>();
  /**
   * Series by hashKey of their labels (series whose keys collide share an array). The key is the
   * hash's low 32 bits: a small integer is kept in the map's table itself, where the 53-bit hash
   * would be a 16-byte heap number per series; collisions are resolved by comparing labels anyway.
   */
  private readonly byHash = new Map<number, MemSeries | MemSeries[]>();
  readonly postings = new HeadPostings();
  readonly tombstones = new Map<number, Interval[]>();
  private nextRef = 1;
  /** Chunks held, open and completed. */
  private chunks = 0;
  minTime = Infinity;
  maxTime = -Infinity;
  /** No sample older than this is accepted (the end of the newest persisted block). */
  minValidTime = -Infinity;
  readonly chunkRange: number;
  /** storage.tsdb.out_of_order_time_window in ms; 0: samples older than a series' newest are refused. */
  oooWindow = 0;
  /** The write-behind log of out-of-order samples (Prometheus's wbl/), while OOO is or was enabled. */
  wbl: WAL | undefined;
  /** Bounds of the out-of-order samples held (Infinity / -Infinity when none). */
  oooMinTime = Infinity;
  oooMaxTime = -Infinity;
  private wal: WAL | undefined;
  readonly metrics: TSDBMetrics;
  private readonly onCompactable: (() => void) | undefined;
  /** Whether samples keep their start timestamps (st-storage). */
  readonly stStorage: boolean;

  constructor(opts: HeadOptions) {
    this.stStorage = opts.stStorage === true;
    this.chunkRange = opts.chunkRange;
    this.wal = opts.wal;
    this.metrics = opts.metrics;
    this.onCompactable = opts.onCompactable;
  }

  /** Commits go to this WAL from now on (after replay). */
  attachWAL(wal: WAL): void {
    this.wal = wal;
  }

  get numSeries(): number {
    return this.series.size;
  }

  /** Chunks held, open and completed (kept as a count; chunkCount() recounts them). */
  get numChunks(): number {
    return this.chunks;
  }

  /** The series with these labels, created (and indexed) when new. */
  getOrCreate(labels: Labels): { series: MemSeries; created: boolean } {
    const key = hashKey(labels);
    const found = this.byHash.get(key);
    if (found !== undefined) {
      if (!Array.isArray(found)) {
        if (found.labels.equals(labels)) return { series: found, created: false };
      } else {
        for (const s of found) if (s.labels.equals(labels)) return { series: s, created: false };
      }
    }
    return { series: this.create(this.nextRef++, labels, key), created: true };
  }

  /** Re-creates a series under a known ref (WAL replay). */
  createWithRef(ref: number, labels: Labels): MemSeries {
    const existing = this.series.get(ref);
    if (existing !== undefined) return existing;
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    return this.create(ref, labels, hashKey(labels));
  }

  private create(ref: number, labels: Labels, key: number): MemSeries {
    const s = new MemSeries(ref, labels);
    this.series.set(ref, s);
    const found = this.byHash.get(key);
    if (found === undefined) this.byHash.set(key, s);
    else if (Array.isArray(found)) found.push(s);
    else this.byHash.set(key, [found, s]);
    this.postings.add(ref, labels.pairs);
    this.metrics.headSeriesCreated.inc();
    return s;
  }

  /** Appends a committed or replayed sample; false when it was dropped (not newer). */
  applySample(s: MemSeries, t: number, v: number, st = 0): boolean {
    const r = s.append(t, v, this.chunkRange, st, this.stStorage);
    if (r === APPEND_DROPPED) return false;
    if (r === APPEND_NEW_CHUNK) {
      this.chunks++;
      this.metrics.headChunksCreated.inc();
    }
    if (t < this.minTime) this.minTime = t;
    if (t > this.maxTime) this.maxTime = t;
    return true;
  }

  /** Appends a committed or replayed native histogram sample; false when it is not newer (dropped). */
  applyHistogram(
    s: MemSeries,
    t: number,
    h: Histogram | undefined,
    fh: FloatHistogram | undefined,
    st = 0,
  ): boolean {
    if (t <= s.maxTime) return false;
    s.hist ??= new HistogramPart(this.stStorage);
    if (s.hist.append(t, h, fh, st)) {
      this.chunks++;
      this.metrics.headChunksCreated.inc();
    }
    if (t < s.minTime) s.minTime = t;
    s.maxTime = t;
    if (t < this.minTime) this.minTime = t;
    if (t > this.maxTime) this.maxTime = t;
    return true;
  }

  /** Adds an out-of-order sample (committed or replayed); false when one at `t` is already held. */
  applyOOO(s: MemSeries, t: number, v: number): boolean {
    s.ooo ??= new OOOSamples();
    if (!s.ooo.insert(t, v)) return false;
    if (t < this.oooMinTime) this.oooMinTime = t;
    if (t > this.oooMaxTime) this.oooMaxTime = t;
    return true;
  }

  /** Adds an out-of-order native histogram (committed or replayed); false when one at `t` is held. */
  applyOOOHistogram(s: MemSeries, x: HistogramSample): boolean {
    s.ooo ??= new OOOSamples();
    if (!s.ooo.insertHistogram(x)) return false;
    if (x.t < this.oooMinTime) this.oooMinTime = x.t;
    if (x.t > this.oooMaxTime) this.oooMaxTime = x.t;
    return true;
  }

  /** Recomputes the out-of-order bounds (after an out-of-order compaction). */
  updateOOOBounds(): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.series.values()) {
      for (const o of [s.ooo, s.oooCompacting]) {
        if (o === undefined || o.size === 0) continue;
        if (o.minTime < min) min = o.minTime;
        if (o.maxTime > max) max = o.maxTime;
      }
    }
    this.oooMinTime = min;
    this.oooMaxTime = max;
  }

  /** The oldest time a query may find in the head: in-order or out-of-order. */
  queryMinTime(): number {
    return Math.min(this.minTime, this.oooMinTime);
  }

  /** Appenders made and not yet committed or rolled back (prometheus_tsdb_head_active_appenders). */
  activeAppenders = 0;

  appender(): Appender {
    this.activeAppenders++;
    return new HeadAppender(this, this.wal, this.appendColumns.pop() ?? newAppendColumns());
  }

  /**
   * Column buffers of finished appenders, for the next ones. Each scrape makes an appender, which
   * grew its columns from 256 samples to the target's size and dropped them: with 100 targets that
   * was a quarter of the bytes the scrape path allocated, and the collector's time with it.
   */
  private readonly appendColumns: AppendColumns[] = [];

  /** Takes back an appender's columns; `used` of them hold series references, which are cleared. */
  releaseColumns(c: AppendColumns, used: number): void {
    c.pending.fill(undefined, 0, used);
    if (this.appendColumns.length < MAX_POOLED_COLUMNS && c.refs.length <= MAX_POOLED_SAMPLES)
      this.appendColumns.push(c);
  }

  /** Prometheus's compactable(): the head spans more than 1.5 chunk ranges. */
  compactable(): boolean {
    return this.minTime !== Infinity && this.maxTime - this.minTime > (this.chunkRange / 2) * 3;
  }

  notifyCommitted(): void {
    if (this.onCompactable !== undefined && this.compactable()) this.onCompactable();
  }

  /** Drops data before `mint` (after it was persisted in a block) and series left empty. */
  truncateBefore(mint: number): void {
    if (mint > this.minValidTime) this.minValidTime = mint;
    const removed = new Set<number>();
    for (const s of this.series.values()) {
      if (s.truncateBefore(mint)) removed.add(s.ref);
    }
    for (const ref of removed) {
      const s = this.series.get(ref)!;
      this.series.delete(ref);
      const key = hashKey(s.labels);
      const found = this.byHash.get(key);
      if (Array.isArray(found)) {
        const rest = found.filter((x) => x !== s);
        this.byHash.set(key, rest.length === 1 ? rest[0] : rest);
      } else this.byHash.delete(key);
      this.tombstones.delete(ref);
    }
    if (removed.size > 0) this.postings.retain((ref) => !removed.has(ref));
    for (const [ref, ivs] of this.tombstones) {
      const kept = ivs.filter((iv) => iv.maxt >= mint);
      if (kept.length === 0) this.tombstones.delete(ref);
      else this.tombstones.set(ref, kept);
    }
    let min = Infinity;
    for (const s of this.series.values()) if (s.minTime < min) min = s.minTime;
    this.minTime =
      min === Infinity
        ? this.maxTime === -Infinity
          ? Infinity
          : Math.max(mint, this.maxTime)
        : Math.max(min, mint);
    const before = this.chunks;
    this.chunks = this.chunkCount();
    if (before > this.chunks) this.metrics.headChunksRemoved.inc(before - this.chunks);
    this.metrics.headSeriesRemoved.inc(removed.size);
  }

  /** Deletes (hides) samples in [mint, maxt] of matching series; logged to the WAL as tombstones. */
  deleteRange(matchers: readonly Matcher[], mint: number, maxt: number): number {
    const refs = postingsForMatchers(this.postings, matchers);
    const added: Array<{ ref: number; mint: number; maxt: number }> = [];
    for (const ref of refs) {
      const s = this.series.get(ref);
      if (s === undefined || !s.overlaps(mint, maxt)) continue;
      const lo = Math.max(mint, Math.min(s.minTime, s.ooo?.minTime ?? Infinity));
      const hi = Math.min(maxt, Math.max(s.maxTime, s.ooo?.maxTime ?? -Infinity));
      if (lo > hi) continue;
      added.push({ ref, mint: lo, maxt: hi });
    }
    if (added.length === 0) return 0;
    this.wal?.log(encodeTombstones(added));
    for (const iv of added) this.addTombstone(iv.ref, { mint: iv.mint, maxt: iv.maxt });
    return added.length;
  }

  addTombstone(ref: number, iv: Interval): void {
    this.tombstones.set(ref, mergeIntervals([...(this.tombstones.get(ref) ?? []), iv]));
  }

  querier(mint: number, maxt: number): Querier {
    return new HeadQuerier(this, mint, maxt);
  }

  /** Number of chunks held (open and completed). */
  chunkCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.chunkCount;
    return n;
  }
}

/** Closed intervals merged when they overlap or touch. */
export function mergeIntervals(ivs: Interval[]): Interval[] {
  const sorted = [...ivs].sort((a, b) => a.mint - b.mint);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && iv.mint <= last.maxt + 1) last.maxt = Math.max(last.maxt, iv.maxt);
    else out.push({ mint: iv.mint, maxt: iv.maxt });
  }
  return out;
}

/** An appender's samples: series refs, times, values and the series, by index. */
interface AppendColumns {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  /** Entries past the appender's count are undefined (cleared when the columns were released). */
  pending: Array<MemSeries | undefined>;
}

const newAppendColumns = (): AppendColumns => ({
  refs: new Uint32Array(256),
  ts: new Float64Array(256),
  vs: new Float64Array(256),
  pending: [],
});

/** Pooled column sets at most (about as many as appenders commit at once), and their size at most. */
const MAX_POOLED_COLUMNS = 64;
const MAX_POOLED_SAMPLES = 1 << 16;

/** Buffers samples until commit: WAL first, then the series (spec §1.2, §1.3). */
class HeadAppender implements Appender {
  /** Start timestamps (st-storage), allocated when the first sample has one. */
  private sts: Float64Array | undefined;
  /** Samples held in `c`. */
  private n = 0;
  /** Native histogram samples of this batch. */
  private hists: Array<RefHistogramSample & { s: MemSeries }> = [];
  private readonly newSeries: MemSeries[] = [];
  private readonly minValidTime: number;
  /** The head's newest time and OOO window when the appender was made (as Prometheus's headAppender). */
  private readonly headMaxt: number;
  private readonly oooWindow: number;
  private discardOutOfOrder = false;
  private closed = false;

  constructor(
    private readonly head: Head,
    private readonly wal: WAL | undefined,
    /** The samples so far (pooled: see Head.releaseColumns). */
    private readonly c: AppendColumns,
  ) {
    // Fixed when the appender is made, as Prometheus's appendableMinValidTime.
    const h = head;
    this.minValidTime =
      h.maxTime === -Infinity ? h.minValidTime : Math.max(h.maxTime - h.chunkRange / 2, h.minValidTime);
    this.headMaxt = h.maxTime;
    this.oooWindow = h.oooWindow;
  }

  setOptions(opts: AppendOptions | undefined): void {
    this.discardOutOfOrder = opts?.discardOutOfOrder === true;
  }

  /** Whether `t` goes out of order (Prometheus's memSeries.appendable with a window). */
  private inOOOWindow(t: number): boolean {
    return this.oooWindow > 0 && this.headMaxt !== -Infinity && t >= this.headMaxt - this.oooWindow;
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number, st = 0): SeriesRef {
    if (this.closed) throw errAppenderClosed();
    const head = this.head;
    // Without an OOO window, fail fast; with one the sample may still go out of order.
    if (this.oooWindow === 0 && t < this.minValidTime) {
      head.metrics.outOfBoundSamples.inc();
      throw errOutOfBounds();
    }
    let s = ref !== 0 ? head.series.get(ref) : undefined;
    if (s === undefined) {
      if (labels.size === 0) throw errInvalidSample('empty labelset');
      const r = head.getOrCreate(labels);
      s = r.series;
      if (r.created) this.newSeries.push(s);
    }
    if (t < this.minValidTime || (s.maxTime !== -Infinity && t < s.maxTime)) {
      if (this.inOOOWindow(t)) {
        if (this.discardOutOfOrder) {
          head.metrics.outOfOrderSamples.inc();
          throw errOutOfOrderSample();
        }
      } else if (this.oooWindow > 0) {
        head.metrics.tooOldSamples.inc();
        throw errTooOldSample();
      } else if (t < this.minValidTime) {
        head.metrics.outOfBoundSamples.inc();
        throw errOutOfBounds();
      } else {
        head.metrics.outOfOrderSamples.inc();
        throw errOutOfOrderSample();
      }
    } else if (t === s.maxTime && !sameBits(s.lastValue, v)) {
      throw errDuplicateSample(t, s.lastValue, v);
    }
    const c = this.c;
    if (this.n === c.refs.length) this.grow();
    c.refs[this.n] = s.ref;
    c.ts[this.n] = t;
    c.vs[this.n] = v;
    if (st !== 0 && head.stStorage) this.sts ??= new Float64Array(c.refs.length);
    if (this.sts !== undefined) this.sts[this.n] = st;
    c.pending[this.n] = s;
    this.n++;
    return s.ref;
  }

  appendHistogram(
    ref: SeriesRef,
    labels: Labels,
    t: number,
    h: Histogram | undefined,
    fh: FloatHistogram | undefined,
    st = 0,
  ): SeriesRef {
    if (this.closed) throw errAppenderClosed();
    const x = h ?? fh;
    if (x === undefined) throw errInvalidSample('no histogram');
    const head = this.head;
    if (this.oooWindow === 0 && t < this.minValidTime) {
      head.metrics.outOfBoundSamples.inc();
      throw errOutOfBounds();
    }
    if (!isStaleNaN(x.sum)) {
      const invalid = validateHistogram(x, h === undefined);
      if (invalid !== undefined) throw new StorageError('invalid_sample', invalid);
    }
    let s = ref !== 0 ? head.series.get(ref) : undefined;
    if (s === undefined) {
      if (labels.size === 0) throw errInvalidSample('empty labelset');
      const r = head.getOrCreate(labels);
      s = r.series;
      if (r.created) this.newSeries.push(s);
    }
    // Older than the series' newest sample: out of order, kept apart inside the out-of-order window
    // (native histograms too, as in Prometheus 3), refused outside it. The same time is a duplicate.
    if (t < this.minValidTime || (s.maxTime !== -Infinity && t <= s.maxTime)) {
      if (t === s.maxTime) {
        head.metrics.outOfOrderSamples.inc();
        throw errDuplicateSample(t, s.lastValue, x.sum);
      }
      if (this.inOOOWindow(t)) {
        if (this.discardOutOfOrder) {
          head.metrics.outOfOrderSamples.inc();
          throw errOutOfOrderSample();
        }
      } else if (this.oooWindow > 0) {
        head.metrics.tooOldSamples.inc();
        throw errTooOldSample();
      } else if (t < this.minValidTime) {
        head.metrics.outOfBoundSamples.inc();
        throw errOutOfBounds();
      } else {
        head.metrics.outOfOrderSamples.inc();
        throw errOutOfOrderSample();
      }
    }
    const rec: RefHistogramSample & { s: MemSeries } =
      h !== undefined ? { ref: s.ref, t, h, s } : { ref: s.ref, t, fh, s };
    if (st !== 0 && head.stStorage) rec.st = st;
    this.hists.push(rec);
    return s.ref;
  }

  private grow(): void {
    const c = this.c;
    const size = c.refs.length * 2;
    const refs = new Uint32Array(size);
    refs.set(c.refs);
    const ts = new Float64Array(size);
    ts.set(c.ts);
    const vs = new Float64Array(size);
    vs.set(c.vs);
    c.refs = refs;
    c.ts = ts;
    c.vs = vs;
    if (this.sts !== undefined) {
      const sts = new Float64Array(size);
      sts.set(this.sts);
      this.sts = sts;
    }
  }

  commit(): Promise<void> {
    if (this.closed) return Promise.reject(errAppenderClosed());
    this.closed = true;
    const head = this.head;
    head.activeAppenders--;
    const c = this.c;
    const n = this.n;
    const hists = this.hists;
    if (this.wal !== undefined && (n > 0 || hists.length > 0 || this.newSeries.length > 0)) {
      const records: Uint8Array[] = [];
      if (this.newSeries.length > 0) {
        records.push(
          encodeSeries(
            this.newSeries.map((s) => s.ref),
            this.newSeries.map((s) => s.labels),
          ),
        );
      }
      if (n > 0) records.push(encodeSamples(c.refs, c.ts, c.vs, n, this.sts));
      if (hists.length > 0) records.push(encodeHistogramSamples(hists));
      try {
        this.wal.log(...records);
      } catch (err) {
        head.metrics.walWritesFailed.inc();
        this.rollback();
        return Promise.reject(new Error(`write to WAL: ${(err as Error).message}`));
      }
    }
    let appended = 0;
    let outOfOrder = 0;
    let outOfBounds = 0;
    let tooOld = 0;
    let ooo = 0;
    const minValid = head.minValidTime;
    for (let i = 0; i < n; i++) {
      const s = c.pending[i]!;
      const t = c.ts[i];
      // Decided again: another appender may have committed newer samples, or the head been truncated.
      if (t >= this.minValidTime && (s.maxTime === -Infinity || t >= s.maxTime)) {
        if (t < minValid) outOfBounds++;
        else if (head.applySample(s, t, c.vs[i], this.sts?.[i])) appended++;
        continue;
      }
      if (this.inOOOWindow(t)) {
        if (head.applyOOO(s, t, c.vs[i])) {
          // kept in place for the write-behind log below
          c.refs[ooo] = c.refs[i];
          c.ts[ooo] = t;
          c.vs[ooo] = c.vs[i];
          ooo++;
        }
      } else if (this.oooWindow > 0) tooOld++;
      else if (t < this.minValidTime) outOfBounds++;
      else outOfOrder++;
    }
    if (ooo > 0) {
      // Out-of-order samples are in the WAL too (remote write reads them there); the WBL keeps them
      // for replay until the out-of-order compaction has put them in blocks.
      head.wbl?.log(encodeSamples(c.refs, c.ts, c.vs, ooo));
      head.metrics.outOfOrderSamplesAppended.inc(ooo);
    }
    let histAppended = 0;
    const oooHists: RefHistogramSample[] = [];
    for (const x of hists) {
      const s = x.s;
      // decided again, as for floats: in order, or out of order within the window
      if (x.t >= this.minValidTime && (s.maxTime === -Infinity || x.t > s.maxTime)) {
        if (x.t < minValid) outOfBounds++;
        else if (head.applyHistogram(s, x.t, x.h, x.fh, x.st)) histAppended++;
        else outOfOrder++;
        continue;
      }
      if (this.inOOOWindow(x.t)) {
        const y: HistogramSample = x.h !== undefined ? { t: x.t, h: x.h } : { t: x.t, fh: x.fh };
        if (x.st !== undefined) y.st = x.st;
        if (head.applyOOOHistogram(s, y)) {
          oooHists.push(x);
          histAppended++;
        }
      } else if (this.oooWindow > 0) tooOld++;
      else if (x.t < this.minValidTime) outOfBounds++;
      else outOfOrder++;
    }
    if (oooHists.length > 0) {
      head.wbl?.log(encodeHistogramSamples(oooHists));
      head.metrics.outOfOrderSamplesAppended.inc(oooHists.length);
    }
    if (histAppended > 0) head.metrics.histogramSamplesAppended.inc(histAppended);
    this.hists = [];
    if (outOfOrder > 0) head.metrics.outOfOrderSamples.inc(outOfOrder);
    if (outOfBounds > 0) head.metrics.outOfBoundSamples.inc(outOfBounds);
    if (tooOld > 0) head.metrics.tooOldSamples.inc(tooOld);
    if (appended + ooo > 0) head.metrics.samplesAppended.inc(appended + ooo);
    head.releaseColumns(c, n);
    this.n = 0;
    head.notifyCommitted();
    return Promise.resolve();
  }

  rollback(): void {
    if (this.closed) return;
    this.closed = true;
    this.head.activeAppenders--;
    this.head.releaseColumns(this.c, this.n);
    this.n = 0;
    this.hists = [];
    // Series created by this appender stay in the head (they were created eagerly); log them so a
    // replay knows their refs.
    if (this.wal !== undefined && this.newSeries.length > 0) {
      this.wal.log(
        encodeSeries(
          this.newSeries.map((s) => s.ref),
          this.newSeries.map((s) => s.labels),
        ),
      );
    }
  }
}

/** Head series matching all matchers (every series for none) with data in [mint, maxt], unsorted. */
export function matchingHeadSeries(
  head: Head,
  matchers: readonly Matcher[],
  mint: number,
  maxt: number,
): MemSeries[] {
  const refs =
    matchers.length === 0 ? head.postings.allPostings() : postingsForMatchers(head.postings, matchers);
  const out: MemSeries[] = [];
  for (const ref of refs) {
    const s = head.series.get(ref);
    if (s !== undefined && s.overlaps(mint, maxt)) out.push(s);
  }
  return out;
}

class HeadQuerier implements Querier {
  constructor(
    private readonly head: Head,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private matching(matchers: readonly Matcher[]): MemSeries[] {
    return matchingHeadSeries(this.head, matchers, this.mint, this.maxt);
  }

  select(matchers: readonly Matcher[]): SeriesSet {
    const found = this.matching(matchers).sort((a, b) => compareLabels(a.labels, b.labels));
    const series: Series[] = found.map((s) =>
      headSeriesView(s, this.mint, this.maxt, this.head.tombstones.get(s.ref)),
    );
    return Object.assign(series, { warnings: [] as string[] });
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    if (matchers === undefined || matchers.length === 0) return this.head.postings.labelNames();
    const names = new Set<string>();
    for (const s of this.matching(matchers)) s.labels.forEach((n) => names.add(n));
    return [...names].sort();
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    if (matchers === undefined || matchers.length === 0) return this.head.postings.labelValues(name);
    const values = new Set<string>();
    for (const s of this.matching(matchers)) {
      const v = s.labels.get(name);
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  close(): void {}
}

/**
 * A consistent view of a series at select time: the chunk list (replaced, never mutated, by later
 * cuts and truncations) and the newest time then (later appends only add newer samples).
 */
function headSeriesView(
  s: MemSeries,
  mint: number,
  maxt: number,
  tombstones: readonly Interval[] | undefined,
): Series {
  const closed = s.closed;
  const open = s.head;
  // later appends only add newer in-order samples: cut them off at the newest time now
  const inOrderMaxt = Math.min(maxt, s.maxTime);
  const ooo = oooChunks(s, mint, maxt);
  // in-order histogram chunks, then out-of-order ones (which overlap them; histogramSamples merges)
  const oooHist = oooHistogramChunks(s, mint, maxt);
  const hist = s.hist === undefined && oooHist.length === 0 ? undefined : (s.hist?.chunks() ?? []);
  const series: Series = {
    labels: s.labels,
    samples: () => decodeChunks(closed, open, mint, inOrderMaxt, tombstones, ooo),
  };
  if (hist !== undefined)
    series.histograms = () =>
      dropDeletedHistograms(
        mergeHistogramSamples([
          histogramSamples(hist, mint, inOrderMaxt),
          histogramSamples(oooHist, mint, maxt),
        ]),
        tombstones,
      );
  return series;
}

/** Histogram samples outside the deleted intervals. */
export function dropDeletedHistograms(
  samples: HistogramSample[],
  tombstones: readonly Interval[] | undefined,
): HistogramSample[] {
  if (tombstones === undefined || tombstones.length === 0) return samples;
  return samples.filter((x) => !tombstones.some((iv) => x.t >= iv.mint && x.t <= iv.maxt));
}

const EMPTY: SampleBatch = { t: new Float64Array(0), v: new Float64Array(0), length: 0 };

export function decodeChunks(
  closed: readonly ClosedChunk[],
  open: FloatChunk | undefined,
  mint: number,
  maxt: number,
  tombstones: readonly Interval[] | undefined,
  ooo: readonly XORChunk[] = [],
): SampleBatch {
  const chunks: FloatChunk[] = [];
  let cap = 0;
  for (const c of closed) {
    if (c.maxt < mint || c.mint > maxt) continue;
    const x = openClosedChunk(c);
    chunks.push(x);
    cap += x.numSamples;
  }
  if (open !== undefined && open.numSamples > 0 && open.maxTime >= mint && open.minTime <= maxt) {
    chunks.push(open);
    cap += open.numSamples;
  }
  for (const c of ooo) cap += c.numSamples;
  if (cap === 0) return EMPTY;
  const t = new Float64Array(cap);
  const v = new Float64Array(cap);
  // start timestamps when a chunk has them (XOR2, st-storage)
  const st = chunks.some((c) => c instanceof XOR2Chunk && c.hasST) ? new Float64Array(cap) : undefined;
  let n = 0;
  for (const c of chunks)
    n +=
      c instanceof XOR2Chunk
        ? c.decodeInto(t, v, st ?? new Float64Array(cap), n, mint, maxt)
        : c.decodeInto(t, v, n, mint, maxt);
  if (ooo.length > 0) {
    // already cut to the query's range when made
    for (const c of ooo) n += c.decodeInto(t, v, n, -Infinity, Infinity);
    n = sortSamples(t, v, n, st);
  }
  if (tombstones !== undefined && tombstones.length > 0) n = dropDeleted(t, v, n, tombstones, st);
  return st === undefined ? { t, v, length: n } : { t, v, length: n, st };
}

/** Removes samples inside deleted intervals, in place; returns the new length. */
export function dropDeleted(
  t: Float64Array,
  v: Float64Array,
  n: number,
  ivs: readonly Interval[],
  st?: Float64Array,
): number {
  const vw = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    let deleted = false;
    for (const iv of ivs) {
      if (ti >= iv.mint && ti <= iv.maxt) {
        deleted = true;
        break;
      }
    }
    if (deleted) continue;
    t[w] = ti;
    if (st !== undefined) st[w] = st[i];
    // copy the value's bits as words, so NaN payloads survive
    vw[2 * w] = vw[2 * i];
    vw[2 * w + 1] = vw[2 * i + 1];
    w++;
  }
  return w;
}
