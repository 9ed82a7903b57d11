import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/model/labels.js';
import { Matcher, type MatchType } from '../../src/model/matcher.js';
import {
  intersect,
  intersectAll,
  labelNamesForMatchers,
  labelValuesForMatchers,
  literalAlternation,
  literalPrefix,
  MemPostings,
  postingsForMatchers,
  subtract,
  union,
} from '../../src/tsdb/postings.js';

const sortedRefs = (maxLen: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: maxLen })
    .map((xs) => Uint32Array.from(xs.sort((a, b) => a - b)));

const arr = (xs: Uint32Array) => Array.from(xs);

describe('postings algebra', () => {
  const lists = fc.oneof(sortedRefs(20), sortedRefs(2000));

  it('intersect equals the naive set intersection (incl. galloping on lopsided sizes)', () => {
    fc.assert(
      fc.property(lists, lists, (a, b) => {
        const sb = new Set(b);
        expect(arr(intersect(a, b))).toEqual(arr(a).filter((x) => sb.has(x)));
      }),
    );
  });

  it('intersectAll of many lists', () => {
    fc.assert(
      fc.property(fc.array(lists, { minLength: 1, maxLength: 5 }), (ls) => {
        const want = arr(ls[0]).filter((x) => ls.every((l) => l.includes(x)));
        expect(arr(intersectAll(ls))).toEqual(want);
      }),
    );
    expect(intersectAll([]).length).toBe(0);
  });

  it('union equals the naive sorted set union', () => {
    fc.assert(
      fc.property(fc.array(lists, { maxLength: 7 }), (ls) => {
        const want = [...new Set(ls.flatMap(arr))].sort((a, b) => a - b);
        expect(arr(union(ls))).toEqual(want);
      }),
    );
  });

  it('subtract equals the naive set difference', () => {
    fc.assert(
      fc.property(lists, lists, (a, b) => {
        const sb = new Set(b);
        expect(arr(subtract(a, b))).toEqual(arr(a).filter((x) => !sb.has(x)));
      }),
    );
  });
});

describe('regex fast paths', () => {
  it('recognises literal alternations only', () => {
    expect(literalAlternation('a|b|cd')).toEqual(['a', 'b', 'cd']);
    expect(literalAlternation('a\\.b|')).toEqual(['a.b', '']);
    expect(literalAlternation('foo')).toEqual(['foo']);
    expect(literalAlternation('a.|b')).toBeUndefined();
    expect(literalAlternation('(?i)a|b')).toBeUndefined();
    expect(literalAlternation('a\\d')).toBeUndefined();
    expect(literalAlternation('[ab]')).toBeUndefined();
  });

  it('finds the literal prefix every match starts with', () => {
    expect(literalPrefix('foo.*')).toBe('foo');
    expect(literalPrefix('foo?')).toBe('fo');
    expect(literalPrefix('fo+')).toBe('fo');
    expect(literalPrefix('a\\.b[0-9]')).toBe('a.b');
    expect(literalPrefix('ab{2}')).toBe('a');
    expect(literalPrefix('a|b')).toBe('');
    expect(literalPrefix('(?i)foo')).toBe('');
    expect(literalPrefix('.*foo')).toBe('');
  });
});

const NAMES = ['__name__', 'a', 'b', 'c'];
const VALUES = ['x', 'y', 'xy', 'yx', 'x1', 'z', 'foo', 'foobar'];
const MATCHER_NAMES = [...NAMES, 'missing'];
const MATCHER_VALUES = [
  '',
  'x',
  'y',
  'xy',
  'z',
  'nope',
  '.*',
  '.+',
  'x|y',
  'x|',
  'x.*',
  'x.+',
  'y?',
  '(x|z)1?',
  '[xy]+',
  'foo.*',
  'foo|foobar',
  '(?i)X',
  'f.*r',
  'x\\d',
  '|z',
];
const TYPES: MatchType[] = ['=', '!=', '=~', '!~'];

const labelSet = fc
  .dictionary(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES), { minKeys: 1 })
  .map((r) => Labels.fromRecord(r));
const matcher = fc
  .tuple(fc.constantFrom(...TYPES), fc.constantFrom(...MATCHER_NAMES), fc.constantFrom(...MATCHER_VALUES))
  .map(([t, n, v]) => new Matcher(t, n, v));

function buildIndex(sets: Labels[]): { index: MemPostings; series: Labels[] } {
  const series: Labels[] = [];
  for (const l of sets) if (!series.some((s) => s.equals(l))) series.push(l);
  const index = new MemPostings();
  series.forEach((l, i) => index.add(i + 1, l));
  return { index, series };
}

const matchesAll = (l: Labels, ms: readonly Matcher[]) => ms.every((m) => m.matches(l.get(m.name) ?? ''));

describe('postingsForMatchers', () => {
  it('equals brute-force filtering for random series and matcher combinations', () => {
    fc.assert(
      fc.property(
        fc.array(labelSet, { maxLength: 40 }),
        fc.array(matcher, { minLength: 1, maxLength: 4 }),
        (sets, ms) => {
          const { index, series } = buildIndex(sets);
          const want = series.flatMap((l, i) => (matchesAll(l, ms) ? [i + 1] : []));
          expect(arr(postingsForMatchers(index, ms))).toEqual(want);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('label values and names with matchers equal brute force', () => {
    fc.assert(
      fc.property(
        fc.array(labelSet, { maxLength: 40 }),
        fc.array(matcher, { maxLength: 3 }),
        fc.constantFrom(...MATCHER_NAMES),
        (sets, ms, name) => {
          const { index, series } = buildIndex(sets);
          const labelsOf = (ref: number) => series[ref - 1];
          const hit = ms.length === 0 ? series : series.filter((l) => matchesAll(l, ms));
          const values = [...new Set(hit.flatMap((l) => l.get(name) ?? []))].sort();
          const names = [...new Set(hit.flatMap((l) => l.pairs.filter((_, i) => i % 2 === 0)))].sort();
          expect(labelValuesForMatchers(index, name, ms, labelsOf)).toEqual(values);
          expect(labelNamesForMatchers(index, ms, labelsOf)).toEqual(names);
        },
      ),
      { numRuns: 1000 },
    );
  });

  const { index } = buildIndex([
    Labels.fromRecord({ __name__: 'up', job: 'a' }),
    Labels.fromRecord({ __name__: 'up', job: 'b', env: 'prod' }),
    Labels.fromRecord({ __name__: 'down', env: 'dev' }),
  ]);
  const sel = (...ms: [MatchType, string, string][]) =>
    arr(
      postingsForMatchers(
        index,
        ms.map(([t, n, v]) => new Matcher(t, n, v)),
      ),
    );

  it('treats a missing label as the empty string', () => {
    expect(sel(['=', 'env', ''])).toEqual([1]);
    expect(sel(['!=', 'env', ''])).toEqual([2, 3]);
    expect(sel(['!=', 'env', 'prod'])).toEqual([1, 3]);
    expect(sel(['=~', 'env', '.*'])).toEqual([1, 2, 3]);
    expect(sel(['=~', 'env', '.+'])).toEqual([2, 3]);
    expect(sel(['!~', 'env', 'dev|'])).toEqual([2]);
    expect(sel(['=', '__name__', 'up'], ['=', 'env', ''])).toEqual([1]);
    expect(sel(['=~', 'nope', '.*'])).toEqual([1, 2, 3]);
    expect(sel(['!~', 'nope', '.*'])).toEqual([]);
  });

  it('selects nothing for an empty matcher list, as Prometheus', () => {
    expect(sel()).toEqual([]);
  });
});

describe('MemPostings', () => {
  it('keeps sorted names, values and lists, and forgets deleted series', () => {
    const series = [
      Labels.fromRecord({ a: '2', b: 'x' }),
      Labels.fromRecord({ a: '1' }),
      Labels.fromRecord({ a: '2', c: 'y' }),
    ];
    const p = new MemPostings();
    series.forEach((l, i) => p.add(i + 1, l));
    expect(p.labelNames()).toEqual(['a', 'b', 'c']);
    expect(p.labelValues('a')).toEqual(['1', '2']);
    const before = p.postings('a', '2');
    expect(arr(before)).toEqual([1, 3]);
    expect(arr(p.allPostings())).toEqual([1, 2, 3]);
    p.delete(new Set([1]), (ref) => series[ref - 1]);
    expect(arr(before)).toEqual([1, 3]); // views handed out earlier are unchanged
    expect(arr(p.postings('a', '2'))).toEqual([3]);
    expect(p.labelNames()).toEqual(['a', 'c']);
    expect(arr(p.allPostings())).toEqual([2, 3]);
    expect(() => p.add(2, Labels.fromRecord({ a: '3' }))).toThrow(/out of order/);
  });
});
