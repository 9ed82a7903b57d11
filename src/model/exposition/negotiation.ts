// Scrape content negotiation as Prometheus 3.x does it: the Accept header a scrape sends
// (scrape/scrape.go acceptHeader) and the parser a response's Content-Type selects
// (model/textparse/interface.go extractMediaType, which parses with Go's mime.ParseMediaType).
import { goQuote } from '../goquote.js';

export type ScrapeProtocol =
  | 'PrometheusProto'
  | 'PrometheusText0.0.4'
  | 'PrometheusText1.0.0'
  | 'OpenMetricsText0.0.1'
  | 'OpenMetricsText1.0.0';

/** config.ScrapeProtocolsHeaders. */
export const SCRAPE_PROTOCOL_HEADERS: Readonly<Record<ScrapeProtocol, string>> = {
  PrometheusProto:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
};

const PROTOCOL_COUNT = Object.keys(SCRAPE_PROTOCOL_HEADERS).length;

/**
 * The Accept header for a scrape: each protocol's media type with q-values counting down from
 * `0.<n+1>` (n = number of known protocols), `escaping=<scheme>` on the 1.0.0 formats only, and a
 * trailing catch-all. E.g. the defaults with `allow-utf-8` give
 * `application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,...,*\/*;q=0.2`.
 */
export function acceptHeader(protocols: readonly ScrapeProtocol[], escapingScheme: string): string {
  const vals: string[] = [];
  let weight = PROTOCOL_COUNT + 1;
  for (const p of protocols) {
    let val = SCRAPE_PROTOCOL_HEADERS[p];
    if (p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0') val += ';escaping=' + escapingScheme;
    vals.push(`${val};q=0.${weight}`);
    weight--;
  }
  vals.push(`*/*;q=0.${weight}`);
  return vals.join(',');
}

/** ScrapeProtocol.HeaderMediaType: the media type alone, e.g. `text/plain`. */
export function headerMediaType(p: ScrapeProtocol): string {
  return SCRAPE_PROTOCOL_HEADERS[p].slice(0, SCRAPE_PROTOCOL_HEADERS[p].indexOf(';'));
}

export type ExpositionFormat = 'prometheus-text' | 'openmetrics' | 'protobuf';

const FORMAT_BY_MEDIA_TYPE: ReadonlyMap<string, ExpositionFormat> = new Map([
  ['application/openmetrics-text', 'openmetrics'],
  ['application/vnd.google.protobuf', 'protobuf'],
  ['text/plain', 'prometheus-text'],
]);

/** Neither the Content-Type nor a fallback_scrape_protocol says how to parse the body; the scrape fails. */
export class ContentTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentTypeError';
  }
}

/** What Prometheus logs (at debug level) with `warning` as `err` when the fallback is used. */
export const FALLBACK_USED_LOG_MESSAGE = 'Invalid content type on scrape, using fallback setting.';
/** What Prometheus logs (at error level) with the ContentTypeError as `err`. */
export const NO_FORMAT_LOG_MESSAGE = 'Failed to determine correct type of scrape target.';

/**
 * Picks the parser for a scrape response as textparse.New does. A usable Content-Type wins; else
 * the job's fallback_scrape_protocol is used, with `warning` set to the error Prometheus reports
 * for it; else this throws ContentTypeError with Prometheus's message.
 */
export function chooseFormat(
  contentType: string | undefined,
  fallback: ScrapeProtocol | undefined,
): { format: ExpositionFormat; warning?: string } {
  const fb = fallback === undefined ? '' : headerMediaType(fallback);
  const ct = contentType ?? '';
  const useFallback = (warning: string): { format: ExpositionFormat; warning: string } => ({
    format: FORMAT_BY_MEDIA_TYPE.get(fb) as ExpositionFormat,
    warning,
  });
  if (ct === '') {
    if (fb === '') {
      throw new ContentTypeError(
        'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
      );
    }
    return useFallback(
      `non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol ${goQuote(fb)}`,
    );
  }
  const parsed = parseMediaType(ct);
  if (typeof parsed !== 'string') {
    // errors.Join: the two messages on separate lines.
    if (fb === '') {
      throw new ContentTypeError(
        `cannot parse Content-Type ${goQuote(ct)} and no fallback_scrape_protocol for target\n${parsed.error}`,
      );
    }
    return useFallback(
      `could not parse received Content-Type ${goQuote(ct)}, using fallback_scrape_protocol ${goQuote(fb)}\n${parsed.error}`,
    );
  }
  const format = FORMAT_BY_MEDIA_TYPE.get(parsed);
  if (format !== undefined) return { format };
  if (fb === '') {
    throw new ContentTypeError(
      `received unsupported Content-Type ${goQuote(ct)} and no fallback_scrape_protocol specified for target`,
    );
  }
  return useFallback(
    `received unsupported Content-Type ${goQuote(ct)}, using fallback_scrape_protocol ${goQuote(fb)}`,
  );
}

/**
 * Go's mime.ParseMediaType, reduced to what extractMediaType uses: the lower-cased media type, or
 * the error text. Parameters are checked (syntax, duplicates) but their values are not kept.
 */
export function parseMediaType(v: string): string | { error: string } {
  let i = v.indexOf(';');
  if (i === -1) i = v.length;
  const mediaType = trimGoSpace(v.slice(0, i).toLowerCase());
  const [type, rest0] = consumeToken(mediaType);
  if (type === '') return { error: 'mime: no media type' };
  if (rest0 !== '') {
    if (rest0[0] !== '/') return { error: 'mime: expected slash after first token' };
    const [subtype, rest1] = consumeToken(rest0.slice(1));
    if (subtype === '') return { error: 'mime: expected token after slash' };
    if (rest1 !== '') return { error: 'mime: unexpected content after media subtype' };
  }

  const seen = new Set<string>();
  let s = v.slice(i);
  while (s.length > 0) {
    s = trimGoSpaceLeft(s);
    if (s.length === 0) break;
    const param = consumeMediaParam(s);
    if (param === undefined) {
      // A trailing semicolon is not an error.
      if (trimGoSpace(s) === ';') return mediaType;
      return { error: 'mime: invalid media parameter' };
    }
    // Go keeps RFC 2231 continuations (`name*0`) in maps apart from plain names; as a plain name
    // never contains `*`, one set of full names finds the same duplicates.
    if (seen.has(param.key)) return { error: 'mime: duplicate parameter name' };
    seen.add(param.key);
    s = param.rest;
  }
  return mediaType;
}

function consumeMediaParam(v: string): { key: string; rest: string } | undefined {
  let rest = trimGoSpaceLeft(v);
  if (rest[0] !== ';') return undefined;
  rest = trimGoSpaceLeft(rest.slice(1));
  const [param, afterKey] = consumeToken(rest);
  if (param === '') return undefined;
  rest = trimGoSpaceLeft(afterKey);
  if (rest[0] !== '=') return undefined;
  rest = trimGoSpaceLeft(rest.slice(1));
  const value = consumeValue(rest);
  if (value === undefined) return undefined;
  return { key: param.toLowerCase(), rest: value };
}

/** A token or a quoted-string; returns what follows it, or undefined when there is neither. */
function consumeValue(v: string): string | undefined {
  if (v === '') return undefined;
  if (v[0] !== '"') {
    const [tok, rest] = consumeToken(v);
    return tok === '' ? undefined : rest;
  }
  for (let i = 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22) return v.slice(i + 1);
    // A backslash escapes the next character only when that is not a token character (MSIE paths).
    if (c === 0x5c && i + 1 < v.length && !isTokenChar(v.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (c === 0x0d || c === 0x0a) return undefined;
  }
  return undefined; // no closing quote
}

function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length && isTokenChar(v.charCodeAt(i))) i++;
  return [v.slice(0, i), v.slice(i)];
}

/** RFC 2045 token: printable US-ASCII except space and tspecials `()<>@,;:\"/[]?=`. */
function isTokenChar(c: number): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  return '()<>@,;:\\"/[]?='.indexOf(String.fromCharCode(c)) === -1;
}

/** Go's unicode.IsSpace. */
function isGoSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function trimGoSpaceLeft(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

function trimGoSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isGoSpace(s.charCodeAt(j - 1))) j--;
  return trimGoSpaceLeft(j === s.length ? s : s.slice(0, j));
}
