// Scrape protocols a job may negotiate (Accept header order), as Prometheus names them.
import type { ScrapeProtocol } from './types.js';

export const SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'PrometheusProto',
  'PrometheusText0.0.4',
  'PrometheusText1.0.0',
  'OpenMetricsText0.0.1',
  'OpenMetricsText1.0.0',
];

export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

/** Favours protobuf; the default when a job scrapes native histograms. */
export const DEFAULT_PROTO_FIRST_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'PrometheusProto',
  ...DEFAULT_SCRAPE_PROTOCOLS,
];

let protoFirstByDefault = false;

/**
 * Makes protobuf the first protocol of every job without scrape_protocols (Prometheus does this
 * for the process when st-storage is on: the protobuf format carries start timestamps best).
 */
export function preferProtobufByDefault(on: boolean): void {
  protoFirstByDefault = on;
}

/** The scrape_protocols of a job that sets none, and whose global section sets none. */
export function defaultScrapeProtocols(nativeHistograms: boolean): readonly ScrapeProtocol[] {
  return nativeHistograms || protoFirstByDefault
    ? DEFAULT_PROTO_FIRST_SCRAPE_PROTOCOLS
    : DEFAULT_SCRAPE_PROTOCOLS;
}

const goList = (xs: readonly string[]): string => `[${xs.join(' ')}]`;

/** ScrapeProtocol.Validate's error text, or undefined when known. */
export function checkScrapeProtocol(p: string): string | undefined {
  if ((SCRAPE_PROTOCOLS as readonly string[]).includes(p)) return undefined;
  return `unknown scrape protocol ${p}, supported: ${goList([...SCRAPE_PROTOCOLS].sort())}`;
}

/** validateAcceptScrapeProtocols: non-empty, known, no duplicates (case-insensitively). */
export function checkScrapeProtocols(ps: readonly string[]): string | undefined {
  if (ps.length === 0) return 'scrape_protocols cannot be empty';
  const seen = new Set<string>();
  for (const p of ps) {
    if (seen.has(p.toLowerCase())) return `duplicated protocol in scrape_protocols, got ${goList(ps)}`;
    const err = checkScrapeProtocol(p);
    if (err) return `scrape_protocols: ${err}`;
    seen.add(p.toLowerCase());
  }
  return undefined;
}
