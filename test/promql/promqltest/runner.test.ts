// The runner and Prometheus's comparison rules, against a tiny stub engine (bare metric names,
// number and string literals, a failing and an annotating query).
import { describe, expect, it } from 'vitest';
import { Labels } from '../../../src/model/labels.js';
import { Matcher } from '../../../src/model/matcher.js';
import { isStaleNaN } from '../../../src/model/value.js';
import type { Queryable } from '../../../src/storage/interfaces.js';
import { almostEqual, compareResult } from '../../../src/promql/promqltest/compare.js';
import {
  atModifierVariants,
  runScript,
  summarise,
  type TestEngine,
  type TestParser,
  type TestQueryResult,
} from '../../../src/promql/promqltest/runner.js';
import { parseScript, type EvalCommand } from '../../../src/promql/promqltest/script.js';
import { defaultDeps } from '../../../src/promql/promqltest/defaults.js';

const LOOKBACK = 300_000;

function instant(q: Queryable, expr: string, t: number): TestQueryResult {
  if (expr === 'boom') throw new Error('something went wrong');
  if (expr.startsWith('"'))
    return { value: { type: 'string', t, v: expr.slice(1, -1) }, warnings: [], infos: [] };
  if (/^[0-9.]+$/.test(expr))
    return { value: { type: 'scalar', t, v: Number(expr) }, warnings: [], infos: [] };
  const name = expr === 'warnme' ? 'metric' : expr;
  const querier = q.querier(t - LOOKBACK + 1, t);
  const samples = [];
  for (const s of querier.select([new Matcher('=', '__name__', name)])) {
    const b = s.samples();
    if (b.length > 0 && !isStaleNaN(b.v[b.length - 1]))
      samples.push({ labels: s.labels, t, v: b.v[b.length - 1] });
  }
  return {
    value: { type: 'vector', samples },
    warnings: expr === 'warnme' ? ['PromQL warning: careful'] : [],
    infos: [],
  };
}

const stub: TestEngine = {
  instantQuery: instant,
  rangeQuery(q, expr, start, end, step) {
    const byKey = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
    for (let t = start; t <= end; t += step) {
      const r = instant(q, expr, t);
      const samples =
        r.value.type === 'vector'
          ? r.value.samples
          : r.value.type === 'scalar'
            ? [{ labels: Labels.EMPTY, t, v: r.value.v }]
            : [];
      for (const s of samples) {
        const k = JSON.stringify(s.labels.pairs);
        let e = byKey.get(k);
        if (e === undefined) byKey.set(k, (e = { labels: s.labels, t: [], v: [] }));
        e.t.push(t);
        e.v.push(s.v);
      }
    }
    const series = [...byKey.values()]
      .sort((a, b) => (JSON.stringify(a.labels.pairs) < JSON.stringify(b.labels.pairs) ? -1 : 1))
      .map((e) => ({ labels: e.labels, t: Float64Array.from(e.t), v: Float64Array.from(e.v) }));
    return { value: { type: 'matrix', series }, warnings: expr === 'warnme' ? ['careful'] : [], infos: [] };
  },
};

const run = (text: string, parser?: TestParser) => runScript(text, 'x.test', { engine: stub, parser });

describe('almostEqual', () => {
  it('follows Prometheus almost.Equal', () => {
    expect(almostEqual(NaN, NaN)).toBe(true);
    expect(almostEqual(1, 1 + 1e-7)).toBe(true);
    expect(almostEqual(1, 1.00001)).toBe(false);
    expect(almostEqual(0, 1e-300)).toBe(false);
    expect(almostEqual(Infinity, Infinity)).toBe(true);
    expect(almostEqual(1, NaN)).toBe(false);
  });
});

describe('runner', () => {
  const data = `
load 1m
  metric{a="1"} 1+1x4
  metric{a="2"} 10 _ stale 13
`;

  it('passes matching instant and range evals, in range mode too', async () => {
    const out = await run(`${data}
eval instant at 1m metric
  metric{a="1"} 2
  metric{a="2"} 10

eval range from 0 to 3m step 1m metric
  metric{a="1"} 1 2 3 4
  metric{a="2"} 10 10 _ 13

eval instant at 0 1.5
  1.5

eval instant at 0 "hi"
  expect string "hi"
`);
    expect(out.map((o) => [o.line, o.passed, o.error])).toEqual([
      [6, true, undefined],
      [10, true, undefined],
      [14, true, undefined],
      [17, true, undefined],
    ]);
  });

  it('fails wrong values, missing and unexpected series, with expected and got', async () => {
    const out = await run(`${data}
eval instant at 1m metric
  metric{a="1"} 3
  metric{a="2"} 10

eval instant at 1m metric
  metric{a="1"} 2

eval instant at 1m metric
  metric{a="1"} 2
  metric{a="2"} 10
  metric{a="3"} 1

eval instant at 0 1.5
  {} 1.5
`);
    expect(out.map((o) => o.passed)).toEqual([false, false, false, false]);
    expect(out[0].error).toMatch(/expected 3 for metric\{a="1"\} but got 2/);
    expect(out[0].got).toContain('metric{a="1"} 2');
    expect(out[0].expected).toContain('metric{a="1"} 3');
    expect(out[1].error).toMatch(/unexpected metric metric\{a="2"\}/);
    expect(out[2].error).toMatch(/expected metric metric\{a="3"\} with \[1\] not found/);
    expect(out[3].error).toMatch(/expected vector or matrix result, but got scalar/);
  });

  it('checks failures and their messages', async () => {
    const out = await run(`
eval instant at 0 boom
  expect fail

eval instant at 0 boom
  expect fail msg: something went wrong

eval instant at 0 boom
  expect fail regex: went w.*

eval instant at 0 boom
  expect fail msg: other

eval_fail instant at 0 boom
  expected_fail_message something went wrong

eval instant at 0 1
  expect fail

eval instant at 0 boom
`);
    expect(out.map((o) => o.passed)).toEqual([true, true, true, false, true, false, false]);
    expect(out[5].error).toMatch(/expected error/);
  });

  it('checks annotations (prefix added when the engine leaves it out)', async () => {
    const out = await run(`${data}
eval instant at 0 warnme
  expect warn
  metric{a="1"} 1
  metric{a="2"} 10

eval instant at 0 warnme
  expect warn msg: PromQL warning: careful
  metric{a="1"} 1
  metric{a="2"} 10

eval instant at 0 warnme
  expect no_warn
  metric{a="1"} 1
  metric{a="2"} 10

eval instant at 0 warnme
  expect warn msg: PromQL warning: other
  metric{a="1"} 1
  metric{a="2"} 10

eval instant at 0 warnme
  expect info
  metric{a="1"} 1
  metric{a="2"} 10

eval_warn instant at 0 metric
  metric{a="1"} 1
  metric{a="2"} 10
`);
    expect(out.map((o) => o.passed)).toEqual([true, true, false, false, false, false]);
  });

  it('checks order only with expect ordered', async () => {
    const out = await run(`${data}
eval instant at 1m metric
  metric{a="2"} 10
  metric{a="1"} 2

eval instant at 1m metric
  expect ordered
  metric{a="2"} 10
  metric{a="1"} 2

eval instant at 1m metric
  expect ordered
  metric{a="1"} 2
  metric{a="2"} 10

eval range from 0 to 1m step 1m metric
  expect ordered
  metric{a="1"} 1 2
  metric{a="2"} 10 10
`);
    expect(out.map((o) => o.passed)).toEqual([true, false, true, false]);
  });

  it('compares range points at start + i*step, omitted points included', async () => {
    const out = await run(`${data}
eval range from 0 to 3m step 1m metric
  metric{a="1"} 1 2 3 4
  metric{a="2"} 10 10 13 13

eval range from 0 to 1m step 1m metric
  metric{a="1"} 1 2 3
  metric{a="2"} 10 10
`);
    expect(out.map((o) => o.passed)).toEqual([false, false]);
    expect(out[1].error).toMatch(/cannot return this many points/);
  });

  it("loads @st lines as the samples' start timestamps (real engine)", async () => {
    const out = await runScript(
      `
load 1m
  c@st _ -30s -90s -1s
  c    _ 60   120   180
  d    _ 60   120   180

eval instant at 3m start_timestamp(c)
  {} 179

eval instant at 3m resets(c[5m])
  {} 1

eval instant at 3m resets(d[5m])
  {} 0
`,
      'x.test',
      defaultDeps(),
    );
    expect(out.map((o) => [o.passed, o.error ?? o.got])).toEqual([
      [true, expect.anything()],
      [true, expect.anything()],
      [true, expect.anything()],
    ]);
  });

  it('loads native histograms in their notation and compares them as Prometheus does (real engine)', async () => {
    const out = await runScript(
      `
load 1m
  h {{schema:0 sum:1 count:2 buckets:[1 1]}}+{{schema:0 sum:2 count:3 buckets:[1 1 1] offset:1}}x3
  g {{schema:-53 sum:1 count:1 custom_values:[1 2] buckets:[1] counter_reset_hint:gauge}}x2

eval instant at 3m h
  h {{schema:0 sum:7 count:11 buckets:[1 4 3 3]}}

eval instant at 1m histogram_count(h)
  {} 5

eval range from 0 to 2m step 1m g
  g {{schema:-53 sum:1 count:1 custom_values:[1 2] buckets:[1] counter_reset_hint:gauge}}x2

eval instant at 3m h
  h {{schema:0 sum:7 count:11 buckets:[1 4 3 3] counter_reset_hint:gauge}}

eval instant at 3m h
  h {{schema:0 sum:7 count:11 buckets:[1 4 3 4]}}
`,
      'x.test',
      defaultDeps(),
    );
    expect(out.map((o) => o.passed)).toEqual([true, true, true, false, false]);
  });

  it('reports script errors and load errors as failures', async () => {
    const out = await run(`
bogus

load 1m
  m 1 2

load 1m
  m 0

eval instant at 0 m
  m 1
`);
    expect(out.map((o) => [o.line, o.passed])).toEqual([
      [2, false],
      [7, false],
      [10, true],
    ]);
    expect(summarise(out)).toEqual({ passed: 1, failed: 2 });
  });
});

describe('@ modifier variants', () => {
  const parser: TestParser = {
    parseExpr: (s) =>
      s === 'rate(m[1m])'
        ? {
            type: 'Call',
            func: 'rate',
            args: [{ type: 'MatrixSelector', vectorSelector: { type: 'VectorSelector', matchers: [] } }],
          }
        : s === 'time()' || s === 'start()'
          ? { type: 'Call', func: s.slice(0, -2), args: [] }
          : { type: 'SubqueryExpr', expr: { type: 'VectorSelector', matchers: [] } },
    formatExpr: (n) => JSON.stringify(n),
  };

  it('pins @ on selectors and evaluates at the times Prometheus uses', () => {
    const v = atModifierVariants('rate(m[1m])', 100_000, parser) as { expr: string; t: number }[];
    expect(v.map((x) => x.t)).toEqual([-1_000_000, 0, 20_000, 100_000, 1_000_000]);
    expect(v[0].expr).toContain('"at":{"kind":"time","ms":100000}');
    expect((atModifierVariants('rate(m[1m])', 0, parser) as { t: number }[]).map((x) => x.t)).toEqual([
      -1000, 0, 1000,
    ]);
  });

  it('leaves out time-dependent functions and does not descend into subqueries', () => {
    expect(atModifierVariants('time()', 1000, parser)).toEqual([]);
    expect(atModifierVariants('start()', 1000, parser)).toEqual([]);
    const v = atModifierVariants('sub', 1000, parser) as { expr: string }[];
    expect(JSON.parse(v[0].expr)).toEqual({
      type: 'SubqueryExpr',
      at: { kind: 'time', ms: 1000 },
      expr: { type: 'VectorSelector', matchers: [] },
    });
  });
});

describe('compareResult', () => {
  const cmd = parseScript('eval instant at 0 x\n  {} 1\n')[0] as EvalCommand;
  it('matches the empty label set', () => {
    expect(
      compareResult(cmd, { type: 'vector', samples: [{ labels: Labels.EMPTY, t: 0, v: 1 }] }),
    ).toBeUndefined();
    expect(compareResult(cmd, { type: 'vector', samples: [] })).toMatch(/not found/);
  });
  it('treats NaN as equal to NaN', () => {
    const c = parseScript('eval instant at 0 x\n  a NaN\n')[0] as EvalCommand;
    const labels = Labels.fromRecord({ __name__: 'a' });
    expect(compareResult(c, { type: 'vector', samples: [{ labels, t: 0, v: NaN }] })).toBeUndefined();
  });
});
