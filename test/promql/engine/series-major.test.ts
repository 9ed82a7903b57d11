// rate, increase and delta of a plain range selector, and plain instant selectors, in a range query are
// evaluated for all steps at once, series by series (and sum/count/min/max over them without a per-step
// vector): each step of the range result must equal the instant query at that time, which takes the step-by-step path.
import { describe, expect, it } from 'vitest';
import { Engine, type QueryResult } from '../../../src/promql/engine/index.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { storeSeries } from '../../support/promql-storage.js';

const S = 15_000;
const data = storeSeries(S, [
  [
    { __name__: 'req_total', job: 'a', instance: '1' },
    [0, 10, 20, 30, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 105],
  ],
  [
    { __name__: 'req_total', job: 'a', instance: '2' },
    [1, 2, 3, 'stale', null, null, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  ],
  [
    { __name__: 'req_total', job: 'b', instance: '1' },
    [0, 1e16, 2e16, 3, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1],
  ],
  [{ __name__: 'gauge', job: 'a' }, [5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5, -6, -7, -8, -9]],
  [{ __name__: 'other_total', job: 'a', instance: '1' }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]],
]);

const engine = new Engine({ lookbackDelta: 5 * 60_000, timeout: 10_000, maxSamples: 1_000_000 });

function byLabels(r: QueryResult, t: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (r.value.type === 'vector') for (const s of r.value.samples) out[s.labels.toString()] = s.v;
  if (r.value.type === 'matrix')
    for (const s of r.value.series) {
      const i = Array.from(s.t).indexOf(t);
      if (i >= 0) out[s.labels.toString()] = s.v[i];
    }
  return out;
}

const QUERIES = [
  'rate(req_total[1m])',
  'increase(req_total[45s])',
  'delta(gauge[1m])',
  'rate(req_total[1m] offset 30s)',
  'rate(req_total[1m] @ 120)',
  'sum by (job) (rate(req_total[1m]))',
  'sum(increase(req_total[2m]))',
  'count without (instance) (rate(req_total[1m]))',
  'max by (job) (rate(req_total[30s]))',
  'min(delta(gauge[1m]))',
  'sum by (job) ((rate(req_total[1m])))',
  'count by (job) (req_total)',
  'sum(gauge offset 30s)',
  'max without (instance) (req_total)',
  'min by (instance) (req_total @ 60)',
  'sum(req_total) + count(gauge)',
];

describe('series-major rate family in range queries', () => {
  for (const q of QUERIES) {
    it(`${q}: every step equals the instant query`, async () => {
      const start = 0;
      const end = 14 * S;
      const step = 7_000;
      const range = await engine.rangeQuery(data, parseExpr(q), start, end, step);
      for (let t = start; t <= end; t += step) {
        const inst = await engine.instantQuery(data, parseExpr(q), t);
        expect(byLabels(range, t), `at ${t}`).toEqual(byLabels(inst, t));
      }
    });
  }

  it('fails where two series collide once their name is dropped, as at each step', async () => {
    const q = parseExpr('sum(rate({job="a",instance="1"}[1m]))');
    await expect(engine.rangeQuery(data, q, 60_000, 120_000, 15_000)).rejects.toThrow(
      'vector cannot contain metrics with the same labelset',
    );
  });

  it('counts the windows against --query.max-samples as the step path does', async () => {
    const small = new Engine({ lookbackDelta: 5 * 60_000, timeout: 10_000, maxSamples: 10 });
    const q = 'sum(rate(req_total[2m]))';
    await expect(small.rangeQuery(data, parseExpr(q), 0, 14 * S, S)).rejects.toThrow(
      'query processing would load too many samples into memory',
    );
    await expect(small.instantQuery(data, parseExpr(q), 14 * S)).rejects.toThrow(
      'query processing would load too many samples into memory',
    );
  });
});
