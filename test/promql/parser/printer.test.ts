// Round trips through formatExpr, after Prometheus's printer_test.go (3.x spacing: `by (x)`, `on (x)`).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatExpr, parseExpr } from '../../../src/promql/parser/index.js';

const cases: [string, string?][] = [
  ['sum by() (task:errors:rate10s{job="s"})', 'sum(task:errors:rate10s{job="s"})'],
  ['sum by(code) (task:errors:rate10s{job="s"})', 'sum by (code) (task:errors:rate10s{job="s"})'],
  ['sum without() (task:errors:rate10s{job="s"})', 'sum without () (task:errors:rate10s{job="s"})'],
  [
    'sum without(instance) (task:errors:rate10s{job="s"})',
    'sum without (instance) (task:errors:rate10s{job="s"})',
  ],
  ['topk(5, task:errors:rate10s{job="s"})'],
  ['count_values("value", task:errors:rate10s{job="s"})'],
  ['a - on() c', 'a - on () c'],
  ['a - on(b) c', 'a - on (b) c'],
  ['a - on(b) group_left(x) c', 'a - on (b) group_left (x) c'],
  ['a - on(b) group_left(x, y) c', 'a - on (b) group_left (x, y) c'],
  ['a - on(b) group_left c', 'a - on (b) group_left () c'],
  ['a - on(b) group_left() (c)', 'a - on (b) group_left () (c)'],
  ['a - ignoring(b) c', 'a - ignoring (b) c'],
  ['a - ignoring() c', 'a - c'],
  ['up > bool 0'],
  ['a offset 1m'],
  ['a offset -7m'],
  ['a{c="d"}[5m] offset 1m'],
  ['a[5m] offset 1m'],
  ['a[12m] offset -3m'],
  ['a[1h:5m] offset 1m'],
  ['{__name__="a"}'],
  ['a{b!="c"}[1m]'],
  ['a{b=~"c"}[1m]'],
  ['a{b!~"c"}[1m]'],
  ['a @ 10', 'a @ 10.000'],
  ['a[1m] @ 10', 'a[1m] @ 10.000'],
  ['a @ start()'],
  ['a @ end()'],
  ['a[1m] @ start()'],
  ['a[1m] @ end()'],
  ['sum by ("foo.bar") (x)'],
  ['x{"foo.bar"="1"}'],
  ['1e-7', '0.0000001'],
  ['1e21', '1000000000000000000000'],
  ['-0', '-0'],
  [
    'sum(x) by (a) + on (a) group_right (b) count(y) without (c)',
    'sum by (a) (x) + on (a) group_right (b) count without (c) (y)',
  ],
];

describe('formatExpr', () => {
  test.each(cases)('%s', (input, want) => {
    const out = formatExpr(parseExpr(input));
    expect(out).toBe(want ?? input);
    expect(formatExpr(parseExpr(out))).toBe(out);
  });
});

// Generated expressions: formatting is a fixed point after one round.
const ident = fc.constantFrom('foo', 'bar', 'up', 'sum', 'by', 'job', 'a:b', 'offset');
const dur = fc.constantFrom('5m', '1h', '30s', '1m30s', '300');
const leaf = fc.oneof(
  ident.map((n) => n),
  fc
    .tuple(ident, fc.constantFrom('=', '!=', '=~', '!~'), fc.constantFrom('x', 'y.*', ''))
    .map(([n, op, v]) => `${n === 'a:b' ? 'x' : n}{job${op}"${v}", instance="i"}`),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => String(v)),
);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '^', '%', 'atan2', '> bool', '== bool'), tie('e'))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('e').map((e) => `(${e})`),
    tie('e').map((e) => `-${e}`),
    fc.tuple(fc.constantFrom('sum', 'max', 'count'), tie('e')).map(([op, e]) => `${op} by (job) (${e})`),
    fc.tuple(ident, dur).map(([n, d]) => `rate(${n}[${d}])`),
    fc
      .tuple(tie('e'), dur)
      .map(([e, d]) => `abs(${e})[${d}:] offset ${d}`)
      .map((s) => `max_over_time(${s})`),
  ),
})).e;

describe('formatExpr property', () => {
  test('parse(format(parse(x))) formats identically', () => {
    fc.assert(
      fc.property(expr, (s) => {
        let first: string;
        try {
          first = formatExpr(parseExpr(s));
        } catch {
          return; // generated text may be type-invalid (e.g. scalar comparisons); that is fine here
        }
        expect(formatExpr(parseExpr(first))).toBe(first);
      }),
      { numRuns: 500 },
    );
  });
});
