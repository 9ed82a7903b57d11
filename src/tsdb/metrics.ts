// The TSDB's self-metrics, with Prometheus's names and help texts (prometheus_tsdb_*).
import { Counter, Gauge, Histogram, Summary, exponentialBuckets, type Registry } from 'prom-client';

interface Inc {
  inc(n?: number): void;
}
interface Set {
  set(v: number): void;
}
interface Observe {
  observe(v: number): void;
}

/** What the gauges Prometheus computes when scraped (GaugeFuncs) read; the TSDB supplies it once open. */
export interface TSDBGaugeSource {
  /** ms; Infinity / -Infinity for an empty head. */
  headMinTime(): number;
  headMaxTime(): number;
  /** ms; the oldest sample in blocks or head, Infinity when empty. */
  lowestTimestamp(): number;
  activeAppenders(): number;
  /** Series and chunks held in the head. */
  headSeries(): number;
  headChunks(): number;
}

export interface TSDBMetrics {
  headSeriesCreated: Inc;
  headSeriesRemoved: Inc;
  headChunksCreated: Inc;
  samplesAppended: Inc;
  histogramSamplesAppended: Inc;
  outOfOrderSamples: Inc;
  outOfBoundSamples: Inc;
  tooOldSamples: Inc;
  outOfOrderSamplesAppended: Inc;
  headMinTime: Set;
  headMaxTime: Set;
  walCorruptions: Inc;
  walStorageSize: Set;
  replayDuration: Set;
  blocksLoaded: Set;
  reloads: Inc;
  reloadsFailed: Inc;
  compactions: Inc;
  compactionsTriggered: Inc;
  compactionsFailed: Inc;
  verticalCompactions: Inc;
  timeRetentions: Inc;
  sizeRetentions: Inc;
  lowestTimestamp: Set;
  blocksBytes: Set;
  retentionLimitBytes: Set;
  retentionLimitSeconds: Set;
  headTruncations: Inc;
  checkpointCreations: Inc;
  checkpointCreationsFailed: Inc;
  checkpointDeletions: Inc;
  checkpointDeletionsFailed: Inc;
  cleanStart: Set;
  walSegmentCurrent: Set;
  walFsyncDuration: Observe;
  walWritesFailed: Inc;
  walTruncations: Inc;
  walTruncationsFailed: Inc;
  walTruncateDuration: Observe;
  headChunksRemoved: Inc;
  headGcDuration: Observe;
  headTruncationsFailed: Inc;
  compactionDuration: Observe;
  compactionPopulatingBlock: Set;
  tombstoneCleanup: Observe;
  /** Blocks found damaged (failing to open, or chunks failing their checksum), each once. */
  damagedBlocks: Inc;
  /** Sets what the computed gauges read (head bounds, lowest timestamp, active appenders). */
  bind(source: TSDBGaugeSource): void;
}

/** Metrics registered in `registry`; without one, counters that count nothing (tests, tools). */
export function createTSDBMetrics(registry?: Registry): TSDBMetrics {
  const registers = registry === undefined ? [] : [registry];
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
  // Summaries without quantiles, as Prometheus's plain Summaries: _sum and _count only.
  const summary = (name: string, help: string, percentiles: number[] = []): Summary =>
    new Summary({ name, help, percentiles, maxAgeSeconds: 600, ageBuckets: 5, registers });
  const histogram = (name: string, help: string, buckets: number[]): Histogram =>
    new Histogram({ name, help, buckets, registers });
  // Counted in a plain number and handed to prom-client only when collected: these move once per
  // series or chunk created (100k times in a WAL replay), and prom-client hashes the label set on
  // every inc(), even an empty one.
  const cheapCounter = (name: string, help: string): Inc => {
    let n = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(n);
      },
    });
    return { inc: (by = 1) => void (n += by) };
  };
  let source: TSDBGaugeSource | undefined;
  /** A gauge set from the source whenever it is collected (Prometheus's GaugeFunc). */
  const computed = (name: string, help: string, value: (s: TSDBGaugeSource) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (source !== undefined) this.set(value(source));
      },
    });
  };
  const finite = (v: number): number => (Number.isFinite(v) ? v : 0);
  computed(
    'prometheus_tsdb_head_min_time_seconds',
    'Minimum time bound of the head block.',
    (s) => finite(s.headMinTime()) / 1000,
  );
  computed(
    'prometheus_tsdb_head_max_time_seconds',
    'Maximum timestamp of the head block.',
    (s) => finite(s.headMaxTime()) / 1000,
  );
  computed(
    'prometheus_tsdb_lowest_timestamp_seconds',
    'Lowest timestamp value stored in the database.',
    (s) => finite(s.lowestTimestamp()) / 1000,
  );
  computed('prometheus_tsdb_head_series', 'Total number of series in the head block.', (s) => s.headSeries());
  computed('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.', (s) => s.headChunks());
  computed('prometheus_tsdb_head_active_appenders', 'Number of currently active appender transactions', (s) =>
    s.activeAppenders(),
  );
  const samplesAppended = new Counter({
    name: 'prometheus_tsdb_head_samples_appended_total',
    help: 'Total number of appended samples.',
    labelNames: ['type'],
    registers,
  });
  const typed = (name: string, help: string): Inc =>
    new Counter({ name, help, labelNames: ['type'], registers }).labels({ type: 'float' });
  return {
    headSeriesCreated: cheapCounter(
      'prometheus_tsdb_head_series_created_total',
      'Total number of series created in the head',
    ),
    headSeriesRemoved: counter(
      'prometheus_tsdb_head_series_removed_total',
      'Total number of series removed in the head',
    ),
    headChunksCreated: cheapCounter(
      'prometheus_tsdb_head_chunks_created_total',
      'Total number of chunks created in the head',
    ),
    samplesAppended: samplesAppended.labels({ type: 'float' }),
    histogramSamplesAppended: samplesAppended.labels({ type: 'histogram' }),
    outOfOrderSamples: typed(
      'prometheus_tsdb_out_of_order_samples_total',
      'Total number of out of order samples ingestion failed attempts due to out of order being disabled.',
    ),
    outOfBoundSamples: typed(
      'prometheus_tsdb_out_of_bound_samples_total',
      'Total number of out of bound samples ingestion failed attempts with out of order support disabled.',
    ),
    outOfOrderSamplesAppended: typed(
      'prometheus_tsdb_head_out_of_order_samples_appended_total',
      'Total number of appended out of order samples.',
    ),
    tooOldSamples: typed(
      'prometheus_tsdb_too_old_samples_total',
      'Total number of out of order samples ingestion failed attempts with out of support enabled, but sample outside of time window.',
    ),
    headMinTime: gauge(
      'prometheus_tsdb_head_min_time',
      'Minimum time bound of the head block. The unit is decided by the library consumer.',
    ),
    headMaxTime: gauge(
      'prometheus_tsdb_head_max_time',
      'Maximum timestamp of the head block. The unit is decided by the library consumer.',
    ),
    walCorruptions: counter('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.'),
    walStorageSize: gauge('prometheus_tsdb_wal_storage_size_bytes', 'Size of the write log directory.'),
    replayDuration: gauge(
      'prometheus_tsdb_data_replay_duration_seconds',
      'Time taken to replay the data on disk.',
    ),
    blocksLoaded: gauge('prometheus_tsdb_blocks_loaded', 'Number of currently loaded data blocks'),
    reloads: counter(
      'prometheus_tsdb_reloads_total',
      'Number of times the database reloaded block data from disk.',
    ),
    reloadsFailed: counter(
      'prometheus_tsdb_reloads_failures_total',
      'Number of times the database failed to reloadBlocks block data from disk.',
    ),
    compactions: counter(
      'prometheus_tsdb_compactions_total',
      'Total number of compactions that were executed for the partition.',
    ),
    compactionsTriggered: counter(
      'prometheus_tsdb_compactions_triggered_total',
      'Total number of triggered compactions for the partition.',
    ),
    compactionsFailed: counter(
      'prometheus_tsdb_compactions_failed_total',
      'Total number of compactions that failed for the partition.',
    ),
    verticalCompactions: counter(
      'prometheus_tsdb_vertical_compactions_total',
      'Total number of compactions done on overlapping blocks.',
    ),
    timeRetentions: counter(
      'prometheus_tsdb_time_retentions_total',
      'The number of times that blocks were deleted because the maximum time limit was exceeded.',
    ),
    sizeRetentions: counter(
      'prometheus_tsdb_size_retentions_total',
      'The number of times that blocks were deleted because the maximum number of bytes was exceeded.',
    ),
    lowestTimestamp: gauge(
      'prometheus_tsdb_lowest_timestamp',
      'Lowest timestamp value stored in the database. The unit is decided by the library consumer.',
    ),
    blocksBytes: gauge(
      'prometheus_tsdb_storage_blocks_bytes',
      'The number of bytes that are currently used for local storage by all blocks.',
    ),
    retentionLimitBytes: gauge(
      'prometheus_tsdb_retention_limit_bytes',
      'Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled',
    ),
    retentionLimitSeconds: gauge(
      'prometheus_tsdb_retention_limit_seconds',
      'How long to retain samples in storage.',
    ),
    headTruncations: counter(
      'prometheus_tsdb_head_truncations_total',
      'Total number of head truncations attempted.',
    ),
    checkpointCreations: counter(
      'prometheus_tsdb_checkpoint_creations_total',
      'Total number of checkpoint creations attempted.',
    ),
    checkpointCreationsFailed: counter(
      'prometheus_tsdb_checkpoint_creations_failed_total',
      'Total number of checkpoint creations that failed.',
    ),
    checkpointDeletions: counter(
      'prometheus_tsdb_checkpoint_deletions_total',
      'Total number of checkpoint deletions attempted.',
    ),
    checkpointDeletionsFailed: counter(
      'prometheus_tsdb_checkpoint_deletions_failed_total',
      'Total number of checkpoint deletions that failed.',
    ),
    walSegmentCurrent: gauge(
      'prometheus_tsdb_wal_segment_current',
      'Write log segment index that TSDB is currently writing to.',
    ),
    walFsyncDuration: summary(
      'prometheus_tsdb_wal_fsync_duration_seconds',
      'Duration of write log fsync.',
      [0.5, 0.9, 0.99],
    ),
    walWritesFailed: counter(
      'prometheus_tsdb_wal_writes_failed_total',
      'Total number of write log writes that failed.',
    ),
    walTruncations: counter(
      'prometheus_tsdb_wal_truncations_total',
      'Total number of write log truncations attempted.',
    ),
    walTruncationsFailed: counter(
      'prometheus_tsdb_wal_truncations_failed_total',
      'Total number of write log truncations that failed.',
    ),
    walTruncateDuration: summary(
      'prometheus_tsdb_wal_truncate_duration_seconds',
      'Duration of WAL truncation.',
    ),
    headChunksRemoved: counter(
      'prometheus_tsdb_head_chunks_removed_total',
      'Total number of chunks removed in the head',
    ),
    headGcDuration: summary(
      'prometheus_tsdb_head_gc_duration_seconds',
      'Runtime of garbage collection in the head block.',
    ),
    headTruncationsFailed: counter(
      'prometheus_tsdb_head_truncations_failed_total',
      'Total number of head truncations that failed.',
    ),
    compactionDuration: histogram(
      'prometheus_tsdb_compaction_duration_seconds',
      'Duration of compaction runs',
      exponentialBuckets(1, 2, 14),
    ),
    compactionPopulatingBlock: gauge(
      'prometheus_tsdb_compaction_populating_block',
      'Set to 1 when a block is currently being written to the disk.',
    ),
    tombstoneCleanup: histogram(
      'prometheus_tsdb_tombstone_cleanup_seconds',
      'The time taken to recompact blocks to remove tombstones.',
      exponentialBuckets(1, 2, 14),
    ),
    damagedBlocks: counter(
      'promethium_tsdb_damaged_blocks_total',
      'Blocks found damaged (failing to open, or chunks failing their checksum when read), each counted once; their data is skipped.',
    ),
    bind: (s) => {
      source = s;
    },
    cleanStart: gauge(
      'prometheus_tsdb_clean_start',
      '-1: lockfile is disabled. 0: a lockfile from a previous execution was replaced. 1: lockfile creation was clean',
    ),
  };
}
