import { describe, expect, it } from 'vitest';
import { vectorVector } from '../../../src/promql/engine/binary.js';
import type { InstantVector } from '../../../src/promql/engine/functions/types.js';
import type { BinaryOp, VectorMatching } from '../../../src/promql/parser/ast.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { formatExpr } from '../../../src/promql/parser/printer.js';
import { Labels } from '../../../src/model/labels.js';

function vec(...series: Array<[Record<string, string>, number]>): InstantVector {
  return series.map(([rec, v]) => ({ labels: Labels.fromRecord(rec), t: 0, v }));
}

function matching(over: Partial<VectorMatching>): VectorMatching {
  return { card: 'one-to-one', matchingLabels: [], on: false, include: [], ...over };
}

/** Result as sorted "labels value" strings. */
function run(
  op: BinaryOp,
  lhs: InstantVector,
  rhs: InstantVector,
  m: VectorMatching,
  returnBool = false,
): string[] {
  return vectorVector(op, lhs, rhs, m, returnBool, false)
    .map((s) => `${s.labels.toString()} ${s.v}`)
    .sort();
}

const left = vec([{ __name__: 'l', k: 'a' }, 10], [{ __name__: 'l', k: 'b' }, 20]);
const right = vec([{ __name__: 'r', k: 'a' }, 100], [{ __name__: 'r', k: 'c' }, 300]);

describe('vectorVector fill modifiers', () => {
  it('ignores unmatched series without fill', () => {
    expect(run('+', left, right, matching({}))).toEqual(['{k="a"} 110']);
  });

  it('fills both sides with fill(v)', () => {
    expect(run('+', left, right, matching({ fill: { lhs: 1, rhs: 2 } }))).toEqual([
      '{k="a"} 110',
      '{k="b"} 22',
      '{k="c"} 301',
    ]);
  });

  it('fills only the named side with fill_left / fill_right', () => {
    expect(run('-', left, right, matching({ fill: { lhs: 0 } }))).toEqual(['{k="a"} -90', '{k="c"} -300']);
    expect(run('-', left, right, matching({ fill: { rhs: 0 } }))).toEqual(['{k="a"} -90', '{k="b"} 20']);
  });

  it('fills against an empty side', () => {
    expect(run('+', left, [], matching({ fill: { rhs: 5 } }))).toEqual(['{k="a"} 15', '{k="b"} 25']);
    expect(run('+', left, [], matching({ fill: { lhs: 5 } }))).toEqual([]);
    expect(run('+', [], right, matching({ fill: { lhs: 5 } }))).toEqual(['{k="a"} 105', '{k="c"} 305']);
  });

  it('filters comparisons on filled values and keeps the metric name of a real left sample', () => {
    expect(run('!=', left, right, matching({ fill: { lhs: 300, rhs: 300 } }))).toEqual([
      'l{k="a"} 10',
      'l{k="b"} 20',
    ]);
    expect(run('>', left, right, matching({ fill: { lhs: 400, rhs: 15 } }))).toEqual([
      'l{k="b"} 20',
      '{k="c"} 400',
    ]);
    expect(run('>', left, right, matching({ fill: { lhs: 400, rhs: 15 } }), true)).toEqual([
      '{k="a"} 0',
      '{k="b"} 1',
      '{k="c"} 1',
    ]);
  });

  it('gives a filled left sample the match group labels with on()', () => {
    const r = vec([{ __name__: 'r', k: 'c', x: 'y' }, 3]);
    expect(run('+', left, r, matching({ on: true, matchingLabels: ['k'], fill: { lhs: 0 } }))).toEqual([
      '{k="c"} 3',
    ]);
  });

  it('fills the "many" and "one" sides of group_left', () => {
    const many = vec([{ m: 'GET', s: '200' }, 1], [{ m: 'GET', s: '500' }, 2]);
    const one = vec([{ s: '200', o: 'x' }, 10], [{ s: '404', o: 'y' }, 40]);
    const m = matching({ card: 'many-to-one', on: true, matchingLabels: ['s'], include: ['o'] });
    expect(run('+', many, one, { ...m, fill: { rhs: 0 } })).toEqual([
      '{m="GET", o="x", s="200"} 11',
      '{m="GET", s="500"} 2',
    ]);
    expect(run('+', many, one, { ...m, fill: { lhs: 0 } })).toEqual([
      '{m="GET", o="x", s="200"} 11',
      '{o="y", s="404"} 40',
    ]);
  });

  it('applies fill values to the swapped sides of group_right, as Prometheus', () => {
    const one = vec([{ i: 'a' }, 100], [{ i: 'c' }, 300]);
    const many = vec([{ i: 'a', cpu: '0' }, 1], [{ i: 'b', cpu: '0' }, 2]);
    const m = matching({ card: 'one-to-many', on: true, matchingLabels: ['i'] });
    // fill_left fills the "many" (right) side, fill_right the "one" (left) side
    expect(run('-', one, many, { ...m, fill: { lhs: 7 } })).toEqual(['{cpu="0", i="a"} 99', '{i="c"} 293']);
    expect(run('-', one, many, { ...m, fill: { rhs: 7 } })).toEqual([
      '{cpu="0", i="a"} 99',
      '{cpu="0", i="b"} 5',
    ]);
  });
});

describe('fill modifier parsing and printing', () => {
  const opts = { features: new Set(['promql-binop-fill-modifiers']) };
  it.each([
    ['a + fill(0) b', { lhs: 0, rhs: 0 }, 'a + fill (0) b'],
    ['a + fill_left(-1) b', { lhs: -1 }, 'a + fill_left (-1) b'],
    ['a + fill_right(Inf) b', { rhs: Infinity }, 'a + fill_right (+Inf) b'],
    [
      'a + on(x) group_left fill_left(5) fill_right(7) b',
      { lhs: 5, rhs: 7 },
      'a + on (x) group_left () fill_left (5) fill_right (7) b',
    ],
    ['a == bool fill(30) b', { lhs: 30, rhs: 30 }, 'a == bool fill (30) b'],
    ['fill + fill(1) fill', { lhs: 1, rhs: 1 }, 'fill + fill (1) fill'],
  ])('%s', (src, fill, printed) => {
    const e = parseExpr(src, opts);
    expect(e.type === 'BinaryExpr' && e.matching?.fill).toEqual(fill);
    expect(formatExpr(e)).toBe(printed);
  });

  it('is rejected without the feature flag', () => {
    expect(() => parseExpr('a + fill(0) b')).toThrow(/experimental/);
  });
});
