// Chunk codec throughput (for `npm run bench -- tsdb`): XOR append and decodeInto over node-exporter-like
// series, bytes per sample at 120 and 1,000 samples per chunk, and CRC-32C throughput.
import { XORChunk } from '../src/tsdb/chunks/xor.js';
import { crc32c } from '../src/tsdb/chunks/crc32c.js';
import type { BenchReport } from './report.js';
import { prng as rng } from './tsdb-block.js';

export interface SeriesData {
  ts: Float64Array;
  vs: Float64Array;
}

/** Kinds of series in a node exporter's output, as shares of 20 (see nodeExporterSeries). */
const KINDS = [
  ...Array<string>(6).fill('constant'), // sizes, *_info, limits
  ...Array<string>(4).fill('rare'), // error and drop counters that seldom move
  ...Array<string>(4).fill('cpu'), // node_cpu_seconds_total: 2 decimals, always moving
  ...Array<string>(3).fill('bytes'), // disk and network byte and packet counters
  ...Array<string>(2).fill('memory'), // memory gauges, moving in pages
  'small', // procs_running and the like
];

/**
 * Node-exporter-like series: 15 s scrapes (9 in 10 on time, as Prometheus's timestamp alignment makes
 * them, the rest off by up to ±20 ms), values from the mix in KINDS. `only` restricts to one kind.
 */
export function nodeExporterSeries(series: number, samples: number, seed = 1, only?: string): SeriesData[] {
  const r = rng(seed);
  const out: SeriesData[] = [];
  const t0 = 1_700_000_000_000;
  for (let s = 0; s < series; s++) {
    const ts = new Float64Array(samples);
    const vs = new Float64Array(samples);
    const kind = only ?? KINDS[s % KINDS.length];
    let v =
      kind === 'cpu'
        ? 12345.67 + s
        : kind === 'bytes'
          ? 1.2345e10 + s * 4096
          : kind === 'memory'
            ? 1.6e10
            : 5.4321e11;
    if (kind === 'rare') v = s;
    for (let i = 0; i < samples; i++) {
      ts[i] = t0 + i * 15_000 + (r() < 0.9 ? 0 : Math.round((r() - 0.5) * 40));
      if (kind === 'cpu') v = Math.round((v + r() * 15) * 100) / 100;
      else if (kind === 'bytes') v += Math.floor(r() * 1_000_000);
      else if (kind === 'memory') v += Math.round((r() - 0.5) * 200) * 4096;
      else if (kind === 'rare') v += r() < 0.01 ? 1 : 0;
      else if (kind === 'small') v = Math.floor(r() * 10);
      vs[i] = v;
    }
    out.push({ ts, vs });
  }
  return out;
}

function encodeAll(data: SeriesData[], perChunk: number): XORChunk[] {
  const chunks: XORChunk[] = [];
  for (const { ts, vs } of data) {
    let c = new XORChunk();
    for (let i = 0; i < ts.length; i++) {
      if (c.numSamples === perChunk) {
        chunks.push(c);
        c = new XORChunk();
      }
      c.append(ts[i], vs[i]);
    }
    chunks.push(c);
  }
  return chunks;
}

/** Runs fn until at least `seconds` have passed; returns work units per second. */
function rate(fn: () => number, seconds: number): number {
  for (let i = 0; i < 3; i++) fn(); // warm-up for the JIT
  let units = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    units += fn();
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return units / elapsed;
}

export async function benchChunks(report: BenchReport): Promise<void> {
  // the node-exporter mix, and the worst common kind alone (CPU seconds: every value changes in most
  // of its mantissa bits)
  for (const [name, data] of [
    ['node_mix', nodeExporterSeries(1000, 1200)],
    ['cpu_seconds', nodeExporterSeries(1000, 1200, 2, 'cpu')],
  ] as const) {
    benchData(report, name, data);
  }

  let sink = 0;
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const crcRate = rate(() => {
    sink ^= crc32c(block);
    return block.length;
  }, 1.0);
  report.add('crc32c', crcRate / 1e6, 'MB/s');
  if (sink === 0.5) process.stdout.write('\n');
}

function benchData(report: BenchReport, name: string, data: SeriesData[]): void {
  let total = 0;
  for (const d of data) total += d.ts.length;
  const appendRate = rate(() => encodeAll(data, 120).length * 0 + total, 1.5);
  report.add(`xor_append_${name}`, appendRate / 1e6, 'M samples/s');

  for (const perChunk of [120, 1000]) {
    const chunks = encodeAll(data, perChunk);
    let bytes = 0;
    let n = 0;
    for (const c of chunks) {
      bytes += c.bytes().length;
      n += c.numSamples;
    }
    report.add(`xor_bytes_per_sample_${name}_${perChunk}`, bytes / n, 'bytes');
  }

  // decoding stored chunks, as a block read does
  const chunks = encodeAll(data, 120).map((c) => XORChunk.fromBytes(c.bytes().slice()));
  const ts = new Float64Array(120);
  const vs = new Float64Array(120);
  const decodeRate = rate(() => {
    let n = 0;
    for (const c of chunks) n += c.decodeInto(ts, vs, 0, -Infinity, Infinity);
    return n;
  }, 1.5);
  report.add(`xor_decode_into_${name}`, decodeRate / 1e6, 'M samples/s');

  let sink = 0;
  const iterRate = rate(() => {
    let n = 0;
    for (const c of chunks) {
      const it = c.iterator();
      while (it.next()) {
        sink += it.at();
        n++;
      }
    }
    return n;
  }, 1.0);
  report.add(`xor_iterator_${name}`, iterRate / 1e6, 'M samples/s');
  if (sink === 0.5) process.stdout.write('\n');
}
