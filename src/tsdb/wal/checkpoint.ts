// WAL checkpoints, after Prometheus's wlog.Checkpoint + Head.truncateWAL: the previous checkpoint and
// segments up to `upToSegment` are condensed into `checkpoint.<upToSegment>` (written in a `.tmp`
// directory, synced, renamed atomically), keeping the series records of kept series, their samples with
// t >= minTime, and their tombstones whose maxt >= minTime; unknown record types are dropped (as
// Prometheus does). Then those segments and older checkpoints are deleted (failures only logged).
//
// Unlike replay, a corruption met here fails the checkpoint (Prometheus: "repairing is not an option,
// the head won't know which series records are lost"); the WAL stays as it was.
import { decodeHistogramSamples, encodeHistogramSamples } from './histogram-records.js';
import fs from 'node:fs';
import type { Logger } from '../../log/logger.js';
import {
  RecordType,
  SampleColumns,
  decodeSamples,
  decodeTombstones,
  encodeSamples,
  encodeTombstones,
  filterSeries,
} from './records.js';
import { SegmentReader } from './reader.js';
import {
  CHECKPOINT_PREFIX,
  TMP_SUFFIX,
  checkpointPath,
  listCheckpoints,
  listSegments,
  segmentPath,
  syncDir,
} from './segments.js';
import { WAL } from './wal.js';

export interface CheckpointKeep {
  /** True for series still in the head (or deleted ones whose WAL records must outlive this checkpoint). */
  series(ref: number): boolean;
  /** Samples before this time and tombstones ending before it are dropped. */
  minTime: number;
}

export interface CheckpointStats {
  totalSeries: number;
  droppedSeries: number;
  totalSamples: number;
  droppedSamples: number;
  totalTombstones: number;
  droppedTombstones: number;
  /** Segments deleted after the checkpoint was written. */
  deletedSegments: number;
  deletedCheckpoints: number;
}

const FLUSH_BYTES = 1024 * 1024;

/**
 * Writes `checkpoint.<upToSegment>` from the last checkpoint and the segments up to `upToSegment`,
 * then deletes them. `upToSegment` must be below the last segment (the one being written), as in
 * Prometheus, which never checkpoints the active segment.
 */
export function checkpoint(
  dir: string,
  upToSegment: number,
  keep: CheckpointKeep,
  opts: { logger?: Logger } = {},
): CheckpointStats {
  const logger = opts.logger;
  const stats: CheckpointStats = {
    totalSeries: 0,
    droppedSeries: 0,
    totalSamples: 0,
    droppedSamples: 0,
    totalTombstones: 0,
    droppedTombstones: 0,
    deletedSegments: 0,
    deletedCheckpoints: 0,
  };
  const segs = listSegments(dir);
  if (segs.length === 0 || upToSegment >= segs[segs.length - 1]) {
    throw new Error(
      `checkpoint up to segment ${upToSegment}: the last segment (the one being written) is excluded`,
    );
  }
  const cps = listCheckpoints(dir);
  const lastCp = cps.length > 0 ? cps[cps.length - 1] : -1;
  if (upToSegment <= lastCp) return stats; // already condensed
  logger?.info('Creating checkpoint', {
    from_segment: lastCp + 1,
    to_segment: upToSegment,
    mint: keep.minTime,
  });

  const files: string[] = [];
  if (lastCp >= 0)
    for (const i of listSegments(checkpointPath(dir, lastCp)))
      files.push(segmentPath(checkpointPath(dir, lastCp), i));
  for (const i of segs) if (i > lastCp && i <= upToSegment) files.push(segmentPath(dir, i));

  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(CHECKPOINT_PREFIX) && name.endsWith(TMP_SUFFIX)) {
      fs.rmSync(`${dir}/${name}`, { recursive: true, force: true });
    }
  }
  const final = checkpointPath(dir, upToSegment);
  const tmp = final + TMP_SUFFIX;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const cp = WAL.open(tmp);
    try {
      const cols = new SampleColumns();
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      const add = (rec: Uint8Array | undefined): void => {
        if (rec === undefined) return;
        batch.push(rec);
        batchBytes += rec.length;
        if (batchBytes >= FLUSH_BYTES) {
          cp.log(...batch);
          batch = [];
          batchBytes = 0;
        }
      };
      const onRecord = (rec: Uint8Array): void => {
        switch (rec[0]) {
          case RecordType.Series: {
            add(
              filterSeries(rec, (ref) => {
                stats.totalSeries++;
                if (keep.series(ref)) return true;
                stats.droppedSeries++;
                return false;
              }),
            );
            break;
          }
          case RecordType.Samples: {
            const n = decodeSamples(rec, cols);
            let w = 0;
            const { refs, ts, vs } = cols;
            const bits = new Uint32Array(vs.buffer, vs.byteOffset, 2 * n); // copy values as bits
            for (let i = 0; i < n; i++) {
              if (ts[i] >= keep.minTime && keep.series(refs[i])) {
                refs[w] = refs[i];
                ts[w] = ts[i];
                bits[2 * w] = bits[2 * i];
                bits[2 * w + 1] = bits[2 * i + 1];
                w++;
              }
            }
            stats.totalSamples += n;
            stats.droppedSamples += n - w;
            if (w > 0) add(encodeSamples(refs, ts, vs, w));
            break;
          }
          case RecordType.Tombstones: {
            const all = decodeTombstones(rec);
            const kept = all.filter((s) => s.maxt >= keep.minTime && keep.series(s.ref));
            stats.totalTombstones += all.length;
            stats.droppedTombstones += all.length - kept.length;
            if (kept.length > 0) add(encodeTombstones(kept));
            break;
          }
          case RecordType.Histograms: {
            const all = decodeHistogramSamples(rec);
            const kept = all.filter((s) => s.t >= keep.minTime && keep.series(s.ref));
            stats.totalSamples += all.length;
            stats.droppedSamples += all.length - kept.length;
            if (kept.length > 0) add(encodeHistogramSamples(kept));
            break;
          }
          default:
          // unknown record type (e.g. from a newer version): dropped, as Prometheus does
        }
      };
      const reader = new SegmentReader(logger);
      const totals = { records: 0, bytes: 0 };
      for (const file of files) {
        const err = reader.read(file, onRecord, totals);
        if (err !== undefined)
          throw new Error(`read segments: corruption in ${file} at ${err.offset}: ${err.reason}`);
      }
      if (batch.length > 0) cp.log(...batch);
    } finally {
      cp.close();
    }
    syncDir(tmp);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    syncDir(dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }

  // as Head.truncateWAL: wal.Truncate(last+1), then DeleteCheckpoints(last); failures are only logged
  for (const i of segs) {
    if (i > upToSegment) break;
    try {
      fs.rmSync(segmentPath(dir, i), { force: true });
      stats.deletedSegments++;
    } catch (err) {
      logger?.error('Deleting WAL segment failed', { segment: i, err });
    }
  }
  for (const i of cps) {
    try {
      fs.rmSync(checkpointPath(dir, i), { recursive: true, force: true });
      stats.deletedCheckpoints++;
    } catch (err) {
      logger?.error('Deleting old checkpoint failed', { checkpoint: i, err });
    }
  }
  syncDir(dir);
  logger?.info('WAL checkpoint complete', { first: segs[0], last: upToSegment });
  return stats;
}
