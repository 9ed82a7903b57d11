// WAL replay and repair, after Prometheus's Head.Init + wlog.Repair: the newest checkpoint first, then
// every segment after it, in order. The first bad record (short header, a length beyond the file, a
// CRC mismatch, an impossible length, or content its decoder rejects) is a corruption: the segment is
// cut at the start of that record, all later segments are deleted, and replay stops there; it is
// counted and logged with segment and offset, and never thrown.
//
// Decisions (documented where they differ from Prometheus):
// - A run of zero bytes reaching the end of a segment (a preallocated or torn-by-OS-crash tail) is the
//   end of that segment's records, not a corruption, just as Prometheus reads zero padding as page
//   terminators; the zeros are cut off and replay continues with the next segment. Zeros followed by
//   anything non-zero are a corruption ("invalid record size 0").
// - Prometheus fails to start on a corrupt checkpoint; we cut the checkpoint at the bad record, count a
//   corruption and continue with the segments (samples of lost series then count as unknown refs).
// - A gap in the segment numbers after the checkpoint (Prometheus: "segments are not sequential", a
//   failed open) is a corruption at the start of the first segment after the gap.
import fs from 'node:fs';
import type { Logger } from '../../log/logger.js';
import { SegmentReader, truncateFile } from './reader.js';
import { checkpointPath, listCheckpoints, listSegments, segmentPath, syncDir } from './segments.js';

export interface WALCorruption {
  /** The damaged file: a segment path, or a segment inside a checkpoint directory. */
  file: string;
  /** Segment index (for a checkpoint: the checkpoint's index). */
  segment: number;
  inCheckpoint: boolean;
  /** Byte offset of the first bad record in that file; everything before it was kept. */
  offset: number;
  reason: string;
}

export interface ReplayOptions {
  logger?: Logger;
  /** Called once per corruption found (wire to prometheus_tsdb_wal_corruptions_total). */
  onCorruption?: (c: WALCorruption) => void;
}

export interface ReplayResult {
  /** Records handed to onRecord. */
  records: number;
  /** Bytes of records read (framing included). */
  bytes: number;
  /** Index of the checkpoint replayed first, if any. */
  checkpoint: number | undefined;
  /** Segments replayed after the checkpoint. */
  firstSegment: number | undefined;
  lastSegment: number | undefined;
  corruptions: number;
  corruption: WALCorruption | undefined;
}

/**
 * Replays the WAL in `dir`. `onRecord` gets each record (type byte first) as a view that is only
 * valid during the call, with its segment index (for checkpoint records, the checkpoint's index). If
 * onRecord throws a RecordDecodeError the record counts as corrupt; other errors propagate.
 */
export function replay(
  dir: string,
  onRecord: (rec: Uint8Array, segment: number) => void,
  opts: ReplayOptions = {},
): ReplayResult {
  const result: ReplayResult = {
    records: 0,
    bytes: 0,
    checkpoint: undefined,
    firstSegment: undefined,
    lastSegment: undefined,
    corruptions: 0,
    corruption: undefined,
  };
  const reader = new SegmentReader(opts.logger);
  const report = (c: WALCorruption): void => {
    result.corruptions++;
    result.corruption ??= c;
    opts.logger?.warn('Encountered WAL read error, attempting repair', {
      file: c.file,
      segment: c.segment,
      offset: c.offset,
      err: c.reason,
    });
    opts.onCorruption?.(c);
  };

  const cps = listCheckpoints(dir);
  let startFrom = 0;
  if (cps.length > 0) {
    const cp = cps[cps.length - 1];
    const cpDir = checkpointPath(dir, cp);
    result.checkpoint = cp;
    startFrom = cp + 1;
    const segs = listSegments(cpDir);
    for (let k = 0; k < segs.length; k++) {
      const file = segmentPath(cpDir, segs[k]);
      const r = reader.read(file, (rec) => onRecord(rec, cp), result);
      if (r !== undefined) {
        report({ file, segment: cp, inCheckpoint: true, offset: r.offset, reason: r.reason });
        cutAfter(cpDir, file, r.offset, segs.slice(k + 1), opts.logger);
        break;
      }
    }
  }

  const segs = listSegments(dir).filter((i) => i >= startFrom);
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k];
    const file = segmentPath(dir, seg);
    if (k > 0 && seg !== segs[k - 1] + 1) {
      report({ file, segment: seg, inCheckpoint: false, offset: 0, reason: 'segments are not sequential' });
      cutAfter(dir, undefined, 0, segs.slice(k), opts.logger);
      break;
    }
    result.firstSegment ??= seg;
    result.lastSegment = seg;
    const r = reader.read(file, (rec) => onRecord(rec, seg), result);
    if (r !== undefined) {
      report({ file, segment: seg, inCheckpoint: false, offset: r.offset, reason: r.reason });
      cutAfter(dir, file, r.offset, segs.slice(k + 1), opts.logger);
      break;
    }
  }
  return result;
}

/** Truncates `file` at `offset` and deletes the `later` segments of `dir`: Prometheus's wlog.Repair. */
function cutAfter(
  dir: string,
  file: string | undefined,
  offset: number,
  later: number[],
  logger?: Logger,
): void {
  try {
    for (const i of later) fs.rmSync(segmentPath(dir, i), { force: true });
    if (file !== undefined) truncateFile(file, offset);
    syncDir(dir);
    logger?.info('Successfully repaired WAL', {
      file: file ?? dir,
      offset,
      deleted_segments: later.length,
    });
  } catch (err) {
    // replay keeps going with what it read; the next start finds and repairs the damage again
    logger?.error('Repair corrupted WAL failed', { dir, err });
  }
}

export { checkpoint } from './checkpoint.js';
