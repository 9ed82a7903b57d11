// Result comparison as Prometheus's promqltest does it: floats with almost.Equal (relative epsilon
// 1e-6, NaN equals NaN), vectors by label set (positions only with `expect ordered`), matrices point by
// point at start + i*step, annotations per `expect` line.
import {
  compactHistogram,
  isCustomBucketsSchema,
  type FloatHistogram,
  type Span,
} from '../../model/histogram.js';
import { histogramOfItem, type NotationHistogram } from './histogram-notation.js';
import type { QueryValue, Sample, SeriesPoints } from '../engine/index.js';
import { compareLabels } from '../../storage/interfaces.js';
import { isStaleNaN } from '../../model/value.js';
import { labelsKey, type EvalCommand, type Expectation, type SeqValue } from './script.js';

export const DEFAULT_EPSILON = 0.000001;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon = DEFAULT_EPSILON): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** The engine's result shapes, under the names the comparison uses. */
export type ResultSample = Sample;
export type ResultSeries = SeriesPoints;
export type ResultValue = QueryValue;

export function isOrdered(cmd: EvalCommand): boolean {
  return cmd.ordered || cmd.expects.some((e) => e.type === 'ordered');
}

export function isFail(cmd: EvalCommand): boolean {
  return cmd.fail || cmd.expects.some((e) => e.type === 'fail');
}

function matchesExpectation(e: Expectation, s: string): boolean {
  if (e.message !== undefined) return e.message === s;
  if (e.regex !== undefined) return e.regex.test(s);
  return true;
}

function describeExpectation(e: Expectation): [string, string] {
  if (e.message !== undefined) return ['message', e.message];
  return ['pattern', e.regex?.source ?? '^.*$'];
}

/** checkExpectedFailure: undefined when the error is acceptable, else the reason. */
export function checkExpectedFailure(cmd: EvalCommand, message: string): string | undefined {
  if (cmd.expectedFailMessage !== undefined && cmd.expectedFailMessage !== '') {
    if (cmd.expectedFailMessage !== message)
      return `expected error "${cmd.expectedFailMessage}" but got: ${message}`;
  }
  if (cmd.expectedFailRegexp !== undefined && !cmd.expectedFailRegexp.test(message))
    return `expected error matching pattern "${cmd.expectedFailRegexp.source}" but got: ${message}`;
  const f = cmd.expects.find((e) => e.type === 'fail');
  if (f !== undefined && !matchesExpectation(f, message))
    return `expected error matching "${describeExpectation(f)[1]}" but got: ${message}`;
  return undefined;
}

const WARN_PREFIX = 'PromQL warning: ';
const INFO_PREFIX = 'PromQL info: ';

/** Annotations as Prometheus prints them ("PromQL warning: ..."), whether or not the engine added the prefix. */
export function normaliseAnnotations(
  warnings: readonly string[],
  infos: readonly string[],
): [string[], string[]] {
  return [
    warnings.map((w) => (w.startsWith(WARN_PREFIX) ? w : WARN_PREFIX + w)),
    infos.map((w) => (w.startsWith(INFO_PREFIX) ? w : INFO_PREFIX + w)),
  ];
}

function validateOfType(
  expected: Expectation[],
  actual: string[],
  kind: string,
  all: string[],
): string | undefined {
  if (expected.length === 0) return undefined;
  if (actual.length === 0) return `expected ${kind} annotations but none were found`;
  for (const e of expected) {
    if (!actual.some((a) => matchesExpectation(e, a))) {
      const [t, s] = describeExpectation(e);
      return `expected ${kind} annotation matching ${t} "${s}" but no matching annotation was found, found: [${all.join('; ')}]`;
    }
  }
  for (const a of actual) {
    if (!expected.some((e) => matchesExpectation(e, a))) return `unexpected ${kind} annotation "${a}" found`;
  }
  return undefined;
}

/** checkAnnotations: undefined when the annotations meet the expectations. */
export function checkAnnotations(
  cmd: EvalCommand,
  warningsIn: readonly string[],
  infosIn: readonly string[],
): string | undefined {
  const [warnings, infos] = normaliseAnnotations(warningsIn, infosIn);
  if (cmd.warn && warnings.length === 0) return 'expected warnings but got none';
  if (cmd.info && infos.length === 0) return 'expected info annotations but got none';
  const all = [...warnings, ...infos];
  const of = (t: string): Expectation[] => cmd.expects.filter((e) => e.type === t);
  return (
    validateOfType(of('warn'), warnings, 'warn', all) ??
    validateOfType(of('info'), infos, 'info', all) ??
    (of('no_warn').length > 0 && warnings.length > 0
      ? `unexpected warning annotations: [${all.join('; ')}]`
      : undefined) ??
    (of('no_info').length > 0 && infos.length > 0
      ? `unexpected info annotations: [${all.join('; ')}]`
      : undefined)
  );
}

export function formatNumber(v: number): string {
  if (isStaleNaN(v)) return 'stale';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatSeq(v: SeqValue): string {
  return v.kind === 'float' ? formatNumber(v.v) : v.kind === 'omitted' ? '_' : v.text;
}

function formatPoints(t: Float64Array, v: Float64Array): string {
  const out: string[] = [];
  for (let i = 0; i < t.length; i++) out.push(`${formatNumber(v[i])}@${t[i]}`);
  return `[${out.join(' ')}]`;
}

/** A compact rendering of a query value. */
export function formatValue(val: ResultValue): string {
  switch (val.type) {
    case 'scalar':
      return `scalar ${formatNumber(val.v)}`;
    case 'string':
      return `string ${JSON.stringify(val.v)}`;
    case 'vector':
      if (val.samples.length === 0) return 'vector (empty)';
      return val.samples.map((s) => `${s.labels.toString() || '{}'} ${formatNumber(s.v)}`).join('; ');
    case 'matrix':
      if (val.series.length === 0) return 'matrix (empty)';
      return val.series.map((s) => `${s.labels.toString() || '{}'} ${formatPoints(s.t, s.v)}`).join('; ');
  }
}

/** A compact rendering of what an eval expects. */
export function formatExpected(cmd: EvalCommand): string {
  const parts: string[] = [];
  if (isFail(cmd)) {
    const f = cmd.expects.find((e) => e.type === 'fail');
    const m = cmd.expectedFailMessage ?? cmd.expectedFailRegexp?.source ?? f?.message ?? f?.regex?.source;
    return m === undefined ? 'fail' : `fail: ${m}`;
  }
  if (cmd.expectScalar) return `scalar ${formatSeq(cmd.expected.get('')!.values[0])}`;
  if (cmd.excludeFromRangeQuery && !cmd.expectRangeVector)
    return `string ${JSON.stringify(cmd.expectedString)}`;
  for (const e of cmd.expected.values()) {
    parts.push(`${e.labels.toString() || '{}'} ${e.values.map(formatSeq).join(' ')}`);
  }
  const anns = cmd.expects
    .filter((e) => e.type !== 'fail')
    .map((e) => {
      const d = e.message ?? e.regex?.source;
      return d === undefined ? `expect ${e.type}` : `expect ${e.type}: ${d}`;
    });
  return [parts.length === 0 ? '(empty)' : parts.join('; '), ...anns].join(' | ');
}

function assertMatrixSorted(series: ResultSeries[]): string | undefined {
  for (let i = 0; i + 1 < series.length; i++) {
    if (compareLabels(series[i].labels, series[i + 1].labels) > 0)
      return `matrix results should always be sorted by labels, but series ${series[i + 1].labels.toString()} sorts before ${series[i].labels.toString()}`;
  }
  return undefined;
}

/** compareResult: undefined when the value is as expected, else the reason. */
export function compareResult(cmd: EvalCommand, val: ResultValue): string | undefined {
  const exp = cmd.expected;
  switch (val.type) {
    case 'matrix': {
      if (isOrdered(cmd)) return 'expected ordered result, but query returned a matrix';
      if (cmd.expectScalar) return `expected scalar result, but got matrix ${formatValue(val)}`;
      const unsorted = assertMatrixSorted(val.series);
      if (unsorted !== undefined) return unsorted;
      const seen = new Set<string>();
      for (const s of val.series) {
        const key = labelsKey(s.labels);
        const e = exp.get(key);
        if (e === undefined)
          return `unexpected metric ${s.labels.toString()} in result, has ${formatPoints(s.t, s.v)}`;
        seen.add(key);
        const et: number[] = [];
        const ev: number[] = [];
        const ht: number[] = [];
        const hh: NotationHistogram[] = [];
        for (let i = 0; i < e.values.length; i++) {
          const ts = cmd.startMs + i * cmd.stepMs;
          if (ts > cmd.endMs)
            return `expected ${e.values.length} points for ${e.labels.toString()}, but query time range cannot return this many points`;
          const x = e.values[i];
          if (x.kind === 'histogram') {
            ht.push(ts);
            hh.push(histogramOfItem(x.text, x.index));
          } else if (x.kind === 'float') {
            et.push(ts);
            ev.push(x.v);
          }
        }
        // the series' float and histogram points apart, as Prometheus's Series has Floats and Histograms
        const ft: number[] = [];
        const fv: number[] = [];
        const gt: number[] = [];
        const gh: FloatHistogram[] = [];
        for (let i = 0; i < s.t.length; i++) {
          const h = s.h?.[i];
          if (h === undefined) {
            ft.push(s.t[i]);
            fv.push(s.v[i]);
          } else {
            gt.push(s.t[i]);
            gh.push(h);
          }
        }
        if (et.length !== ft.length)
          return `expected ${et.length} float points for ${e.labels.toString()}, but got ${ft.length} ${formatPoints(Float64Array.from(ft), Float64Array.from(fv))}`;
        for (let i = 0; i < et.length; i++) {
          if (et[i] !== ft[i])
            return `expected float value at index ${i} for ${e.labels.toString()} to have timestamp ${et[i]}, but it had timestamp ${ft[i]} (result has ${formatPoints(Float64Array.from(ft), Float64Array.from(fv))})`;
          if (!almostEqual(fv[i], ev[i]))
            return `expected float value at index ${i} (t=${ft[i]}) for ${e.labels.toString()} to be ${formatNumber(ev[i])}, but got ${formatNumber(fv[i])}`;
        }
        if (ht.length !== gt.length)
          return `expected ${ht.length} histogram points for ${e.labels.toString()}, but got ${gt.length}`;
        for (let i = 0; i < ht.length; i++) {
          if (ht[i] !== gt[i])
            return `expected histogram value at index ${i} for ${e.labels.toString()} to have timestamp ${ht[i]}, but it had timestamp ${gt[i]}`;
          if (!histogramsMatch(hh[i].h, gh[i], hh[i].hintSet))
            return `expected histogram value at index ${i} (t=${gt[i]}) for ${e.labels.toString()} to be ${JSON.stringify(hh[i].h)}, but got ${JSON.stringify(gh[i])}`;
        }
      }
      for (const [key, e] of exp)
        if (!seen.has(key)) return `expected metric ${e.labels.toString() || '{}'} not found`;
      return undefined;
    }
    case 'vector': {
      if (cmd.expectScalar) return `expected scalar result, but got vector ${formatValue(val)}`;
      const seen = new Set<string>();
      const ordered = isOrdered(cmd);
      for (let pos = 0; pos < val.samples.length; pos++) {
        const s = val.samples[pos];
        const key = labelsKey(s.labels);
        const e = exp.get(key);
        if (e === undefined)
          return `unexpected metric ${s.labels.toString() || '{}'} in result, has value ${formatNumber(s.v)}`;
        if (ordered && e.pos !== pos + 1)
          return `expected metric ${s.labels.toString()} at position ${e.pos} but was at ${pos + 1}`;
        // Go compares exp.vals[0].Value: an omitted expected value reads as 0.
        const x: SeqValue =
          e.values[0] === undefined || e.values[0].kind === 'omitted' ? { kind: 'float', v: 0 } : e.values[0];
        if (x.kind === 'histogram') {
          if (s.h === undefined)
            return `expected histogram ${x.text} for ${s.labels.toString()} but got float value ${formatNumber(s.v)}`;
          const want = histogramOfItem(x.text, x.index);
          if (!histogramsMatch(want.h, s.h, want.hintSet))
            return `expected histogram ${JSON.stringify(want.h)} for ${s.labels.toString()} but got ${JSON.stringify(s.h)}`;
          seen.add(key);
          continue;
        }
        if (s.h !== undefined)
          return `expected float value ${formatNumber(x.v)} for ${s.labels.toString()} but got histogram ${JSON.stringify(s.h)}`;
        if (!almostEqual(x.v, s.v))
          return `expected ${formatNumber(x.v)} for ${s.labels.toString() || '{}'} but got ${formatNumber(s.v)}`;
        seen.add(key);
      }
      for (const [key, e] of exp) {
        if (!seen.has(key))
          return `expected metric ${e.labels.toString() || '{}'} with [${e.values.map(formatSeq).join(' ')}] not found`;
      }
      return undefined;
    }
    case 'scalar': {
      if (!cmd.expectScalar) return `expected vector or matrix result, but got scalar ${formatNumber(val.v)}`;
      const x = exp.get('')!.values[0];
      if (x.kind !== 'float') return `expected ${formatSeq(x)} but got scalar ${formatNumber(val.v)}`;
      if (!almostEqual(x.v, val.v))
        return `expected scalar ${formatNumber(x.v)} but got ${formatNumber(val.v)}`;
      return undefined;
    }
    case 'string':
      if (cmd.expectedString !== val.v) return `expected string "${cmd.expectedString}" but got "${val.v}"`;
      return undefined;
  }
}

/**
 * Prometheus's compareNativeHistogram over both sides compacted (Compact(0), as its eval does):
 * schema, counts, zero bucket, spans and buckets; the hint when given.
 */
export function histogramsMatch(expected: FloatHistogram, got: FloatHistogram, hintSet: boolean): boolean {
  const exp = compactHistogram(expected, true);
  const cur = compactHistogram(got, true);
  if (exp.schema !== cur.schema || !almostEqual(exp.count, cur.count) || !almostEqual(exp.sum, cur.sum))
    return false;
  if (isCustomBucketsSchema(exp.schema)) {
    const a = exp.customValues ?? [];
    const b = cur.customValues ?? [];
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) return false;
  }
  if (exp.zeroThreshold !== cur.zeroThreshold || !almostEqual(exp.zeroCount, cur.zeroCount)) return false;
  if (
    !spansMatch(exp.negativeSpans, cur.negativeSpans) ||
    !bucketsMatch(exp.negativeBuckets, cur.negativeBuckets)
  )
    return false;
  if (
    !spansMatch(exp.positiveSpans, cur.positiveSpans) ||
    !bucketsMatch(exp.positiveBuckets, cur.positiveBuckets)
  )
    return false;
  return !hintSet || exp.counterResetHint === cur.counterResetHint;
}

function bucketsMatch(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => almostEqual(v, b[i]));
}

/** Spans equal, zero-length spans folded into the next one (Prometheus's spansMatch). */
function spansMatch(a: readonly Span[], b: readonly Span[]): boolean {
  const fold = (spans: readonly Span[]): Span[] => {
    const out: Span[] = [];
    let carry = 0;
    for (const s of spans) {
      if (s.length === 0) {
        carry += s.offset;
        continue;
      }
      out.push({ offset: s.offset + carry, length: s.length });
      carry = 0;
    }
    return out;
  };
  const x = fold(a);
  const y = fold(b);
  return x.length === y.length && x.every((s, i) => s.offset === y[i].offset && s.length === y[i].length);
}
