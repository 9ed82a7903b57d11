// Start timestamps in PromQL (use-start-timestamps): what the feature switches on and off. The
// semantics themselves are checked by Prometheus's start_timestamps.test (promqltest conformance).
import { describe, expect, it } from 'vitest';
import { Engine, type QueryResult } from '../../../src/promql/engine/index.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { Labels } from '../../../src/model/labels.js';
import { MemoryStorage } from '../../../src/storage/memory.js';

const M = 60_000;
const BASE = new Set(['promql-experimental-functions']);
const WITH_ST = new Set([...BASE, 'use-start-timestamps']);

function engine(features: ReadonlySet<string>): (q: string, t: number) => Promise<QueryResult> {
  const e = new Engine({ lookbackDelta: 5 * M, timeout: 10_000, maxSamples: 1_000_000, features });
  return (q, t) => e.instantQuery(store, parseExpr(q, { features }), t);
}

// a counter that restarted at 3m30s without going down: 0 60 120 | 150 (since 3m30s) 210
const store = new MemoryStorage();
store.add(Labels.fromPairs(['__name__', 'c']), [
  [1 * M, 0, 30_000],
  [2 * M, 60, 30_000],
  [3 * M, 120, 30_000],
  [4 * M, 150, 3.5 * M],
  [5 * M, 210, 3.5 * M],
]);

const values = (r: QueryResult): number[] =>
  r.value.type === 'vector' ? r.value.samples.map((s) => s.v) : [Number.NaN];

describe('start timestamps in PromQL', () => {
  it('count as resets and stand for a zero sample only with use-start-timestamps', async () => {
    const on = engine(WITH_ST);
    const off = engine(BASE);
    expect(values(await on('resets(c[5m])', 5 * M))).toEqual([1]);
    expect(values(await off('resets(c[5m])', 5 * M))).toEqual([0]);
    // 120 before the restart and 210 since; the first ST (30s) is in the window, so it starts from
    // zero there instead of extrapolating (without STs: no reset, and the zero point is at 1m)
    expect(values(await on('increase(c[5m])', 5 * M))).toEqual([120 + 210]);
    expect(values(await off('increase(c[5m])', 5 * M))).toEqual([210]);
    // irate across the restart takes the last value as the increase
    expect(values(await on('irate(c[5m])', 4 * M))).toEqual([150 / 60]);
    expect(values(await off('irate(c[5m])', 4 * M))).toEqual([30 / 60]);
  });

  it('start_timestamp() reads the ST of the sample a selector picks; nothing without the feature or a selector', async () => {
    expect(values(await engine(WITH_ST)('start_timestamp(c)', 4 * M))).toEqual([210]);
    expect(values(await engine(BASE)('start_timestamp(c)', 4 * M))).toEqual([]);
    expect(values(await engine(WITH_ST)('start_timestamp(c + 1)', 4 * M))).toEqual([]);
    expect(() => parseExpr('start_timestamp(c)', { features: new Set() })).toThrow(
      /function "start_timestamp"/,
    );
  });

  it('warns when the start of a sample reaches back over the previous one', async () => {
    const s = new MemoryStorage();
    s.add(Labels.fromPairs(['__name__', 'o']), [
      [1 * M, 1, 0.5 * M],
      [2 * M, 2, 0.2 * M],
    ]);
    const e = new Engine({ lookbackDelta: 5 * M, timeout: 10_000, maxSamples: 1_000_000, features: WITH_ST });
    const r = await e.instantQuery(s, parseExpr('rate(o[5m])', { features: WITH_ST }), 2 * M);
    expect(r.warnings).toEqual([
      'PromQL warning: sample has start time that overlaps with previous sample timestamp for metric "o"',
    ]);
  });
});
