// Prometheus's template expansion: the cases of prometheus/prometheus template/template_test.go (text
// mode; HTML mode and native histogram values are not ported), with the same time (1353755652000),
// external URL and query results.
import { describe, expect, it } from 'vitest';
import { expandTemplate, parseTemplate, type TemplateQueryFn } from '../../src/template/expander.js';

interface Case {
  text: string;
  output?: string;
  input?: unknown;
  query?: Array<{ labels: Record<string, string>; value: number }>;
  error?: string;
}

const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;
const MAX_UINT64 = 18446744073709551615n;

const metricA = { labels: { __name__: 'metric', instance: 'a' }, value: 11 };

const cases: Case[] = [
  { text: 'plain text', output: 'plain text' },
  { text: '{{ 1 }}', output: '1' },
  {
    text: '{{\u00a0}}',
    error: 'error parsing template test: template: test:1: unrecognized character in action: U+00A0',
  },
  { text: '{{ "<b>" }}', output: '<b>' },
  { text: '{{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}}', output: '1 2' },
  { text: '{{ query "1.5" | first | value }}', query: [{ labels: {}, value: 1.5 }], output: '1.5' },
  { text: `{{ query "metric{instance='a'}" | first | value }}`, query: [metricA], output: '11' },
  { text: `{{ query "metric{instance='a'}" | first | label "instance" }}`, query: [metricA], output: 'a' },
  {
    text: `{{ query "metric{__value__='a'}" | first | strvalue }}`,
    query: [{ labels: { __name__: 'metric', __value__: 'a' }, value: 11 }],
    output: 'a',
  },
  { text: `{{ query "metric{instance='a'}" | first | label "foo" }}`, query: [metricA], output: '' },
  { text: '{{ $x := query "metric" | first }}{{ $x.Labels.foo }}', query: [metricA], output: '' },
  {
    text: '{{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}}',
    query: [{ labels: { __name__: 'metric', instance: 'b' }, value: 21 }, metricA],
    output: 'a:11: b:21: ',
  },
  { text: '{{ "foo.example.com" | stripPort }}', output: 'foo.example.com' },
  { text: '{{ "foo.example.com:12345" | stripPort }}', output: 'foo.example.com' },
  { text: '{{ "192.0.2.1" | stripPort }}', output: '192.0.2.1' },
  { text: '{{ "192.0.2.1:12345" | stripPort }}', output: '192.0.2.1' },
  { text: '{{ "2001:0DB8::1" | stripPort }}', output: '2001:0DB8::1' },
  { text: '{{ "[2001:0DB8::1]:12345" | stripPort }}', output: '2001:0DB8::1' },
  { text: '{{ "[2001:0DB8::1]::12345" | stripPort }}', output: '[2001:0DB8::1]::12345' },
  { text: '{{ .Foo }}', output: '<no value>' },
  { text: '{{', error: 'error parsing template test: template: test:1: unclosed action' },
  {
    text: '{{ query "missing" | first }}',
    query: [],
    error:
      'error executing template test: template: test:1:21: executing "test" at <first>: error calling first: first() called on vector with no elements',
  },
  { text: '{{ reReplaceAll "(a)b" "x$1" "ab" }}', output: 'xa' },
  {
    text: '{{ range . }}{{ humanize . }}:{{ end }}',
    input: [0.0, 1.0, 1234567.0, 0.12],
    output: '0:1:1.235M:120m:',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ end }}',
    input: ['0.0', '1.0', '1234567.0', '.12'],
    output: '0:1:1.235M:120m:',
  },
  {
    text: '{{ humanize "one" }}',
    error:
      'error executing template test: template: test:1:3: executing "test" at <humanize "one">: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n, MAX_INT64],
    output: '0:-1:1:1.235M:9.223E:',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ end }}',
    input: [0n, 1n, 1234567n, MAX_UINT64],
    output: '0:1:1.235M:18.45E:',
  },
  {
    text: '{{ range . }}{{ humanize1024 . }}:{{ end }}',
    input: [0.0, 1.0, 1048576.0, 0.12],
    output: '0:1:1Mi:0.12:',
  },
  {
    text: '{{ range . }}{{ humanize1024 . }}:{{ end }}',
    input: ['0.0', '1.0', '1048576.0', '.12'],
    output: '0:1:1Mi:0.12:',
  },
  {
    text: '{{ humanize1024 "one" }}',
    error:
      'error executing template test: template: test:1:3: executing "test" at <humanize1024 "one">: error calling humanize1024: strconv.ParseFloat: parsing "one": invalid syntax',
  },
  {
    text: '{{ range . }}{{ humanize1024 . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n, MAX_INT64],
    output: '0:-1:1:1.177Mi:8Ei:',
  },
  {
    text: '{{ range . }}{{ humanize1024 . }}:{{ end }}',
    input: [0n, 1n, 1234567n, MAX_UINT64],
    output: '0:1:1.177Mi:16Ei:',
  },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: [0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99],
    output: '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:',
  },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: ['0', '1', '60', '3600', '86400'],
    output: '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:',
  },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: [0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345],
    output: '100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:',
  },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: ['.1', '.0001', '.12345', '60.1', '60.5', '1.2345', '12.345'],
    output: '100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:',
  },
  {
    text: '{{ humanizeDuration "one" }}',
    error:
      'error executing template test: template: test:1:3: executing "test" at <humanizeDuration "one">: error calling humanizeDuration: strconv.ParseFloat: parsing "one": invalid syntax',
  },
  {
    text: '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n],
    output: '0s:-1s:1s:14d 6h 56m 7s:',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}',
    input: [Infinity, -Infinity, NaN],
    output: '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:',
  },
  {
    text: '{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}',
    input: ['+Inf', '-Inf', 'NaN'],
    output: '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:',
  },
  {
    text: '{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}',
    output: '-22.22%:0%:12.35%:123.5%',
  },
  {
    text: '{{ range . }}{{ humanizePercentage . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n, MAX_INT64],
    output: '0%:-100%:100%:1.235e+08%:9.223e+20%:',
  },
  {
    text: '{{ range . }}{{ humanizePercentage . }}:{{ end }}',
    input: [0n, 1n, 1234567n, MAX_UINT64],
    output: '0%:100%:1.235e+08%:1.845e+21%:',
  },
  {
    text: '{{ "-0.22222" | humanizePercentage }}:{{ "0.0" | humanizePercentage }}:{{ "0.1234567" | humanizePercentage }}:{{ "1.23456" | humanizePercentage }}',
    output: '-22.22%:0%:12.35%:123.5%',
  },
  {
    text: '{{ "one" | humanizePercentage }}',
    error:
      'error executing template test: template: test:1:11: executing "test" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax',
  },
  {
    text: '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
    input: [0n, -1n, 1n, 1234567n, 9223372036n],
    output:
      '1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:',
  },
  {
    text: '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
    input: [MIN_INT64, MAX_INT64],
    error:
      'error executing template test: template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64',
  },
  {
    text: '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
    input: [MAX_UINT64],
    error:
      'error executing template test: template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: 1.8446744073709552e+19 cannot be represented as a nanoseconds timestamp since it overflows int64',
  },
  { text: '{{ 1435065584.128 | humanizeTimestamp }}', output: '2015-06-23 13:19:44.128 +0000 UTC' },
  { text: '{{ "1435065584.128" | humanizeTimestamp }}', output: '2015-06-23 13:19:44.128 +0000 UTC' },
  { text: '{{ (1435065584.128 | toTime).Format "2006" }}', output: '2015' },
  { text: '{{ ("1435065584.128" | toTime).Format "2006" }}', output: '2015' },
  { text: '{{ (1800 | toDuration).String }}', output: '30m0s' },
  { text: '{{ ("1800" | toDuration).String }}', output: '30m0s' },
  { text: '{{ now }}', output: '1.353755652e+09' },
  { text: '{{ (now | toTime).Format "Mon Jan 2 15:04:05 2006" }}', output: 'Sat Nov 24 11:14:12 2012' },
  {
    text: '{{ ("-30m" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}',
    output: '1353753852000',
  },
  { text: '{{ "aa bb CC" | title }}', output: 'Aa Bb CC' },
  { text: '{{ "aa bb CC" | toUpper }}', output: 'AA BB CC' },
  { text: '{{ "aA bB CC" | toLower }}', output: 'aa bb cc' },
  { text: '{{ match "a+" "aa" }} {{ match "a+" "b" }}', output: 'true false' },
  { text: '{{ graphLink "up" }}', output: '/graph?g0.expr=up&g0.tab=0' },
  { text: '{{ tableLink "up" }}', output: '/graph?g0.expr=up&g0.tab=1' },
  { text: '{{ pathPrefix }}', output: '/path/prefix' },
  { text: '{{ externalURL }}', output: 'http://testhost:9090/path/prefix' },
  { text: '{{ printf "%0.2f" (parseDuration "1h2m10ms") }}', output: '3720.01' },
  { text: '{{ printf "%0.2f" (parseDuration "-1h2m10ms") }}', output: '-3720.01' },
  { text: '{{ "foo.example.com" | stripDomain }}', output: 'foo' },
  { text: '{{ "foo.example.com:12345" | stripDomain }}', output: 'foo:12345' },
  { text: '{{ "192.0.2.1" | stripDomain }}', output: '192.0.2.1' },
  { text: '{{ "192.0.2.1:12345" | stripDomain }}', output: '192.0.2.1:12345' },
  { text: '{{ "2001:0DB8::1" | stripDomain }}', output: '2001:0DB8::1' },
  { text: '{{ "[2001:0DB8::1]:12345" | stripDomain }}', output: '[2001:0DB8::1]:12345' },
  { text: '{{ "[2001:0DB8::1]::12345" | stripDomain }}', output: '[2001:0DB8::1]::12345' },
];

// Go text/template itself: actions, control structures, variables, comparisons and printf verbs.
const language: Case[] = [
  { text: 'a {{- " b " -}} c', output: 'a b c' },
  { text: '{{/* a comment */}}x{{- /* trimmed */ -}} y', output: 'xy' },
  { text: '{{ if true }}yes{{ else }}no{{ end }}', output: 'yes' },
  { text: '{{ if eq 1 2 }}a{{ else if eq 1 1 }}b{{ else }}c{{ end }}', output: 'b' },
  { text: '{{ with "" }}x{{ else }}empty{{ end }}', output: 'empty' },
  { text: '{{ with $x := "v" }}{{ . }}{{ $x }}{{ end }}', output: 'vv' },
  { text: '{{ range $i, $e := . }}{{ $i }}={{ $e }};{{ end }}', input: ['a', 'b'], output: '0=a;1=b;' },
  {
    text: '{{ range . }}{{ if eq . "b" }}{{ break }}{{ end }}{{ . }}{{ end }}',
    input: ['a', 'b', 'c'],
    output: 'a',
  },
  {
    text: '{{ range . }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ . }}{{ end }}',
    input: ['a', 'b', 'c'],
    output: 'ac',
  },
  { text: '{{ range . }}x{{ else }}none{{ end }}', input: [], output: 'none' },
  {
    text: '{{ range $k, $v := . }}{{ $k }}:{{ $v }} {{ end }}',
    input: new Map([
      ['b', '2'],
      ['a', '1'],
    ]),
    output: 'a:1 b:2 ',
  },
  { text: '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', output: '2' },
  { text: '{{ and 1 0 "x" }} {{ or 0 "" "y" }} {{ not true }}', output: '0 y false' },
  { text: '{{ len "héllo" }} {{ index . 1 }} {{ slice "abcdef" 1 3 }}', input: ['a', 'b'], output: '6 b bc' },
  { text: '{{ lt 1 2 }} {{ ge 2.5 2.5 }} {{ ne "a" "b" }} {{ eq 1 3 2 1 }}', output: 'true true true true' },
  {
    text: '{{ gt .Value 5 }}',
    input: { goType: 'struct', Value: 6.0 },
    error:
      'error executing template test: template: test:1:3: executing "test" at <gt .Value 5>: error calling gt: incompatible types for comparison',
  },
  {
    text: '{{ printf "%d|%5.2f|%-4s|%q|%x|%v|%e|%g|%%" 42 3.14159 "ab" "hi" 255 1.5 123456.0 0.000012 }}',
    output: '42| 3.14|ab  |"hi"|ff|1.5|1.234560e+05|1.2e-05|%',
  },
  { text: '{{ printf "%s" 1 }}', output: '%!s(int=1)' },
  { text: '{{ print 1 2 "a" "b" 3 }}', output: '1 2ab3' },
  { text: "{{ 1.0 }} {{ 1e6 }} {{ 0x10 }} {{ 'a' }}", output: '1 1e+06 16 97' },
  {
    text: '{{ html "<a&b>" }} {{ urlquery "a b&c" }} {{ js "it\'s" }}',
    output: "&lt;a&amp;b&gt; a+b%26c it\\'s",
  },
  { text: '{{ block "b" . }}[{{ . }}]{{ end }}', input: 'x', output: '[x]' },
  {
    text: '{{ $label.x }}',
    error: 'error parsing template test: template: test:1: undefined variable "$label"',
  },
  {
    text: '{{ nosuch 1 }}',
    error: 'error parsing template test: template: test:1: function "nosuch" not defined',
  },
  {
    text: '{{ if }}x{{ end }}',
    error: 'error parsing template test: template: test:1: missing value for if',
  },
  { text: '{{ if true }}x', error: 'error parsing template test: template: test:1: unexpected EOF' },
];

describe('template expansion (template_test.go)', () => {
  for (const c of [...cases, ...language]) {
    it(c.text, async () => {
      const query: TemplateQueryFn = () => Promise.resolve(c.query ?? []);
      const run = expandTemplate('test', c.text, c.input, {
        timeMs: 1353755652000,
        query,
        externalURL: new URL('http://testhost:9090/path/prefix'),
      });
      if (c.error !== undefined) await expect(run).rejects.toThrow(c.error);
      else expect(await run).toBe(c.output);
    });
  }

  it('parses alert templates as rule validation does', () => {
    expect(() => parseTemplate('x', '{{$labels := .Labels}}{{ $labels.instance }}')).not.toThrow();
    expect(() => parseTemplate('x', '{{$labels := .Labels}}{{$labels.quantile * 100}}')).toThrow(
      "template: x:1: unrecognized character in action: U+002A '*'",
    );
    expect(() => parseTemplate('x', '{{$labels := .Labels}}{{ $label.instance }}')).toThrow(
      'template: x:1: undefined variable "$label"',
    );
  });
});
