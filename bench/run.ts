// `npm run bench -- <area>`: runs one benchmark area (DESIGN.md §8). Areas register below as the
// issues that name figures land.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchReport } from './report.js';
import { benchExposition } from './exposition.js';
import { benchHistograms } from './histograms.js';
import { benchPromql } from './promql.js';
import { benchQueryLoad } from './query-load.js';
import { benchRemoteWrite } from './remote-write.js';
import { benchScrape } from './scrape.js';
import { benchTsdb } from './tsdb.js';
import { benchTsdbVsPrometheus } from './tsdb-vs-prometheus.js';
import { benchVsPrometheus } from './vs-prometheus.js';

export type BenchArea = (report: BenchReport, repoRoot: string) => Promise<void>;

const AREAS: Record<string, BenchArea> = {
  exposition: benchExposition,
  histograms: benchHistograms,
  promql: (report) => benchPromql(report),
  'query-load': benchQueryLoad,
  'remote-write': benchRemoteWrite,
  scrape: benchScrape,
  tsdb: (report) => benchTsdb(report),
  'tsdb-vs-prometheus': (report) => benchTsdbVsPrometheus(report),
  'vs-prometheus': benchVsPrometheus,
};

// dist/bench/run.js → repository root two levels up.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(args: string[]): Promise<number> {
  const names = Object.keys(AREAS);
  if (args.length === 0 || args[0] === '--help') {
    process.stdout.write(
      `usage: npm run bench -- <area>\nareas: ${names.length > 0 ? names.join(', ') : '(none yet)'}\n`,
    );
    return args.length === 0 ? 1 : 0;
  }
  for (const name of args) {
    const area = AREAS[name];
    if (area === undefined) {
      process.stderr.write(
        `unknown benchmark area "${name}"; areas: ${names.length > 0 ? names.join(', ') : '(none yet)'}\n`,
      );
      return 1;
    }
    const report = new BenchReport(name);
    await area(report, REPO_ROOT);
    process.stdout.write(`wrote ${path.relative(REPO_ROOT, report.write(REPO_ROOT))}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
