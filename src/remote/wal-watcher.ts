// Tails the TSDB's write-ahead log for remote write, as Prometheus's WAL watcher does: series records
// give each ref its labels (the newest checkpoint first, then every segment), samples records after the
// starting position are handed on in order. The position (segment, byte offset after a record) is the
// queue's durable cursor: a queue that resumes from its saved position re-reads what it had not yet
// delivered. Segments are read incrementally: only whole records, the rest on the next poll.
import { decodeHistogramSamples, type RefHistogramSample } from '../tsdb/wal/histogram-records.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Labels } from '../model/labels.js';
import { crc32c } from '../tsdb/chunks/crc32c.js';
import {
  RecordType,
  decodeSamples,
  decodeSeries,
  newSampleColumns,
  recordType,
  type SampleColumns,
} from '../tsdb/wal/records.js';
import { FRAME_HEADER, listCheckpoints, listSegments } from '../tsdb/wal/segments.js';

export interface WalPosition {
  segment: number;
  offset: number;
}

const EMPTY = new Float64Array(0);

export interface WatchedSamples {
  /** Where the record ends: once these are delivered, the cursor may move here. */
  end: WalPosition;
  refs: Float64Array;
  ts: Float64Array;
  vs: Float64Array;
  /** Start timestamps (0: unknown) when the record has them (st-storage). */
  sts?: Float64Array;
  length: number;
  /** A record of native histogram samples (then `length` is 0). */
  histograms?: RefHistogramSample[];
}

export interface WalWatcherOptions {
  walDir: string;
  /** Where to start reading samples; undefined: at the end of the log (only what comes next). */
  start?: WalPosition;
  /** Told when the saved position was truncated away: samples in removed segments are lost. */
  onSkipped?: (from: WalPosition, to: WalPosition) => void;
}

const READ_WINDOW = 4 * 1024 * 1024;

/** The framed records of one file from `offset`, only whole ones; returns where reading stopped. */
function readRecords(
  file: string,
  offset: number,
  onRecord: (rec: Uint8Array, end: number) => boolean,
): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return offset;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return offset;
    // a window of at most 4 MiB (a queue that waits re-reads from its record, not the whole segment),
    // or the one record that is larger
    let want = Math.min(size - offset, READ_WINDOW);
    if (want >= FRAME_HEADER) {
      const head = Buffer.allocUnsafe(4);
      fs.readSync(fd, head, 0, 4, offset);
      want = Math.min(size - offset, Math.max(want, FRAME_HEADER + head.readUInt32LE(0)));
    }
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    let p = 0;
    while (p + FRAME_HEADER <= got) {
      const len = buf.readUInt32LE(p);
      const crc = buf.readUInt32LE(p + 4);
      if (len === 0 || p + FRAME_HEADER + len > got) break;
      const rec = buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len);
      // a record still being written (or torn) fails its checksum: try again later
      if (crc32c(rec) >>> 0 !== crc) break;
      const next = p + FRAME_HEADER + len;
      // a record the callback refuses is read again next time
      if (!onRecord(rec, offset + next)) break;
      p = next;
    }
    return offset + p;
  } finally {
    fs.closeSync(fd);
  }
}

/** Every whole record of a file from `offset` (window after window); returns where reading stopped. */
function readAllRecords(
  file: string,
  offset: number,
  onRecord: (rec: Uint8Array, end: number) => boolean,
): number {
  for (;;) {
    let refused = false;
    const next = readRecords(file, offset, (rec, end) => {
      if (onRecord(rec, end)) return true;
      refused = true;
      return false;
    });
    if (refused || next === offset) return next;
    offset = next;
  }
}

export class WalWatcher {
  /** ref → labels, from series records. */
  readonly series = new Map<number, Labels>();
  private pos: WalPosition;
  private readonly cols: SampleColumns = newSampleColumns(1024);
  /** Series records are read up to here before samples are handed on (catching up on labels). */
  private labelsRead: WalPosition = { segment: -1, offset: 0 };

  constructor(private readonly o: WalWatcherOptions) {
    const segments = listSegments(o.walDir);
    const last = segments.length > 0 ? segments[segments.length - 1] : 0;
    this.pos = o.start ?? { segment: last, offset: this.sizeOf(last) };
    this.loadLabels();
  }

  private file(segment: number): string {
    return path.join(this.o.walDir, String(segment).padStart(8, '0'));
  }

  private sizeOf(segment: number): number {
    try {
      return fs.statSync(this.file(segment)).size;
    } catch {
      return 0;
    }
  }

  /** The newest checkpoint's series, then series records of every segment before the position. */
  private loadLabels(): void {
    const checkpoints = listCheckpoints(this.o.walDir);
    if (checkpoints.length > 0) {
      const dir = path.join(
        this.o.walDir,
        `checkpoint.${String(checkpoints[checkpoints.length - 1]).padStart(8, '0')}`,
      );
      for (const s of listSegments(dir))
        readAllRecords(path.join(dir, String(s).padStart(8, '0')), 0, (rec) => {
          this.takeSeries(rec);
          return true;
        });
    }
    const segments = listSegments(this.o.walDir);
    if (segments.length > 0 && this.pos.segment < segments[0]) {
      // the saved position was truncated away (the log keeps about two hours, as Prometheus's)
      const to = { segment: segments[0], offset: 0 };
      this.o.onSkipped?.(this.pos, to);
      this.pos = to;
    }
    for (const s of segments) {
      if (s > this.pos.segment) break;
      const upTo = s === this.pos.segment ? this.pos.offset : Infinity;
      readAllRecords(this.file(s), 0, (rec, end) => {
        if (end > upTo) return false;
        this.takeSeries(rec);
        return true;
      });
    }
    this.labelsRead = { ...this.pos };
  }

  private takeSeries(rec: Uint8Array): void {
    if (recordType(rec) !== RecordType.Series) return;
    for (const s of decodeSeries(rec)) this.series.set(s.ref, s.labels);
  }

  get position(): WalPosition {
    return { ...this.pos };
  }

  /**
   * Reads what was written since the last call: series records update the labels, each samples record
   * is handed to `onSamples` (which may ask to stop for now by returning false, e.g. queues are full).
   */
  poll(onSamples: (s: WatchedSamples) => boolean): void {
    for (;;) {
      const segments = listSegments(this.o.walDir);
      if (segments.length > 0 && this.pos.segment < segments[0]) {
        const to = { segment: segments[0], offset: 0 };
        this.o.onSkipped?.(this.pos, to);
        this.pos = to;
      }
      let stopped = false;
      const seg = this.pos.segment;
      const before = this.pos.offset;
      this.pos.offset = readRecords(this.file(seg), this.pos.offset, (rec, end) => {
        const type = recordType(rec);
        if (type === RecordType.Series) this.takeSeries(rec);
        else if (type === RecordType.Samples) {
          const n = decodeSamples(rec, this.cols, 0);
          const ok = onSamples({
            end: { segment: seg, offset: end },
            refs: this.cols.refs,
            ts: this.cols.ts,
            vs: this.cols.vs,
            sts: this.cols.sts,
            length: n,
          });
          if (!ok) {
            stopped = true;
            return false;
          }
        } else if (type === RecordType.Histograms) {
          const ok = onSamples({
            end: { segment: seg, offset: end },
            refs: EMPTY,
            ts: EMPTY,
            vs: EMPTY,
            length: 0,
            histograms: decodeHistogramSamples(rec),
          });
          if (!ok) {
            stopped = true;
            return false;
          }
        }
        return true;
      });
      if (stopped) return;
      // more of this segment past the window: go on reading it
      if (this.pos.offset > before && this.pos.offset < this.sizeOf(seg)) continue;
      // the segment is finished once a newer one exists and nothing more can be read from it
      const next = segments.find((s) => s > seg);
      if (next === undefined) return;
      if (this.sizeOf(seg) > this.pos.offset) return;
      this.pos = { segment: next, offset: 0 };
    }
  }

  /** The segment being read (prometheus_wal_watcher_current_segment). */
  get currentSegment(): number {
    return this.pos.segment;
  }

  /** For a queue that skipped ahead: labels known up to here (tests). */
  get labelsPosition(): WalPosition {
    return this.labelsRead;
  }
}
