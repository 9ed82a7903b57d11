// The write-ahead log writer, after Prometheus's tsdb/wlog.WL: records are appended to numbered
// segment files; a fresh segment is started on open (never resuming an old file) and whenever the
// current one would overflow. Like Prometheus there is no fsync per log(): once log() returns, the
// bytes are in the OS page cache and survive a crash of the process. Finished segments are synced
// in the background, the open one on sync() and close().
import fs from 'node:fs';
import type { Logger } from '../../log/logger.js';
import { crc32c } from '../chunks/crc32c.js';
import {
  DEFAULT_SEGMENT_SIZE,
  FRAME_HEADER,
  dirSize,
  listCheckpoints,
  listSegments,
  segmentPath,
  syncDir,
} from './segments.js';

export interface WALOptions {
  /** Bytes per segment file (default 128 MiB). A record larger than this gets a segment of its own. */
  segmentSize?: number;
  logger?: Logger;
  /** Observes the duration of each fsync in seconds (prometheus_tsdb_wal_fsync_duration_seconds). */
  onFsync?: (seconds: number) => void;
  /** Told the index of each segment the writer starts (prometheus_tsdb_wal_segment_current). */
  onSegment?: (index: number) => void;
}

export class WAL {
  private fd = -1;
  private current: number;
  private written = 0;
  private buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  private closed = false;
  /** Set when a failed write could not be undone: appending after a torn record would lose data. */
  private broken: Error | undefined;
  private readonly segmentSize: number;
  private readonly logger: Logger | undefined;
  private readonly onFsync: ((seconds: number) => void) | undefined;
  private readonly onSegment: ((index: number) => void) | undefined;

  private constructor(
    readonly dir: string,
    opts: WALOptions,
    first: number,
  ) {
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!(this.segmentSize > FRAME_HEADER)) throw new Error(`invalid segment size ${this.segmentSize}`);
    this.logger = opts.logger;
    this.onFsync = opts.onFsync;
    this.onSegment = opts.onSegment;
    this.current = first;
    this.createSegment(first);
  }

  /**
   * Opens (creating) the WAL directory and starts a fresh segment after the last segment or
   * checkpoint. Replay (and its repair) must run before this, as Prometheus does in Head.Init.
   */
  static open(dir: string, opts: WALOptions = {}): WAL {
    fs.mkdirSync(dir, { recursive: true });
    const segs = listSegments(dir);
    const cps = listCheckpoints(dir);
    const last = Math.max(
      segs.length > 0 ? segs[segs.length - 1] : -1,
      cps.length > 0 ? cps[cps.length - 1] : -1,
    );
    return new WAL(dir, opts, last + 1);
  }

  /** Appends records, each framed with its length and CRC32-C, with one write per segment touched. */
  log(...records: Uint8Array[]): void {
    if (this.closed) throw new Error('WAL is closed');
    if (this.broken !== undefined) throw this.broken;
    let total = 0;
    for (let i = 0; i < records.length; i++) total += FRAME_HEADER + records[i].length;
    if (this.buf.length < total) this.buf = Buffer.allocUnsafe(Math.max(total, this.buf.length * 2));
    const buf = this.buf;
    let p = 0;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      const frame = FRAME_HEADER + rec.length;
      if (this.written + p + frame > this.segmentSize && this.written + p > 0) {
        // records never span segments (Prometheus): flush what fits, then cut
        this.write(buf, p);
        p = 0;
        this.nextSegment();
      }
      buf.writeUInt32LE(rec.length, p);
      buf.writeUInt32LE(crc32c(rec, 0, rec.length), p + 4);
      buf.set(rec, p + FRAME_HEADER);
      p += frame;
    }
    if (p > 0) this.write(buf, p);
  }

  private write(buf: Buffer, n: number): void {
    const before = this.written;
    let off = 0;
    try {
      while (off < n) off += fs.writeSync(this.fd, buf, off, n - off, before + off);
    } catch (err) {
      // undo a partial write so the segment still ends on a record boundary
      try {
        if (off > 0) fs.ftruncateSync(this.fd, before);
      } catch (err2) {
        this.broken = new Error(`WAL segment ${this.current} has a torn record after a failed write`, {
          cause: err2,
        });
        this.logger?.error('WAL write failed and could not be undone', { segment: this.current, err: err2 });
      }
      throw err;
    }
    this.written = before + n;
  }

  /** fdatasync of the open segment. */
  sync(): void {
    if (this.closed) return;
    const t0 = process.hrtime.bigint();
    fs.fdatasyncSync(this.fd);
    this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
  }

  segments(): { first: number; last: number } | undefined {
    const segs = listSegments(this.dir);
    return segs.length === 0 ? undefined : { first: segs[0], last: segs[segs.length - 1] };
  }

  /** Closes the current segment (synced in the background, as Prometheus does) and starts the next. */
  nextSegment(): number {
    if (this.closed) throw new Error('WAL is closed');
    const fd = this.fd;
    const t0 = process.hrtime.bigint();
    fs.fdatasync(fd, (err) => {
      if (err) this.logger?.error('Sync previous WAL segment', { err });
      else this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
      fs.close(fd, () => {});
    });
    this.createSegment(this.current + 1);
    return this.current;
  }

  private createSegment(i: number): void {
    this.fd = fs.openSync(segmentPath(this.dir, i), 'wx');
    this.current = i;
    this.written = 0;
    this.broken = undefined;
    syncDir(this.dir);
    this.onSegment?.(i);
  }

  /** Removes segments with index < `before`; the open segment is never removed. */
  truncateBefore(before: number): void {
    const limit = Math.min(before, this.current);
    for (const i of listSegments(this.dir)) {
      if (i >= limit) break;
      fs.rmSync(segmentPath(this.dir, i), { force: true });
    }
    syncDir(this.dir);
  }

  /** Bytes of all segments and checkpoints. */
  size(): number {
    return dirSize(this.dir);
  }

  /** Index of the segment being written. */
  currentSegment(): number {
    return this.current;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.sync();
    } finally {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }
}
