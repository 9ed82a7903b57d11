// The exposition formats: parsers, writer and content negotiation.
import { chooseFormat, type ScrapeProtocol } from './negotiation.js';
import { OpenMetricsParser } from './parser-openmetrics.js';
import { PromTextParser } from './parser-text.js';
import { ProtobufParser } from './parser-protobuf.js';
import type { ExpositionParser } from './types.js';

export * from './types.js';
export { PromTextParser } from './parser-text.js';
export { ProtobufParser } from './parser-protobuf.js';
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
    nativeHistograms?: boolean;
    alwaysScrapeClassicHistograms?: boolean;
  } = {},
  raw?: Uint8Array,
): ParserChoice {
  const { format, warning } = chooseFormat(contentType, fallback);
  switch (format) {
    case 'openmetrics':
      return { parser: new OpenMetricsParser(body, opts), warning };
    case 'prometheus-text':
      return { parser: new PromTextParser(body), warning };
    case 'protobuf':
      return { parser: new ProtobufParser(raw ?? new TextEncoder().encode(body), opts), warning };
  }
}
