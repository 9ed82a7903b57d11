// The experimental info() function: enriches series with the data labels of info series (target_info
// by default) sharing their identifying labels. Follows Prometheus 3.x's promql/info.go, evaluated
// one step at a time: info series are selected once per call node, then joined at every step.
import type { AtModifier, Call, Expr, VectorSelector } from '../parser/ast.js';
import { Labels, METRIC_NAME } from '../../model/labels.js';
import { Matcher } from '../../model/matcher.js';
import { isStaleNaN } from '../../model/value.js';
import type { Querier, Queryable, SelectRequest } from '../../storage/interfaces.js';
import type { InstantVector, VectorElement } from './functions/types.js';
import { QueryError, executionError } from './errors.js';

const TARGET_INFO = 'target_info';
/** The labels considered identifying for info metrics (hard coded, as in Prometheus). */
const IDENTIFYING_LABELS = ['instance', 'job'] as const;

/** What info() needs from the evaluator. */
export interface InfoHost {
  readonly queryable: Queryable;
  readonly lookbackDelta: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  evalVector(e: Expr, t: number): InstantVector;
  addQuerier(q: Querier): void;
  addWarning(m: string): void;
  addSamplesLoaded(n: number): void;
}

interface InfoSeries {
  labels: Labels;
  name: string;
  /** Signature: name and identifying labels. */
  sig: string;
  t: Float64Array;
  v: Float64Array;
}

interface CallState {
  /** Data interval [lo, hi] of the info series (inclusive). */
  lo: number;
  hi: number;
  series?: InfoSeries[];
  /** `__name__` matchers selecting the info metrics (also which base series are left alone). */
  nameMatchers: Matcher[];
  /** Data label matchers by label name (without `__name__`). */
  dataMatchers: Map<string, Matcher[]>;
  /** Matchers selecting the info series from storage. */
  selectMatchers: Matcher[];
  /** Whether a series without matching info series is dropped. */
  dropUnmatched: boolean;
}

/** Index of the first timestamp > t. */
function upperBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first vector selector in depth-first order, as Prometheus's parser.Inspect finds it. */
function firstSelector(e: Expr): VectorSelector | undefined {
  switch (e.type) {
    case 'VectorSelector':
      return e;
    case 'MatrixSelector':
      return e.vectorSelector;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
      return firstSelector(e.expr);
    case 'Call':
      for (const a of e.args) {
        const s = firstSelector(a);
        if (s !== undefined) return s;
      }
      return undefined;
    case 'AggregateExpr':
      return (e.param !== undefined ? firstSelector(e.param) : undefined) ?? firstSelector(e.expr);
    case 'BinaryExpr':
      return firstSelector(e.lhs) ?? firstSelector(e.rhs);
    default:
      return undefined;
  }
}

function matchesAll(ms: readonly Matcher[], v: string): boolean {
  for (const m of ms) if (!m.matches(v)) return false;
  return true;
}

function signature(name: string, ls: Labels): string {
  const parts = [name];
  for (const l of IDENTIFYING_LABELS) {
    const v = ls.get(l);
    parts.push(v === undefined || v === '' ? '\u0000' : v);
  }
  return JSON.stringify(parts);
}

export class InfoFunction {
  private readonly calls = new Map<Call, CallState>();

  constructor(private readonly host: InfoHost) {}

  private atTime(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at.kind === 'time') return at.ms;
    return at.kind === 'start' ? this.host.start : this.host.end;
  }

  private state(e: Call): CallState {
    let st = this.calls.get(e);
    if (st !== undefined) return st;
    const dataMatchers = new Map<string, Matcher[]>();
    let nameMatchers: Matcher[] = [];
    const selectMatchers: Matcher[] = [];
    if (e.args.length > 1) {
      const sel = e.args[1];
      if (sel.type !== 'VectorSelector') throw new QueryError('bad_data', 'expected label selectors only');
      for (const m of sel.matchers) {
        selectMatchers.push(m);
        if (m.name === METRIC_NAME) nameMatchers.push(m);
        else {
          const ms = dataMatchers.get(m.name);
          if (ms === undefined) dataMatchers.set(m.name, [m]);
          else ms.push(m);
        }
      }
      if (nameMatchers.length === 0) selectMatchers.unshift(new Matcher('=', METRIC_NAME, TARGET_INFO));
      else if (!nameMatchers.some((m) => m.type === '=' || m.type === '=~')) {
        // only negated name matchers: they narrow down the info metrics, not all other series
        const m = new Matcher('=~', METRIC_NAME, '.+_info');
        nameMatchers.unshift(m);
        selectMatchers.unshift(m);
      }
    } else {
      nameMatchers = [new Matcher('=', METRIC_NAME, TARGET_INFO)];
      selectMatchers.push(nameMatchers[0]);
    }
    let dropUnmatched = false;
    for (const ms of dataMatchers.values()) for (const m of ms) if (!m.matches('')) dropUnmatched = true;
    st = { lo: Infinity, hi: -Infinity, nameMatchers, dataMatchers, selectMatchers, dropUnmatched };
    this.calls.set(e, st);
    return st;
  }

  /** The selects the info() calls walked so far will make (their series are loaded lazily). */
  selects(): SelectRequest[] {
    const out: SelectRequest[] = [];
    for (const st of this.calls.values()) {
      if (st.lo <= st.hi) out.push({ matchers: st.selectMatchers, mint: st.lo, maxt: st.hi });
    }
    return out;
  }

  /** Records that the call is evaluated at times in [lo, hi] (before any evaluation). */
  widen(e: Call, lo: number, hi: number): void {
    const st = this.state(e);
    const vs = firstSelector(e.args[0]);
    const at = vs !== undefined ? this.atTime(vs.at) : undefined;
    const off = vs?.offset ?? 0;
    // one ms fewer than the lookback delta: samples exactly lookback before are excluded
    st.lo = Math.min(st.lo, (at ?? lo) - this.host.lookbackDelta + 1 - off);
    st.hi = Math.max(st.hi, (at ?? hi) - off);
  }

  private load(st: CallState): InfoSeries[] {
    if (st.series !== undefined) return st.series;
    if (st.lo > st.hi) {
      // not seen by prepare: load around the query
      st.lo = this.host.start - 86_400_000 * 365;
      st.hi = this.host.end;
    }
    const q = this.host.queryable.querier(st.lo, st.hi);
    this.host.addQuerier(q);
    const set = q.select(st.selectMatchers, {
      start: st.lo,
      end: st.hi,
      step: this.host.step,
      func: 'info',
    });
    const out: InfoSeries[] = [];
    for (const s of set) {
      const b = s.samples();
      // an info metric holds floats (Prometheus fails the query on a histogram sample)
      if ((s.histograms?.() ?? []).some((x) => x.t >= st.lo && x.t <= st.hi))
        throw new QueryError('execution', 'info sample should be float');
      // keep the samples within [lo, hi] only
      let from = 0;
      while (from < b.length && b.t[from] < st.lo) from++;
      let to = b.length;
      while (to > from && b.t[to - 1] > st.hi) to--;
      if (from >= to) continue;
      this.host.addSamplesLoaded(to - from);
      const name = s.labels.get(METRIC_NAME) ?? '';
      out.push({
        labels: s.labels,
        name,
        sig: signature(name, s.labels),
        t: b.t.subarray(from, to),
        v: b.v.subarray(from, to),
      });
    }
    for (const w of set.warnings) this.host.addWarning(w);
    st.series = out;
    return out;
  }

  /** info(v [, selector]) at evaluation time t. */
  eval(e: Call, t: number): InstantVector {
    const st = this.state(e);
    const base = this.host.evalVector(e.args[0], t);
    if (base.length === 0) return [];
    const infoSeries = this.load(st);

    // info series themselves are not enriched
    const ignored = base.map(
      (s) => st.nameMatchers.length > 0 && matchesAll(st.nameMatchers, s.labels.get(METRIC_NAME) ?? ''),
    );
    // values of the identifying labels of the series to enrich
    const idValues = new Map<string, Set<string>>();
    base.forEach((s, i) => {
      if (ignored[i]) return;
      for (const l of IDENTIFYING_LABELS) {
        const v = s.labels.get(l);
        if (v === undefined || v === '') continue;
        let set = idValues.get(l);
        if (set === undefined) idValues.set(l, (set = new Set()));
        set.add(v);
      }
    });

    // the latest info sample per signature; a sample's own timestamp resolves conflicts
    const bySig = new Map<string, { s: InfoSeries; origT: number }>();
    const lb = t - this.host.lookbackDelta;
    if (idValues.size > 0) {
      for (const is of infoSeries) {
        let ok = true;
        for (const [l, vals] of idValues) {
          if (!vals.has(is.labels.get(l) ?? '')) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        const i = upperBound(is.t, t) - 1;
        if (i < 0 || is.t[i] <= lb || isStaleNaN(is.v[i])) continue;
        const origT = is.t[i];
        const existing = bySig.get(is.sig);
        if (existing === undefined || existing.origT < origT) {
          bySig.set(is.sig, { s: is, origT });
        } else if (existing.origT === origT) {
          throw executionError(
            `found duplicate series for info metric: existing ${existing.s.labels.toString()} @ ${existing.origT}, new ${is.labels.toString()} @ ${origT}`,
          );
        }
      }
    }
    const infoNames = new Set<string>();
    for (const { s } of bySig.values()) infoNames.add(s.name);

    const out: InstantVector = [];
    base.forEach((bs, i) => {
      if (ignored[i]) {
        out.push(bs);
        return;
      }
      const added = new Map<string, string>();
      let seen = 0;
      for (const name of infoNames) {
        const m = bySig.get(signature(name, bs.labels));
        if (m === undefined) continue;
        seen++;
        m.s.labels.forEach((n, v) => {
          if (n === METRIC_NAME) return;
          if (st.dataMatchers.size > 0 && !st.dataMatchers.has(n)) return;
          const prev = added.get(n);
          if (prev !== undefined && prev !== '' && prev !== v) {
            throw executionError(`conflicting label: ${n}`);
          }
          if (bs.labels.has(n)) return;
          added.set(n, v);
        });
      }
      if (seen === 0 && st.dropUnmatched) return;
      if (added.size === 0) {
        out.push(bs);
        return;
      }
      const rec = bs.labels.toRecord();
      for (const [n, v] of added) rec[n] = v;
      const el: VectorElement = { labels: Labels.fromRecord(rec), t: bs.t, v: bs.v };
      if (bs.dropName === true) el.dropName = true;
      out.push(el);
    });
    return out;
  }
}
