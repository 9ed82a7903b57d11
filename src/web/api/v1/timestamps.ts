// Time parameters and JSON times as Prometheus's API reads and writes them.

/** Prometheus's MinTime and MaxTime (the widest times Go's time package round-trips), in ms. */
export const API_MIN_TIME_MS = -9223309901257974 * 1000;
export const API_MAX_TIME_MS = 9223309901257974 * 1000 + 999;
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const GO_FLOAT = /^[+-]?(?:(?:\d+(?:_\d+)*\.?\d*(?:_\d+)*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/**
 * parseTime of web/api/v1: seconds as a float (rounded to ms), RFC 3339 with optional fraction, or
 * the two boundary strings; undefined when none applies.
 */
export function parseTime(s: string): number | undefined {
  if (GO_FLOAT.test(s)) {
    const f = Number(s.replace(/_/g, '').replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
    if (Number.isFinite(f)) {
      const sec = Math.trunc(f);
      return sec * 1000 + Math.round((f - sec) * 1000);
    }
  }
  const m = RFC3339.exec(s);
  if (m !== null) {
    const [, y, mo, d, h, mi, se, frac, zone] = m;
    let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se);
    if (frac !== undefined) ms += Math.floor(Number((frac + '000').slice(0, 3)));
    if (zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
    if (+mo >= 1 && +mo <= 12 && +d >= 1 && +d <= 31 && +h < 24 && +mi < 60 && +se < 60) return ms;
  }
  if (s === MIN_TIME_FORMATTED) return API_MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return API_MAX_TIME_MS;
  return undefined;
}

export class ParamError extends Error {}

/** A time form value, or `def` when absent or empty; throws ParamError with Prometheus's wording. */
export function timeParam(values: URLSearchParams, name: string, def: number): number {
  const raw = values.get(name);
  if (raw === null || raw === '') return def;
  const t = parseTime(raw);
  if (t === undefined)
    throw new ParamError(
      `invalid parameter ${JSON.stringify(name)}: cannot parse ${JSON.stringify(raw)} to a valid timestamp`,
    );
  return t;
}

/** The zero time.Time as encoding/json writes it: what Prometheus shows for "never". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** A time as Go's JSON writes a UTC time.Time (RFC 3339, fraction without trailing zeros). */
export function goTime(d: Date | undefined): string {
  if (d === undefined) return GO_ZERO_TIME;
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac === '' ? '' : '.' + frac) + 'Z';
}
