// Pieces shared by the Prometheus text and OpenMetrics parsers: token names and error wording as
// Prometheus's model/textparse prints them, Go's float syntax, label-value unescaping and the
// `le`/`quantile` normalisation Prometheus 3 applies while parsing.
import { ParseError, type MetricType } from './types.js';
import { goQuote } from '../goquote.js';

export { goQuote };

// Token kinds, numbered as in Prometheus's lexers so the names below line up.
export const T_INVALID = -1;
export const T_EOF = 0;
export const T_LINEBREAK = 1;
export const T_WHITESPACE = 2;
export const T_HELP = 3;
export const T_TYPE = 4;
export const T_UNIT = 5;
export const T_EOFWORD = 6;
export const T_TEXT = 7;
export const T_COMMENT = 8;
export const T_MNAME = 10;
export const T_QSTRING = 11;
export const T_BOPEN = 12;
export const T_BCLOSE = 13;
export const T_LNAME = 14;
export const T_LVALUE = 15;
export const T_COMMA = 16;
export const T_EQUAL = 17;
export const T_TIMESTAMP = 18;
export const T_VALUE = 19;

export function tokenName(t: number): string {
  switch (t) {
    case T_INVALID:
      return 'INVALID';
    case T_EOF:
      return 'EOF';
    case T_LINEBREAK:
      return 'LINEBREAK';
    case T_WHITESPACE:
      return 'WHITESPACE';
    case T_HELP:
      return 'HELP';
    case T_TYPE:
      return 'TYPE';
    case T_UNIT:
      return 'UNIT';
    case T_EOFWORD:
      return 'EOFWORD';
    case T_TEXT:
      return 'TEXT';
    case T_COMMENT:
      return 'COMMENT';
    case T_MNAME:
      return 'MNAME';
    case T_QSTRING:
      return 'QSTRING';
    case T_BOPEN:
      return 'BOPEN';
    case T_BCLOSE:
      return 'BCLOSE';
    case T_LNAME:
      return 'LNAME';
    case T_LVALUE:
      return 'LVALUE';
    case T_COMMA:
      return 'COMMA';
    case T_EQUAL:
      return 'EQUAL';
    case T_TIMESTAMP:
      return 'TIMESTAMP';
    case T_VALUE:
      return 'VALUE';
  }
  return `<invalid: ${t}>`;
}

// Character classes of the lexers: L = [a-zA-Z_], M = [a-zA-Z_:], D = [0-9].
// Character classes by table: one load and a mask per character on the hot scans.
const C_L = 1; // [a-zA-Z_]
const C_M = 2; // [a-zA-Z_:]
const C_LD = 4; // [a-zA-Z_0-9]
const C_MD = 8; // [a-zA-Z_:0-9]
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
  const digit = c >= 48 && c <= 57;
  CLASS[c] = (alpha ? C_L | C_M | C_LD | C_MD : 0) | (c === 58 ? C_M | C_MD : 0) | (digit ? C_LD | C_MD : 0);
}

export function isL(c: number): boolean {
  return c < 128 && (CLASS[c] & C_L) !== 0;
}
export function isM(c: number): boolean {
  return c < 128 && (CLASS[c] & C_M) !== 0;
}
export function isLD(c: number): boolean {
  return c < 128 && (CLASS[c] & C_LD) !== 0;
}
export function isMD(c: number): boolean {
  return c < 128 && (CLASS[c] & C_MD) !== 0;
}

/** The body was decoded with replacement: U+FFFD stands where the bytes were not valid UTF-8. */
export function hasInvalidUtf8(b: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b.charCodeAt(i) === 0xfffd) return true;
  return false;
}

const EXCERPT_MAX = 120;

/**
 * Builds the ParseError for a Prometheus message of the form `<reason> while parsing: <excerpt>`:
 * the excerpt is body[excerptStart, excerptEnd) and the error points at `pos`.
 */
export function parseErrorAt(
  body: string,
  reason: string,
  pos: number,
  excerptStart: number,
  excerptEnd: number,
): ParseError {
  if (pos > body.length) pos = body.length;
  let line = 1;
  let lineStart = 0;
  for (let i = body.indexOf('\n'); i !== -1 && i < pos; i = body.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let excerpt = body.slice(excerptStart, Math.min(excerptEnd, body.length));
  if (excerpt.length > EXCERPT_MAX) excerpt = excerpt.slice(0, 60) + '…' + excerpt.slice(excerpt.length - 59);
  return new ParseError(reason, line, pos - lineStart + 1, excerpt);
}

/** The line containing `pos`, as an excerpt for errors Prometheus reports without one. */
export function lineErrorAt(body: string, reason: string, pos: number): ParseError {
  let ls = pos;
  while (ls > 0 && body.charCodeAt(ls - 1) !== 10) ls--;
  let le = body.indexOf('\n', pos);
  if (le === -1) le = body.length;
  return parseErrorAt(body, reason, pos, ls, le);
}

// ---- Go's strconv.ParseFloat, for the syntax both formats accept ----

/** Set by parseGoFloat: 0 ok, 1 invalid syntax, 2 out of range, 3 `p`, `P` or `_` present. */
export const floatStatus = { err: 0 };
export const FLOAT_OK = 0;
export const FLOAT_SYNTAX = 1;
export const FLOAT_RANGE = 2;
export const FLOAT_UNSUPPORTED = 3;

const POW10_HI = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const MAX_EXACT = 9007199254740992; // 2^53

/** Case-insensitive compare of b[i, i+w.length) with lower-case `w`. */
function matchesLower(b: string, i: number, end: number, w: string): boolean {
  if (end - i < w.length) return false;
  for (let k = 0; k < w.length; k++) if ((b.charCodeAt(i + k) | 0x20) !== w.charCodeAt(k)) return false;
  return true;
}

/**
 * Prometheus's parseFloat: `p`, `P` and `_` are refused (pre-Go-1.13 float formats), the rest is
 * strconv.ParseFloat(s, 64). Sets floatStatus.err; the result is meaningful only when it is 0.
 * Plain decimals with at most 15-16 significant digits and a small exponent take an exact fast
 * path (both operands exact, one IEEE operation: correctly rounded); the rest go through Number().
 */
export function parseGoFloat(b: string, start: number, end: number, allowHex = false): number {
  floatStatus.err = FLOAT_OK;
  let i = start;
  if (i >= end) {
    floatStatus.err = FLOAT_SYNTAX;
    return 0;
  }
  let c = b.charCodeAt(i);
  let neg = false;
  if (c === 43 || c === 45) {
    neg = c === 45;
    i++;
    if (i >= end) {
      floatStatus.err = FLOAT_SYNTAX;
      return 0;
    }
    c = b.charCodeAt(i);
  }
  // Fast path: digits [. digits] [e [+-] digits]
  let mant = 0;
  let exact = true;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < end; i++) {
    c = b.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (mant < MAX_EXACT / 10 - 1) mant = mant * 10 + (c - 48);
      else if (exact) exact = false;
      if (dot) frac++;
      continue;
    }
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    break;
  }
  if (digits === 0 || (i < end && c !== 101 && c !== 69)) return slowGoFloat(b, start, end, allowHex);
  let exp = 0;
  if (i < end) {
    // exponent
    i++;
    let eneg = false;
    if (i < end) {
      c = b.charCodeAt(i);
      if (c === 43 || c === 45) {
        eneg = c === 45;
        i++;
      }
    }
    if (i >= end) return slowGoFloat(b, start, end, allowHex);
    for (; i < end; i++) {
      c = b.charCodeAt(i);
      if (c < 48 || c > 57) return slowGoFloat(b, start, end, allowHex);
      if (exp < 100000) exp = exp * 10 + (c - 48);
    }
    if (eneg) exp = -exp;
  }
  const e10 = exp - frac;
  if (exact && e10 >= -22 && e10 <= 22) {
    const v = e10 < 0 ? mant / POW10_HI[-e10] : mant * POW10_HI[e10];
    return neg ? -v : v;
  }
  const v = Number(b.slice(start, end)); // sign included
  if (v === Infinity || v === -Infinity) floatStatus.err = FLOAT_RANGE;
  return v;
}

function slowGoFloat(b: string, start: number, end: number, allowHex: boolean): number {
  for (let k = start; k < end; k++) {
    const c = b.charCodeAt(k);
    if (!allowHex && (c === 112 || c === 80 || c === 95)) {
      floatStatus.err = FLOAT_UNSUPPORTED;
      return 0;
    }
  }
  let i = start;
  let c = b.charCodeAt(i);
  let sign = 1;
  let signed = false;
  if (c === 43 || c === 45) {
    if (c === 45) sign = -1;
    signed = true;
    i++;
    c = i < end ? b.charCodeAt(i) : 0;
  }
  // Go's special(): [+-]inf, [+-]infinity, nan (unsigned only); case-insensitive.
  if (c === 105 || c === 73) {
    const n = end - i;
    if ((n === 3 && matchesLower(b, i, end, 'inf')) || (n === 8 && matchesLower(b, i, end, 'infinity'))) {
      return sign * Infinity;
    }
  } else if ((c === 110 || c === 78) && !signed) {
    if (end - i === 3 && matchesLower(b, i, end, 'nan')) return NaN;
  } else if (allowHex && c === 48 && i + 1 < end && (b.charCodeAt(i + 1) | 0x20) === 120) {
    return sign * parseHexFloat(b, i + 2, end);
  }
  floatStatus.err = FLOAT_SYNTAX;
  return 0;
}

/** Hex mantissa with a mandatory binary exponent, as Go's ParseFloat accepts it (no underscores). */
function parseHexFloat(b: string, i: number, end: number): number {
  let mant = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = b.charCodeAt(i);
    const lc = c | 0x20;
    let d = -1;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (lc >= 97 && lc <= 102) d = lc - 87;
    if (d >= 0) {
      mant = mant * 16 + d;
      digits++;
      if (dot) frac++;
      continue;
    }
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    break;
  }
  if (digits === 0 || i >= end || (b.charCodeAt(i) | 0x20) !== 112) {
    floatStatus.err = FLOAT_SYNTAX;
    return 0;
  }
  i++;
  let eneg = false;
  if (i < end && (b.charCodeAt(i) === 43 || b.charCodeAt(i) === 45)) {
    eneg = b.charCodeAt(i) === 45;
    i++;
  }
  if (i >= end) {
    floatStatus.err = FLOAT_SYNTAX;
    return 0;
  }
  let exp = 0;
  for (; i < end; i++) {
    const c = b.charCodeAt(i);
    if (c < 48 || c > 57) {
      floatStatus.err = FLOAT_SYNTAX;
      return 0;
    }
    if (exp < 100000) exp = exp * 10 + (c - 48);
  }
  const v = mant * Math.pow(2, (eneg ? -exp : exp) - 4 * frac);
  if (!Number.isFinite(v)) floatStatus.err = FLOAT_RANGE;
  return v;
}

/** The Go error text for a failed parseGoFloat of `s`. */
export function floatErrorReason(s: string): string {
  if (floatStatus.err === FLOAT_UNSUPPORTED) return 'unsupported character in float';
  if (floatStatus.err === FLOAT_RANGE) return `strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`;
  return `strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`;
}

/** Go's `%f` for the non-finite values Prometheus reports as invalid timestamps. */
export function goFormatNonFinite(f: number): string {
  return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
}

// ---- Escapes ----

/** Prometheus's lvalReplacer: `\"`, `\\` and `\n`; any other backslash stays as written. */
export function unescapeLabel(b: string, start: number, end: number): string {
  // Search the slice, not the body: an unbounded indexOf would rescan the rest of the body per call.
  const text = b.slice(start, end);
  const first = text.indexOf('\\');
  if (first === -1) return text;
  return unescapeFrom(b, start, end, start + first, true);
}

/** Prometheus text format HELP: only `\\` and `\n`. */
export function unescapeHelp(b: string, start: number, end: number): string {
  // Search the slice, not the body: an unbounded indexOf would rescan the rest of the body per call.
  const text = b.slice(start, end);
  const first = text.indexOf('\\');
  if (first === -1) return text;
  return unescapeFrom(b, start, end, start + first, false);
}

function unescapeFrom(b: string, start: number, end: number, first: number, quotes: boolean): string {
  const parts: string[] = [];
  let from = start;
  for (let i = first; i < end - 1; i++) {
    if (b.charCodeAt(i) !== 92) continue;
    const n = b.charCodeAt(i + 1);
    if (n === 92 || n === 110 || (quotes && n === 34)) {
      parts.push(b.slice(from, i), n === 110 ? '\n' : n === 92 ? '\\' : '"');
      from = i + 2;
      i++;
    }
  }
  parts.push(b.slice(from, end));
  return parts.join('');
}

// ---- le / quantile normalisation (Prometheus 3, textparse normalizeFloatsInLabelValues) ----

/** Whether Prometheus 3 rewrites this label's value into OpenMetrics float form. */
export function needsNormalising(type: MetricType, name: string): boolean {
  return (type === 'summary' && name === 'quantile') || (type === 'histogram' && name === 'le');
}

/** ParseFloat the value; if it parses, print it as formatOpenMetricsFloat does. */
export function normaliseFloatLabel(v: string): string {
  const f = parseGoFloat(v, 0, v.length, true);
  if (floatStatus.err !== FLOAT_OK) return v;
  return formatOpenMetricsFloat(f);
}

/** Prometheus's formatOpenMetricsFloat: Go's FormatFloat(f, 'g', -1, 64), plus ".0" for integers. */
export function formatOpenMetricsFloat(f: number): string {
  if (f === 1) return '1.0';
  if (f === 0) return '0.0';
  if (f === -1) return '-1.0';
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = goFormatG(f);
  return s.includes('e') || s.includes('.') ? s : s + '.0';
}

/** strconv.FormatFloat(f, 'g', -1, 64) for finite non-zero f: shortest digits, %e when exp < -4 || exp >= 6. */
function goFormatG(f: number): string {
  // toExponential() without an argument yields the shortest round-trip digits, as Go's shortest mode.
  const ex = f.toExponential();
  const ePos = ex.indexOf('e');
  const neg = ex.charCodeAt(0) === 45;
  const mantissa = ex.slice(neg ? 1 : 0, ePos);
  const exp = Number(ex.slice(ePos + 1));
  const digs = mantissa.replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digs.length > 1 ? digs[0] + '.' + digs.slice(1) : digs;
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' + ae : ae}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digs}`;
  if (digs.length <= exp + 1) return sign + digs + '0'.repeat(exp + 1 - digs.length);
  return `${sign}${digs.slice(0, exp + 1)}.${digs.slice(exp + 1)}`;
}

// ---- fast paths ----

/** Result slot of scanDecimal. */
export const scanned = { v: 0 };

/**
 * Scans `[+-]?digits[.digits][(e|E)[+-]?digits]` from i and returns where it stopped, with the
 * value in scanned.v; -1 when there is no complete decimal there (the caller takes its slow path).
 * Same fast/exact split as parseGoFloat; out-of-range values also return -1.
 */
export function scanDecimal(b: string, i: number): number {
  const start = i;
  let c = b.charCodeAt(i);
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    c = b.charCodeAt(++i);
  }
  let mant = 0;
  let exact = true;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; ; c = b.charCodeAt(++i)) {
    if (c >= 48 && c <= 57) {
      digits++;
      if (mant < MAX_EXACT / 10 - 1) mant = mant * 10 + (c - 48);
      else exact = false;
      if (dot) frac++;
    } else if (c === 46 && !dot) dot = true;
    else break;
  }
  if (digits === 0) return -1;
  let exp = 0;
  if (c === 101 || c === 69) {
    c = b.charCodeAt(++i);
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = b.charCodeAt(++i);
    }
    if (!(c >= 48 && c <= 57)) return -1;
    for (; c >= 48 && c <= 57; c = b.charCodeAt(++i)) if (exp < 100000) exp = exp * 10 + (c - 48);
    if (eneg) exp = -exp;
  }
  const e10 = exp - frac;
  if (exact && e10 >= -22 && e10 <= 22) {
    const v = e10 < 0 ? mant / POW10_HI[-e10] : mant * POW10_HI[e10];
    scanned.v = neg ? -v : v;
    return i;
  }
  const v = Number(b.slice(start, i));
  if (v === Infinity || v === -Infinity) return -1;
  scanned.v = v;
  return i;
}

/**
 * Positions of the next backslash, NUL and U+FFFD at or after a point, advanced only forward so
 * the total work over a body stays linear. A label value free of all three needs no escape
 * handling, is valid UTF-8 as far as we can tell, and ends at the first `"`.
 */
export class SpecialChars {
  private nb: number = -1;
  private nz: number = -1;
  private nf: number = -1;
  constructor(private readonly b: string) {}

  /** Whether [from, to) holds a backslash, NUL or U+FFFD; calls must not move `from` backwards much. */
  any(from: number, to: number): boolean {
    const b = this.b;
    if (this.nb < from) this.nb = next(b, '\\', from);
    if (this.nb < to) return true;
    if (this.nz < from) this.nz = next(b, '\0', from);
    if (this.nz < to) return true;
    if (this.nf < from) this.nf = next(b, '\ufffd', from);
    return this.nf < to;
  }
}

function next(b: string, ch: string, from: number): number {
  const k = b.indexOf(ch, from);
  return k === -1 ? Infinity : k;
}

const TYPE_WORDS = [
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
  'untyped',
];

/**
 * The TYPE word in b[start, end) as one of the known constants, or '' when it is none: compared in
 * place, so the common metadata line allocates nothing.
 */
export function metricTypeAt(b: string, start: number, end: number): string {
  const len = end - start;
  const first = b.charCodeAt(start);
  outer: for (const w of TYPE_WORDS) {
    if (w.length !== len || w.charCodeAt(0) !== first) continue;
    for (let k = 1; k < len; k++) if (w.charCodeAt(k) !== b.charCodeAt(start + k)) continue outer;
    return w;
  }
  return '';
}

/** Where the grow-as-needed label offsets of the current series live (both parsers). */
export interface LabelOffsets {
  offs: Int32Array;
  nOffs: number;
}

export function growOffsets(a: Int32Array): Int32Array {
  const o = new Int32Array(a.length * 2);
  o.set(a);
  return o;
}

/**
 * The common label set `{l="v",...}` from b[j] === '{' in one scan: plain names, values without
 * escapes, NUL or U+FFFD before the line's end. Records [nameStart, nameEnd, valueStart, valueEnd)
 * per label in `out` and returns the index after '}', or -1 for anything else (the caller then takes
 * the general path, which reaches the same result or error).
 */
export function scanPlainLabelSet(
  b: string,
  j: number,
  lineEnd: number,
  special: SpecialChars,
  out: LabelOffsets,
): number {
  j++;
  let k = 0;
  let c: number;
  for (;;) {
    c = b.charCodeAt(j);
    if (c === 125) {
      out.nOffs = k;
      return j + 1;
    }
    if (!isL(c)) return -1;
    const ns = j;
    j++;
    while (isLD((c = b.charCodeAt(j)))) j++;
    const ne = j;
    if (c !== 61 || b.charCodeAt(j + 1) !== 34) return -1;
    const vs = j + 2;
    const q = b.indexOf('"', vs);
    if (q === -1 || q > lineEnd || special.any(vs, q)) return -1;
    if (k + 4 > out.offs.length) out.offs = growOffsets(out.offs);
    const offs = out.offs;
    offs[k] = ns;
    offs[k + 1] = ne;
    offs[k + 2] = vs;
    offs[k + 3] = q;
    k += 4;
    j = q + 1;
    c = b.charCodeAt(j);
    if (c === 44) j++;
    else if (c !== 125) return -1;
  }
}

/** Where scanMetaLine found the name and the text. */
export const metaLine = { nameStart: 0, nameEnd: 0, textStart: 0, textEnd: 0, type: '' };

export const META_HELP = 3;
export const META_TYPE = 2;

/**
 * `# HELP name text` or `# TYPE name word` with single blanks, from b[s] === '#': returns META_HELP or
 * META_TYPE with the positions in `metaLine` (and for TYPE the word as a known constant, '' if none),
 * or 0 for anything else (escapes, quoted names, other blanks, UNIT, comments).
 */
export function scanMetaLine(b: string, s: number, special: SpecialChars): number {
  if (b.charCodeAt(s + 1) !== 32 || b.charCodeAt(s + 6) !== 32) return 0;
  const c2 = b.charCodeAt(s + 2);
  let kind: number;
  // "HELP" = 72 69 76 80, "TYPE" = 84 89 80 69
  if (c2 === 72 && b.charCodeAt(s + 3) === 69 && b.charCodeAt(s + 4) === 76 && b.charCodeAt(s + 5) === 80) {
    kind = META_HELP;
  } else if (
    c2 === 84 &&
    b.charCodeAt(s + 3) === 89 &&
    b.charCodeAt(s + 4) === 80 &&
    b.charCodeAt(s + 5) === 69
  ) {
    kind = META_TYPE;
  } else return 0;
  let j = s + 7;
  if (!isM(b.charCodeAt(j))) return 0;
  const ns = j++;
  while (isMD(b.charCodeAt(j))) j++;
  const ne = j;
  if (b.charCodeAt(j) !== 32) return 0;
  const ts = j + 1;
  const c = b.charCodeAt(ts);
  if (c === 32 || c === 9 || c === 10) return 0;
  const nl = b.indexOf('\n', ts);
  if (nl === -1 || special.any(ts, nl)) return 0;
  metaLine.nameStart = ns;
  metaLine.nameEnd = ne;
  metaLine.textStart = ts;
  metaLine.textEnd = nl;
  metaLine.type = kind === META_TYPE ? metricTypeAt(b, ts, nl) : '';
  return kind;
}
