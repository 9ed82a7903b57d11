import { describe, expect, it } from 'vitest';
import { HeadPostings } from '../../src/tsdb/head-postings.js';

const refs = (a: Uint32Array): number[] => [...a];

describe('HeadPostings', () => {
  it('indexes values with one series and with many, and keeps snapshots apart from later changes', () => {
    const p = new HeadPostings();
    for (let ref = 1; ref <= 10; ref++)
      p.add(ref, ['__name__', 'up', 'id', `c${ref}`, 'even', String(ref % 2 === 0)]);
    expect(refs(p.postings('id', 'c7'))).toEqual([7]);
    expect(refs(p.postings('even', 'true'))).toEqual([2, 4, 6, 8, 10]);
    expect(refs(p.postings('__name__', 'up'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(refs(p.postings('id', 'nope'))).toEqual([]);
    const held = p.postings('id', 'c3');
    // a second series with a value held inline so far, then a third (the list grows past its first array)
    p.add(11, ['id', 'c3']);
    expect(refs(held)).toEqual([3]);
    expect(refs(p.postings('id', 'c3'))).toEqual([3, 11]);
    for (let ref = 12; ref <= 20; ref++) p.add(ref, ['id', 'c3']);
    expect(refs(p.postings('id', 'c3'))).toEqual([3, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(p.cardinality().byName.get('id')!.get('c3')).toBe(11);
  });

  it('drops refs, and values left without series, whether a value had one series or many', () => {
    const p = new HeadPostings();
    for (let ref = 1; ref <= 6; ref++) p.add(ref, ['id', `c${ref}`, 'g', ref <= 3 ? 'a' : 'b']);
    p.add(7, ['id', 'c1']);
    p.retain((ref) => ref % 2 === 0 || ref === 7);
    expect(refs(p.postings('id', 'c2'))).toEqual([2]);
    expect(refs(p.postings('id', 'c3'))).toEqual([]);
    expect(refs(p.postings('id', 'c1'))).toEqual([7]);
    expect(refs(p.postings('g', 'a'))).toEqual([2]);
    expect(refs(p.postings('g', 'b'))).toEqual([4, 6]);
    expect(p.labelValues('id')).toEqual(['c1', 'c2', 'c4', 'c6']);
    expect(refs(p.allPostings())).toEqual([2, 4, 6, 7]);
    // a value whose one series was dropped comes back with a new one
    p.add(8, ['id', 'c3']);
    expect(refs(p.postings('id', 'c3'))).toEqual([8]);
  });
});
