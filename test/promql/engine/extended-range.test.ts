// Experimental extended range selectors (promql-extended-range-selectors): `anchored` and `smoothed`.
import { describe, expect, it } from 'vitest';
import { Engine, type QueryResult } from '../../../src/promql/engine/index.js';
import { extendFloats } from '../../../src/promql/engine/evaluator.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import type { MemoryStorage } from '../../../src/storage/memory.js';
import { storeSeries } from '../../support/promql-storage.js';

const S = 1000;
const M = 60 * S;
const FEATURES = new Set(['promql-extended-range-selectors']);

const store = storeSeries;

const engine = new Engine({
  lookbackDelta: 5 * M,
  timeout: 10_000,
  maxSamples: 1_000_000,
  features: FEATURES,
});

async function instant(st: MemoryStorage, q: string, t: number): Promise<QueryResult> {
  return engine.instantQuery(st, parseExpr(q, { features: FEATURES }), t);
}

async function value(st: MemoryStorage, q: string, t: number): Promise<number | undefined> {
  const r = await instant(st, q, t);
  if (r.value.type !== 'vector') throw new Error(`not a vector: ${r.value.type}`);
  expect(r.value.samples.length).toBeLessThanOrEqual(1);
  return r.value.samples[0]?.v;
}

describe('anchored', () => {
  // 1 2 3 4 5 9 10 11 12 13 every 15s
  const st = store(15 * S, [[{ __name__: 'metric' }, [1, 2, 3, 4, 5, 9, 10, 11, 12, 13]]]);

  it('increase uses the sample at or before the window start as the left boundary', async () => {
    expect(await value(st, 'increase(metric[1m] anchored)', 5 * S)).toBe(0);
    expect(await value(st, 'increase(metric[1m] anchored)', 20 * S)).toBe(1);
    expect(await value(st, 'increase(metric[1m] anchored)', 80 * S)).toBe(7);
    expect(await value(st, 'rate(metric[1m] anchored)', 80 * S)).toBeCloseTo(7 / 60, 12);
  });

  it('corrects for counter resets and is not a counter for delta', async () => {
    const r = store(M, [[{ __name__: 'c' }, [5, 8, 11, 3, 6]]]);
    expect(await value(r, 'increase(c[1m] anchored)', 3 * M + 30 * S)).toBe(3);
    expect(await value(r, 'delta(c[1m] anchored)', 3 * M)).toBe(-8);
  });

  it('changes and resets count the anchor transition; the anchor must be within the lookback delta', async () => {
    const r = store(M, [[{ __name__: 'g' }, [2, null, 1, null, null, null, null, null, 0]]]);
    expect(await value(r, 'changes(g[1m] anchored)', 2 * M)).toBe(1);
    expect(await value(r, 'resets(g[1m] anchored)', 2 * M)).toBe(1);
    // nothing inside (2m, 3m]: no result
    expect(await value(r, 'changes(g[1m] anchored)', 3 * M)).toBeUndefined();
    // the 2m sample is exactly one lookback delta before the window start
    expect(await value(r, 'changes(g[1m] anchored)', 8 * M)).toBe(0);
    expect(await value(r, 'changes(g[1m1ms] anchored)', 8 * M)).toBe(1);
  });

  it('a bare anchored range selector has synthetic points at both boundaries', async () => {
    const r = await instant(st, 'metric[1m] anchored', 70 * S);
    if (r.value.type !== 'matrix') throw new Error('not a matrix');
    const s = r.value.series[0];
    expect(Array.from(s.t)).toEqual([10 * S, 15 * S, 30 * S, 45 * S, 60 * S, 70 * S]);
    expect(Array.from(s.v)).toEqual([1, 2, 3, 4, 5, 5]);
  });

  it('is rejected for other functions', async () => {
    await expect(instant(st, 'max_over_time(metric[1m] anchored)', 0)).rejects.toThrow(
      'anchored modifier can only be used with: changes, delta, increase, rate, resets - not with max_over_time',
    );
  });
});

describe('smoothed', () => {
  it('interpolates at the window boundaries', async () => {
    const st = store(M, [[{ __name__: 'm' }, [1, 2, null, 4, 5]]]);
    // left boundary at 1m is a sample, right boundary 2m interpolated between 1m and 3m
    expect(await value(st, 'increase(m[1m] smoothed)', 2 * M)).toBe(1);
    expect(await value(st, 'increase(m[1m] anchored)', 2 * M)).toBeUndefined();
  });

  it('models a counter reset between the interpolation points as starting from zero', async () => {
    const st = store(15 * S, [[{ __name__: 'c' }, [100, 10]]]);
    expect(await value(st, 'rate(c[10s] smoothed)', 12 * S)).toBeCloseTo(0.666666666666667, 12);
    const r = store(M, [[{ __name__: 'c' }, [9, 8, 5, 4]]]);
    expect(await value(r, 'increase(c[2m] smoothed)', 2 * M + 15 * S)).toBe(12);
  });

  it('returns nothing when all data is on one side of the window', async () => {
    const st = store(10 * S, [[{ __name__: 'm' }, [null, 5, 6, 7, 8, 9]]]);
    expect(await value(st, 'rate(m[5s] smoothed)', 5 * S)).toBeUndefined();
    expect(await value(st, 'increase(m[10s] smoothed)', 15 * S)).toBe(0.5);
    expect(await value(st, 'increase(m[5s] smoothed)', 60 * S)).toBeUndefined();
  });

  it('interpolates an instant vector selector at the evaluation time', async () => {
    const st = store(10 * S, [[{ __name__: 'm' }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]]);
    expect(await value(st, 'm smoothed', 15 * S)).toBe(2.5);
    expect(await value(st, 'm smoothed', 10 * S)).toBe(2);
    // no later sample: the last one is carried forward
    expect(await value(st, 'm smoothed', 105 * S)).toBe(11);
    expect(await value(st, 'm offset -2s smoothed', 15 * S)).toBeCloseTo(2.7, 12);
  });

  it('is rejected for functions other than rate, increase and delta', async () => {
    const st = store(M, [[{ __name__: 'm' }, [1]]]);
    await expect(instant(st, 'changes(m[3m] smoothed)', 0)).rejects.toThrow(
      'smoothed modifier can only be used with: delta, increase, rate - not with changes',
    );
  });
});

describe('extendFloats', () => {
  it('picks (anchored) or interpolates (smoothed) the boundary points', () => {
    const t = Float64Array.from([0, 10, 20, 30]);
    const v = Float64Array.from([0, 10, 20, 30]);
    expect(extendFloats(t, v, 5, 25, false)).toEqual({
      t: Float64Array.from([5, 10, 20, 25]),
      v: Float64Array.from([0, 10, 20, 30]),
    });
    expect(extendFloats(t, v, 5, 25, true)).toEqual({
      t: Float64Array.from([5, 10, 20, 25]),
      v: Float64Array.from([5, 10, 20, 25]),
    });
    expect(extendFloats(Float64Array.from([0]), Float64Array.from([1]), 5, 25, false)).toBeUndefined();
  });
});
