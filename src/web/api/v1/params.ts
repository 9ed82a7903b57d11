// Request parameters of the query API, parsed and worded as Prometheus's web/api/v1 does (parseTime,
// parseDuration, parseLimitParam, parseMatchersParam), with form values merged as Go's r.FormValue.
import type { FastifyRequest } from 'fastify';
import { parseDuration as parseModelDuration } from '../../../model/duration.js';
import { goQuote } from '../../../model/goquote.js';
import type { Matcher } from '../../../model/matcher.js';
import { parseMetricSelector } from '../../../promql/parser/index.js';

/** A bad parameter: answered as bad_data with this message. */
export class ParamError extends Error {}

/** Prometheus's default start of optional time ranges (api.go MinTime), in ms. */
export const MIN_TIME_MS = -9223309901257974 * 1000;
/** Prometheus's default end of optional time ranges (api.go MaxTime), in ms. */
export const MAX_TIME_MS = 9223309901257974 * 1000 + 999;
// Go cannot print or parse years outside 0000-9999 with RFC 3339, so Prometheus accepts these two spellings.
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';

/** Form values as Go's r.Form: a urlencoded POST body's values first, then the URL query's. */
export interface FormValues {
  /** The first value, or "" (r.FormValue). */
  get(name: string): string;
  /** Every value (r.Form[name]). */
  all(name: string): string[];
}

export function formValues(req: FastifyRequest): FormValues {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const body = req.body instanceof URLSearchParams ? req.body : undefined;
  return {
    get(name) {
      return body?.get(name) ?? query.get(name) ?? '';
    },
    all(name) {
      return body === undefined ? query.getAll(name) : [...body.getAll(name), ...query.getAll(name)];
    },
  };
}

// strconv.ParseFloat's decimal syntax (hex floats and underscores are not accepted here).
const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;

/** Go's math.Round: half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** parseTime: Unix seconds with a fraction (kept to the millisecond) or RFC 3339; returns ms. */
export function parseTime(s: string): number {
  if (DECIMAL_FLOAT.test(s)) {
    const t = Number(s);
    if (Number.isFinite(t)) {
      let sec = Math.trunc(t);
      const frac = roundHalfAway((t - sec) * 1000) / 1000;
      let ns = Math.trunc(frac * 1e9);
      // time.Unix normalises the nanoseconds into [0, 1e9); timestamp.FromTime then floors to ms.
      sec += Math.floor(ns / 1e9);
      ns -= Math.floor(ns / 1e9) * 1e9;
      return sec * 1000 + Math.floor(ns / 1e6);
    }
  }
  const rfc = parseRFC3339(s);
  if (rfc !== undefined) return rfc;
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  throw new ParamError(`cannot parse ${goQuote(s)} to a valid timestamp`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseRFC3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > DAYS_IN_MONTH[month - 1] || (month === 2 && day === 29 && !leap)) return undefined;
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  const frac = m[7] === undefined ? 0 : Number((m[7] + '00').slice(0, 3));
  return d.getTime() + frac - offset;
}

/** parseTimeParam: a missing value takes the default; errors name the parameter. */
export function parseTimeParam(form: FormValues, name: string, dflt: number): number {
  const v = form.get(name);
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (err) {
    throw new ParamError(`invalid time value for '${name}': ${(err as Error).message}`);
  }
}

// 2^63 - 1, as near as a double gets (2^63): bounds of a Go int64.
const MAX_INT64 = 2 ** 63;

/** parseDuration: float seconds or a Prometheus duration; returns ms (fractions kept). */
export function parseDuration(s: string): number {
  if (DECIMAL_FLOAT.test(s) || SPECIAL_FLOAT.test(s)) {
    const d = Number(/^[+-]?inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : s);
    const ns = d * 1e9;
    if (ns > MAX_INT64 || ns < -MAX_INT64 - 1)
      throw new ParamError(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    // Go converts NaN to the most negative duration.
    if (Number.isNaN(ns)) return -Number.MAX_SAFE_INTEGER;
    return Math.trunc(ns) / 1e6;
  }
  try {
    return parseModelDuration(s);
  } catch {
    throw new ParamError(`cannot parse ${goQuote(s)} to a valid duration`);
  }
}

/** Go's strconv.Atoi, with its error messages. */
export function goAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new ParamError(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const big = BigInt(s);
  if (big > 9223372036854775807n || big < -9223372036854775808n)
    throw new ParamError(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return Number(big);
}

/** parseLimitParam: 0 (or missing) means no limit. */
export function parseLimitParam(s: string): number {
  if (s === '') return 0;
  const limit = goAtoi(s);
  if (limit < 0) throw new ParamError('limit must be non-negative');
  return limit;
}

/** parseMatchersParam: each match[] a series selector with at least one matcher that rejects "". */
export function parseMatchersParam(values: readonly string[]): Matcher[][] {
  const sets = values.map((v) => {
    try {
      return parseMetricSelector(v);
    } catch (err) {
      throw new ParamError((err as Error).message);
    }
  });
  for (const set of sets) {
    if (!set.some((m) => !m.matches(''))) {
      throw new ParamError('match[] must contain at least one non-empty matcher');
    }
  }
  return sets;
}

/** Wraps an error as Prometheus's invalidParamError does. */
export function invalidParam(name: string, err: unknown): ParamError {
  return new ParamError(`invalid parameter ${goQuote(name)}: ${(err as Error).message}`);
}

/**
 * model.UnescapeName with the value-encoding scheme: `U__` names spell non-legacy characters as
 * `_<hex code point>_` and `_` as `__`; a malformed escape leaves the name as it was.
 */
export function unescapeName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const s = name.slice(3);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      out += s[i];
      continue;
    }
    i++;
    if (i >= s.length) return name;
    if (s[i] === '_') {
      out += '_';
      continue;
    }
    let code = 0;
    let closed = false;
    for (let j = 0; i < s.length; j++, i++) {
      if (j >= 6) return name;
      if (s[i] === '_') {
        closed = true;
        break;
      }
      const digit = parseInt(s[i], 16);
      if (Number.isNaN(digit)) return name;
      code = code * 16 + digit;
    }
    if (!closed || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return name;
    out += String.fromCodePoint(code);
  }
  return out;
}
