// `npm run bench -- promql`: query latency and samples/s of typical PromQL over a TSDB holding
// 10 node exporters (10k series) plus a classic histogram and an info series per instance, 24 h at
// 15 s, most of it compacted into blocks. Each query runs as an instant query and as 1 h and 6 h
// range queries at a 60 s step; the figure is the median of a few runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log/logger.js';
import { Labels } from '../src/model/labels.js';
import { Engine } from '../src/promql/engine/index.js';
import type { QueryResult } from '../src/promql/engine/index.js';
import { parseExpr } from '../src/promql/parser/index.js';
import { TSDB } from '../src/tsdb/db.js';
import { nodeExporterSeries, prng } from './tsdb-block.js';
import type { BenchReport } from './report.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

const INSTANCES = 10;
const HOURS = 24;
const INTERVAL_MS = 15_000;
const START = 1_700_000_000_000;
/** Series shaped like one scrape target each: the node exporter's, the info and histogram ones. */
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const HANDLERS = ['/api/v1/query', '/api/v1/query_range'];

/** `x` in the queries: CPU seconds, 64 series per exporter (640 in all). */
const X = 'node_cpu_seconds_total';
const QUERIES: Array<[string, string]> = [
  ['rate', `rate(${X}[5m])`],
  ['sum_by_rate', `sum by (job) (rate(${X}[5m]))`],
  ['histogram_quantile', 'histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))'],
  ['topk', `topk(10, ${X})`],
  ['group_left', `${X} * on(instance) group_left(version) node_uname_info`],
  ['subquery', `max_over_time(rate(${X}[5m])[1h:1m])`],
];

interface Target {
  labels: Labels[];
  values: number[];
  refs: number[];
  step: (values: number[], rnd: () => number) => void;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function targets(): Target[] {
  const out: Target[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const instance = `node-${i}:9100`;
    const node = nodeExporterSeries(1000, instance);
    node.push({
      labels: Labels.fromRecord({
        __name__: 'node_uname_info',
        instance,
        job: 'node',
        version: `6.${i % 3}.0`,
      }),
      start: 1,
      step: (p) => p,
    });
    out.push({
      labels: node.map((s) => s.labels),
      values: node.map((s) => s.start),
      refs: node.map(() => 0),
      step: (values, rnd) => {
        for (let k = 0; k < node.length; k++) values[k] = node[k].step(values[k], rnd);
      },
    });
    // A classic histogram: per handler, 10 cumulative buckets of a roughly exponential latency.
    const labels: Labels[] = [];
    for (const handler of HANDLERS) {
      for (const le of BUCKETS) {
        labels.push(Labels.fromRecord({ __name__: 'h_bucket', handler, instance, job: 'api', le }));
      }
    }
    const frac = BUCKETS.map((le) => (le === '+Inf' ? 1 : 1 - Math.exp(-Number(le) / (0.1 + 0.02 * i))));
    out.push({
      labels,
      values: labels.map(() => 0),
      refs: labels.map(() => 0),
      step: (values, rnd) => {
        for (let h = 0; h < HANDLERS.length; h++) {
          const n = 500 + Math.floor(rnd() * 1000);
          for (let b = 0; b < BUCKETS.length; b++) values[h * BUCKETS.length + b] += Math.round(n * frac[b]);
        }
      },
    });
  }
  return out;
}

/** Scrapes every target every 15 s for 24 h, one commit per target; compaction runs as it would. */
async function build(db: TSDB): Promise<{ samples: number; series: number; end: number }> {
  const ts = targets();
  const rnd = prng(11);
  let samples = 0;
  let end = START;
  for (let t = START; t < START + HOURS * 3600_000; t += INTERVAL_MS) {
    for (const target of ts) {
      const app = db.appender();
      for (let k = 0; k < target.labels.length; k++) {
        target.refs[k] = app.append(target.refs[k], target.labels[k], t, target.values[k]);
      }
      await app.commit();
      target.step(target.values, rnd);
      samples += target.labels.length;
    }
    end = t;
  }
  await db.compact();
  return { samples, series: ts.reduce((n, t) => n + t.labels.length, 0), end };
}

/** Median latency (ms) and samples loaded of a few runs: at least 3, more while under ~1.5 s in all. */
async function measure(run: () => Promise<QueryResult>): Promise<{ ms: number; loaded: number }> {
  const times: number[] = [];
  let loaded = 0;
  const t0 = process.hrtime.bigint();
  while (times.length < 3 || (times.length < 9 && seconds(t0) < 1.5)) {
    const t = process.hrtime.bigint();
    const res = await run();
    times.push(seconds(t) * 1000);
    loaded = res.stats?.samplesLoaded ?? countSamples(res);
    if (times.length === 1 && times[0] > 10_000) break; // one run is enough for a slow query
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], loaded };
}

/** Fallback when the engine reports no stats: the result's samples. */
function countSamples(res: QueryResult): number {
  const v = res.value;
  if (v.type === 'vector') return v.samples.length;
  if (v.type === 'matrix') return v.series.reduce((n, s) => n + s.t.length, 0);
  return 1;
}

export async function benchPromql(report: BenchReport): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-bench-promql-'));
  try {
    const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
    const t0 = process.hrtime.bigint();
    const { samples, series, end } = await build(db);
    const inBlocks = db.blockMetas().reduce((n, m) => n + m.stats.numSamples, 0);
    report.add('promql_data_series', series, 'series');
    report.add('promql_data_hours', HOURS, 'h');
    report.add('promql_data_samples', samples, 'samples');
    report.add('promql_data_samples_in_blocks_pct', Number(((100 * inBlocks) / samples).toFixed(1)), '%');
    report.add('promql_data_build_sec', Number(seconds(t0).toFixed(1)), 's');

    const engine = new Engine({ lookbackDelta: 300_000, timeout: 120_000, maxSamples: 50_000_000 });
    for (const [name, query] of QUERIES) {
      const expr = parseExpr(query);
      const modes: Array<[string, () => Promise<QueryResult>]> = [
        ['instant', () => engine.instantQuery(db, expr, end)],
        ['range_1h', () => engine.rangeQuery(db, expr, end - 3600_000, end, 60_000)],
        ['range_6h', () => engine.rangeQuery(db, expr, end - 6 * 3600_000, end, 60_000)],
      ];
      for (const [mode, run] of modes) {
        const { ms, loaded } = await measure(run);
        report.add(`promql_${name}_${mode}_ms`, Number(ms.toFixed(2)), 'ms');
        report.add(`promql_${name}_${mode}_samples_per_sec`, Math.round(loaded / (ms / 1000)), 'samples/s');
      }
    }
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
