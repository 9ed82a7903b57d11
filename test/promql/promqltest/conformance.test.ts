// Prometheus's own promqltest scripts run through our runner, parser and engine. Per-file pass counts
// must not drop below test/promql/promqltest/baseline.json; regenerate it with
//   UPDATE_PROMQL_BASELINE=1 npx vitest run test/promql/promqltest
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScriptFile, summarise } from '../../../src/promql/promqltest/runner.js';
import { conformanceFixtures } from '../../support/conformance.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = conformanceFixtures('promqltest', "Prometheus's promqltest scripts (conformance baseline)");
const dir = fixtures.dir;
const baselineFile = path.join(here, 'baseline.json');

describe.skipIf(!fixtures.present)('promqltest conformance', () => {
  it('passes at least as many evals per file as the baseline', { timeout: 600_000 }, async () => {
    const { defaultDeps } = await import('../../../src/promql/promqltest/defaults.js');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.test'))
      .sort();
    const counts: Record<string, number> = {};
    const lines: string[] = [];
    let passed = 0;
    let total = 0;
    for (const f of files) {
      const outcomes = await runScriptFile(path.join(dir, f), defaultDeps());
      const s = summarise(outcomes);
      counts[f] = s.passed;
      passed += s.passed;
      total += outcomes.length;
      lines.push(`${f}: ${s.passed}/${outcomes.length}`);
    }
    lines.push(`total: ${passed}/${total}`);
    console.log(lines.join('\n'));

    if (process.env.UPDATE_PROMQL_BASELINE === '1') {
      writeFileSync(baselineFile, JSON.stringify(counts, null, 2) + '\n');
      return;
    }
    const baseline = existsSync(baselineFile)
      ? (JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, number>)
      : {};
    const regressions = Object.entries(baseline)
      .filter(([f, n]) => (counts[f] ?? 0) < n)
      .map(([f, n]) => `${f}: ${counts[f] ?? 0} passed, baseline ${n}`);
    expect(regressions, 'files passing fewer evals than test/promql/promqltest/baseline.json').toEqual([]);
  });
});
