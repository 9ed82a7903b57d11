// The query API's JSON written straight into a string, as Prometheus's jsoniter encoders do: no object
// per sample, timestamps as seconds with up to three decimals, values as Go-formatted strings.
import type { Labels } from '../../../model/labels.js';
import { formatGoFloat } from '../../../model/exposition/writer.js';

/** jsonutil.MarshalTimestamp: ms → seconds, the fraction written as three digits when non-zero. */
export function timestampJSON(ms: number): string {
  let t = Math.trunc(ms);
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  const sec = Math.floor(t / 1000);
  const frac = t - sec * 1000;
  if (frac === 0) return sign + sec;
  return sign + sec + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + frac;
}

/** jsonutil.MarshalFloat: 'f' formatting, 'e' below 1e-6 or from 1e21, as a JSON string. */
export function floatJSON(v: number): string {
  if (v !== v) return '"NaN"';
  if (v === Infinity) return '"+Inf"';
  if (v === -Infinity) return '"-Inf"';
  if (v === 0) return Object.is(v, -0) ? '"-0"' : '"0"';
  const a = v < 0 ? -v : v;
  // Between 1e-6 and 1e21 JavaScript's shortest form is exactly Go's 'f' with precision -1.
  if (a >= 1e-6 && a < 1e21) return '"' + String(v) + '"';
  return '"' + formatGoFloat(v, 'e') + '"';
}

const str = JSON.stringify;

/** A label set as a JSON object (labels are sorted, as Go's map encoding sorts keys). */
export function labelsJSON(labels: Labels): string {
  const p = labels.pairs;
  if (p.length === 0) return '{}';
  let out = '{';
  for (let i = 0; i < p.length; i += 2) {
    if (i > 0) out += ',';
    out += str(p[i]) + ':' + str(p[i + 1]);
  }
  return out + '}';
}

/** The success envelope around pre-encoded data; warnings and infos only when there are any. */
export function successJSON(
  dataJSON: string,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): string {
  let out = '{"status":"success","data":' + dataJSON;
  if (warnings.length > 0) out += ',"warnings":' + str(warnings);
  if (infos.length > 0) out += ',"infos":' + str(infos);
  return out + '}';
}

/**
 * annotations.AsStrings: at most ten of each kind, then a line saying how many were left out.
 */
export function capAnnotations(list: readonly string[], kind: 'warning' | 'info', max = 10): string[] {
  if (list.length <= max) return [...list];
  return [...list.slice(0, max), `${list.length - max} more ${kind} annotations omitted`];
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_ALL = /[<>&\u2028\u2029]/g;

/**
 * JSON text with Go's encoding/json HTML escaping, as Prometheus's API writes it: <, > and & (and
 * U+2028/9) as \u escapes, so label values and errors stay inert if a page shows the JSON as HTML.
 */
export function htmlSafeJson(json: string): string {
  if (!HTML_UNSAFE.test(json)) return json;
  return json.replace(HTML_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
