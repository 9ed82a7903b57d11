// Reads the framed records of one segment file, stopping at the first bad one (see replay.ts for what
// counts as bad). Shared by replay and checkpoint.
import fs from 'node:fs';
import type { Logger } from '../../log/logger.js';
import { crc32c } from '../chunks/crc32c.js';
import { RecordDecodeError } from './records.js';
import { FRAME_HEADER } from './segments.js';

export function truncateFile(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.ftruncateSync(fd, offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const WINDOW = 4 * 1024 * 1024;

export interface ReadError {
  offset: number;
  reason: string;
}

/** Reads one segment file through a reused window buffer, so memory stays bounded for 128 MiB segments. */
export class SegmentReader {
  private buf = Buffer.allocUnsafe(0);

  constructor(private readonly logger: Logger | undefined) {}

  read(
    file: string,
    onRecord: (rec: Uint8Array) => void,
    totals: { records: number; bytes: number },
  ): ReadError | undefined {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      let bufStart = 0; // file offset of buf[0]
      let bufEnd = 0; // file offset just after the valid bytes in buf
      const load = (from: number, need: number): void => {
        // make [from, from+need) available in buf
        if (from >= bufStart && from + need <= bufEnd) return;
        if (this.buf.length < need || (this.buf.length < WINDOW && this.buf.length < size - from)) {
          // a window of up to 4 MiB, or the whole record when it is larger
          this.buf = Buffer.allocUnsafe(Math.max(need, Math.min(WINDOW, size - from)));
        }
        const want = Math.min(this.buf.length, size - from);
        let got = 0;
        while (got < want) {
          const n = fs.readSync(fd, this.buf, got, want - got, from + got);
          if (n === 0) break;
          got += n;
        }
        bufStart = from;
        bufEnd = from + got;
      };
      let pos = 0;
      while (pos < size) {
        const left = size - pos;
        load(pos, Math.min(FRAME_HEADER, left));
        let b = pos - bufStart;
        if (left < FRAME_HEADER) {
          if (this.zeroTail(fd, pos, size, file)) return undefined;
          return {
            offset: pos,
            reason: `last record is torn: ${left} bytes of a ${FRAME_HEADER}-byte header`,
          };
        }
        const len = this.buf.readUInt32LE(b);
        const crc = this.buf.readUInt32LE(b + 4);
        if (len === 0) {
          if (this.zeroTail(fd, pos, size, file)) return undefined;
          return { offset: pos, reason: 'invalid record size 0' };
        }
        if (len > left - FRAME_HEADER) {
          return { offset: pos, reason: `last record is torn: size ${len} beyond the end of the segment` };
        }
        load(pos, FRAME_HEADER + len);
        b = pos - bufStart + FRAME_HEADER;
        const actual = crc32c(this.buf, b, b + len);
        if (actual !== crc) {
          return {
            offset: pos,
            reason: `unexpected checksum ${actual.toString(16)}, expected ${crc.toString(16)}`,
          };
        }
        try {
          // a plain Uint8Array view (Buffer#slice would not copy)
          onRecord(new Uint8Array(this.buf.buffer, this.buf.byteOffset + b, len));
        } catch (err) {
          if (err instanceof RecordDecodeError)
            return { offset: pos, reason: `decode record: ${err.message}` };
          throw err;
        }
        totals.records++;
        totals.bytes += FRAME_HEADER + len;
        pos += FRAME_HEADER + len;
      }
      return undefined;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** True (and the zeros cut off) when every byte from `pos` to the end of the file is zero. */
  private zeroTail(fd: number, pos: number, size: number, file: string): boolean {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, size - pos));
    for (let at = pos; at < size;) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
      at += n;
    }
    this.logger?.warn('WAL segment ends in zero bytes, cutting them off', {
      file,
      offset: pos,
      bytes: size - pos,
    });
    try {
      truncateFile(file, pos);
    } catch {
      // harmless: the zeros are read as the end of the segment again next time
    }
    return true;
  }
}
