import { describe, expect, it } from 'vitest';
import { FUNCTION_IMPLS } from '../../../../src/promql/engine/functions/index.js';
import { byLabels, load, m, matrix, s, scalar, type TestSeries } from './helpers.js';

const F = FUNCTION_IMPLS;

function run(
  name: string,
  series: TestSeries[],
  at: number,
  range: number,
  extra: { before?: number[]; after?: number[]; offset?: number } = {},
) {
  const { arg, c, warns, infos } = matrix(series, at, range, extra.offset ?? 0);
  const args = [...(extra.before ?? []).map(scalar), arg, ...(extra.after ?? []).map(scalar)];
  const raw = F[name](args, c);
  return { res: byLabels(raw), raw, warns, infos };
}

describe('resets / changes', () => {
  const reqs = [
    load(m(5), { path: '/foo' }, '1 2 3 0 1 0 0 1 2 0'),
    load(m(5), { path: '/bar' }, '1 2 3 4 5 1 2 3 4 5'),
    load(m(5), { path: '/biz' }, '0 0 0 0 0 1 1 1 1 1'),
  ];
  it.each([
    [m(5), undefined],
    [m(10), [0, 0, 0]],
    [m(20), [1, 0, 0]],
    [m(32), [2, 1, 0]],
    [m(50), [3, 1, 0]],
  ])('resets over %d ms', (range, want) => {
    const { res } = run('resets', reqs, m(50), range);
    if (want === undefined) expect(res).toEqual({});
    else
      expect(res).toEqual({ '{path="/foo"}': want[0], '{path="/bar"}': want[1], '{path="/biz"}': want[2] });
  });
  it('changes treats NaN to NaN as no change', () => {
    const x = [load(m(5), { a: 'b' }, 'NaN NaN NaN'), load(m(5), { a: 'c' }, '0 NaN 0')];
    expect(run('changes', x, m(15), m(20)).res).toEqual({ '{a="b"}': 0, '{a="c"}': 2 });
  });
  it('changes over 50m', () => {
    expect(run('changes', reqs, m(50), m(50)).res).toEqual({
      '{path="/foo"}': 7,
      '{path="/bar"}': 8,
      '{path="/biz"}': 1,
    });
  });
});

describe('increase / rate / delta extrapolation', () => {
  const total = [
    load(m(5), { path: '/foo' }, '0+10x10'),
    load(m(5), { path: '/bar' }, '0+18x5 0+18x5'),
    load(m(5), { path: '/dings' }, '10+10x10'),
    load(m(5), { path: '/bumms' }, '1+10x10'),
  ];
  it('increase[50m]', () => {
    const { res, raw } = run('increase', total, m(50), m(50));
    expect(res).toEqual({
      '{path="/foo"}': 100,
      '{path="/bar"}': 160,
      '{path="/dings"}': 100,
      '{path="/bumms"}': 100,
    });
    expect((raw as { dropName?: boolean }[]).every((e) => e.dropName)).toBe(true);
  });
  it('increase[100m] with zero-point cutoff', () => {
    expect(run('increase', total, m(50), m(100)).res).toEqual({
      '{path="/foo"}': 100,
      '{path="/bar"}': 162,
      '{path="/dings"}': 105,
      '{path="/bumms"}': 101,
    });
  });
  it('increase with a counter reset', () => {
    expect(run('increase', [load(m(5), { path: '/foo' }, '0 1 2 3 2 3 4')], m(30), m(30)).res).toEqual({
      '{path="/foo"}': 7,
    });
  });
  it('rate with resets in the middle and at the end', () => {
    expect(run('rate', [load(m(5), {}, '0+27x4 0+27x5')], m(50), m(50)).res).toEqual({ '{}': 0.08 });
    const end = [load(m(5), {}, '0+10x9 0 10')];
    expect(run('rate', end, m(50), m(5)).res).toEqual({});
    expect(run('rate', end, m(50), m(6)).res).toEqual({ '{}': 0 });
  });
  it('rate per second and with offset', () => {
    // promqltest compares with a relative tolerance; the last bit may differ from Go's FMA-free arithmetic
    expect(run('rate', [load(m(5), {}, '0+80x10')], m(50), m(50)).res['{}']).toBeCloseTo(
      0.26666666666666666,
      15,
    );
    const off = [load(m(5), { x: 'a' }, '0+10x10'), load(m(5), { x: 'b' }, '0+20x10')];
    expect(run('rate', off, m(50), m(10), { offset: m(5) }).res).toEqual({
      '{x="a"}': 0.03333333333333333,
      '{x="b"}': 0.06666666666666667,
    });
  });
  it('rate zero cutoff', () => {
    const series = [0, 1, 2, 3, 4, 5].map((k) => load(m(4), { start: `${k}m` }, `${k * 60}+240x10`));
    const want10 = [0.5, 0.55, 0.6, 0.6, 0.6, 0.6];
    const got10 = run('rate', series, m(10), m(20)).res;
    want10.forEach((w, k) => expect(got10[`{start="${k}m"}`]).toBeCloseTo(w, 12));
    const got50 = run('rate', series, m(50), m(20)).res;
    for (let k = 0; k < 6; k++) expect(got50[`{start="${k}m"}`]).toBeCloseTo(0.6, 12);
  });
  it('delta', () => {
    const reqs = [
      load(m(5), { path: '/foo' }, '0 50 100 150 200'),
      load(m(5), { path: '/bar' }, '200 150 100 50 0'),
    ];
    expect(run('delta', reqs, m(20), m(20)).res).toEqual({ '{path="/foo"}': 200, '{path="/bar"}': -200 });
  });
  it('skips stale markers in the window', () => {
    expect(run('increase', [load(m(5), {}, '0 10 stale 20 30')], m(20), m(20)).res['{}']).toBeCloseTo(
      26.666666666666668,
      12,
    );
  });
});

describe('irate / idelta', () => {
  const reqs = [load(m(5), { path: '/foo' }, '0+10x10'), load(m(5), { path: '/bar' }, '0+10x5 0+10x5')];
  it('irate', () => {
    expect(run('irate', reqs, m(50), m(50)).res).toEqual({
      '{path="/foo"}': 0.03333333333333333,
      '{path="/bar"}': 0.03333333333333333,
    });
    expect(run('irate', reqs, m(30), m(50)).res).toEqual({
      '{path="/foo"}': 0.03333333333333333,
      '{path="/bar"}': 0,
    });
  });
  it('idelta', () => {
    const r = [load(m(5), { path: '/foo' }, '0 50 100 150'), load(m(5), { path: '/bar' }, '0 50 100 50')];
    expect(run('idelta', r, m(20), m(20)).res).toEqual({ '{path="/foo"}': 50, '{path="/bar"}': -50 });
  });
});

describe('deriv / predict_linear', () => {
  const middle = [load(m(5), {}, '0+10x4 0+10x5')];
  it('deriv', () => {
    expect(run('deriv', [load(m(5), {}, '0+80x10')], m(50), m(50)).res).toEqual({
      '{}': 0.26666666666666666,
    });
    expect(run('deriv', middle, m(50), m(100)).res).toEqual({ '{}': 0.010606060606060607 });
    expect(run('deriv', [load(m(5), {}, '-Inf 0+80x10 Inf')], m(100), m(100)).res['{}']).toBeNaN();
  });
  it('predict_linear', () => {
    expect(run('predict_linear', middle, m(50), m(50), { after: [3600] }).res).toEqual({ '{}': 70 });
  });
});

describe('*_over_time', () => {
  const at = s(55);
  const one = (spec: string, name: string, range = m(1)) =>
    run(name, [load(s(10), {}, spec)], at, range).res['{}'];
  it('avg_over_time', () => {
    expect(run('avg_over_time', [load(s(10), {}, '1 2 3 4 5')], at, s(10)).res).toEqual({});
    expect(one('1 2 3 4 5', 'avg_over_time', s(20))).toBe(5);
    expect(one('1 2 3 4 5', 'avg_over_time')).toBe(3);
    expect(one('1 2 3 4 Inf', 'avg_over_time')).toBe(Infinity);
    expect(one('1 2 3 Inf -Inf', 'avg_over_time')).toBeNaN();
    expect(one('Inf 0 Inf', 'avg_over_time')).toBe(Infinity);
    expect(one('9.988465674311579e+307 9.988465674311579e+307', 'avg_over_time')).toBe(9.988465674311579e307);
    expect(
      one('-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307', 'avg_over_time'),
    ).toBe(-9.988465674311579e307);
    expect(one('-9.988465674311579e+307 9.988465674311579e+307', 'avg_over_time')).toBe(0);
  });
  it('sum/count/min/max/last/first/present', () => {
    expect(one('9.988465674311579e+307 9.988465674311579e+307', 'sum_over_time')).toBe(Infinity);
    expect(one('1 2 3 4 5', 'sum_over_time')).toBe(15);
    expect(one('1 2 3 4 5', 'count_over_time')).toBe(5);
    expect(one('3 NaN 1 5', 'min_over_time')).toBe(1);
    expect(one('NaN 3 NaN 5 1', 'max_over_time')).toBe(5);
    expect(one('NaN NaN', 'max_over_time')).toBeNaN();
    expect(one('1 2 3 4 5', 'last_over_time')).toBe(5);
    expect(one('1 2 3 4 5', 'first_over_time')).toBe(1);
    expect(one('1 2 3 4 5', 'present_over_time')).toBe(1);
    expect(one('1 5 3 5 1', 'ts_of_max_over_time')).toBe(30);
    expect(one('1 5 3 5 1', 'ts_of_min_over_time')).toBe(40);
  });
  it('last_over_time keeps the name', () => {
    const { raw } = run('last_over_time', [load(s(10), { __name__: 'x' }, '1 2')], at, m(1));
    expect((raw as { dropName?: boolean }[])[0].dropName).toBeUndefined();
  });
  it('stddev/stdvar', () => {
    expect(one('0 8 8 2 3', 'stdvar_over_time')).toBeCloseTo(10.56, 12);
    expect(one('0 8 8 2 3', 'stddev_over_time')).toBeCloseTo(3.249615361854384, 12);
    expect(one('1.5990505637277868 1.5990505637277868 1.5990505637277868', 'stddev_over_time')).toBe(0);
  });
  it('quantile_over_time', () => {
    const data = [
      load(s(10), { test: 'two samples' }, '0 1'),
      load(s(10), { test: 'three samples' }, '0 1 2'),
      load(s(10), { test: 'uneven samples' }, '0 1 4'),
    ];
    const q = (x: number) => run('quantile_over_time', data, m(1), m(2), { before: [x] });
    expect(q(0).res).toEqual({
      '{test="two samples"}': 0,
      '{test="three samples"}': 0,
      '{test="uneven samples"}': 0,
    });
    expect(q(0.5).res).toEqual({
      '{test="two samples"}': 0.5,
      '{test="three samples"}': 1,
      '{test="uneven samples"}': 1,
    });
    expect(q(0.95).res).toEqual({
      '{test="two samples"}': 0.95,
      '{test="three samples"}': 1.9,
      '{test="uneven samples"}': 3.6999999999999997,
    });
    const bad = q(-1);
    expect(bad.res['{test="two samples"}']).toBe(-Infinity);
    expect(bad.warns).toEqual(['quantile value should be between 0 and 1, got -1']);
    expect(q(2).res['{test="two samples"}']).toBe(Infinity);
    expect(q(NaN).warns).toEqual(['quantile value should be between 0 and 1, got NaN']);
  });
  it('mad_over_time', () => {
    // window drops the sample at 60s: median(4 6 2 1 999 1) = 3, deviations 1 3 1 2 996 2 → 2
    expect(one('4 6 2 1 999 1 2', 'mad_over_time', m(2))).toBe(2);
    // a NaN sample makes the median undefined: NaN rather than ignoring it
    expect(one('1 NaN 2 3', 'mad_over_time', m(5))).toBeNaN();
  });
});

describe('double_exponential_smoothing', () => {
  const series = [
    load(s(10), { i: 'a' }, '0+10x1000 100+30x1000'),
    load(s(10), { i: 'b' }, '0+20x1000 200+30x1000'),
    load(s(10), { i: 'c' }, '0+30x1000 300+80x1000'),
    load(s(10), { i: 'd' }, '0+40x2000'),
  ];
  it('positive trends', () => {
    const r = run('double_exponential_smoothing', series, s(8000), m(1), { after: [0.01, 0.1] }).res;
    expect(r['{i="a"}']).toBeCloseTo(8000, 9);
    expect(r['{i="b"}']).toBeCloseTo(16000, 9);
    expect(r['{i="c"}']).toBeCloseTo(24000, 9);
    expect(r['{i="d"}']).toBeCloseTo(32000, 9);
  });
  it('rejects bad factors', () => {
    expect(() => run('double_exponential_smoothing', series, s(8000), m(1), { after: [1, 0.1] })).toThrow(
      'invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000',
    );
    expect(() => run('double_exponential_smoothing', series, s(8000), m(1), { after: [0.5, 0] })).toThrow(
      'invalid trend factor. Expected: 0 < tf < 1, got: 0.000000',
    );
  });
});
