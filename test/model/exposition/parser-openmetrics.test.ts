import { describe, expect, it } from 'vitest';
import { OpenMetricsParser } from '../../../src/model/exposition/parser-openmetrics.js';
import { Entry, ParseError } from '../../../src/model/exposition/types.js';
import { asPrometheusMessage, parseAll, parseError, type Parsed } from './parser-test-helpers.js';

const s = (m: string, v: number, lset: Record<string, string>, extra: Partial<Parsed> = {}): Parsed => ({
  kind: 'series',
  m,
  v,
  lset,
  ...extra,
});
const skip = (body: string) => new OpenMetricsParser(body, { skipCreatedSeries: true });

describe('OpenMetricsParser', () => {
  it('parses Prometheus TestOpenMetricsParse input (with _created series skipped)', () => {
    let input = `# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
# UNIT go_gc_duration_seconds seconds
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25"} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
# HELP nohelp1 
# HELP help2 escape \\ \\n \\\\ \\" \\x chars
# UNIT nounit 
go_gc_duration_seconds{quantile="1.0",a="b"} 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"} 1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33 123.123
# TYPE hh histogram
hh_bucket{le="+Inf"} 1
# TYPE gh gaugehistogram
gh_bucket{le="+Inf"} 1
# TYPE hhh histogram
hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4
hhh_count 1 # {id="histogram-count-test"} 4
# TYPE ggh gaugehistogram
ggh_bucket{le="+Inf"} 1 # {id="gaugehistogram-bucket-test",xx="yy"} 4 123.123
ggh_count 1 # {id="gaugehistogram-count-test",xx="yy"} 4 123.123
# TYPE smr_seconds summary
smr_seconds_count 2.0 # {id="summary-count-test"} 1 123.321
smr_seconds_sum 42.0 # {id="summary-sum-test"} 1 123.321
# TYPE ii info
ii{foo="bar"} 1
# TYPE ss stateset
ss{ss="foo"} 1
ss{ss="bar"} 0
ss{A="a"} 0
# TYPE un unknown
_metric_starting_with_underscore 1
testmetric{_label_starting_with_underscore="foo"} 1
testmetric{label="\\"bar\\""} 1
# HELP foo Counter with and without labels to certify CT is parsed for both cases
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
foo_total{a="b"} 17.0 1520879607.789 # {id="counter-test"} 5
foo_created{a="b"} 1520872607.123
foo_total{le="c"} 21.0
foo_created{le="c"} 1520872621.123
foo_total{le="1"} 10.0
# HELP bar Summary with CT at the end, making sure we find CT even if it's multiple lines a far
# TYPE bar summary
bar_count 17.0
bar_sum 324789.3
bar{quantile="0.95"} 123.7
bar{quantile="0.99"} 150.0
bar_created 1520872608.124
# HELP baz Histogram with the same objective as above's summary
# TYPE baz histogram
baz_bucket{le="0.0"} 0
baz_bucket{le="+Inf"} 17
baz_count 17
baz_sum 324789.3
baz_created 1520872609.125
# HELP fizz_created Gauge which shouldn't be parsed as CT
# TYPE fizz_created gauge
fizz_created 17.0
# HELP something Histogram with _created between buckets and summary
# TYPE something histogram
something_count 18
something_sum 324789.4
something_created 1520430001
something_bucket{le="0.0"} 1
something_bucket{le="1"} 2
something_bucket{le="+Inf"} 18`;
    input += '\n# HELP metric foo\x00bar';
    input += '\nnull_byte_metric{a="abc\x00"} 1';
    input += '\n# EOF\n';
    const g = 'go_gc_duration_seconds';
    expect(parseAll(skip(input))).toEqual([
      { kind: 'help', m: g, help: 'A summary of the GC invocation durations.' },
      { kind: 'type', m: g, typ: 'summary' },
      { kind: 'unit', m: g, unit: 'seconds' },
      s(`${g}{quantile="0"}`, 4.9351e-5, { __name__: g, quantile: '0.0' }),
      s(`${g}{quantile="0.25"}`, 7.424100000000001e-5, { __name__: g, quantile: '0.25' }),
      s(`${g}{quantile="0.5",a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.5', a: 'b' }),
      { kind: 'help', m: 'nohelp1', help: '' },
      { kind: 'help', m: 'help2', help: 'escape \\ \n \\ " \\x chars' },
      { kind: 'unit', m: 'nounit', unit: '' },
      s(`${g}{quantile="1.0",a="b"}`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      s(`${g}_count`, 99, { __name__: `${g}_count` }),
      s('some:aggregate:rate5m{a_b="c"}', 1, { __name__: 'some:aggregate:rate5m', a_b: 'c' }),
      { kind: 'help', m: 'go_goroutines', help: 'Number of goroutines that currently exist.' },
      { kind: 'type', m: 'go_goroutines', typ: 'gauge' },
      s('go_goroutines', 33, { __name__: 'go_goroutines' }, { t: 123123 }),
      { kind: 'type', m: 'hh', typ: 'histogram' },
      s('hh_bucket{le="+Inf"}', 1, { __name__: 'hh_bucket', le: '+Inf' }),
      { kind: 'type', m: 'gh', typ: 'gaugehistogram' },
      s('gh_bucket{le="+Inf"}', 1, { __name__: 'gh_bucket', le: '+Inf' }),
      { kind: 'type', m: 'hhh', typ: 'histogram' },
      s(
        'hhh_bucket{le="+Inf"}',
        1,
        { __name__: 'hhh_bucket', le: '+Inf' },
        { e: { labels: { id: 'histogram-bucket-test' }, value: 4 } },
      ),
      s(
        'hhh_count',
        1,
        { __name__: 'hhh_count' },
        { e: { labels: { id: 'histogram-count-test' }, value: 4 } },
      ),
      { kind: 'type', m: 'ggh', typ: 'gaugehistogram' },
      s(
        'ggh_bucket{le="+Inf"}',
        1,
        { __name__: 'ggh_bucket', le: '+Inf' },
        {
          e: { labels: { id: 'gaugehistogram-bucket-test', xx: 'yy' }, value: 4, t: 123123 },
        },
      ),
      s(
        'ggh_count',
        1,
        { __name__: 'ggh_count' },
        {
          e: { labels: { id: 'gaugehistogram-count-test', xx: 'yy' }, value: 4, t: 123123 },
        },
      ),
      { kind: 'type', m: 'smr_seconds', typ: 'summary' },
      s(
        'smr_seconds_count',
        2,
        { __name__: 'smr_seconds_count' },
        {
          e: { labels: { id: 'summary-count-test' }, value: 1, t: 123321 },
        },
      ),
      s(
        'smr_seconds_sum',
        42,
        { __name__: 'smr_seconds_sum' },
        {
          e: { labels: { id: 'summary-sum-test' }, value: 1, t: 123321 },
        },
      ),
      { kind: 'type', m: 'ii', typ: 'info' },
      s('ii{foo="bar"}', 1, { __name__: 'ii', foo: 'bar' }),
      { kind: 'type', m: 'ss', typ: 'stateset' },
      s('ss{ss="foo"}', 1, { __name__: 'ss', ss: 'foo' }),
      s('ss{ss="bar"}', 0, { __name__: 'ss', ss: 'bar' }),
      s('ss{A="a"}', 0, { A: 'a', __name__: 'ss' }),
      { kind: 'type', m: 'un', typ: 'unknown' },
      s('_metric_starting_with_underscore', 1, { __name__: '_metric_starting_with_underscore' }),
      s('testmetric{_label_starting_with_underscore="foo"}', 1, {
        __name__: 'testmetric',
        _label_starting_with_underscore: 'foo',
      }),
      s('testmetric{label="\\"bar\\""}', 1, { __name__: 'testmetric', label: '"bar"' }),
      {
        kind: 'help',
        m: 'foo',
        help: 'Counter with and without labels to certify CT is parsed for both cases',
      },
      { kind: 'type', m: 'foo', typ: 'counter' },
      s(
        'foo_total',
        17,
        { __name__: 'foo_total' },
        { t: 1520879607789, e: { labels: { id: 'counter-test' }, value: 5 } },
      ),
      s(
        'foo_total{a="b"}',
        17,
        { __name__: 'foo_total', a: 'b' },
        {
          t: 1520879607789,
          e: { labels: { id: 'counter-test' }, value: 5 },
        },
      ),
      s('foo_total{le="c"}', 21, { __name__: 'foo_total', le: 'c' }),
      s('foo_total{le="1"}', 10, { __name__: 'foo_total', le: '1' }),
      {
        kind: 'help',
        m: 'bar',
        help: "Summary with CT at the end, making sure we find CT even if it's multiple lines a far",
      },
      { kind: 'type', m: 'bar', typ: 'summary' },
      s('bar_count', 17, { __name__: 'bar_count' }),
      s('bar_sum', 324789.3, { __name__: 'bar_sum' }),
      s('bar{quantile="0.95"}', 123.7, { __name__: 'bar', quantile: '0.95' }),
      s('bar{quantile="0.99"}', 150, { __name__: 'bar', quantile: '0.99' }),
      { kind: 'help', m: 'baz', help: "Histogram with the same objective as above's summary" },
      { kind: 'type', m: 'baz', typ: 'histogram' },
      s('baz_bucket{le="0.0"}', 0, { __name__: 'baz_bucket', le: '0.0' }),
      s('baz_bucket{le="+Inf"}', 17, { __name__: 'baz_bucket', le: '+Inf' }),
      s('baz_count', 17, { __name__: 'baz_count' }),
      s('baz_sum', 324789.3, { __name__: 'baz_sum' }),
      { kind: 'help', m: 'fizz_created', help: "Gauge which shouldn't be parsed as CT" },
      { kind: 'type', m: 'fizz_created', typ: 'gauge' },
      s('fizz_created', 17, { __name__: 'fizz_created' }),
      { kind: 'help', m: 'something', help: 'Histogram with _created between buckets and summary' },
      { kind: 'type', m: 'something', typ: 'histogram' },
      s('something_count', 18, { __name__: 'something_count' }),
      s('something_sum', 324789.4, { __name__: 'something_sum' }),
      s('something_bucket{le="0.0"}', 1, { __name__: 'something_bucket', le: '0.0' }),
      s('something_bucket{le="1"}', 2, { __name__: 'something_bucket', le: '1.0' }),
      s('something_bucket{le="+Inf"}', 18, { __name__: 'something_bucket', le: '+Inf' }),
      { kind: 'help', m: 'metric', help: 'foo\x00bar' },
      s('null_byte_metric{a="abc\x00"}', 1, { __name__: 'null_byte_metric', a: 'abc\x00' }),
    ]);
  });

  it('emits _created series as ordinary series by default', () => {
    const body = '# TYPE foo counter\nfoo_total 1\nfoo_created 1520872607.123\n# EOF\n';
    expect(parseAll(new OpenMetricsParser(body)).map((e) => e.m)).toEqual([
      'foo',
      'foo_total',
      'foo_created',
    ]);
    expect(parseAll(skip(body)).map((e) => e.m)).toEqual(['foo', 'foo_total']);
    // Without a TYPE (or for gauges) a _created series is data even when skipping.
    expect(parseAll(skip('foo_total 1\nfoo_created 2\n# EOF\n')).map((e) => e.m)).toEqual([
      'foo_total',
      'foo_created',
    ]);
  });

  it('parses quoted UTF-8 names (TestUTF8OpenMetricsParse)', () => {
    const input = `# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.
# TYPE "go.gc_duration_seconds" summary
# UNIT "go.gc_duration_seconds" seconds
{"go.gc_duration_seconds",quantile="0"} 4.9351e-05
{"go.gc_duration_seconds_created"} 1520872607.123
{q="0.9","http.status",a="b"} 8.3835e-05
{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}","strange©™\\n'quoted' \\"name\\""="6"} 10.0
quotedexemplar2_count 1 # {"id.thing"="histogram-count-test",other="hello"} 4
# EOF
`;
    const g = 'go.gc_duration_seconds';
    expect(parseAll(skip(input))).toEqual([
      { kind: 'help', m: g, help: 'A summary of the GC invocation durations.' },
      { kind: 'type', m: g, typ: 'summary' },
      { kind: 'unit', m: g, unit: 'seconds' },
      s(`{"${g}",quantile="0"}`, 4.9351e-5, { __name__: g, quantile: '0.0' }),
      s('{q="0.9","http.status",a="b"}', 8.3835e-5, { __name__: 'http.status', q: '0.9', a: 'b' }),
      s(
        `{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}","strange©™\\n'quoted' \\"name\\""="6"}`,
        10,
        {
          __name__: 'Heizölrückstoßabdämpfung 10€ metric with "interesting" {character\nchoices}',
          'strange©™\n\'quoted\' "name"': '6',
        },
      ),
      s(
        'quotedexemplar2_count',
        1,
        { __name__: 'quotedexemplar2_count' },
        {
          e: { labels: { 'id.thing': 'histogram-count-test', other: 'hello' }, value: 4 },
        },
      ),
    ]);
  });

  it.each([
    ['', 'data does not end with # EOF'],
    ['\n', 'expected a valid start token, got "\\n" ("INVALID") while parsing: "\\n"'],
    ['metric', 'expected value after metric, got "metric" ("EOF") while parsing: "metric"'],
    ['metric 1', 'data does not end with # EOF'],
    ['metric 1\n', 'data does not end with # EOF'],
    ['metric_total 1 # {aa="bb"} 4', 'data does not end with # EOF'],
    ['a\n#EOF\n', 'expected value after metric, got "\\n" ("INVALID") while parsing: "a\\n"'],
    ['\n\n#EOF\n', 'expected a valid start token, got "\\n" ("INVALID") while parsing: "\\n"'],
    [' a 1\n#EOF\n', 'expected a valid start token, got " " ("INVALID") while parsing: " "'],
    ['9\n#EOF\n', 'expected a valid start token, got "9" ("INVALID") while parsing: "9"'],
    ['# TYPE u untyped\n#EOF\n', 'invalid metric type "untyped"'],
    ['# TYPE c counter \n#EOF\n', 'invalid metric type "counter "'],
    ['#  TYPE c counter\n#EOF\n', 'expected a valid start token, got "#  " ("INVALID") while parsing: "#  "'],
    ['# TYPE \n#EOF\n', 'expected metric name after TYPE, got "\\n" ("INVALID") while parsing: "# TYPE \\n"'],
    ['# TYPE m\n#EOF\n', 'expected text in TYPE'],
    ['# UNIT metric suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "metric"'],
    ['# UNIT metricsuffix suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "metricsuffix"'],
    ['# UNIT m suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "m"'],
    ['# UNIT \n#EOF\n', 'expected metric name after UNIT, got "\\n" ("INVALID") while parsing: "# UNIT \\n"'],
    ['# UNIT m\n#EOF\n', 'expected text in UNIT'],
    ['# HELP \n#EOF\n', 'expected metric name after HELP, got "\\n" ("INVALID") while parsing: "# HELP \\n"'],
    ['# HELP m\n#EOF\n', 'expected text in HELP'],
    ['a\t1\n#EOF\n', 'expected value after metric, got "\\t" ("INVALID") while parsing: "a\\t"'],
    ['a 1\t2\n#EOF\n', 'strconv.ParseFloat: parsing "1\\t2": invalid syntax while parsing: "a 1\\t2"'],
    [
      'a 1 2 \n#EOF\n',
      'expected next entry after timestamp, got " \\n" ("INVALID") while parsing: "a 1 2 \\n"',
    ],
    [
      'a 1 2 #\n#EOF\n',
      'expected next entry after timestamp, got " #\\n" ("TIMESTAMP") while parsing: "a 1 2 #\\n"',
    ],
    ['a 1 1z\n#EOF\n', 'strconv.ParseFloat: parsing "1z": invalid syntax while parsing: "a 1 1z"'],
    [' # EOF\n', 'expected a valid start token, got " " ("INVALID") while parsing: " "'],
    ['# EOF\na 1', 'unexpected data after # EOF'],
    ['# EOF\n\n', 'unexpected data after # EOF'],
    ['# EOFa 1', 'unexpected data after # EOF'],
    ['#\tTYPE c counter\n', 'expected a valid start token, got "#\\t" ("INVALID") while parsing: "#\\t"'],
    ['# TYPE c  counter\n', 'invalid metric type " counter"'],
    [
      'a 1 1 1\n# EOF\n',
      'expected next entry after timestamp, got " 1\\n" ("TIMESTAMP") while parsing: "a 1 1 1\\n"',
    ],
    ["a{b='c'} 1\n# EOF\n", 'expected label value, got "\'" ("INVALID") while parsing: "a{b=\'"'],
    ['a{,b="c"} 1\n# EOF\n', 'expected label name, got ",b" ("COMMA") while parsing: "a{,b"'],
    [
      'a{b="c"d="e"} 1\n# EOF\n',
      'expected comma or brace close, got "d=" ("LNAME") while parsing: "a{b=\\"c\\"d="',
    ],
    ['a{b="c",,d="e"} 1\n# EOF\n', 'expected label name, got ",d" ("COMMA") while parsing: "a{b=\\"c\\",,d"'],
    ['a{b=\n# EOF\n', 'expected label value, got "\\n" ("INVALID") while parsing: "a{b=\\n"'],
    ['a{\ufffd="foo"} 1\n# EOF\n', 'expected label name, got "\ufffd" ("INVALID") while parsing: "a{\ufffd"'],
    ['a{b="\ufffd"} 1\n# EOF\n', 'invalid UTF-8 label value: "\\"\ufffd\\""'],
    [
      '{"a","b = "c"}\n# EOF\n',
      'expected equal, got "c\\"" ("LNAME") while parsing: "{\\"a\\",\\"b = \\"c\\""',
    ],
    ['{"a",b\\nc="d"} 1\n# EOF\n', 'expected equal, got "\\\\" ("INVALID") while parsing: "{\\"a\\",b\\\\"'],
    ['a true\n', 'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true"'],
    [
      'something_weird{problem="\n# EOF\n',
      'expected label value, got "\\"\\n" ("INVALID") while parsing: "something_weird{problem=\\"\\n"',
    ],
    [
      'empty_label_name{=""} 0\n# EOF\n',
      'expected label name, got "=\\"" ("EQUAL") while parsing: "empty_label_name{=\\""',
    ],
    ['foo 1_2\n\n# EOF\n', 'unsupported character in float while parsing: "foo 1_2"'],
    ['foo 0x1p-3\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0x1p-3"'],
    ['foo 0x1P-3\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0x1P-3"'],
    ['foo 0 1_2\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0 1_2"'],
    [
      'custom_metric_total 1 # {aa=bb}\n# EOF\n',
      'expected label value, got "b" ("INVALID") while parsing: "custom_metric_total 1 # {aa=b"',
    ],
    [
      'custom_metric_total 1 # {aa="bb"}\n# EOF\n',
      'expected value after exemplar labels, got "\\n" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\"bb\\"}\\n"',
    ],
    [
      'custom_metric_total 1 # {aa="bb"}',
      'expected value after exemplar labels, got "}" ("EOF") while parsing: "custom_metric_total 1 # {aa=\\"bb\\"}"',
    ],
    [
      'custom_metric_total 1 # {bb}',
      'expected label name, got "}" ("BCLOSE") while parsing: "custom_metric_total 1 # {bb}"',
    ],
    [
      'custom_metric_total 1 # {bb, a="dd"}',
      'expected label name, got ", " ("COMMA") while parsing: "custom_metric_total 1 # {bb, "',
    ],
    [
      'custom_metric_total 1 # {aa="bb",,cc="dd"} 1',
      'expected label name, got ",c" ("COMMA") while parsing: "custom_metric_total 1 # {aa=\\"bb\\",,c"',
    ],
    [
      'custom_metric_total 1 # {aa="bb"} 1_2',
      'unsupported character in float while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} 1_2"',
    ],
    [
      'custom_metric_total 1 # {aa="bb"} 0x1p-3',
      'unsupported character in float while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} 0x1p-3"',
    ],
    [
      'custom_metric_total 1 # {aa="bb"} true',
      'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} true"',
    ],
    [
      'custom_metric_total 1 # {aa="bb",cc=}',
      'expected label value, got "}" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\"bb\\",cc=}"',
    ],
    [
      'custom_metric_total 1 # {aa=\\"\ufffd\\"} 9.0',
      'expected label value, got "\\\\" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\\\"',
    ],
    ['{b="c",} 1', 'metric name not set while parsing: "{b=\\"c\\",} 1"'],
    ['a 1 NaN', 'invalid timestamp NaN'],
    ['a 1 -Inf', 'invalid timestamp -Inf'],
    ['a 1 Inf', 'invalid timestamp +Inf'],
    ['# TYPE hhh histogram\nhhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 NaN', 'invalid exemplar timestamp NaN'],
    ['# TYPE hhh histogram\nhhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 -Inf', 'invalid exemplar timestamp -Inf'],
    // TestOMNullByteHandling
    [
      'a{b=\x00"ssss"} 1\n# EOF\n',
      'expected label value, got "\\x00" ("INVALID") while parsing: "a{b=\\x00"',
    ],
    ['a{b="\x00', 'expected label value, got "\\"\\x00" ("INVALID") while parsing: "a{b=\\"\\x00"'],
    ['a{b\x00="hiih"}\t1', 'expected equal, got "\\x00" ("INVALID") while parsing: "a{b\\x00"'],
    ['a\x00{b="ddd"} 1', 'expected value after metric, got "\\x00" ("INVALID") while parsing: "a\\x00"'],
    ['#', 'expected a valid start token, got "#" ("INVALID") while parsing: "#"'],
    ['# H', 'expected a valid start token, got "# H" ("INVALID") while parsing: "# H"'],
    [
      'custom_metric_total 1 # {b=\x00"ssss"} 1\n',
      'expected label value, got "\\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\\x00"',
    ],
    [
      'custom_metric_total 1 # {b="\x00ss"} 1\n',
      'expected label value, got "\\"\\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\\"\\x00"',
    ],
    // more of openmetricsparse.go
    ['# random comment\n# EOF\n', 'expected a valid start token, got "# r" ("INVALID") while parsing: "# r"'],
    ['# HELP m \ufffd\n# EOF\n', 'help text "\ufffd" is not a valid utf8 string'],
    ['a{b="c", d="e"} 1\n# EOF\n', 'expected label name, got " " ("INVALID") while parsing: "a{b=\\"c\\", "'],
    [
      'a{"b"="c"\n',
      'expected comma or brace close, got "\\n" ("INVALID") while parsing: "a{\\"b\\"=\\"c\\"\\n"',
    ],
    ['a{"x","y"} 1\n# EOF\n', 'metric name already set while parsing: "a{\\"x\\","'],
    ['a 1 \n# EOF\n', 'expected a valid start token, got "\\n#" ("LINEBREAK") while parsing: "\\n#"'],
  ])('rejects %j', (input, msg) => {
    const err = parseError(skip(input));
    expect(err).toBeInstanceOf(ParseError);
    expect(asPrometheusMessage(err!, msg)).toBe(msg);
  });

  it.each([
    '# EOF',
    '# EOF\n',
    'null_byte_metric{a="abc\x00"} 1\n# EOF\n',
    'a{b="\x00ss"} 1\n# EOF\n',
    'a{b="\x00"} 1\n# EOF',
    'a{b="c",} 1\n# EOF\n',
    'a{} 1\n# EOF\n',
  ])('accepts %j', (input) => {
    expect(parseError(skip(input))).toBeUndefined();
  });

  it('takes timestamps in seconds with fractions, truncated to milliseconds as Prometheus does', () => {
    const r = parseAll(new OpenMetricsParser('a 1 1520879607.789\nb 1 1.5e9\nc 1 -1.0001\n# EOF\n'));
    expect(r.map((e) => e.t)).toEqual([1520879607789, 1500000000000, -1000]);
  });

  it('parses special floats and rejects what Go rejects', () => {
    const r = parseAll(new OpenMetricsParser('a NaN\na +Inf\na -Inf\na 1.5e3 # {t="x"} NaN 1\n# EOF\n'));
    expect(r.map((e) => e.v)).toEqual([NaN, Infinity, -Infinity, 1500]);
    expect(r[3].e).toEqual({ labels: { t: 'x' }, value: NaN, t: 1000 });
    expect(parseError(new OpenMetricsParser('a 1e999\n# EOF\n'))?.reason).toBe(
      'strconv.ParseFloat: parsing "1e999": value out of range',
    );
  });

  it('exposes an exemplar only for its own sample', () => {
    const p = new OpenMetricsParser('a_total 1 # {id="x"} 2 3\nb_total 1\n# EOF\n');
    expect(p.next()).toBe(Entry.Series);
    expect(p.exemplar()).toEqual({ labels: expect.anything(), value: 2, timestamp: 3000 });
    expect(p.exemplar()?.labels.toRecord()).toEqual({ id: 'x' });
    expect(p.next()).toBe(Entry.Series);
    expect(p.exemplar()).toBeUndefined();
    expect(p.next()).toBe(Entry.EOF);
    expect(p.next()).toBe(Entry.EOF);
  });
});

describe('OpenMetricsParser start timestamps (st-storage)', () => {
  const body = `# TYPE foo counter
# HELP foo Requests.
foo_total{a="1"} 17
foo_created{a="1"} 1520879607.789
foo_total{a="2"} 3
# TYPE hh histogram
hh_bucket{le="1"} 1
hh_bucket{le="+Inf"} 2
hh_count 2
hh_sum 1.5
hh_created 1520430000.123
# TYPE ss summary
ss{quantile="0.5"} 1
ss_count 2
ss_sum 3
ss_created 1520430001
# TYPE g gauge
g 1
# EOF
`;

  function read(p: OpenMetricsParser): Array<[string, number | undefined]> {
    const out: Array<[string, number | undefined]> = [];
    for (let e = p.next(); e !== Entry.EOF; e = p.next())
      if (e === Entry.Series) out.push([p.seriesText(), p.startTimestamp()]);
    return out;
  }

  it('reads _created samples as the start timestamps of their family, and drops them', () => {
    expect(read(new OpenMetricsParser(body, { parseStartTimestamps: true }))).toEqual([
      ['foo_total{a="1"}', 1520879607789],
      ['foo_total{a="2"}', undefined],
      ['hh_bucket{le="1"}', 1520430000123],
      ['hh_bucket{le="+Inf"}', 1520430000123],
      ['hh_count', 1520430000123],
      ['hh_sum', 1520430000123],
      ['ss{quantile="0.5"}', 1520430001000],
      ['ss_count', 1520430001000],
      ['ss_sum', 1520430001000],
      ['g', undefined],
    ]);
  });

  it('leaves _created samples as samples without it', () => {
    const got = read(new OpenMetricsParser(body));
    expect(got.map(([t]) => t)).toContain('foo_created{a="1"}');
    expect(got.every(([, st]) => st === undefined)).toBe(true);
  });
});
