import { describe, expect, it } from 'vitest';
import {
  ContentTypeError,
  acceptHeader,
  chooseFormat,
  headerMediaType,
  parseMediaType,
  type ScrapeProtocol,
} from '../../../src/model/exposition/negotiation.js';
import { goQuote } from '../../../src/model/goquote.js';

const DEFAULT: ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];
const PROTO_FIRST: ScrapeProtocol[] = ['PrometheusProto', ...DEFAULT];
const PB = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

describe('acceptHeader (scrape_test.go TestAcceptHeader)', () => {
  it.each([
    [
      DEFAULT,
      'underscores',
      'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    ],
    [
      PROTO_FIRST,
      'dots',
      `${PB};q=0.6,application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`,
    ],
    [
      DEFAULT,
      'allow-utf-8',
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    ],
    [
      PROTO_FIRST,
      'allow-utf-8',
      `${PB};q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`,
    ],
    [['PrometheusText0.0.4'] as ScrapeProtocol[], 'underscores', 'text/plain;version=0.0.4;q=0.6,*/*;q=0.5'],
    [[] as ScrapeProtocol[], 'underscores', '*/*;q=0.6'],
  ])('%j with %s', (protocols, scheme, want) => {
    expect(acceptHeader(protocols, scheme)).toBe(want);
  });
});

describe('headerMediaType', () => {
  it.each([
    ['PrometheusProto', 'application/vnd.google.protobuf'],
    ['PrometheusText0.0.4', 'text/plain'],
    ['PrometheusText1.0.0', 'text/plain'],
    ['OpenMetricsText0.0.1', 'application/openmetrics-text'],
    ['OpenMetricsText1.0.0', 'application/openmetrics-text'],
  ] as const)('%s → %s', (p, want) => expect(headerMediaType(p)).toBe(want));
});

function failure(contentType: string | undefined): string {
  try {
    chooseFormat(contentType, undefined);
  } catch (e) {
    expect(e).toBeInstanceOf(ContentTypeError);
    expect((e as Error).name).toBe('ContentTypeError');
    return (e as Error).message;
  }
  throw new Error('expected a ContentTypeError');
}

describe('chooseFormat (textparse.New / extractMediaType)', () => {
  it.each([
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text; charset=utf-8', 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['Application/OpenMetrics-Text;Version=0.0.1', 'openmetrics'],
    ['text/plain', 'prometheus-text'],
    ['text/plain; version=0.0.4', 'prometheus-text'],
    ['  TEXT/PLAIN  ; version=1.0.0; escaping=allow-utf-8', 'prometheus-text'],
    ['text/plain; charset="utf-8"', 'prometheus-text'],
    ['text/plain;', 'prometheus-text'],
    ['text/plain; version=0.0.4;  ', 'prometheus-text'],
    ['application/vnd.google.protobuf', 'protobuf'],
    [PB, 'protobuf'],
  ])('a supported Content-Type %j wins, with no warning', (ct, format) => {
    expect(chooseFormat(ct, undefined)).toEqual({ format });
    expect(chooseFormat(ct, 'PrometheusProto')).toEqual({ format });
  });

  it('blank Content-Type without fallback', () => {
    expect(failure('')).toBe(
      'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
    );
    expect(failure(undefined)).toBe(failure(''));
  });

  it('blank Content-Type with fallback', () => {
    expect(chooseFormat('', 'PrometheusText0.0.4')).toEqual({
      format: 'prometheus-text',
      warning:
        'non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "text/plain"',
    });
    expect(chooseFormat(undefined, 'OpenMetricsText1.0.0').format).toBe('openmetrics');
    expect(chooseFormat(undefined, 'PrometheusProto').format).toBe('protobuf');
  });

  it.each([
    ['invalid/', 'mime: expected token after slash'],
    ['invalid/invalid/invalid', 'mime: unexpected content after media subtype'],
    ['/', 'mime: no media type'],
    [';charset=utf-8', 'mime: no media type'],
    ['text plain', 'mime: expected slash after first token'],
    ['text/plain, text/html', 'mime: unexpected content after media subtype'],
    ['application/openmetrics-text; charset=UTF-8; charset=utf-8', 'mime: duplicate parameter name'],
    ['text/plain; Version=1; version=2', 'mime: duplicate parameter name'],
    ['text/plain; version', 'mime: invalid media parameter'],
    ['text/plain; version=', 'mime: invalid media parameter'],
    ['text/plain; =1', 'mime: invalid media parameter'],
    ['text/plain; version=0.0.4 x', 'mime: invalid media parameter'],
    ['text/plain; charset="utf-8', 'mime: invalid media parameter'],
    ['text/plain; a=b; ;', 'mime: invalid media parameter'],
    ['text/plain; a=é', 'mime: invalid media parameter'],
  ])('unparsable Content-Type %j', (ct, reason) => {
    expect(failure(ct)).toBe(
      `cannot parse Content-Type ${JSON.stringify(ct)} and no fallback_scrape_protocol for target\n${reason}`,
    );
    expect(chooseFormat(ct, 'OpenMetricsText0.0.1')).toEqual({
      format: 'openmetrics',
      warning: `could not parse received Content-Type ${JSON.stringify(ct)}, using fallback_scrape_protocol "application/openmetrics-text"\n${reason}`,
    });
  });

  it.each(['text/html', 'application/json; charset=utf-8', 'text', 'application/openmetrics', '*/*'])(
    'unsupported Content-Type %j',
    (ct) => {
      expect(failure(ct)).toBe(
        `received unsupported Content-Type ${JSON.stringify(ct)} and no fallback_scrape_protocol specified for target`,
      );
      expect(chooseFormat(ct, 'PrometheusText1.0.0')).toEqual({
        format: 'prometheus-text',
        warning: `received unsupported Content-Type ${JSON.stringify(ct)}, using fallback_scrape_protocol "text/plain"`,
      });
    },
  );
});

describe('parseMediaType (Go mime.ParseMediaType)', () => {
  it.each([
    ['text/plain', 'text/plain'],
    [' Text/HTML ', 'text/html'],
    ['text', 'text'],
    ['form-data; name="a\\"b"', 'form-data'],
    ['text/plain; a="x\\y"', 'text/plain'],
    ['text/plain; a=""', 'text/plain'],
    ['text/plain; a*0=x; a*1=y; a=z', 'text/plain'],
    ['text/plain;\ta = b', 'text/plain'],
  ])('%j → %j', (v, want) => expect(parseMediaType(v)).toBe(want));

  it('catches duplicate continuations', () => {
    expect(parseMediaType('text/plain; a*0=x; A*0=y')).toEqual({ error: 'mime: duplicate parameter name' });
  });
});

describe('goQuote (Go %q)', () => {
  it.each([
    ['text/plain', '"text/plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\n\t\r\x07\x08\x0c\x0b', '"\\n\\t\\r\\a\\b\\f\\v"'],
    ['\x00\x1f\x7f', '"\\x00\\x1f\\x7f"'],
    ['héllo ✓', '"héllo ✓"'],
    ['\u00a0\u200b', '"\\u00a0\\u200b"'],
    ['\udcff\udc80', '"\\xff\\x80"'],
    ['\ud800', '"\\ufffd"'],
  ])('%j → %s', (s, want) => expect(goQuote(s)).toBe(want));
});
