// `npm run bench -- tsdb-vs-prometheus`: bytes per sample on disk for the same data in Promethium and
// in Debian's Prometheus (apt-get install prometheus), side by side. The data (1,000 node-exporter-like
// series, 24 h at 15 s) is written as OpenMetrics, backfilled by each side's own tool into 2h blocks,
// then compacted by each side's own server/planner; block bytes are summed.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log/logger.js';
import { formatGoFloat } from '../src/model/exposition/writer.js';
import { createBlocksFromOpenMetrics } from '../src/cli/create-blocks.js';
import { TSDB } from '../src/tsdb/db.js';
import { nodeExporterSeries, prng, scrapeTimes } from './tsdb-block.js';
import type { BenchReport } from './report.js';

const DAY = 86_400_000;
const ULID_RE = /^[0-9A-Z]{26}$/;

function writeOpenMetricsInput(file: string): number {
  const series = nodeExporterSeries(1000);
  const rnd = prng(1);
  const start = 1_699_920_000_000;
  const times = scrapeTimes(start, start + DAY, 15_000, rnd);
  const fd = fs.openSync(file, 'w');
  let samples = 0;
  for (const s of series) {
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
  fs.writeSync(fd, '# EOF\n');
  fs.closeSync(fd);
  return samples;
}

/** Bytes of block directories (not WAL or head) under `dir`. */
function blockBytes(dir: string): { bytes: number; blocks: number } {
  let bytes = 0;
  let blocks = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!ULID_RE.test(name)) continue;
    blocks++;
    for (const f of fs.readdirSync(path.join(dir, name), { recursive: true }) as string[]) {
      const st = fs.statSync(path.join(dir, name, f));
      if (st.isFile()) bytes += st.size;
    }
  }
  return { bytes, blocks };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs Prometheus on `dir` until its compactions have run and the block list stopped changing. */
async function compactWithPrometheus(dir: string, work: string): Promise<void> {
  const cfg = path.join(work, 'prometheus.yml');
  fs.writeFileSync(cfg, 'global:\n  scrape_interval: 1h\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${dir}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    const deadline = Date.now() + 150_000;
    let last = '';
    let stableSince = Date.now();
    for (;;) {
      if (Date.now() > deadline) throw new Error('Prometheus did not finish compacting in time');
      await new Promise((r) => setTimeout(r, 500));
      let compactions = 0;
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        compactions = Number(/^prometheus_tsdb_compactions_total (\S+)/m.exec(text)?.[1] ?? 0);
      } catch {
        continue; // not up yet
      }
      const now = fs
        .readdirSync(dir)
        .filter((n) => ULID_RE.test(n))
        .sort()
        .join(',');
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
      if (compactions > 0 && Date.now() - stableSince > 5000) return;
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

export async function benchTsdbVsPrometheus(report: BenchReport): Promise<void> {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      "Debian's prometheus package is not installed (apt-get install prometheus): nothing to compare with",
    );
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-vs-prom-'));
  try {
    const input = path.join(work, 'data.om');
    const samples = writeOpenMetricsInput(input);

    const promDir = path.join(work, 'prometheus');
    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, promDir], {
      stdio: 'ignore',
    });
    const promL1 = blockBytes(promDir);
    await compactWithPrometheus(promDir, work);
    const promCompacted = blockBytes(promDir);

    const ourDir = path.join(work, 'promethium');
    createBlocksFromOpenMetrics({
      input,
      outputDir: ourDir,
      humanReadable: false,
      quiet: true,
      labels: {},
      out: () => undefined,
    });
    const ourL1 = blockBytes(ourDir);
    const db = TSDB.open({
      dir: ourDir,
      retentionMs: 100 * 365 * DAY,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt' }),
    });
    await db.compact();
    db.close();
    const ourCompacted = blockBytes(ourDir);

    const per = (b: number): number => Number((b / samples).toFixed(3));
    report.add('prometheus_level1_bytes_per_sample', per(promL1.bytes), 'bytes/sample');
    report.add('promethium_level1_bytes_per_sample', per(ourL1.bytes), 'bytes/sample');
    report.add('prometheus_compacted_bytes_per_sample', per(promCompacted.bytes), 'bytes/sample');
    report.add('promethium_compacted_bytes_per_sample', per(ourCompacted.bytes), 'bytes/sample');
    report.add(
      'compacted_size_ratio_promethium_to_prometheus',
      Number((ourCompacted.bytes / promCompacted.bytes).toFixed(3)),
      'ratio',
    );
    report.add('prometheus_blocks_after_compaction', promCompacted.blocks, 'blocks');
    report.add('promethium_blocks_after_compaction', ourCompacted.blocks, 'blocks');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
