// `npm run bench -- tsdb`: the TSDB end to end (append with the WAL on, head memory per series, WAL
// replay) plus the chunk, WAL and block figures of their own benchmarks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log/logger.js';
import { Matcher } from '../src/model/matcher.js';
import { TSDB } from '../src/tsdb/db.js';
import { encodeSamples, encodeSeries } from '../src/tsdb/wal/records.js';
import { WAL } from '../src/tsdb/wal/wal.js';
import { benchBlocks, nodeExporterSeries, prng } from './tsdb-block.js';
import { benchChunks } from './tsdb-chunks.js';
import { benchWal } from './tsdb-wal.js';
import type { BenchReport } from './report.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** `instances` node exporters' worth of series (1,000 each), with their value models. */
function fleet(instances: number): ReturnType<typeof nodeExporterSeries> {
  const out: ReturnType<typeof nodeExporterSeries> = [];
  for (let i = 0; i < instances; i++) out.push(...nodeExporterSeries(1000, `node-${i}:9100`));
  return out;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Appends scrapes of 100k series with the WAL on, as the scrape loop would (one commit per target). */
async function appendThroughput(report: BenchReport, dir: string): Promise<void> {
  const series = fleet(100);
  const rnd = prng(3);
  const values = series.map((s) => s.start);
  const refs = new Array<number>(series.length).fill(0);
  gc();
  const base = process.memoryUsage();
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
  const start = 1_700_000_000_000;
  const scrape = async (round: number): Promise<number> => {
    const t = start + round * 15_000;
    let n = 0;
    for (let target = 0; target < 100; target++) {
      const app = db.appender();
      for (let i = target * 1000; i < (target + 1) * 1000; i++) {
        refs[i] = app.append(refs[i], series[i].labels, t, values[i]);
        values[i] = series[i].step(values[i], rnd);
        n++;
      }
      await app.commit();
    }
    return n;
  };
  await scrape(0); // series creation, not measured
  let samples = 0;
  const t0 = process.hrtime.bigint();
  let round = 1;
  while (round < 4 || seconds(t0) < 3) samples += await scrape(round++);
  report.add('append_100k_series_wal_samples_per_sec', Math.round(samples / seconds(t0)), 'samples/s');

  // Head memory per active series: the same 100k series after 120 scrapes (one full chunk each).
  // (The labels themselves were made before the baseline, as the scrape loop holds them anyway; the
  // head keeps the same objects, so its own index, series records and chunks are what is counted.)
  while (round < 121) await scrape(round++);
  gc();
  const used = process.memoryUsage();
  const perSeries = (used.heapUsed + used.arrayBuffers - (base.heapUsed + base.arrayBuffers)) / series.length;
  report.add('head_memory_per_series_bytes', Math.round(perSeries), 'bytes');
  db.close();
}

/** Select + decode over the head: 1 h of 10k series at 15 s. */
async function selectThroughput(report: BenchReport, dir: string): Promise<void> {
  const series = fleet(10);
  const rnd = prng(5);
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
  const start = 1_700_000_000_000;
  const refs = new Array<number>(series.length).fill(0);
  const values = series.map((s) => s.start);
  for (let t = start; t < start + 3600_000; t += 15_000) {
    const app = db.appender();
    for (let i = 0; i < series.length; i++) {
      refs[i] = app.append(refs[i], series[i].labels, t, values[i]);
      values[i] = series[i].step(values[i], rnd);
    }
    await app.commit();
  }
  const matchers = [new Matcher('=', 'job', 'node')];
  let samples = 0;
  let runs = 0;
  const t0 = process.hrtime.bigint();
  while (runs < 3 || seconds(t0) < 2) {
    const q = db.querier(start, start + 3600_000);
    for (const s of q.select(matchers)) samples += s.samples().length;
    q.close();
    runs++;
  }
  const secs = seconds(t0);
  report.add('head_select_1h_10k_series_ms', Number(((secs / runs) * 1000).toFixed(1)), 'ms');
  report.add('head_select_decode_samples_per_sec', Math.round(samples / secs), 'samples/s');
  db.close();
}

/** Restart time: WAL replay of about 1 GiB of series and samples records. */
async function replayTime(report: BenchReport, dir: string): Promise<void> {
  const walDir = path.join(dir, 'wal');
  const wal = WAL.open(walDir, { logger });
  const series = fleet(20);
  const refs = series.map((_, i) => i + 1);
  wal.log(
    encodeSeries(
      refs,
      series.map((s) => s.labels),
    ),
  );
  const rnd = prng(9);
  const n = series.length;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const cur = series.map((s) => s.start);
  const start = 1_700_000_000_000;
  let samples = 0;
  for (let round = 0; wal.size() < 1024 * 1024 * 1024; round++) {
    for (let i = 0; i < n; i++) {
      ts[i] = start + round * 15_000;
      vs[i] = cur[i];
      cur[i] = series[i].step(cur[i], rnd);
    }
    wal.log(encodeSamples(refs, ts, vs, n));
    samples += n;
  }
  const bytes = wal.size();
  wal.close();
  const t0 = process.hrtime.bigint();
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
  const secs = seconds(t0);
  const q = db.querier(-Infinity, Infinity);
  let replayed = 0;
  for (const s of q.select([new Matcher('=', 'instance', 'node-0:9100')])) replayed += s.samples().length;
  q.close();
  db.close();
  report.add('tsdb_replay_1gib_seconds', Number(secs.toFixed(1)), 's');
  report.add('tsdb_replay_wal_gib', Number((bytes / 1024 ** 3).toFixed(2)), 'GiB');
  report.add('tsdb_replay_1gib_samples_per_sec', Math.round(samples / secs), 'samples/s');
  if (replayed === 0) throw new Error('replay lost the data');
}

export async function benchTsdb(report: BenchReport): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-bench-tsdb-'));
  try {
    await benchChunks(report);
    await benchWal(report);
    await appendThroughput(report, path.join(base, 'append'));
    await selectThroughput(report, path.join(base, 'select'));
    await benchBlocks(report);
    await replayTime(report, path.join(base, 'replay'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
