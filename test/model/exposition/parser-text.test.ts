import { describe, expect, it } from 'vitest';
import { PromTextParser } from '../../../src/model/exposition/parser-text.js';
import { Entry, ParseError } from '../../../src/model/exposition/types.js';
import { asPrometheusMessage, parseAll, parseError, type Parsed } from './parser-test-helpers.js';

const s = (m: string, v: number, lset: Record<string, string>, t?: number): Parsed =>
  t === undefined ? { kind: 'series', m, v, lset } : { kind: 'series', m, v, lset, t };

describe('PromTextParser', () => {
  it('parses Prometheus TestPromParse input', () => {
    let input = `# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# \tTYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
go_gc_duration_seconds{quantile="0.8", a="b"} 8.3835e-05
go_gc_duration_seconds{ quantile="0.9", a="b"} 8.3835e-05
# Hrandom comment starting with prefix of HELP
#
wind_speed{A="2",c="3"} 12345
# comment with escaped \\n newline
# comment with escaped \\ escape character
# HELP nohelp1
# HELP nohelp2 
go_gc_duration_seconds{ quantile="1.0", a="b" } 8.3835e-05
go_gc_duration_seconds { quantile="1.0", a="b" } 8.3835e-05
go_gc_duration_seconds { quantile= "1.0", a= "b", } 8.3835e-05
go_gc_duration_seconds { quantile = "1.0", a = "b" } 8.3835e-05
go_gc_duration_seconds { quantile = "2.0" a = "b" } 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"}\t1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33  \t123123
_metric_starting_with_underscore 1
testmetric{_label_starting_with_underscore="foo"} 1
testmetric{label="\\"bar\\""} 1`;
    input += '\n# HELP metric foo\x00bar';
    input += '\nnull_byte_metric{a="abc\x00"} 1';
    const g = 'go_gc_duration_seconds';
    expect(parseAll(new PromTextParser(input))).toEqual([
      { kind: 'help', m: g, help: 'A summary of the GC invocation durations.' },
      { kind: 'type', m: g, typ: 'summary' },
      // Prometheus 3 normalises quantile values of summaries
      s(`${g}{quantile="0"}`, 4.9351e-5, { __name__: g, quantile: '0.0' }),
      s(`${g}{quantile="0.25",}`, 7.424100000000001e-5, { __name__: g, quantile: '0.25' }),
      s(`${g}{quantile="0.5",a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.5', a: 'b' }),
      s(`${g}{quantile="0.8", a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.8', a: 'b' }),
      s(`${g}{ quantile="0.9", a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.9', a: 'b' }),
      { kind: 'comment', m: '# Hrandom comment starting with prefix of HELP' },
      { kind: 'comment', m: '#' },
      s(`wind_speed{A="2",c="3"}`, 12345, { A: '2', __name__: 'wind_speed', c: '3' }),
      { kind: 'comment', m: '# comment with escaped \\n newline' },
      { kind: 'comment', m: '# comment with escaped \\ escape character' },
      { kind: 'help', m: 'nohelp1', help: '' },
      { kind: 'help', m: 'nohelp2', help: '' },
      s(`${g}{ quantile="1.0", a="b" }`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      s(`${g} { quantile="1.0", a="b" }`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      s(`${g} { quantile= "1.0", a= "b", }`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      s(`${g} { quantile = "1.0", a = "b" }`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      // blanks alone between label pairs: accepted by Prometheus (unlike OpenMetrics)
      s(`${g} { quantile = "2.0" a = "b" }`, 8.3835e-5, { __name__: g, quantile: '2.0', a: 'b' }),
      s(`${g}_count`, 99, { __name__: `${g}_count` }),
      s(`some:aggregate:rate5m{a_b="c"}`, 1, { __name__: 'some:aggregate:rate5m', a_b: 'c' }),
      { kind: 'help', m: 'go_goroutines', help: 'Number of goroutines that currently exist.' },
      { kind: 'type', m: 'go_goroutines', typ: 'gauge' },
      s('go_goroutines', 33, { __name__: 'go_goroutines' }, 123123),
      s('_metric_starting_with_underscore', 1, { __name__: '_metric_starting_with_underscore' }),
      s('testmetric{_label_starting_with_underscore="foo"}', 1, {
        __name__: 'testmetric',
        _label_starting_with_underscore: 'foo',
      }),
      s('testmetric{label="\\"bar\\""}', 1, { __name__: 'testmetric', label: '"bar"' }),
      { kind: 'help', m: 'metric', help: 'foo\x00bar' },
      s('null_byte_metric{a="abc\x00"}', 1, { __name__: 'null_byte_metric', a: 'abc\x00' }),
    ]);
  });

  it('parses quoted UTF-8 metric and label names (TestUTF8PromParse)', () => {
    const input = `# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.
# \tTYPE "go.gc_duration_seconds" summary
{"go.gc_duration_seconds",quantile="0"} 4.9351e-05
{"go.gc_duration_seconds",quantile="0.25",} 7.424100000000001e-05
{"go.gc_duration_seconds",quantile="0.5",a="b"} 8.3835e-05
{"go.gc_duration_seconds", quantile="0.9", a="b"} 8.3835e-05
{ "go.gc_duration_seconds", quantile= "1.0", a= "b", } 8.3835e-05
{"go.gc_duration_seconds_count"} 99
{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}","strange©™\\n'quoted' \\"name\\""="6"} 10.0`;
    const g = 'go.gc_duration_seconds';
    expect(parseAll(new PromTextParser(input))).toEqual([
      { kind: 'help', m: g, help: 'A summary of the GC invocation durations.' },
      { kind: 'type', m: g, typ: 'summary' },
      s(`{"${g}",quantile="0"}`, 4.9351e-5, { __name__: g, quantile: '0.0' }),
      s(`{"${g}",quantile="0.25",}`, 7.424100000000001e-5, { __name__: g, quantile: '0.25' }),
      s(`{"${g}",quantile="0.5",a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.5', a: 'b' }),
      s(`{"${g}", quantile="0.9", a="b"}`, 8.3835e-5, { __name__: g, quantile: '0.9', a: 'b' }),
      s(`{ "${g}", quantile= "1.0", a= "b", }`, 8.3835e-5, { __name__: g, quantile: '1.0', a: 'b' }),
      s(`{"${g}_count"}`, 99, { __name__: `${g}_count` }),
      s(
        `{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}","strange©™\\n'quoted' \\"name\\""="6"}`,
        10,
        {
          __name__: 'Heizölrückstoßabdämpfung 10€ metric with "interesting" {character\nchoices}',
          'strange©™\n\'quoted\' "name"': '6',
        },
      ),
    ]);
  });

  it.each([
    ['a', 'expected value after metric, got "\\n" ("INVALID") while parsing: "a\\n"'],
    ["a{b='c'} 1\n", 'expected label value, got "\'" ("INVALID") while parsing: "a{b=\'"'],
    ['a{b=\n', 'expected label value, got "\\n" ("INVALID") while parsing: "a{b=\\n"'],
    ['a{b="\ufffd"} 1\n', 'invalid UTF-8 label value: "\\"\ufffd\\""'],
    ['a{\ufffd="foo"} 1\n', 'expected label name, got "\ufffd" ("INVALID") while parsing: "a{\ufffd"'],
    ['{"a", "b = "c"}', 'expected equal, got "c\\"" ("LNAME") while parsing: "{\\"a\\", \\"b = \\"c\\""'],
    ['{"a",b\\nc="d"} 1', 'expected equal, got "\\\\" ("INVALID") while parsing: "{\\"a\\",b\\\\"'],
    ['a true\n', 'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true"'],
    [
      'something_weird{problem="',
      'expected label value, got "\\"\\n" ("INVALID") while parsing: "something_weird{problem=\\"\\n"',
    ],
    [
      'empty_label_name{=""} 0',
      'expected label name, got "=\\"" ("EQUAL") while parsing: "empty_label_name{=\\""',
    ],
    ['foo 1_2\n', 'unsupported character in float while parsing: "foo 1_2"'],
    ['foo 0x1p-3\n', 'unsupported character in float while parsing: "foo 0x1p-3"'],
    ['foo 0x1P-3\n', 'unsupported character in float while parsing: "foo 0x1P-3"'],
    ['foo 0 1_2\n', 'expected next entry after timestamp, got "_" ("INVALID") while parsing: "foo 0 1_"'],
    ['{a="ok"} 1', 'metric name not set while parsing: "{a=\\"ok\\"} 1"'],
    ['# TYPE #\n#EOF\n', 'expected metric name after TYPE, got "#" ("INVALID") while parsing: "# TYPE #"'],
    ['# HELP #\n#EOF\n', 'expected metric name after HELP, got "#" ("INVALID") while parsing: "# HELP #"'],
    // TestPromNullByteHandling
    ['a{b=\x00"ssss"} 1\n', 'expected label value, got "\\x00" ("INVALID") while parsing: "a{b=\\x00"'],
    ['a{b="\x00', 'expected label value, got "\\"\\x00\\n" ("INVALID") while parsing: "a{b=\\"\\x00\\n"'],
    ['a{b\x00="hiih"}\t1', 'expected equal, got "\\x00" ("INVALID") while parsing: "a{b\\x00"'],
    ['a\x00{b="ddd"} 1', 'expected value after metric, got "\\x00" ("INVALID") while parsing: "a\\x00"'],
    ['a 0 1\x00', 'expected next entry after timestamp, got "\\x00" ("INVALID") while parsing: "a 0 1\\x00"'],
    // further rules of promparse.go
    ['# TYPE a unknown\n', 'invalid metric type "unknown"'],
    ['# TYPE a gaugehistogram\n', 'invalid metric type "gaugehistogram"'],
    ['# TYPE a  counter\n', 'invalid metric type " counter"'],
    ['# HELP a \ufffd\n', 'help text "\ufffd" is not a valid utf8 string'],
    ['a 1 -5\n', 'expected timestamp or new record, got "-" ("INVALID") while parsing: "a 1 -"'],
    [
      'a 1 99999999999999999999\n',
      'strconv.ParseInt: parsing "99999999999999999999": value out of range while parsing: "a 1 99999999999999999999"',
    ],
    ['a 1e400\n', 'strconv.ParseFloat: parsing "1e400": value out of range while parsing: "a 1e400"'],
    ['{"a","b"} 1\n', 'metric name already set while parsing: "{\\"a\\",\\"b\\"}"'],
    ['a{"b"} 1\n', 'metric name already set while parsing: "a{\\"b\\"}"'],
    ['a{b} 1\n', 'expected equal, got "} " ("BCLOSE") while parsing: "a{b} "'],
    [' 9\n', 'expected a valid start token, got "9" ("INVALID") while parsing: " 9"'],
  ])('rejects %j', (input, msg) => {
    const err = parseError(new PromTextParser(input));
    expect(err).toBeInstanceOf(ParseError);
    expect(asPrometheusMessage(err!, msg)).toBe(msg);
  });

  it.each([
    'null_byte_metric{a="abc\x00"} 1',
    'a{b="\x00ss"} 1\n',
    'a{b="\x00"} 1\n',
    '',
    '\n\n',
    '   \n',
    'a 1\n\x00garbage that is never read',
  ])('accepts %j', (input) => {
    expect(parseError(new PromTextParser(input))).toBeUndefined();
  });

  it('reports 1-based line and column and a short excerpt', () => {
    const err = parseError(new PromTextParser('a 1\nb 2\nc{d=x} 3\n'))!;
    expect([err.line, err.column, err.excerpt]).toEqual([3, 5, 'c{d=x']);
    expect(err.message).toBe('3:5: parse error: expected label value, got "x" ("INVALID") in "c{d=x"');
    const long = parseError(new PromTextParser(`m{${'a="b",'.repeat(100)}c=x}`))!;
    expect(long.excerpt.length).toBeLessThanOrEqual(120);
  });

  it('parses special and exotic floats as Go does', () => {
    const vals = (body: string) => parseAll(new PromTextParser(body)).map((e) => e.v);
    expect(vals('a NaN\na +Inf\na -Inf\na Inf\na inf\na +infinity\na -iNF\na nan\n')).toEqual([
      NaN,
      Infinity,
      -Infinity,
      Infinity,
      Infinity,
      Infinity,
      -Infinity,
      NaN,
    ]);
    expect(
      vals('a 1.\na .5\na -0\na +7\na 1E3\na 1e-400\na 123456789012345678901234567890\na 0.1\n'),
    ).toEqual([1, 0.5, -0, 7, 1000, 0, 1.2345678901234568e29, 0.1]);
    for (const bad of ['+NaN', '0x1f', '1e', '.', '1.2.3', 'Infinit', '--1', '1e+']) {
      expect(parseError(new PromTextParser(`a ${bad}\n`))?.reason, bad).toBe(
        `strconv.ParseFloat: parsing "${bad}": invalid syntax`,
      );
    }
  });

  it('takes integer millisecond timestamps', () => {
    const r = parseAll(new PromTextParser('a 1 1700000000123\nb 2 0\nc 3\n'));
    expect(r.map((e) => e.t)).toEqual([1700000000123, 0, undefined]);
    expect(parseError(new PromTextParser('a 1 1.5\n'))?.reason).toBe(
      'expected next entry after timestamp, got "." ("INVALID")',
    );
  });

  it('unescapes label values and help text as Prometheus does', () => {
    const r = parseAll(
      new PromTextParser('# HELP m a\\\\b\\nc\\"d\\t\nm{a="x\\\\y\\nz\\"w\\t",b="multi\nline"} 1\n'),
    );
    expect(r[0].help).toBe('a\\b\nc\\"d\\t');
    expect(r[1].lset).toEqual({ __name__: 'm', a: 'x\\y\nz"w\\t', b: 'multi\nline' });
    expect(r[1].m).toBe('m{a="x\\\\y\\nz\\"w\\t",b="multi\nline"}');
  });

  it('normalises le of histograms and quantile of summaries only (Prometheus 3)', () => {
    const r = parseAll(
      new PromTextParser(
        '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="1e3"} 1\nh_bucket{le="0.00001"} 1\nh_bucket{le="1000000"} 1\nh_bucket{le="+inf"} 1\nh_bucket{le="x"} 1\nh_bucket{quantile="1"} 1\n' +
          '# TYPE s summary\ns{quantile="0"} 1\ns{le="1"} 1\n# TYPE g gauge\ng{le="1"} 1\n',
      ),
    );
    expect(r.filter((e) => e.kind === 'series').map((e) => e.lset!.le ?? e.lset!.quantile)).toEqual([
      '1.0',
      '1000.0',
      '1e-05',
      '1e+06',
      '+Inf',
      'x',
      '1',
      '0.0',
      '1',
      '1',
    ]);
  });

  it('gives the series text from the name (or brace) to the closing brace', () => {
    const p = new PromTextParser('  a{b="c"}  1\n{"x.y"} 2 3\nz 4\n');
    const texts: string[] = [];
    while (p.next() !== Entry.EOF) texts.push(p.seriesText());
    expect(texts).toEqual(['a{b="c"}', '{"x.y"}', 'z']);
  });

  it('returns EOF for ever after the end', () => {
    const p = new PromTextParser('a 1');
    expect(p.next()).toBe(Entry.Series);
    expect(p.next()).toBe(Entry.EOF);
    expect(p.next()).toBe(Entry.EOF);
  });
});
