import { describe, expect, it } from 'vitest';
import { Labels } from '../../../../src/model/labels.js';
import { FUNCTION_IMPLS } from '../../../../src/promql/engine/functions/index.js';
import type { FunctionArg, InstantVector } from '../../../../src/promql/engine/functions/types.js';
import { byLabels, ctx, instant, load, scalar, str, vec } from './helpers.js';

const F = FUNCTION_IMPLS;
const call = (name: string, args: FunctionArg[], at = 0) => {
  const { c, warns, infos } = ctx(at);
  const r = F[name](args, c);
  const res: Record<string, number> = typeof r === 'number' ? {} : byLabels(r);
  return { r, res, warns, infos };
};
const el = (labels: Record<string, string>, v: number) => ({ labels: Labels.fromRecord(labels), t: 0, v });

describe('histogram_quantile (classic)', () => {
  const h = (labels: Record<string, string>, le: string, v: number) =>
    el({ __name__: 'x_bucket', ...labels, le }, v);
  const data: InstantVector = [
    h({ start: 'positive' }, '0.1', 50),
    h({ start: 'positive' }, '.2', 70),
    h({ start: 'positive' }, '1e0', 110),
    h({ start: 'positive' }, '+Inf', 120),
    h({ start: 'negative' }, '-.2', 10),
    h({ start: 'negative' }, '-0.1', 20),
    h({ start: 'negative' }, '0.3', 20),
    h({ start: 'negative' }, '+Inf', 30),
  ];
  it('interpolates, keeps the name for delayed dropping', () => {
    const { r, res } = call('histogram_quantile', [scalar(0.5), vec(data)]);
    expect(res['x_bucket{start="positive"}']).toBeCloseTo(0.1 + (0.1 * 10) / 20, 12);
    expect(res['x_bucket{start="negative"}']).toBeCloseTo(-0.15, 12);
    expect((r as InstantVector).every((e) => e.dropName === true)).toBe(true);
  });
  it('q out of range', () => {
    const lo = call('histogram_quantile', [scalar(-0.1), vec(data)]);
    expect(lo.res['x_bucket{start="positive"}']).toBe(-Infinity);
    expect(lo.warns).toEqual(['quantile value should be between 0 and 1, got -0.1']);
    expect(call('histogram_quantile', [scalar(1.01), vec(data)]).res['x_bucket{start="positive"}']).toBe(
      Infinity,
    );
  });
  it('forces monotonicity with an info', () => {
    const nm = ['0.1', '1', '10', '100', '1000', '+Inf'].map((le, i) =>
      el({ __name__: 'nonmonotonic_bucket', le }, [20, 10, 50, 40, 90, 80][i]),
    );
    const r = call('histogram_quantile', [scalar(0.01), vec(nm)]);
    expect(r.res['nonmonotonic_bucket']).toBeCloseTo(0.0045, 12);
    expect(r.infos).toEqual([
      'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "nonmonotonic_bucket"',
    ]);
    expect(call('histogram_quantile', [scalar(0.5), vec(nm)]).res['nonmonotonic_bucket']).toBeCloseTo(
      8.5,
      12,
    );
    expect(call('histogram_quantile', [scalar(0.99), vec(nm)]).res['nonmonotonic_bucket']).toBeCloseTo(
      979.75,
      12,
    );
    const qs = call('histogram_quantiles', [vec(nm), str('q'), scalar(0.01), scalar(0.5), scalar(1)]);
    expect(Object.keys(qs.res)).toEqual([
      'nonmonotonic_bucket{q="0.01"}',
      'nonmonotonic_bucket{q="0.5"}',
      'nonmonotonic_bucket{q="1.0"}',
    ]);
  });
  it('bad le warns', () => {
    const r = call('histogram_quantile', [
      scalar(0.5),
      vec([el({ __name__: 'series', le: 'Hello World' }, 1)]),
    ]);
    expect(r.res).toEqual({});
    expect(r.warns).toEqual([
      'bucket label "le" is missing or has a malformed value of "Hello World" for metric name "series"',
    ]);
  });
  it('no +Inf bucket / no observations → NaN', () => {
    expect(call('histogram_quantile', [scalar(0.5), vec([h({}, '1', 3)])]).res['x_bucket']).toBeNaN();
    expect(
      call('histogram_quantile', [scalar(0.5), vec([h({}, '1', 0), h({}, '+Inf', 0)])]).res['x_bucket'],
    ).toBeNaN();
  });
  it('histogram_fraction', () => {
    const b = (name: string, les: string[], vals: number[]) =>
      les.map((le, i) => el({ __name__: name, le }, vals[i]));
    const h2 = b('h2', ['0', '2', '4', '6', '+Inf'], [0, 10, 20, 30, 30]);
    expect(call('histogram_fraction', [scalar(0), scalar(4), vec(h2)]).res['h2']).toBeCloseTo(
      0.6666666666666666,
      15,
    );
    expect(call('histogram_fraction', [scalar(0), scalar(3.5), vec(h2)]).res['h2']).toBeCloseTo(
      0.5833333333333334,
      15,
    );
    const pos = b('p', ['1', '2', '3', '+Inf'], [1, 3, 6, 100]);
    expect(call('histogram_fraction', [scalar(0), scalar(1.5), vec(pos)]).res['p']).toBeCloseTo(0.02, 15);
    const neg = b('n', ['-3', '-2', '-1', '+Inf'], [10, 12, 15, 100]);
    expect(call('histogram_fraction', [scalar(-4), scalar(-2), vec(neg)]).res['n']).toBeCloseTo(0.02, 15);
    expect(call('histogram_fraction', [scalar(-Infinity), scalar(-1.5), vec(neg)]).res['n']).toBeCloseTo(
      0.135,
      15,
    );
    expect(call('histogram_fraction', [scalar(-Infinity), scalar(Infinity), vec(pos)]).res['p']).toBe(1);
    // the +Inf bucket is not interpolated into: bounds inside it see the rank below it
    expect(call('histogram_fraction', [scalar(4), scalar(5), vec(pos)]).res['p']).toBe(0);
    expect(call('histogram_fraction', [scalar(2), scalar(5), vec(pos)]).res['p']).toBeCloseTo(0.03, 15);
    expect(call('histogram_fraction', [scalar(0), scalar(1), vec(neg)]).res['n']).toBe(0);
  });
});

describe('label_replace / label_join', () => {
  const tm = [
    el({ __name__: 'testmetric', src: 'source-value-10', dst: 'original-destination-value' }, 0),
    el({ __name__: 'testmetric', src: 'source-value-20', dst: 'original-destination-value' }, 1),
  ];
  const lr = (dst: string, repl: string, src: string, re: string) =>
    call('label_replace', [vec(tm), str(dst), str(repl), str(src), str(re)]).res;
  it('replaces on full match only', () => {
    expect(lr('dst', 'destination-value-$1', 'src', 'source-value-(.*)')).toEqual({
      'testmetric{dst="destination-value-10", src="source-value-10"}': 0,
      'testmetric{dst="destination-value-20", src="source-value-20"}': 1,
    });
    expect(Object.keys(lr('dst', 'destination-value-$1', 'src', 'value-(.*)'))[0]).toContain(
      'original-destination-value',
    );
    expect(Object.keys(lr('dst', '$1-value-$2', 'src', '(.*)-value-(.*)'))[0]).toContain(
      'dst="source-value-10"',
    );
    expect(Object.keys(lr('dst', 'value-$1', 'nonexistent-src', '(.*)'))[0]).toContain('dst="value-"');
    expect(Object.keys(lr('dst', '', 'dst', '.*'))[0]).toBe('testmetric{src="source-value-10"}');
  });
  it('Go template expansion', () => {
    expect(lr('dst', '${1}x-$1x-$$-$name', 'src', 'source-(?P<name>value)-(.*)')).toEqual({
      'testmetric{dst="valuex--$-value", src="source-value-10"}': 0,
      'testmetric{dst="valuex--$-value", src="source-value-20"}': 1,
    });
  });
  it('validation errors', () => {
    expect(() => lr('dst', 'value-$1', 'src', '(.*')).toThrow(
      'invalid regular expression in label_replace(): (.*',
    );
    expect(() => lr('', '', 'src', '(.*)')).toThrow('invalid destination label name in label_replace(): ');
    // an invalid byte from a "\\xff" escape, as the parser holds it
    expect(() => lr('\udcff', '', 'src', '(.*)')).toThrow(
      'invalid destination label name in label_replace()',
    );
    expect(() => call('label_join', [vec(tm), str('\ud800'), str('-')])).toThrow(
      'invalid destination label name in label_join()',
    );
  });
  it('dropName follows __name__ writes', () => {
    const input = [{ ...tm[0], dropName: true }];
    const r = call('label_replace', [vec(input), str('__name__'), str('x'), str('src'), str('.*')])
      .r as InstantVector;
    expect(r[0].dropName).toBe(false);
    const j = call('label_join', [vec(input), str('dst'), str('-'), str('src'), str('nope'), str('src')])
      .r as InstantVector;
    expect(j[0].dropName).toBe(true);
    expect(j[0].labels.get('dst')).toBe('source-value-10--source-value-10');
  });
});

describe('math, clamp, round', () => {
  const tc = [el({ src: 'a' }, -50), el({ src: 'b' }, 0), el({ src: 'c' }, 100)];
  it('clamp family', () => {
    expect(call('clamp_max', [vec(tc), scalar(75)]).res).toEqual({
      '{src="a"}': -50,
      '{src="b"}': 0,
      '{src="c"}': 75,
    });
    expect(call('clamp_min', [vec(tc), scalar(-25)]).res).toEqual({
      '{src="a"}': -25,
      '{src="b"}': 0,
      '{src="c"}': 100,
    });
    expect(call('clamp', [vec(tc), scalar(-25), scalar(75)]).res).toEqual({
      '{src="a"}': -25,
      '{src="b"}': 0,
      '{src="c"}': 75,
    });
    expect(Object.values(call('clamp', [vec(tc), scalar(0), scalar(NaN)]).res).every(Number.isNaN)).toBe(
      true,
    );
    expect(call('clamp', [vec(tc), scalar(5), scalar(-5)]).res).toEqual({});
  });
  it('round', () => {
    const v = [el({ a: '1' }, 1.5), el({ a: '2' }, -1.5), el({ a: '3' }, 2.345)];
    expect(call('round', [vec(v)]).res).toEqual({ '{a="1"}': 2, '{a="2"}': -1, '{a="3"}': 2 });
    expect(call('round', [vec(v), scalar(0.1)]).res['{a="3"}']).toBeCloseTo(2.3, 12);
    expect(call('round', [vec(v), scalar(5)]).res).toEqual({ '{a="1"}': 0, '{a="2"}': 0, '{a="3"}': 0 });
  });
  it('simple functions drop the name', () => {
    const r = call('abs', [vec([el({ __name__: 'x' }, -2)])]).r as InstantVector;
    expect(r[0]).toMatchObject({ v: 2, dropName: true });
    expect(call('sgn', [vec([el({ a: 'n' }, -3), el({ a: 'z' }, -0), el({ a: 'p' }, 7)])]).res).toEqual({
      '{a="n"}': -1,
      '{a="z"}': -0,
      '{a="p"}': 1,
    });
    expect(call('ln', [vec([el({}, Math.E)])]).res['{}']).toBe(1);
    expect(call('deg', [vec([el({}, Math.PI)])]).res['{}']).toBe(180);
    expect(call('pi', []).r).toBe(Math.PI);
  });
});

describe('time functions', () => {
  it('on time() and on a vector', () => {
    const v = [el({}, 1136239445)];
    expect(call('year', [], 0).res).toEqual({ '{}': 1970 });
    expect(call('year', [vec(v)]).res['{}']).toBe(2006);
    expect(call('month', [vec(v)]).res['{}']).toBe(1);
    expect(call('day_of_month', [vec(v)]).res['{}']).toBe(2);
    expect(call('day_of_year', [vec(v)]).res['{}']).toBe(2);
    expect(call('day_of_week', [vec(v)]).res['{}']).toBe(1);
    expect(call('hour', [vec(v)]).res['{}']).toBe(22);
    expect(call('minute', [vec(v)]).res['{}']).toBe(4);
    expect(call('day_of_week', [], 0).res['{}']).toBe(4);
    expect(call('year', [vec([el({}, 1230767999)])]).res['{}']).toBe(2008);
    expect(call('year', [vec([el({}, 1230768000)])]).res['{}']).toBe(2009);
    expect(call('day_of_year', [vec([el({}, 1483191420)])]).res['{}']).toBe(366);
    expect(call('day_of_year', [vec([el({}, 1672493820)])]).res['{}']).toBe(365);
    expect(call('days_in_month', [vec([el({}, 1454284800)])]).res['{}']).toBe(29);
    expect(call('days_in_month', [vec([el({}, 1485907200)])]).res['{}']).toBe(28);
  });
  it('time, vector, scalar, timestamp', () => {
    expect(call('time', [], 5000).r).toBe(5);
    expect(call('vector', [scalar(3)]).res).toEqual({ '{}': 3 });
    expect(call('scalar', [vec([el({}, 2)])]).r).toBe(2);
    expect(call('scalar', [vec([el({ a: '1' }, 2), el({ a: '2' }, 3)])]).r).toBeNaN();
    const ts = instant([load(10_000, { __name__: 'metric' }, '1 1')], 15_000);
    expect(call('timestamp', [vec(ts)]).res).toEqual({ metric: 10 });
  });
});

describe('sort functions', () => {
  it('sort / sort_desc put NaN last', () => {
    const v = [el({ a: '1' }, 3), el({ a: '2' }, NaN), el({ a: '3' }, 1), el({ a: '4' }, 2)];
    const order = (r: unknown) => (r as InstantVector).map((e) => e.labels.get('a'));
    expect(order(call('sort', [vec(v)]).r)).toEqual(['3', '4', '1', '2']);
    expect(order(call('sort_desc', [vec(v)]).r)).toEqual(['1', '4', '3', '2']);
  });
  it('sort_by_label uses natural order', () => {
    const cpus = ['10', '2', '100', '0', '21', '1', '12', '3', '20', '11'].map((cpu) =>
      el({ job: 'cpu', cpu }, 100),
    );
    const got = (call('sort_by_label', [vec(cpus), str('cpu')]).r as InstantVector).map((e) =>
      e.labels.get('cpu'),
    );
    expect(got).toEqual(['0', '1', '2', '3', '10', '11', '12', '20', '21', '100']);
    const un = [
      el({ instance: '4m600', release: '1.2.3' }, 1),
      el({ instance: '4m5', release: '1.11.3' }, 1),
      el({ instance: '4m1000', release: '1.111.3' }, 1),
    ];
    const by = (l: string, desc = false) =>
      (call(desc ? 'sort_by_label_desc' : 'sort_by_label', [vec(un), str(l)]).r as InstantVector).map((e) =>
        e.labels.get('instance'),
      );
    expect(by('instance')).toEqual(['4m5', '4m600', '4m1000']);
    expect(by('release')).toEqual(['4m600', '4m5', '4m1000']);
    expect(by('instance', true)).toEqual(['4m1000', '4m600', '4m5']);
  });
});
