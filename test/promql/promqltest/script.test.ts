// The promqltest script parser: series notation and every command form.
import { describe, expect, it } from 'vitest';
import { isStaleNaN } from '../../../src/model/value.js';
import {
  goUnquote,
  labelsKey,
  parseGoNumber,
  parseScript,
  parseSeriesDesc,
  type EvalCommand,
  type LoadCommand,
  type SeqValue,
} from '../../../src/promql/promqltest/script.js';

const floats = (vals: SeqValue[]): (number | string)[] =>
  vals.map((v) =>
    v.kind === 'float' ? (isStaleNaN(v.v) ? 'stale' : v.v) : v.kind === 'omitted' ? '_' : 'H',
  );

describe('series notation', () => {
  it('expands a+bxN to N+1 values and a-bxN downwards', () => {
    expect(floats(parseSeriesDesc('m 1+2x3').values)).toEqual([1, 3, 5, 7]);
    expect(floats(parseSeriesDesc('m 1-1x3').values)).toEqual([1, 0, -1, -2]);
    expect(floats(parseSeriesDesc('m -2+-1x2').values)).toEqual([-2, -3, -4]);
    expect(floats(parseSeriesDesc('m 5x2').values)).toEqual([5, 5, 5]);
    expect(floats(parseSeriesDesc('m 1e3 0+0x2 .5').values)).toEqual([1000, 0, 0, 0, 0.5]);
  });

  it('reads _, _xN, stale, Inf and NaN', () => {
    const v = floats(parseSeriesDesc('m _ _x3 stale Inf -Inf +Inf').values);
    expect(v).toEqual(['_', '_', '_', '_', 'stale', Infinity, -Infinity, Infinity]);
    const n = parseSeriesDesc('m NaN nan').values;
    expect(n.every((x) => x.kind === 'float' && Number.isNaN(x.v) && !isStaleNaN(x.v))).toBe(true);
  });

  it('accumulates like Go (start += offset)', () => {
    const v = floats(parseSeriesDesc('m 0+0.1x3').values);
    expect(v[3]).toBe(0.1 + 0.1 + 0.1);
  });

  it('recognises native histograms with their repetitions', () => {
    const v = parseSeriesDesc(
      'h {{schema:1 sum:3 count:22 buckets:[5 10 7]}} {{count:1}}+{{count:2}}x2 {{sum:1}}x1 1',
    ).values;
    expect(floats(v)).toEqual(['H', 'H', 'H', 'H', 'H', 'H', 1]);
  });

  it('parses label sets, quoted names and the empty set', () => {
    expect(parseSeriesDesc('{} 1').labels.size).toBe(0);
    const l = parseSeriesDesc('foo{a="b", c=\'d\',} 1').labels;
    expect(l.toRecord()).toEqual({ __name__: 'foo', a: 'b', c: 'd' });
    expect(parseSeriesDesc('{"my.metric", "x.y"="z}"} 1').labels.toRecord()).toEqual({
      __name__: 'my.metric',
      'x.y': 'z}',
    });
    expect(parseSeriesDesc('{__name__="n", a="\\"q\\""} 1').labels.toRecord()).toEqual({
      __name__: 'n',
      a: '"q"',
    });
  });

  it('rejects malformed values', () => {
    expect(() => parseSeriesDesc('m 1+2')).toThrow();
    expect(() => parseSeriesDesc('m abc')).toThrow();
    expect(() => parseSeriesDesc('m{a="b" 1')).toThrow();
  });
});

describe('numbers and strings', () => {
  it('parses scalar expectations as Go does', () => {
    expect(parseGoNumber('1')).toBe(1);
    expect(parseGoNumber('-0.5')).toBe(-0.5);
    expect(parseGoNumber('0x10')).toBe(16);
    expect(parseGoNumber('+Inf')).toBe(Infinity);
    expect(parseGoNumber('NaN')).toBeNaN();
    expect(parseGoNumber('{}')).toBeUndefined();
    expect(parseGoNumber('metric')).toBeUndefined();
  });

  it('unquotes Go strings', () => {
    expect(goUnquote('"a\\nb"')).toBe('a\nb');
    expect(goUnquote('`raw\\n`')).toBe('raw\\n');
    expect(goUnquote('" Foo "')).toBe(' Foo ');
    expect(goUnquote('"')).toBeUndefined();
    expect(goUnquote('"a" b"')).toBeUndefined();
  });
});

describe('commands', () => {
  const script = `
# comment
load 1m
    metric{a="1"} 1+1x2
    metric{a="2"} 5 _ 7

load_with_nhcb 5m
    h_bucket{le="1"} 1
  other@st _ -1m+1sx1 +1ms
  other 1 2 3 4

clear

eval instant at 1m metric
    expect no_info
    expect warn msg: PromQL info: something
    expect warn regex: some.*thing
    metric{a="1"} 2
    {a="2"} 6

eval range from 0 to 2m step 1m metric
  expect ordered
  metric{a="1"} 1 _ 3

eval instant at 0 1
  2

eval instant at 0 foo
  expect fail msg: bad thing

eval_fail instant at 0 foo
  expected_fail_message some error

eval_fail instant at 0 foo
  expected_fail_regexp some.*

eval_warn range from 0 to 1m step 30s foo

eval_info instant at 1m foo

eval_ordered instant at 1m foo
  foo 1

eval instant at 1m foo[1m]
  expect range vector from 10s to 1m step 10s
  foo 1 2 3 4 5 6

eval instant at 0 "x"
  expect string "x"

bogus command

eval instant at 0 foo
  foo 1 2
`;
  const cmds = parseScript(script);

  it('reads load, load_with_nhcb, @st lines and clear', () => {
    const l = cmds[0] as LoadCommand;
    expect(l).toMatchObject({ kind: 'load', line: 3, stepMs: 60_000, withNHCB: false });
    expect(l.series.map((s) => s.line)).toEqual([4, 5]);
    expect(floats(l.series[1].values)).toEqual([5, '_', 7]);
    const n = cmds[1] as LoadCommand;
    expect(n).toMatchObject({ kind: 'load', line: 7, stepMs: 300_000, withNHCB: true });
    expect(n.series).toHaveLength(2);
    // an @st line's offsets (ms) go with the sample line after it
    expect(n.series[0].st).toBeUndefined();
    expect(n.series[1].st).toEqual([undefined, -60_000, -59_000, 1]);
    expect(cmds[2]).toEqual({ kind: 'clear', line: 12 });
  });

  it('refuses @st lines that do not fit their sample line, as promqltest does', () => {
    const bad = (body: string): string => {
      const [c] = parseScript(`load 1m\n${body}\n`);
      return (c as { message?: string }).message ?? '';
    };
    expect(bad('  a@st -1m\n  b 1')).toContain('@st metric does not match the following sample line metric');
    expect(bad('  a@st -1m -1m\n  a 1')).toContain('@st line has 2 values but sample line has 1');
    expect(bad('  a@st -1m')).toContain('@st line has no following sample line');
    expect(bad('  a@st 1q\n  a 1')).toContain('invalid ST item "1q"');
    expect(bad('  a@st -1m+1m\n  a 1')).toContain("expected 'x<count>' after step duration");
  });

  it('reads instant evals with expect lines and expected series', () => {
    const e = cmds[3] as EvalCommand;
    expect(e).toMatchObject({ kind: 'eval', line: 14, expr: 'metric', instant: true, evalMs: 60_000 });
    expect(e.expects.map((x) => x.type)).toEqual(['no_info', 'warn', 'warn']);
    expect(e.expects[1].message).toBe('PromQL info: something');
    expect(e.expects[2].regex?.test('something')).toBe(true);
    expect([...e.expected.values()].map((x) => [x.labels.toString(), x.pos])).toEqual([
      ['metric{a="1"}', 1],
      ['{a="2"}', 2],
    ]);
  });

  it('reads range evals', () => {
    const e = cmds[4] as EvalCommand;
    expect(e).toMatchObject({ instant: false, startMs: 0, endMs: 120_000, stepMs: 60_000, expr: 'metric' });
    expect(e.expects[0].type).toBe('ordered');
    expect(floats(e.expected.values().next().value!.values)).toEqual([1, '_', 3]);
  });

  it('reads scalar expectations and failures', () => {
    const s = cmds[5] as EvalCommand;
    expect(s.expectScalar).toBe(true);
    expect(s.expected.get('')!.values).toEqual([{ kind: 'float', v: 2 }]);
    expect((cmds[6] as EvalCommand).expects).toEqual([{ type: 'fail', message: 'bad thing' }]);
    expect(cmds[7]).toMatchObject({ fail: true, expectedFailMessage: 'some error' });
    expect((cmds[8] as EvalCommand).expectedFailRegexp?.source).toBe('some.*');
  });

  it('reads the deprecated eval_* forms', () => {
    expect(cmds[9]).toMatchObject({ warn: true, instant: false, stepMs: 30_000 });
    expect(cmds[10]).toMatchObject({ info: true, instant: true });
    expect(cmds[11]).toMatchObject({ ordered: true });
  });

  it('reads expect range vector and expect string', () => {
    const r = cmds[12] as EvalCommand;
    expect(r).toMatchObject({
      expectRangeVector: true,
      startMs: 10_000,
      endMs: 60_000,
      stepMs: 10_000,
      evalMs: 60_000,
    });
    expect(r.excludeFromRangeQuery).toBe(true);
    expect(r.expected.get(labelsKey(r.expected.values().next().value!.labels))!.values).toHaveLength(6);
    expect(cmds[13]).toMatchObject({ expectedString: 'x', excludeFromRangeQuery: true });
  });

  it('turns malformed commands into invalid ones and carries on', () => {
    expect(cmds[14]).toMatchObject({ kind: 'invalid', line: 51 });
    expect(cmds[15]).toMatchObject({ kind: 'invalid', line: 53 });
    expect((cmds[15] as { message: string }).message).toMatch(/multiple values in instant evaluation/);
    expect(cmds).toHaveLength(16);
  });

  it('rejects conflicting expect lines', () => {
    const c = parseScript('eval instant at 0 x\n  expect warn\n  expect no_warn\n');
    expect(c[0].kind).toBe('invalid');
  });
});
