// `npm run bench -- remote-write`: what remote write costs the sender. 50 targets × 1,000
// node-exporter-like series scraped every 5 s (bench/scrape-targets.ts, its own process); each server
// runs twice on the same targets: scraping only, then scraping and remote-writing everything to a
// receiver in this process (snappy + protobuf decoded, samples counted; the same receiver for both).
// Per server: samples sent per second, CPU seconds per million samples with and without remote write
// (whole process, all threads, /proc/<pid>/stat), the difference as the cost of remote write, and
// samples sent per CPU-second spent on it. Promethium first, then Debian's Prometheus 2.42.
//
// REMOTE_WRITE_BENCH_WINDOW_S changes the measured window (default 60); REMOTE_WRITE_BENCH_SKIP_PEER=1
// leaves Prometheus out; REMOTE_WRITE_BENCH_NODE_ARGS adds Node.js options (e.g. --cpu-prof) to Promethium.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import snappy from 'snappy';
import { decodeWriteV1 } from '../src/remote/messages.js';
import {
  cpuSeconds,
  freePort,
  getText,
  hasPrometheus,
  killAll,
  killAllOnExit,
  metricSum,
  sleep,
  Targets,
  track,
  promethiumCommand,
} from './harness.js';
import type { BenchReport } from './report.js';

const TARGETS = 50;
const SERIES = 1000;
const INTERVAL_S = 5;
const WARMUP_MS = 20_000;
const WINDOW_MS = Number(process.env.REMOTE_WRITE_BENCH_WINDOW_S ?? 60) * 1000;

/** Counts the samples of remote write 1.0 requests. */
async function startReceiver(): Promise<{ url: string; samples(): number; close(): Promise<void> }> {
  let samples = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const w = decodeWriteV1(snappy.uncompressSync(Buffer.concat(chunks)) as Buffer);
      for (const s of w.series) samples += s.samples.length;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    samples: () => samples,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

interface Run {
  cpuSeconds: number;
  appended: number;
  sent: number;
  windowSeconds: number;
}

async function run(
  name: string,
  command: string,
  args: (port: number) => string[],
  receiver: { samples(): number },
): Promise<Run> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = track(spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`${name}: not ready\n${stderr}`);
      await sleep(500);
      try {
        if ((await fetch(`${base}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(WARMUP_MS);
    const pid = child.pid!;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(pid);
    const sent0 = receiver.samples();
    const app0 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    await sleep(WINDOW_MS);
    const cpu1 = cpuSeconds(pid);
    const sent1 = receiver.samples();
    const app1 = metricSum(await getText(`${base}/metrics`), 'prometheus_tsdb_head_samples_appended_total');
    return {
      cpuSeconds: cpu1 - cpu0,
      appended: app1 - app0,
      sent: sent1 - sent0,
      windowSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const exited = new Promise((r) => child.once('exit', r));
      if ((await Promise.race([exited, sleep(20_000).then(() => 'timeout')])) === 'timeout')
        child.kill('SIGKILL');
    }
  }
}

export async function benchRemoteWrite(report: BenchReport, repoRoot: string): Promise<void> {
  killAllOnExit();
  report.add('load_average_1m_at_start', Number(os.loadavg()[0]!.toFixed(2)), 'load');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-remote-write-bench-'));
  const receiver = await startReceiver();
  let targets: Targets | undefined;
  try {
    const started = await Targets.start(
      path.join(repoRoot, 'dist', 'bench', 'scrape-targets.js'),
      TARGETS,
      SERIES,
    );
    targets = started.targets;
    const list = started.ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
    const scrape = `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${list}]\n`;
    const withRw = `${scrape}remote_write:\n  - url: ${receiver.url}\n`;
    fs.writeFileSync(path.join(work, 'scrape.yml'), scrape);
    fs.writeFileSync(path.join(work, 'rw.yml'), withRw);
    const systems: Array<{
      name: string;
      command: string;
      args: (cfg: string, data: string, port: number) => string[];
    }> = [
      {
        name: 'promethium',
        command: process.execPath,
        args: (cfg, data, port) => [
          ...(process.env.REMOTE_WRITE_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
          ...promethiumCommand(repoRoot),
          `--config.file=${cfg}`,
          `--storage.tsdb.path=${data}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
      },
    ];
    if (process.env.REMOTE_WRITE_BENCH_SKIP_PEER !== '1') {
      if (hasPrometheus())
        systems.push({
          name: 'prometheus',
          command: 'prometheus',
          args: (cfg, data, port) => [
            `--config.file=${cfg}`,
            `--storage.tsdb.path=${data}`,
            `--web.listen-address=127.0.0.1:${port}`,
          ],
        });
      else
        process.stdout.write(
          "Debian's prometheus is not installed (apt-get install prometheus): no peer figures\n",
        );
    }
    const r = (x: number, d = 3): number => Number(x.toFixed(d));
    const perMillion: Record<string, number> = {};
    for (const s of systems) {
      const base = await run(
        s.name,
        s.command,
        (port) => s.args(path.join(work, 'scrape.yml'), path.join(work, `${s.name}-base`), port),
        receiver,
      );
      const rw = await run(
        s.name,
        s.command,
        (port) => s.args(path.join(work, 'rw.yml'), path.join(work, `${s.name}-rw`), port),
        receiver,
      );
      const baseCost = base.cpuSeconds / (base.appended / 1e6);
      const rwCost = rw.cpuSeconds / (rw.appended / 1e6);
      const extraCpu = rw.cpuSeconds - (base.cpuSeconds / base.windowSeconds) * rw.windowSeconds;
      perMillion[s.name] = extraCpu / (rw.sent / 1e6);
      report.add(`${s.name}_samples_sent_per_second`, Math.round(rw.sent / rw.windowSeconds), 'samples/s');
      report.add(`${s.name}_cpu_seconds_per_million_samples_scrape_only`, r(baseCost), 'cpu-s/M');
      report.add(`${s.name}_cpu_seconds_per_million_samples_scrape_and_remote_write`, r(rwCost), 'cpu-s/M');
      report.add(
        `${s.name}_remote_write_cpu_seconds_per_million_samples_sent`,
        r(perMillion[s.name]),
        'cpu-s/M',
      );
      report.add(
        `${s.name}_samples_sent_per_cpu_second_of_remote_write`,
        Math.round(rw.sent / Math.max(extraCpu, 1e-9)),
        'samples/cpu-s',
      );
      report.add(`${s.name}_sent_to_appended_ratio`, r(rw.sent / rw.appended), 'ratio');
    }
    if (perMillion.prometheus !== undefined)
      report.add(
        'remote_write_cpu_ratio_promethium_to_prometheus',
        r(perMillion.promethium / perMillion.prometheus),
        'ratio',
      );
  } finally {
    targets?.close();
    await receiver.close();
    killAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
