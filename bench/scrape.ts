// `npm run bench -- scrape`: the whole scrape path of the real server (fetch, parse, relabel, append,
// WAL), as CPU seconds per million samples ingested, and how far the actual scrape intervals stray
// from the configured one. 100 targets × 1,000 node-exporter-like series on loopback, served by a
// separate process (bench/scrape-targets.ts) so their cost is not the server's. The server is
// `dist/src/cli/promethium.js` started as a user would, with a generated prometheus.yml; then, when
// Debian's `prometheus` is installed, Prometheus on the same targets and config, one after the other.
//
// CPU is the server process's utime + stime from /proc/<pid>/stat over a fixed window after warm-up;
// samples are the delta of its own prometheus_tsdb_head_samples_appended_total over the same window.
// Interval spread is measured at the targets (arrival gaps per target, the same for both servers),
// and also read from the server's prometheus_target_interval_length_seconds summary.
//
// SCRAPE_BENCH_CPU_PROF=<dir> runs Promethium with `node --cpu-prof --cpu-prof-dir=<dir>`;
// SCRAPE_BENCH_SKIP_PEER=1 skips Prometheus (for profiling runs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cpuSeconds,
  freePort,
  getText,
  hasPrometheus,
  instantQuery,
  killAll,
  killAllOnExit,
  metricSum,
  quantile,
  rssBytes,
  sleep,
  Targets,
  track,
  promethiumCommand,
} from './harness.js';
import type { BenchReport } from './report.js';

const TARGETS = 100;
const SERIES = 1000;
const INTERVAL_S = 5;
const WARMUP_MS = 15_000;
const WINDOW_MS = 60_000;

interface Measurement {
  cpuSeconds: number;
  samples: number;
  windowSeconds: number;
  requests: number;
  /** TCP connections the server opened to the targets in the window (keep-alive would make it ~0). */
  connections: number;
  /** Target-observed gaps minus the configured interval, ms: p1, p50, p99, max |deviation|. */
  deviationMs: { p1: number; p50: number; p99: number; maxAbs: number };
  /** The server's own prometheus_target_interval_length_seconds quantiles minus the interval, ms. */
  selfDeviationMs: { p1: number; p50: number; p99: number };
  scrapeDurationMs: number;
  rssBytes: number;
}

/** Runs one server on the targets: wait until every target is up, warm up, measure a fixed window. */
async function measureServer(
  name: string,
  command: string,
  args: string[],
  port: number,
  targets: Targets,
): Promise<Measurement> {
  const base = `http://127.0.0.1:${port}`;
  const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const fail = (msg: string): Error => new Error(`${name}: ${msg}\n${stderr}`);
  try {
    const upDeadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw fail(`exited with code ${child.exitCode}`);
      if (Date.now() > upDeadline) throw fail(`not all ${TARGETS} targets up within 60 s`);
      await sleep(500);
      try {
        if ((await instantQuery(base, 'count(up == 1)')) === TARGETS) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(WARMUP_MS);
    await targets.mark();
    const pid = child.pid!;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(pid);
    const samples0 = metricSum(
      await getText(`${base}/metrics`),
      'prometheus_tsdb_head_samples_appended_total',
    );
    await sleep(WINDOW_MS);
    const cpu1 = cpuSeconds(pid);
    const metrics = await getText(`${base}/metrics`);
    const samples1 = metricSum(metrics, 'prometheus_tsdb_head_samples_appended_total');
    const windowSeconds = (performance.now() - t0) / 1000;
    const seen = await targets.report();
    const dev = seen.diffsMs.map((d) => d - INTERVAL_S * 1000).sort((a, b) => a - b);
    const self = (q: string): number =>
      (metricSum(
        metrics,
        `prometheus_target_interval_length_seconds\\{interval="${INTERVAL_S}s",quantile="${q}"\\}`,
      ) -
        INTERVAL_S) *
      1000;
    const scrapeDuration = await instantQuery(
      base,
      `avg(avg_over_time(scrape_duration_seconds[${Math.floor(windowSeconds)}s]))`,
    );
    return {
      cpuSeconds: cpu1 - cpu0,
      samples: samples1 - samples0,
      windowSeconds,
      requests: seen.requests,
      connections: seen.connections,
      deviationMs: {
        p1: quantile(dev, 0.01),
        p50: quantile(dev, 0.5),
        p99: quantile(dev, 0.99),
        maxAbs: Math.max(...dev.map(Math.abs)),
      },
      selfDeviationMs: { p1: self('0.01'), p50: self('0.5'), p99: self('0.99') },
      scrapeDurationMs: scrapeDuration * 1000,
      rssBytes: rssBytes(pid),
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

function writeConfig(file: string, ports: number[]): void {
  const targets = ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
  fs.writeFileSync(
    file,
    `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\n` +
      `scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${targets}]\n`,
  );
}

function addFigures(report: BenchReport, prefix: string, m: Measurement): number {
  const r = (x: number, d = 3): number => Number(x.toFixed(d));
  const perMillion = m.cpuSeconds / (m.samples / 1e6);
  report.add(`${prefix}_cpu_seconds_per_million_samples`, r(perMillion), 'cpu-s/M samples');
  report.add(`${prefix}_cpu_seconds`, r(m.cpuSeconds, 2), 's');
  report.add(`${prefix}_samples_appended`, m.samples, 'samples');
  report.add(`${prefix}_samples_per_second`, Math.round(m.samples / m.windowSeconds), 'samples/s');
  report.add(`${prefix}_cpu_share_of_one_core`, r(m.cpuSeconds / m.windowSeconds), 'cores');
  report.add(`${prefix}_scrapes_seen_by_targets`, m.requests, 'scrapes');
  report.add(`${prefix}_connections_opened`, m.connections, 'connections');
  report.add(`${prefix}_interval_deviation_p1`, r(m.deviationMs.p1, 2), 'ms');
  report.add(`${prefix}_interval_deviation_p50`, r(m.deviationMs.p50, 2), 'ms');
  report.add(`${prefix}_interval_deviation_p99`, r(m.deviationMs.p99, 2), 'ms');
  report.add(`${prefix}_interval_deviation_max_abs`, r(m.deviationMs.maxAbs, 2), 'ms');
  report.add(`${prefix}_self_reported_interval_deviation_p1`, r(m.selfDeviationMs.p1, 2), 'ms');
  report.add(`${prefix}_self_reported_interval_deviation_p50`, r(m.selfDeviationMs.p50, 2), 'ms');
  report.add(`${prefix}_self_reported_interval_deviation_p99`, r(m.selfDeviationMs.p99, 2), 'ms');
  report.add(`${prefix}_avg_scrape_duration`, r(m.scrapeDurationMs, 2), 'ms');
  report.add(`${prefix}_rss_at_end`, r(m.rssBytes / 2 ** 20, 1), 'MiB');
  return perMillion;
}

export async function benchScrape(report: BenchReport, repoRoot: string): Promise<void> {
  killAllOnExit();
  report.add('load_average_1m_at_start', Number(os.loadavg()[0]!.toFixed(2)), 'load');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-scrape-bench-'));
  let targets: Targets | undefined;
  try {
    const started = await Targets.start(
      path.join(repoRoot, 'dist', 'bench', 'scrape-targets.js'),
      TARGETS,
      SERIES,
    );
    targets = started.targets;
    const config = path.join(work, 'prometheus.yml');
    writeConfig(config, started.ports);

    const ourPort = await freePort();
    const prof = process.env.SCRAPE_BENCH_CPU_PROF;
    const ours = await measureServer(
      'promethium',
      process.execPath,
      [
        ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : []),
        ...promethiumCommand(repoRoot),
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(work, 'promethium-data')}`,
        `--web.listen-address=127.0.0.1:${ourPort}`,
      ],
      ourPort,
      targets,
    );
    const ourPerMillion = addFigures(report, 'promethium', ours);

    if (process.env.SCRAPE_BENCH_SKIP_PEER === '1') return;
    if (!hasPrometheus()) {
      process.stdout.write(
        "Debian's prometheus is not installed (apt-get install prometheus): no peer figures\n",
      );
      return;
    }
    const promPort = await freePort();
    const theirs = await measureServer(
      'prometheus',
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(work, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      promPort,
      targets,
    );
    const theirPerMillion = addFigures(report, 'prometheus', theirs);
    report.add(
      'cpu_per_sample_ratio_promethium_to_prometheus',
      Number((ourPerMillion / theirPerMillion).toFixed(3)),
      'ratio',
    );
  } finally {
    targets?.close();
    killAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
