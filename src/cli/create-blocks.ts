// `promethium-tool tsdb create-blocks-from openmetrics FILE [DIR]`, as promtool's backfill: every
// sample needs a timestamp; data is cut into 2h-aligned windows (or --max-block-duration), each
// written as one level-1 block from its first sample to its last sample + 1 ms.
import fs from 'node:fs';
import { formatGoFloat } from '../model/exposition/writer.js';
import { Entry, OpenMetricsParser } from '../model/exposition/index.js';
import { Labels } from '../model/labels.js';
import { compareLabels } from '../storage/interfaces.js';
import { errDuplicateSample, errOutOfOrderSample } from '../storage/errors.js';
import {
  Block,
  exponentialBlockRanges,
  writeBlock,
  type BlockMeta,
  type BlockSeries,
} from '../tsdb/block/index.js';
import { XORChunk } from '../tsdb/chunks/xor.js';
import { DEFAULT_BLOCK_DURATION } from '../tsdb/db.js';
import { SAMPLES_PER_CHUNK } from '../tsdb/head-series.js';

export interface CreateBlocksOptions {
  input: string;
  outputDir: string;
  maxBlockDuration?: number;
  humanReadable: boolean;
  quiet: boolean;
  /** --label name=value: added to every series, overriding the same name. */
  labels: Record<string, string>;
  out: (line: string) => void;
}

interface Window {
  labels: Labels;
  t: number[];
  v: number[];
}

const PIECE_BYTES = 64 * 1024 * 1024;

/**
 * Parses the whole input in pieces cut at line ends (a file may exceed V8's longest string); each
 * piece but the last is closed with the `# EOF` the parser requires.
 */
function parseAll(
  file: string,
  each: (labels: () => Labels, key: string, t: number, v: number) => void,
): void {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(PIECE_BYTES);
    let carry = Buffer.alloc(0);
    let pos = 0;
    for (;;) {
      const read = fs.readSync(fd, buf, 0, PIECE_BYTES, pos);
      pos += read;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, read)]) : buf.subarray(0, read);
      const last = pos >= size;
      const cut = last ? data.length : data.lastIndexOf(10) + 1;
      if (cut === 0 && !last) {
        carry = Buffer.from(data);
        continue;
      }
      const text = data.toString('utf8', 0, cut);
      carry = Buffer.from(data.subarray(cut));
      parsePiece(last ? text : text + '# EOF\n', each);
      if (last) return;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function parsePiece(
  body: string,
  each: (labels: () => Labels, key: string, t: number, v: number) => void,
): void {
  const p = new OpenMetricsParser(body);
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e !== Entry.Series) continue;
    const t = p.timestamp();
    if (t === undefined) throw new Error('expected timestamp for series got none');
    each(() => p.labels(), p.seriesText(), t, p.value());
  }
}

/** Returns the metas of the blocks written. Throws with promtool's wording on bad input. */
export function createBlocksFromOpenMetrics(opts: CreateBlocksOptions): BlockMeta[] {
  fs.statSync(opts.input);
  fs.mkdirSync(opts.outputDir, { recursive: true });
  let mint = Infinity;
  let maxt = -Infinity;
  try {
    parseAll(opts.input, (_l, _k, t) => {
      if (t < mint) mint = t;
      if (t > maxt) maxt = t;
    });
  } catch (err) {
    throw new Error(`getting min and max timestamp: ${(err as Error).message}`, { cause: err });
  }
  if (mint === Infinity) return [];
  let bd = DEFAULT_BLOCK_DURATION;
  if (opts.maxBlockDuration !== undefined && opts.maxBlockDuration > bd) {
    bd =
      exponentialBlockRanges(DEFAULT_BLOCK_DURATION, 10, 3)
        .filter((r) => r <= opts.maxBlockDuration!)
        .pop() ?? bd;
  }
  const extra = Object.entries(opts.labels).flat();
  const written: BlockMeta[] = [];
  for (let start = Math.trunc(mint / bd) * bd; start <= maxt; start += bd) {
    const end = start + bd;
    const series = new Map<string, Window>();
    try {
      parseAll(opts.input, (labels, key, t, v) => {
        if (t < start || t >= end) return;
        let w = series.get(key);
        if (w === undefined) {
          const base = labels();
          w = { labels: extra.length > 0 ? Labels.fromPairs([...base.pairs, ...extra]) : base, t: [], v: [] };
          series.set(key, w);
        }
        const last = w.t.length - 1;
        if (last >= 0 && t <= w.t[last]) {
          throw t === w.t[last] ? errDuplicateSample(t, w.v[last], v) : errOutOfOrderSample();
        }
        w.t.push(t);
        w.v.push(v);
      });
    } catch (err) {
      throw new Error(`block creation: process blocks: add sample: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (series.size === 0) continue;
    const sorted = [...series.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    let first = Infinity;
    let last = -Infinity;
    const blockSeries: BlockSeries[] = sorted.map((w) => {
      first = Math.min(first, w.t[0]);
      last = Math.max(last, w.t[w.t.length - 1]);
      const chunks: BlockSeries['chunks'] = [];
      for (let i = 0; i < w.t.length; i += SAMPLES_PER_CHUNK) {
        const c = new XORChunk();
        for (let j = i; j < Math.min(i + SAMPLES_PER_CHUNK, w.t.length); j++) c.append(w.t[j], w.v[j]);
        chunks.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() });
      }
      return { labels: w.labels, chunks };
    });
    // each chunk in its smallest form (DEC, deflate), as compaction writes them (promtool writes XOR)
    const meta = writeBlock(opts.outputDir, { minTime: first, maxTime: last + 1 }, blockSeries, undefined, {
      compress: true,
    });
    if (meta === undefined) continue;
    written.push(meta);
    if (!opts.quiet) printBlock(opts, meta, written.length === 1);
  }
  return written;
}

const HEADER = [
  'BLOCK ULID',
  'MIN TIME',
  'MAX TIME',
  'DURATION',
  'NUM SAMPLES',
  'NUM CHUNKS',
  'NUM SERIES',
  'SIZE',
];

function printBlock(opts: CreateBlocksOptions, meta: BlockMeta, header: boolean): void {
  const block = Block.open(`${opts.outputDir}/${meta.ulid}`);
  const size = block.size();
  block.close();
  const time = (ms: number): string =>
    opts.humanReadable
      ? new Date(Math.trunc(ms / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC')
      : String(ms);
  const row = [
    meta.ulid,
    time(meta.minTime),
    time(meta.maxTime),
    goDuration(meta.maxTime - meta.minTime),
    String(meta.stats.numSamples),
    String(meta.stats.numChunks),
    String(meta.stats.numSeries),
    opts.humanReadable ? humanBytes(size) : String(size),
  ];
  // tabwriter(minwidth 13, padding 2): each cell padded to at least 13, plus 2 spaces
  const pad = (cells: string[]): string =>
    cells
      .map((c) => c.padEnd(Math.max(13, c.length) + 2))
      .join('')
      .trimEnd();
  if (header) opts.out(pad(HEADER));
  opts.out(pad(row));
}

/** Go's time.Duration String for whole milliseconds, e.g. "1h59m59.999s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 0) return '-' + goDuration(-ms);
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return out + `${formatGoFloat(s)}s`;
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${Number(v.toFixed(1))}${units[i]}`;
}
