// The exposition formats: parsers, writer and content negotiation.
import { chooseFormat, type ScrapeProtocol } from './negotiation.js';
import { OpenMetricsParser } from './parser-openmetrics.js';
import { PromTextParser } from './parser-text.js';
import { ProtobufParser } from './parser-protobuf.js';
import type { ExpositionParser } from './types.js';
import { NhcbParser } from './parser-nhcb.js';

export * from './types.js';
export { PromTextParser } from './parser-text.js';
export { ProtobufParser } from './parser-protobuf.js';
export { NhcbParser } from './parser-nhcb.js';
export { OpenMetricsParser, type OpenMetricsParserOptions } from './parser-openmetrics.js';
export {
  writeText,
  writeOpenMetrics,
  formatGoFloat,
  formatOpenMetricsFloat,
  TEXT_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
} from './writer.js';
export {
  acceptHeader,
  chooseFormat,
  ContentTypeError,
  FALLBACK_USED_LOG_MESSAGE,
  NO_FORMAT_LOG_MESSAGE,
  SCRAPE_PROTOCOL_HEADERS,
  type ExpositionFormat,
  type ScrapeProtocol,
} from './negotiation.js';

export interface ParserChoice {
  parser: ExpositionParser;
  /** Set when the fallback protocol was used; Prometheus logs it at debug level. */
  warning?: string;
}

/**
 * The parser for a scrape response, chosen from its Content-Type (or the job's
 * fallback_scrape_protocol) as Prometheus does; throws ContentTypeError when neither helps.
 */
export function parserFor(
  contentType: string | undefined,
  fallback: ScrapeProtocol | undefined,
  body: string,
  opts: {
    skipCreatedSeries?: boolean;
    /** st-storage: OpenMetrics `_created` samples become start timestamps. */
    parseStartTimestamps?: boolean;
    nativeHistograms?: boolean;
    alwaysScrapeClassicHistograms?: boolean;
    /** convert_classic_histograms_to_nhcb (keepClassic: always_scrape_classic_histograms). */
    classicHistogramsToNhcb?: { keepClassic: boolean };
  } = {},
  raw?: Uint8Array,
): ParserChoice {
  const { format, warning } = chooseFormat(contentType, fallback);
  let parser: ExpositionParser;
  switch (format) {
    case 'openmetrics':
      parser = new OpenMetricsParser(body, opts);
      break;
    case 'prometheus-text':
      parser = new PromTextParser(body);
      break;
    case 'protobuf':
      parser = new ProtobufParser(raw ?? new TextEncoder().encode(body), opts);
      break;
  }
  const nhcb = opts.classicHistogramsToNhcb;
  if (nhcb !== undefined) parser = new NhcbParser(parser, nhcb.keepClassic);
  return { parser, warning };
}
