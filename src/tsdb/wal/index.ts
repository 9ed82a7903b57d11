// Public surface of the write-ahead log.
export { WAL, type WALOptions } from './wal.js';
export { replay, type ReplayOptions, type ReplayResult, type WALCorruption } from './replay.js';
export { checkpoint, type CheckpointKeep, type CheckpointStats } from './checkpoint.js';
export {
  RecordType,
  RecordDecodeError,
  SampleColumns,
  newSampleColumns,
  recordType,
  encodeSeries,
  decodeSeries,
  encodeSamples,
  decodeSamples,
  encodeTombstones,
  decodeTombstones,
  type RefSeries,
  type Tombstone,
} from './records.js';
export { DEFAULT_SEGMENT_SIZE, listSegments, listCheckpoints } from './segments.js';
