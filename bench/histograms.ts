// `npm run bench -- histograms`: native histograms end to end, side by side with Debian's Prometheus
// 2.42 (`--enable-feature=native-histograms`) on the same targets, one server after the other:
//   - ingest: CPU seconds per million histogram samples scraped (protobuf, exponential schema 3,
//     ~24 populated buckets, counts growing every scrape), whole server process, /proc utime+stime;
//   - query: median latency over HTTP of range queries over the scraped histograms (quantile of a
//     summed rate, count of a rate, a sum by target of rates), run while the server keeps scraping;
//   - size: bytes per histogram sample in a chunk, from Promethium's chunk encoder over the same
//     series. Promethium writes Prometheus's histogram chunk layout byte for byte (checked against
//     2.42's chunks in test/e2e/native-histograms.test.ts), so this figure is Prometheus's too; the
//     block on disk adds SQLite's page overhead, also reported.
// The targets are HTTP servers in this process (their cost is not the servers'); both servers run
// with the same prometheus.yml apart from 2.42's lack of scrape_protocols / scrape_native_histograms.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log/logger.js';
import { CounterResetHint, type Histogram } from '../src/model/histogram.js';
import { Labels } from '../src/model/labels.js';
import { ProtoWriter } from '../src/model/protobuf.js';
import { HistogramChunk } from '../src/tsdb/chunks/histogram.js';
import { BLOCK_FILE } from '../src/tsdb/block/format.js';
import { TSDB } from '../src/tsdb/db.js';
import {
  cpuSeconds,
  freePort,
  getText,
  hasPrometheus,
  instantQuery,
  killAllOnExit,
  metricSum,
  rssBytes,
  sleep,
  track,
  promethiumCommand,
} from './harness.js';
import type { BenchReport } from './report.js';

const TARGETS = 10;
const SERIES_PER_TARGET = 200;
const BUCKETS = 24;
const INTERVAL_S = 2;
const WARMUP_MS = 10_000;
const WINDOW_MS = 40_000;
const QUERY_RUNS = 9;
const NAME = 'bench_request_seconds';
const PROTO = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Bucket deltas of one series' histogram after `n` observations rounds (integers, growing). */
function bucketCounts(series: number, n: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < BUCKETS; b++) {
    // a bell-ish shape per series, every bucket growing at its own pace
    const w = 1 + ((b * 7 + series * 3) % 11) + (b > 6 && b < 18 ? 20 : 0);
    out.push(w * n + ((b + series) % 3));
  }
  return out;
}

/** One series' native histogram at round `n`, in Prometheus's integer form (bucket deltas). */
function histogramAt(series: number, n: number): Histogram {
  const abs = bucketCounts(series, n);
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 3,
    zeroThreshold: 2 ** -128,
    zeroCount: n,
    count: abs.reduce((a, b) => a + b, 0) + n,
    sum: 0.125 * n * (series + 1),
    positiveSpans: [{ offset: -4, length: BUCKETS }],
    positiveBuckets: abs.map((v, i) => (i === 0 ? v : v - abs[i - 1])),
    negativeSpans: [],
    negativeBuckets: [],
  };
}

/** A protobuf exposition body: one MetricFamily of native histograms, length-delimited. */
function body(target: number, n: number): Uint8Array {
  const fam = new ProtoWriter();
  fam.stringField(1, NAME);
  fam.stringField(2, 'Request latency.');
  fam.uvarintField(3, 4); // HISTOGRAM
  for (let s = 0; s < SERIES_PER_TARGET; s++) {
    const h = histogramAt(target * SERIES_PER_TARGET + s, n);
    const metric = new ProtoWriter();
    const label = new ProtoWriter();
    label.stringField(1, 'series');
    label.stringField(2, String(s));
    metric.messageField(1, label);
    const ph = new ProtoWriter();
    ph.uvarintField(1, h.count);
    ph.doubleField(2, h.sum);
    ph.sintField(5, h.schema);
    ph.doubleField(6, h.zeroThreshold);
    ph.uvarintField(7, h.zeroCount);
    const span = new ProtoWriter();
    span.sintField(1, h.positiveSpans[0].offset);
    span.uvarintField(2, h.positiveSpans[0].length);
    ph.messageField(12, span);
    ph.packedSintField(13, h.positiveBuckets);
    metric.messageField(7, ph);
    fam.messageField(4, metric);
  }
  const msg = fam.bytes();
  const out = new ProtoWriter();
  out.uvarint(msg.length);
  out.raw(msg);
  return out.bytes();
}

/** The targets: each scrape advances its series one round. */
async function startTargets(): Promise<{ ports: number[]; close(): void }> {
  const servers: http.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < TARGETS; i++) {
    let n = 0;
    const server = http.createServer((_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': PROTO }).end(body(i, n));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    ports.push((server.address() as import('node:net').AddressInfo).port);
  }
  return {
    ports,
    close: () => {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    },
  };
}

interface Measurement {
  cpuPerMillion: number;
  samplesPerSecond: number;
  rssMiB: number;
  queryMs: Record<string, number>;
}

const QUERIES: Record<string, string> = {
  quantile_of_summed_rate: `histogram_quantile(0.9, sum(rate(${NAME}[20s])))`,
  count_of_rate: `histogram_count(rate(${NAME}[20s]))`,
  sum_by_target_of_rate: `sum by (instance) (rate(${NAME}[20s]))`,
};

async function rangeQueryMs(base: string, q: string, start: number, end: number): Promise<number> {
  const t0 = performance.now();
  const text = await getText(
    `${base}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${start}&end=${end}&step=2`,
  );
  const ms = performance.now() - t0;
  const parsed = JSON.parse(text) as { status: string; data: { result: unknown[] } };
  if (parsed.status !== 'success' || parsed.data.result.length === 0)
    throw new Error(`${q}: no result from ${base}: ${text.slice(0, 300)}`);
  return ms;
}

async function measure(name: string, command: string, args: string[], port: number): Promise<Measurement> {
  const base = `http://127.0.0.1:${port}`;
  const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const fail = (msg: string): Error => new Error(`${name}: ${msg}\n${stderr}`);
  const total = TARGETS * SERIES_PER_TARGET;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw fail(`exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw fail(`${total} histogram series not ingested within 60 s`);
      await sleep(500);
      try {
        // the histograms themselves, not their classic parts
        if ((await instantQuery(base, `count(histogram_count(${NAME}))`)) === total) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(WARMUP_MS);
    const pid = child.pid!;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(pid);
    const s0 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    await sleep(WINDOW_MS);
    const cpu1 = cpuSeconds(pid);
    const s1 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    const seconds = (performance.now() - t0) / 1000;
    const samples = s1 - s0;
    const end = Math.floor(Date.now() / 1000);
    const queryMs: Record<string, number> = {};
    for (const [k, q] of Object.entries(QUERIES)) {
      const runs: number[] = [];
      for (let i = 0; i < QUERY_RUNS; i++) runs.push(await rangeQueryMs(base, q, end - 40, end));
      runs.sort((a, b) => a - b);
      queryMs[k] = runs[Math.floor(runs.length / 2)];
    }
    return {
      cpuPerMillion: (cpu1 - cpu0) / (samples / 1e6),
      samplesPerSecond: samples / seconds,
      rssMiB: rssBytes(pid) / 2 ** 20,
      queryMs,
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const exited = new Promise((r) => child.once('exit', r));
      if ((await Promise.race([exited, sleep(20_000).then(() => 'timeout')])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }
}

/** Chunk bytes per sample for the bench's series (120 rounds each), and the block's after compaction. */
async function sizes(report: BenchReport): Promise<void> {
  let bytes = 0;
  let samples = 0;
  for (let s = 0; s < 100; s++) {
    const c = new HistogramChunk();
    for (let n = 1; n <= 120; n++) c.append(n * 15_000, histogramAt(s, n));
    bytes += c.bytes().length;
    samples += 120;
  }
  report.add('chunk_bytes_per_histogram_sample', Number((bytes / samples).toFixed(2)), 'bytes');
  // the same series through the TSDB: 4 h at 15 s, compacted into blocks, block files summed
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-hist-bench-'));
  try {
    const db = TSDB.open({
      dir,
      retentionMs: 0,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
    });
    const start = 1_700_000_000_000;
    const rounds = (4 * 3_600_000) / 15_000;
    let appended = 0;
    for (let n = 1; n <= rounds; n++) {
      const app = db.appender();
      for (let s = 0; s < 100; s++) {
        app.appendHistogram!(
          0,
          Labels.fromRecord({ __name__: NAME, series: String(s) }),
          start + n * 15_000,
          histogramAt(s, n),
          undefined,
        );
        appended++;
      }
      await app.commit();
    }
    await db.compact();
    // samples the blocks hold: the head keeps the newest part (about one block range and a half)
    const blocks = db.blockMetas();
    const inBlocks = blocks.reduce((a, m) => a + m.stats.numSamples, 0);
    db.close();
    let onDisk = 0;
    for (const f of fs.readdirSync(dir, { recursive: true }) as string[])
      if (path.basename(f) === BLOCK_FILE) onDisk += fs.statSync(path.join(dir, f)).size;
    report.add('histogram_samples_appended', appended, 'samples');
    report.add('histogram_samples_in_blocks', inBlocks, 'samples');
    report.add('block_bytes_per_histogram_sample', Number((onDisk / inBlocks).toFixed(2)), 'bytes');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchHistograms(report: BenchReport, repoRoot: string): Promise<void> {
  killAllOnExit();
  report.add('load_average_1m_at_start', Number(os.loadavg()[0]!.toFixed(2)), 'load');
  await sizes(report);
  const targets = await startTargets();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-hist-scrape-'));
  try {
    const list = targets.ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
    const config = (extra: string): string =>
      `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\n` +
      `scrape_configs:\n  - job_name: hist\n${extra}    static_configs:\n      - targets: [${list}]\n`;
    const ourCfg = path.join(work, 'promethium.yml');
    fs.writeFileSync(ourCfg, config('    scrape_native_histograms: true\n'));
    const ourPort = await freePort();
    const ours = await measure(
      'promethium',
      process.execPath,
      [
        ...promethiumCommand(repoRoot),
        `--config.file=${ourCfg}`,
        `--storage.tsdb.path=${path.join(work, 'promethium-data')}`,
        `--web.listen-address=127.0.0.1:${ourPort}`,
      ],
      ourPort,
    );
    const r = (x: number, d = 3): number => Number(x.toFixed(d));
    report.add('promethium_cpu_seconds_per_million_histogram_samples', r(ours.cpuPerMillion), 'cpu-s/M');
    report.add('promethium_histogram_samples_per_second', Math.round(ours.samplesPerSecond), 'samples/s');
    report.add('promethium_rss_at_end', r(ours.rssMiB, 1), 'MiB');
    for (const [k, v] of Object.entries(ours.queryMs))
      report.add(`promethium_query_${k}_median`, r(v, 1), 'ms');
    if (!hasPrometheus()) {
      process.stdout.write('prometheus (Debian) not installed: no side-by-side figures\n');
      return;
    }
    // 2.42: protobuf first in Accept once native histograms are on; no scrape_protocols setting
    const promCfg = path.join(work, 'prometheus.yml');
    fs.writeFileSync(promCfg, config(''));
    const promPort = await freePort();
    const prom = await measure(
      'prometheus',
      'prometheus',
      [
        `--config.file=${promCfg}`,
        `--storage.tsdb.path=${path.join(work, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--enable-feature=native-histograms',
      ],
      promPort,
    );
    report.add('prometheus_cpu_seconds_per_million_histogram_samples', r(prom.cpuPerMillion), 'cpu-s/M');
    report.add('prometheus_histogram_samples_per_second', Math.round(prom.samplesPerSecond), 'samples/s');
    report.add('prometheus_rss_at_end', r(prom.rssMiB, 1), 'MiB');
    for (const [k, v] of Object.entries(prom.queryMs))
      report.add(`prometheus_query_${k}_median`, r(v, 1), 'ms');
    report.add('cpu_per_histogram_sample_ratio', r(ours.cpuPerMillion / prom.cpuPerMillion), 'x');
    for (const k of Object.keys(QUERIES))
      report.add(`query_${k}_ratio`, r(ours.queryMs[k] / prom.queryMs[k]), 'x');
  } finally {
    targets.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
