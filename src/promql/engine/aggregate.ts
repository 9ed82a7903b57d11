// Aggregation operators at one evaluation step, as Prometheus's aggregation, aggregationK and
// aggregationCountValues (promql/engine.go): groups in order of first appearance.
import type { AggregateExpr } from '../parser/ast.js';
import type { Annotations, InstantVector, VectorElement } from './functions/types.js';
import { Labels, METRIC_NAME } from '../../model/labels.js';
import { QueryError } from './errors.js';
import { goQuote } from '../../model/goquote.js';
import { labelsHash64 } from '../../model/xxhash64.js';
import { histogramString } from '../../model/histogram.js';
import { formatGoFloat } from '../../model/exposition/writer.js';
import { kahanInc } from './functions/util.js';
import { keepLabels, setLabel, signature, withoutLabels } from './labels-util.js';

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  kahanC: number;
  count: number;
  incrementalMean: boolean;
  dropName: boolean;
  /** quantile's values; empty for the other operators. */
  values: number[];
}

/** A group of one aggregation: its key and labels, the same at every step. */
export interface GroupOf {
  key: string;
  labels: Labels;
}

/**
 * An aggregation's groups, kept across its steps: each input label set's group (label sets repeat from
 * step to step), one object per group key, so that steps find groups by identity, not by key.
 */
export class GroupCache {
  private readonly bySeries = new Map<Labels, GroupOf>();
  private readonly byKey = new Map<string, GroupOf>();

  of(ls: Labels, e: AggregateExpr): GroupOf {
    let g = this.bySeries.get(ls);
    if (g === undefined) {
      // series whose labels are made anew at each step would only grow the cache
      if (this.bySeries.size > 100_000) this.bySeries.clear();
      const key = groupingKey(ls, e);
      g = this.byKey.get(key);
      if (g === undefined) {
        g = { key, labels: groupLabels(ls, e) };
        this.byKey.set(key, g);
      }
      this.bySeries.set(ls, g);
    }
    return g;
  }
}

function groupingKey(ls: Labels, e: AggregateExpr): string {
  return signature(ls, !e.without, e.grouping);
}

function groupLabels(ls: Labels, e: AggregateExpr): Labels {
  return e.without ? withoutLabels(ls, [...e.grouping, METRIC_NAME]) : keepLabels(ls, e.grouping);
}

/** Prometheus's quantile over a set of values (NaN sorts first). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatPlain(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = String(f);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const [, sign, d0, frac = '', expStr] = m;
  const exp = Number(expStr);
  const digits = d0 + frac;
  if (exp >= 0) {
    const intLen = 1 + exp;
    if (digits.length <= intLen) return sign + digits + '0'.repeat(intLen - digits.length);
    return sign + digits.slice(0, intLen) + '.' + digits.slice(intLen);
  }
  return sign + '0.' + '0'.repeat(-exp - 1) + digits;
}

/** Per label set: limit_ratio's sampling offsets (a BigInt hash each, so computed once). */
const ratioOffsets = new WeakMap<Labels, number>();

/**
 * A fraction in [0, 1] from the label set's Prometheus hash (xxhash64 of its pairs, over
 * MaxUint64: Prometheus's HashRatioSampler), so limit_ratio picks the series Prometheus picks.
 */
function ratioOffset(ls: Labels): number {
  let off = ratioOffsets.get(ls);
  if (off === undefined) {
    off = Number(labelsHash64(ls.pairs)) / 2 ** 64;
    ratioOffsets.set(ls, off);
  }
  return off;
}

function addRatioSample(r: number, ls: Labels): boolean {
  const off = ratioOffset(ls);
  return (r >= 0 && off < r) || (r < 0 && off >= 1 + r);
}

function sortDesc(a: VectorElement, b: VectorElement): number {
  if (Number.isNaN(a.v)) return Number.isNaN(b.v) ? 0 : 1;
  if (Number.isNaN(b.v)) return -1;
  return b.v - a.v;
}

function sortAsc(a: VectorElement, b: VectorElement): number {
  if (Number.isNaN(a.v)) return Number.isNaN(b.v) ? 0 : 1;
  if (Number.isNaN(b.v)) return -1;
  return a.v - b.v;
}

export function aggregate(
  e: AggregateExpr,
  vec: InstantVector,
  param: number | string | undefined,
  t: number,
  annotations: Annotations,
  cache: GroupCache = new GroupCache(),
): InstantVector {
  const op = e.op;
  if (op === 'count_values') return countValues(e, vec, String(param), t);
  if (op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio') {
    const p = Number(param);
    if (op === 'limit_ratio' && (p < -1 || p > 1)) {
      const to = Math.max(-1, Math.min(1, p));
      annotations.warn(
        `PromQL warning: ratio value should be between -1 and 1, got ${formatGoFloat(p)}, capping to ${formatGoFloat(to)}`,
      );
    }
    return aggregateK(e, vec, p, t);
  }
  if (op === 'quantile') {
    const q = Number(param);
    if (!(q >= 0 && q <= 1) && vec.length > 0) {
      annotations.warn(
        `PromQL warning: quantile value should be between 0 and 1, got ${formatFloatPlain(q)}`,
      );
    }
  }
  const groups = new Map<GroupOf, Group>();
  const order: Group[] = [];
  const keepValues = op === 'quantile';
  for (const s of vec) {
    const of = cache.of(s.labels, e);
    const f = s.v;
    let g = groups.get(of);
    if (g === undefined) {
      g = {
        labels: of.labels,
        value: f,
        mean: f,
        kahanC: 0,
        count: 1,
        incrementalMean: false,
        dropName: s.dropName === true,
        values: keepValues ? [f] : [],
      };
      if (op === 'stddev' || op === 'stdvar') g.value = Number.isFinite(f) ? 0 : NaN;
      if (op === 'group') g.value = 1;
      groups.set(of, g);
      order.push(g);
      continue;
    }
    if (s.dropName) g.dropName = true;
    switch (op) {
      case 'sum': {
        // kahanInc, inline: no pair allocated per sample
        const sum = g.value;
        const next = sum + f;
        if (next === Infinity || next === -Infinity) g.kahanC = 0;
        else if (Math.abs(sum) >= Math.abs(f)) g.kahanC += sum - next + f;
        else g.kahanC += f - next + sum;
        g.value = next;
        break;
      }
      case 'avg': {
        g.count++;
        if (!g.incrementalMean) {
          const [nv, nc] = kahanInc(f, g.value, g.kahanC);
          if (nv !== Infinity && nv !== -Infinity) {
            g.value = nv;
            g.kahanC = nc;
            break;
          }
          // the sum would overflow: continue with the incremental mean
          g.incrementalMean = true;
          g.mean = g.value / (g.count - 1);
          g.kahanC /= g.count - 1;
        }
        const q = (g.count - 1) / g.count;
        [g.mean, g.kahanC] = kahanInc(f / g.count, q * g.mean, q * g.kahanC);
        break;
      }
      case 'max':
        if (g.value < f || Number.isNaN(g.value)) g.value = f;
        break;
      case 'min':
        if (g.value > f || Number.isNaN(g.value)) g.value = f;
        break;
      case 'count':
        g.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = f - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (f - g.mean);
        break;
      }
      case 'quantile':
        g.values.push(f);
        break;
      case 'group':
        break;
    }
  }
  const out: InstantVector = [];
  const q = op === 'quantile' ? Number(param) : 0;
  for (const g of order) {
    let v = g.value;
    switch (op) {
      case 'avg':
        v = g.incrementalMean ? g.mean + g.kahanC : g.value / g.count + g.kahanC / g.count;
        break;
      case 'count':
        v = g.count;
        break;
      case 'stdvar':
        v = g.value / g.count;
        break;
      case 'stddev':
        v = Math.sqrt(g.value / g.count);
        break;
      case 'quantile':
        v = quantile(q, g.values);
        break;
      case 'sum':
        v = g.value + g.kahanC;
        break;
    }
    const el: VectorElement = { labels: g.labels, t, v };
    if (g.dropName) el.dropName = true;
    out.push(el);
  }
  return out;
}

function aggregateK(e: AggregateExpr, vec: InstantVector, fParam: number, t: number): InstantVector {
  const op = e.op;
  let k = 0;
  let r = 0;
  if (op === 'limit_ratio') {
    if (Number.isNaN(fParam)) throw new QueryError('execution', `Ratio value is NaN`);
    if (fParam === 0) return [];
    r = Math.max(-1, Math.min(1, fParam));
  } else {
    if (Number.isNaN(fParam)) throw new QueryError('execution', `Parameter value is NaN`);
    k = Math.min(Math.trunc(fParam), vec.length);
    if (!(k >= 1)) return [];
  }
  const groups = new Map<string, VectorElement[]>();
  const order: VectorElement[][] = [];
  for (const s of vec) {
    const key = groupingKey(s.labels, e);
    let g = groups.get(key);
    if (g === undefined) {
      g = [];
      groups.set(key, g);
      order.push(g);
    }
    const el: VectorElement = { labels: s.labels, t, v: s.v };
    if (s.h !== undefined) el.h = s.h; // limitk and limit_ratio pass native histograms through
    if (s.dropName) el.dropName = true;
    if (op === 'limit_ratio') {
      if (addRatioSample(r, s.labels)) g.push(el);
    } else if (op === 'limitk') {
      if (g.length < k) g.push(el);
    } else {
      g.push(el);
    }
  }
  const out: InstantVector = [];
  for (const g of order) {
    if (op === 'topk') out.push(...g.sort(sortDesc).slice(0, k));
    else if (op === 'bottomk') out.push(...g.sort(sortAsc).slice(0, k));
    else out.push(...g);
  }
  return out;
}

function countValues(e: AggregateExpr, vec: InstantVector, valueLabel: string, t: number): InstantVector {
  // a label name is any valid UTF-8; invalid bytes of the query's string literal (kept as
  // U+DC80..U+DCFF) or lone surrogates make it invalid
  if (valueLabel.length === 0 || !isWellFormedUtf8(valueLabel))
    throw new QueryError('execution', `invalid label name ${goQuote(valueLabel)}`);
  // with `by`, the value label is a grouping label too (Prometheus appends it to the grouping)
  const ge: AggregateExpr = e.without ? e : { ...e, grouping: [...e.grouping, valueLabel] };
  const groups = new Map<string, { labels: Labels; count: number }>();
  for (const s of vec) {
    const metric = setLabel(
      s.labels,
      valueLabel,
      s.h !== undefined ? histogramString(s.h, formatGoFloat) : formatFloatPlain(s.v),
    );
    const key = groupingKey(metric, ge);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { labels: groupLabels(metric, ge), count: 1 });
    else g.count++;
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, t, v: g.count }));
}

/** No lone surrogate (an invalid byte of a literal is kept as one, U+DC80..U+DCFF). */
function isWellFormedUtf8(s: string): boolean {
  return s.isWellFormed();
}
