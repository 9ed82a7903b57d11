// `npm run bench -- vs-prometheus`: Promethium and Debian's Prometheus 2.42 on the same workloads in
// one run, as ratios Promethium / Prometheus (issue 19's figures, each the median of VS_RUNS runs,
// 3 by default):
//
//   cpu_per_sample_ratio         CPU seconds (utime + stime, all threads) per million samples
//                                scraped: 100 targets × 1,000 node-exporter-like series at 5 s,
//                                targets in their own process, a 60 s window after warm-up
//   rss_per_series_ratio         slope of RSS against active series, 50k → 200k series (100 targets
//                                × 500 and × 2,000), so a fixed runtime overhead does not count
//   wal_replay_ratio             kill -9 after the scrape window, then restart to ready (/-/ready 200)
//   disk_bytes_per_sample_ratio  block bytes after each side's backfill and compaction of the same
//                                OpenMetrics input (1,000 series and a classic histogram, 24 h at 15 s)
//   query_latency_ratio          geometric mean over a dashboard set of the ratios of median HTTP
//                                latencies on that backfilled data: instant queries and range queries
//                                over 1 h, 6 h and 24 h (rate, sum by rate, histogram_quantile, topk,
//                                group_left joins, subqueries, count/absent, label queries)
//
// Each side's absolute figures are printed too, and the 1-minute load average at the start.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBlocksFromOpenMetrics } from '../src/cli/create-blocks.js';
import { createLogger } from '../src/log/logger.js';
import { formatGoFloat } from '../src/model/exposition/writer.js';
import { TSDB } from '../src/tsdb/db.js';
import {
  cpuSeconds,
  freePort,
  getText,
  hasPrometheus,
  instantQuery,
  killAll,
  killAllOnExit,
  metricSum,
  rssBytes,
  sleep,
  Targets,
  track,
  promethiumCommand,
} from './harness.js';
import type { BenchReport } from './report.js';
import { nodeExporterSeries, prng, scrapeTimes } from './tsdb-block.js';

const RUNS = Number(process.env.VS_RUNS ?? 3);
// VS_QUICK=1: short windows and 2 h of data, to check the benchmark itself (figures not comparable)
const QUICK = process.env.VS_QUICK === '1';
const TARGETS = 100;
const INTERVAL_S = 5;
const WARMUP_MS = QUICK ? 5_000 : 15_000;
const WINDOW_MS = QUICK ? 10_000 : 60_000;
const SETTLE_MS = QUICK ? 5_000 : 30_000;
const DAY = 86_400_000;
const DATA_MS = QUICK ? 2 * 3_600_000 : DAY;
const H = 3_600_000;
const ULID_RE = /^[0-9A-Z]{26}$/;

interface Side {
  name: 'promethium' | 'prometheus';
  command: string;
  args(config: string, data: string, port: number, extra?: string[]): string[];
}

function sides(repoRoot: string): Side[] {
  return [
    {
      name: 'promethium',
      command: process.execPath,
      args: (config, data, port, extra = []) => [
        ...promethiumCommand(repoRoot),
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...extra,
      ],
    },
    {
      name: 'prometheus',
      command: 'prometheus',
      args: (config, data, port, extra = []) => [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...extra,
      ],
    },
  ];
}

async function start(side: Side, args: string[]): Promise<ChildProcess> {
  const child = track(spawn(side.command, args, { stdio: ['ignore', 'ignore', 'ignore'] }));
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  if ((await Promise.race([exited, sleep(30_000).then(() => 'timeout')])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Milliseconds until /-/ready answers 200 (from `since`). */
async function ready(base: string, child: ChildProcess, since: number, timeoutMs = 300_000): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${base}: exited with ${child.exitCode}`);
    if (performance.now() - since > timeoutMs) throw new Error(`${base}: not ready in time`);
    try {
      if ((await fetch(`${base}/-/ready`)).status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
}

async function allUp(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${base}: exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${base}: not all ${TARGETS} targets up`);
    await sleep(500);
    try {
      if ((await instantQuery(base, 'count(up == 1)')) === TARGETS) return;
    } catch {
      // not yet
    }
  }
}

function writeScrapeConfig(file: string, ports: number[]): void {
  fs.writeFileSync(
    file,
    `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\n` +
      `scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${ports
        .map((p) => `'127.0.0.1:${p}'`)
        .join(', ')}]\n`,
  );
}

/** Median of a few RSS readings 2 s apart (Go's and V8's collectors move it around). */
async function steadyRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssBytes(pid));
    await sleep(2000);
  }
  return median(xs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface ScrapeFigures {
  cpuPerMillion: number;
  rss100k: number;
  replayMs: number;
}

/** 100 targets × 1,000 series: CPU per sample over the window, then kill -9 and the restart. */
async function scrapeRun(side: Side, script: string, work: string): Promise<ScrapeFigures> {
  const { targets, ports } = await Targets.start(script, TARGETS, 1000);
  try {
    const config = path.join(work, `${side.name}-scrape.yml`);
    writeScrapeConfig(config, ports);
    const data = path.join(work, `${side.name}-scrape-data`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const args = side.args(config, data, port);
    let child = await start(side, args);
    await allUp(base, child);
    await sleep(WARMUP_MS);
    const pid = child.pid!;
    const cpu0 = cpuSeconds(pid);
    const s0 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    await sleep(WINDOW_MS);
    const cpu1 = cpuSeconds(pid);
    const s1 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    const rss100k = await steadyRss(pid);
    await stop(child, 'SIGKILL');
    const t0 = performance.now();
    child = await start(side, args);
    const replayMs = await ready(base, child, t0);
    await stop(child);
    return { cpuPerMillion: (cpu1 - cpu0) / ((s1 - s0) / 1e6), rss100k, replayMs };
  } finally {
    targets.close();
  }
}

/** RSS with `series` series per target, after every target is up and a warm-up. */
async function rssAt(side: Side, script: string, work: string, series: number): Promise<number> {
  const { targets, ports } = await Targets.start(script, TARGETS, series);
  try {
    const config = path.join(work, `${side.name}-rss-${series}.yml`);
    writeScrapeConfig(config, ports);
    const port = await freePort();
    const child = await start(side, side.args(config, path.join(work, `${side.name}-rss-${series}`), port));
    try {
      await allUp(`http://127.0.0.1:${port}`, child);
      await sleep(SETTLE_MS);
      return await steadyRss(child.pid!);
    } finally {
      await stop(child);
    }
  } finally {
    targets.close();
  }
}

/** The backfill input: 1,000 node-exporter-like series and a classic histogram, 24 h at 15 s. */
function writeInput(file: string, end: number): number {
  const rnd = prng(7);
  const times = scrapeTimes(end - DATA_MS, end, 15_000, rnd);
  const fd = fs.openSync(file, 'w');
  let samples = 0;
  for (const s of nodeExporterSeries(1000)) {
    const name = s.labels.toString().replace(/", /g, '",');
    let v = s.start;
    let buf = '';
    for (const t of times) {
      buf += `${name} ${formatGoFloat(v)} ${(t / 1000).toFixed(3)}\n`;
      v = s.step(v, rnd);
      samples++;
    }
    fs.writeSync(fd, buf);
  }
  // a classic histogram of request latencies for 4 handlers
  const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  fs.writeSync(fd, '# TYPE http_request_duration_seconds histogram\n');
  for (const handler of ['/api', '/login', '/search', '/static']) {
    const counts = bounds.map(() => 0);
    let buf = '';
    for (const t of times) {
      let acc = 0;
      for (let b = 0; b < bounds.length; b++) {
        acc += Math.floor(rnd() * 20);
        counts[b] += acc;
        buf += `http_request_duration_seconds_bucket{handler="${handler}",instance="node-1:9100",job="node",le="${bounds[b]}"} ${counts[b]} ${(t / 1000).toFixed(3)}\n`;
        samples++;
      }
    }
    fs.writeSync(fd, buf);
  }
  fs.writeSync(fd, '# EOF\n');
  fs.closeSync(fd);
  return samples;
}

function blockBytes(dir: string): number {
  let bytes = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!ULID_RE.test(name)) continue;
    for (const f of fs.readdirSync(path.join(dir, name), { recursive: true }) as string[]) {
      const st = fs.statSync(path.join(dir, name, f));
      if (st.isFile()) bytes += st.size;
    }
  }
  return bytes;
}

/** The dashboard set: queries over the backfilled node exporter and histogram data. */
const DASHBOARD = [
  'rate(node_cpu_seconds_total[5m])',
  'sum by (mode) (rate(node_cpu_seconds_total[5m]))',
  'sum by (device) (rate(node_network_receive_bytes_total[5m]))',
  'histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket[5m])))',
  'topk(5, rate(node_disk_written_bytes_total[5m]))',
  'node_filesystem_avail_bytes / on (instance, device, mountpoint) group_left () node_filesystem_size_bytes',
  'max_over_time(rate(node_cpu_seconds_total{mode="user"}[5m])[30m:1m])',
  'count by (mode) (node_cpu_seconds_total)',
  'absent(node_missing_metric)',
  'count(count by (__name__) ({job="node"}))',
];

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error}`);
  return performance.now() - t0;
}

/** Median latency (ms) of each dashboard query, instant and over 1 h, 6 h and 24 h, and label calls. */
async function queryLatencies(base: string, end: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const urls: Array<[string, string]> = [];
  for (const q of DASHBOARD) {
    const e = encodeURIComponent(q);
    urls.push([`instant ${q}`, `${base}/api/v1/query?query=${e}&time=${end / 1000}`]);
    for (const [name, range] of [
      ['1h', H],
      ['6h', 6 * H],
      ['24h', DATA_MS - 10 * 60_000],
    ] as const) {
      if (range > DATA_MS) continue;
      const step = Math.max(15, Math.round(range / 1000 / 250));
      urls.push([
        `${name} ${q}`,
        `${base}/api/v1/query_range?query=${e}&start=${(end - range) / 1000}&end=${end / 1000}&step=${step}`,
      ]);
    }
  }
  urls.push(['labels', `${base}/api/v1/labels?start=${(end - DATA_MS) / 1000}&end=${end / 1000}`]);
  urls.push([
    'label values',
    `${base}/api/v1/label/__name__/values?start=${(end - DATA_MS) / 1000}&end=${end / 1000}`,
  ]);
  urls.push([
    'series',
    `${base}/api/v1/series?match[]=node_cpu_seconds_total&start=${(end - H) / 1000}&end=${end / 1000}`,
  ]);
  for (const [name, url] of urls) {
    await timed(url); // warm-up
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) xs.push(await timed(url));
    out.set(name, median(xs));
  }
  return out;
}

interface DataFigures {
  bytesPerSample: number;
  latencies: Map<string, number>;
}

/** Backfill, compaction and the dashboard's latencies, one side. */
async function dataRun(
  side: Side,
  input: string,
  samples: number,
  end: number,
  work: string,
): Promise<DataFigures> {
  const data = path.join(work, `${side.name}-backfill`);
  fs.rmSync(data, { recursive: true, force: true });
  const config = path.join(work, `${side.name}-query.yml`);
  fs.writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
  if (side.name === 'prometheus') {
    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, data], { stdio: 'ignore' });
  } else {
    createBlocksFromOpenMetrics({
      input,
      outputDir: data,
      humanReadable: false,
      quiet: true,
      labels: {},
      out: () => undefined,
    });
    const db = TSDB.open({
      dir: data,
      retentionMs: 100 * 365 * DAY,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt' }),
    });
    await db.compact();
    db.close();
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await start(side, side.args(config, data, port, ['--storage.tsdb.retention.time=100y']));
  try {
    await ready(base, child, performance.now());
    if (side.name === 'prometheus') {
      // its own compaction of the backfilled 2 h blocks: until it has compacted and the block
      // list stopped changing
      let last = '';
      let stable = Date.now();
      const started = Date.now();
      const deadline = started + 180_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error('Prometheus did not finish compacting in time');
        await sleep(500);
        const compactions = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_compactions_total');
        const now = fs
          .readdirSync(data)
          .filter((n) => ULID_RE.test(n))
          .sort()
          .join(',');
        if (now !== last) {
          last = now;
          stable = Date.now();
        }
        // (2 h of data, VS_QUICK, leaves nothing to compact: then a minute of no change will do)
        if ((compactions > 0 || Date.now() - started > 60_000) && Date.now() - stable > 5000) break;
      }
    }
    const bytesPerSample = blockBytes(data) / samples;
    return { bytesPerSample, latencies: await queryLatencies(base, end) };
  } finally {
    await stop(child);
  }
}

export async function benchVsPrometheus(report: BenchReport, repoRoot: string): Promise<void> {
  if (!hasPrometheus()) throw new Error("Debian's prometheus is not installed (apt-get install prometheus)");
  killAllOnExit();
  report.add('load_average_1m_at_start', Number(os.loadavg()[0]!.toFixed(2)), 'load');
  report.add('runs', RUNS, 'runs');
  const script = path.join(repoRoot, 'dist', 'bench', 'scrape-targets.js');
  const [ours, theirs] = sides(repoRoot);
  const ratios: Record<string, number[]> = {
    cpu_per_sample_ratio: [],
    rss_per_series_ratio: [],
    wal_replay_ratio: [],
    disk_bytes_per_sample_ratio: [],
    query_latency_ratio: [],
  };
  const abs: Record<string, number[]> = {};
  const units: Record<string, string> = {};
  const keep = (name: string, v: number, unit = 'ratio'): void => {
    (abs[name] ??= []).push(v);
    units[name] = unit;
  };
  for (let run = 0; run < RUNS; run++) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-vs-'));
    try {
      const perSide = new Map<string, ScrapeFigures & { slope: number } & DataFigures>();
      const end = Math.floor(Date.now() / H) * H - H;
      const input = path.join(work, 'input.om');
      const samples = writeInput(input, end);
      for (const side of [ours!, theirs!]) {
        const scrape = await scrapeRun(side, script, work);
        const rss50 = await rssAt(side, script, work, 500);
        const rss200 = await rssAt(side, script, work, 2000);
        const slope = (rss200 - rss50) / 150_000;
        const dataFigures = await dataRun(side, input, samples, end, work);
        perSide.set(side.name, { ...scrape, slope, ...dataFigures });
        keep(`${side.name}_cpu_seconds_per_million_samples`, scrape.cpuPerMillion, 'cpu-s/M samples');
        keep(`${side.name}_rss_at_100k_series`, scrape.rss100k / 2 ** 20, 'MiB');
        keep(`${side.name}_rss_at_50k_series`, rss50 / 2 ** 20, 'MiB');
        keep(`${side.name}_rss_at_200k_series`, rss200 / 2 ** 20, 'MiB');
        keep(`${side.name}_rss_per_series`, slope, 'bytes/series');
        keep(`${side.name}_wal_replay`, scrape.replayMs / 1000, 's');
        keep(`${side.name}_disk_bytes_per_sample`, dataFigures.bytesPerSample, 'bytes/sample');
      }
      const a = perSide.get('promethium')!;
      const b = perSide.get('prometheus')!;
      ratios.cpu_per_sample_ratio!.push(a.cpuPerMillion / b.cpuPerMillion);
      ratios.rss_per_series_ratio!.push(a.slope / b.slope);
      ratios.wal_replay_ratio!.push(a.replayMs / b.replayMs);
      ratios.disk_bytes_per_sample_ratio!.push(a.bytesPerSample / b.bytesPerSample);
      let logSum = 0;
      for (const [name, ms] of a.latencies) {
        const r = ms / b.latencies.get(name)!;
        logSum += Math.log(r);
        keep(`query_ratio ${name}`, r);
      }
      ratios.query_latency_ratio!.push(Math.exp(logSum / a.latencies.size));
      // each run's ratios as soon as it is done (a long run can be read before it ends)
      process.stdout.write(
        `run ${run + 1}: ${Object.entries(ratios)
          .map(([k, xs]) => `${k} ${xs[xs.length - 1]!.toFixed(3)}`)
          .join(', ')}\n`,
      );
      keep('promethium_query_median_latency', median([...a.latencies.values()]), 'ms');
      keep('prometheus_query_median_latency', median([...b.latencies.values()]), 'ms');
    } finally {
      killAll();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const r3 = (x: number): number => Number(x.toFixed(3));
  for (const [name, xs] of Object.entries(ratios)) {
    report.add(name, r3(median(xs)), 'ratio');
    xs.forEach((x, i) => report.add(`${name}_run${i + 1}`, r3(x), 'ratio'));
  }
  for (const [name, xs] of Object.entries(abs)) {
    if (name.startsWith('query_ratio ')) continue;
    report.add(name, r3(median(xs)), units[name]!);
  }
  // the per-query ratios of the median run, to see where the time goes
  for (const [name, xs] of Object.entries(abs))
    if (name.startsWith('query_ratio ')) process.stdout.write(`${name}: ${xs.map(r3).join(' ')}\n`);
}
