// Literal handling shared by the parser: token descriptions for error messages, Go-compatible number
// parsing (strconv.ParseInt base 0, then ParseFloat) and Go's %f.
import { goQuote } from '../../model/goquote.js';
import { Kind } from './lexer.js';

/** Go's Item.desc() for "unexpected ..." messages. */
export function describe(kind: Kind, v: string): string {
  const short = (): string => (v.length > 10 ? `${goQuote(v.slice(0, 10))}...` : goQuote(v));
  switch (kind) {
    case Kind.EOF:
      return 'end of input';
    case Kind.IDENTIFIER:
      return `identifier ${goQuote(v)}`;
    case Kind.METRIC_IDENTIFIER:
      return `metric identifier ${goQuote(v)}`;
    case Kind.NUMBER:
      return `number ${short()}`;
    case Kind.DURATION:
      return `duration ${short()}`;
    case Kind.STRING:
      return `string ${short()}`;
    case Kind.KEYWORD:
      return `<${v}>`;
    case Kind.AGGREGATOR:
      return `<aggr:${v}>`;
    case Kind.OPERATOR:
      return `<op:${v}>`;
    default:
      return goQuote(v);
  }
}

/** Go's strconv.ParseInt(s, 0, 64) then ParseFloat(s, 64), as parser.number(). */
export function parseNumber(s: string): number | undefined {
  const lower = s.toLowerCase();
  let body = lower;
  let sign = 1;
  if (body.startsWith('+') || body.startsWith('-')) {
    sign = body[0] === '-' ? -1 : 1;
    body = body.slice(1);
  }
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  const underscoresOk = (digits: string): boolean => !/^_|__|_$/.test(digits);
  let m = /^0x_?([0-9a-f_]+)$/.exec(body);
  if (m !== null) return underscoresOk(m[1]) ? sign * parseInt(m[1].replace(/_/g, ''), 16) : undefined;
  m = /^0x_?([0-9a-f_]*)(\.[0-9a-f_]*)?p([+-]?[0-9_]+)$/.exec(body);
  if (m !== null) {
    const mant = parseInt((m[1] + (m[2] ?? '').slice(1)).replace(/_/g, '') || '0', 16);
    const fracDigits = (m[2] ?? '.').length - 1;
    return sign * mant * Math.pow(2, Number(m[3].replace(/_/g, '')) - 4 * fracDigits);
  }
  m = /^0o?([0-7_]+)$/.exec(body);
  if (m !== null && body.length > 1) {
    if (/^[0-9]+$/.test(body) && !/^0[0-7]+$/.test(body)) return sign * Number(body);
    return underscoresOk(m[1]) ? sign * parseInt(m[1].replace(/_/g, ''), 8) : undefined;
  }
  m = /^0b([01_]+)$/.exec(body);
  if (m !== null) return underscoresOk(m[1]) ? sign * parseInt(m[1].replace(/_/g, ''), 2) : undefined;
  if (
    /^([0-9]+(_[0-9]+)*)?(\.[0-9]*(_[0-9]+)*)?(e[+-]?[0-9]+(_[0-9]+)*)?$/.test(body) &&
    /[0-9]/.test(body)
  ) {
    if (body.includes('_') && !/^[0-9_]+$/.test(body)) return undefined; // Go allows '_' only with a base prefix in floats
    return sign * Number(body.replace(/_/g, ''));
  }
  return undefined;
}

/** Go's %f. */
export function goFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}
