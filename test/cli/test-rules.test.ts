// `promethium-tool test rules` over the unit-test files of promtool's testdata: each gives the exit code
// Prometheus's cmd/promtool/unittest_test.go expects for it (with the @ modifier and negative offsets
// on, as promtool's command line has them).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testRuleFiles, type TestRulesOptions } from '../../src/cli/test-rules.js';
import { conformanceFixtures } from '../support/conformance.js';

const fixtures = conformanceFixtures('promtool', 'promtool test rules fixtures');

interface Case {
  name: string;
  file: string;
  want: number;
  run?: string[];
  ignoreUnknownFields?: boolean;
}

const CASES: Case[] = [
  { name: 'Long evaluation interval', file: 'long-period.yml', want: 0 },
  { name: 'Bad input series', file: 'bad-input-series.yml', want: 1 },
  { name: 'Bad PromQL', file: 'bad-promql.yml', want: 1 },
  { name: 'Bad rules (syntax error)', file: 'bad-rules-syntax-test.yml', want: 1 },
  { name: 'Bad rules (error evaluating)', file: 'bad-rules-error-test.yml', want: 1 },
  { name: 'Simple failing test', file: 'failing.yml', want: 1 },
  { name: 'Enabled feature (@ modifier)', file: 'at-modifier-test.yml', want: 0 },
  { name: 'Enabled feature (negative offset)', file: 'negative-offset-test.yml', want: 0 },
  { name: 'No test group interval', file: 'no-test-group-interval.yml', want: 0 },
  { name: 'Start time tests', file: 'start-time-test.yml', want: 0 },
  { name: 'Test all without run arg', file: 'rules_run.yml', want: 1 },
  { name: 'Test all with run arg', file: 'rules_run.yml', run: ['correct', 'wrong'], want: 1 },
  { name: 'Test correct', file: 'rules_run.yml', run: ['correct'], want: 0 },
  { name: 'Test wrong', file: 'rules_run.yml', run: ['wrong'], want: 1 },
  {
    name: 'Test all with extra fields',
    file: 'rules_run_extrafields.yml',
    ignoreUnknownFields: true,
    want: 0,
  },
  {
    name: 'Test precise floating point comparison expected failure',
    file: 'rules_run_no_fuzzy.yml',
    want: 1,
  },
  {
    name: 'Test fuzzy floating point comparison correct match',
    file: 'rules_run_fuzzy.yml',
    run: ['correct'],
    want: 0,
  },
  {
    name: 'Test fuzzy floating point comparison wrong match',
    file: 'rules_run_fuzzy.yml',
    run: ['wrong'],
    want: 1,
  },
];

async function runCase(c: Case): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const o: TestRulesOptions = { run: c.run ?? [], ignoreUnknownFields: c.ignoreUnknownFields ?? false };
  const code = await testRuleFiles([path.join(fixtures.dir, c.file)], o, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

describe.skipIf(!fixtures.present)('promethium-tool test rules (promtool testdata)', () => {
  for (const c of CASES) {
    it(`${c.name}: exit ${c.want}`, async () => {
      const r = await runCase(c);
      expect(r.code, [...r.out, ...r.err].join('\n')).toBe(c.want);
    });
  }

  // Prometheus expects exit 0 for unittest.yml; three of its promql_expr_tests need native histograms,
  // which arrive with their own issue: until then exactly these fail (and this test fails when they
  // start to pass, so the case above is restored then).
  it('Passing Unit Tests: every case of unittest.yml passes but the three native histogram ones', async () => {
    const r = await runCase({ name: 'unittest', file: 'unittest.yml', want: 1 });
    const failures = r.err.filter((l) => l.startsWith('    '));
    expect(failures).toEqual([
      '    expr: "test_histogram", time: 1m, err: native histograms are not supported yet',
      '    expr: "test_histogram_repeat", time: 2m, err: native histograms are not supported yet',
      '    expr: "test_histogram_increase", time: 2m, err: native histograms are not supported yet',
    ]);
  });

  it("reports a failing alert test in promtool's words", async () => {
    const r = await runCase({ name: 'failing', file: 'failing.yml', want: 1 });
    expect(r.out[0]).toBe(`Unit Testing:  ${path.join(fixtures.dir, 'failing.yml')}`);
    expect(r.err[0]).toBe('  FAILED:');
    expect(r.err.join('\n')).toMatch(/alertname: .*, time: .*, \n {8}exp:/);
  });
});
