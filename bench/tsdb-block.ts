// `npm run bench -- tsdb` (block part): SQLite block write throughput, open time, select+decode
// throughput, and bytes per sample on disk for node-exporter-like data after compaction.
// The data generator is shared with test/tsdb/block (the size regression guard).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Labels } from '../src/model/labels.js';
import { Matcher } from '../src/model/matcher.js';
import { XORChunk } from '../src/tsdb/chunks/xor.js';
import {
  Block,
  compactBlocks,
  writeBlock,
  type BlockMeta,
  type BlockSeries,
  type ChunkData,
} from '../src/tsdb/block/index.js';
import type { BenchReport } from './report.js';

/** A small deterministic PRNG (mulberry32), so runs and tests see the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How one series' value moves from scrape to scrape. */
type ValueModel = (prev: number, rnd: () => number) => number;

const round2 = (x: number): number => Math.round(x * 100) / 100;

interface NodeSeries {
  labels: Labels;
  start: number;
  step: ValueModel;
}

/**
 * `count` (default 1,000) series shaped like one node_exporter on an 8-CPU machine, its composition
 * taken from a real exporter's output: CPU seconds in 1/100 s (busy modes grow every scrape, others
 * rarely), per-CPU schedstat seconds in ns and collector durations (full-precision floats, the most
 * expensive), interrupt, network, disk, vmstat and netstat counters growing by integers (busy ones
 * every scrape, most rarely), memory and filesystem gauges moving in 4 KiB pages, Go runtime
 * gauges, temperatures with one decimal, and constant info, flag and size series.
 */
export function nodeExporterSeries(count = 1000, instance = 'node-1:9100'): NodeSeries[] {
  const out: NodeSeries[] = [];
  const add = (name: string, extra: Record<string, string>, start: number, step: ValueModel): void => {
    if (out.length < count) {
      out.push({
        labels: Labels.fromRecord({ __name__: name, instance, job: 'node', ...extra }),
        start,
        step,
      });
    }
  };
  /** Integer counter: grows by ~mean with probability 1 - pSame. */
  const counter =
    (mean: number, pSame = 0): ValueModel =>
    (p, r) =>
      r() < pSame ? p : p + Math.max(1, Math.round(mean * (0.5 + r())));
  /** Seconds counter with 1/100 s resolution (USER_HZ). */
  const centis =
    (mean: number, pSame: number): ValueModel =>
    (p, r) =>
      r() < pSame ? p : round2(p + mean * (0.8 + 0.4 * r()));
  /** Seconds counter with ns resolution. */
  const nanos =
    (mean: number): ValueModel =>
    (p, r) =>
      Math.round((p + mean * (0.5 + r())) * 1e9) / 1e9;
  const pages =
    (spread: number, pSame: number): ValueModel =>
    (p, r) =>
      r() < pSame ? p : p + 4096 * Math.round((r() - 0.5) * spread);
  const smallGauge =
    (lo: number, hi: number, pSame: number): ValueModel =>
    (p, r) =>
      r() < pSame ? p : lo + Math.floor(r() * (hi - lo + 1));
  const noisy =
    (scale: number): ValueModel =>
    (_p, r) =>
      scale * (0.2 + r());
  const constant: ValueModel = (p) => p;
  const cpus = 8;

  for (let c = 0; c < cpus; c++) {
    const cpu = String(c);
    for (const [mode, mean, pSame] of [
      ['idle', 13.5, 0],
      ['iowait', 0.05, 0.5],
      ['irq', 0.01, 0.98],
      ['nice', 0.01, 0.95],
      ['softirq', 0.03, 0.5],
      ['steal', 0, 1],
      ['system', 0.4, 0],
      ['user', 1.1, 0],
    ] as const) {
      add('node_cpu_seconds_total', { cpu, mode }, round2(100000 + c * 37.11), centis(mean, pSame));
    }
    add('node_cpu_guest_seconds_total', { cpu, mode: 'nice' }, 0, constant);
    add('node_cpu_guest_seconds_total', { cpu, mode: 'user' }, 0, constant);
    add('node_schedstat_running_seconds_total', { cpu }, 98765.123456789, nanos(1.5));
    add('node_schedstat_waiting_seconds_total', { cpu }, 1234.987654321, nanos(0.05));
    add('node_schedstat_timeslices_total', { cpu }, 9e8, counter(3000));
    add('node_softnet_processed_total', { cpu }, 4e7, counter(400));
    add('node_softnet_dropped_total', { cpu }, 0, constant);
    add('node_softnet_times_squeezed_total', { cpu }, 17, counter(1, 0.995));
    // 30 interrupt types per CPU: a few busy ones, most rarely moving
    for (let i = 0; i < 30; i++) {
      add(
        'node_interrupts_total',
        { cpu, devices: `dev${i}`, type: String(i) },
        1e5 * (i + 1),
        i < 6 ? counter(300) : counter(2, 0.98),
      );
    }
  }
  for (const device of ['eth0', 'eth1', 'lo', 'docker0']) {
    const busy = device !== 'docker0';
    add('node_network_receive_bytes_total', { device }, 1e9, busy ? counter(150_000) : constant);
    add('node_network_transmit_bytes_total', { device }, 7e8, busy ? counter(90_000) : constant);
    add('node_network_receive_packets_total', { device }, 1e7, busy ? counter(300) : constant);
    add('node_network_transmit_packets_total', { device }, 8e6, busy ? counter(250) : constant);
    add('node_network_receive_multicast_total', { device }, 4000, counter(1, 0.9));
    add('node_network_receive_drop_total', { device }, 12, counter(1, 0.99));
    for (const m of [
      'receive_errs',
      'transmit_errs',
      'transmit_drop',
      'receive_fifo',
      'transmit_fifo',
      'receive_frame',
    ]) {
      add(`node_network_${m}_total`, { device }, 0, constant);
    }
    for (const m of ['receive_compressed', 'transmit_compressed', 'transmit_colls', 'transmit_carrier']) {
      add(`node_network_${m}_total`, { device }, 0, constant);
    }
    for (const m of [
      'up',
      'carrier',
      'mtu_bytes',
      'speed_bytes',
      'flags',
      'iface_id',
      'iface_link',
      'address_assign_type',
    ]) {
      add(`node_network_${m}`, { device }, m === 'mtu_bytes' ? 1500 : 1, constant);
    }
    for (const m of [
      'carrier_changes_total',
      'carrier_up_changes_total',
      'carrier_down_changes_total',
      'dormant',
      'protocol_type',
      'transmit_queue_length',
      'net_dev_group',
      'name_assign_type',
    ]) {
      add(`node_network_${m}`, { device }, 2, constant);
    }
    add(
      'node_network_info',
      { device, operstate: 'up', address: `02:42:ac:11:00:0${device.length}` },
      1,
      constant,
    );
  }
  for (const device of ['nvme0n1', 'nvme1n1', 'sda']) {
    add('node_disk_read_bytes_total', { device }, 5e10, counter(40_960 * 8, 0.3));
    add('node_disk_written_bytes_total', { device }, 9e10, counter(40_960 * 20, 0.1));
    add('node_disk_reads_completed_total', { device }, 2e6, counter(10, 0.3));
    add('node_disk_writes_completed_total', { device }, 5e6, counter(40, 0.1));
    add('node_disk_reads_merged_total', { device }, 1e5, counter(2, 0.7));
    add('node_disk_writes_merged_total', { device }, 3e5, counter(8, 0.3));
    add('node_disk_io_time_seconds_total', { device }, 12345.678, centis(0.08, 0.2));
    add('node_disk_io_time_weighted_seconds_total', { device }, 23456.7, centis(0.2, 0.2));
    add('node_disk_read_time_seconds_total', { device }, 2345.6, centis(0.01, 0.4));
    add('node_disk_write_time_seconds_total', { device }, 8345.2, centis(0.05, 0.2));
    add('node_disk_io_now', { device }, 0, smallGauge(0, 3, 0.9));
    for (const m of [
      'discards_completed_total',
      'discards_merged_total',
      'discarded_sectors_total',
      'discard_time_seconds_total',
      'flush_requests_total',
      'flush_requests_time_seconds_total',
    ]) {
      add(`node_disk_${m}`, { device }, 0, constant);
    }
    add('node_disk_info', { device, major: '259', minor: '0' }, 1, constant);
  }
  for (let f = 0; f < 8; f++) {
    const extra = {
      device: `/dev/sd${String.fromCharCode(97 + f)}1`,
      fstype: 'ext4',
      mountpoint: `/mnt/m${f}`,
    };
    add('node_filesystem_size_bytes', extra, 4096 * 26_000_000, constant);
    add('node_filesystem_free_bytes', extra, 4096 * 9_000_000, pages(20, f < 2 ? 0.3 : 0.95));
    add('node_filesystem_avail_bytes', extra, 4096 * 8_000_000, pages(20, f < 2 ? 0.3 : 0.95));
    add('node_filesystem_files', extra, 6_553_600, constant);
    add('node_filesystem_files_free', extra, 6_000_000, f < 2 ? counter(3, 0.7) : constant);
    add('node_filesystem_readonly', extra, 0, constant);
    add('node_filesystem_device_error', extra, 0, constant);
  }
  for (let m = 0; m < 50; m++)
    add(
      `node_memory_m${m}_bytes`,
      {},
      4096 * (1_000_000 + m * 7919),
      m < 25 ? pages(200, 0.1) : m < 35 ? pages(4, 0.9) : constant,
    );
  for (let v = 0; v < 20; v++) add(`node_vmstat_v${v}`, {}, 1e6 * (v + 1), counter(500, 0.05));
  for (let v = 0; v < 80; v++)
    add(`node_netstat_n${v}`, {}, 1e4 * (v + 1), v < 30 ? counter(40, 0.2) : counter(1, 0.97));
  for (let v = 0; v < 20; v++) add(`node_sockstat_s${v}`, {}, 100 + v, smallGauge(100 + v, 130 + v, 0.7));
  for (let c = 0; c < 45; c++) {
    add('node_scrape_collector_duration_seconds', { collector: `c${c}` }, 0.001, noisy(0.002));
    add('node_scrape_collector_success', { collector: `c${c}` }, 1, constant);
  }
  for (const q of ['0', '0.25', '0.5', '0.75', '1'])
    add('go_gc_duration_seconds', { quantile: q }, 3e-5, noisy(4e-5));
  for (let g = 0; g < 25; g++)
    add(`go_memstats_g${g}`, {}, 2e6 + g * 1e5, g < 15 ? counter(20_000) : constant);
  add('go_goroutines', {}, 8, smallGauge(7, 9, 0.8));
  add('process_cpu_seconds_total', {}, 1234.56, centis(0.03, 0.2));
  add('process_resident_memory_bytes', {}, 2.1e7, pages(8, 0.3));
  for (let g = 0; g < 38; g++) add(`go_info_g${g}`, {}, g, constant);
  add('node_time_seconds', {}, 1.7e9, nanos(15));
  add('node_boot_time_seconds', {}, 1.69e9, constant);
  for (const [name, start] of [
    ['node_load1', 2.41],
    ['node_load5', 2.2],
    ['node_load15', 2.05],
  ] as const) {
    add(name, {}, start, (p, r) => Math.max(0, round2(p + (r() - 0.5) * 0.2)));
  }
  add('node_procs_running', {}, 3, smallGauge(1, 6, 0));
  add('node_procs_blocked', {}, 0, smallGauge(0, 1, 0.9));
  add('node_context_switches_total', {}, 9e9, counter(150_000));
  add('node_intr_total', {}, 5e9, counter(80_000));
  add('node_forks_total', {}, 1e6, counter(30));
  add('node_entropy_available_bits', {}, 256, constant);
  for (let t = 0; t < 20; t++) add(`node_timex_t${t}`, {}, 1e5 + t, t < 8 ? noisy(1e-4) : constant);
  for (let t = 0; t < 20; t++) {
    add('node_hwmon_temp_celsius', { chip: 'coretemp', sensor: `temp${t}` }, 45 + t / 2, (p, r) =>
      r() < 0.7 ? p : Math.round((p + (r() - 0.5) * 2) * 10) / 10,
    );
  }
  for (let i = 0; out.length < count; i++)
    add(`node_info_${i % 12}`, { id: String(i) }, i % 5 === 0 ? 1.7e9 : 1, constant);
  return out;
}

/** Scrape timestamps every `intervalMs`; about 1 in 50 is a few ms late (beyond the 2 ms timestamp tolerance). */
export function scrapeTimes(start: number, end: number, intervalMs: number, rnd: () => number): number[] {
  const ts: number[] = [];
  for (let t = start; t < end; t += intervalMs) ts.push(rnd() < 0.02 ? t + 3 + Math.floor(rnd() * 20) : t);
  return ts;
}

/**
 * Level-1 blocks as the head would write them: per series, XOR chunks cut every 120 samples and at
 * block boundaries, one block per `blockMs`. Returns the metas written.
 */
export function writeHeadLikeBlocks(
  dir: string,
  series: NodeSeries[],
  start: number,
  end: number,
  intervalMs: number,
  blockMs: number,
  seed = 1,
): BlockMeta[] {
  const rnd = prng(seed);
  const times = scrapeTimes(start, end, intervalMs, rnd);
  // all values of every series, generated once
  const values = series.map((s) => {
    const v = new Float64Array(times.length);
    let p = s.start;
    for (let i = 0; i < times.length; i++) {
      v[i] = p;
      p = s.step(p, rnd);
    }
    return v;
  });
  const order = series.map((_, i) => i).sort((a, b) => cmp(series[a].labels, series[b].labels));
  const metas: BlockMeta[] = [];
  for (let b0 = start; b0 < end; b0 += blockMs) {
    const b1 = Math.min(end, b0 + blockMs);
    const lo = times.findIndex((t) => t >= b0);
    let hi = times.findIndex((t) => t >= b1);
    if (hi < 0) hi = times.length;
    const blockSeries = function* (): Iterable<BlockSeries> {
      for (const idx of order) {
        const chunks: ChunkData[] = [];
        let c = new XORChunk();
        for (let i = lo; i < hi; i++) {
          c.append(times[i], values[idx][i]);
          if (c.numSamples === 120) {
            chunks.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() });
            c = new XORChunk();
          }
        }
        if (c.numSamples > 0) chunks.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() });
        yield { labels: series[idx].labels, chunks };
      }
    };
    const meta = writeBlock(dir, { minTime: b0, maxTime: b1 }, blockSeries());
    if (meta !== undefined) metas.push(meta);
  }
  return metas;
}

function cmp(a: Labels, b: Labels): number {
  const x = a.pairs;
  const y = b.pairs;
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** Bytes per sample of 1,000 node-like series over 24 h at 15 s: level-1 2h blocks, then one compacted 24h block. */
export function measureBytesPerSample(dir: string): {
  samples: number;
  /** The compacted block's directory (left in place for reading benchmarks). */
  compactedDir: string;
  compactSecs: number;
  level1Bytes: number;
  compactedBytes: number;
  level1BytesPerSample: number;
  compactedBytesPerSample: number;
  compactedChunks: number;
} {
  const day = 86_400_000;
  const start = 1_700_000_000_000 - (1_700_000_000_000 % day);
  const metas = writeHeadLikeBlocks(dir, nodeExporterSeries(1000), start, start + day, 15_000, 2 * 3600_000);
  const blocks = metas.map((m) => Block.open(path.join(dir, m.ulid)));
  const level1Bytes = blocks.reduce((n, b) => n + b.size(), 0);
  const samples = metas.reduce((n, m) => n + m.stats.numSamples, 0);
  const c0 = performance.now();
  const meta = compactBlocks(dir, blocks)!;
  const compactSecs = (performance.now() - c0) / 1000;
  for (const b of blocks) b.close();
  const out = Block.open(path.join(dir, meta.ulid));
  const compactedBytes = out.size();
  out.close();
  return {
    samples,
    compactedDir: path.join(dir, meta.ulid),
    compactSecs,
    level1Bytes,
    compactedBytes,
    level1BytesPerSample: level1Bytes / samples,
    compactedBytesPerSample: compactedBytes / meta.stats.numSamples,
    compactedChunks: meta.stats.numChunks,
  };
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Block figures: write throughput, open time, select+decode throughput, bytes per sample. */
export async function benchBlocks(report: BenchReport): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-bench-blocks-'));
  try {
    // 10k series × 2 h at 15 s (480 samples each): the write path as head compaction uses it.
    const series = nodeExporterSeries(10_000 - 2000).concat(
      nodeExporterSeries(2000, 'node-2:9100'), // a second instance for variety
    );
    const start = 1_700_000_000_000;
    let t0 = process.hrtime.bigint();
    const metas = writeHeadLikeBlocks(dir, series, start, start + 2 * 3600_000, 15_000, 2 * 3600_000, 7);
    const writeSecs = seconds(t0);
    const meta = metas[0];
    report.add('block_write_samples_per_sec', Math.round(meta.stats.numSamples / writeSecs), 'samples/s');

    t0 = process.hrtime.bigint();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) Block.open(path.join(dir, meta.ulid)).close();
    report.add('block_open_ms', Number(((seconds(t0) / rounds) * 1000).toFixed(2)), 'ms');

    const block = Block.open(path.join(dir, meta.ulid));
    const q = block.querier(start, start + 3600_000 - 1);
    const all = [new Matcher('=~', '__name__', 'node_.+')];
    let samples = 0;
    let nSeries = 0;
    t0 = process.hrtime.bigint();
    let runs = 0;
    while (runs < 3 || seconds(t0) < 1.5) {
      for (const s of q.select(all)) {
        samples += s.samples().length;
        nSeries++;
      }
      runs++;
    }
    const secs = seconds(t0);
    report.add('block_select_1h_10k_series_ms', Number(((secs / runs) * 1000).toFixed(1)), 'ms');
    report.add('block_select_decode_samples_per_sec', Math.round(samples / secs), 'samples/s');
    report.add('block_select_series_per_sec', Math.round(nSeries / secs), 'series/s');
    block.close();

    const sizeDir = fs.mkdtempSync(path.join(dir, 'size-'));
    t0 = process.hrtime.bigint();
    const m = measureBytesPerSample(sizeDir);
    report.add('block_level1_bytes_per_sample', Number(m.level1BytesPerSample.toFixed(3)), 'bytes/sample');
    report.add(
      'block_compacted_bytes_per_sample',
      Number(m.compactedBytesPerSample.toFixed(3)),
      'bytes/sample',
    );
    report.add('block_compact_24h_1000_series_sec', Number(seconds(t0).toFixed(2)), 's');
    report.add('block_compact_12_to_1_sec', Number(m.compactSecs.toFixed(2)), 's');

    // select+decode of the whole compacted 24h block (its chunk encodings: deflate, decimal)
    const cb = Block.open(m.compactedDir);
    const cq = cb.querier(cb.meta.minTime, cb.meta.maxTime - 1);
    let csamples = 0;
    let cruns = 0;
    t0 = process.hrtime.bigint();
    while (cruns < 3 || seconds(t0) < 1.5) {
      for (const s of cq.select([])) csamples += s.samples().length;
      cruns++;
    }
    report.add(
      'block_compacted_select_decode_samples_per_sec',
      Math.round(csamples / seconds(t0)),
      'samples/s',
    );
    cb.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
