// Cases ported from Prometheus's promql/parser/parse_test.go: valid inputs checked through the printer and
// selected AST fields, invalid inputs against the exact error message (position included).
import { describe, expect, test } from 'vitest';
import {
  formatExpr,
  MAX_BRACKET_NESTING,
  MAX_EXPR_DEPTH,
  parseExpr,
  parseMetricSelector,
  PromQLParseError,
  typeOf,
  type Expr,
} from '../../../src/promql/parser/index.js';

const all = new Set([
  'promql-duration-expr',
  'promql-extended-range-selectors',
  'promql-binop-fill-modifiers',
  'promql-experimental-functions',
]);

function errorOf(input: string, features?: ReadonlySet<string>): string {
  try {
    parseExpr(input, { features });
  } catch (err) {
    expect(err).toBeInstanceOf(PromQLParseError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to fail`);
}

// [input, canonical form]
const valid: [string, string][] = [
  ['1', '1'],
  ['+Inf', '+Inf'],
  ['-Inf', '-Inf'],
  ['.5', '0.5'],
  ['5.', '5'],
  ['123.4567', '123.4567'],
  ['5e-3', '0.005'],
  ['5e3', '5000'],
  ['0xc', '12'],
  ['0755', '493'],
  ['+5.5e-3', '0.0055'],
  ['-0755', '-493'],
  ['NaN', 'NaN'],
  ['nan', 'NaN'],
  ['iNf', '+Inf'],
  ['1 + 1', '1 + 1'],
  ['1 - 1', '1 - 1'],
  ['1 * 1', '1 * 1'],
  ['1 % 1', '1 % 1'],
  ['1 / 1', '1 / 1'],
  ['1 == bool 1', '1 == bool 1'],
  ['1 != bool 1', '1 != bool 1'],
  ['1 > bool 1', '1 > bool 1'],
  ['1 >= bool 1', '1 >= bool 1'],
  ['1 < bool 1', '1 < bool 1'],
  ['1 <= bool 1', '1 <= bool 1'],
  ['-1^2', '-1 ^ 2'],
  ['-1*2', '-1 * 2'],
  ['-1+2', '-1 + 2'],
  ['-1^-2', '-1 ^ -2'],
  ['+1 + -2 * 1', '1 + -2 * 1'],
  ['1 + 2/(3*1)', '1 + 2 / (3 * 1)'],
  ['1 < bool 2 - 1 * 2', '1 < bool 2 - 1 * 2'],
  ['-some_metric', '-some_metric'],
  ['+some_metric', '+some_metric'],
  [' +some_metric', '+some_metric'],
  [' +{"some_metric"}', '+{__name__="some_metric"}'],
  ['offset{step="1s"}[5m]', 'offset{step="1s"}[5m]'],
  ['step{offset="1s"}[5m]', 'step{offset="1s"}[5m]'],
  ['anchored{job="test"}', 'anchored{job="test"}'],
  ['smoothed{job="test"}', 'smoothed{job="test"}'],
  ['foo * bar', 'foo * bar'],
  ['foo * sum', 'foo * sum'],
  ['foo == 1', 'foo == 1'],
  ['foo == bool 1', 'foo == bool 1'],
  ['2.5 / bar', '2.5 / bar'],
  ['foo and bar', 'foo and bar'],
  ['foo or bar', 'foo or bar'],
  ['foo unless bar', 'foo unless bar'],
  ['foo + bar or bla and blub', 'foo + bar or bla and blub'],
  ['foo and bar unless baz or qux', 'foo and bar unless baz or qux'],
  [
    'bar + on(foo) bla / on(baz, buz) group_right(test) blub',
    'bar + on (foo) bla / on (baz, buz) group_right (test) blub',
  ],
  ['foo * on(test,blub) bar', 'foo * on (test, blub) bar'],
  ['foo * on(test,blub) group_left bar', 'foo * on (test, blub) group_left () bar'],
  ['foo and on(test,blub) bar', 'foo and on (test, blub) bar'],
  ['foo and on() bar', 'foo and on () bar'],
  ['foo and ignoring(test,blub) bar', 'foo and ignoring (test, blub) bar'],
  ['foo and ignoring() bar', 'foo and bar'],
  ['foo unless on(bar) baz', 'foo unless on (bar) baz'],
  ['foo / on(test,blub) group_left(bar) bar', 'foo / on (test, blub) group_left (bar) bar'],
  ['foo / ignoring(test,blub) group_left(blub) bar', 'foo / ignoring (test, blub) group_left (blub) bar'],
  ['foo - on(test,blub) group_right(bar,foo) bar', 'foo - on (test, blub) group_right (bar, foo) bar'],
  ['foo', 'foo'],
  ['min', 'min'],
  ['foo offset 5m', 'foo offset 5m'],
  ['foo offset -7m', 'foo offset -7m'],
  ['foo OFFSET 1h30m', 'foo offset 1h30m'],
  ['foo OFFSET 1m30ms', 'foo offset 1m30ms'],
  ['foo @ 1603774568', 'foo @ 1603774568.000'],
  ['foo @ -100', 'foo @ -100.000'],
  ['foo @ .3', 'foo @ 0.300'],
  ['foo @ 3.', 'foo @ 3.000'],
  ['foo @ 3.33', 'foo @ 3.330'],
  ['foo @ 3.3333', 'foo @ 3.333'],
  ['foo @ 3.3335', 'foo @ 3.334'],
  ['foo @ 3e2', 'foo @ 300.000'],
  ['foo @ 3e-1', 'foo @ 0.300'],
  ['foo @ 0xA', 'foo @ 10.000'],
  ['foo @ -3.3e1', 'foo @ -33.000'],
  ['foo @ start()', 'foo @ start()'],
  ['foo @ end()', 'foo @ end()'],
  ['foo:bar{a="bc"}', 'foo:bar{a="bc"}'],
  ["foo{NaN='bc'}", 'foo{NaN="bc"}'],
  ["foo{bar='}'}", 'foo{bar="}"}'],
  ['foo{a="b", foo!="bar", test=~"test", bar!~"baz"}', 'foo{a="b",bar!~"baz",foo!="bar",test=~"test"}'],
  ['foo{a="b", foo!="bar", test=~"test", bar!~"baz",}', 'foo{a="b",bar!~"baz",foo!="bar",test=~"test"}'],
  ['{__name__=~"bar", __name__!~"baz"}', '{__name__!~"baz",__name__=~"bar"}'],
  ['{__name__="bar", __name__="baz"}', '{__name__="bar",__name__="baz"}'],
  ['{"bar", __name__="baz"}', '{__name__="bar",__name__="baz"}'],
  ['test[1000ms]', 'test[1s]'],
  ['test[1001ms]', 'test[1s1ms]'],
  ['test[5s]', 'test[5s]'],
  ['test[5m]', 'test[5m]'],
  ['foo[5m30s]', 'foo[5m30s]'],
  ['test[5h] OFFSET 5m', 'test[5h] offset 5m'],
  ['test[5d] OFFSET 10s', 'test[5d] offset 10s'],
  ['test[5w] offset 2w', 'test[5w] offset 2w'],
  ['test{a="b"}[5y] OFFSET 3d', 'test{a="b"}[5y] offset 3d'],
  ['test{a="b"}[5m] OFFSET 3600', 'test{a="b"}[5m] offset 1h'],
  ['foo[3ms] @ 2.345', 'foo[3ms] @ 2.345'],
  ['foo[4s180ms] @ 2.345', 'foo[4s180ms] @ 2.345'],
  ['foo[4.18] @ 2.345', 'foo[4s180ms] @ 2.345'],
  ['foo[4.018] @ 2.345', 'foo[4s18ms] @ 2.345'],
  ['test{a="b"}[5y] @ 1603774699', 'test{a="b"}[5y] @ 1603774699.000'],
  ['test[5]', 'test[5s]'],
  ['some_metric[5m] @ 1m', 'some_metric[5m] @ 60.000'],
  ['sum by (foo)(some_metric)', 'sum by (foo) (some_metric)'],
  ['sum by (anchored)(some_metric)', 'sum by (anchored) (some_metric)'],
  ['sum by ("foo bar")({"some.metric"})', 'sum by ("foo bar") ({__name__="some.metric"})'],
  ['sum by ("foo", bar, \'baz\')({"some.metric"})', 'sum by (foo, bar, baz) ({__name__="some.metric"})'],
  ['avg by (foo)(some_metric)', 'avg by (foo) (some_metric)'],
  ['max by (foo)(some_metric)', 'max by (foo) (some_metric)'],
  ['sum without (foo) (some_metric)', 'sum without (foo) (some_metric)'],
  ['sum (some_metric) without (foo)', 'sum without (foo) (some_metric)'],
  ['stddev(some_metric)', 'stddev(some_metric)'],
  ['stdvar by (foo)(some_metric)', 'stdvar by (foo) (some_metric)'],
  ['sum by ()(some_metric)', 'sum(some_metric)'],
  ['sum by (foo,bar,)(some_metric)', 'sum by (foo, bar) (some_metric)'],
  ['sum by (foo,)(some_metric)', 'sum by (foo) (some_metric)'],
  ['topk(5, some_metric)', 'topk(5, some_metric)'],
  ['count_values("value", some_metric)', 'count_values("value", some_metric)'],
  [
    'sum without(and, by, avg, count, alert, annotations)(some_metric)',
    'sum without (and, by, avg, count, alert, annotations) (some_metric)',
  ],
  ['SUM BY (job) (x)', 'sum by (job) (x)'],
  ['quantile(0.9, x)', 'quantile(0.9, x)'],
  ['group(x)', 'group(x)'],
  ['time()', 'time()'],
  ['floor(some_metric{foo!="bar"})', 'floor(some_metric{foo!="bar"})'],
  ['rate(some_metric[5m])', 'rate(some_metric[5m])'],
  ['round(some_metric)', 'round(some_metric)'],
  ['round(some_metric, 5)', 'round(some_metric, 5)'],
  ['label_join(x, "a", ",", "b", "c", "d")', 'label_join(x, "a", ",", "b", "c", "d")'],
  ['histogram_quantile(0.9, rate(x_bucket[5m]))', 'histogram_quantile(0.9, rate(x_bucket[5m]))'],
  ['"double-quoted string \\" with escaped quote"', '"double-quoted string \\" with escaped quote"'],
  ["'single-quoted string \\' with escaped quote'", '"single-quoted string \' with escaped quote"'],
  ['`backtick-quoted string`', '"backtick-quoted string"'],
  ['"\\a\\b\\f\\n\\r\\t\\v\\\\\\" - \\u1234\\U00010111\\101☺"', '"\\a\\b\\f\\n\\r\\t\\v\\\\\\" - ሴ𐄑A☺"'],
  // invalid UTF-8 bytes survive the round trip as Go prints them
  ['"\\xff-\\xe2\\x82\\xac-\\xe2\\x82"', '"\\xff-€-\\xe2\\x82"'],
  ['foo[5m:1m]', 'foo[5m:1m]'],
  ['foo[5m:]', 'foo[5m:]'],
  ['foo[5m:1m] offset 10m', 'foo[5m:1m] offset 10m'],
  ['rate(foo[5m])[1h:10m]', 'rate(foo[5m])[1h:10m]'],
  [
    'sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]',
    'sum without (and, by, avg, count, alert, annotations) (some_metric)[30m:10s]',
  ],
  ['some_metric OFFSET 1m [10m:5s]', 'some_metric offset 1m[10m:5s]'],
  ['(foo + bar{nm="val"})[5m:]', '(foo + bar{nm="val"})[5m:]'],
  ['(foo + bar{nm="val"})[5m:] offset 10m', '(foo + bar{nm="val"})[5m:] offset 10m'],
  [
    '(foo + bar{nm="val"} @ 1234)[5m:] @ 1603775019',
    '(foo + bar{nm="val"} @ 1234.000)[5m:] @ 1603775019.000',
  ],
  ['foo[1h:5m] @ start()', 'foo[1h:5m] @ start()'],
  ['foo @ start() offset 1m', 'foo @ start() offset 1m'],
  ['foo offset 1m @ end()', 'foo @ end() offset 1m'],
  ['a atan2 b', 'a atan2 b'],
  ['foo # comment\n + bar', 'foo + bar'],
  ['1m', '1m'],
  ['-1m30s', '-1m30s'],
  ['time() - 1h', 'time() - 1h'],
  ['a ^ b ^ c', 'a ^ b ^ c'],
  ['fill + fill', 'fill + fill'],
  ['and', 'and'],
  ['or{a="b"}', 'or{a="b"}'],
  ['{"my.metric", "a.b"="c"}', '{"a.b"="c",__name__="my.metric"}'],
  ['foo{a=~"x|y"} / ignoring(a) group_left sum(bar)', 'foo{a=~"x|y"} / ignoring (a) group_left () sum(bar)'],
];

describe('valid expressions', () => {
  test.each(valid)('%s', (input, want) => {
    expect(formatExpr(parseExpr(input))).toBe(want);
  });

  test('canonical forms parse back to themselves', () => {
    for (const [, want] of valid) {
      expect(formatExpr(parseExpr(want))).toBe(want);
    }
  });
});

// [input, full error message]
const invalid: [string, string][] = [
  ['', 'unknown position: parse error: no expression found in input'],
  ['"☺" + ', '1:9: parse error: unexpected end of input'],
  ['# just a comment\n\n', '1:1: parse error: no expression found in input'],
  ['1+', '1:3: parse error: unexpected end of input'],
  ['.', "1:1: parse error: unexpected character: '.'"],
  ['2.5.', '1:1: parse error: bad number or duration syntax: "2.5."'],
  ['100..4', '1:1: parse error: bad number or duration syntax: "100.."'],
  ['0deadbeef', '1:1: parse error: bad number or duration syntax: "0de"'],
  ['1 /', '1:4: parse error: unexpected end of input'],
  ['*1', '1:1: parse error: unexpected <op:*>'],
  ['(1))', "1:5: parse error: unexpected right parenthesis ')'"],
  ['((1)', '1:5: parse error: unclosed left parenthesis'],
  [
    '9'.repeat(309),
    `1:1: parse error: error parsing number: strconv.ParseFloat: parsing "${'9'.repeat(309)}": value out of range`,
  ],
  ['(', '1:2: parse error: unclosed left parenthesis'],
  ['1 and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
  ['1 == 1', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
  ['1 or 1', '1:1: parse error: set operator "or" not allowed in binary scalar expression'],
  ['1 unless 1', '1:1: parse error: set operator "unless" not allowed in binary scalar expression'],
  ['1 !~ 1', "1:3: parse error: unexpected character after '!': '~'"],
  ['1 =~ 1', "1:3: parse error: unexpected character after '=': '~'"],
  [
    '-"string"',
    '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"',
  ],
  [
    '-test[5m]',
    '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
  ],
  ['*test', '1:1: parse error: unexpected <op:*>'],
  ['@@', '1:1: parse error: unexpected <op:@>'],
  [
    '1 offset 1d',
    '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
  ],
  ['foo offset 1s offset 2s', '1:1: parse error: offset may not be set multiple times'],
  ['a - on(b) ignoring(c) d', '1:11: parse error: unexpected <ignoring>'],
  ['{', '1:2: parse error: unexpected end of input inside braces'],
  ['}', "1:1: parse error: unexpected character: '}'"],
  ['some{', '1:6: parse error: unexpected end of input inside braces'],
  ['some}', "1:5: parse error: unexpected character: '}'"],
  ['some_metric{a=b}', '1:15: parse error: unexpected identifier "b" in label matching, expected string'],
  ['some_metric{a:b="b"}', "1:14: parse error: unexpected character inside braces: ':'"],
  ['foo{a*"b"}', "1:6: parse error: unexpected character inside braces: '*'"],
  ['foo{a>="b"}', "1:6: parse error: unexpected character inside braces: '>'"],
  ['foo{gibberish}', '1:14: parse error: unexpected "}" in label matching, expected label matching operator'],
  ['foo{1}', "1:5: parse error: unexpected character inside braces: '1'"],
  ['{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['{x=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['{x=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['{x!~".+"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['{x!="a"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
  ['foo{__name__= =}', '1:15: parse error: unexpected "=" in label matching, expected string'],
  ['foo{,}', '1:5: parse error: unexpected "," in label matching, expected identifier or "}"'],
  ['foo{__name__ == "bar"}', '1:15: parse error: unexpected "=" in label matching, expected string'],
  [
    'foo{__name__="bar" lol}',
    '1:20: parse error: unexpected identifier "lol" in label matching, expected "," or "}"',
  ],
  ['foo{"a"=}', '1:9: parse error: unexpected "}" in label matching, expected string'],
  ['foo[5mm]', '1:5: parse error: bad number or duration syntax: "5mm"'],
  ['foo[5m1]', '1:5: parse error: bad number or duration syntax: "5m1"'],
  ['foo[5m:1m1]', '1:8: parse error: bad number or duration syntax: "1m1"'],
  ['foo[5y1hs]', '1:5: parse error: unknown unit "hs" in duration "5y1hs"'],
  ['foo[5m1h]', '1:5: parse error: not a valid duration string: "5m1h"'],
  ['foo[5m1m]', '1:5: parse error: not a valid duration string: "5m1m"'],
  ['foo[0m]', '1:5: parse error: duration must be greater than 0'],
  ['foo["5m"]', `1:5: parse error: unexpected character in duration expression: '"'`],
  [
    'foo[]',
    '1:5: parse error: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()',
  ],
  ['foo[-1]', '1:5: parse error: duration must be greater than 0'],
  // a subquery step is a positive_duration_expr as well
  ['foo[5m:-1m]', '1:8: parse error: duration must be greater than 0'],
  ['foo[5m:0s]', '1:8: parse error: duration must be greater than 0'],
  ['rate(foo[5m:-1])[1h:]', '1:13: parse error: duration must be greater than 0'],
  ['some_metric[5m] OFFSET 1mm', '1:24: parse error: bad number or duration syntax: "1mm"'],
  [
    'some_metric[5m] OFFSET',
    '1:23: parse error: unexpected end of input in offset, expected number, duration, step(), or range()',
  ],
  ['some_metric OFFSET 1m[5m]', '1:22: parse error: no offset modifiers allowed before range'],
  ['some_metric[5m] @', '1:18: parse error: unexpected end of input in @, expected timestamp'],
  ['some_metric @ 1234 [5m]', '1:20: parse error: no @ modifiers allowed before range'],
  ['some_metric @ start() [5m]', '1:23: parse error: no @ modifiers allowed before range'],
  ['some_metric @ end()[5m]', '1:20: parse error: no @ modifiers allowed before range'],
  ['(foo + bar)[5m]', '1:12: parse error: ranges only allowed for vector selectors'],
  ['sum by ("foo)(some_metric{})', '1:9: parse error: unterminated quoted string'],
  ['sum without(==)(some_metric)', '1:13: parse error: unexpected <op:==> in grouping opts, expected label'],
  ['sum without(,)(some_metric)', '1:13: parse error: unexpected "," in grouping opts, expected label'],
  ['sum without(foo,,)(some_metric)', '1:17: parse error: unexpected "," in grouping opts, expected label'],
  ['sum some_metric by (test)', '1:5: parse error: unexpected identifier "some_metric"'],
  [
    'sum (some_metric) by test',
    '1:22: parse error: unexpected identifier "test" in grouping opts, expected "("',
  ],
  ['sum () by (test)', '1:1: parse error: no arguments for aggregate expression provided'],
  ['MIN keep_common (some_metric)', '1:5: parse error: unexpected identifier "keep_common"'],
  ['MIN (some_metric) keep_common', '1:19: parse error: unexpected identifier "keep_common"'],
  ['sum (some_metric) without (test) by (test)', '1:34: parse error: unexpected <by>'],
  ['sum without (test) (some_metric) by (test)', '1:34: parse error: unexpected <by>'],
  [
    'topk(some_metric)',
    '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1',
  ],
  ['topk(some_metric,)', '1:17: parse error: trailing commas not allowed in function call args'],
  [
    'topk(some_metric, other_metric)',
    '1:6: parse error: expected type scalar in aggregation parameter, got instant vector',
  ],
  [
    'count_values(5, other_metric)',
    '1:14: parse error: expected type string in aggregation parameter, got scalar',
  ],
  [
    'rate(some_metric[5m]) offset 5m',
    '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
  ],
  ['floor()', '1:1: parse error: expected 1 argument(s) in call to "floor", got 0'],
  ['floor(some_metric, other_metric)', '1:1: parse error: expected 1 argument(s) in call to "floor", got 2'],
  ['floor(some_metric, 1)', '1:1: parse error: expected 1 argument(s) in call to "floor", got 2'],
  ['floor(1)', '1:7: parse error: expected type instant vector in call to function "floor", got scalar'],
  [
    'hour(some_metric, some_metric, some_metric)',
    '1:1: parse error: expected at most 1 argument(s) in call to "hour", got 3',
  ],
  ['time(some_metric)', '1:1: parse error: expected 0 argument(s) in call to "time", got 1'],
  [
    'non_existent_function_far_bar()',
    '1:1: parse error: unknown function with name "non_existent_function_far_bar"',
  ],
  [
    'rate(some_metric)',
    '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
  ],
  ['label_join(x, "a")', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 2'],
  ['foo + "bar"', '1:7: parse error: binary expression must contain only scalar and instant vector types'],
  [
    'rate(foo[5m]) + "bar"',
    '1:17: parse error: binary expression must contain only scalar and instant vector types',
  ],
  ['1 or on(bar) foo', '1:1: parse error: vector matching only allowed between instant vectors'],
  ['foo == on(bar) 10', '1:1: parse error: vector matching only allowed between instant vectors'],
  ['foo + group_left(baz) bar', '1:7: parse error: unexpected <group_left>'],
  ['foo and on(bar) group_left(baz) bar', '1:1: parse error: no grouping allowed for "and" operation'],
  ['foo and on(bar) group_right(baz) bar', '1:1: parse error: no grouping allowed for "and" operation'],
  ['foo or on(bar) group_left(baz) bar', '1:1: parse error: no grouping allowed for "or" operation'],
  ['foo unless on(bar) group_left(baz) bar', '1:1: parse error: no grouping allowed for "unless" operation'],
  [
    'http_requests{group="production"} + on(instance) group_left(job,instance) cpu_count{type="smp"}',
    '1:35: parse error: label "instance" must not occur in ON and GROUP clause at once',
  ],
  ['foo + bool bar', '1:5: parse error: bool modifier can only be used on comparison operators'],
  ['foo + bool 10', '1:5: parse error: bool modifier can only be used on comparison operators'],
  ['foo and bool 10', '1:5: parse error: bool modifier can only be used on comparison operators'],
  ['foo[5m] @ start', '1:16: parse error: unexpected end of input in @, expected timestamp'],
  ['foo @ +Inf', '1:1: parse error: timestamp out of bounds for @ modifier: +Inf'],
  ['foo @ -Inf', '1:1: parse error: timestamp out of bounds for @ modifier: -Inf'],
  ['foo @ NaN', '1:1: parse error: timestamp out of bounds for @ modifier: NaN'],
  ['foo @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
  ['foo[5m][5m]', '1:8: parse error: ranges only allowed for vector selectors'],
  ['foo[5m:1m][5m:1m]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
  ['rate(foo[5m])[5m]', '1:14: parse error: ranges only allowed for vector selectors'],
  ['foo{a=~"("}', '1:5: parse error: error parsing regexp: missing closing ): `(`'],
  ['"foo', '1:1: parse error: unterminated quoted string'],
  ['`foo', '1:1: parse error: unterminated raw string'],
  ['"\\c"', "1:1: parse error: unknown escape sequence U+0063 'c'"],
  ['"\\x1"', "1:1: parse error: illegal character U+0022 '\"' in escape sequence"],
  ['foo ]', "1:5: parse error: unexpected right bracket ']'"],
  [
    'limitk(1, foo)',
    '1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
  ],
  ['mad_over_time(foo[5m])', '1:1: parse error: function "mad_over_time" is not enabled'],
  ['foo[5m] anchored', '1:1: parse error: anchored modifier is experimental and not enabled'],
  ['foo[5m+1m]', '1:5: parse error: experimental duration expression is not enabled'],
  ['foo offset (1m*2)', '1:12: parse error: experimental duration expression is not enabled'],
  ['a + fill(0) b', '1:1: parse error: binop fill modifiers are experimental and not enabled'],
  ['foo\n  +\n  ', '3:3: parse error: unexpected end of input'],
  ['-=', '1:2: parse error: unexpected "="'],
  ['foo[5s x 5s]', "1:8: parse error: unexpected character: 'x', expected ':'"],
  ['foo[5s s 5s]', "1:8: parse error: unexpected character: 's', expected ':'"],
  ['sum(', '1:5: parse error: unclosed left parenthesis'],
  ['sum(rate(', '1:10: parse error: unclosed left parenthesis'],
  ['1[5m] smoothed', '1:2: parse error: ranges only allowed for vector selectors'],
  ['foo[5m:1m:1m]', "1:10: parse error: unexpected colon ':'"],
  ['foo[5m', '1:7: parse error: unclosed left bracket'],
  ['foo 😀', "1:5: parse error: unexpected character: '😀'"],
  ['foo{😀}', "1:5: parse error: unexpected character inside braces: '😀'"],
  ['++-++-+-+-<', '1:11: parse error: unexpected <op:<>'],
  ['e-+=/(0)', '1:4: parse error: unexpected "="'],
  ['a>b()', '1:3: parse error: unknown function with name "b"'],
  [
    'rate(avg)',
    '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
  ],
  ['`\\``', '1:4: parse error: unterminated raw string'],
  ['"\\', '1:1: parse error: escape sequence not terminated'],
  ['"\\x."', "1:1: parse error: illegal character U+002E '.' in escape sequence"],
  ['foo{bar="baz"}[', '1:16: parse error: unexpected end of input in duration expression'],
  [
    'rate(some_metric[5m]) @ 1234',
    '1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
  ],
  [
    '(' + '-{}-1'.repeat(10000) + ')' + '[1m:]'.repeat(1000),
    '1:3: parse error: vector selector must contain at least one non-empty matcher',
  ],
];

describe('invalid expressions', () => {
  test.each(invalid)('%s', (input, want) => {
    expect(errorOf(input)).toBe(want);
  });

  test('errors carry position and reason', () => {
    try {
      parseExpr('foo{a=b}');
      expect.unreachable();
    } catch (err) {
      const e = err as PromQLParseError;
      expect(e.pos).toEqual({ start: 6, end: 7 });
      expect(e.reason).toBe('unexpected identifier "b" in label matching, expected string');
    }
  });
});

describe('deep inputs', () => {
  test('long binary chains up to the depth limit parse, check and print', () => {
    const q = 'a - '.repeat(MAX_EXPR_DEPTH - 1) + 'a';
    expect(formatExpr(parseExpr(q))).toBe(q);
    expect(formatExpr(parseExpr('1 + '.repeat(MAX_EXPR_DEPTH - 1) + '1')).length).toBe(
      4 * MAX_EXPR_DEPTH - 3,
    );
  });

  test('deeper chains are a parse error naming the limit', () => {
    for (const n of [MAX_EXPR_DEPTH, 5_000, 20_000]) {
      expect(errorOf('1 + '.repeat(n) + '1')).toBe(
        `1:1: parse error: expression nesting too deep: more than ${MAX_EXPR_DEPTH} nested operations (a chain of n binary operators nests n deep)`,
      );
    }
  });

  test('nesting of brackets beyond the limit is a parse error at the first bracket too deep', () => {
    const n = MAX_BRACKET_NESTING;
    expect(parseExpr('('.repeat(n) + '1' + ')'.repeat(n)).type).toBe('ParenExpr');
    expect(parseExpr('abs('.repeat(n) + 'up' + ')'.repeat(n)).type).toBe('Call');
    expect(errorOf('('.repeat(20000) + '1' + ')'.repeat(20000))).toBe(
      `1:${n + 1}: parse error: expression nesting too deep: more than ${n} nested parentheses, brackets or braces`,
    );
  });

  test('other nesting beyond the stack is a parse error, not a crash', () => {
    expect(errorOf('-'.repeat(20000) + '1')).toBe(
      '1:1: parse error: expression nesting too deep for the parser (e.g. too many unary signs in a row)',
    );
  });
});

describe('AST shape', () => {
  const p = (s: string): Expr => parseExpr(s);

  test('the trim operators </ and >/ bind as comparisons do, take matching, refuse bool, print back', () => {
    const e = p('h >/ 0.5 + 1');
    expect(e.type === 'BinaryExpr' && [e.op, e.rhs.type]).toEqual(['>/', 'BinaryExpr']);
    const c = p('h</-1');
    expect(c.type === 'BinaryExpr' && c.op).toBe('</');
    expect(formatExpr(p('(h >/ 1) </ on (a) x'))).toBe('(h >/ 1) </ on (a) x');
    expect(errorOf('sum(h) </ bool 3')).toBe(
      '1:8: parse error: bool modifier can only be used on comparison operators',
    );
  });

  test('unary minus folds into number literals', () => {
    expect(p('-1')).toEqual({ type: 'NumberLiteral', value: -1, pos: { start: 0, end: 2 } });
    const e = p('-2^2');
    expect(e.type).toBe('UnaryExpr');
  });

  test('vector selector fields', () => {
    const e = p('foo{a="b"} offset 5m @ 10');
    expect(e.type).toBe('VectorSelector');
    if (e.type !== 'VectorSelector') return;
    expect(e.name).toBe('foo');
    expect(e.offset).toBe(300_000);
    expect(e.at).toEqual({ kind: 'time', ms: 10_000 });
    expect(e.matchers.map((m) => [m.type, m.name, m.value])).toEqual([
      ['=', 'a', 'b'],
      ['=', '__name__', 'foo'],
    ]);
    expect(e.pos).toEqual({ start: 0, end: 25 });
  });

  test('matrix selector and subquery', () => {
    const m = p('foo[5m] offset -1m');
    expect(m.type).toBe('MatrixSelector');
    if (m.type !== 'MatrixSelector') return;
    expect(m.range).toBe(300_000);
    expect(m.vectorSelector.offset).toBe(-60_000);
    const s = p('rate(foo[5m])[1h:] @ end()');
    expect(s.type).toBe('SubqueryExpr');
    if (s.type !== 'SubqueryExpr') return;
    expect(s.range).toBe(3_600_000);
    expect(s.step).toBe(0);
    expect(s.at).toEqual({ kind: 'end' });
  });

  test('precedence', () => {
    const e = p('a + b * c ^ d ^ e');
    expect(formatExpr(e)).toBe('a + b * c ^ d ^ e');
    if (e.type !== 'BinaryExpr') throw new Error();
    expect(e.op).toBe('+');
    const r = e.rhs;
    if (r.type !== 'BinaryExpr') throw new Error();
    expect(r.op).toBe('*');
    const pw = r.rhs;
    if (pw.type !== 'BinaryExpr') throw new Error();
    expect(pw.op).toBe('^');
    expect(pw.rhs.type).toBe('BinaryExpr'); // right-associative
  });

  test('vector matching', () => {
    const e = p('a / on(x) group_left(y) b');
    if (e.type !== 'BinaryExpr') throw new Error();
    expect(e.matching).toEqual({ card: 'many-to-one', matchingLabels: ['x'], on: true, include: ['y'] });
    const s = p('a and b');
    if (s.type !== 'BinaryExpr') throw new Error();
    expect(s.matching?.card).toBe('many-to-many');
    const sc = p('a > bool 1');
    if (sc.type !== 'BinaryExpr') throw new Error();
    expect(sc.matching).toBeUndefined();
    expect(sc.returnBool).toBe(true);
  });

  test('aggregation fields', () => {
    const e = p('topk by (job) (3, foo)');
    if (e.type !== 'AggregateExpr') throw new Error();
    expect(e.op).toBe('topk');
    expect(e.grouping).toEqual(['job']);
    expect(e.without).toBe(false);
    expect(e.param).toMatchObject({ type: 'NumberLiteral', value: 3 });
  });

  test('typeOf', () => {
    expect(typeOf(p('1'))).toBe('scalar');
    expect(typeOf(p('"a"'))).toBe('string');
    expect(typeOf(p('foo'))).toBe('vector');
    expect(typeOf(p('foo[5m]'))).toBe('matrix');
    expect(typeOf(p('foo[5m:]'))).toBe('matrix');
    expect(typeOf(p('scalar(foo)'))).toBe('scalar');
    expect(typeOf(p('1 + foo'))).toBe('vector');
    expect(typeOf(p('(1 + 2)'))).toBe('scalar');
  });
});

describe('experimental syntax when enabled', () => {
  const ok = (s: string): string => formatExpr(parseExpr(s, { features: all }));

  test('functions and aggregations', () => {
    expect(ok('limitk(1, foo)')).toBe('limitk(1, foo)');
    expect(ok('mad_over_time(foo[5m])')).toBe('mad_over_time(foo[5m])');
  });

  test('extended range selectors', () => {
    expect(ok('foo[5m] anchored')).toBe('foo[5m] anchored');
    expect(ok('rate(foo[5m] smoothed)')).toBe('rate(foo[5m] smoothed)');
    expect(errorOf('foo[5m] anchored smoothed', all)).toBe(
      '1:1: parse error: anchored and smoothed modifiers cannot be used together',
    );
  });

  test('duration expressions', () => {
    const e = parseExpr('foo[5m+1m]', { features: all });
    if (e.type !== 'MatrixSelector') throw new Error();
    expect(e.rangeExpr).toMatchObject({ type: 'DurationExpr', op: '+' });
    expect(ok('foo[5m+1m]')).toBe('foo[5m + 1m]');
    expect(ok('foo[step()*2:step()]')).toBe('foo[step() * 2s:step()]');
    expect(ok('foo offset -(1m*2)')).toBe('foo offset -(1m * 2s)');
    expect(ok('foo[max(1m, 2m)]')).toBe('foo[max(1m, 2m)]');
  });

  test('min_of, max_of and range() in duration expressions', () => {
    expect(ok('foo[min_of(step()+1,1h)]')).toBe('foo[min_of((step() + 1s), 1h)]');
    expect(ok('foo[max_of(range(), 1m)]')).toBe('foo[max_of(range(), 1m)]');
    expect(ok('foo offset min_of(step(), 1s)')).toBe('foo offset min_of(step(), 1s)');
    expect(ok('foo offset range()')).toBe('foo offset range()');
  });

  test('an offset takes one primary; arithmetic after it applies to the selector', () => {
    const e = parseExpr('foo offset 100 + 2', { features: all });
    expect(e).toMatchObject({
      type: 'BinaryExpr',
      op: '+',
      lhs: { type: 'VectorSelector', offset: 100_000 },
    });
    const n = parseExpr('foo offset -step() * 2', { features: all });
    expect(n).toMatchObject({ type: 'BinaryExpr', op: '*', lhs: { offsetExpr: { op: 'neg' } } });
    expect(ok('foo offset (100 + 2)')).toBe('foo offset (1m40s + 2s)');
    expect(ok('foo offset -2 ^ 2')).toBe('foo offset -2s ^ 2');
  });

  test('min_of and max_of are experimental scalar functions', () => {
    expect(ok('min_of(1, 2)')).toBe('min_of(1, 2)');
    expect(errorOf('max_of(1, 2)', new Set())).toContain('is not enabled');
  });

  test('fill modifiers', () => {
    const e = parseExpr('a + on(x) fill(0) b', { features: all });
    if (e.type !== 'BinaryExpr') throw new Error();
    expect(e.matching?.fill).toEqual({ lhs: 0, rhs: 0 });
    expect(ok('a + fill_left(1) fill_right(2) b')).toBe('a + fill_left (1) fill_right (2) b');
  });
});

describe('parseMetricSelector', () => {
  test('matchers', () => {
    expect(parseMetricSelector('foo{a="b", c=~"d"}').map((m) => `${m.name}${m.type}${m.value}`)).toEqual([
      'a=b',
      'c=~d',
      '__name__=foo',
    ]);
    expect(parseMetricSelector('{__name__="x"}').length).toBe(1);
    expect(parseMetricSelector('sum').map((m) => m.value)).toEqual(['sum']);
  });

  test('errors', () => {
    expect(() => parseMetricSelector('foo +')).toThrow('1:5: parse error: unexpected <op:+>');
    expect(() => parseMetricSelector('rate(foo[5m])')).toThrow(PromQLParseError);
    expect(() => parseMetricSelector('')).toThrow('unknown position: parse error: unexpected end of input');
  });
});
