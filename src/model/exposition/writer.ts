// Exposition writers for /metrics and /federate: Prometheus text 0.0.4 as prometheus/common expfmt's
// MetricFamilyToText writes it, and OpenMetrics 1.0 text as its MetricFamilyToOpenMetrics does.
// Each sample is written under its own `__name__` (so histogram `_bucket`/`_sum`/`_count` samples
// are listed as they are), with labels in the order the Labels keep them (sorted), which is the
// order Prometheus's federation hands expfmt. Values are expfmt's writeFloat (Go's 'g' shortest
// form) except that -0 keeps its sign (expfmt writes `0`), so that parsing what we write gives back
// the very value.
import { METRIC_NAME, type Labels } from '../labels.js';
import type { Exemplar, MetricFamily, MetricType } from './types.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * The text format knows counter, gauge, histogram, summary and untyped. The OpenMetrics-only types
 * go where Prometheus's text parser still ingests their samples as they are: info and stateset
 * samples are gauges (0/1 values), a gauge histogram's `_bucket`/`_gsum`/`_gcount` are plain series.
 */
const TEXT_TYPE: Record<MetricType, string> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  unknown: 'untyped',
  gaugehistogram: 'untyped',
  info: 'gauge',
  stateset: 'gauge',
};

/** Prometheus text format 0.0.4 (with quoted UTF-8 names as in text 1.0.0). */
export function writeText(families: readonly MetricFamily[]): string {
  // Lines joined once at the end: no deep rope of small pieces left to flatten on a big /federate.
  const lines: string[] = [];
  for (const f of families) {
    const name = writeName(f.name);
    if (f.help !== undefined) lines.push('# HELP ' + name + ' ' + escapeHelp(f.help) + '\n');
    lines.push('# TYPE ' + name + ' ' + TEXT_TYPE[f.type] + '\n');
    for (const s of f.samples) {
      const series = writeSeries(s.labels.get(METRIC_NAME) ?? f.name, s.labels);
      lines.push(
        s.timestamp === undefined
          ? series + ' ' + formatGoFloat(s.value) + '\n'
          : series + ' ' + formatGoFloat(s.value) + ' ' + formatInt(s.timestamp) + '\n',
      );
    }
  }
  return lines.join('');
}

/** OpenMetrics 1.0 text, ending in `# EOF`. */
export function writeOpenMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    const [familyName, type] = openMetricsFamily(f);
    const name = writeName(familyName);
    if (f.help !== undefined) lines.push('# HELP ' + name + ' ' + escapeQuoted(f.help) + '\n');
    lines.push('# TYPE ' + name + ' ' + type + '\n');
    // OpenMetrics requires the unit as the name's suffix and Prometheus fails the whole scrape
    // otherwise ("unit ... not a suffix of metric ..."), so a unit that is not one is left out.
    if (f.unit !== undefined && f.unit !== '' && familyName.endsWith('_' + f.unit)) {
      lines.push('# UNIT ' + name + ' ' + escapeQuoted(f.unit) + '\n');
    }
    const counts = type === 'histogram' || type === 'gaugehistogram' || type === 'summary';
    for (const s of f.samples) {
      const sampleName = s.labels.get(METRIC_NAME) ?? f.name;
      // expfmt writes bucket and count values as integers (`writeUint`), everything else as floats.
      const value =
        counts && isCountSample(sampleName) && Number.isSafeInteger(s.value) && s.value >= 0
          ? String(s.value)
          : formatOpenMetricsFloat(s.value);
      const ts = s.timestamp === undefined ? '' : ' ' + formatOpenMetricsFloat(s.timestamp / 1000);
      const ex = s.exemplar === undefined ? '' : writeExemplar(s.exemplar);
      lines.push(writeSeries(sampleName, s.labels) + ' ' + value + ts + ex + '\n');
    }
  }
  lines.push('# EOF\n');
  return lines.join('');
}

/**
 * The family name and type for `# TYPE`. Counters are named without `_total` and their samples
 * carry it; a counter whose samples do not fit that is written as `unknown`, as expfmt does.
 */
function openMetricsFamily(f: MetricFamily): [string, string] {
  if (f.type === 'unknown') return [f.name, 'unknown'];
  if (f.type !== 'counter') return [f.name, f.type];
  const base = f.name.endsWith('_total') ? f.name.slice(0, -6) : f.name;
  if (samplesAreCounter(f, base)) return [base, 'counter'];
  if (base !== f.name && samplesAreCounter(f, f.name)) return [f.name, 'counter'];
  return [f.name, 'unknown'];
}

function samplesAreCounter(f: MetricFamily, base: string): boolean {
  const total = base + '_total';
  const created = base + '_created';
  for (const s of f.samples) {
    const n = s.labels.get(METRIC_NAME) ?? f.name;
    if (n !== total && n !== created) return false;
  }
  return true;
}

function isCountSample(name: string): boolean {
  return name.endsWith('_bucket') || name.endsWith('_count') || name.endsWith('_gcount');
}

function writeExemplar(e: Exemplar): string {
  let out = ' # ' + writeSeries('', e.labels) + ' ' + formatOpenMetricsFloat(e.value);
  // expfmt goes through float64(UnixNano)/1e9; ms*1e6 rounds exactly as that conversion does.
  if (e.timestamp !== undefined) out += ' ' + formatOpenMetricsFloat((e.timestamp * 1e6) / 1e9);
  return out;
}

/**
 * `name{a="b",c="d"}`, or `{"my.name",a="b"}` when the name is not legacy-valid; label names that
 * are not legacy-valid are quoted too. An empty name writes just the label set (`{}` when empty).
 * (expfmt checks label names against the metric-name charset, which lets `a:b` through unquoted;
 * Prometheus's own parsers reject that, so we quote by the label-name charset.)
 */
function writeSeries(name: string, labels: Labels): string {
  let out: string;
  let sep: string;
  if (name === '') {
    out = '';
    sep = '{';
  } else if (isLegacyMetricName(name)) {
    out = name;
    sep = '{';
  } else {
    out = '{"' + escapeQuoted(name) + '"';
    sep = ',';
  }
  const p = labels.pairs;
  for (let i = 0; i < p.length; i += 2) {
    const n = p[i];
    if (n === METRIC_NAME) continue;
    out += sep + (isLegacyName(n) ? n : '"' + escapeQuoted(n) + '"') + '="' + escapeQuoted(p[i + 1]) + '"';
    sep = ',';
  }
  if (sep === ',') return out + '}';
  return name === '' ? '{}' : out;
}

/** labels.ts isLegacyMetricName / isLegacyName without a regex per call: this runs per label written. */
function isLegacyMetricName(s: string): boolean {
  return isLegacy(s, true);
}

function isLegacyName(s: string): boolean {
  return isLegacy(s, false);
}

function isLegacy(s: string, colon: boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      c === 0x5f ||
      (c >= 0x30 && c <= 0x39 && i > 0) ||
      (colon && c === 0x3a)
    )) {
      return false;
    }
  }
  return true;
}

function writeName(name: string): string {
  return isLegacyMetricName(name) ? name : '"' + escapeQuoted(name) + '"';
}

const QUOTED_SPECIAL = /[\\"\n]/;
const QUOTED_SPECIAL_ALL = /[\\"\n]/g;
const HELP_SPECIAL = /[\\\n]/;
const HELP_SPECIAL_ALL = /[\\\n]/g;
const escapeChar = (c: string): string => (c === '\n' ? '\\n' : '\\' + c);

/** Label values and quoted names: `\` → `\\`, `"` → `\"`, newline → `\n`. */
function escapeQuoted(s: string): string {
  return QUOTED_SPECIAL.test(s) ? s.replace(QUOTED_SPECIAL_ALL, escapeChar) : s;
}

/** Text-format HELP: only `\` and newline are escaped (a `"` stays as it is). */
function escapeHelp(s: string): string {
  return HELP_SPECIAL.test(s) ? s.replace(HELP_SPECIAL_ALL, escapeChar) : s;
}

function formatInt(t: number): string {
  return String(Number.isInteger(t) ? t : Math.trunc(t));
}

/** expfmt's writeOpenMetricsFloat: as the text form, plus `.0` when there is neither `.` nor `e` (-0 → `-0.0`). */
export function formatOpenMetricsFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const s = formatGoFloat(v);
  if (v !== v || v === Infinity || v === -Infinity) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */ || c === 0x65 /* e */) return s;
  }
  return s + '.0';
}

/**
 * Go's `strconv.FormatFloat(v, fmt, -1, 64)` (shortest digits that round-trip), with Prometheus's
 * spelling of the specials: `NaN`, `+Inf`, `-Inf`. For 'g', Go switches to the exponent form when
 * the decimal exponent is < -4 or >= 6 (`1e+06`, `1.23456789e+08`, `1e-05`); exponents have at
 * least two digits. The HTTP API's jsonutil.MarshalFloat is `fmt = abs < 1e-6 || abs >= 1e21 ? 'e' : 'f'`
 * (with `abs === 0` → 'f').
 */
export function formatGoFloat(v: number, fmt: 'g' | 'e' | 'f' = 'g'): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const a = v < 0 ? -v : v;
  // For exponents -4..5 JavaScript's shortest decimal form is exactly Go's %g output.
  if (fmt === 'g' && a >= 1e-4 && a < 1e6) return String(v);
  const neg = v < 0 || Object.is(v, -0);
  let digits = '';
  let dp = 0; // decimal point position: value = 0.<digits> × 10^dp
  if (a !== 0) {
    const s = a.toExponential(); // shortest round-trip digits, as Go's Ryū-style shortest
    const e = s.indexOf('e');
    digits = s.charCodeAt(1) === 0x2e ? s[0] + s.slice(2, e) : s.slice(0, e);
    dp = Number(s.slice(e + 1)) + 1;
  }
  let body: string;
  if (fmt === 'e') body = goFmtE(digits, dp);
  else if (fmt === 'f') body = goFmtF(digits, dp);
  else {
    const exp = dp - 1;
    body = exp < -4 || exp >= 6 ? goFmtE(digits, dp) : goFmtF(digits, dp);
  }
  return neg ? '-' + body : body;
}

/** Go's fmtE at shortest precision: d.ddddde±dd (every digit, exponent at least two digits). */
function goFmtE(digits: string, dp: number): string {
  if (digits === '') return '0e+00';
  let exp = dp - 1;
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  const mantissa = digits.length === 1 ? digits : digits[0] + '.' + digits.slice(1);
  return mantissa + 'e' + sign + (exp < 10 ? '0' + exp : String(exp));
}

/** Go's fmtF at shortest precision: every digit, no trailing fractional zeros. */
function goFmtF(digits: string, dp: number): string {
  const nd = digits.length;
  if (nd === 0) return '0';
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= nd) return digits + '0'.repeat(dp - nd);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}
