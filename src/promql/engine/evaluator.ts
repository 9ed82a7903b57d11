// The PromQL evaluator: evaluates an AST at one step at a time over series loaded once per selector.
// Follows Prometheus 3.x's promql/engine.go for lookback, staleness, offset/@, subqueries and limits.
import type {
  AggregateExpr,
  AtModifier,
  BinaryExpr,
  Call,
  Expr,
  MatrixSelector,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from '../parser/ast.js';
import { children } from '../parser/ast.js';
import { Labels, METRIC_NAME } from '../../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';
import {
  reduceResolution,
  detectReset,
  histogramsEqual,
  allBuckets,
  compactHistogram,
  isCustomBucketsSchema,
  type Bucket,
  toFloatHistogram,
  type FloatHistogram,
  addFloatHistograms,
  kahanSumHistograms,
  scaleFloatHistogram,
  trimBuckets,
  CounterResetHint,
} from '../../model/histogram.js';
import type { HistogramSample, Querier, Queryable, SelectRequest } from '../../storage/interfaces.js';
import type {
  Annotations,
  FunctionArg,
  FunctionContext,
  FunctionImpl,
  InstantVector,
  RangeSeries,
  VectorElement,
} from './functions/types.js';
import { extrapolatedRate } from './functions/range.js';
import {
  isStartTimestampReset,
  startTimeOverlaps,
  startTimeOverlapWarning,
  stResetAt,
} from './functions/start-time.js';
import {
  ERR_CANCELED,
  ERR_SAME_LABELSET,
  ERR_TIMEOUT,
  ERR_TOO_MANY_SAMPLES,
  QueryError,
  executionError,
} from './errors.js';
import {
  MatchCache,
  isSetOperator,
  isTrim,
  scalarScalar,
  vectorAnd,
  vectorOr,
  vectorScalar,
  vectorUnless,
  vectorVector,
} from './binary.js';
import { aggregate, formatFloatPlain, GroupCache, type GroupOf } from './aggregate.js';
import { dropMetricName, labelsKey, withoutLabels } from './labels-util.js';
import { InfoFunction } from './info.js';
import { kahanInc, searchIndex } from './functions/util.js';
import { parseBound } from './functions/histogram.js';
import { formatOpenMetricsFloat } from '../../model/exposition/writer.js';

export type StepValue =
  | { kind: 'vector'; v: InstantVector }
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; v: string }
  | {
      kind: 'matrix';
      v: RangeSeries[];
      range: number;
      start: number;
      end: number;
      rangeModifier?: 'anchored' | 'smoothed';
    };

interface LoadedSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  /** False when no sample is a stale marker: range selections need not look for them. */
  stale?: boolean;
  /** Native histogram samples, aligned with t (undefined where the sample is a float); absent: none. */
  h?: Array<FloatHistogram | undefined>;
  /**
   * Start timestamps aligned with t (0: unknown), when storage has them and the engine uses them
   * (the use-start-timestamps feature); absent otherwise, and for subquery results.
   */
  st?: Float64Array;
}

/** A subquery's inner results over the whole query, per series (Prometheus evaluates it once too). */
interface SubquerySeries extends LoadedSeries {
  dropName: boolean;
}

/** Series checked per time check while loading (keeps a turn of the event loop short). */
const LOAD_CHECK_EVERY = 64;

/** The feature that has rate, irate, increase, resets and start_timestamp() read start timestamps. */
const USE_START_TIMESTAMPS = 'use-start-timestamps';

/** Sample i's own timestamp, or its start timestamp (0 when unknown). */
function sampleTime(s: LoadedSeries, i: number, which: 'sample' | 'start'): number {
  return which === 'sample' ? s.t[i] : (s.st?.[i] ?? 0);
}

export interface EvaluatorParams {
  queryable: Queryable;
  start: number;
  end: number;
  /** 0 for instant queries. */
  step: number;
  lookbackDelta: number;
  maxSamples: number;
  deadline: number;
  signal?: AbortSignal;
  features: ReadonlySet<string>;
  defaultEvaluationInterval: number;
  functions: Readonly<Record<string, FunctionImpl>>;
}

const YIELD_EVERY_MS = 10;

/** The functions that only order a vector, so are no-ops in a range query's matrix. */
const SORT_FUNCTIONS: ReadonlySet<string> = new Set([
  'sort',
  'sort_desc',
  'sort_by_label',
  'sort_by_label_desc',
]);
const SORT_IN_RANGE_QUERY_WARNING =
  'PromQL warning: sort is ineffective for range queries since results are always ordered by labels';

function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

/** Index of the first timestamp > t. */
function upperBound(ts: Float64Array, t: number, lo = 0, hi = ts.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rate-family functions evaluated series-major in range queries (see seriesMajorRate). */
const SERIES_MAJOR_RATE: Readonly<Record<string, { isCounter: boolean; isRate: boolean }>> = {
  rate: { isCounter: true, isRate: true },
  increase: { isCounter: true, isRate: false },
  delta: { isCounter: false, isRate: false },
};

/**
 * A rate-family call's (or an instant selector's) values at every step of a range query: for step i
 * and series k, values[i * labels.length + k], present where the series has a value at that step.
 */
interface WholeRange {
  labels: Labels[];
  values: Float64Array;
  present: Uint8Array;
  /** Samples in all series' windows per step, counted against --query.max-samples as the step path does. */
  windowSamples: Float64Array;
  /** Two series whose labels are equal without the metric name. */
  duplicates: boolean;
  /** Whether the values drop the metric name (a function's result) before they are grouped. */
  dropName: boolean;
  /** The enclosing aggregation's groups: each series' group index, and per-group accumulators. */
  groups?: {
    labels: Labels[];
    of: Int32Array;
    value: Float64Array;
    c: Float64Array;
    count: Float64Array;
    /** Groups in order of first appearance at the current step. */
    order: Int32Array;
  };
}

/** Where each series' window of a range selector was at the previous step (see matrixSelector). */
interface WindowCursor {
  start: number;
  end: number;
  from: Int32Array;
  to: Int32Array;
}

/**
 * The first index > t, from `pos` (every timestamp before `pos` is <= t): a few linear steps, as
 * consecutive query steps usually move a window by zero or one sample, then a binary search.
 */
function advanceTo(ts: Float64Array, pos: number, t: number): number {
  const lim = Math.min(ts.length, pos + 8);
  let i = pos;
  while (i < lim && ts[i] <= t) i++;
  if (i < lim || i === ts.length) return i;
  return upperBound(ts, t, i);
}

export class Evaluator {
  private readonly windows = new Map<MatrixSelector, WindowCursor>();
  /** Per instant selector: the evaluation time of the previous step and each series' next sample. */
  private readonly points = new Map<VectorSelector, { at: number; next: Int32Array }>();
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  samplesLoaded = 0;
  /** Samples held by the result so far (range queries) plus those of the current step. */
  private heldSamples = 0;
  private stepSamples = 0;
  private lastYield = Date.now();
  private readonly queriers: Querier[] = [];
  private readonly evalRanges = new Map<Expr, { lo: number; hi: number }>();
  private readonly loaded = new Map<VectorSelector, LoadedSeries[]>();
  /** Selectors whose histograms only feed histogram_count/sum/avg (see statsOnlySelectors). */
  private statsOnly = new Set<VectorSelector>();
  /** Outer evaluation times [lo, hi] of each subquery, and its inner results once computed. */
  private readonly subqueryRanges = new Map<SubqueryExpr, { lo: number; hi: number }>();
  private readonly subqueryData = new Map<SubqueryExpr, SubquerySeries[]>();
  private readonly matchCaches = new Map<BinaryExpr, { m: VectorMatching; c: MatchCache }>();
  /** Per expression, the labels of the last output found free of duplicates. */
  private readonly verified = new Map<Expr, readonly Labels[]>();
  readonly delayedNameRemoval: boolean;
  /** Whether selectors keep storage's start timestamps (the use-start-timestamps feature). */
  private readonly useST: boolean;
  private readonly annotations: Annotations;
  private infoFn?: InfoFunction;

  constructor(private readonly p: EvaluatorParams) {
    this.delayedNameRemoval = p.features.has('promql-delayed-name-removal');
    this.useST = p.features.has(USE_START_TIMESTAMPS);
    this.annotations = {
      warn: (m) => this.warnings.add(m),
      info: (m) => this.infos.add(m),
    };
  }

  close(): void {
    for (const q of this.queriers) q.close();
    this.queriers.length = 0;
  }

  /** Called between units of work: yields to the event loop every ~10 ms, enforces timeout and cancellation. */
  async checkpoint(): Promise<void> {
    const now = Date.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = Date.now();
    }
    this.checkLimits();
  }

  private checkLimits(): void {
    if (this.p.signal?.aborted) throw new QueryError('canceled', ERR_CANCELED);
    if (Date.now() > this.p.deadline) throw new QueryError('timeout', ERR_TIMEOUT);
  }

  private countSamples(n: number): void {
    this.stepSamples += n;
    if (this.heldSamples + this.stepSamples > this.p.maxSamples) {
      throw new QueryError('execution', ERR_TOO_MANY_SAMPLES);
    }
  }

  /** Starts a new top-level step; `held` is the number of points the result already holds. */
  beginStep(held: number): void {
    this.heldSamples = held;
    this.stepSamples = 0;
    if (held > this.p.maxSamples) throw new QueryError('execution', ERR_TOO_MANY_SAMPLES);
  }

  private atTime(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at.kind === 'time') return at.ms;
    return at.kind === 'start' ? this.p.start : this.p.end;
  }

  private offsetOf(e: VectorSelector | SubqueryExpr, t: number): number {
    return e.offsetExpr !== undefined ? this.durationMs(e.offsetExpr, t) : e.offset;
  }

  /** Value in ms of an experimental duration expression. */
  private durationMs(e: Expr, t: number): number {
    e = unwrapParens(e);
    if (e.type === 'NumberLiteral') return e.value * 1000;
    if (e.type === 'DurationExpr') {
      const l = e.lhs !== undefined ? this.durationMs(e.lhs, t) : 0;
      const r = e.rhs !== undefined ? this.durationMs(e.rhs, t) : 0;
      switch (e.op) {
        case 'literal':
          return e.value ?? 0;
        case 'step':
          return this.p.step;
        case 'range':
          return this.p.end - this.p.start;
        case 'neg':
          return -r || -l;
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return (l * r) / 1000;
        case '/':
          return (l / r) * 1000;
        case '%':
          return l % r;
        case '^':
          return (l / 1000) ** (r / 1000) * 1000;
        case 'min':
        case 'min_of':
          return Math.min(l, r);
        case 'max':
        case 'max_of':
          return Math.max(l, r);
      }
    }
    if (e.type === 'UnaryExpr') return (e.op === '-' ? -1 : 1) * this.durationMs(e.expr, t);
    throw new QueryError('bad_data', 'unsupported duration expression');
  }

  private rangeOf(e: MatrixSelector | SubqueryExpr, t: number): number {
    return e.rangeExpr !== undefined ? this.durationMs(e.rangeExpr, t) : e.range;
  }

  /**
   * Records the evaluation-time interval of every node, loads each selector's series once, then
   * evaluates each subquery once over all the inner steps the query needs (innermost first). Gives
   * the event loop back between series and between inner steps.
   */
  async prepare(root: Expr): Promise<void> {
    const selects = this.selects(root);
    this.statsOnly = statsOnlySelectors(root);
    await this.p.queryable.prepare?.(selects);
    for (const [node, r] of this.evalRanges) {
      if (node.type !== 'VectorSelector') continue;
      await this.load(node, r.lo, r.hi);
    }
    await this.precomputeSubqueries(root);
  }

  /**
   * Records the evaluation-time interval of every node (prepare's first step) and returns the selects
   * the evaluation will make: the same ranges load() and info() select.
   */
  selects(root: Expr): SelectRequest[] {
    this.walk(root, this.p.start, this.p.end);
    const selects: SelectRequest[] = [];
    for (const [node, r] of this.evalRanges) {
      if (node.type === 'VectorSelector')
        selects.push({ matchers: node.matchers, mint: r.lo + 1, maxt: r.hi });
    }
    if (this.infoFn !== undefined) selects.push(...this.infoFn.selects());
    return selects;
  }

  private async precomputeSubqueries(e: Expr): Promise<void> {
    for (const c of children(e)) await this.precomputeSubqueries(c);
    if (e.type !== 'SubqueryExpr') return;
    const r = this.subqueryRanges.get(e);
    if (r === undefined) return;
    const { first, last, step } = this.innerSteps(e, r.lo, r.hi);
    const acc = new SubqueryAccumulator();
    const held = this.heldSamples;
    for (let ti = first; ti <= last; ti += step) {
      await this.checkpoint();
      this.heldSamples = held + acc.points;
      this.stepSamples = 0;
      acc.add(this.eval(e.expr, ti), ti);
    }
    this.heldSamples = held;
    this.stepSamples = 0;
    this.subqueryData.set(e, acc.series());
  }

  /** The inner steps of a subquery evaluated at outer times [lo, hi]: multiples of its step. */
  private innerSteps(
    sq: SubqueryExpr,
    lo: number,
    hi: number,
  ): { first: number; last: number; step: number } {
    const at = this.atTime(sq.at);
    const off = this.offsetOf(sq, lo);
    const range = this.rangeOf(sq, lo);
    let step = sq.stepExpr !== undefined ? this.durationMs(sq.stepExpr, lo) : sq.step;
    if (!(step > 0)) step = this.p.defaultEvaluationInterval;
    const start = (at ?? lo) - off - range;
    // inner steps are the multiples of the step in (start, end], as Prometheus aligns them
    let first = step * Math.trunc(start / step);
    if (first <= start) first += step;
    return { first, last: (at ?? hi) - off, step };
  }

  private walk(e: Expr, lo: number, hi: number): void {
    switch (e.type) {
      case 'VectorSelector': {
        const ahead = e.rangeModifier === 'smoothed' ? this.p.lookbackDelta : 0;
        this.widen(e, lo, hi, this.p.lookbackDelta, ahead);
        return;
      }
      case 'MatrixSelector': {
        const r = this.rangeOf(e, lo);
        // anchored looks one lookback delta further back; smoothed also one ahead
        const lb = e.rangeModifier !== undefined ? this.p.lookbackDelta : 0;
        this.widen(e.vectorSelector, lo, hi, r + lb, e.rangeModifier === 'smoothed' ? lb : 0);
        return;
      }
      case 'SubqueryExpr': {
        const cur = this.subqueryRanges.get(e);
        this.subqueryRanges.set(
          e,
          cur === undefined ? { lo, hi } : { lo: Math.min(cur.lo, lo), hi: Math.max(cur.hi, hi) },
        );
        const at = this.atTime(e.at);
        const off = this.offsetOf(e, lo);
        const r = this.rangeOf(e, lo);
        const l = (at ?? lo) - off - r;
        const h = (at ?? hi) - off;
        this.walk(e.expr, l, h);
        return;
      }
      case 'Call':
        checkRangeModifier(e);
        if (e.func === 'info') {
          // the label selector argument is not a selector of its own
          this.info().widen(e, lo, hi);
          this.walk(e.args[0], lo, hi);
          return;
        }
        for (const a of e.args) this.walk(a, lo, hi);
        return;
      case 'AggregateExpr':
        this.walk(e.expr, lo, hi);
        if (e.param !== undefined) this.walk(e.param, lo, hi);
        return;
      case 'BinaryExpr':
        this.walk(e.lhs, lo, hi);
        this.walk(e.rhs, lo, hi);
        return;
      case 'UnaryExpr':
      case 'ParenExpr':
        this.walk(e.expr, lo, hi);
        return;
      default:
        return;
    }
  }

  /** Widens the data interval a selector needs: evaluation times [lo, hi], looking `window` back. */
  private widen(vs: VectorSelector, lo: number, hi: number, window: number, ahead = 0): void {
    const at = this.atTime(vs.at);
    const off = this.offsetOf(vs, hi);
    const dlo = (at ?? lo) - off - window;
    const dhi = (at ?? hi) - off + ahead;
    const cur = this.evalRanges.get(vs);
    if (cur === undefined) this.evalRanges.set(vs, { lo: dlo, hi: dhi });
    else this.evalRanges.set(vs, { lo: Math.min(cur.lo, dlo), hi: Math.max(cur.hi, dhi) });
  }

  private async load(vs: VectorSelector, lo: number, hi: number): Promise<void> {
    const q = this.p.queryable.querier(lo + 1, hi);
    this.queriers.push(q);
    // hints carry the selector's own data range (storage may narrow its read to it)
    const set = q.select(vs.matchers, { start: lo + 1, end: hi, step: this.p.step });
    const out: LoadedSeries[] = [];
    let i = 0;
    for (const s of set) {
      // selected series are consistent views: decoding them later in the loop is safe
      if (++i % LOAD_CHECK_EVERY === 0) await this.checkpoint();
      const b = s.samples();
      const hs = s.histograms?.() ?? [];
      if (b.length === 0 && hs.length === 0) continue;
      this.samplesLoaded += b.length + hs.length;
      const st = this.useST ? b.st?.subarray(0, b.length) : undefined;
      if (hs.length > 0) {
        const loaded = withHistograms(
          s.labels,
          b.t.subarray(0, b.length),
          b.v.subarray(0, b.length),
          hs,
          this.useST,
          st,
        );
        if (this.statsOnly.has(vs)) histogramStatsOnly(loaded.h!);
        out.push(loaded);
        continue;
      }
      const v = b.v.subarray(0, b.length);
      let stale = false;
      for (let k = 0; k < v.length && !stale; k++) stale = v[k] !== v[k] && isStaleNaN(v[k]);
      const loaded: LoadedSeries = { labels: s.labels, t: b.t.subarray(0, b.length), v, stale };
      if (st !== undefined) loaded.st = st;
      out.push(loaded);
    }
    for (const w of set.warnings) this.warnings.add(w);
    this.loaded.set(vs, out);
  }

  private seriesOf(vs: VectorSelector): LoadedSeries[] {
    const s = this.loaded.get(vs);
    // prepare() walked every selector the evaluation reaches
    if (s === undefined) throw new QueryError('internal', 'selector evaluated before its series were loaded');
    return s;
  }

  // --- evaluation at one step -------------------------------------------------------------------

  eval(e: Expr, t: number): StepValue {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', v: e.value };
      case 'StringLiteral':
        return { kind: 'string', v: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, t);
      case 'DurationExpr':
        return { kind: 'scalar', v: this.durationMs(e, t) / 1000 };
      case 'UnaryExpr': {
        const v = this.eval(e.expr, t);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', v: -v.v };
        if (v.kind !== 'vector')
          throw new QueryError(
            'bad_data',
            'unary expression only allowed on expressions of type scalar or instant vector',
          );
        const out = v.v.map((s): VectorElement => {
          const el: VectorElement = { labels: s.labels, t: s.t, v: -s.v };
          // a negated histogram is a negative one (an intermediate result, as in Prometheus)
          if (s.h !== undefined) el.h = scaleHistogram(s.h, -1);
          if (this.delayedNameRemoval) el.dropName = true;
          else el.labels = dropMetricName(s.labels);
          return el;
        });
        this.checkDuplicates(out, e);
        return { kind: 'vector', v: out };
      }
      case 'VectorSelector':
        return { kind: 'vector', v: this.vectorSelector(e, t) };
      case 'MatrixSelector':
        return this.matrixSelector(e, t);
      case 'SubqueryExpr':
        return this.subquery(e, t);
      case 'AggregateExpr':
        return this.aggregateExpr(e, t);
      case 'BinaryExpr':
        return this.binaryExpr(e, t);
      case 'Call':
        return this.call(e, t);
    }
  }

  evalVector(e: Expr, t: number): InstantVector {
    const v = this.eval(e, t);
    if (v.kind !== 'vector') throw new QueryError('internal', `expected instant vector, got ${v.kind}`);
    return v.v;
  }

  /**
   * An instant selector at t. With `sampleTimes`, each element's t is its sample's own timestamp
   * ('sample', for timestamp()) or start timestamp ('start', 0 when unknown, for start_timestamp()).
   */
  private vectorSelector(vs: VectorSelector, t: number, sampleTimes?: 'sample' | 'start'): InstantVector {
    const te = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const lb = te - this.p.lookbackDelta;
    const out: InstantVector = [];
    const smoothed = vs.rangeModifier === 'smoothed';
    const list = this.seriesOf(vs);
    // as matrixSelector: each series' position advances with the steps instead of a fresh search
    let cur = this.points.get(vs);
    const fresh = cur === undefined || te < cur.at;
    if (cur === undefined || fresh) {
      cur = { at: te, next: new Int32Array(list.length) };
      this.points.set(vs, cur);
    }
    cur.at = te;
    for (let k = 0; k < list.length; k++) {
      const s = list[k];
      const next = fresh ? upperBound(s.t, te) : advanceTo(s.t, cur.next[k], te);
      cur.next[k] = next;
      if (smoothed && s.h !== undefined) {
        const el = this.smoothedHistogram(s, te, t);
        if (el !== 'floats') {
          if (el !== undefined) out.push(el);
          continue;
        }
      }
      const i = next - 1;
      if (i < 0 || s.t[i] <= lb) continue;
      let v = s.v[i];
      if (isStaleNaN(v)) continue;
      const h = s.h?.[i];
      if (h !== undefined) {
        out.push({
          labels: s.labels,
          t: sampleTimes === undefined ? t : sampleTime(s, i, sampleTimes),
          v: 0,
          h,
        });
        continue;
      }
      if (smoothed && s.t[i] < te) {
        // interpolate towards the next sample within the lookback delta, if there is one
        const j = i + 1;
        if (j < s.t.length && s.t[j] <= te + this.p.lookbackDelta && !isStaleNaN(s.v[j])) {
          v = v + ((s.v[j] - v) * (te - s.t[i])) / (s.t[j] - s.t[i]);
        }
      }
      out.push({ labels: s.labels, t: sampleTimes === undefined ? t : sampleTime(s, i, sampleTimes), v });
    }
    this.countSamples(out.length);
    return out;
  }

  /**
   * A `smoothed` instant selector over a series holding histograms (Prometheus's smoothSeries): in
   * the window of one lookback delta either side, a sample at te is taken as it is, one on each side
   * interpolated (as counters unless both are gauges), one only before carried forward with an
   * unknown hint. Floats and histograms in one window: a warning, no sample. 'floats' when the
   * window has only floats (the float path applies).
   */
  private smoothedHistogram(s: LoadedSeries, te: number, t: number): VectorElement | undefined | 'floats' {
    const lb = this.p.lookbackDelta;
    const lo = upperBound(s.t, te - lb);
    const hi = upperBound(s.t, te + lb, lo);
    const hs: Array<{ t: number; h: FloatHistogram }> = [];
    let floats = false;
    for (let i = lo; i < hi; i++) {
      const h = s.h![i];
      if (h !== undefined) hs.push({ t: s.t[i], h });
      else if (!isStaleNaN(s.v[i])) floats = true;
    }
    if (hs.length === 0) return 'floats';
    const name = JSON.stringify(s.labels.get(METRIC_NAME) ?? '');
    if (floats) {
      this.annotations.warn(
        `PromQL warning: encountered a mix of histograms and floats for metric name ${name}`,
      );
      return undefined;
    }
    const i = searchIndex(hs.length, (j) => hs[j].t >= te);
    let h: FloatHistogram;
    if (i < hs.length && hs[i].t === te) h = hs[i].h;
    else if (i > 0 && i < hs.length) {
      const prev = hs[i - 1];
      const next = hs[i];
      if (isCustomBucketsSchema(prev.h.schema) !== isCustomBucketsSchema(next.h.schema)) {
        this.annotations.warn(
          `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`,
        );
        return undefined;
      }
      const isCounter =
        prev.h.counterResetHint !== CounterResetHint.Gauge ||
        next.h.counterResetHint !== CounterResetHint.Gauge;
      h = interpolateHistograms(prev.h, prev.t, next.h, next.t, te, isCounter, this.annotations);
    } else if (i > 0) h = { ...hs[i - 1].h, counterResetHint: CounterResetHint.Unknown };
    else return undefined;
    return { labels: s.labels, t, v: 0, h };
  }

  private matrixSelector(ms: MatrixSelector, t: number, raw = false): StepValue {
    const vs = ms.vectorSelector;
    const range = this.rangeOf(ms, t);
    const end = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const start = end - range;
    if (ms.rangeModifier !== undefined) return this.extendedMatrixSelector(ms, range, start, end, raw);
    const out: RangeSeries[] = [];
    let n = 0;
    const list = this.seriesOf(vs);
    // Steps of a range query ascend, so each series' window only moves forward: its bounds are found
    // by advancing from the previous step's instead of a binary search from scratch per step.
    // (A subquery re-evaluates its inner steps from an earlier time: then the bounds start afresh.)
    let cur = this.windows.get(ms);
    const fresh = cur === undefined || start < cur.start || end < cur.end;
    if (cur === undefined || fresh) {
      cur = { start, end, from: new Int32Array(list.length), to: new Int32Array(list.length) };
      this.windows.set(ms, cur);
    }
    cur.start = start;
    cur.end = end;
    for (let k = 0; k < list.length; k++) {
      const s = list[k];
      const ts = s.t;
      const from = fresh ? upperBound(ts, start) : advanceTo(ts, cur.from[k], start);
      const to = fresh ? upperBound(ts, end, from) : advanceTo(ts, Math.max(cur.to[k], from), end);
      cur.from[k] = from;
      cur.to[k] = to;
      if (from >= to) continue;
      // stale markers are not samples of a range
      let stale = 0;
      if (s.stale !== false) for (let i = from; i < to; i++) if (isStaleNaN(s.v[i])) stale++;
      if (stale === 0) {
        const rs: RangeSeries = { labels: s.labels, t: s.t, v: s.v, from, to, noStale: true };
        if (s.h !== undefined) rs.h = s.h;
        if (s.st !== undefined) rs.st = s.st;
        out.push(rs);
      } else if (stale < to - from) {
        const tt = new Float64Array(to - from - stale);
        const vv = new Float64Array(to - from - stale);
        const hh: Array<FloatHistogram | undefined> | undefined = s.h === undefined ? undefined : [];
        const ss = s.st === undefined ? undefined : new Float64Array(to - from - stale);
        let j = 0;
        for (let i = from; i < to; i++) {
          if (isStaleNaN(s.v[i])) continue;
          tt[j] = s.t[i];
          if (hh !== undefined) hh[j] = s.h![i];
          if (ss !== undefined) ss[j] = s.st![i];
          vv[j++] = s.v[i];
        }
        const rs: RangeSeries = { labels: s.labels, t: tt, v: vv, from: 0, to: j, noStale: true };
        if (hh !== undefined) rs.h = hh;
        if (ss !== undefined) rs.st = ss;
        out.push(rs);
      } else continue;
      n += to - from - stale;
    }
    this.countSamples(n);
    return { kind: 'matrix', v: out, range, start, end };
  }

  /**
   * A range selector with the `anchored` or `smoothed` modifier. Per series: the samples in
   * (start, end] plus the last one at or before start within the lookback delta and, for smoothed,
   * the first one at or after end within the lookback delta (stale markers are skipped). With
   * `raw` these are handed to a function as they are (rate & co. pick or interpolate the
   * boundaries themselves); otherwise they become Prometheus's extendFloats shape: synthetic points
   * at start and end with the samples strictly between.
   */
  private extendedMatrixSelector(
    ms: MatrixSelector,
    range: number,
    start: number,
    end: number,
    raw: boolean,
  ): StepValue {
    const smoothed = ms.rangeModifier === 'smoothed';
    const lookback = this.p.lookbackDelta;
    const out: RangeSeries[] = [];
    let n = 0;
    for (const s of this.seriesOf(ms.vectorSelector)) {
      const lo = upperBound(s.t, start - lookback);
      const hi = upperBound(s.t, smoothed ? end + lookback : end, lo);
      const tt: number[] = [];
      const vv: number[] = [];
      for (let i = lo; i < hi; i++) {
        const v = s.v[i];
        if (isStaleNaN(v) || s.h?.[i] !== undefined) continue; // floats only here
        const ti = s.t[i];
        // keep only the last sample at or before start
        if (ti <= start && tt.length > 0) {
          tt[0] = ti;
          vv[0] = v;
          continue;
        }
        tt.push(ti);
        vv.push(v);
        // with smoothed, the first sample at or after end is the last one needed
        if (ti >= end) break;
      }
      // nothing after start: no result (Prometheus's extendFloats / extendedRate)
      if (tt.length === 0 || tt[tt.length - 1] <= start) continue;
      let pts: { t: Float64Array; v: Float64Array } = { t: Float64Array.from(tt), v: Float64Array.from(vv) };
      if (!raw) {
        const ext = extendFloats(pts.t, pts.v, start, end, smoothed);
        if (ext === undefined) continue;
        pts = ext;
      }
      n += pts.t.length;
      out.push({ labels: s.labels, t: pts.t, v: pts.v, from: 0, to: pts.t.length });
    }
    this.countSamples(n);
    return { kind: 'matrix', v: out, range, start, end, rangeModifier: ms.rangeModifier };
  }

  private subquery(sq: SubqueryExpr, t: number): StepValue {
    const range = this.rangeOf(sq, t);
    const end = (this.atTime(sq.at) ?? t) - this.offsetOf(sq, t);
    const start = end - range;
    let data = this.subqueryData.get(sq);
    if (data === undefined) {
      // not reached by prepare(): evaluate the inner steps this window needs now
      const { first, last, step } = this.innerSteps(sq, t, t);
      const acc = new SubqueryAccumulator();
      for (let ti = first; ti <= last; ti += step) {
        this.checkLimits();
        acc.add(this.eval(sq.expr, ti), ti);
      }
      data = acc.series();
    }
    const out: RangeSeries[] = [];
    let n = 0;
    for (const s of data) {
      const from = upperBound(s.t, start);
      const to = upperBound(s.t, end, from);
      if (from >= to) continue;
      const rs: RangeSeries = { labels: s.labels, t: s.t, v: s.v, from, to };
      if (s.dropName) rs.dropName = true;
      if (s.h !== undefined) rs.h = s.h;
      out.push(rs);
      n += to - from;
    }
    this.countSamples(n);
    return { kind: 'matrix', v: out, range, start, end };
  }

  private aggregateExpr(e: AggregateExpr, t: number): StepValue {
    let param: number | string | undefined;
    if (e.param !== undefined) {
      const p = this.eval(e.param, t);
      if (p.kind === 'scalar' || p.kind === 'string') param = p.v;
    }
    let cache = this.groupCaches.get(e);
    if (cache === undefined) {
      cache = new GroupCache();
      this.groupCaches.set(e, cache);
    }
    const whole = this.seriesMajorAggregate(e, t, cache);
    if (whole !== undefined) return whole;
    const all = this.evalVector(e.expr, t);
    const vec = floatsOnly(all);
    if (vec !== all) {
      // native histograms: count and group see them as any sample; sum adds them up; the others
      // ignore them with Prometheus's info annotation (the rest of issue 17's aggregations are to come)
      if (e.op === 'count' || e.op === 'group') {
        const out = aggregate(
          e,
          all.map((s) => (s.h === undefined ? s : { ...s, h: undefined, v: 0 })),
          param,
          t,
          this.annotations,
          cache,
        );
        this.countSamples(out.length);
        return { kind: 'vector', v: out };
      }
      if (e.op === 'sum' || e.op === 'avg') return this.sumWithHistograms(e, all, param, t, cache);
      if (e.op === 'limitk' || e.op === 'limit_ratio' || e.op === 'count_values') {
        // they pick series, whatever their samples; count_values counts histograms by their text
        const out = aggregate(e, all, param, t, this.annotations, cache);
        this.countSamples(out.length);
        return { kind: 'vector', v: out };
      }
      this.annotations.info(`PromQL info: ignored histogram in ${e.op} aggregation`);
    }
    const out = aggregate(e, vec, param, t, this.annotations, cache);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * A vector holding native histograms against a scalar: histogram * scalar, scalar * histogram and
   * histogram / scalar scale it (empty buckets compacted away, as Prometheus); any other operator
   * drops the histogram with Prometheus's "incompatible sample types" info. Floats go the usual way.
   */
  private histogramScalar(e: BinaryExpr, vec: InstantVector, scalar: number, swap: boolean): StepValue {
    const trim = isTrim(e.op);
    const out: InstantVector = trim
      ? []
      : [...vectorScalar(e.op, floatsOnly(vec), scalar, swap, e.returnBool, this.delayedNameRemoval)];
    for (const s of vec) {
      if (s.h === undefined) {
        if (trim) {
          this.annotations.info(
            `PromQL info: incompatible sample types encountered for binary operator "${e.op}": float ${e.op} float`,
          );
        }
        continue;
      }
      let h: FloatHistogram | undefined;
      if (e.op === '*') h = scaleHistogram(s.h, scalar);
      else if (e.op === '/' && !swap) h = scaleHistogram(s.h, 1 / scalar, scalar);
      else if (trim && !swap) {
        // trimming keeps the metric name (not arithmetic)
        out.push({ ...s, h: trimBuckets(s.h, scalar, e.op === '</') });
        continue;
      }
      if (h === undefined) {
        const [lt, rt] = swap ? ['float', 'histogram'] : ['histogram', 'float'];
        this.annotations.info(
          `PromQL info: incompatible sample types encountered for binary operator "${e.op}": ${lt} ${e.op} ${rt}`,
        );
        continue;
      }
      const el: VectorElement = { labels: s.labels, t: s.t, v: 0, h };
      if (this.delayedNameRemoval) el.dropName = true;
      else el.labels = dropMetricName(s.labels);
      out.push(el);
    }
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * rate, increase or delta over windows holding native histograms (Prometheus's extrapolatedRate
   * with histogramRate): float-only series go the float way, a window mixing floats and histograms
   * has no result (with Prometheus's warning), histogram windows give a gauge histogram.
   */
  /**
   * rate, increase and delta of an `anchored` or `smoothed` range over series holding histograms
   * (Prometheus's extendedHistogramRate): per series, a window of only histograms gets the
   * histogram rate, one of only floats the float one, a mix a warning and no result.
   */
  private extendedRateWithHistograms(
    e: Call,
    ms: MatrixSelector,
    t: number,
    kind: { isCounter: boolean; isRate: boolean },
  ): StepValue {
    const vs = ms.vectorSelector;
    const range = this.rangeOf(ms, t);
    const end = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const start = end - range;
    const smoothed = ms.rangeModifier === 'smoothed';
    const lb = this.p.lookbackDelta;
    const out: InstantVector = [];
    const skip = new Set<Labels>();
    for (const s of this.seriesOf(vs)) {
      const lo = upperBound(s.t, start - lb);
      const hi = upperBound(s.t, smoothed ? end + lb : end, lo);
      const pts: Array<{ t: number; h: FloatHistogram }> = [];
      let floats = 0;
      for (let i = lo; i < hi; i++) {
        const h = s.h?.[i];
        if (h !== undefined) pts.push({ t: s.t[i], h });
        else if (!isStaleNaN(s.v[i])) floats++;
      }
      if (pts.length === 0) continue;
      skip.add(s.labels);
      const name = s.labels.get(METRIC_NAME) ?? '';
      if (floats > 0) {
        this.annotations.warn(
          `PromQL warning: encountered a mix of histograms and floats for metric name ${JSON.stringify(name)}`,
        );
        continue;
      }
      const h = extendedHistogramRate(pts, start, end, range, smoothed, kind, name, this.annotations);
      if (h === undefined) continue;
      const el: VectorElement = { labels: s.labels, t, v: 0, h };
      if (this.delayedNameRemoval) el.dropName = true;
      else el.labels = dropMetricName(s.labels);
      out.push(el);
    }
    const m = this.matrixSelector(ms, t, true);
    if (m.kind === 'matrix') {
      const floats = m.v.filter((rs) => !skip.has(rs.labels));
      const fl = this.finishCall(
        e,
        t,
        [{ type: 'matrix', value: floats, range: m.range, rangeModifier: ms.rangeModifier }],
        { start: m.start, end: m.end },
      );
      if (fl.kind === 'vector') out.push(...fl.v);
    }
    this.checkDuplicates(out, e);
    return { kind: 'vector', v: out };
  }

  private rateWithHistograms(
    e: Call,
    m: Extract<StepValue, { kind: 'matrix' }>,
    t: number,
    kind: { isCounter: boolean; isRate: boolean },
  ): StepValue {
    const floats: RangeSeries[] = [];
    const out: InstantVector = [];
    const name = (rs: RangeSeries): string => rs.labels.get(METRIC_NAME) ?? '';
    for (const rs of m.v) {
      if (rs.h === undefined) {
        floats.push(rs);
        continue;
      }
      const pts: Array<{ t: number; h: FloatHistogram; st: number }> = [];
      let mixed = false;
      for (let i = rs.from; i < rs.to; i++) {
        const h = rs.h[i];
        if (h === undefined) mixed = true;
        else pts.push({ t: rs.t[i], h, st: rs.st?.[i] ?? 0 });
      }
      if (mixed) {
        this.annotations.warn(
          `PromQL warning: encountered a mix of histograms and floats for metric name ${JSON.stringify(name(rs))}`,
        );
        continue;
      }
      // a start timestamp inside the window stands for a zero histogram there (then one sample does)
      const firstST = kind.isCounter && rs.st !== undefined && pts.length > 0 ? pts[0].st : 0;
      const stStart = firstST !== 0 && firstST > m.start && firstST < pts[0]?.t;
      if (pts.length < 2 && !stStart) continue;
      let res: FloatHistogram | undefined;
      if (pts.length > 1) {
        res = histogramRate(pts, kind.isCounter, name(rs), this.annotations, rs.st !== undefined);
        if (res === undefined) continue;
      }
      const firstT = pts[0].t;
      const lastT = pts[pts.length - 1].t;
      let durationToStart = (firstT - m.start) / 1000;
      let durationToEnd = (m.end - lastT) / 1000;
      let sampledInterval = (lastT - firstT) / 1000;
      const avg = pts.length > 1 ? sampledInterval / (pts.length - 1) : 0;
      const threshold = avg * 1.1;
      if (stStart) {
        durationToStart = 0;
        sampledInterval = (lastT - firstST) / 1000;
        if (res === undefined) res = pts[0].h;
        else {
          const add: { nhcbBoundsReconciled?: boolean } = {};
          try {
            res = addFloatHistograms(res, pts[0].h, false, add);
          } catch {
            this.annotations.warn(
              `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(name(rs))}`,
            );
            continue;
          }
          if (add.nhcbBoundsReconciled === true)
            this.annotations.info('PromQL info: mismatched custom buckets were reconciled during addition');
        }
      } else {
        if (durationToStart >= threshold) durationToStart = avg / 2;
        if (kind.isCounter && res!.count > 0 && pts[0].h.count >= 0) {
          const durationToZero = sampledInterval * (pts[0].h.count / res!.count);
          if (durationToZero < durationToStart) durationToStart = durationToZero;
        }
      }
      if (durationToEnd >= threshold) durationToEnd = avg / 2;
      let factor =
        sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
      if (kind.isRate) factor /= m.range / 1000;
      const h = scaleHistogram(res!, factor);
      h.counterResetHint = CounterResetHint.Gauge;
      const el: VectorElement = { labels: rs.labels, t, v: 0, h };
      if (this.delayedNameRemoval) el.dropName = true;
      else el.labels = dropMetricName(rs.labels);
      out.push(el);
    }
    const fl = this.finishCall(e, t, [{ type: 'matrix', value: floats, range: m.range }], {
      start: m.start,
      end: m.end,
    });
    if (fl.kind === 'vector') out.push(...fl.v);
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * irate and idelta over windows holding native histograms (Prometheus's instantValue): the last two
   * samples; two histograms give a gauge histogram (irate: unless the last is a reset, the difference
   * per second), a float and a histogram nothing (with the mixed warning).
   */
  private instantRateWithHistograms(
    e: Call,
    m: Extract<StepValue, { kind: 'matrix' }>,
    t: number,
    isRate: boolean,
  ): StepValue {
    const floats: RangeSeries[] = [];
    const out: InstantVector = [];
    for (const rs of m.v) {
      if (rs.h === undefined) {
        floats.push(rs);
        continue;
      }
      if (rs.to - rs.from < 2) continue;
      const i = rs.to - 1;
      const last = rs.h[i];
      const prev = rs.h[i - 1];
      const name = JSON.stringify(rs.labels.get(METRIC_NAME) ?? '');
      if (last === undefined && prev === undefined) {
        // the window's last two samples are floats: as the float implementation
        floats.push({ ...rs, h: undefined, from: i - 1, to: i + 1 });
        continue;
      }
      if (last === undefined || prev === undefined) {
        this.annotations.warn(
          `PromQL warning: encountered a mix of histograms and floats for metric name ${name}`,
        );
        continue;
      }
      if (
        isRate &&
        (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)
      )
        this.annotations.warn(`PromQL warning: this native histogram metric is not a counter: ${name}`);
      if (
        !isRate &&
        (prev.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge)
      )
        this.annotations.warn(`PromQL warning: this native histogram metric is not a gauge: ${name}`);
      let h: FloatHistogram;
      try {
        const sub: { nhcbBoundsReconciled?: boolean } = {};
        const reset = stResetAt(rs.st, rs.t, i) || detectReset(last, prev);
        h = !isRate || !reset ? addFloatHistograms(last, prev, true, sub) : last;
        if (sub.nhcbBoundsReconciled === true)
          this.annotations.info('PromQL info: mismatched custom buckets were reconciled during subtraction');
      } catch {
        this.annotations.warn(
          `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`,
        );
        continue;
      }
      if (isRate) {
        const interval = rs.t[i] - rs.t[i - 1];
        if (interval === 0) continue;
        h = scaleHistogram(h, 1 / (interval / 1000), interval / 1000);
      } else h = compactHistogram(h, true);
      h = { ...h, counterResetHint: CounterResetHint.Gauge };
      const el: VectorElement = { labels: rs.labels, t, v: 0, h };
      if (this.delayedNameRemoval) el.dropName = true;
      else el.labels = dropMetricName(rs.labels);
      out.push(el);
    }
    const fl = this.finishCall(e, t, [{ type: 'matrix', value: floats, range: m.range }], {
      start: m.start,
      end: m.end,
    });
    if (fl.kind === 'vector') out.push(...fl.v);
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /** count/present/first/last_over_time (and ts_of_first/last) over windows that hold histograms. */
  /**
   * An `anchored` range's windows with floats and histograms together (Prometheus's
   * pickFirstSampleIndices): the latest sample at or before the range start, of either kind, and
   * every sample after it; no window when nothing follows the start. Stale markers are left out.
   */
  private anchoredWindows(ms: MatrixSelector, t: number): RangeSeries[] {
    const vs = ms.vectorSelector;
    const end = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const start = end - this.rangeOf(ms, t);
    const out: RangeSeries[] = [];
    let n = 0;
    for (const s of this.seriesOf(vs)) {
      const lo = upperBound(s.t, start - this.p.lookbackDelta);
      const hi = upperBound(s.t, end, lo);
      const idx: number[] = [];
      for (let i = lo; i < hi; i++) {
        if (s.h?.[i] === undefined && isStaleNaN(s.v[i])) continue;
        if (s.t[i] <= start && idx.length > 0) idx[0] = i;
        else idx.push(i);
      }
      if (idx.length === 0 || s.t[idx[idx.length - 1]] <= start) continue;
      const rs: RangeSeries = {
        labels: s.labels,
        t: Float64Array.from(idx, (i) => s.t[i]),
        v: Float64Array.from(idx, (i) => s.v[i]),
        from: 0,
        to: idx.length,
      };
      if (s.h !== undefined) rs.h = idx.map((i) => s.h![i]);
      out.push(rs);
      n += idx.length;
    }
    this.countSamples(n);
    return out;
  }

  private overTimeWithHistograms(
    e: Call,
    series: readonly RangeSeries[],
    t: number,
    pick: (rs: RangeSeries) => { v: number; h?: FloatHistogram; keepName: boolean },
  ): StepValue {
    const out: InstantVector = [];
    for (const rs of series) {
      if (rs.to <= rs.from) continue;
      const r = pick(rs);
      const dropName = r.keepName ? rs.dropName === true : true;
      const el: VectorElement = { labels: rs.labels, t, v: r.v };
      if (r.h !== undefined) el.h = r.h;
      if (dropName && !this.delayedNameRemoval) el.labels = dropMetricName(rs.labels);
      else if (dropName) el.dropName = true;
      out.push(el);
    }
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * sum over a vector holding native histograms: a group of histograms only is their sum (in input
   * order, Prometheus's layout), a group of floats only the float sum, a group of both nothing (with
   * Prometheus's warning).
   */
  private sumWithHistograms(
    e: AggregateExpr,
    all: InstantVector,
    param: number | string | undefined,
    t: number,
    cache: GroupCache,
  ): StepValue {
    const kinds = new Map<GroupOf, { h: number; f: number }>();
    for (const s of all) {
      const g = cache.of(s.labels, e);
      const k = kinds.get(g) ?? { h: 0, f: 0 };
      if (s.h !== undefined) k.h++;
      else k.f++;
      kinds.set(g, k);
    }
    let mixed = false;
    const floats: InstantVector = [];
    const groups = new Map<GroupOf, FloatHistogram[]>();
    for (const s of all) {
      const g = cache.of(s.labels, e);
      const k = kinds.get(g)!;
      if (k.h > 0 && k.f > 0) {
        mixed = true;
        continue;
      }
      if (s.h === undefined) {
        floats.push(s);
        continue;
      }
      const hs = groups.get(g);
      if (hs === undefined) groups.set(g, [s.h]);
      else hs.push(s.h);
    }
    const sums = new Map<GroupOf, VectorElement>();
    for (const [g, hs] of groups) {
      try {
        const h = sumHistograms(hs, e.op === 'avg', this.annotations);
        sums.set(g, { labels: g.labels, t, v: 0, h });
      } catch (err) {
        this.annotations.warn(`PromQL warning: ${(err as Error).message}`);
      }
    }
    if (mixed)
      this.annotations.warn('PromQL warning: encountered a mix of histograms and floats for aggregation');
    const hs = [...sums.values()];
    const out = [...aggregate(e, floats, param, t, this.annotations, cache), ...hs];
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  private binaryExpr(e: BinaryExpr, t: number): StepValue {
    const l0 = this.eval(e.lhs, t);
    const r0 = this.eval(e.rhs, t);
    // histograms against a scalar, and the trim operators (which floats cannot take) whatever the samples
    const trim = isTrim(e.op);
    if (l0.kind === 'vector' && r0.kind === 'scalar' && (trim || floatsOnly(l0.v) !== l0.v))
      return this.histogramScalar(e, l0.v, r0.v, false);
    if (l0.kind === 'scalar' && r0.kind === 'vector' && (trim || floatsOnly(r0.v) !== r0.v))
      return this.histogramScalar(e, r0.v, l0.v, true);
    const l = floatValue(l0);
    const r = floatValue(r0);
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      return { kind: 'scalar', v: scalarScalar(e.op, l.v, r.v) };
    }
    let out: InstantVector;
    if (l.kind === 'vector' && r.kind === 'vector') {
      let cache = this.matchCaches.get(e);
      if (cache === undefined) {
        const matching: VectorMatching = e.matching ?? {
          card: isSetOperator(e.op) ? 'many-to-many' : 'one-to-one',
          matchingLabels: [],
          on: false,
          include: [],
        };
        cache = { m: matching, c: new MatchCache(matching) };
        this.matchCaches.set(e, cache);
      }
      const m = cache.m;
      switch (e.op) {
        // set operators and vector/vector operators take histogram samples as they are
        case 'and':
          return { kind: 'vector', v: vectorAnd(l0.v as InstantVector, r0.v as InstantVector, m) };
        case 'or':
          return { kind: 'vector', v: vectorOr(l0.v as InstantVector, r0.v as InstantVector, m) };
        case 'unless':
          return { kind: 'vector', v: vectorUnless(l0.v as InstantVector, r0.v as InstantVector, m) };
        default:
          out = vectorVector(
            e.op,
            l0.v as InstantVector,
            r0.v as InstantVector,
            m,
            e.returnBool,
            this.delayedNameRemoval,
            cache.c,
            (msg) =>
              msg.startsWith('PromQL warning:') ? this.annotations.warn(msg) : this.annotations.info(msg),
          );
      }
    } else if (l.kind === 'vector' && r.kind === 'scalar') {
      out = vectorScalar(e.op, l.v, r.v, false, e.returnBool, this.delayedNameRemoval);
    } else if (l.kind === 'scalar' && r.kind === 'vector') {
      out = vectorScalar(e.op, r.v, l.v, true, e.returnBool, this.delayedNameRemoval);
    } else {
      throw new QueryError('bad_data', `binary expression must contain only scalar and instant vector types`);
    }
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * histogram_quantile(s) and histogram_fraction's input without the series that are both: a native
   * histogram whose labels equal a classic histogram's (its bucket series without `le`) is dropped
   * with those buckets, and a warning (Prometheus's resetHistograms).
   */
  private dropMixedHistograms(vec: InstantVector): InstantVector {
    if (!vec.some((s) => s.h !== undefined) || vec.every((s) => s.h !== undefined)) return vec;
    const classic = new Set<string>();
    for (const s of vec) {
      if (s.h !== undefined || parseBound(s.labels.get('le') ?? '') === undefined) continue;
      classic.add(labelsKey(withoutLabels(s.labels, ['le'])));
    }
    const mixed = new Set<string>();
    for (const s of vec) {
      if (s.h === undefined) continue;
      const key = labelsKey(s.labels);
      if (!classic.has(key)) continue;
      mixed.add(key);
      this.annotations.warn(
        `PromQL warning: vector contains a mix of classic and native histograms for metric name ${JSON.stringify(s.labels.get(METRIC_NAME) ?? '')}`,
      );
    }
    if (mixed.size === 0) return vec;
    return vec.filter((s) => {
      if (s.h !== undefined) return !mixed.has(labelsKey(s.labels));
      if (parseBound(s.labels.get('le') ?? '') === undefined) return true;
      return !mixed.has(labelsKey(withoutLabels(s.labels, ['le'])));
    });
  }

  /**
   * Prometheus's "vector cannot contain metrics with the same labelset" check on a step's output.
   * An output with the same label objects in the same order as the last one `node` passed is
   * skipped: the common case of a range query, where each step yields the same series.
   */
  checkDuplicates(vec: InstantVector, node?: Expr): void {
    if (vec.length < 2 || this.delayedNameRemoval) return;
    if (node !== undefined) {
      const prev = this.verified.get(node);
      if (prev !== undefined && prev.length === vec.length) {
        let same = true;
        for (let i = 0; i < vec.length && same; i++) same = prev[i] === vec[i].labels;
        if (same) return;
      }
    }
    const seen = new Map<number, Labels[]>();
    for (const s of vec) {
      const h = s.labels.hash();
      const bucket = seen.get(h);
      if (bucket === undefined) seen.set(h, [s.labels]);
      else {
        for (const o of bucket) if (o.equals(s.labels)) throw executionError(ERR_SAME_LABELSET);
        bucket.push(s.labels);
      }
    }
    if (node !== undefined)
      this.verified.set(
        node,
        vec.map((s) => s.labels),
      );
  }

  /** For delayed name removal: drops flagged names at the end and checks for collisions. */
  finishVector(vec: InstantVector): InstantVector {
    if (!this.delayedNameRemoval) return vec;
    const out = vec.map((s) =>
      s.dropName
        ? s.h === undefined
          ? { labels: dropMetricName(s.labels), t: s.t, v: s.v }
          : { labels: dropMetricName(s.labels), t: s.t, v: s.v, h: s.h }
        : s,
    );
    this.delayedNameRemovalCheck(out);
    return out;
  }

  private delayedNameRemovalCheck(vec: InstantVector): void {
    const keys = new Set<string>();
    for (const s of vec) {
      const k = labelsKey(s.labels);
      if (keys.has(k)) throw executionError(ERR_SAME_LABELSET);
      keys.add(k);
    }
  }

  // --- function calls ---------------------------------------------------------------------------

  private call(e: Call, t: number): StepValue {
    switch (e.func) {
      case 'absent':
        return this.absent(e, t);
      case 'absent_over_time':
        return this.absentOverTime(e, t);
      case 'info': {
        const out = this.info().eval(e, t);
        this.checkDuplicates(out, e);
        this.countSamples(out.length);
        return { kind: 'vector', v: out };
      }
      case 'timestamp': {
        const arg = unwrapParens(e.args[0]);
        // the sample's own timestamp, not the evaluation time (Prometheus special-cases this too)
        if (arg.type === 'VectorSelector') {
          const vec = this.vectorSelector(arg, t, 'sample');
          return this.finishCall(e, t, [{ type: 'vector', value: vec }], undefined);
        }
        break;
      }
      case 'start_timestamp': {
        // Only a selector's samples carry start timestamps (Prometheus: an expression's results have
        // none, and without use-start-timestamps nothing is read): otherwise the result is empty.
        const arg = unwrapParens(e.args[0]);
        if (arg.type === 'VectorSelector' && this.useST) {
          const vec = this.vectorSelector(arg, t, 'start');
          return this.finishCall(e, t, [{ type: 'vector', value: vec }], undefined);
        }
        this.evalVector(e.args[0], t);
        return { kind: 'vector', v: [] };
      }
    }
    if (e.func === 'histogram_quantile' && e.args.length === 2) {
      const qv = this.eval(e.args[0], t);
      const vec = this.eval(e.args[1], t);
      if (qv.kind === 'scalar' && vec.kind === 'vector') {
        vec.v = this.dropMixedHistograms(vec.v);
        const floats = floatsOnly(vec.v);
        const classic = this.finishCall(
          e,
          t,
          [
            { type: 'scalar', value: qv.v },
            { type: 'vector', value: floats },
          ],
          undefined,
        );
        if (floats === vec.v || classic.kind !== 'vector') return classic;
        // native histograms: Prometheus's HistogramQuantile on each
        const out = [...classic.v];
        for (const s of vec.v) {
          if (s.h === undefined) continue;
          const el: VectorElement = {
            labels: s.labels,
            t: s.t,
            v: histogramQuantile(qv.v, s.h, s.labels.get(METRIC_NAME) ?? '', (m) => this.annotations.info(m)),
          };
          if (this.delayedNameRemoval) el.dropName = true;
          else el.labels = dropMetricName(s.labels);
          out.push(el);
        }
        if (qv.v < 0 || qv.v > 1)
          this.annotations.warn(
            `PromQL warning: quantile value should be between 0 and 1, got ${formatFloatPlain(qv.v)}`,
          );
        this.checkDuplicates(out, e);
        return { kind: 'vector', v: out };
      }
    }
    if (e.func === 'histogram_quantiles' && e.args.length >= 3) {
      const vec = this.eval(e.args[0], t);
      const label = this.eval(e.args[1], t);
      const qs = e.args.slice(2).map((a) => this.eval(a, t));
      if (vec.kind === 'vector' && label.kind === 'string' && qs.every((q) => q.kind === 'scalar')) {
        vec.v = this.dropMixedHistograms(vec.v);
        const floats = floatsOnly(vec.v);
        const qargs: FunctionArg[] = qs.map((q) => ({ type: 'scalar', value: (q as { v: number }).v }));
        const classic = this.finishCall(
          e,
          t,
          [{ type: 'vector', value: floats }, { type: 'string', value: label.v }, ...qargs],
          undefined,
        );
        if (floats === vec.v || classic.kind !== 'vector') return classic;
        const out = [...classic.v];
        for (const q of qs) {
          const qv = (q as { v: number }).v;
          for (const s of vec.v) {
            if (s.h === undefined) continue;
            const el: VectorElement = {
              labels: Labels.fromPairs([...s.labels.pairs, label.v, formatOpenMetricsFloat(qv)]),
              t: s.t,
              v: histogramQuantile(qv, s.h, s.labels.get(METRIC_NAME) ?? '', (m) => this.annotations.info(m)),
            };
            if (this.delayedNameRemoval) el.dropName = true;
            else el.labels = dropMetricName(el.labels);
            out.push(el);
          }
        }
        this.checkDuplicates(out, e);
        return { kind: 'vector', v: out };
      }
    }
    if (e.func === 'histogram_fraction' && e.args.length === 3) {
      const lo = this.eval(e.args[0], t);
      const hi = this.eval(e.args[1], t);
      const vec = this.eval(e.args[2], t);
      if (lo.kind === 'scalar' && hi.kind === 'scalar' && vec.kind === 'vector') {
        vec.v = this.dropMixedHistograms(vec.v);
        const floats = floatsOnly(vec.v);
        const classic = this.finishCall(
          e,
          t,
          [
            { type: 'scalar', value: lo.v },
            { type: 'scalar', value: hi.v },
            { type: 'vector', value: floats },
          ],
          undefined,
        );
        if (floats === vec.v || classic.kind !== 'vector') return classic;
        const out = [...classic.v];
        for (const s of vec.v) {
          if (s.h === undefined) continue;
          const el: VectorElement = {
            labels: s.labels,
            t: s.t,
            v: histogramFraction(lo.v, hi.v, s.h, s.labels.get(METRIC_NAME) ?? '', (m) =>
              this.annotations.info(m),
            ),
          };
          if (this.delayedNameRemoval) el.dropName = true;
          else el.labels = dropMetricName(s.labels);
          out.push(el);
        }
        this.checkDuplicates(out, e);
        return { kind: 'vector', v: out };
      }
    }
    const hist = HISTOGRAM_FUNCTIONS[e.func];
    if (hist !== undefined) {
      const vec = this.evalVector(e.args[0], t);
      const out: VectorElement[] = [];
      for (const s of vec) {
        if (s.h === undefined) continue;
        const el: VectorElement = { labels: s.labels, t: s.t, v: hist(s.h) };
        if (this.delayedNameRemoval) el.dropName = true;
        else el.labels = dropMetricName(s.labels);
        out.push(el);
      }
      this.checkDuplicates(out, e);
      this.countSamples(out.length);
      return { kind: 'vector', v: out };
    }
    const arg0 = e.args.length === 1 ? unwrapParens(e.args[0]) : undefined;
    if (
      (e.func === 'irate' || e.func === 'idelta') &&
      arg0 !== undefined &&
      arg0.type === 'MatrixSelector' &&
      arg0.rangeModifier === undefined &&
      this.seriesOf(arg0.vectorSelector).some((s) => s.h !== undefined)
    ) {
      const m = this.eval(e.args[0], t);
      if (m.kind === 'matrix') return this.instantRateWithHistograms(e, m, t, e.func === 'irate');
    }
    const rateKind = HISTOGRAM_RATES[e.func];
    if (
      rateKind !== undefined &&
      arg0 !== undefined &&
      arg0.type === 'MatrixSelector' &&
      arg0.rangeModifier !== undefined &&
      this.seriesOf(arg0.vectorSelector).some((s) => s.h !== undefined)
    )
      return this.extendedRateWithHistograms(e, arg0, t, rateKind);
    if (
      (rateKind !== undefined || e.func === 'irate' || e.func === 'idelta') &&
      arg0 !== undefined &&
      arg0.type === 'SubqueryExpr'
    ) {
      // a subquery's points may be histograms: they are only known once it is evaluated
      const m = this.eval(e.args[0], t);
      if (m.kind === 'matrix' && m.v.some((rs) => rs.h !== undefined)) {
        return rateKind !== undefined
          ? this.rateWithHistograms(e, m, t, rateKind)
          : this.instantRateWithHistograms(e, m, t, e.func === 'irate');
      }
      if (m.kind === 'matrix')
        return this.finishCall(e, t, [{ type: 'matrix', value: m.v, range: m.range }], {
          start: m.start,
          end: m.end,
        });
    }
    // only when the selector loaded histograms: float-only rates keep their series-major fast path
    if (
      rateKind !== undefined &&
      arg0 !== undefined &&
      arg0.type === 'MatrixSelector' &&
      arg0.rangeModifier === undefined &&
      this.seriesOf(arg0.vectorSelector).some((s) => s.h !== undefined)
    ) {
      const m = this.eval(e.args[0], t);
      if (m.kind === 'matrix') return this.rateWithHistograms(e, m, t, rateKind);
    }
    const overTime = HISTOGRAM_OVER_TIME[e.func];
    if (
      (e.func === 'resets' || e.func === 'changes') &&
      arg0 !== undefined &&
      arg0.type === 'MatrixSelector' &&
      arg0.rangeModifier === 'anchored' &&
      this.seriesOf(arg0.vectorSelector).some((s) => s.h !== undefined)
    )
      return this.overTimeWithHistograms(e, this.anchoredWindows(arg0, t), t, overTime!);
    if (
      overTime !== undefined &&
      arg0 !== undefined &&
      !(arg0.type === 'MatrixSelector' && arg0.rangeModifier !== undefined)
    ) {
      const m = this.eval(e.args[0], t);
      if (m.kind === 'matrix' && m.v.some((rs) => rs.h !== undefined))
        return this.overTimeWithHistograms(e, m.v, t, overTime);
      // no histogram in the window: the float implementation below, on the value already evaluated
      if (m.kind === 'matrix')
        return this.finishCall(
          e,
          t,
          [
            m.rangeModifier !== undefined
              ? { type: 'matrix', value: m.v, range: m.range, rangeModifier: m.rangeModifier }
              : { type: 'matrix', value: m.v, range: m.range },
          ],
          { start: m.start, end: m.end },
        );
    }
    const aggOverTime = HISTOGRAM_AGG_OVER_TIME[e.func];
    if (
      aggOverTime !== undefined &&
      arg0 !== undefined &&
      !(arg0.type === 'MatrixSelector' && arg0.rangeModifier !== undefined)
    ) {
      const m = this.eval(e.args[0], t);
      if (m.kind === 'matrix') {
        const floats: RangeSeries[] = [];
        const out: InstantVector = [];
        for (const rs of m.v) {
          if (rs.h === undefined) {
            floats.push(rs);
            continue;
          }
          const hs: FloatHistogram[] = [];
          let mixed = false;
          for (let i = rs.from; i < rs.to; i++) {
            const h = rs.h[i];
            if (h === undefined) mixed = true;
            else hs.push(h);
          }
          if (mixed) {
            this.annotations.warn(
              `PromQL warning: encountered a mix of histograms and floats for metric name ${JSON.stringify(rs.labels.get(METRIC_NAME) ?? '')}`,
            );
            continue;
          }
          if (hs.length === 0) continue;
          let h: FloatHistogram;
          try {
            h = aggOverTime(hs, this.annotations);
          } catch {
            continue;
          }
          const el: VectorElement = { labels: rs.labels, t, v: 0, h };
          if (this.delayedNameRemoval) el.dropName = true;
          else el.labels = dropMetricName(rs.labels);
          out.push(el);
        }
        const fl = this.finishCall(
          e,
          t,
          [
            m.rangeModifier !== undefined
              ? { type: 'matrix', value: floats, range: m.range, rangeModifier: m.rangeModifier }
              : { type: 'matrix', value: floats, range: m.range },
          ],
          { start: m.start, end: m.end },
        );
        if (fl.kind === 'vector') out.push(...fl.v);
        this.checkDuplicates(out, e);
        return { kind: 'vector', v: out };
      }
    }
    const whole = this.seriesMajorRate(e, t);
    if (whole !== undefined) return whole;
    const args: FunctionArg[] = [];
    let window: { start: number; end: number } | undefined;
    for (const a of e.args) {
      const ua = unwrapParens(a);
      // the functions below work on float samples: native histograms are left out of their arguments
      const raw =
        ua.type === 'MatrixSelector' && ua.rangeModifier !== undefined
          ? this.matrixSelector(ua, t, true)
          : this.eval(a, t);
      if (raw.kind === 'matrix' && MIXED_RANGE_INFO.has(e.func)) this.infoMixedRanges(raw.v);
      const v = floatValue(raw);
      switch (v.kind) {
        case 'vector':
          args.push({ type: 'vector', value: v.v });
          break;
        case 'scalar':
          args.push({ type: 'scalar', value: v.v });
          break;
        case 'string':
          args.push({ type: 'string', value: v.v });
          break;
        case 'matrix':
          args.push(
            v.rangeModifier !== undefined
              ? { type: 'matrix', value: v.v, range: v.range, rangeModifier: v.rangeModifier }
              : { type: 'matrix', value: v.v, range: v.range },
          );
          window = { start: v.start, end: v.end };
          break;
      }
    }
    return this.finishCall(e, t, args, window);
  }

  /** Prometheus's info for a float function's window holding both floats and histograms (the latter ignored). */
  private infoMixedRanges(series: readonly RangeSeries[]): void {
    for (const rs of series) {
      if (rs.h === undefined) continue;
      let floats = false;
      let hists = false;
      for (let i = rs.from; i < rs.to && !(floats && hists); i++) {
        if (rs.h[i] !== undefined) hists = true;
        else if (!isStaleNaN(rs.v[i])) floats = true;
      }
      if (floats && hists)
        this.annotations.info(
          `PromQL info: ignored histograms in a range containing both floats and histograms for metric name ${JSON.stringify(rs.labels.get(METRIC_NAME) ?? '')}`,
        );
    }
  }

  private finishCall(
    e: Call,
    t: number,
    args: FunctionArg[],
    window: { start: number; end: number } | undefined,
  ): StepValue {
    const impl = this.p.functions[e.func];
    if (impl === undefined) throw new QueryError('bad_data', `function "${e.func}" is not implemented`);
    if (SORT_FUNCTIONS.has(e.func) && this.p.start !== this.p.end) {
      // Prometheus's SortInRangeQueryWarning: each step is sorted, but a matrix is ordered by labels.
      this.annotations.warn(SORT_IN_RANGE_QUERY_WARNING);
    }
    const ctx: FunctionContext = {
      evalTime: t,
      rangeStart: window?.start ?? t,
      rangeEnd: window?.end ?? t,
      lookbackDelta: this.p.lookbackDelta,
      annotations: this.annotations,
      pos: e.pos,
      features: this.p.features,
      queryStart: this.p.start,
      queryEnd: this.p.end,
      queryStep: this.p.step,
      memo: this.memoFor(e),
    };
    const res = impl(args, ctx);
    if (typeof res === 'number') return { kind: 'scalar', v: res };
    let out = res;
    if (!this.delayedNameRemoval) {
      out = res.map((s) => (s.dropName ? { labels: dropMetricName(s.labels), t: s.t, v: s.v } : s));
    }
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /**
   * rate, increase or delta of a plain range selector in a range query, evaluated for every step at
   * once, one series at a time (as Prometheus's rangeEval does for matrix functions): the step-by-step
   * path allocated a window object per series per step and searched its bounds again each time, which
   * made these calls most of a dashboard query's cost. Answers undefined where it does not apply
   * (instant queries, other functions, range modifiers, times off the query's step grid such as a
   * subquery's), and the step-by-step path runs instead. Same results and sample counts.
   */
  private seriesMajorRate(e: Call, t: number): StepValue | undefined {
    const pre = this.wholeRangeOf(e, t);
    if (pre === undefined) return undefined;
    const idx = (t - this.p.start) / this.p.step;
    this.countSamples(pre.windowSamples[idx]);
    const out: InstantVector = [];
    const base = idx * pre.labels.length;
    for (let k = 0; k < pre.labels.length; k++) {
      if (pre.present[base + k] === 0) continue;
      const v = pre.values[base + k];
      out.push(
        this.delayedNameRemoval
          ? { labels: pre.labels[k], t, v, dropName: true }
          : { labels: dropMetricName(pre.labels[k]), t, v },
      );
    }
    this.checkDuplicates(out, e);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /** The step index of t when it is a step of a range query's grid, else undefined. */
  private gridIndex(t: number): number | undefined {
    if (this.p.start === this.p.end || !(this.p.step > 0)) return undefined;
    const idx = (t - this.p.start) / this.p.step;
    const steps = Math.floor((this.p.end - this.p.start) / this.p.step) + 1;
    return Number.isInteger(idx) && idx >= 0 && idx < steps ? idx : undefined;
  }

  /**
   * The values of a rate-family call, or of a plain instant selector, at every step, when t is a step
   * of the query's grid (computed once, at the first such step).
   */
  private wholeRangeOf(e: Expr, t: number): WholeRange | undefined {
    if (this.gridIndex(t) === undefined) return undefined;
    let pre = this.wholeRanges.get(e);
    if (pre !== undefined) return pre;
    const steps = Math.floor((this.p.end - this.p.start) / this.p.step) + 1;
    if (e.type === 'Call') {
      const kind = SERIES_MAJOR_RATE[e.func];
      if (kind === undefined || e.args.length !== 1) return undefined;
      const ms = unwrapParens(e.args[0]);
      if (ms.type !== 'MatrixSelector' || ms.rangeModifier !== undefined) return undefined;
      // the whole-range paths read float columns only (no histograms, no start timestamps)
      if (this.seriesOf(ms.vectorSelector).some((s) => s.h !== undefined || s.st !== undefined))
        return undefined;
      pre = this.precomputeRate(ms, steps, kind.isCounter, kind.isRate);
    } else if (e.type === 'VectorSelector') {
      if (e.rangeModifier !== undefined) return undefined;
      if (this.seriesOf(e).some((s) => s.h !== undefined)) return undefined;
      pre = this.precomputeSelector(e, steps);
    } else return undefined;
    this.wholeRanges.set(e, pre);
    return pre;
  }

  /**
   * sum, count, min or max by/without (...) of a rate-family call or of an instant selector, in a
   * range query: the groups read the precomputed values directly, without a per-step vector or a
   * lookup per sample. (The common dashboard queries, `sum by (x) (rate(y[5m]))` and
   * `count by (x) (y)`.) Same sums, in the same order, as aggregate().
   */
  private seriesMajorAggregate(e: AggregateExpr, t: number, cache: GroupCache): StepValue | undefined {
    const op = e.op;
    if ((op !== 'sum' && op !== 'count' && op !== 'min' && op !== 'max') || this.delayedNameRemoval)
      return undefined;
    const inner = unwrapParens(e.expr);
    const pre = this.wholeRangeOf(inner, t);
    if (pre === undefined || pre.duplicates) return undefined;
    const idx = (t - this.p.start) / this.p.step;
    if (pre.groups === undefined) {
      // each series' group, as an index into per-group accumulators reused at every step
      const index = new Map<object, number>();
      const groupLabels: Labels[] = [];
      const groupOf = new Int32Array(pre.labels.length);
      pre.labels.forEach((ls, k) => {
        const of = cache.of(pre.dropName ? dropMetricName(ls) : ls, e);
        let g = index.get(of);
        if (g === undefined) {
          g = groupLabels.length;
          index.set(of, g);
          groupLabels.push(of.labels);
        }
        groupOf[k] = g;
      });
      const n = groupLabels.length;
      pre.groups = {
        labels: groupLabels,
        of: groupOf,
        value: new Float64Array(n),
        c: new Float64Array(n),
        count: new Float64Array(n),
        order: new Int32Array(n),
      };
    }
    const gs = pre.groups;
    this.countSamples(pre.windowSamples[idx]);
    gs.count.fill(0);
    let groups = 0;
    let n = 0;
    const base = idx * pre.labels.length;
    for (let k = 0; k < pre.labels.length; k++) {
      if (pre.present[base + k] === 0) continue;
      n++;
      const f = pre.values[base + k];
      const g = gs.of[k];
      if (gs.count[g] === 0) {
        gs.value[g] = f;
        gs.c[g] = 0;
        gs.count[g] = 1;
        gs.order[groups++] = g;
        continue;
      }
      gs.count[g]++;
      if (op === 'sum') {
        // kahanInc, as aggregate() does it
        const sum = gs.value[g];
        const next = sum + f;
        if (next === Infinity || next === -Infinity) gs.c[g] = 0;
        else if (Math.abs(sum) >= Math.abs(f)) gs.c[g] += sum - next + f;
        else gs.c[g] += f - next + sum;
        gs.value[g] = next;
      } else if (op === 'max') {
        if (gs.value[g] < f || Number.isNaN(gs.value[g])) gs.value[g] = f;
      } else if (op === 'min') {
        if (gs.value[g] > f || Number.isNaN(gs.value[g])) gs.value[g] = f;
      }
    }
    // the inner vector counted as it would have been held at this step
    this.countSamples(n);
    const out: InstantVector = new Array<VectorElement>(groups);
    for (let j = 0; j < groups; j++) {
      const g = gs.order[j];
      const v = op === 'sum' ? gs.value[g] + gs.c[g] : op === 'count' ? gs.count[g] : gs.value[g];
      out[j] = { labels: gs.labels[g], t, v };
    }
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /** An instant selector's sample at every step (lookback and stale markers as vectorSelector). */
  private precomputeSelector(vs: VectorSelector, steps: number): WholeRange {
    const list = this.seriesOf(vs);
    const n = list.length;
    const pre: WholeRange = {
      labels: list.map((s) => s.labels),
      values: new Float64Array(steps * n),
      present: new Uint8Array(steps * n),
      windowSamples: new Float64Array(steps),
      duplicates: false,
      dropName: false,
    };
    const te = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      const t = this.p.start + i * this.p.step;
      te[i] = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    }
    for (let k = 0; k < n; k++) {
      const s = list[k];
      let next = 0;
      for (let i = 0; i < steps; i++) {
        next = i === 0 || te[i] < te[i - 1] ? upperBound(s.t, te[i]) : advanceTo(s.t, next, te[i]);
        const j = next - 1;
        if (j < 0 || s.t[j] <= te[i] - this.p.lookbackDelta) continue;
        const v = s.v[j];
        if (isStaleNaN(v)) continue;
        pre.values[i * n + k] = v;
        pre.present[i * n + k] = 1;
      }
    }
    return pre;
  }

  private precomputeRate(ms: MatrixSelector, steps: number, isCounter: boolean, isRate: boolean): WholeRange {
    const vs = ms.vectorSelector;
    const list = this.seriesOf(vs);
    const n = list.length;
    const windowSamples = new Float64Array(steps);
    const starts = new Float64Array(steps);
    const ends = new Float64Array(steps);
    const ranges = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      const t = this.p.start + i * this.p.step;
      ranges[i] = this.rangeOf(ms, t);
      ends[i] = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
      starts[i] = ends[i] - ranges[i];
    }
    // laid out step by step: each step reads one contiguous run of values
    const pre: WholeRange = {
      labels: list.map((s) => s.labels),
      values: new Float64Array(steps * n),
      present: new Uint8Array(steps * n),
      windowSamples,
      duplicates: false,
      dropName: true,
    };
    const bounds = { rangeStart: 0, rangeEnd: 0 };
    for (let k = 0; k < n; k++) {
      const s = list[k];
      let ts = s.t;
      let vals = s.v;
      if (s.stale !== false) {
        // stale markers are not samples of a range: leave them out once for all steps
        const keep: number[] = [];
        for (let i = 0; i < vals.length; i++) if (!isStaleNaN(vals[i])) keep.push(i);
        if (keep.length < vals.length) {
          ts = Float64Array.from(keep, (i) => s.t[i]);
          vals = Float64Array.from(keep, (i) => s.v[i]);
        }
      }
      let from = 0;
      let to = 0;
      for (let i = 0; i < steps; i++) {
        const start = starts[i];
        const end = ends[i];
        if (i === 0 || start < starts[i - 1] || end < ends[i - 1]) {
          from = upperBound(ts, start);
          to = upperBound(ts, end, from);
        } else {
          from = advanceTo(ts, from, start);
          to = advanceTo(ts, Math.max(to, from), end);
        }
        if (from >= to) continue;
        windowSamples[i] += to - from;
        bounds.rangeStart = start;
        bounds.rangeEnd = end;
        const v = extrapolatedRate(ts, vals, from, to, bounds, ranges[i], isCounter, isRate);
        if (v === undefined) continue;
        pre.values[i * n + k] = v;
        pre.present[i * n + k] = 1;
      }
    }
    // Series equal but for their name collide once it is dropped: the step path then checks (and
    // fails) at each step where both have a value; the aggregation shortcut leaves such calls alone.
    const seen = new Set<string>();
    for (const ls of pre.labels) {
      const key = dropMetricName(ls).pairs.join('\xff');
      if (seen.has(key)) pre.duplicates = true;
      seen.add(key);
    }
    return pre;
  }

  private readonly wholeRanges = new Map<Expr, WholeRange>();
  private readonly memos = new Map<Call, Map<unknown, unknown>>();
  /** Per aggregation, its groups across steps (see GroupCache). */
  private readonly groupCaches = new Map<AggregateExpr, GroupCache>();

  private memoFor(e: Call): Map<unknown, unknown> {
    let m = this.memos.get(e);
    if (m === undefined) {
      m = new Map();
      this.memos.set(e, m);
    }
    return m;
  }

  private info(): InfoFunction {
    this.infoFn ??= new InfoFunction({
      queryable: this.p.queryable,
      lookbackDelta: this.p.lookbackDelta,
      start: this.p.start,
      end: this.p.end,
      step: this.p.step,
      evalVector: (e, t) => this.evalVector(e, t),
      addQuerier: (q) => this.queriers.push(q),
      addWarning: (m) => this.warnings.add(m),
      addSamplesLoaded: (n) => (this.samplesLoaded += n),
    });
    return this.infoFn;
  }

  private absentLabels(arg: Expr): Labels {
    let matchers;
    if (arg.type === 'VectorSelector') matchers = arg.matchers;
    else if (arg.type === 'MatrixSelector') matchers = arg.vectorSelector.matchers;
    else return Labels.EMPTY;
    const has = new Set<string>();
    const m = new Map<string, string>();
    for (const ma of matchers) {
      if (ma.name === METRIC_NAME) continue;
      if (ma.type === '=' && !has.has(ma.name)) {
        m.set(ma.name, ma.value);
        has.add(ma.name);
      } else {
        m.delete(ma.name);
      }
    }
    return Labels.fromPairs([...m].flat());
  }

  private absent(e: Call, t: number): StepValue {
    const vec = this.evalVector(e.args[0], t);
    if (vec.length > 0) return { kind: 'vector', v: [] };
    return { kind: 'vector', v: [{ labels: this.absentLabels(e.args[0]), t, v: 1 }] };
  }

  private absentOverTime(e: Call, t: number): StepValue {
    const m = this.eval(e.args[0], t);
    if (m.kind === 'matrix' && m.v.length > 0) return { kind: 'vector', v: [] };
    return { kind: 'vector', v: [{ labels: this.absentLabels(unwrapParens(e.args[0])), t, v: 1 }] };
  }
}

const ANCHORED_FUNCTIONS = ['changes', 'delta', 'increase', 'rate', 'resets'];
const SMOOTHED_FUNCTIONS = ['delta', 'increase', 'rate'];

/** Prometheus restricts the extended range selectors to the functions that handle them. */
function checkRangeModifier(e: Call): void {
  for (const a of e.args) {
    const ua = unwrapParens(a);
    if (ua.type !== 'MatrixSelector' || ua.rangeModifier === undefined) continue;
    const allowed = ua.rangeModifier === 'anchored' ? ANCHORED_FUNCTIONS : SMOOTHED_FUNCTIONS;
    if (!allowed.includes(e.func)) {
      throw new QueryError(
        'bad_data',
        `${ua.rangeModifier} modifier can only be used with: ${allowed.join(', ')} - not with ${e.func}`,
      );
    }
  }
}

/**
 * Prometheus's extendFloats: given the samples of an anchored/smoothed window (with the boundary
 * samples outside it), returns synthetic points at start and end (picked, or interpolated when
 * smoothed) with the samples strictly inside between them; undefined when nothing is after start.
 */
export function extendFloats(
  t: Float64Array,
  v: Float64Array,
  start: number,
  end: number,
  smoothed: boolean,
): { t: Float64Array; v: Float64Array } | undefined {
  let last = t.length - 1;
  let first = Math.max(0, searchIndex(last, (i) => t[i] > start) - 1);
  if (smoothed) last = searchIndex(last, (i) => t[i] >= end);
  if (t[last] <= start) return undefined;
  const lerp = (i: number, j: number, at: number): number =>
    v[i] + ((v[j] - v[i]) * (at - t[i])) / (t[j] - t[i]);
  const left = smoothed && t[first] < start ? lerp(first, first + 1, start) : v[first];
  const right = smoothed && last > 0 && t[last] > end ? lerp(last - 1, last, end) : v[last];
  if (t[first] <= start) first++;
  if (t[last] >= end) last--;
  const count = Math.max(last - first + 1, 0);
  const ot = new Float64Array(count + 2);
  const ov = new Float64Array(count + 2);
  ot[0] = start;
  ov[0] = left;
  for (let k = 0; k < count; k++) {
    ot[k + 1] = t[first + k];
    ov[k + 1] = v[first + k];
  }
  ot[count + 1] = end;
  ov[count + 1] = right;
  return { t: ot, v: ov };
}

interface AccumulatedSeries {
  labels: Labels;
  t: number[];
  v: number[];
  h: Array<FloatHistogram | undefined> | undefined;
  dropName: boolean;
}

/** Collects a subquery's inner step results into series, in order of first appearance. */
class SubqueryAccumulator {
  points = 0;
  private readonly bySeries = new Map<string, AccumulatedSeries>();
  private readonly byObject = new Map<Labels, AccumulatedSeries>();

  add(val: StepValue, ti: number): void {
    if (val.kind === 'scalar') {
      this.push(Labels.EMPTY, false, ti, val.v, undefined);
      return;
    }
    if (val.kind !== 'vector') return;
    for (const el of val.v) this.push(el.labels, el.dropName === true, ti, el.v, el.h);
  }

  private push(labels: Labels, dropName: boolean, t: number, v: number, h: FloatHistogram | undefined): void {
    // inner steps mostly return the label objects of the step before: find those by identity, and
    // join the labels into a key only for the others (the key per point cost more than the rest)
    let s = this.byObject.get(labels);
    if (s === undefined) {
      const key = labelsKey(labels);
      s = this.bySeries.get(key);
      if (s === undefined) {
        s = { labels, t: [], v: [], h: undefined, dropName };
        this.bySeries.set(key, s);
      }
      this.byObject.set(labels, s);
    }
    // histograms go in a column aligned with t, made when the first one comes
    if (h !== undefined && s.h === undefined) s.h = new Array<FloatHistogram | undefined>(s.t.length);
    // a subquery's points are not consecutive samples: their reset hints say nothing (Prometheus
    // makes them unknown, so that counter resets are detected again between the points)
    if (
      h !== undefined &&
      (h.counterResetHint === CounterResetHint.NotCounterReset ||
        h.counterResetHint === CounterResetHint.CounterReset)
    )
      h = { ...h, counterResetHint: CounterResetHint.Unknown };
    s.t.push(t);
    s.v.push(h !== undefined ? 0 : v);
    if (s.h !== undefined) s.h.push(h);
    this.points++;
  }

  series(): SubquerySeries[] {
    return [...this.bySeries.values()].map((s) => {
      const out: SubquerySeries = {
        labels: s.labels,
        t: Float64Array.from(s.t),
        v: Float64Array.from(s.v),
        dropName: s.dropName,
      };
      if (s.h !== undefined) out.h = s.h;
      return out;
    });
  }
}

// --- native histograms ----------------------------------------------------------------------------

/**
 * The functions over native histograms implemented so far (float samples are ignored, as in
 * Prometheus). Everything else works on float samples: histograms are left out of its inputs.
 */
const HISTOGRAM_FUNCTIONS: Readonly<Record<string, (h: FloatHistogram) => number>> = {
  histogram_count: (h) => h.count,
  histogram_sum: (h) => h.sum,
  histogram_avg: (h) => h.sum / h.count,
  histogram_stdvar: (h) => histogramVariance(h),
  histogram_stddev: (h) => Math.sqrt(histogramVariance(h)),
};

/**
 * Prometheus's histogramVariance: each bucket's observations at its geometric mean (the arithmetic
 * one for custom buckets, 0 in the zero bucket), Kahan-summed squared deviations from sum/count.
 */
function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let variance = 0;
  let c = 0;
  const custom = isCustomBucketsSchema(h.schema);
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let val: number;
    if (custom) val = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const delta = val - mean;
    [variance, c] = kahanInc(b.count * delta * delta, variance, c);
  }
  return (variance + c) / h.count;
}

/**
 * Prometheus's sum, or mean, of histograms (sum and avg, sum_over_time and avg_over_time): added in
 * order, the hints combined; a mean divides the sum at the end, or, once the sum would overflow,
 * goes on as an incremental mean (mean × (n-1)/n + h/n). Inputs holding both "reset" and "not a
 * reset" hints get Prometheus's collision warning. The result is compacted. Throws when the
 * histograms cannot be added (exponential and custom buckets).
 */
function sumHistograms(hs: readonly FloatHistogram[], mean: boolean, notes: Annotations): FloatHistogram {
  let reset = false;
  let notReset = false;
  for (const h of hs) {
    if (h.counterResetHint === CounterResetHint.CounterReset) reset = true;
    else if (h.counterResetHint === CounterResetHint.NotCounterReset) notReset = true;
  }
  if (reset && notReset)
    notes.warn('PromQL warning: conflicting counter resets during histogram aggregation');
  const r = kahanSumHistograms(hs, mean);
  if (r.nhcbBoundsReconciled)
    notes.info('PromQL info: mismatched custom buckets were reconciled during aggregation');
  return r.h;
}

/** sum_over_time and avg_over_time of histogram windows. */
const HISTOGRAM_AGG_OVER_TIME: Readonly<
  Record<string, (hs: FloatHistogram[], notes: Annotations) => FloatHistogram>
> = {
  sum_over_time: (hs, notes) => sumHistograms(hs, false, notes),
  avg_over_time: (hs, notes) => sumHistograms(hs, true, notes),
};

/** rate, increase and delta: counter or gauge, per second or over the range. */
const HISTOGRAM_RATES: Readonly<Record<string, { isCounter: boolean; isRate: boolean }>> = {
  rate: { isCounter: true, isRate: true },
  increase: { isCounter: true, isRate: false },
  delta: { isCounter: false, isRate: false },
};

/**
 * Prometheus's histogramRate: last - first at the lowest schema seen, counter resets (the histogram
 * before each reset added back), a gauge histogram, empty buckets compacted away; undefined when the
 * histograms cannot be combined (exponential and custom buckets mixed).
 */
function histogramRate(
  points: ReadonlyArray<{ t: number; h: FloatHistogram; st?: number }>,
  isCounter: boolean,
  metricName: string,
  notes: Annotations,
  useST = false,
): FloatHistogram | undefined {
  // a counter reset told by the start timestamps (when the window has them) or by the histograms
  const stReset = (i: number): boolean =>
    useST && isStartTimestampReset(points[i - 1].st ?? 0, points[i - 1].t, points[i].st ?? 0, points[i].t);
  const warn = (m: string): void => notes.warn(m);
  let prev = points[0].h;
  const last = points[points.length - 1].h;
  const name = JSON.stringify(metricName);
  if (
    isCounter &&
    (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)
  )
    warn(`PromQL warning: this native histogram metric is not a counter: ${name}`);
  if (isCounter) {
    const second = points[1].h;
    if (stReset(1) || detectReset(second, prev)) prev = emptyLike(second);
  }
  const custom = isCustomBucketsSchema(prev.schema);
  const mixedWarning = `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`;
  if (isCustomBucketsSchema(last.schema) !== custom) {
    warn(mixedWarning);
    return undefined;
  }
  let minSchema = Math.min(last.schema, prev.schema);
  for (const p of points.slice(1, -1)) {
    if (!isCounter) continue;
    if (p.h.counterResetHint === CounterResetHint.Gauge)
      warn(`PromQL warning: this native histogram metric is not a counter: ${name}`);
    minSchema = Math.min(minSchema, p.h.schema);
    if (isCustomBucketsSchema(p.h.schema) !== custom) {
      warn(mixedWarning);
      return undefined;
    }
  }
  let h: FloatHistogram;
  try {
    const sub: { nhcbBoundsReconciled?: boolean } = {};
    h = addFloatHistograms(reduceResolution(last, minSchema, true), prev, true, sub);
    if (sub.nhcbBoundsReconciled === true)
      notes.info('PromQL info: mismatched custom buckets were reconciled during subtraction');
    if (isCounter) {
      let before = points[0].h;
      if (stReset(1) || detectReset(points[1].h, before)) before = emptyLike(points[1].h);
      const add: { nhcbBoundsReconciled?: boolean } = {};
      let overlap = false;
      for (let i = 1; i < points.length; i++) {
        const p = points[i];
        if (useST && !overlap && startTimeOverlaps(points[i - 1].st ?? 0, points[i - 1].t, p.st ?? 0)) {
          overlap = true;
          warn(startTimeOverlapWarning(metricName));
        }
        if (stReset(i) || detectReset(p.h, before)) h = addFloatHistograms(h, before, false, add);
        before = p.h;
      }
      if (add.nhcbBoundsReconciled === true)
        notes.info('PromQL info: mismatched custom buckets were reconciled during addition');
    } else if (
      points[0].h.counterResetHint !== CounterResetHint.Gauge ||
      last.counterResetHint !== CounterResetHint.Gauge
    ) {
      warn(`PromQL warning: this native histogram metric is not a gauge: ${name}`);
    }
  } catch {
    warn(mixedWarning);
    return undefined;
  }
  return { ...compactHistogram(h, true), counterResetHint: CounterResetHint.Gauge };
}

/**
 * Prometheus's interpolateHistograms: h1 + (h2 - h1) × fraction at t, or, for a counter reset
 * between them, h2 × fraction (the counter restarted from zero). Throws for exponential and
 * custom buckets mixed.
 */
function interpolateHistograms(
  h1: FloatHistogram,
  t1: number,
  h2: FloatHistogram,
  t2: number,
  t: number,
  isCounter: boolean,
  notes: Annotations,
): FloatHistogram {
  if (t === t1) return h1;
  if (t === t2) return h2;
  const fraction = (t - t1) / (t2 - t1);
  if (isCounter && detectReset(h2, h1)) return scaleHistogram(h2, fraction);
  const out: { nhcbBoundsReconciled?: boolean } = {};
  const diff = addFloatHistograms(h2, h1, true, out);
  if (out.nhcbBoundsReconciled === true)
    notes.info('PromQL info: mismatched custom buckets were reconciled during subtraction');
  const add: { nhcbBoundsReconciled?: boolean } = {};
  const r = addFloatHistograms(scaleHistogram(diff, fraction), h1, false, add);
  if (add.nhcbBoundsReconciled === true)
    notes.info('PromQL info: mismatched custom buckets were reconciled during addition');
  return r;
}

/**
 * Prometheus's extendedHistogramRate: the histograms at the window's edges (the last at or before
 * start and, smoothed, interpolated to start and end), right - left, plus for counters the
 * histogram before each reset inside; per second for rate. Undefined when nothing follows start.
 */
function extendedHistogramRate(
  h: ReadonlyArray<{ t: number; h: FloatHistogram }>,
  rangeStart: number,
  rangeEnd: number,
  range: number,
  smoothed: boolean,
  kind: { isCounter: boolean; isRate: boolean },
  metricName: string,
  notes: Annotations,
): FloatHistogram | undefined {
  const name = JSON.stringify(metricName);
  let last = h.length - 1;
  // the last sample at or before start (or the first); smoothed: the first at or after end
  const first = Math.max(0, searchIndex(last, (i) => h[i].t > rangeStart) - 1);
  if (smoothed) last = searchIndex(last, (i) => h[i].t >= rangeEnd);
  if (h[last].t <= rangeStart) return undefined;
  if (smoothed && h[first].t > rangeEnd) return undefined;
  const custom = isCustomBucketsSchema(h[first].h.schema);
  for (let i = first; i <= last; i++) {
    if (isCustomBucketsSchema(h[i].h.schema) !== custom) {
      notes.warn(
        `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`,
      );
      return undefined;
    }
    if (kind.isCounter && h[i].h.counterResetHint === CounterResetHint.Gauge)
      notes.warn(`PromQL warning: this native histogram metric is not a counter: ${name}`);
  }
  try {
    const left =
      smoothed && h[first].t < rangeStart
        ? interpolateHistograms(
            h[first].h,
            h[first].t,
            h[first + 1].h,
            h[first + 1].t,
            rangeStart,
            kind.isCounter,
            notes,
          )
        : h[first].h;
    const right =
      smoothed && last > 0 && h[last].t > rangeEnd
        ? interpolateHistograms(
            h[last - 1].h,
            h[last - 1].t,
            h[last].h,
            h[last].t,
            rangeEnd,
            kind.isCounter,
            notes,
          )
        : h[last].h;
    if (
      !kind.isCounter &&
      (left.counterResetHint !== CounterResetHint.Gauge || right.counterResetHint !== CounterResetHint.Gauge)
    )
      notes.warn(`PromQL warning: this native histogram metric is not a gauge: ${name}`);
    const sub: { nhcbBoundsReconciled?: boolean } = {};
    let result = addFloatHistograms(right, left, true, sub);
    if (sub.nhcbBoundsReconciled === true)
      notes.info('PromQL info: mismatched custom buckets were reconciled during subtraction');
    if (kind.isCounter) {
      // the resets strictly between the edges; one the left interpolation spanned is counted already
      let from = first + 1;
      let prev = left;
      if (smoothed && h[first].t < rangeStart && detectReset(h[first + 1].h, h[first].h)) {
        prev = h[first + 1].h;
        from++;
      }
      const to = last - 1;
      let correction: FloatHistogram | undefined;
      const add: { nhcbBoundsReconciled?: boolean } = {};
      const addCorrection = (x: FloatHistogram): void => {
        correction = correction === undefined ? x : addFloatHistograms(correction, x, false, add);
      };
      if (from <= to + 1) {
        for (let i = from; i <= to; i++) {
          if (detectReset(h[i].h, prev)) addCorrection(prev);
          prev = h[i].h;
        }
        if (detectReset(right, prev)) addCorrection(prev);
      }
      if (correction !== undefined) result = addFloatHistograms(result, correction, false, add);
      if (add.nhcbBoundsReconciled === true)
        notes.info('PromQL info: mismatched custom buckets were reconciled during addition');
    }
    if (kind.isRate) result = scaleHistogram(result, 1 / (range / 1000), range / 1000);
    return { ...compactHistogram(result, true), counterResetHint: CounterResetHint.Gauge };
  } catch {
    notes.warn(
      `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name}`,
    );
    return undefined;
  }
}

function emptyLike(h: FloatHistogram): FloatHistogram {
  const e: FloatHistogram = {
    counterResetHint: CounterResetHint.Unknown,
    schema: h.schema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
  };
  if (h.customValues !== undefined) e.customValues = h.customValues;
  return e;
}

/** The range functions that read histogram samples too: the sample count, presence, first and last. */
const HISTOGRAM_OVER_TIME: Readonly<
  Record<string, (rs: RangeSeries) => { v: number; h?: FloatHistogram; keepName: boolean }>
> = {
  count_over_time: (rs) => ({ v: rs.to - rs.from, keepName: false }),
  present_over_time: () => ({ v: 1, keepName: false }),
  ts_of_first_over_time: (rs) => ({ v: rs.t[rs.from] / 1000, keepName: false }),
  ts_of_last_over_time: (rs) => ({ v: rs.t[rs.to - 1] / 1000, keepName: false }),
  first_over_time: (rs) => ({ v: rs.v[rs.from], h: rs.h?.[rs.from], keepName: true }),
  last_over_time: (rs) => ({ v: rs.v[rs.to - 1], h: rs.h?.[rs.to - 1], keepName: true }),
  // Prometheus's funcResets/funcChanges: a switch between float and histogram counts as one
  resets: (rs) => ({
    v: countPairs(
      rs,
      (a, b, i) => b < a || stResetAt(rs.st, rs.t, i),
      (a, b, i) => stResetAt(rs.st, rs.t, i) || detectReset(b, a),
    ),
    keepName: false,
  }),
  changes: (rs) => ({
    v: countPairs(
      rs,
      (a, b) => a !== b && !(Number.isNaN(a) && Number.isNaN(b)),
      (a, b) => !histogramsEqual(b, a),
    ),
    keepName: false,
  }),
};

/** How many consecutive pairs of a window differ as `floats`/`hists` say (a kind switch always counts). */
function countPairs(
  rs: RangeSeries,
  floats: (prev: number, cur: number, i: number) => boolean,
  hists: (prev: FloatHistogram, cur: FloatHistogram, i: number) => boolean,
): number {
  let n = 0;
  for (let i = rs.from + 1; i < rs.to; i++) {
    const a = rs.h?.[i - 1];
    const b = rs.h?.[i];
    if (a === undefined && b === undefined) {
      if (floats(rs.v[i - 1], rs.v[i], i)) n++;
    } else if (a === undefined || b === undefined) n++;
    else if (hists(a, b, i)) n++;
  }
  return n;
}

/**
 * The selectors whose histograms Prometheus reads through its HistogramStatsIterator: below
 * histogram_count, histogram_sum or histogram_avg, with no subquery, histogram_quantile(s),
 * histogram_fraction or trim operator between (Prometheus's detectHistogramStatsDecoding).
 */
function statsOnlySelectors(root: Expr): Set<VectorSelector> {
  const out = new Set<VectorSelector>();
  const visit = (e: Expr, statsOnly: boolean): void => {
    if (e.type === 'VectorSelector') {
      if (statsOnly) out.add(e);
      return;
    }
    let below = statsOnly;
    if (e.type === 'SubqueryExpr') below = false;
    else if (e.type === 'Call') {
      if (e.func === 'histogram_count' || e.func === 'histogram_sum' || e.func === 'histogram_avg')
        below = true;
      else if (
        e.func === 'histogram_quantile' ||
        e.func === 'histogram_quantiles' ||
        e.func === 'histogram_fraction'
      )
        below = false;
    } else if (e.type === 'BinaryExpr' && ((e.op as string) === '</' || (e.op as string) === '>/'))
      below = false;
    for (const c of children(e)) visit(c, below);
  };
  visit(root, false);
  return out;
}

/**
 * Histograms as Prometheus's HistogramStatsIterator hands them out: count, sum and schema only, and
 * an "unknown" hint replaced by what the sample before says (reset detected or not), so that an
 * aggregation can see resets a chunk boundary hid.
 */
function histogramStatsOnly(hs: Array<FloatHistogram | undefined>): void {
  let last: FloatHistogram | undefined;
  for (let i = 0; i < hs.length; i++) {
    const cur = hs[i];
    if (cur === undefined) continue;
    let hint = cur.counterResetHint;
    if (hint === CounterResetHint.Unknown && last !== undefined)
      hint = detectReset(cur, last) ? CounterResetHint.CounterReset : CounterResetHint.NotCounterReset;
    hs[i] = {
      counterResetHint: hint,
      schema: cur.schema,
      zeroThreshold: 0,
      zeroCount: 0,
      count: cur.count,
      sum: cur.sum,
      positiveSpans: [],
      positiveBuckets: [],
      negativeSpans: [],
      negativeBuckets: [],
    };
    last = cur;
  }
}

/** A series' float and histogram samples merged by time (integer histograms as float ones). */
function withHistograms(
  labels: Labels,
  ft: Float64Array,
  fv: Float64Array,
  hs: readonly HistogramSample[],
  useST = false,
  fst?: Float64Array,
): LoadedSeries {
  const n = ft.length + hs.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const h: Array<FloatHistogram | undefined> = new Array(n);
  // start timestamps, when used and any sample has one
  const st =
    useST && (fst !== undefined || hs.some((x) => (x.st ?? 0) !== 0)) ? new Float64Array(n) : undefined;
  let i = 0;
  let j = 0;
  let k = 0;
  let stale = false;
  while (i < ft.length || j < hs.length) {
    if (j >= hs.length || (i < ft.length && ft[i] <= hs[j].t)) {
      if (j < hs.length && ft[i] === hs[j].t) j++; // a float and a histogram at one time: the float stays
      t[k] = ft[i];
      v[k] = fv[i];
      if (st !== undefined && fst !== undefined) st[k] = fst[i];
      stale ||= fv[i] !== fv[i] && isStaleNaN(fv[i]);
      k++;
      i++;
      continue;
    }
    const x = hs[j++];
    const fh = x.fh ?? toFloatHistogram(x.h!);
    t[k] = x.t;
    if (st !== undefined) st[k] = x.st ?? 0;
    if (isStaleNaN(fh.sum)) {
      v[k] = STALE_NAN;
      stale = true;
    } else h[k] = fh;
    k++;
  }
  const out: LoadedSeries = { labels, t: t.subarray(0, k), v: v.subarray(0, k), h: h.slice(0, k), stale };
  if (st !== undefined) out.st = st.subarray(0, k);
  return out;
}

/**
 * h multiplied by f (Prometheus's Mul; with `divisor`, its Div by that number, so that 0 gives
 * Prometheus's infinities and no buckets), compacted.
 */
function scaleHistogram(h: FloatHistogram, f: number, divisor?: number): FloatHistogram {
  return divisor === undefined ? scaleFloatHistogram(h, f, false) : scaleFloatHistogram(h, divisor, true);
}

/** A vector without its histogram samples. */
function floatsOnly(vec: InstantVector): InstantVector {
  for (const s of vec) if (s.h !== undefined) return vec.filter((x) => x.h === undefined);
  return vec;
}

/** A step value with histogram samples left out (vectors and range vectors). */
/** Float range functions that tell, with an info, when they ignore histograms mixed with floats. */
const MIXED_RANGE_INFO = new Set([
  'deriv',
  'predict_linear',
  'double_exponential_smoothing',
  'mad_over_time',
  'min_over_time',
  'max_over_time',
  'ts_of_min_over_time',
  'ts_of_max_over_time',
  'quantile_over_time',
  'stddev_over_time',
  'stdvar_over_time',
]);

function floatValue(v: StepValue): StepValue {
  if (v.kind === 'vector') {
    const f = floatsOnly(v.v);
    return f === v.v ? v : { kind: 'vector', v: f };
  }
  if (v.kind !== 'matrix' || !v.v.some((s) => s.h !== undefined)) return v;
  const out: RangeSeries[] = [];
  for (const s of v.v) {
    if (s.h === undefined) {
      out.push(s);
      continue;
    }
    const tt: number[] = [];
    const vv: number[] = [];
    for (let i = s.from; i < s.to; i++) {
      if (s.h[i] !== undefined) continue;
      tt.push(s.t[i]);
      vv.push(s.v[i]);
    }
    if (tt.length === 0) continue;
    const rs: RangeSeries = {
      ...s,
      t: Float64Array.from(tt),
      v: Float64Array.from(vv),
      from: 0,
      to: tt.length,
    };
    delete rs.h;
    out.push(rs);
  }
  return { ...v, v: out };
}

/** Prometheus's HistogramQuantile for a native histogram (exponential interpolation within a bucket). */
function histogramQuantile(
  q: number,
  h: FloatHistogram,
  metricName: string,
  info: (m: string) => void,
): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (h.count === 0 || Number.isNaN(q)) return NaN;
  const buckets = allBuckets(h);
  const forward = Number.isNaN(h.sum) || q < 0.5;
  const order = forward ? buckets : [...buckets].reverse();
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let k = 0;
  // Go's zero Bucket when the histogram has none (only NaN observations): the rank is not reached
  let bucket: Bucket = { lower: 0, upper: 0, lowerInclusive: false, upperInclusive: false, count: 0 };
  for (; k < order.length; k++) {
    const b = order[k];
    if (b.count === 0) continue;
    bucket = { ...b };
    count += b.count;
    if (count >= rank) break;
  }
  const custom = isCustomBucketsSchema(h.schema);
  if (!custom && bucket.lower < 0 && bucket.upper > 0) {
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) bucket.lower = 0;
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) bucket.upper = 0;
  } else if (custom) {
    if (bucket.lower === -Infinity) {
      if (bucket.upper <= 0) return bucket.upper;
      bucket.lower = 0;
    } else if (bucket.upper === Infinity) return bucket.lower;
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (Number.isNaN(h.sum)) {
      info(
        `PromQL info: input to histogram_quantile has NaN observations, result is NaN for metric name ${JSON.stringify(metricName)}`,
      );
      return NaN;
    }
    return bucket.upper;
  }
  if (forward) rank -= count - bucket.count;
  else rank = count - rank;
  if (Number.isNaN(h.sum)) {
    for (k++; k < order.length; k++) count += order[k].count;
    if (count < h.count)
      info(
        `PromQL info: input to histogram_quantile has NaN observations, result is skewed higher for metric name ${JSON.stringify(metricName)}`,
      );
  }
  const fraction = rank / bucket.count;
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0))
    return bucket.lower + (bucket.upper - bucket.lower) * fraction;
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return 2 ** (logLower + (logUpper - logLower) * fraction);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction)));
}

/** Prometheus's HistogramFraction for a native histogram: the share of observations in [lower, upper]. */
function histogramFraction(
  lower: number,
  upper: number,
  h: FloatHistogram,
  metricName: string,
  info: (m: string) => void,
): number {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  const buckets = allBuckets(h);
  const custom = isCustomBucketsSchema(h.schema);
  let count = 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  // Prometheus's Bucket.FractionBelow
  const below = (b: Bucket, v: number, linear: boolean): number => {
    if (linear) return (v - b.lower) / (b.upper - b.lower);
    const logLower = Math.log2(Math.abs(b.lower));
    const logUpper = Math.log2(Math.abs(b.upper));
    const logV = Math.log2(Math.abs(v));
    return v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
  };
  let k = 0;
  for (; k < buckets.length; k++) {
    const b = { ...buckets[k] };
    count += b.count;
    let zeroBucket = false;
    const interpolate = (v: number, linear: boolean): number =>
      linear && b.lower === -Infinity ? b.count : rank + b.count * below(b, v, linear);
    if (b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) b.lower = 0;
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) b.upper = 0;
    }
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = interpolate(lower, custom || zeroBucket);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = interpolate(upper, custom || zeroBucket);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  if (Number.isNaN(h.sum)) {
    for (k++; k < buckets.length; k++) count += buckets[k].count;
    if (count < h.count)
      info(
        `PromQL info: input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${JSON.stringify(metricName)}`,
      );
  } else count = h.count;
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / h.count;
}
