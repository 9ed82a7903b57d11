// `npm run bench -- query-load`: does query load take the ingest thread from the scrapers? 50 targets ×
// 200 node-exporter-like series scraped every 5 s (bench/scrape-targets.ts, its own process), 30
// minutes of history backfilled into blocks with each server's own tool, then a quiet window and a
// loaded window in which 10 clients (bench/query-load-clients.ts, their own process) send 30-minute
// range queries at a 2 s step without pause: sum by rate, quantile_over_time, topk with a group_left
// join. Per window: scrapes the targets never saw, the spread of the intervals they saw (p50/p99/max),
// /-/healthy latency (probed every 100 ms from this process), queries completed and peak RSS (whole
// process, all threads). Promethium first, then Debian's Prometheus 2.42 on the same targets, data and
// load. Last, Promethium's speed-up on a batch of independent range queries with its worker pool
// against one worker.
//
// QUERY_LOAD_IDLE_S, QUERY_LOAD_LOAD_S and QUERY_LOAD_CLIENTS change the windows (defaults 60, 180, 10);
// QUERY_LOAD_SKIP_PEER=1 leaves Prometheus out; QUERY_LOAD_NODE_ARGS adds Node.js options to Promethium.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { formatGoFloat } from '../src/model/exposition/writer.js';
import {
  freePort,
  getText,
  hasPrometheus,
  instantQuery,
  killAll,
  killAllOnExit,
  quantile,
  rssBytes,
  sleep,
  Targets,
  track,
  type TargetsReport,
  promethiumCommand,
} from './harness.js';
import type { BenchReport } from './report.js';
import { nodeExporterSeries, prng } from './tsdb-block.js';

const TARGETS = 50;
const SERIES = 200;
const INTERVAL_S = 5;
const HISTORY_S = 1800;
const HISTORY_STEP_S = 15;
const RANGE_S = 1800;
const STEP_S = 2;
const CLIENTS = Number(process.env.QUERY_LOAD_CLIENTS ?? 10);
const IDLE_S = Number(process.env.QUERY_LOAD_IDLE_S ?? 60);
const LOAD_S = Number(process.env.QUERY_LOAD_LOAD_S ?? 180);
const BATCH = 16;

const QUERIES = [
  'sum by (instance, mode) (rate(node_cpu_seconds_total[1m]))',
  'quantile_over_time(0.9, node_schedstat_running_seconds_total[5m])',
  'topk(10, sum by (instance) (rate(node_cpu_seconds_total[1m]))) * on (instance) group_left () count by (instance) (node_cpu_seconds_total)',
];

interface Window {
  missedScrapes: number;
  scrapes: number;
  deviationMs: { p50: number; p99: number; max: number };
  healthyMs: { p50: number; p99: number; max: number };
  queriesCompleted: number;
  queriesFailed: number;
  queryLatencyMs: { p50: number; p99: number };
  peakRssMiB: number;
}

/** The targets' history as OpenMetrics, for both servers' backfill tools: `minutes` before `end`. */
export function writeHistory(file: string, ports: number[], end: number): void {
  const fd = fs.openSync(file, 'w');
  let buf = '';
  const flush = (): void => {
    fs.writeSync(fd, buf);
    buf = '';
  };
  const start = end - HISTORY_S * 1000;
  const perTarget = ports.map((p, i) => ({
    series: nodeExporterSeries(SERIES, `127.0.0.1:${p}`),
    rnd: prng(1000 + i),
  }));
  // OpenMetrics wants a family's lines together: family by family, series by series in time order
  const families = new Map<
    string,
    Array<{ labels: string; start: number; step: (v: number, r: () => number) => number; rnd: () => number }>
  >();
  for (const t of perTarget) {
    for (const s of t.series) {
      const name = s.labels.get('__name__')!;
      const pairs: string[] = [];
      s.labels.forEach((n, v) => {
        if (n !== '__name__') pairs.push(`${n}=${JSON.stringify(v)}`);
      });
      const list = families.get(name) ?? [];
      list.push({ labels: `${name}{${pairs.join(',')}}`, start: s.start, step: s.step, rnd: t.rnd });
      families.set(name, list);
    }
  }
  for (const [name, list] of families) {
    buf += `# TYPE ${name} unknown\n`;
    for (const s of list) {
      let v = s.start;
      for (let t = start; t < end; t += HISTORY_STEP_S * 1000) {
        v = s.step(v, s.rnd);
        buf += `${s.labels} ${formatGoFloat(v)} ${t / 1000}\n`;
      }
      if (buf.length > 1 << 20) flush();
    }
  }
  buf += '# EOF\n';
  flush();
  fs.closeSync(fd);
}

function backfill(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
}

/** /-/healthy every 100 ms until stopped; latencies in ms. */
function probeHealthy(base: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await (await fetch(`${base}/-/healthy`)).arrayBuffer();
        latencies.push(performance.now() - t0);
      } catch {
        latencies.push(performance.now() - t0);
      }
      await sleep(Math.max(0, 100 - (performance.now() - t0)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

function sampleRss(pid: number): { stop(): number } {
  let max = rssBytes(pid);
  const timer = setInterval(() => {
    max = Math.max(max, rssBytes(pid));
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssBytes(pid));
    },
  };
}

async function startClients(
  script: string,
  base: string,
): Promise<{ stop(): Promise<{ completed: number; failed: number; latenciesMs: number[] }> }> {
  const child = track(
    spawn(
      process.execPath,
      [script, base, String(CLIENTS), JSON.stringify(QUERIES), String(RANGE_S), String(STEP_S)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  await lines.next(); // started
  return {
    async stop() {
      child.stdin!.end();
      const r = await lines.next();
      return JSON.parse(r.value as string) as { completed: number; failed: number; latenciesMs: number[] };
    },
  };
}

function missed(seen: TargetsReport): number {
  const interval = INTERVAL_S * 1000;
  let n = 0;
  for (const gap of seen.diffsMs) n += Math.max(0, Math.round(gap / interval) - 1);
  for (const edge of seen.edgesMs) n += Math.floor(edge / interval);
  return n;
}

function spread(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.length > 0 ? s[s.length - 1]! : NaN };
}

async function measureWindow(
  base: string,
  pid: number,
  targets: Targets,
  seconds: number,
  clientsScript: string | undefined,
): Promise<Window> {
  await targets.mark();
  const rss = sampleRss(pid);
  const healthy = probeHealthy(base);
  const clients = clientsScript === undefined ? undefined : await startClients(clientsScript, base);
  await sleep(seconds * 1000);
  const load = await clients?.stop();
  const seen = await targets.report();
  const probes = await healthy.stop();
  const interval = INTERVAL_S * 1000;
  const lat = [...(load?.latenciesMs ?? [])].sort((a, b) => a - b);
  return {
    missedScrapes: missed(seen),
    scrapes: seen.requests,
    deviationMs: spread(seen.diffsMs.map((d) => Math.abs(d - interval))),
    healthyMs: spread(probes),
    queriesCompleted: load?.completed ?? 0,
    queriesFailed: load?.failed ?? 0,
    queryLatencyMs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) },
    peakRssMiB: rss.stop() / 2 ** 20,
  };
}

async function startServer(
  name: string,
  command: string,
  args: string[],
  port: number,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const child = track(
    spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}\n${stderr}`);
    if (Date.now() > deadline)
      throw new Error(`${name}: not all ${TARGETS} targets up within 120 s\n${stderr}`);
    await sleep(500);
    try {
      if ((await instantQuery(base, 'count(up == 1)')) === TARGETS) return child;
    } catch {
      // not listening yet
    }
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const exited = new Promise((r) => child.once('exit', r));
  if ((await Promise.race([exited, sleep(30_000).then(() => 'timeout')])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function runSystem(
  name: string,
  command: string,
  args: (port: number) => string[],
  targets: Targets,
  clientsScript: string,
): Promise<{ idle: Window; loaded: Window }> {
  const port = await freePort();
  const child = await startServer(name, command, args(port), port);
  const base = `http://127.0.0.1:${port}`;
  try {
    await sleep(10_000); // settle: the first scrapes of every target, caches warm
    const idle = await measureWindow(base, child.pid!, targets, IDLE_S, undefined);
    const loaded = await measureWindow(base, child.pid!, targets, LOAD_S, clientsScript);
    // the data was all there: the queries saw the backfilled history
    const history = await instantQuery(
      base,
      `count(count_over_time(node_cpu_seconds_total[${RANGE_S}s] offset ${LOAD_S + IDLE_S}s))`,
    );
    if (!(history > 0)) throw new Error(`${name}: the backfilled history is not queryable`);
    return { idle, loaded };
  } finally {
    await stopServer(child);
  }
}

/** Seconds for a batch of range queries sent all at once. */
async function batchSeconds(base: string): Promise<number> {
  const end = Date.now() / 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: BATCH }, async (_, i) => {
      const q = QUERIES[i % QUERIES.length]!;
      const res = await fetch(
        `${base}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${end - RANGE_S}&end=${end}&step=${STEP_S}`,
      );
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`batch query failed: ${res.status}`);
    }),
  );
  return (performance.now() - t0) / 1000;
}

function addWindow(report: BenchReport, prefix: string, w: Window): void {
  const r = (x: number, d = 1): number => Number(x.toFixed(d));
  report.add(`${prefix}_missed_scrapes`, w.missedScrapes, 'scrapes');
  report.add(`${prefix}_scrapes_seen`, w.scrapes, 'scrapes');
  report.add(`${prefix}_interval_deviation_p50`, r(w.deviationMs.p50, 2), 'ms');
  report.add(`${prefix}_interval_deviation_p99`, r(w.deviationMs.p99, 2), 'ms');
  report.add(`${prefix}_interval_deviation_max`, r(w.deviationMs.max, 2), 'ms');
  report.add(`${prefix}_healthy_p50`, r(w.healthyMs.p50, 2), 'ms');
  report.add(`${prefix}_healthy_p99`, r(w.healthyMs.p99, 2), 'ms');
  report.add(`${prefix}_healthy_max`, r(w.healthyMs.max, 2), 'ms');
  report.add(`${prefix}_queries_completed`, w.queriesCompleted, 'queries');
  report.add(`${prefix}_queries_failed`, w.queriesFailed, 'queries');
  report.add(`${prefix}_query_latency_p50`, r(w.queryLatencyMs.p50), 'ms');
  report.add(`${prefix}_query_latency_p99`, r(w.queryLatencyMs.p99), 'ms');
  report.add(`${prefix}_peak_rss`, r(w.peakRssMiB), 'MiB');
}

export async function benchQueryLoad(report: BenchReport, repoRoot: string): Promise<void> {
  killAllOnExit();
  report.add('load_average_1m_at_start', Number(os.loadavg()[0]!.toFixed(2)), 'load');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-query-load-'));
  const dist = (p: string): string => path.join(repoRoot, 'dist', p);
  let targets: Targets | undefined;
  try {
    const started = await Targets.start(dist('bench/scrape-targets.js'), TARGETS, SERIES);
    targets = started.targets;
    const config = path.join(work, 'prometheus.yml');
    fs.writeFileSync(
      config,
      `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${started.ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}]\n`,
    );
    const history = path.join(work, 'history.om');
    writeHistory(history, started.ports, Date.now() - 60_000);
    const clients = dist('bench/query-load-clients.js');

    const ourData = path.join(work, 'promethium-data');
    backfill(process.execPath, [
      dist('src/cli/promethium-tool.js'),
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      history,
      ourData,
    ]);
    // QUERY_LOAD_NODE_ARGS: Node.js options for Promethium's process (e.g. --cpu-prof), for profiling
    const nodeArgs = (process.env.QUERY_LOAD_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const ourArgs = (port: number): string[] => [
      ...nodeArgs,
      ...promethiumCommand(repoRoot),
      `--config.file=${config}`,
      `--storage.tsdb.path=${ourData}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ];
    const ours = await runSystem('promethium', process.execPath, ourArgs, targets, clients);
    addWindow(report, 'promethium_idle', ours.idle);
    addWindow(report, 'promethium_loaded', ours.loaded);

    // the pool against one worker, on the same data, scrapes going on
    const seconds: Record<string, number> = {};
    for (const [label, workers] of [
      ['one_worker', '1'],
      ['pool', ''],
    ] as const) {
      const port = await freePort();
      const child = await startServer(
        'promethium',
        process.execPath,
        ourArgs(port),
        port,
        workers === '' ? {} : { PROMETHIUM_QUERY_WORKERS: workers },
      );
      try {
        const base = `http://127.0.0.1:${port}`;
        await batchSeconds(base); // warm
        seconds[label] = await batchSeconds(base);
        if (label === 'pool') {
          const text = await getText(`${base}/metrics`);
          const m = /^promethium_query_workers (\S+)/m.exec(text);
          report.add('pool_workers', Number(m?.[1] ?? NaN), 'workers');
        }
      } finally {
        await stopServer(child);
      }
    }
    report.add(`batch_of_${BATCH}_range_queries_one_worker`, Number(seconds.one_worker!.toFixed(2)), 's');
    report.add(`batch_of_${BATCH}_range_queries_pool`, Number(seconds.pool!.toFixed(2)), 's');
    report.add('pool_speedup', Number((seconds.one_worker! / seconds.pool!).toFixed(2)), 'x');

    if (process.env.QUERY_LOAD_SKIP_PEER === '1') return;
    if (!hasPrometheus()) {
      process.stdout.write(
        "Debian's prometheus is not installed (apt-get install prometheus): no peer figures\n",
      );
      return;
    }
    const theirData = path.join(work, 'prometheus-data');
    backfill('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', history, theirData]);
    const theirs = await runSystem(
      'prometheus',
      'prometheus',
      (port) => [
        `--config.file=${config}`,
        `--storage.tsdb.path=${theirData}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      targets,
      clients,
    );
    addWindow(report, 'prometheus_idle', theirs.idle);
    addWindow(report, 'prometheus_loaded', theirs.loaded);
    report.add(
      'queries_completed_ratio_promethium_to_prometheus',
      Number((ours.loaded.queriesCompleted / theirs.loaded.queriesCompleted).toFixed(2)),
      'ratio',
    );
  } finally {
    targets?.close();
    killAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
