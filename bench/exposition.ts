// `npm run bench -- exposition`: parser throughput as the scrape loop uses it. Each body is decoded
// from bytes and parsed with the scrape cache; "cold" treats every series as new (labels parsed,
// cache filled), "warm" finds every series in the cache already (the parser is told which series to
// expect, labels are never parsed).
import fs from 'node:fs';
import path from 'node:path';
import { Entry, type ExpositionParser } from '../src/model/exposition/types.js';
import { PromTextParser } from '../src/model/exposition/parser-text.js';
import { OpenMetricsParser } from '../src/model/exposition/parser-openmetrics.js';
import { SeriesCache, type CacheEntry } from '../src/scrape/series-cache.js';
import { writeOpenMetrics } from '../src/model/exposition/writer.js';
import type { MetricFamily, MetricType } from '../src/model/exposition/types.js';
import type { BenchReport } from './report.js';

interface Body {
  name: string;
  bytes: Uint8Array;
  parser: (text: string) => ExpositionParser;
}

const decoder = new TextDecoder();

interface RefEntry extends CacheEntry {
  ref: number;
}
let sink = 0;

/** One scrape's worth of work: decode, parse, look up (or fill) the series cache. Returns samples seen. */
function scrapeOnce(body: Body, cache: SeriesCache<RefEntry>): number {
  const p = body.parser(decoder.decode(body.bytes));
  let samples = 0;
  cache.begin();
  for (p.expectSeries(cache.expected()); ; p.expectSeries(cache.expected())) {
    const e = p.next();
    if (e === Entry.EOF) break;
    if (e !== Entry.Series) continue;
    const key = p.seriesText();
    let entry = cache.get(key);
    if (entry === undefined) {
      entry = { text: '', index: -1, seenIn: 0, ref: p.labels().hash() };
      cache.set(key, entry);
    }
    sink += p.value() + (p.timestamp() ?? 0) + entry.ref;
    samples++;
  }
  cache.end();
  return samples;
}

function measure(body: Body, warm: boolean): { samplesPerSec: number; mbPerSec: number } {
  const shared = new SeriesCache<RefEntry>();
  if (warm) scrapeOnce(body, shared);
  // warm-up for the JIT, then at least 1.5 s of measured work
  for (let i = 0; i < 20; i++) scrapeOnce(body, warm ? shared : new SeriesCache<RefEntry>());
  let samples = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1.5) {
    samples += scrapeOnce(body, warm ? shared : new SeriesCache<RefEntry>());
    bytes += body.bytes.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { samplesPerSec: samples / elapsed, mbPerSec: bytes / elapsed / 1e6 };
}

/** A node-exporter-like body: 1,000 series over typical families, with HELP and TYPE lines. */
export function nodeExporterBody(series = 1000): string {
  const out: string[] = [];
  let n = 0;
  const family = (name: string, type: string, help: string, rows: Array<[string, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      if (n++ >= series) return;
      out.push(`${name}${labels} ${value}`);
    }
  };
  const cpus = Array.from({ length: 32 }, (_, i) => i);
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  family(
    'node_cpu_seconds_total',
    'counter',
    'Seconds the CPUs spent in each mode.',
    cpus.flatMap((c) =>
      modes.map((m): [string, number] => [`{cpu="${c}",mode="${m}"}`, 12345.67 + c * 3.1 + m.length]),
    ),
  );
  const devices = Array.from({ length: 40 }, (_, i) => `sd${String.fromCharCode(97 + (i % 26))}${i}`);
  for (const metric of [
    'node_disk_read_bytes_total',
    'node_disk_written_bytes_total',
    'node_disk_io_time_seconds_total',
    'node_disk_reads_completed_total',
  ]) {
    family(
      metric,
      'counter',
      `Disk statistic ${metric}.`,
      devices.map((d, i): [string, number] => [`{device="${d}"}`, 1.2345e10 + i * 4096]),
    );
  }
  const mounts = Array.from({ length: 30 }, (_, i) => `/mnt/volume-${i}`);
  for (const metric of [
    'node_filesystem_avail_bytes',
    'node_filesystem_size_bytes',
    'node_filesystem_files_free',
  ]) {
    family(
      metric,
      'gauge',
      `Filesystem statistic ${metric}.`,
      mounts.map((m, i): [string, number] => [
        `{device="/dev/vd${i}",fstype="ext4",mountpoint="${m}"}`,
        5.4321e11 - i * 1e6,
      ]),
    );
  }
  const ifaces = Array.from({ length: 20 }, (_, i) => `eth${i}`);
  for (const metric of [
    'node_network_receive_bytes_total',
    'node_network_transmit_bytes_total',
    'node_network_receive_packets_total',
    'node_network_transmit_packets_total',
  ]) {
    family(
      metric,
      'counter',
      `Network device statistic ${metric}.`,
      ifaces.map((d, i): [string, number] => [`{device="${d}"}`, 987654321 + i]),
    );
  }
  for (let i = 0; n < series; i++) {
    family(`node_memory_stat_${i}_bytes`, 'gauge', `Memory information field ${i}.`, [['', 1.6e10 + i]]);
  }
  return out.join('\n') + '\n';
}

/** The same families in OpenMetrics, as a target answers Prometheus's default Accept header. */
function asOpenMetrics(text: string): string {
  const families: MetricFamily[] = [];
  const p = new PromTextParser(text);
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Type)
      families.push({ name: p.family(), type: p.metricType() as MetricType, samples: [] });
    else if (e === Entry.Series)
      families[families.length - 1].samples.push({ labels: p.labels(), value: p.value() });
  }
  return writeOpenMetrics(families);
}

/** Bodies that make quadratic or backtracking parsers crawl; MB/s close to a normal body's means linear. */
const PATHOLOGICAL: Array<[string, string]> = [
  ['huge_label_value', 'm{a="' + 'x'.repeat(1 << 20) + '"} 1\n'],
  ['escapes_everywhere', 'm{a="' + '\\\\\\"'.repeat(1 << 18) + '"} 1\n'],
  ['many_labels', 'm{' + Array.from({ length: 100_000 }, (_, i) => `l${i}="v"`).join(',') + '} 1\n'],
  ['long_comments', ('# ' + 'c'.repeat(1000) + '\n').repeat(1000)],
];

function drainMbPerSec(text: string): number {
  const run = (): void => {
    const p = new PromTextParser(text);
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) if (e === Entry.Series) sink += p.labels().size;
  };
  for (let i = 0; i < 3; i++) run();
  const t0 = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0;
  while (elapsed < 0.5) {
    run();
    n++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return (n * text.length) / elapsed / 1e6;
}

export async function benchExposition(report: BenchReport, repoRoot: string): Promise<void> {
  const fixtures = path.resolve(repoRoot, '../shared/conformance/textparse');
  if (!fs.existsSync(fixtures)) throw new Error(`conformance fixtures missing: ${fixtures}`);
  const bodies: Body[] = [
    {
      name: 'alltypes_237mfs_text',
      bytes: fs.readFileSync(path.join(fixtures, 'alltypes.237mfs.prom.txt')),
      parser: (t) => new PromTextParser(t),
    },
    {
      name: 'alltypes_5mfs_openmetrics',
      bytes: fs.readFileSync(path.join(fixtures, 'alltypes.5mfs.om.txt')),
      parser: (t) => new OpenMetricsParser(t),
    },
    {
      name: 'node_exporter_1000_text',
      bytes: new TextEncoder().encode(nodeExporterBody()),
      parser: (t) => new PromTextParser(t),
    },
    {
      name: 'node_exporter_1000_openmetrics',
      bytes: new TextEncoder().encode(asOpenMetrics(nodeExporterBody())),
      parser: (t) => new OpenMetricsParser(t),
    },
  ];
  for (const body of bodies) {
    for (const warm of [false, true]) {
      const r = measure(body, warm);
      const label = `${body.name}_${warm ? 'warm' : 'cold'}`;
      report.add(`${label}_samples_per_sec`, Math.round(r.samplesPerSec), 'samples/s');
      report.add(`${label}_mb_per_sec`, Number(r.mbPerSec.toFixed(1)), 'MB/s');
    }
  }
  // Linearity: 1 MB pathological bodies against the normal node-exporter body, labels parsed in both.
  report.add('normal_body_labels_mb_per_sec', Number(drainMbPerSec(nodeExporterBody()).toFixed(1)), 'MB/s');
  for (const [name, text] of PATHOLOGICAL) {
    report.add(`pathological_${name}_mb_per_sec`, Number(drainMbPerSec(text).toFixed(1)), 'MB/s');
  }
  if (sink === 42) process.stdout.write('');
}
