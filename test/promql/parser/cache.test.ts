import { describe, expect, it } from 'vitest';
import { ParseCache, PromQLParseError, formatExpr, parseExpr } from '../../../src/promql/parser/index.js';

const NONE: ReadonlySet<string> = new Set();

describe('ParseCache', () => {
  it('answers the same text with the AST it parsed the first time', () => {
    const cache = new ParseCache();
    const a = cache.parse('sum by (job) (rate(up[5m]))', NONE);
    const b = cache.parse('sum by (job) (rate(up[5m]))', NONE);
    expect(b).toBe(a);
    expect(a).toEqual(parseExpr('sum by (job) (rate(up[5m]))'));
    expect(cache.size).toBe(1);
  });

  it('keeps a query parsed with other experimental features apart', () => {
    const cache = new ParseCache();
    const plain = cache.parse('up', NONE);
    const withFeatures = cache.parse('up', new Set(['promql-experimental-functions']));
    expect(withFeatures).not.toBe(plain);
    expect(cache.size).toBe(2);
    // a function behind a feature flag: refused without it, every time (errors are not kept)
    const q = 'sort_by_label(up, "job")';
    expect(() => cache.parse(q, NONE)).toThrow(PromQLParseError);
    expect(formatExpr(cache.parse(q, new Set(['promql-experimental-functions'])))).toBe(q);
    expect(() => cache.parse(q, NONE)).toThrow(PromQLParseError);
  });

  it('throws the parser error with its position for a bad query, and keeps nothing', () => {
    const cache = new ParseCache();
    for (let i = 0; i < 2; i++) expect(() => cache.parse('sum(up', NONE)).toThrow(/^1:7: parse error/);
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used query when full', () => {
    const cache = new ParseCache(2);
    const a = cache.parse('a', NONE);
    cache.parse('b', NONE);
    expect(cache.parse('a', NONE)).toBe(a); // a is now the most recent
    cache.parse('c', NONE); // drops b
    expect(cache.size).toBe(2);
    expect(cache.parse('a', NONE)).toBe(a);
    const b = cache.parse('b', NONE); // parsed again, drops c
    expect(cache.parse('b', NONE)).toBe(b);
    expect(cache.parse('a', NONE)).toBe(a);
  });

  it('parses a very long query every time instead of keeping it', () => {
    const cache = new ParseCache();
    const long = `up{job="${'x'.repeat(9000)}"}`;
    const a = cache.parse(long, NONE);
    expect(cache.parse(long, NONE)).not.toBe(a);
    expect(cache.size).toBe(0);
  });
});
