import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { isStaleNaN } from '../../src/model/value.js';
import {
  MemoryStorage,
  mergeQueriers,
  mergeSampleBatches,
  seriesSet,
  type Querier,
  type SampleBatch,
} from '../../src/storage/index.js';

const L = (r: Record<string, string>) => Labels.fromRecord(r);
const all = [new Matcher('=~', '__name__', '.+')];
const batch = (pairs: [number, number][]): SampleBatch => ({
  t: Float64Array.from(pairs.map((p) => p[0])),
  v: Float64Array.from(pairs.map((p) => p[1])),
  length: pairs.length,
});

describe('mergeSampleBatches', () => {
  it('merges by timestamp and keeps the first source at equal timestamps', () => {
    const m = mergeSampleBatches([
      batch([
        [1, 1],
        [3, 3],
        [5, 5],
      ]),
      batch([
        [2, 20],
        [3, 30],
        [6, 60],
      ]),
      batch([
        [3, 300],
        [7, 700],
      ]),
    ]);
    expect([...m.t]).toEqual([1, 2, 3, 5, 6, 7]);
    expect([...m.v]).toEqual([1, 20, 3, 5, 60, 700]);
    expect(m.length).toBe(6);
  });

  it('joins batches that follow each other in time, in time order whatever the source order', () => {
    const head = { ...batch([[7, 70]]), st: Float64Array.from([6]) };
    const m = mergeSampleBatches([
      head,
      batch([
        [4, 40],
        [5, 50],
      ]),
      batch([
        [1, 10],
        [3, 30],
      ]),
    ]);
    expect([...m.t]).toEqual([1, 3, 4, 5, 7]);
    expect([...m.v]).toEqual([10, 30, 40, 50, 70]);
    expect([...m.st!]).toEqual([0, 0, 0, 0, 6]);
    // touching at a timestamp: merged, and the first source listed wins there
    const touching = mergeSampleBatches([
      batch([[3, 300]]),
      batch([
        [1, 10],
        [3, 30],
      ]),
    ]);
    expect([...touching.t]).toEqual([1, 3]);
    expect([...touching.v]).toEqual([10, 300]);
  });

  it('copies stale markers bit for bit', () => {
    const stale = batch([[2, 0]]);
    // written through the words: a JS array of numbers may already quiet the signalling NaN
    new Uint32Array(stale.v.buffer).set([2, 0x7ff00000]);
    const m = mergeSampleBatches([batch([[1, 1]]), stale]);
    expect(isStaleNaN(m.v[1])).toBe(true);
    expect([...new Uint32Array(m.v.buffer, 8, 2)]).toEqual([2, 0x7ff00000]);
  });
});

describe('mergeQueriers', () => {
  const a = new MemoryStorage();
  const b = new MemoryStorage();
  a.add(L({ __name__: 'm', i: '1' }), [
    [1, 1],
    [2, 2],
  ]);
  a.add(L({ __name__: 'm', i: '3' }), [[1, 1]]);
  b.add(L({ __name__: 'm', i: '1' }), [
    [2, 99],
    [3, 3],
  ]);
  b.add(L({ __name__: 'm', i: '2', only: 'b' }), [[1, 1]]);

  it('merges equal series, deduplicates timestamps and sorts by labels', () => {
    const q = mergeQueriers([a.querier(0, 10), b.querier(0, 10)]);
    const got = [...q.select(all)].map((s) => {
      const x = s.samples();
      return [s.labels.toString(), [...x.t], [...x.v]];
    });
    expect(got).toEqual([
      ['m{i="1"}', [1, 2, 3], [1, 2, 3]],
      ['m{i="2", only="b"}', [1], [1]],
      ['m{i="3"}', [1], [1]],
    ]);
  });

  it('merges label names and values', () => {
    const q = mergeQueriers([a.querier(0, 10), b.querier(0, 10)]);
    expect(q.labelNames()).toEqual(['__name__', 'i', 'only']);
    expect(q.labelValues('i')).toEqual(['1', '2', '3']);
    expect(q.labelValues('i', [new Matcher('=', 'only', 'b')])).toEqual(['2']);
  });

  it('concatenates warnings and closes every querier', () => {
    const closed: string[] = [];
    const fake = (name: string, warnings: string[]): Querier => ({
      select: () => seriesSet([], warnings),
      labelNames: () => [],
      labelValues: () => [],
      close: () => closed.push(name),
    });
    const q = mergeQueriers([fake('x', ['w1']), fake('y', []), fake('z', ['w2', 'w3'])]);
    expect(q.select(all).warnings).toEqual(['w1', 'w2', 'w3']);
    q.close();
    expect(closed).toEqual(['x', 'y', 'z']);
  });

  it('returns a single querier as is', () => {
    const q = a.querier(0, 10);
    expect(mergeQueriers([q])).toBe(q);
  });
});
