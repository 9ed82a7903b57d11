// Drives a parser to the end and records what it yields, for table tests.
import { Entry, ParseError, type ExpositionParser } from '../../../src/model/exposition/types.js';
import { goQuote } from '../../../src/model/exposition/parser-common.js';

export interface Parsed {
  kind: 'series' | 'type' | 'help' | 'unit' | 'comment';
  m: string;
  v?: number;
  t?: number;
  lset?: Record<string, string>;
  typ?: string;
  help?: string;
  unit?: string;
  e?: { labels: Record<string, string>; value: number; t?: number };
}

export function parseAll(p: ExpositionParser): Parsed[] {
  const out: Parsed[] = [];
  for (let k = p.next(); k !== Entry.EOF; k = p.next()) {
    switch (k) {
      case Entry.Series: {
        const r: Parsed = { kind: 'series', m: p.seriesText(), v: p.value(), lset: p.labels().toRecord() };
        const t = p.timestamp();
        if (t !== undefined) r.t = t;
        const e = p.exemplar();
        if (e !== undefined) {
          r.e = { labels: e.labels.toRecord(), value: e.value };
          if (e.timestamp !== undefined) r.e.t = e.timestamp;
        }
        out.push(r);
        break;
      }
      case Entry.Type:
        out.push({ kind: 'type', m: p.family(), typ: p.metricType() });
        break;
      case Entry.Help:
        out.push({ kind: 'help', m: p.family(), help: p.help() });
        break;
      case Entry.Unit:
        out.push({ kind: 'unit', m: p.family(), unit: p.unit() });
        break;
      case Entry.Comment:
        out.push({ kind: 'comment', m: (p as unknown as { comment(): string }).comment() });
        break;
    }
  }
  return out;
}

/** The error a parse of the whole body ends with, or undefined. */
export function parseError(p: ExpositionParser): ParseError | undefined {
  try {
    while (p.next() !== Entry.EOF);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  return undefined;
}

/**
 * Prometheus's err.Error() for our ParseError, for messages of the `<reason> while parsing: <q>`
 * form; other messages are compared by reason alone.
 */
export function asPrometheusMessage(err: ParseError, expected: string): string {
  return expected.includes(' while parsing: ')
    ? `${err.reason} while parsing: ${goQuote(err.excerpt)}`
    : err.reason;
}
