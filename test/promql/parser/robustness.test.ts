// The parser only ever throws PromQLParseError, and stays fast on realistic queries.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseExpr, parseMetricSelector, PromQLParseError } from '../../../src/promql/parser/index.js';

const alphabet = [...'abcxyz_:{}[]()"\'`\\,.=!~<>+-*/%^@# \n\t0123456789eExXmshdwy'];
const tokens = [
  'sum',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'offset',
  '@',
  'start()',
  'bool',
  'and',
  'or',
  'rate(',
  'foo',
  '{',
  '}',
  '[5m]',
  '[1h:]',
  '(',
  ')',
  '"x"',
  '1',
  '-',
  '+',
  '^',
  '==',
  ',',
  'Inf',
  'fill(',
  'anchored',
  'step()',
  'topk(',
  '=~',
  '0x1f',
  '1e3',
  '#',
  '\n',
];

function onlyParseErrors(s: string): void {
  for (const f of [() => parseExpr(s), () => parseMetricSelector(s)]) {
    try {
      f();
    } catch (err) {
      if (!(err instanceof PromQLParseError)) throw err;
      expect(err.message).toMatch(/^(\d+:\d+|unknown position): parse error: /);
    }
  }
}

describe('robustness', () => {
  test('arbitrary strings throw nothing but PromQLParseError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), onlyParseErrors), { numRuns: 3000 });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => a.join('')),
        onlyParseErrors,
      ),
      { numRuns: 3000 },
    );
  });

  test('token soup throws nothing but PromQLParseError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...tokens), { maxLength: 25 }).map((a) => a.join(' ')),
        onlyParseErrors,
      ),
      { numRuns: 3000 },
    );
    const all = new Set([
      'promql-duration-expr',
      'promql-extended-range-selectors',
      'promql-binop-fill-modifiers',
      'promql-experimental-functions',
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...tokens), { maxLength: 25 }).map((a) => a.join('')),
        (s) => {
          try {
            parseExpr(s, { features: all });
          } catch (err) {
            if (!(err instanceof PromQLParseError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('a 1 KB query parses well under 1 ms after warm-up', () => {
    const part =
      'sum by (job, instance) (rate(http_requests_total{job=~"api.*", code!="500"}[5m] offset 1m))';
    let q = part;
    while (q.length < 1024) q += ` / on (job) group_left ${part}`;
    for (let i = 0; i < 300; i++) parseExpr(q);
    const n = 500;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseExpr(q);
    const perParse = (performance.now() - t0) / n;
    expect(perParse).toBeLessThan(1);
  });
});
