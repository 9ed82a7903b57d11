import { describe, expect, it } from 'vitest';
import { SeriesCache, type CacheEntry } from '../../src/scrape/series-cache.js';

interface Entry extends CacheEntry {
  v: number;
}

/** Runs one scrape of `series` through the cache; returns [hits by expectation, map hits, misses, gone]. */
function scrape(cache: SeriesCache<Entry>, series: string[], values: Map<string, number>) {
  let guessed = 0;
  let found = 0;
  let added = 0;
  const gone: string[] = [];
  cache.begin();
  for (const s of series) {
    if (cache.expected() === s) guessed++;
    const v = cache.get(s);
    if (v === undefined) {
      cache.set(s, { text: '', index: -1, seenIn: 0, v: values.get(s)! });
      added++;
    } else {
      expect(v.v).toBe(values.get(s));
      expect(v.text).toBe(s);
      found++;
    }
  }
  cache.end((e) => gone.push(e.text));
  return { guessed, found, added, gone };
}

describe('SeriesCache', () => {
  const values = new Map(['a', 'b', 'c', 'd', 'e', 'x'].map((s, i) => [s, i]));

  it('adds new series, then expects them in the same order', () => {
    const cache = new SeriesCache<Entry>();
    expect(scrape(cache, ['a', 'b', 'c'], values)).toEqual({ guessed: 0, found: 0, added: 3, gone: [] });
    expect(scrape(cache, ['a', 'b', 'c'], values)).toEqual({ guessed: 3, found: 3, added: 0, gone: [] });
    expect(cache.size).toBe(3);
  });

  it('realigns after an inserted or a missing series and reports the missing as gone', () => {
    const cache = new SeriesCache<Entry>();
    scrape(cache, ['a', 'b', 'c', 'd'], values);
    const r = scrape(cache, ['a', 'x', 'b', 'd'], values);
    // 'x' is new, 'b' is found by lookup after the miss, 'd' expected again after 'c' went away
    expect(r.added).toBe(1);
    expect(r.found).toBe(3);
    expect(r.guessed).toBe(2); // 'a', and 'b' right after the new 'x'
    expect(r.gone).toEqual(['c']);
    expect(cache.size).toBe(4);
    expect(scrape(cache, ['a', 'x', 'b', 'd'], values).guessed).toBe(4);
  });

  it('forgets series a scrape did not see', () => {
    const cache = new SeriesCache<Entry>();
    scrape(cache, ['a', 'b'], values);
    expect(scrape(cache, [], values).gone.sort()).toEqual(['a', 'b']);
    expect(cache.size).toBe(0);
    expect(scrape(cache, ['a'], values).added).toBe(1);
  });
});
