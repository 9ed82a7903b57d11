// Prometheus's template functions (template/template.go and prometheus/common's helpers) over our Go
// text/template: query, first, label, value, humanize*, toTime, parseDuration, ... . Used to expand
// alert labels and annotations; an expansion error becomes the text "<error expanding template: ...>"
// in the caller, never a failed rule.
import { parseDurationAllowNegative } from './duration.js';
import { formatFloat, sprintf } from './gofmt.js';
import { queryEscape, Template, TemplateError, type FuncMap } from './text-template.js';

export { queryEscape };
import { goRegexp } from './goregexp.js';

/** One sample of a template query's result, as Go's `sample` struct. */
export interface TemplateSample {
  readonly goType: 'template.sample';
  Labels: Map<string, string>;
  Value: number;
}

/** An instant query at the expansion's time, for `query`. */
export type TemplateQueryFn = (
  query: string,
  timeMs: number,
) => Promise<Array<{ labels: Record<string, string>; value: number }>>;

export interface ExpanderOptions {
  /** Evaluation time (ms), for `query` and `now`. */
  timeMs: number;
  query?: TemplateQueryFn;
  externalURL?: URL;
}

/** Go's time.Time (UTC), enough of it for templates: String, Format, Add, Unix, UnixMilli. */
class GoTime {
  readonly goType = 'time.Time';
  constructor(readonly ns: bigint) {}
  toString(): string {
    const ms = Number(this.ns / 1_000_000n);
    const d = new Date(ms);
    const frac = this.ns % 1_000_000_000n;
    let f = '';
    if (frac !== 0n)
      f = '.' + (frac < 0n ? frac + 1_000_000_000n : frac).toString().padStart(9, '0').replace(/0+$/, '');
    const iso = d.toISOString();
    const year = d.getUTCFullYear();
    return `${year < 0 ? '-' + String(-year).padStart(4, '0') : String(year).padStart(4, '0')}-${iso.slice(5, 10)} ${iso.slice(11, 19)}${f} +0000 UTC`;
  }
  String(): string {
    return this.toString();
  }
  Unix(): bigint {
    return this.ns >= 0n ? this.ns / 1_000_000_000n : -((-this.ns + 999_999_999n) / 1_000_000_000n);
  }
  UnixMilli(): bigint {
    return this.ns >= 0n ? this.ns / 1_000_000n : -((-this.ns + 999_999n) / 1_000_000n);
  }
  Add(d: unknown): GoTime {
    const nanos = d instanceof GoDuration ? d.ns : typeof d === 'bigint' ? d : BigInt(Math.trunc(Number(d)));
    return new GoTime(this.ns + nanos);
  }
  Format(layout: string): string {
    return formatGoTime(new Date(Number(this.UnixMilli())), this.ns, layout);
  }
}

/** Go's time.Duration: String as Go prints it ("30m0s"). */
class GoDuration {
  readonly goType = 'time.Duration';
  constructor(readonly ns: bigint) {}
  toString(): string {
    return goDurationString(this.ns);
  }
  String(): string {
    return this.toString();
  }
  Seconds(): number {
    return Number(this.ns) / 1e9;
  }
}

function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, div] = u < 1000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    out = fracString(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = (h > 0n ? `${h}h` : '') + (h > 0n || m > 0n ? `${m}m` : '') + fracString(u, 1_000_000_000n) + 's';
  }
  return neg ? '-' + out : out;
}

function fracString(v: bigint, div: bigint): string {
  const int = v / div;
  const frac = v % div;
  if (frac === 0n) return int.toString();
  const width = div.toString().length - 1;
  return `${int}.${frac.toString().padStart(width, '0').replace(/0+$/, '')}`;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Go's reference-time layouts (Mon Jan 2 15:04:05 MST 2006), the common elements, in UTC. */
function formatGoTime(d: Date, ns: bigint, layout: string): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const tokens: Array<[string, () => string]> = [
    ['January', () => MONTHS[d.getUTCMonth()]],
    ['Monday', () => DAYS[d.getUTCDay()]],
    ['2006', () => String(d.getUTCFullYear()).padStart(4, '0')],
    ['Jan', () => MONTHS[d.getUTCMonth()].slice(0, 3)],
    ['Mon', () => DAYS[d.getUTCDay()].slice(0, 3)],
    ['MST', () => 'UTC'],
    ['Z07:00', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['.000000000', () => '.' + frac.toString().padStart(9, '0')],
    ['.000000', () => '.' + frac.toString().padStart(9, '0').slice(0, 6)],
    ['.000', () => '.' + frac.toString().padStart(9, '0').slice(0, 3)],
    ['.999999999', () => (frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, ''))],
    ['01', () => p2(d.getUTCMonth() + 1)],
    ['02', () => p2(d.getUTCDate())],
    ['_2', () => String(d.getUTCDate()).padStart(2, ' ')],
    ['15', () => p2(d.getUTCHours())],
    ['03', () => p2(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12)],
    ['04', () => p2(d.getUTCMinutes())],
    ['05', () => p2(d.getUTCSeconds())],
    ['06', () => p2(d.getUTCFullYear() % 100)],
    ['PM', () => (d.getUTCHours() >= 12 ? 'PM' : 'AM')],
    ['pm', () => (d.getUTCHours() >= 12 ? 'pm' : 'am')],
    ['1', () => String(d.getUTCMonth() + 1)],
    ['2', () => String(d.getUTCDate())],
    ['3', () => String(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12)],
    ['4', () => String(d.getUTCMinutes())],
    ['5', () => String(d.getUTCSeconds())],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, fn] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += fn();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i++];
  }
  return out;
}

/** prometheus/common ConvertToFloat: strings parse, ints and floats convert, durations are seconds. */
export function convertToFloat(i: unknown): number {
  if (typeof i === 'number') return i;
  if (typeof i === 'bigint') return Number(i);
  if (typeof i === 'string') return parseGoFloat(i);
  if (i instanceof GoDuration) return Number(i.ns) / 1e9;
  throw new Error(`can't convert ${typeof i} to float`);
}

/** strconv.ParseFloat(s, 64) with its error text. */
export function parseGoFloat(s: string): number {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?0[xX][0-9a-fA-F]+$/.test(t))
    return Number(t);
  throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

// 2^63, the first float beyond int64 (Go compares the float against math.MaxInt64, which rounds to it)
const MAX_INT64 = 2 ** 63;

function floatToTime(v: number): GoTime | undefined {
  if (Number.isNaN(v) || !Number.isFinite(v)) return undefined;
  const nanos = v * 1e9;
  if (nanos > MAX_INT64 || nanos < -MAX_INT64) {
    throw new Error(
      `${formatFloat(v, 'g', -1)} cannot be represented as a nanoseconds timestamp since it overflows int64`,
    );
  }
  return new GoTime(BigInt(Math.trunc(nanos)));
}

function g4(v: number): string {
  return sprintf('%.4g', [v]);
}

export function humanize(i: unknown): string {
  let v = convertToFloat(i);
  if (v === 0 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

export function humanize1024(i: unknown): string {
  let v = convertToFloat(i);
  if (Math.abs(v) <= 1 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

export function humanizeDuration(i: unknown): string {
  let v = convertToFloat(i);
  if (Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const duration = Math.trunc(v);
    const seconds = duration % 60;
    const minutes = Math.trunc(duration / 60) % 60;
    const hours = Math.trunc(duration / 3600) % 24;
    const days = Math.trunc(duration / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

export function humanizeTimestamp(i: unknown): string {
  const v = convertToFloat(i);
  const t = floatToTime(v);
  return t === undefined ? g4(v) : t.toString();
}

function sample(s: { labels: Record<string, string>; value: number }): TemplateSample {
  return { goType: 'template.sample', Labels: new Map(Object.entries(s.labels)), Value: s.value };
}

function asSample(v: unknown): TemplateSample {
  if (v === undefined || v === null) throw new Error('invalid memory address or nil pointer dereference');
  if ((v as TemplateSample).goType !== 'template.sample')
    throw new Error(`wrong type for value; expected *template.sample; got ${typeof v}`);
  return v as TemplateSample;
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string')
    throw new Error(`wrong type for value; expected string; got ${typeof v} in ${fn}`);
  return v;
}

/** net.SplitHostPort's host, or undefined when it is not host:port. */
function splitHostPort(hostPort: string): { host: string; port: string } | undefined {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0 || hostPort[end + 1] !== ':' || hostPort.slice(end + 2).includes(':')) return undefined;
    return { host: hostPort.slice(1, end), port: hostPort.slice(end + 2) };
  }
  const i = hostPort.lastIndexOf(':');
  if (i < 0 || hostPort.indexOf(':') !== i) return undefined;
  return { host: hostPort.slice(0, i), port: hostPort.slice(i + 1) };
}

function isIP(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
}

/** strutil.GraphLinkForExpression / TableLinkForExpression. */
export function exprLink(expr: string, tab: 0 | 1): string {
  return `/graph?g0.expr=${queryEscape(expr)}&g0.tab=${tab}`;
}

/** cases.Title(language.AmericanEnglish, cases.NoLower): the first letter of each word upper-cased. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}'_])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** The function map of a Prometheus template expansion. */
export function templateFuncs(o: ExpanderOptions, self?: () => Template): FuncMap {
  const ext = o.externalURL;
  return {
    query: async (q: unknown) => {
      if (o.query === undefined) throw new Error('no query engine');
      return (await o.query(str(q, 'query'), o.timeMs)).map(sample);
    },
    first: (v: unknown) => {
      if (!Array.isArray(v) || v.length === 0) throw new Error('first() called on vector with no elements');
      return v[0] as unknown;
    },
    label: (name: unknown, s: unknown) => asSample(s).Labels.get(str(name, 'label')) ?? '',
    value: (s: unknown) => asSample(s).Value,
    strvalue: (s: unknown) => asSample(s).Labels.get('__value__') ?? '',
    args: (...a: unknown[]) => Object.fromEntries(a.map((x, i) => [`arg${i}`, x])),
    reReplaceAll: (pattern: unknown, repl: unknown, text: unknown) =>
      goRegexp(str(pattern, 'reReplaceAll')).replaceAll(str(text, 'reReplaceAll'), str(repl, 'reReplaceAll')),
    safeHtml: (t: unknown) => str(t, 'safeHtml'),
    match: (pattern: unknown, s: unknown) => goRegexp(str(pattern, 'match')).test(str(s, 'match')),
    title: (s: unknown) => title(str(s, 'title')),
    toUpper: (s: unknown) => str(s, 'toUpper').toUpperCase(),
    toLower: (s: unknown) => str(s, 'toLower').toLowerCase(),
    graphLink: (e: unknown) => exprLink(str(e, 'graphLink'), 0),
    tableLink: (e: unknown) => exprLink(str(e, 'tableLink'), 1),
    sortByLabel: (label: unknown, v: unknown) => {
      const name = str(label, 'sortByLabel');
      const list = [...(v as TemplateSample[])];
      // stable, by the label's value
      return list.sort((a, b) => {
        const x = a.Labels.get(name) ?? '';
        const y = b.Labels.get(name) ?? '';
        return x < y ? -1 : x > y ? 1 : 0;
      });
    },
    stripPort: (hp: unknown) => splitHostPort(str(hp, 'stripPort'))?.host ?? (hp as string),
    stripDomain: (hp: unknown) => {
      const s = str(hp, 'stripDomain');
      const split = splitHostPort(s);
      const host = split?.host ?? s;
      if (isIP(host)) return s;
      const short = host.split('.')[0];
      if (split !== undefined && split.port !== '')
        return short.includes(':') ? `[${short}]:${split.port}` : `${short}:${split.port}`;
      return short;
    },
    humanize,
    humanize1024,
    humanizeDuration,
    humanizePercentage: (i: unknown) => sprintf('%.4g%%', [convertToFloat(i) * 100]),
    humanizeTimestamp,
    toTime: (i: unknown) => {
      const v = convertToFloat(i);
      const t = floatToTime(v);
      if (t === undefined) throw new Error('value is NaN or Inf');
      return t;
    },
    toDuration: (i: unknown) => new GoDuration(BigInt(Math.trunc(convertToFloat(i) * 1e9))),
    now: () => o.timeMs / 1000,
    pathPrefix: () => ext?.pathname.replace(/\/$/, '') ?? '',
    externalURL: () => (ext === undefined ? '' : ext.toString().replace(/\/$/, '')),
    parseDuration: (d: unknown) => parseDurationAllowNegative(str(d, 'parseDuration')) / 1000,
    urlQueryEscape: (s: unknown) => queryEscape(str(s, 'urlQueryEscape')),
    tmpl: async (name: unknown, data: unknown) => {
      if (self === undefined) throw new Error('tmpl is not available here');
      return self().execute(data, str(name, 'tmpl'));
    },
  };
}

/** The names every Prometheus template may call (for parse-time checks). */
export const TEMPLATE_FUNC_NAMES = Object.keys(templateFuncs({ timeMs: 0 }));

/** Parses `text` as Prometheus would (function names known); throws TemplateError. */
export function parseTemplate(name: string, text: string): Template {
  return Template.parse(name, text, templateFuncs({ timeMs: 0 }));
}

/**
 * Expands `text` with `data` as dot: Prometheus's Expander.Expand. Rejects with Go's
 * "error parsing template NAME: ..." or "error executing template NAME: ..." text.
 */
export async function expandTemplate(
  name: string,
  text: string,
  data: unknown,
  o: ExpanderOptions,
): Promise<string> {
  let tmpl: Template;
  const funcs = templateFuncs(o, () => tmpl);
  try {
    tmpl = Template.parse(name, text, funcs);
  } catch (err) {
    throw new TemplateError(`error parsing template ${name}: ${(err as Error).message}`);
  }
  try {
    return await tmpl.execute(data);
  } catch (err) {
    throw new TemplateError(`error executing template ${name}: ${(err as Error).message}`);
  }
}

/** The data an alert's templates see: .Labels, .ExternalLabels, .ExternalURL, .Value. */
export function alertTemplateData(
  labels: Record<string, string>,
  externalLabels: Record<string, string>,
  externalURL: string,
  value: number,
): unknown {
  return {
    goType: 'struct',
    Labels: new Map(Object.entries(labels)),
    ExternalLabels: new Map(Object.entries(externalLabels)),
    ExternalURL: externalURL,
    Value: value,
  };
}

/** The definitions Prometheus puts in front of every alert template. */
export const ALERT_TEMPLATE_DEFS =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';
