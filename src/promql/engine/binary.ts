// Binary operators on scalars and instant vectors, as Prometheus's VectorBinop, VectorscalarBinop,
// VectorAnd/Or/Unless (promql/engine.go).
import {
  addFloatHistograms,
  CounterResetHint,
  compactHistogram,
  histogramsEqual,
  scaleFloatHistogram,
  trimBuckets,
  type FloatHistogram,
} from '../../model/histogram.js';
import type { BinaryOp, VectorMatching } from '../parser/ast.js';
import type { InstantVector, VectorElement } from './functions/types.js';
import { executionError } from './errors.js';
import { dropMetricName, keepLabels, setLabel, signature, withoutLabels } from './labels-util.js';
import { Labels, METRIC_NAME } from '../../model/labels.js';

export function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** The native histogram trim operators `</` and `>/`. */
export function isTrim(op: BinaryOp): boolean {
  return op === '</' || op === '>/';
}

export function isSetOperator(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Arithmetic drops the metric name; comparisons (without bool) and set operators keep it. */
export function dropsMetricName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2';
}

/** Go's math.Pow where it differs from `**` (1 to any power, -1 to ±Inf). */
function pow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Arithmetic value, or for comparisons whether the pair is kept (value is then lhs). */
export function scalarOp(op: BinaryOp, l: number, r: number): { v: number; keep: boolean } {
  switch (op) {
    case '+':
      return { v: l + r, keep: true };
    case '-':
      return { v: l - r, keep: true };
    case '*':
      return { v: l * r, keep: true };
    case '/':
      return { v: l / r, keep: true };
    case '%':
      return { v: l % r, keep: true };
    case '^':
      return { v: pow(l, r), keep: true };
    case 'atan2':
      return { v: Math.atan2(l, r), keep: true };
    case '==':
      return { v: l, keep: l === r };
    case '!=':
      return { v: l, keep: l !== r };
    case '>':
      return { v: l, keep: l > r };
    case '<':
      return { v: l, keep: l < r };
    case '>=':
      return { v: l, keep: l >= r };
    case '<=':
      return { v: l, keep: l <= r };
    default:
      throw executionError(`operator "${op}" not allowed for scalar operations`);
  }
}

/** Comparisons between scalars always need `bool` (the parser enforces it), so they yield 0 or 1. */
export function scalarScalar(op: BinaryOp, l: number, r: number): number {
  const { v, keep } = scalarOp(op, l, r);
  if (isComparison(op)) return keep ? 1 : 0;
  return v;
}

/** vector op scalar, or scalar op vector when `swap`. */
export function vectorScalar(
  op: BinaryOp,
  vec: InstantVector,
  scalar: number,
  swap: boolean,
  returnBool: boolean,
  delayedNameRemoval: boolean,
): InstantVector {
  const out: InstantVector = [];
  const cmp = isComparison(op);
  const drop = returnBool || dropsMetricName(op);
  for (const s of vec) {
    const l = swap ? scalar : s.v;
    const r = swap ? s.v : scalar;
    let { v, keep } = scalarOp(op, l, r);
    // a comparison keeps the vector element's value, even when the scalar is on the left
    if (cmp && swap) v = r;
    if (returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    const el: VectorElement = { labels: s.labels, t: s.t, v };
    if (drop) {
      if (delayedNameRemoval) el.dropName = true;
      else el.labels = dropMetricName(s.labels);
    } else if (s.dropName) el.dropName = true;
    out.push(el);
  }
  return out;
}

function sigsOf(vec: InstantVector, m: VectorMatching): string[] {
  return vec.map((s) => signature(s.labels, m.on, m.matchingLabels));
}

export function vectorAnd(lhs: InstantVector, rhs: InstantVector, m: VectorMatching): InstantVector {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const right = new Set(sigsOf(rhs, m));
  const ls = sigsOf(lhs, m);
  return lhs.filter((_, i) => right.has(ls[i]));
}

export function vectorOr(lhs: InstantVector, rhs: InstantVector, m: VectorMatching): InstantVector {
  if (lhs.length === 0) return rhs.slice();
  if (rhs.length === 0) return lhs.slice();
  const left = new Set(sigsOf(lhs, m));
  const out = lhs.slice();
  const rs = sigsOf(rhs, m);
  rhs.forEach((s, i) => {
    if (!left.has(rs[i])) out.push(s);
  });
  return out;
}

export function vectorUnless(lhs: InstantVector, rhs: InstantVector, m: VectorMatching): InstantVector {
  if (lhs.length === 0 || rhs.length === 0) return lhs.slice();
  const right = new Set(sigsOf(rhs, m));
  const ls = sigsOf(lhs, m);
  return lhs.filter((_, i) => !right.has(ls[i]));
}

/**
 * What one binary expression remembers across the steps of a query: a series' match signature and
 * its result labels are computed once, and equal result labels are one object (so they can be
 * compared by identity and their hash is cached).
 */
export class MatchCache {
  private readonly sigs = new Map<Labels, string>();
  private readonly results = new Map<Labels, { rhs: Labels | undefined; out: Labels }>();
  private readonly interned = new Map<string, Labels>();

  constructor(private readonly m: VectorMatching) {}

  signature(ls: Labels): string {
    let sig = this.sigs.get(ls);
    if (sig === undefined) {
      sig = signature(ls, this.m.on, this.m.matchingLabels);
      this.sigs.set(ls, sig);
    }
    return sig;
  }

  /** The result labels for a left-hand series matched with `rhs`, computed by `make` once. */
  result(ls: Labels, rhs: Labels | undefined, make: () => Labels): Labels {
    const hit = this.results.get(ls);
    if (hit !== undefined && hit.rhs === rhs) return hit.out;
    const made = make();
    const key = made.pairs.join('\xff');
    let out = this.interned.get(key);
    if (out === undefined) {
      out = made;
      this.interned.set(key, out);
    }
    this.results.set(ls, { rhs, out });
    return out;
  }
}

/** One-to-one, many-to-one and one-to-many matching of two vectors. */
export function vectorVector(
  op: BinaryOp,
  lhsIn: InstantVector,
  rhsIn: InstantVector,
  m: VectorMatching,
  returnBool: boolean,
  delayedNameRemoval: boolean,
  cache: MatchCache = new MatchCache(m),
  /** Told Prometheus's annotations about histogram operands (infos, and warnings by their prefix). */
  info: (message: string) => void = () => {},
): InstantVector {
  if (m.card === 'many-to-many') throw executionError('many-to-many only allowed for set operators');
  // one-to-many is many-to-one with the sides swapped; values are swapped back for the operation
  const swapped = m.card === 'one-to-many';
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  // Experimental fill modifiers. As in Prometheus, the fill values apply to the sides after the
  // one-to-many swap: with group_right, fill_left fills the "many" side and fill_right the "one" side.
  const fillLhs = m.fill?.lhs;
  const fillRhs = m.fill?.rhs;
  if ((lhs.length === 0 && fillLhs === undefined) || (rhs.length === 0 && fillRhs === undefined)) return [];

  const rightSigs = new Map<string, VectorElement>();
  for (const rs of rhs) {
    const sig = cache.signature(rs.labels);
    const dup = rightSigs.get(sig);
    if (dup !== undefined) {
      const oneSide = swapped ? 'left' : 'right';
      const matched = m.on
        ? keepLabels(rs.labels, m.matchingLabels)
        : withoutLabels(rs.labels, [...m.matchingLabels, METRIC_NAME]);
      throw executionError(
        `found duplicate series for the match group ${matched.toString()} on the ${oneSide} hand-side of the operation: ` +
          `[${rs.labels.toString()}, ${dup.labels.toString()}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs.set(sig, rs);
  }

  const matchedSigs = new Map<string, Set<Labels> | null>();
  const out: InstantVector = [];
  const dropName = returnBool || dropsMetricName(op);
  for (const ls of lhs) {
    const sig = cache.signature(ls.labels);
    const matched = rightSigs.get(sig);
    if (matched === undefined && fillRhs === undefined) continue;
    // a missing right-hand sample is filled in; the labels it would join (include) stay unset
    const rs = matched ?? { labels: Labels.EMPTY, t: ls.t, v: fillRhs as number };
    const fl = swapped ? rs.v : ls.v;
    const fr = swapped ? ls.v : rs.v;
    let res: { v: number; keep: boolean; h?: FloatHistogram };
    if (ls.h === undefined && rs.h === undefined) {
      if (isTrim(op)) {
        info(
          `PromQL info: incompatible sample types encountered for binary operator "${op}": float ${op} float`,
        );
        continue;
      }
      res = scalarOp(op, fl, fr);
    } else {
      const hr = histogramOp(op, swapped ? rs : ls, swapped ? ls : rs, info);
      if (hr === undefined) continue;
      res = hr;
    }
    const metric = cache.result(ls.labels, matched?.labels, () => {
      let metric = ls.labels;
      if (dropsMetricName(op) && !delayedNameRemoval) metric = dropMetricName(metric);
      if (m.card === 'one-to-one') {
        metric = m.on ? keepLabels(metric, m.matchingLabels) : withoutLabels(metric, m.matchingLabels);
      }
      if (matched !== undefined)
        for (const ln of m.include) metric = setLabel(metric, ln, rs.labels.get(ln) ?? '');
      if (returnBool && !delayedNameRemoval) metric = dropMetricName(metric);
      return metric;
    });

    const seen = matchedSigs.get(sig);
    if (m.card === 'one-to-one') {
      if (seen !== undefined) {
        throw executionError(
          'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        );
      }
      matchedSigs.set(sig, null);
    } else {
      // equal result labels are one object (MatchCache interns them)
      if (seen === undefined || seen === null) {
        matchedSigs.set(sig, new Set([metric]));
      } else if (seen.has(metric)) {
        throw executionError('multiple matches for labels: grouping labels must ensure unique matches');
      } else {
        seen.add(metric);
      }
    }

    let v = res.v;
    if (returnBool) v = res.keep ? 1 : 0;
    else if (!res.keep) continue;
    const el: VectorElement = { labels: metric, t: ls.t, v };
    if (res.h !== undefined && !returnBool) el.h = res.h;
    if (delayedNameRemoval && (dropName || ls.dropName)) el.dropName = true;
    out.push(el);
  }
  if (fillLhs !== undefined) {
    // right-hand samples no left-hand sample matched get a filled-in left-hand sample, which has
    // the labels of the match group only
    for (const [sig, rs] of rightSigs) {
      if (matchedSigs.has(sig)) continue;
      const fl = swapped ? rs.v : fillLhs;
      const fr = swapped ? fillLhs : rs.v;
      const res = scalarOp(op, fl, fr);
      let v = res.v;
      if (returnBool) v = res.keep ? 1 : 0;
      else if (!res.keep) continue;
      let metric = m.on
        ? keepLabels(rs.labels, m.matchingLabels)
        : withoutLabels(rs.labels, [...m.matchingLabels, METRIC_NAME]);
      for (const ln of m.include) metric = setLabel(metric, ln, rs.labels.get(ln) ?? '');
      out.push({ labels: metric, t: rs.t, v });
    }
  }
  return out;
}

/**
 * An operator with a native histogram on one side or both (Prometheus's vectorElemBinop): h + h and
 * h - h add up (compacted), h == h and h != h compare whole histograms, h * f, f * h and h / f scale;
 * anything else has no result and Prometheus's "incompatible sample types" info (undefined).
 */
function histogramOp(
  op: BinaryOp,
  l: VectorElement,
  r: VectorElement,
  info: (message: string) => void,
): { v: number; keep: boolean; h?: FloatHistogram } | undefined {
  const lh = l.h;
  const rh = r.h;
  if (lh !== undefined && rh !== undefined) {
    if (op === '+' || op === '-') {
      // Prometheus's Add/Sub: hints combined (a reset/not-a-reset collision warns), other custom
      // bounds reconciled (an info); a difference is a gauge
      const what = op === '+' ? 'addition' : 'subtraction';
      const out: { counterResetCollision?: boolean; nhcbBoundsReconciled?: boolean } = {};
      let h: FloatHistogram;
      try {
        h = compactHistogram(addFloatHistograms(lh, rh, op === '-', out), true);
      } catch {
        return undefined;
      }
      if (out.counterResetCollision === true)
        info(`PromQL warning: conflicting counter resets during histogram ${what}`);
      if (out.nhcbBoundsReconciled === true)
        info(`PromQL info: mismatched custom buckets were reconciled during ${what}`);
      if (op === '-') h.counterResetHint = CounterResetHint.Gauge;
      return { v: 0, keep: true, h };
    }
    if (op === '==' || op === '!=') {
      const same = histogramsEqual(lh, rh);
      return { v: 0, keep: op === '==' ? same : !same, h: lh };
    }
  } else if (lh !== undefined && op === '*')
    return { v: 0, keep: true, h: scaleFloatHistogram(lh, r.v, false) };
  else if (rh !== undefined && op === '*')
    return { v: 0, keep: true, h: scaleFloatHistogram(rh, l.v, false) };
  else if (lh !== undefined && op === '/') return { v: 0, keep: true, h: scaleFloatHistogram(lh, r.v, true) };
  else if (lh !== undefined && isTrim(op)) return { v: 0, keep: true, h: trimBuckets(lh, r.v, op === '</') };
  info(
    `PromQL info: incompatible sample types encountered for binary operator "${op}": ${lh !== undefined ? 'histogram' : 'float'} ${op} ${rh !== undefined ? 'histogram' : 'float'}`,
  );
  return undefined;
}
