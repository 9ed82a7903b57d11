// The TSDB's self-metrics, with Prometheus's names and help texts (prometheus_tsdb_*).
import { Counter, Gauge, type Registry } from 'prom-client';

interface Inc {
  inc(n?: number): void;
}
interface Set {
  set(v: number): void;
}

export interface TSDBMetrics {
  headSeries: Set;
  headSeriesCreated: Inc;
  headSeriesRemoved: Inc;
  headChunks: Set;
  headChunksCreated: Inc;
  samplesAppended: Inc;
  outOfOrderSamples: Inc;
  outOfBoundSamples: Inc;
  tooOldSamples: Inc;
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
  cleanStart: Set;
}

/** Metrics registered in `registry`; without one, counters that count nothing (tests, tools). */
export function createTSDBMetrics(registry?: Registry): TSDBMetrics {
  const registers = registry === undefined ? [] : [registry];
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
  const typed = (name: string, help: string): Inc =>
    new Counter({ name, help, labelNames: ['type'], registers }).labels({ type: 'float' });
  return {
    headSeries: gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.'),
    headSeriesCreated: counter(
      'prometheus_tsdb_head_series_created_total',
      'Total number of series created in the head',
    ),
    headSeriesRemoved: counter(
      'prometheus_tsdb_head_series_removed_total',
      'Total number of series removed in the head',
    ),
    headChunks: gauge('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.'),
    headChunksCreated: counter(
      'prometheus_tsdb_head_chunks_created_total',
      'Total number of chunks created in the head',
    ),
    samplesAppended: typed(
      'prometheus_tsdb_head_samples_appended_total',
      'Total number of appended samples.',
    ),
    outOfOrderSamples: typed(
      'prometheus_tsdb_out_of_order_samples_total',
      'Total number of out of order samples ingestion failed attempts due to out of order being disabled.',
    ),
    outOfBoundSamples: typed(
      'prometheus_tsdb_out_of_bound_samples_total',
      'Total number of out of bound samples ingestion failed attempts with out of order support disabled.',
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
    cleanStart: gauge(
      'prometheus_tsdb_clean_start',
      '-1: lockfile is disabled. 0: a lockfile from a previous execution was replaced. 1: lockfile creation was clean',
    ),
  };
}
