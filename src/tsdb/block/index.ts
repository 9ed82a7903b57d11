// Blocks: the persisted, time-partitioned part of the TSDB (one SQLite file per block), their
// compaction and retention.
export {
  BlockError,
  type BlockDesc,
  type BlockMeta,
  type BlockSeries,
  type ChunkData,
  type TombstoneInterval,
} from './format.js';
export { Block } from './reader.js';
export { writeBlock, writeBlockAsync, cleanupTmp } from './writer.js';
export { AbortedError } from './steps.js';
export {
  compactBlocks,
  compactBlocksAsync,
  compactBlockMetas,
  rechunkHistograms,
  type CompactOptions,
} from './compact.js';
export { planCompaction, exponentialBlockRanges, defaultBlockRanges, splitByRange } from './plan.js';
export { blocksBeyondRetention, type RetentionLimits } from './retention.js';
export { newULID, isULID } from './ulid.js';
