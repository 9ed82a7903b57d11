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
import { Labels, METRIC_NAME } from '../../model/labels.js';
import { isStaleNaN } from '../../model/value.js';
import type { Querier, Queryable } from '../../storage/interfaces.js';
import type {
  Annotations,
  FunctionArg,
  FunctionContext,
  FunctionImpl,
  InstantVector,
  RangeSeries,
  VectorElement,
} from './functions/types.js';
import {
  ERR_CANCELED,
  ERR_SAME_LABELSET,
  ERR_TIMEOUT,
  ERR_TOO_MANY_SAMPLES,
  QueryError,
  executionError,
} from './errors.js';
import {
  isSetOperator,
  scalarScalar,
  vectorAnd,
  vectorOr,
  vectorScalar,
  vectorUnless,
  vectorVector,
} from './binary.js';
import { aggregate } from './aggregate.js';
import { dropMetricName, labelsKey } from './labels-util.js';

export type StepValue =
  | { kind: 'vector'; v: InstantVector }
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'matrix'; v: RangeSeries[]; range: number; start: number; end: number };

interface LoadedSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
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

export class Evaluator {
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
  private readonly subqueryCache = new Map<SubqueryExpr, Map<number, StepValue>>();
  readonly delayedNameRemoval: boolean;
  private readonly annotations: Annotations;

  constructor(private readonly p: EvaluatorParams) {
    this.delayedNameRemoval = p.features.has('promql-delayed-name-removal');
    this.annotations = {
      warn: (m) => this.warnings.add(m),
      info: (m) => this.infos.add(m),
    };
  }

  close(): void {
    for (const q of this.queriers) q.close();
    this.queriers.length = 0;
  }

  /** Called between steps: yields to the event loop every ~10 ms, enforces timeout and cancellation. */
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

  /** Records the evaluation-time interval of every node, then loads each selector's series once. */
  prepare(root: Expr): void {
    this.walk(root, this.p.start, this.p.end);
    for (const [node, r] of this.evalRanges) {
      if (node.type !== 'VectorSelector') continue;
      this.load(node, r.lo, r.hi);
    }
  }

  private walk(e: Expr, lo: number, hi: number): void {
    switch (e.type) {
      case 'VectorSelector':
        this.widen(e, lo, hi, this.p.lookbackDelta);
        return;
      case 'MatrixSelector': {
        const r = this.rangeOf(e, lo);
        this.widen(e.vectorSelector, lo, hi, r);
        return;
      }
      case 'SubqueryExpr': {
        const at = this.atTime(e.at);
        const off = this.offsetOf(e, lo);
        const r = this.rangeOf(e, lo);
        const l = (at ?? lo) - off - r;
        const h = (at ?? hi) - off;
        this.walk(e.expr, l, h);
        return;
      }
      case 'Call':
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
  private widen(vs: VectorSelector, lo: number, hi: number, window: number): void {
    const at = this.atTime(vs.at);
    const off = this.offsetOf(vs, hi);
    const dlo = (at ?? lo) - off - window;
    const dhi = (at ?? hi) - off;
    const cur = this.evalRanges.get(vs);
    if (cur === undefined) this.evalRanges.set(vs, { lo: dlo, hi: dhi });
    else this.evalRanges.set(vs, { lo: Math.min(cur.lo, dlo), hi: Math.max(cur.hi, dhi) });
  }

  private load(vs: VectorSelector, lo: number, hi: number): void {
    const q = this.p.queryable.querier(lo + 1, hi);
    this.queriers.push(q);
    // hints carry the selector's own data range (storage may narrow its read to it)
    const set = q.select(vs.matchers, { start: lo + 1, end: hi, step: this.p.step });
    const out: LoadedSeries[] = [];
    for (const s of set) {
      const b = s.samples();
      if (b.length === 0) continue;
      this.samplesLoaded += b.length;
      out.push({ labels: s.labels, t: b.t.subarray(0, b.length), v: b.v.subarray(0, b.length) });
    }
    for (const w of set.warnings) this.warnings.add(w);
    this.loaded.set(vs, out);
  }

  private seriesOf(vs: VectorSelector): LoadedSeries[] {
    let s = this.loaded.get(vs);
    if (s === undefined) {
      // not seen by prepare (e.g. a duration-dependent range): load around the query
      this.load(vs, this.p.start - 86_400_000 * 365, this.p.end);
      s = this.loaded.get(vs)!;
    }
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
          if (this.delayedNameRemoval) el.dropName = true;
          else el.labels = dropMetricName(s.labels);
          return el;
        });
        this.checkDuplicates(out);
        return { kind: 'vector', v: out };
      }
      case 'VectorSelector':
        return { kind: 'vector', v: this.vectorSelector(e, t, false) };
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

  private vectorSelector(vs: VectorSelector, t: number, sampleTimestamps: boolean): InstantVector {
    const te = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const lb = te - this.p.lookbackDelta;
    const out: InstantVector = [];
    for (const s of this.seriesOf(vs)) {
      const i = upperBound(s.t, te) - 1;
      if (i < 0 || s.t[i] <= lb) continue;
      const v = s.v[i];
      if (isStaleNaN(v)) continue;
      out.push({ labels: s.labels, t: sampleTimestamps ? s.t[i] : t, v });
    }
    this.countSamples(out.length);
    return out;
  }

  private matrixSelector(ms: MatrixSelector, t: number): StepValue {
    const vs = ms.vectorSelector;
    const range = this.rangeOf(ms, t);
    const end = (this.atTime(vs.at) ?? t) - this.offsetOf(vs, t);
    const start = end - range;
    const out: RangeSeries[] = [];
    let n = 0;
    for (const s of this.seriesOf(vs)) {
      const from = upperBound(s.t, start);
      const to = upperBound(s.t, end, from);
      if (from >= to) continue;
      // stale markers are not samples of a range
      let stale = 0;
      for (let i = from; i < to; i++) if (isStaleNaN(s.v[i])) stale++;
      if (stale === 0) {
        out.push({ labels: s.labels, t: s.t, v: s.v, from, to });
      } else if (stale < to - from) {
        const tt = new Float64Array(to - from - stale);
        const vv = new Float64Array(to - from - stale);
        let j = 0;
        for (let i = from; i < to; i++) {
          if (isStaleNaN(s.v[i])) continue;
          tt[j] = s.t[i];
          vv[j++] = s.v[i];
        }
        out.push({ labels: s.labels, t: tt, v: vv, from: 0, to: j });
      } else continue;
      n += to - from - stale;
    }
    this.countSamples(n);
    return { kind: 'matrix', v: out, range, start, end };
  }

  private subquery(sq: SubqueryExpr, t: number): StepValue {
    const range = this.rangeOf(sq, t);
    const end = (this.atTime(sq.at) ?? t) - this.offsetOf(sq, t);
    const start = end - range;
    let step = sq.stepExpr !== undefined ? this.durationMs(sq.stepExpr, t) : sq.step;
    if (!(step > 0)) step = this.p.defaultEvaluationInterval;
    // inner steps are the multiples of the step in (start, end], as Prometheus aligns them
    let first = step * Math.trunc(start / step);
    if (first <= start) first += step;
    let cache = this.subqueryCache.get(sq);
    if (cache === undefined) {
      cache = new Map();
      this.subqueryCache.set(sq, cache);
    }
    const bySeries = new Map<string, { labels: Labels; t: number[]; v: number[]; dropName: boolean }>();
    const order: { labels: Labels; t: number[]; v: number[]; dropName: boolean }[] = [];
    let n = 0;
    for (let ti = first; ti <= end; ti += step) {
      this.checkLimits();
      let val = cache.get(ti);
      if (val === undefined) {
        val = this.eval(sq.expr, ti);
        cache.set(ti, val);
      }
      const els: InstantVector =
        val.kind === 'vector'
          ? val.v
          : val.kind === 'scalar'
            ? [{ labels: Labels.EMPTY, t: ti, v: val.v }]
            : [];
      for (const el of els) {
        const key = labelsKey(el.labels);
        let s = bySeries.get(key);
        if (s === undefined) {
          s = { labels: el.labels, t: [], v: [], dropName: el.dropName === true };
          bySeries.set(key, s);
          order.push(s);
        }
        s.t.push(ti);
        s.v.push(el.v);
        n++;
      }
    }
    // forget inner steps no later outer step can use (outer steps move forward)
    if (sq.at === undefined && cache.size > 0) {
      for (const k of cache.keys()) if (k <= start) cache.delete(k);
    }
    this.countSamples(n);
    const out: RangeSeries[] = order.map((s) => {
      const rs: RangeSeries = {
        labels: s.labels,
        t: Float64Array.from(s.t),
        v: Float64Array.from(s.v),
        from: 0,
        to: s.t.length,
      };
      if (s.dropName) rs.dropName = true;
      return rs;
    });
    return { kind: 'matrix', v: out, range, start, end };
  }

  private aggregateExpr(e: AggregateExpr, t: number): StepValue {
    let param: number | string | undefined;
    if (e.param !== undefined) {
      const p = this.eval(e.param, t);
      if (p.kind === 'scalar' || p.kind === 'string') param = p.v;
    }
    const vec = this.evalVector(e.expr, t);
    const out = aggregate(e, vec, param, t, this.annotations);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  private binaryExpr(e: BinaryExpr, t: number): StepValue {
    const l = this.eval(e.lhs, t);
    const r = this.eval(e.rhs, t);
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      return { kind: 'scalar', v: scalarScalar(e.op, l.v, r.v) };
    }
    let out: InstantVector;
    if (l.kind === 'vector' && r.kind === 'vector') {
      const m: VectorMatching = e.matching ?? {
        card: isSetOperator(e.op) ? 'many-to-many' : 'one-to-one',
        matchingLabels: [],
        on: false,
        include: [],
      };
      switch (e.op) {
        case 'and':
          return { kind: 'vector', v: vectorAnd(l.v, r.v, m) };
        case 'or':
          return { kind: 'vector', v: vectorOr(l.v, r.v, m) };
        case 'unless':
          return { kind: 'vector', v: vectorUnless(l.v, r.v, m) };
        default:
          out = vectorVector(e.op, l.v, r.v, m, e.returnBool, this.delayedNameRemoval);
      }
    } else if (l.kind === 'vector' && r.kind === 'scalar') {
      out = vectorScalar(e.op, l.v, r.v, false, e.returnBool, this.delayedNameRemoval);
    } else if (l.kind === 'scalar' && r.kind === 'vector') {
      out = vectorScalar(e.op, r.v, l.v, true, e.returnBool, this.delayedNameRemoval);
    } else {
      throw new QueryError('bad_data', `binary expression must contain only scalar and instant vector types`);
    }
    this.checkDuplicates(out);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
  }

  /** Prometheus's "vector cannot contain metrics with the same labelset" check on a step's output. */
  checkDuplicates(vec: InstantVector): void {
    if (vec.length < 2 || this.delayedNameRemoval) return;
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
  }

  /** For delayed name removal: drops flagged names at the end and checks for collisions. */
  finishVector(vec: InstantVector): InstantVector {
    if (!this.delayedNameRemoval) return vec;
    const out = vec.map((s) => (s.dropName ? { labels: dropMetricName(s.labels), t: s.t, v: s.v } : s));
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
      case 'timestamp': {
        const arg = unwrapParens(e.args[0]);
        // the sample's own timestamp, not the evaluation time (Prometheus special-cases this too)
        if (arg.type === 'VectorSelector') {
          const vec = this.vectorSelector(arg, t, true);
          return this.finishCall(e, t, [{ type: 'vector', value: vec }], undefined);
        }
        break;
      }
    }
    const args: FunctionArg[] = [];
    let window: { start: number; end: number } | undefined;
    for (const a of e.args) {
      const v = this.eval(a, t);
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
          args.push({ type: 'matrix', value: v.v, range: v.range });
          window = { start: v.start, end: v.end };
          break;
      }
    }
    return this.finishCall(e, t, args, window);
  }

  private finishCall(
    e: Call,
    t: number,
    args: FunctionArg[],
    window: { start: number; end: number } | undefined,
  ): StepValue {
    const impl = this.p.functions[e.func];
    if (impl === undefined) throw new QueryError('bad_data', `function "${e.func}" is not implemented`);
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
    };
    const res = impl(args, ctx);
    if (typeof res === 'number') return { kind: 'scalar', v: res };
    let out = res;
    if (!this.delayedNameRemoval) {
      out = res.map((s) => (s.dropName ? { labels: dropMetricName(s.labels), t: s.t, v: s.v } : s));
    }
    this.checkDuplicates(out);
    this.countSamples(out.length);
    return { kind: 'vector', v: out };
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
