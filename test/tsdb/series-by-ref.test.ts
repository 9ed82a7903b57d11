import { describe, expect, it } from 'vitest';
import { SeriesByRef } from '../../src/tsdb/series-by-ref.js';

describe('SeriesByRef', () => {
  it('finds, replaces and deletes values by ref, across pages', () => {
    const m = new SeriesByRef<string>();
    const refs = [1, 2, 1023, 1024, 1025, 5000, 70_000];
    for (const r of refs) m.set(r, `s${r}`);
    expect(m.size).toBe(refs.length);
    for (const r of refs) expect(m.get(r)).toBe(`s${r}`);
    for (const r of [0, 3, 1026, 4999, 69_999, 70_001, 1 << 20]) expect(m.get(r)).toBeUndefined();
    expect(m.has(5000)).toBe(true);
    expect(m.has(5001)).toBe(false);

    m.set(1024, 'again');
    expect(m.size).toBe(refs.length);
    expect(m.get(1024)).toBe('again');

    expect(m.delete(1024)).toBe(true);
    expect(m.delete(1024)).toBe(false);
    expect(m.delete(9999)).toBe(false);
    expect(m.get(1024)).toBeUndefined();
    expect(m.get(1025)).toBe('s1025');
    expect(m.size).toBe(refs.length - 1);
  });

  it('lists values in ref order, whatever the order they came in', () => {
    const m = new SeriesByRef<number>();
    for (const r of [3000, 7, 2048, 1, 2047]) m.set(r, r);
    expect([...m.values()]).toEqual([1, 7, 2047, 2048, 3000]);
  });

  it('drops a page whose refs are all gone and makes it again when needed', () => {
    const m = new SeriesByRef<number>();
    for (let r = 1; r <= 3000; r++) m.set(r, r);
    for (let r = 1024; r < 2048; r++) m.delete(r);
    expect(m.size).toBe(3000 - 1024);
    expect(m.get(1500)).toBeUndefined();
    expect([...m.values()].length).toBe(3000 - 1024);
    m.set(1500, -1);
    expect(m.get(1500)).toBe(-1);
    expect(m.get(1501)).toBeUndefined();
    expect(m.size).toBe(3000 - 1023);
  });

  it('keeps refs no page can hold (beyond 2^32, fractional, negative) apart, without aliasing', () => {
    const m = new SeriesByRef<string>();
    m.set(5, 'five');
    const odd = [2 ** 32 + 5, 2 ** 40, 5.5, -5];
    for (const r of odd) m.set(r, `odd ${r}`);
    expect(m.get(5)).toBe('five');
    for (const r of odd) expect(m.get(r)).toBe(`odd ${r}`);
    expect(m.size).toBe(5);
    expect([...m.values()]).toEqual(['five', ...odd.map((r) => `odd ${r}`)]);
    expect(m.delete(2 ** 40)).toBe(true);
    expect(m.get(2 ** 40)).toBeUndefined();
    expect(m.size).toBe(4);
  });
});
