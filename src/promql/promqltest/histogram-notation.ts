// The native histogram notation of promqltest and promtool's input series (Prometheus's promql/parser
// lexer and buildHistogramFromMap): `{{schema:1 sum:3 count:22 z_bucket:3 z_bucket_w:0.001
// buckets:[5 10 7] offset:1 n_buckets:[1 2] n_offset:2 custom_values:[1 2] counter_reset_hint:gauge}}`,
// every field optional; `buckets` and `n_buckets` make one span each, starting at `offset`. Series
// forms: `{{…}}xN` (the same histogram N+1 times), `{{a}}+{{b}}xN` and `{{a}}-{{b}}xN` (a, a±b,
// a±2b, … by repeated addition, as Prometheus's histogramsIncreaseSeries).
import {
  CounterResetHint,
  addFloatHistograms,
  type FloatHistogram,
  type Span,
} from '../../model/histogram.js';

export interface NotationHistogram {
  h: FloatHistogram;
  /** Whether `counter_reset_hint` was given: only then is the hint compared. */
  hintSet: boolean;
}

const HINTS: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.CounterReset,
  not_reset: CounterResetHint.NotCounterReset,
  gauge: CounterResetHint.Gauge,
};

function number(s: string): number {
  const t = s.replace(/^\+/, '');
  if (/^-?inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  const v = /^-?0x[0-9a-f]+$/i.test(t)
    ? (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^-?0x/i, ''), 16)
    : Number(t);
  if (t === '' || Number.isNaN(v)) throw new Error(`invalid number "${s}" in histogram`);
  return v;
}

/** One `{{…}}` description. */
export function parseHistogram(text: string): NotationHistogram {
  const m = /^\{\{(.*)\}\}$/s.exec(text.trim());
  if (m === null) throw new Error(`invalid histogram "${text}"`);
  const fields = new Map<string, string>();
  const re = /\s*([a-z_]+):(\[[^\]]*\]|\S+)/gy;
  const body = m[1].trimEnd();
  let at = 0;
  while (at < body.length) {
    re.lastIndex = at;
    const f = re.exec(body);
    if (f === null) throw new Error(`invalid histogram "${text}"`);
    if (fields.has(f[1])) throw new Error(`duplicate key "${f[1]}" in histogram`);
    fields.set(f[1], f[2]);
    at = re.lastIndex;
    while (at < body.length && /\s/.test(body[at])) at++;
  }
  const num = (k: string, d: number): number => (fields.has(k) ? number(fields.get(k)!) : d);
  const list = (k: string): number[] => {
    const v = fields.get(k);
    if (v === undefined) return [];
    if (!v.startsWith('[')) throw new Error(`error parsing ${k} float array: ${v}`);
    return v
      .slice(1, -1)
      .split(/\s+/)
      .filter((x) => x !== '')
      .map(number);
  };
  const spans = (buckets: number[], offsetKey: string): Span[] =>
    buckets.length > 0 ? [{ offset: num(offsetKey, 0), length: buckets.length }] : [];
  const positive = list('buckets');
  const negative = list('n_buckets');
  const hintText = fields.get('counter_reset_hint');
  if (hintText !== undefined && !(hintText in HINTS))
    throw new Error(`error parsing counter_reset_hint: unknown value ${hintText}`);
  for (const k of fields.keys())
    if (
      ![
        'schema',
        'sum',
        'count',
        'z_bucket',
        'z_bucket_w',
        'buckets',
        'offset',
        'n_buckets',
        'n_offset',
        'custom_values',
        'counter_reset_hint',
      ].includes(k)
    )
      throw new Error(`unknown key "${k}" in histogram`);
  const h: FloatHistogram = {
    counterResetHint: hintText === undefined ? CounterResetHint.Unknown : HINTS[hintText],
    schema: num('schema', 0),
    zeroThreshold: num('z_bucket_w', 0),
    zeroCount: num('z_bucket', 0),
    count: num('count', 0),
    sum: num('sum', 0),
    positiveSpans: spans(positive, 'offset'),
    negativeSpans: spans(negative, 'n_offset'),
    positiveBuckets: positive,
    negativeBuckets: negative,
  };
  if (fields.has('custom_values')) h.customValues = list('custom_values');
  return { h, hintSet: hintText !== undefined };
}

/** The `index`-th histogram of a series item (`{{…}}`, `{{…}}xN`, `{{a}}±{{b}}xN`). */
export function histogramOfItem(item: string, index: number): NotationHistogram {
  const first = item.indexOf('}}') + 2;
  const base = parseHistogram(item.slice(0, first));
  const op = item[first];
  if (op !== '+' && op !== '-') return base;
  const end = item.indexOf('}}', first) + 2;
  const inc = parseHistogram(item.slice(first + 1, end)).h;
  let cur = base.h;
  for (let i = 1; i <= index; i++) {
    if (cur.schema > inc.schema)
      throw new Error(`error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`);
    cur = addFloatHistograms(cur, inc, op === '-');
  }
  return { h: cur, hintSet: base.hintSet };
}
