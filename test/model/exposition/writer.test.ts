import { describe, expect, it } from 'vitest';
import { Labels } from '../../../src/model/labels.js';
import type { MetricFamily, MetricType } from '../../../src/model/exposition/types.js';
import {
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
  formatGoFloat,
  formatOpenMetricsFloat,
  writeOpenMetrics,
  writeText,
} from '../../../src/model/exposition/writer.js';

const L = (rec: Record<string, string>): Labels => Labels.fromRecord(rec);
type Sample = MetricFamily['samples'][number];
const fam = (
  name: string,
  type: MetricType,
  samples: Sample[],
  extra: Partial<MetricFamily> = {},
): MetricFamily => ({
  name,
  type,
  samples,
  ...extra,
});

describe('formatGoFloat', () => {
  // Expected strings are Go's strconv.FormatFloat(v, fmt, -1, 64). For 'g' with shortest
  // precision Go switches to %e at decimal exponent < -4 or >= 6 (ftoa.go: "use precision 6").
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1, '-1'],
    [0.1, '0.1'],
    [1.5, '1.5'],
    [-2.5, '-2.5'],
    [100000, '100000'],
    [999999, '999999'],
    [999999.5, '999999.5'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [123456789, '1.23456789e+08'],
    [608863452348.1149, '6.088634523481149e+11'],
    [2 ** 53, '9.007199254740992e+15'],
    [1e20, '1e+20'],
    [1e21, '1e+21'],
    [-2.5e10, '-2.5e+10'],
    [1e100, '1e+100'],
    [0.0001, '0.0001'],
    [0.000123, '0.000123'],
    [1e-5, '1e-05'],
    [1.5e-5, '1.5e-05'],
    [1e-7, '1e-07'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [Number.MIN_VALUE * 2 ** 52, '2.2250738585072014e-308'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])("'g' %s → %s", (v, want) => expect(formatGoFloat(v)).toBe(want));

  it.each([
    [0, '0'],
    [-0, '-0'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [123.456, '123.456'],
    [1.5e-5, '0.000015'],
    [-1234567, '-1234567'],
    [Infinity, '+Inf'],
  ])("'f' %s → %s", (v, want) => expect(formatGoFloat(v, 'f')).toBe(want));

  it("'f' writes the smallest subnormal in full", () => {
    expect(formatGoFloat(5e-324, 'f')).toBe('0.' + '0'.repeat(323) + '5');
  });

  it.each([
    [0, '0e+00'],
    [1, '1e+00'],
    [123456, '1.23456e+05'],
    [1e-7, '1e-07'],
    [-1.5e300, '-1.5e+300'],
    [NaN, 'NaN'],
  ])("'e' %s → %s", (v, want) => expect(formatGoFloat(v, 'e')).toBe(want));

  it('round-trips through Number()', () => {
    for (const v of [0.1 + 0.2, Math.PI * 1e10, 1 / 3, 2 ** -1074, 123.456e-10, 9.87654321e20]) {
      expect(Number(formatGoFloat(v))).toBe(v);
      expect(Number(formatGoFloat(v, 'f'))).toBe(v);
      expect(Number(formatGoFloat(v, 'e'))).toBe(v);
    }
  });
});

describe('formatOpenMetricsFloat', () => {
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [-1, '-1.0'],
    [100, '100.0'],
    [0.5, '0.5'],
    [1e6, '1e+06'],
    [1e-7, '1e-07'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%s → %s', (v, want) => expect(formatOpenMetricsFloat(v)).toBe(want));
});

describe('content types', () => {
  it('are what Prometheus and client_golang send', () => {
    expect(TEXT_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });
});

describe('writeText', () => {
  it('writes HELP, TYPE and samples with labels and timestamps', () => {
    const out = writeText([
      fam(
        'http_requests_total',
        'counter',
        [
          {
            labels: L({ __name__: 'http_requests_total', method: 'post', code: '200' }),
            value: 1027,
            timestamp: 1395066363000,
          },
          { labels: L({ __name__: 'http_requests_total', method: 'post', code: '400' }), value: 3 },
        ],
        { help: 'The total number of HTTP requests.' },
      ),
      fam('metric_without_timestamp_and_labels', 'unknown', [
        { labels: L({ __name__: 'metric_without_timestamp_and_labels' }), value: 12.47 },
      ]),
      fam('big', 'gauge', [{ labels: L({ __name__: 'big' }), value: 1234567, timestamp: -1 }], { help: '' }),
    ]);
    expect(out).toBe(
      '# HELP http_requests_total The total number of HTTP requests.\n' +
        '# TYPE http_requests_total counter\n' +
        'http_requests_total{code="200",method="post"} 1027 1395066363000\n' +
        'http_requests_total{code="400",method="post"} 3\n' +
        '# TYPE metric_without_timestamp_and_labels untyped\n' +
        'metric_without_timestamp_and_labels 12.47\n' +
        '# HELP big \n' +
        '# TYPE big gauge\n' +
        'big 1.234567e+06 -1\n',
    );
  });

  it.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['new\nline', 'new\\nline'],
    ['"quoted" stays', '"quoted" stays'],
    ['all \\ "\n', 'all \\\\ "\\n'],
  ])('escapes HELP %j as %j', (help, want) => {
    expect(writeText([fam('m', 'gauge', [], { help })])).toBe(`# HELP m ${want}\n# TYPE m gauge\n`);
  });

  it.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['new\nline', 'new\\nline'],
    ['ünïcödé ✓', 'ünïcödé ✓'],
    ['\\"\n', '\\\\\\"\\n'],
  ])('escapes label value %j as %j', (value, want) => {
    expect(writeText([fam('m', 'gauge', [{ labels: L({ __name__: 'm', l: value }), value: 1 }])])).toBe(
      `# TYPE m gauge\nm{l="${want}"} 1\n`,
    );
  });

  it('quotes UTF-8 metric and label names as text 1.0.0 does', () => {
    const out = writeText([
      fam(
        'my.metric',
        'gauge',
        [
          { labels: L({ __name__: 'my.metric', 'label.name': 'v', a: 'b' }), value: 1 },
          { labels: L({ __name__: 'my.metric' }), value: 2 },
          { labels: L({ __name__: 'ok_name', 'a:b': 'x', 'quo"te': 'y' }), value: 3 },
          { labels: L({ __name__: 'with:colon', '0digit': 'z' }), value: 4 },
        ],
        { help: 'h' },
      ),
    ]);
    expect(out).toBe(
      '# HELP "my.metric" h\n' +
        '# TYPE "my.metric" gauge\n' +
        '{"my.metric",a="b","label.name"="v"} 1\n' +
        '{"my.metric"} 2\n' +
        'ok_name{"a:b"="x","quo\\"te"="y"} 3\n' +
        'with:colon{"0digit"="z"} 4\n',
    );
  });

  it('writes histograms and summaries sample by sample', () => {
    const h = (suffix: string, value: number, le?: string): Sample => ({
      labels: L({ __name__: `rpc_seconds${suffix}`, job: 'a', ...(le === undefined ? {} : { le }) }),
      value,
    });
    const out = writeText([
      fam('rpc_seconds', 'histogram', [
        h('_bucket', 1, '0.05'),
        h('_bucket', 2, '1'),
        h('_bucket', 3, '+Inf'),
        h('_sum', 0.75),
        h('_count', 3),
      ]),
      fam('q', 'summary', [
        { labels: L({ __name__: 'q', quantile: '0.5' }), value: NaN },
        { labels: L({ __name__: 'q_sum' }), value: -0 },
        { labels: L({ __name__: 'q_count' }), value: 0 },
      ]),
    ]);
    expect(out).toBe(
      '# TYPE rpc_seconds histogram\n' +
        'rpc_seconds_bucket{job="a",le="0.05"} 1\n' +
        'rpc_seconds_bucket{job="a",le="1"} 2\n' +
        'rpc_seconds_bucket{job="a",le="+Inf"} 3\n' +
        'rpc_seconds_sum{job="a"} 0.75\n' +
        'rpc_seconds_count{job="a"} 3\n' +
        '# TYPE q summary\n' +
        'q{quantile="0.5"} NaN\n' +
        'q_sum -0\n' +
        'q_count 0\n',
    );
  });

  it.each([
    ['counter', 'counter'],
    ['gauge', 'gauge'],
    ['histogram', 'histogram'],
    ['summary', 'summary'],
    ['unknown', 'untyped'],
    ['gaugehistogram', 'untyped'],
    ['info', 'gauge'],
    ['stateset', 'gauge'],
  ] as const)('maps type %s to %s', (type, want) => {
    expect(writeText([fam('m', type, [])])).toBe(`# TYPE m ${want}\n`);
  });

  it('falls back to the family name for samples without __name__', () => {
    expect(writeText([fam('m', 'gauge', [{ labels: L({ a: '1' }), value: 1 }])])).toBe(
      '# TYPE m gauge\nm{a="1"} 1\n',
    );
  });

  it('writes nothing for no families', () => {
    expect(writeText([])).toBe('');
  });

  it('ignores exemplars', () => {
    const s: Sample = {
      labels: L({ __name__: 'c_total' }),
      value: 1,
      exemplar: { labels: L({ trace_id: 'x' }), value: 1 },
    };
    expect(writeText([fam('c_total', 'counter', [s])])).toBe('# TYPE c_total counter\nc_total 1\n');
  });
});

describe('writeOpenMetrics', () => {
  it('writes an empty exposition as just # EOF', () => {
    expect(writeOpenMetrics([])).toBe('# EOF\n');
  });

  it('writes counters under their name without _total, with exemplars and timestamps in seconds', () => {
    const out = writeOpenMetrics([
      // as the OpenMetrics parser names the family
      fam(
        'foo',
        'counter',
        [
          {
            labels: L({ __name__: 'foo_total', a: '1' }),
            value: 17,
            timestamp: 1520879607789,
            exemplar: { labels: L({ trace_id: 'oHg5SJYRHA0' }), value: 9.8, timestamp: 1520879607789 },
          },
          { labels: L({ __name__: 'foo_created', a: '1' }), value: 1520430000.123 },
        ],
        { help: 'A "quoted" \\ help\n' },
      ),
      // as the text parser names it
      fam('bar_total', 'counter', [{ labels: L({ __name__: 'bar_total' }), value: 1, timestamp: 1000 }]),
      // a counter without _total cannot be an OpenMetrics counter
      fam('baz', 'counter', [{ labels: L({ __name__: 'baz' }), value: 0 }]),
    ]);
    expect(out).toBe(
      '# HELP foo A \\"quoted\\" \\\\ help\\n\n' +
        '# TYPE foo counter\n' +
        'foo_total{a="1"} 17.0 1.520879607789e+09 # {trace_id="oHg5SJYRHA0"} 9.8 1.520879607789e+09\n' +
        'foo_created{a="1"} 1.520430000123e+09\n' +
        '# TYPE bar counter\n' +
        'bar_total 1.0 1.0\n' +
        '# TYPE baz unknown\n' +
        'baz 0.0\n' +
        '# EOF\n',
    );
  });

  it('writes exemplars without timestamp and with an empty label set', () => {
    const out = writeOpenMetrics([
      fam('h', 'histogram', [
        {
          labels: L({ __name__: 'h_bucket', le: '0.5' }),
          value: 1,
          exemplar: { labels: Labels.EMPTY, value: 0.25 },
        },
        {
          labels: L({ __name__: 'h_bucket', le: '+Inf' }),
          value: 2,
          exemplar: { labels: L({ 'trace.id': 'a"b' }), value: 7, timestamp: 1500 },
        },
        { labels: L({ __name__: 'h_sum' }), value: 7.25 },
        { labels: L({ __name__: 'h_count' }), value: 2 },
      ]),
    ]);
    expect(out).toBe(
      '# TYPE h histogram\n' +
        'h_bucket{le="0.5"} 1 # {} 0.25\n' +
        'h_bucket{le="+Inf"} 2 # {"trace.id"="a\\"b"} 7.0 1.5\n' +
        'h_sum 7.25\n' +
        'h_count 2\n' +
        '# EOF\n',
    );
  });

  it('writes counts as integers only where they are whole and non-negative', () => {
    const out = writeOpenMetrics([
      fam('s', 'summary', [
        { labels: L({ __name__: 's', quantile: '0.9' }), value: 3 },
        { labels: L({ __name__: 's_sum' }), value: 3 },
        { labels: L({ __name__: 's_count' }), value: 2.5 },
      ]),
      fam('gh', 'gaugehistogram', [
        { labels: L({ __name__: 'gh_bucket', le: '+Inf' }), value: 4 },
        { labels: L({ __name__: 'gh_gcount' }), value: 4 },
        { labels: L({ __name__: 'gh_gsum' }), value: 4 },
      ]),
      fam('g', 'gauge', [{ labels: L({ __name__: 'g_count' }), value: 4 }]),
    ]);
    expect(out).toBe(
      '# TYPE s summary\n' +
        's{quantile="0.9"} 3.0\n' +
        's_sum 3.0\n' +
        's_count 2.5\n' +
        '# TYPE gh gaugehistogram\n' +
        'gh_bucket{le="+Inf"} 4\n' +
        'gh_gcount 4\n' +
        'gh_gsum 4.0\n' +
        '# TYPE g gauge\n' +
        'g_count 4.0\n' +
        '# EOF\n',
    );
  });

  it('writes # UNIT after # TYPE only when the unit is the name suffix', () => {
    const out = writeOpenMetrics([
      fam('temp_celsius', 'gauge', [], { unit: 'celsius', help: 'h' }),
      fam('req_seconds', 'counter', [{ labels: L({ __name__: 'req_seconds_total' }), value: 1 }], {
        unit: 'seconds',
      }),
      fam('weird', 'gauge', [], { unit: 'seconds' }),
      fam('also_seconds', 'gauge', [], { unit: '' }),
    ]);
    expect(out).toBe(
      '# HELP temp_celsius h\n' +
        '# TYPE temp_celsius gauge\n' +
        '# UNIT temp_celsius celsius\n' +
        '# TYPE req_seconds counter\n' +
        '# UNIT req_seconds seconds\n' +
        'req_seconds_total 1.0\n' +
        '# TYPE weird gauge\n' +
        '# TYPE also_seconds gauge\n' +
        '# EOF\n',
    );
  });

  it.each([
    ['gauge', 'gauge'],
    ['histogram', 'histogram'],
    ['summary', 'summary'],
    ['unknown', 'unknown'],
    ['gaugehistogram', 'gaugehistogram'],
    ['info', 'info'],
    ['stateset', 'stateset'],
  ] as const)('writes type %s as %s', (type, want) => {
    expect(writeOpenMetrics([fam('m', type, [])])).toBe(`# TYPE m ${want}\n# EOF\n`);
  });

  it('quotes UTF-8 names', () => {
    const out = writeOpenMetrics([
      fam('my.metric', 'gauge', [{ labels: L({ __name__: 'my.metric', 'l.n': 'v' }), value: 1.5 }], {
        help: 'h',
      }),
    ]);
    expect(out).toBe('# HELP "my.metric" h\n# TYPE "my.metric" gauge\n{"my.metric","l.n"="v"} 1.5\n# EOF\n');
  });
});

describe('writer at scale', () => {
  it('writes 50k series in both formats', () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 50_000; i++) {
      samples.push({
        labels: L({
          __name__: 'node_cpu_seconds_total',
          cpu: String(i % 64),
          mode: 'idle',
          instance: `host-${i}:9100`,
        }),
        value: i * 1.5,
        timestamp: 1700000000000 + i,
      });
    }
    const families = [fam('node_cpu_seconds_total', 'counter', samples)];
    const text = writeText(families);
    const om = writeOpenMetrics(families);
    expect(text.split('\n')).toHaveLength(50_002);
    expect(om.endsWith('# EOF\n')).toBe(true);
  });
});
