import { describe, expect, it } from 'vitest';
import { Engine, QueryError, type QueryResult } from '../../../src/promql/engine/index.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import type { MemoryStorage } from '../../../src/storage/memory.js';
import { storeSeries, type SeriesDef } from '../../support/promql-storage.js';

const M = 60_000;

function store(defs: SeriesDef[]): MemoryStorage {
  return storeSeries(M, defs);
}

const engine = new Engine({
  lookbackDelta: 5 * M,
  timeout: 10_000,
  maxSamples: 50_000_000,
  features: new Set(['promql-experimental-functions']),
});

async function instant(st: MemoryStorage, q: string, t: number, e = engine): Promise<QueryResult> {
  return e.instantQuery(st, parseExpr(q, { features: new Set(['promql-experimental-functions']) }), t);
}

function vec(r: QueryResult): Record<string, number> {
  if (r.value.type !== 'vector') throw new Error(`not a vector: ${r.value.type}`);
  const out: Record<string, number> = {};
  for (const s of r.value.samples) out[s.labels.toString()] = s.v;
  return out;
}

function scalar(r: QueryResult): number {
  if (r.value.type !== 'scalar') throw new Error(`not a scalar: ${r.value.type}`);
  return r.value.v;
}

const data = store([
  [
    { __name__: 'http', job: 'api', instance: 'a', code: '200' },
    [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
  ],
  [{ __name__: 'http', job: 'api', instance: 'b', code: '200' }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  [{ __name__: 'http', job: 'api', instance: 'a', code: '500' }, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]],
  [{ __name__: 'up', job: 'api', instance: 'a' }, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
  [{ __name__: 'up', job: 'api', instance: 'b' }, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
  [{ __name__: 'sparse' }, [1, null, null, null, null, null, null, 8]],
  [{ __name__: 'staled' }, [1, 2, 'stale', null, null, 5]],
]);

describe('selectors', () => {
  it('takes the newest sample within the lookback delta', async () => {
    expect(vec(await instant(data, 'sparse', 0))).toEqual({ sparse: 1 });
    expect(vec(await instant(data, 'sparse', 4 * M + 59_999))).toEqual({ sparse: 1 });
    // the window (t - lookback, t] is left-open
    expect(vec(await instant(data, 'sparse', 5 * M))).toEqual({});
    expect(vec(await instant(data, 'sparse', 7 * M))).toEqual({ sparse: 8 });
  });

  it('ends a series at a stale marker', async () => {
    expect(vec(await instant(data, 'staled', 1 * M + 30_000))).toEqual({ staled: 2 });
    expect(vec(await instant(data, 'staled', 2 * M))).toEqual({});
    expect(vec(await instant(data, 'staled', 4 * M))).toEqual({});
    expect(vec(await instant(data, 'staled', 5 * M))).toEqual({ staled: 5 });
  });

  it('applies offset and @', async () => {
    expect(vec(await instant(data, 'http{instance="b"} offset 3m', 10 * M))).toEqual({
      'http{code="200", instance="b", job="api"}': 7,
    });
    expect(vec(await instant(data, 'http{instance="b"} @ 120', 10 * M))).toEqual({
      'http{code="200", instance="b", job="api"}': 2,
    });
    expect(vec(await instant(data, 'http{instance="b"} @ 300 offset 1m', 10 * M))).toEqual({
      'http{code="200", instance="b", job="api"}': 4,
    });
    const r = await engine.rangeQuery(data, parseExpr('http{instance="b"} @ start()'), 2 * M, 4 * M, M);
    expect(r.value.type).toBe('matrix');
    if (r.value.type === 'matrix') expect([...r.value.series[0].v]).toEqual([2, 2, 2]);
    const r2 = await engine.rangeQuery(data, parseExpr('http{instance="b"} @ end()'), 2 * M, 4 * M, M);
    if (r2.value.type === 'matrix') expect([...r2.value.series[0].v]).toEqual([4, 4, 4]);
  });

  it('returns range selectors as a matrix with left-open windows, without stale markers', async () => {
    const r = await instant(data, 'http{instance="b"}[2m]', 5 * M);
    expect(r.value.type).toBe('matrix');
    if (r.value.type !== 'matrix') return;
    expect([...r.value.series[0].t]).toEqual([4 * M, 5 * M]);
    const s = await instant(data, 'staled[3m]', 3 * M);
    if (s.value.type === 'matrix') expect([...s.value.series[0].v]).toEqual([2]);
  });
});

describe('subqueries', () => {
  it('aligns inner steps to multiples of the step', async () => {
    const r = await instant(data, 'http{instance="b"}[5m:2m]', 9 * M + 30_000);
    if (r.value.type !== 'matrix') throw new Error();
    // multiples of 2m in (4m30s, 9m30s]
    expect([...r.value.series[0].t]).toEqual([6 * M, 8 * M]);
    expect([...r.value.series[0].v]).toEqual([6, 8]);
  });

  it('uses the default evaluation interval and feeds range functions', async () => {
    const r = await instant(data, 'sum_over_time(http{instance="b"}[3m:])', 10 * M);
    expect(vec(r)).toEqual({ '{code="200", instance="b", job="api"}': 8 + 9 + 10 });
    const o = await instant(data, 'max_over_time(http{instance="b"}[3m:1m] offset 2m)', 10 * M);
    expect(vec(o)).toEqual({ '{code="200", instance="b", job="api"}': 8 });
  });

  it('evaluates nested subqueries in range queries', async () => {
    const r = await engine.rangeQuery(
      data,
      parseExpr('max_over_time(rate(http{instance="b"}[2m])[4m:1m])'),
      5 * M,
      7 * M,
      M,
    );
    if (r.value.type !== 'matrix') throw new Error();
    expect(r.value.series).toHaveLength(1);
    expect([...r.value.series[0].v].map((v) => Math.round(v * 6000) / 100)).toEqual([1, 1, 1]);
  });
});

describe('binary operators', () => {
  it('computes scalar and vector/scalar arithmetic and drops the name', async () => {
    expect(scalar(await instant(data, '1 + 2 * 3 ^ 2', 0))).toBe(19);
    expect(scalar(await instant(data, '-(2) - -3', 0))).toBe(1);
    expect(scalar(await instant(data, '2 > bool 1', 0))).toBe(1);
    expect(vec(await instant(data, 'up * 2', 0))).toEqual({
      '{instance="a", job="api"}': 2,
      '{instance="b", job="api"}': 0,
    });
    expect(vec(await instant(data, '-up', 0))).toEqual({
      '{instance="a", job="api"}': -1,
      '{instance="b", job="api"}': -0,
    });
  });

  it('filters with comparisons keeping the name, and bool drops it', async () => {
    expect(vec(await instant(data, 'up == 1', 0))).toEqual({ 'up{instance="a", job="api"}': 1 });
    expect(vec(await instant(data, '1 == up', 0))).toEqual({ 'up{instance="a", job="api"}': 1 });
    expect(vec(await instant(data, 'up > bool 0', 0))).toEqual({
      '{instance="a", job="api"}': 1,
      '{instance="b", job="api"}': 0,
    });
  });

  it('matches one-to-one with on and ignoring', async () => {
    expect(vec(await instant(data, 'http{code="200"} + on(instance) up', 2 * M))).toEqual({
      '{instance="a"}': 21,
      '{instance="b"}': 2,
    });
    expect(vec(await instant(data, 'http{code="200"} + ignoring(code) up', 2 * M))).toEqual({
      '{instance="a", job="api"}': 21,
      '{instance="b", job="api"}': 2,
    });
  });

  it('matches many-to-one and one-to-many with included labels', async () => {
    const r = vec(await instant(data, 'http / on(instance) group_left(job) up', 2 * M));
    expect(r).toEqual({
      '{code="200", instance="a", job="api"}': 20,
      '{code="500", instance="a", job="api"}': 4,
      '{code="200", instance="b", job="api"}': Infinity,
    });
    const l = vec(await instant(data, 'up + on(instance) group_right http', 2 * M));
    expect(l['{code="500", instance="a", job="api"}']).toBe(5);
  });

  it('reports many-to-many and duplicate matches', async () => {
    await expect(instant(data, 'http + on(instance) up', 2 * M)).rejects.toThrow(
      /multiple matches for labels: many-to-one matching must be explicit/,
    );
    await expect(instant(data, 'up + on(instance) http', 2 * M)).rejects.toThrow(
      /found duplicate series for the match group \{instance="a"\} on the right hand-side of the operation/,
    );
    await expect(instant(data, 'http + on(job) group_left up', 2 * M)).rejects.toThrow(
      /many-to-many matching not allowed/,
    );
  });

  it('applies and/or/unless', async () => {
    expect(Object.keys(vec(await instant(data, 'http and on(instance) up == 1', 2 * M)))).toHaveLength(2);
    expect(Object.keys(vec(await instant(data, 'http unless on(instance) up == 1', 2 * M)))).toEqual([
      'http{code="200", instance="b", job="api"}',
    ]);
    const o = vec(await instant(data, 'up or http', 2 * M));
    expect(Object.keys(o)).toHaveLength(5);
    const o2 = vec(await instant(data, 'up or on(instance) http', 2 * M));
    expect(Object.keys(o2)).toHaveLength(2);
  });

  it('rejects colliding label sets after name dropping', async () => {
    await expect(instant(data, 'http{instance="b"} * 1 or up * 1', 2 * M)).resolves.toBeDefined();
    const st = store([
      [{ __name__: 'a', x: '1' }, [1]],
      [{ __name__: 'b', x: '1' }, [2]],
    ]);
    await expect(instant(st, '{x="1"} * 2', 0)).rejects.toThrow(
      'vector cannot contain metrics with the same labelset',
    );
  });
});

describe('aggregations', () => {
  it('sum, avg, count, min, max, group with by/without', async () => {
    expect(vec(await instant(data, 'sum(http)', 2 * M))).toEqual({ '{}': 20 + 2 + 4 });
    expect(vec(await instant(data, 'sum by (instance) (http)', 2 * M))).toEqual({
      '{instance="a"}': 24,
      '{instance="b"}': 2,
    });
    expect(vec(await instant(data, 'sum without (instance) (http)', 2 * M))).toEqual({
      '{code="200", job="api"}': 22,
      '{code="500", job="api"}': 4,
    });
    expect(vec(await instant(data, 'avg(http)', 2 * M))).toEqual({ '{}': 26 / 3 });
    expect(vec(await instant(data, 'count(http)', 2 * M))).toEqual({ '{}': 3 });
    expect(vec(await instant(data, 'min(http)', 2 * M))).toEqual({ '{}': 2 });
    expect(vec(await instant(data, 'max by (code) (http)', 2 * M))).toEqual({
      '{code="200"}': 20,
      '{code="500"}': 4,
    });
    expect(vec(await instant(data, 'group by (job) (http)', 2 * M))).toEqual({ '{job="api"}': 1 });
  });

  it('stddev, stdvar, quantile, count_values', async () => {
    const sd = vec(await instant(data, 'stddev(http)', 2 * M))['{}'];
    const mean = 26 / 3;
    const variance = ((20 - mean) ** 2 + (2 - mean) ** 2 + (4 - mean) ** 2) / 3;
    expect(sd).toBeCloseTo(Math.sqrt(variance), 10);
    expect(vec(await instant(data, 'stdvar(http)', 2 * M))['{}']).toBeCloseTo(variance, 10);
    expect(vec(await instant(data, 'quantile(0.5, http)', 2 * M))).toEqual({ '{}': 4 });
    expect(vec(await instant(data, 'quantile(0.75, http)', 2 * M))).toEqual({ '{}': 12 });
    const w = await instant(data, 'quantile(2, http)', 2 * M);
    expect(vec(w)).toEqual({ '{}': Infinity });
    expect(w.warnings.length).toBe(1);
    expect(vec(await instant(data, 'count_values("v", up)', 0))).toEqual({ '{v="1"}': 1, '{v="0"}': 1 });
  });

  it('topk, bottomk, limitk, limit_ratio keep labels and order', async () => {
    const r = await instant(data, 'topk(2, http)', 2 * M);
    if (r.value.type !== 'vector') throw new Error();
    expect(r.value.samples.map((s) => s.v)).toEqual([20, 4]);
    expect(r.value.samples[0].labels.metricName()).toBe('http');
    const b = await instant(data, 'bottomk by (code) (1, http)', 2 * M);
    expect(Object.values(vec(b)).sort()).toEqual([2, 4]);
    expect(Object.keys(vec(await instant(data, 'limitk(2, http)', 2 * M)))).toHaveLength(2);
    expect(Object.keys(vec(await instant(data, 'limit_ratio(1, http)', 2 * M)))).toHaveLength(3);
    expect(Object.keys(vec(await instant(data, 'limit_ratio(0, http)', 2 * M)))).toHaveLength(0);
    const capped = await instant(data, 'limit_ratio(1.1, http)', 2 * M);
    expect(Object.keys(vec(capped))).toHaveLength(3);
    expect(capped.warnings).toEqual([
      'PromQL warning: ratio value should be between -1 and 1, got 1.1, capping to 1',
    ]);
  });

  it('count_values refuses a label name that is not valid UTF-8', async () => {
    await expect(instant(data, 'count_values("a\\xc5z", http)', 2 * M)).rejects.toThrow(
      'invalid label name "a\\xc5z"',
    );
  });

  it('avg avoids overflow with the incremental mean', async () => {
    const st = store([
      [{ __name__: 'big', i: '1' }, [Number.MAX_VALUE]],
      [{ __name__: 'big', i: '2' }, [Number.MAX_VALUE]],
    ]);
    expect(vec(await instant(st, 'avg(big)', 0))).toEqual({ '{}': Number.MAX_VALUE });
  });
});

describe('functions', () => {
  it('absent and absent_over_time take labels from equality matchers', async () => {
    expect(vec(await instant(data, 'absent(nope{job="x", a=~"b"})', 0))).toEqual({ '{job="x"}': 1 });
    expect(vec(await instant(data, 'absent(up)', 0))).toEqual({});
    expect(vec(await instant(data, 'absent_over_time(nope{job="x"}[5m])', 0))).toEqual({ '{job="x"}': 1 });
  });

  it('timestamp of a selector is the sample timestamp', async () => {
    expect(vec(await instant(data, 'timestamp(sparse)', 3 * M))).toEqual({ '{}': 0 });
    expect(vec(await instant(data, 'timestamp(sparse @ 60)', 3 * M))).toEqual({ '{}': 0 });
  });

  it('timestamp of any other expression is the evaluation time, also over an inner @', async () => {
    // Prometheus: only a selector argument keeps its sample times; function results carry the step's
    expect(vec(await instant(data, 'timestamp(timestamp(sparse @ 60))', 3 * M))).toEqual({ '{}': 180 });
    expect(vec(await instant(data, 'timestamp(-sparse @ 60)', 3 * M))).toEqual({ '{}': 180 });
    expect(vec(await instant(data, 'timestamp(abs(sparse @ 60))', 3 * M))).toEqual({ '{}': 180 });
    const r = await engine.rangeQuery(data, parseExpr('timestamp(timestamp(sparse @ 60))'), 2 * M, 3 * M, M);
    if (r.value.type !== 'matrix') throw new Error(r.value.type);
    expect(Array.from(r.value.series[0].v)).toEqual([120, 180]);
  });
});

describe('type-and-unit metadata labels', () => {
  const typed = store([
    [
      { __name__: 'req_total', __type__: 'counter', __unit__: 'request', job: 'a' },
      [0, 60, 120, 180, 240, 300],
    ],
  ]);

  it('drops __type__ and __unit__ with the metric name', async () => {
    expect(vec(await instant(typed, '-req_total', 5 * M))).toEqual({ '{job="a"}': -300 });
    expect(vec(await instant(typed, 'rate(req_total[5m])', 5 * M))).toEqual({ '{job="a"}': 1 });
    expect(vec(await instant(typed, 'req_total / 2', 5 * M))).toEqual({ '{job="a"}': 150 });
  });

  it('keeps them while the metric name is kept', async () => {
    expect(vec(await instant(typed, '+req_total', 5 * M))).toEqual({
      'req_total{__type__="counter", __unit__="request", job="a"}': 300,
    });
  });
});

describe('range queries and limits', () => {
  it('warns that sort is ineffective in a range query, and only there', async () => {
    const msg =
      'PromQL warning: sort is ineffective for range queries since results are always ordered by labels';
    for (const q of ['sort(http)', 'sort_desc(http)', 'sort_by_label(http, "instance")', 'sum(sort(http))']) {
      const expr = parseExpr(q, { features: new Set(['promql-experimental-functions']) });
      const r = await engine.rangeQuery(data, expr, 0, 2 * M, M);
      expect(r.warnings).toEqual([msg]);
    }
    expect((await engine.rangeQuery(data, parseExpr('sort(http)'), M, M, M)).warnings).toEqual([]);
    expect((await instant(data, 'sort(http)', M)).warnings).toEqual([]);
  });

  it('assembles a matrix sorted by labels', async () => {
    const r = await engine.rangeQuery(data, parseExpr('http'), 0, 2 * M, M);
    if (r.value.type !== 'matrix') throw new Error();
    expect(r.value.series.map((s) => s.labels.toString())).toEqual([
      'http{code="200", instance="a", job="api"}',
      'http{code="200", instance="b", job="api"}',
      'http{code="500", instance="a", job="api"}',
    ]);
    expect([...r.value.series[0].t]).toEqual([0, M, 2 * M]);
  });

  it('returns scalars of a range query as one series', async () => {
    const r = await engine.rangeQuery(data, parseExpr('time()'), 0, 2 * M, M);
    if (r.value.type !== 'matrix') throw new Error();
    expect([...r.value.series[0].v]).toEqual([0, 60, 120]);
  });

  it('rejects too many points and range-vector expressions', async () => {
    await expect(engine.rangeQuery(data, parseExpr('up'), 0, 20_000 * 1000, 1000)).rejects.toThrow(
      'exceeded maximum resolution of 11,000 points per timeseries',
    );
    await expect(engine.rangeQuery(data, parseExpr('up[5m]'), 0, M, M)).rejects.toThrow(
      /invalid expression type "range vector"/,
    );
  });

  it('enforces max samples', async () => {
    const small = new Engine({ lookbackDelta: 5 * M, timeout: 10_000, maxSamples: 4 });
    await expect(instant(data, 'http[10m]', 10 * M, small)).rejects.toThrow(
      'query processing would load too many samples into memory in query execution',
    );
    const err = await instant(data, 'http[10m]', 10 * M, small).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).errorType).toBe('execution');
    await expect(small.rangeQuery(data, parseExpr('up'), 0, 10 * M, M)).rejects.toThrow(/too many samples/);
  });

  it('times out and honours abort', async () => {
    const slow = new Engine({ lookbackDelta: 5 * M, timeout: -1, maxSamples: 1e9 });
    const err = await slow.rangeQuery(data, parseExpr('up'), 0, 10 * M, M).catch((e: unknown) => e);
    expect((err as QueryError).errorType).toBe('timeout');
    expect((err as QueryError).message).toBe('query timed out in expression evaluation');
    const ac = new AbortController();
    ac.abort();
    const c = await engine
      .rangeQuery(data, parseExpr('up'), 0, 10 * M, M, ac.signal)
      .catch((e: unknown) => e);
    expect((c as QueryError).errorType).toBe('canceled');
  });
});

describe('long queries and repeated steps', () => {
  it('gives the event loop turns inside a single long step', async () => {
    // one instant step whose subquery has 100,000 inner steps: without yields inside the step,
    // no timer could run before the query resolves
    const st = store([[{ __name__: 'one' }, [1]]]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const r = await instant(st, 'count_over_time(vector(1)[100000s:1s])', 0);
      expect(vec(r)).toEqual({ '{}': 100_000 });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('evaluates a subquery once for a range query and windows it per step', async () => {
    const r = await engine.rangeQuery(
      data,
      parseExpr('sum_over_time(http{instance="b"}[3m:1m])'),
      3 * M,
      10 * M,
      M,
    );
    if (r.value.type !== 'matrix') throw new Error();
    // each step sums the values at the three inner steps in (t-3m, t]
    expect([...r.value.series[0].v]).toEqual([
      1 + 2 + 3,
      2 + 3 + 4,
      3 + 4 + 5,
      4 + 5 + 6,
      5 + 6 + 7,
      6 + 7 + 8,
      7 + 8 + 9,
      8 + 9 + 10,
    ]);
  });

  it('follows a changing right-hand side of group_left across steps', async () => {
    const st = store([
      [{ __name__: 'x', instance: 'a' }, [1, 1, 1, 1, 1, 1]],
      [{ __name__: 'info', instance: 'a', version: '1' }, [1, 1, 1, 'stale']],
      [{ __name__: 'info', instance: 'a', version: '2' }, [null, null, null, 1, 1, 1]],
    ]);
    const r = await engine.rangeQuery(
      st,
      parseExpr('x * on(instance) group_left(version) info'),
      0,
      5 * M,
      M,
    );
    if (r.value.type !== 'matrix') throw new Error();
    expect(r.value.series.map((s) => [s.labels.toString(), [...s.t].map((t) => t / M)])).toEqual([
      ['{instance="a", version="1"}', [0, 1, 2]],
      ['{instance="a", version="2"}', [3, 4, 5]],
    ]);
  });

  it('still finds colliding label sets in a later step of a range query', async () => {
    const st = store([
      [{ __name__: 'a', job: 'j' }, [1, 1, 1]],
      [{ __name__: 'b', job: 'j' }, [null, null, 1]],
    ]);
    const err = await engine.rangeQuery(st, parseExpr('-{job="j"}'), 0, 2 * M, M).catch((e: unknown) => e);
    expect((err as QueryError).message).toBe('vector cannot contain metrics with the same labelset');
  });
});

describe('query-context functions', () => {
  const exp = new Set(['promql-experimental-functions', 'promql-duration-expr']);
  const ctxEngine = new Engine({
    lookbackDelta: 5 * M,
    timeout: 10_000,
    maxSamples: 50_000_000,
    features: exp,
  });

  it('start(), end(), range() and step() return the query bounds in seconds', async () => {
    const r = await ctxEngine.rangeQuery(
      data,
      parseExpr('start() + end() * 1000 + range() * 1e6', { features: exp }),
      2 * M,
      4 * M,
      M,
    );
    if (r.value.type !== 'matrix') throw new Error();
    expect(Array.from(r.value.series[0].v)).toEqual([
      120 + 240_000 + 120e6,
      120 + 240_000 + 120e6,
      120 + 240_000 + 120e6,
    ]);
    const st = await ctxEngine.rangeQuery(data, parseExpr('step()', { features: exp }), 0, 2 * M, M);
    if (st.value.type !== 'matrix') throw new Error();
    expect(Array.from(st.value.series[0].v)).toEqual([60, 60, 60]);
    expect(scalar(await ctxEngine.instantQuery(data, parseExpr('start()', { features: exp }), 3 * M))).toBe(
      180,
    );
    expect(scalar(await ctxEngine.instantQuery(data, parseExpr('range()', { features: exp }), 3 * M))).toBe(
      0,
    );
  });

  it('min_of and max_of take the smaller/larger scalar, NaN-propagating', async () => {
    expect(scalar(await instant(data, 'min_of(3, 5)', 0))).toBe(3);
    expect(scalar(await instant(data, 'max_of(3, 5)', 0))).toBe(5);
    expect(scalar(await instant(data, 'max_of(NaN, 5)', 0))).toBeNaN();
  });

  it('evaluates range() and min_of() in duration expressions', async () => {
    const r = await ctxEngine.rangeQuery(
      data,
      parseExpr('up{instance="a"} offset min_of(range(), 1m) + 1', { features: exp }),
      2 * M,
      4 * M,
      M,
    );
    if (r.value.type !== 'matrix') throw new Error();
    expect(Array.from(r.value.series[0].v)).toEqual([2, 2, 2]);
  });
});
