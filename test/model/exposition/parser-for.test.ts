import { describe, expect, it } from 'vitest';
import {
  ContentTypeError,
  Entry,
  OpenMetricsParser,
  parserFor,
  PromTextParser,
  ProtobufParser,
} from '../../../src/model/exposition/index.js';

describe('parserFor', () => {
  it('picks the parser from the Content-Type', () => {
    expect(parserFor('text/plain; version=0.0.4; charset=utf-8', undefined, 'a 1\n').parser).toBeInstanceOf(
      PromTextParser,
    );
    expect(
      parserFor('application/openmetrics-text; version=1.0.0', undefined, 'a 1\n# EOF\n').parser,
    ).toBeInstanceOf(OpenMetricsParser);
    const { parser, warning } = parserFor('TEXT/PLAIN', undefined, 'a 1\n');
    expect(parser.next()).toBe(Entry.Series);
    expect(warning).toBeUndefined();
  });

  it('uses fallback_scrape_protocol for a missing or unknown type, with the warning Prometheus logs', () => {
    const blank = parserFor(undefined, 'PrometheusText0.0.4', 'a 1\n');
    expect(blank.parser).toBeInstanceOf(PromTextParser);
    expect(blank.warning).toContain('non-compliant scrape target sending blank Content-Type');
    const odd = parserFor('application/json', 'OpenMetricsText1.0.0', 'a 1\n# EOF\n');
    expect(odd.parser).toBeInstanceOf(OpenMetricsParser);
    expect(odd.warning).toContain('received unsupported Content-Type "application/json"');
  });

  it('fails like Prometheus when neither helps; reads protobuf from the bytes', () => {
    expect(() => parserFor('application/json', undefined, '')).toThrowError(ContentTypeError);
    expect(() => parserFor('application/json', undefined, '')).toThrowError(
      'received unsupported Content-Type "application/json" and no fallback_scrape_protocol specified for target',
    );
    const proto = parserFor(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      undefined,
      '',
      {},
      new Uint8Array(0),
    );
    expect(proto.parser).toBeInstanceOf(ProtobufParser);
  });
});
