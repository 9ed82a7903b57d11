// promtool's `tsdb list`, `tsdb dump` and `tsdb dump-openmetrics` over a Promethium data directory,
// with promtool's output formats (cmd/promtool/tsdb.go). The directory is only read: its blocks are
// opened as they are, and the head is rebuilt in memory from the WAL (newest checkpoint, then the
// segments after it), as promtool's read-only DB does; a running server may hold the directory.
import fs from 'node:fs';
import path from 'node:path';
import { formatGoFloat } from '../model/exposition/writer.js';
import { histogramString, toFloatHistogram } from '../model/histogram.js';
import { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { compareLabels, type Querier, type Series } from '../storage/interfaces.js';
import { MemoryStorage } from '../storage/memory.js';
import { mergeQueriers } from '../storage/merge.js';
import { Block } from '../tsdb/block/index.js';
import { isULID } from '../tsdb/block/ulid.js';
import { SegmentReader } from '../tsdb/wal/reader.js';
import { decodeHistogramSamples } from '../tsdb/wal/histogram-records.js';
import {
  RecordType,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  newSampleColumns,
  recordType,
} from '../tsdb/wal/records.js';
import { checkpointPath, listCheckpoints, listSegments, segmentPath } from '../tsdb/wal/segments.js';

/** A data directory opened for reading: its blocks and its head (from the WAL). */
interface ReadOnlyDB {
  blocks: Block[];
  head: MemoryStorage;
  /** Deleted intervals of head series, by labels. */
  headDeleted: Map<string, Array<{ mint: number; maxt: number }>>;
  close(): void;
}

function openReadOnly(dir: string): ReadOnlyDB {
  if (!fs.existsSync(dir)) throw new Error(`open ${dir}: no such file or directory`);
  const blocks: Block[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (isULID(name) && fs.existsSync(path.join(dir, name, 'block.db')))
      blocks.push(Block.open(path.join(dir, name)));
  }
  blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
  const head = new MemoryStorage();
  const headDeleted = new Map<string, Array<{ mint: number; maxt: number }>>();
  const wal = path.join(dir, 'wal');
  if (fs.existsSync(wal)) {
    const labelsOf = new Map<number, Labels>();
    const cols = newSampleColumns();
    const reader = new SegmentReader(undefined);
    const totals = { records: 0, bytes: 0 };
    const app = head.appender();
    const onRecord = (rec: Uint8Array): void => {
      switch (recordType(rec)) {
        case RecordType.Series:
          for (const s of decodeSeries(rec)) labelsOf.set(s.ref, s.labels);
          break;
        case RecordType.Samples: {
          const n = decodeSamples(rec, cols);
          for (let i = 0; i < n; i++) {
            const ls = labelsOf.get(cols.refs[i]);
            if (ls === undefined) continue;
            try {
              app.append(0, ls, cols.ts[i], cols.vs[i], cols.sts?.[i]);
            } catch {
              // out of order or duplicate in the WAL: the head kept the first
            }
          }
          break;
        }
        case RecordType.Histograms:
          for (const x of decodeHistogramSamples(rec)) {
            const ls = labelsOf.get(x.ref);
            if (ls === undefined) continue;
            try {
              app.appendHistogram!(0, ls, x.t, x.h, x.fh, x.st);
            } catch {
              // as above
            }
          }
          break;
        case RecordType.Tombstones:
          for (const t of decodeTombstones(rec)) {
            const ls = labelsOf.get(t.ref);
            if (ls === undefined) continue;
            const key = ls.toString();
            headDeleted.set(key, [...(headDeleted.get(key) ?? []), { mint: t.mint, maxt: t.maxt }]);
          }
          break;
      }
    };
    const checkpoints = listCheckpoints(wal);
    const cp = checkpoints[checkpoints.length - 1];
    if (cp !== undefined) {
      const cpDir = checkpointPath(wal, cp);
      for (const s of listSegments(cpDir)) reader.read(segmentPath(cpDir, s), onRecord, totals);
    }
    for (const s of listSegments(wal)) {
      if (cp !== undefined && s <= cp) continue;
      reader.read(segmentPath(wal, s), onRecord, totals);
    }
    void app.commit();
  }
  return {
    blocks,
    head,
    headDeleted,
    close: () => {
      for (const b of blocks) b.close();
    },
  };
}

/** The series of the directory matching any of the selectors, merged and sorted by labels. */
function* select(db: ReadOnlyDB, mint: number, maxt: number, selectors: readonly string[]): Iterable<Series> {
  const parts: Querier[] = db.blocks
    .filter((b) => b.meta.minTime <= maxt && mint < b.meta.maxTime)
    .map((b) => b.querier(mint, maxt));
  parts.push(db.head.querier(mint, maxt));
  const q = mergeQueriers(parts);
  try {
    const seen = new Map<string, Series>();
    for (const sel of selectors) {
      const ms: Matcher[] = parseMetricSelector(sel);
      for (const s of q.select(ms, { start: mint, end: maxt })) seen.set(s.labels.toString(), s);
    }
    const all = [...seen.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    for (const s of all) {
      const deleted = db.headDeleted.get(s.labels.toString());
      if (deleted === undefined) yield s;
      else {
        const keep = (t: number): boolean => !deleted.some((iv) => t >= iv.mint && t <= iv.maxt);
        yield {
          labels: s.labels,
          samples: () => {
            const b = s.samples();
            const idx: number[] = [];
            for (let i = 0; i < b.length; i++) if (keep(b.t[i])) idx.push(i);
            return {
              t: Float64Array.from(idx, (i) => b.t[i]),
              v: Float64Array.from(idx, (i) => b.v[i]),
              length: idx.length,
            };
          },
          histograms: () => (s.histograms?.() ?? []).filter((x) => keep(x.t)),
        };
      }
    }
  } finally {
    q.close();
  }
}

/** Go's labels.String(): `{a="b", c="d"}` with strconv.Quote'd values. */
function labelsString(ls: Labels, sep = ', '): string {
  const parts: string[] = [];
  for (let i = 0; i < ls.pairs.length; i += 2) parts.push(`${ls.pairs[i]}=${goQuote(ls.pairs[i + 1])}`);
  return `{${parts.join(sep)}}`;
}

/** strconv.Quote for printable text (control characters escaped as Go does). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

export interface DumpOptions {
  mint: number;
  maxt: number;
  /** Series selectors; promtool's default selects every series. */
  match: string[];
  format: 'prom' | 'seriesjson';
}

export const DEFAULT_DUMP_MATCH = "{__name__=~'(?s:.*)'}";

/** `promtool tsdb dump`: every sample as `{labels} value timestamp`, or each series' labels as JSON. */
export function dump(dir: string, o: DumpOptions, out: (line: string) => void): void {
  const db = openReadOnly(dir);
  try {
    for (const s of select(db, o.mint, o.maxt, o.match)) {
      if (o.format === 'seriesjson') {
        const obj: Record<string, string> = {};
        for (let i = 0; i < s.labels.pairs.length; i += 2) obj[s.labels.pairs[i]] = s.labels.pairs[i + 1];
        out(JSON.stringify(obj));
        continue;
      }
      const ls = labelsString(s.labels);
      // floats and histograms in time order, as the series iterator gives them
      const b = s.samples();
      const hs = s.histograms?.() ?? [];
      let i = 0;
      let j = 0;
      while (i < b.length || j < hs.length) {
        if (j >= hs.length || (i < b.length && b.t[i] <= hs[j].t)) {
          out(`${ls} ${formatGoFloat(b.v[i])} ${b.t[i]}`);
          i++;
        } else {
          const x = hs[j++];
          const fh = x.fh ?? toFloatHistogram(x.h!);
          out(`${ls} ${histogramString(fh, formatGoFloat)} ${x.t}`);
        }
      }
    }
  } finally {
    db.close();
  }
}

/** `promtool tsdb dump-openmetrics`: float samples in OpenMetrics text, then `# EOF`. */
export function dumpOpenMetrics(
  dir: string,
  o: Omit<DumpOptions, 'format'>,
  out: (line: string) => void,
): void {
  const db = openReadOnly(dir);
  try {
    for (const s of select(db, o.mint, o.maxt, o.match)) {
      const name = s.labels.get('__name__') ?? '';
      const pairs = s.labels.pairs;
      const kept: string[] = [];
      for (let i = 0; i < pairs.length; i += 2)
        if (pairs[i] !== '__name__') kept.push(pairs[i], pairs[i + 1]);
      const rest = labelsString(Labels.fromSortedPairs(kept), ',');
      const b = s.samples();
      const firstHist = s.histograms?.()[0]?.t ?? Infinity;
      for (let i = 0; i < b.length; i++) {
        // promtool stops at the first sample that is not a float
        if (b.t[i] >= firstHist) break;
        out(`${name}${rest} ${formatGoFloat(b.v[i])} ${(b.t[i] / 1000).toFixed(3)}`);
      }
    }
    out('# EOF');
  } finally {
    db.close();
  }
}

/** Go's time.Duration String for whole milliseconds (e.g. 2h0m0s, 1m30.5s, 0s). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sec = `${String(Math.floor(s))}${
    rest % 1000 === 0
      ? ''
      : '.' +
        String(rest % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')
  }s`;
  return `${neg ? '-' : ''}${h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m` : ''}${sec}`;
}

/** alecthomas/units Base2Bytes String: the largest units first, e.g. 1KiB512B, 0B. */
function base2Bytes(n: number): string {
  if (n === 0) return '0B';
  const units: Array<[string, number]> = [
    ['EiB', 2 ** 60],
    ['PiB', 2 ** 50],
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
    ['B', 1],
  ];
  let out = '';
  let rest = n;
  for (const [u, size] of units) {
    const k = Math.floor(rest / size);
    if (k > 0) {
      out += `${k}${u}`;
      rest -= k * size;
    }
  }
  return out;
}

function goTimeUTC(ms: number): string {
  const d = new Date(Math.trunc(ms / 1000) * 1000);
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

function dirBytes(p: string): number {
  let n = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const f = path.join(p, e.name);
    n += e.isDirectory() ? dirBytes(f) : fs.statSync(f).size;
  }
  return n;
}

/** `promtool tsdb list`: one row per block, as Go's tabwriter lays out promtool's table. */
export function list(dir: string, humanReadable: boolean, out: (line: string) => void): void {
  const db = openReadOnly(dir);
  try {
    const rows: string[][] = [
      ['BLOCK ULID', 'MIN TIME', 'MAX TIME', 'DURATION', 'NUM SAMPLES', 'NUM CHUNKS', 'NUM SERIES', 'SIZE'],
    ];
    for (const b of db.blocks) {
      const m = b.meta;
      const size = dirBytes(path.join(dir, m.ulid));
      rows.push([
        m.ulid,
        humanReadable ? goTimeUTC(m.minTime) : String(m.minTime),
        humanReadable ? goTimeUTC(m.maxTime) : String(m.maxTime),
        goDuration(m.maxTime - m.minTime),
        String(m.stats.numSamples),
        String(m.stats.numChunks),
        String(m.stats.numSeries),
        humanReadable ? base2Bytes(size) : String(size),
      ]);
    }
    // tabwriter(minwidth 13, padding 2): every tab-terminated cell padded to its column's width
    const widths = rows[0].slice(0, -1).map((_, c) => Math.max(13, ...rows.map((r) => r[c].length + 2)));
    for (const r of rows)
      out(r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(widths[c]) : cell)).join(''));
  } finally {
    db.close();
  }
}

export interface AnalyzeOptions {
  /** The block's ULID; the last block (highest ULID) when absent. */
  blockId?: string;
  /** How many items to show in each list (promtool's --limit, 20). */
  limit: number;
  /** One series selector (promtool's --match). */
  match?: string;
}

/**
 * `promtool tsdb analyze`: one block's churn and cardinality report, with promtool's sections and
 * lines (items with equal counts may come in another order: promtool's sort is not stable either).
 */
export function analyze(dir: string, o: AnalyzeOptions, out: (line: string) => void): void {
  const db = openReadOnly(dir);
  try {
    if (db.blocks.length === 0) throw new Error('no blocks found');
    const block =
      o.blockId === undefined
        ? [...db.blocks].sort((a, b) => (a.meta.ulid < b.meta.ulid ? -1 : 1))[db.blocks.length - 1]
        : db.blocks.find((b) => b.meta.ulid === o.blockId);
    if (block === undefined) throw new Error(`block ${o.blockId} not found`);
    const meta = block.meta;
    const selectors = o.match === undefined || o.match === '' ? [] : parseMetricSelector(o.match);
    const range = meta.maxTime - meta.minTime;
    out(`Block ID: ${meta.ulid}`);
    out(`Duration: ${goDuration(range)}`);
    out(`Total Series: ${meta.stats.numSeries}`);
    if (selectors.length > 0) out(`Matcher: ${o.match}`);
    const matches = (ls: Labels): boolean => selectors.every((m) => m.matches(ls.get(m.name) ?? ''));
    const series: Array<{ labels: Labels; mint: number; maxt: number }> = [];
    for (const s of block.seriesWithRefs()) {
      if (!matches(s.labels) || s.chunks.length === 0) continue;
      const chunks = [...s.chunks].sort((a, b) => a.mint - b.mint);
      series.push({ labels: s.labels, mint: chunks[0].mint, maxt: chunks[chunks.length - 1].maxt });
    }
    const names = new Set<string>();
    const values = new Map<string, Set<string>>();
    for (const s of series)
      for (let i = 0; i < s.labels.pairs.length; i += 2) {
        names.add(s.labels.pairs[i]);
        let v = values.get(s.labels.pairs[i]);
        if (v === undefined) values.set(s.labels.pairs[i], (v = new Set()));
        v.add(s.labels.pairs[i + 1]);
      }
    out(`Label names: ${names.size}`);
    if (selectors.length > 0) out(`Matched series: ${series.length}`);
    const labelsUncovered = new Map<string, number>();
    const pairsUncovered = new Map<string, number>();
    const pairsCount = new Map<string, number>();
    let entries = 0;
    const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
    for (const s of series) {
      // the part of the block's range this series does not cover
      const uncovered = range - (s.maxt - s.mint);
      for (let i = 0; i < s.labels.pairs.length; i += 2) {
        const key = `${s.labels.pairs[i]}=${s.labels.pairs[i + 1]}`;
        add(labelsUncovered, s.labels.pairs[i], uncovered);
        add(pairsUncovered, key, uncovered);
        add(pairsCount, key, 1);
        entries++;
      }
    }
    out(`Postings (unique label pairs): ${pairsUncovered.size}`);
    out(`Postings entries (total label pairs): ${entries}`);
    const print = (title: string, items: Array<[string, number]>): void => {
      out('');
      out(`${title}:`);
      items.sort((a, b) => b[1] - a[1]);
      for (const [k, n] of items.slice(0, o.limit)) out(`${n} ${k}`);
    };
    const perRange = (m: Map<string, number>): Array<[string, number]> =>
      [...m].map(([k, v]) => [k, Math.floor(v / range)]);
    print('Label pairs most involved in churning', perRange(pairsUncovered));
    print('Label names most involved in churning', perRange(labelsUncovered));
    print('Most common label pairs', [...pairsCount]);
    const sortedNames = [...names].sort(goCompareStrings);
    print(
      'Label names with highest cumulative label value length',
      sortedNames.map((n) => [n, [...values.get(n)!].reduce((a, v) => a + Buffer.byteLength(v, 'utf8'), 0)]),
    );
    print(
      'Highest cardinality labels',
      sortedNames.map((n) => [n, values.get(n)!.size]),
    );
    const byName = new Map<string, number>();
    for (const s of series) add(byName, s.labels.get('__name__') ?? '', 1);
    byName.delete('');
    print('Highest cardinality metric names', [...byName]);
  } finally {
    db.close();
  }
}

function goCompareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
