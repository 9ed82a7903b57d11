import { describe, expect, it } from 'vitest';
import { uninitializedFloat64 } from '../../src/storage/arrays.js';
import { mergeSampleBatches } from '../../src/storage/merge.js';

describe('uninitializedFloat64', () => {
  it('gives an array of n samples over a buffer of its own, which can be transferred to a worker', () => {
    for (const n of [1, 7, 120, 4096, 5760]) {
      const a = uninitializedFloat64(n);
      expect(a.length).toBe(n);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(n * 8);
      a.fill(1.5);
      const moved = structuredClone(a, { transfer: [a.buffer] });
      expect(moved.length).toBe(n);
      expect(moved[n - 1]).toBe(1.5);
      expect(a.buffer.byteLength).toBe(0); // detached: it was not a slice of a shared pool
    }
  });
});

describe('mergeSampleBatches over unzeroed arrays', () => {
  it('returns exactly the merged samples, whatever the memory held before', () => {
    // memory freed with garbage in it, for the allocator to hand out again
    for (let i = 0; i < 50; i++) uninitializedFloat64(2000).fill(NaN);
    const batch = (ts: number[]) => ({
      t: Float64Array.from(ts),
      v: Float64Array.from(ts, (t) => t / 10),
      length: ts.length,
    });
    // overlapping (merged sample by sample, one duplicate dropped) and disjoint (concatenated)
    const merged = mergeSampleBatches([batch([1, 3, 5, 7]), batch([2, 3, 4])]);
    expect([...merged.t.subarray(0, merged.length)]).toEqual([1, 2, 3, 4, 5, 7]);
    expect(merged.t.length).toBe(6);
    expect([...merged.v]).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.7]);
    const joined = mergeSampleBatches([batch([10, 11]), batch([1, 2, 3])]);
    expect([...joined.t]).toEqual([1, 2, 3, 10, 11]);
    expect([...joined.v]).toEqual([0.1, 0.2, 0.3, 1, 1.1]);
  });
});
