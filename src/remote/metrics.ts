// Remote write self-metrics under Prometheus's names (storage/remote/queue_manager.go, write.go and
// tsdb/wlog/watcher.go), labelled by remote_name and url as Prometheus labels them.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type QL = 'remote_name' | 'url';

export interface RemoteWriteMetrics {
  samplesTotal: Counter<QL>;
  samplesFailed: Counter<QL>;
  samplesRetried: Counter<QL>;
  samplesDropped: Counter<QL | 'reason'>;
  samplesPending: Gauge<QL>;
  samplesIn: Counter;
  highestTimestamp: Gauge;
  highestSent: Gauge<QL>;
  highestQueued: Gauge<QL>;
  enqueueRetries: Counter<QL>;
  shards: Gauge<QL>;
  shardsMin: Gauge<QL>;
  shardsMax: Gauge<QL>;
  shardsDesired: Gauge<QL>;
  shardCapacity: Gauge<QL>;
  bytesTotal: Counter<QL>;
  sentBatchDuration: Histogram<QL>;
  watcherSegment: Gauge<'consumer'>;
}

export function remoteWriteMetrics(registry: Registry): RemoteWriteMetrics {
  const registers = [registry];
  const ql = ['remote_name', 'url'] as const;
  const counter = (name: string, help: string): Counter<QL> =>
    new Counter({ name, help, labelNames: ql, registers });
  const gauge = (name: string, help: string): Gauge<QL> =>
    new Gauge({ name, help, labelNames: ql, registers });
  return {
    samplesTotal: counter(
      'prometheus_remote_storage_samples_total',
      'Total number of samples sent to remote storage.',
    ),
    samplesFailed: counter(
      'prometheus_remote_storage_samples_failed_total',
      'Total number of samples which failed on send to remote storage, non-recoverable errors.',
    ),
    samplesRetried: counter(
      'prometheus_remote_storage_samples_retried_total',
      'Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.',
    ),
    samplesDropped: new Counter({
      name: 'prometheus_remote_storage_samples_dropped_total',
      help: 'Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.',
      labelNames: [...ql, 'reason'],
      registers,
    }),
    samplesPending: gauge(
      'prometheus_remote_storage_samples_pending',
      'The number of samples pending in the queues shards to be sent to the remote storage.',
    ),
    samplesIn: new Counter({
      name: 'prometheus_remote_storage_samples_in_total',
      help: 'Samples in to remote storage, compare to samples out for queue managers.',
      registers,
    }),
    highestTimestamp: new Gauge({
      name: 'prometheus_remote_storage_highest_timestamp_in_seconds',
      help: 'Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch.',
      registers,
    }),
    highestSent: gauge(
      'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
      'Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.',
    ),
    highestQueued: gauge(
      'prometheus_remote_storage_queue_highest_timestamp_seconds',
      'Highest timestamp that was enqueued, per queue, in seconds since epoch.',
    ),
    enqueueRetries: counter(
      'prometheus_remote_storage_enqueue_retries_total',
      'Total number of times enqueue has failed because a shards queue was full.',
    ),
    shards: gauge(
      'prometheus_remote_storage_shards',
      'The number of shards used for parallel sending to the remote storage.',
    ),
    shardsMin: gauge(
      'prometheus_remote_storage_shards_min',
      'The minimum number of shards that the queue is allowed to run.',
    ),
    shardsMax: gauge(
      'prometheus_remote_storage_shards_max',
      'The maximum number of shards that the queue is allowed to run.',
    ),
    shardsDesired: gauge(
      'prometheus_remote_storage_shards_desired',
      'The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.',
    ),
    shardCapacity: gauge(
      'prometheus_remote_storage_shard_capacity',
      'The capacity of each shard of the queue used for parallel sending to the remote storage.',
    ),
    bytesTotal: counter(
      'prometheus_remote_storage_bytes_total',
      'The total number of bytes of data (not metadata) sent by the queue after compression.',
    ),
    sentBatchDuration: new Histogram({
      name: 'prometheus_remote_storage_sent_batch_duration_seconds',
      help: 'Duration of send calls to the remote storage.',
      labelNames: ql,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300],
      registers,
    }),
    watcherSegment: new Gauge({
      name: 'prometheus_wal_watcher_current_segment',
      help: 'Current segment the WAL watcher is reading records from.',
      labelNames: ['consumer'],
      registers,
    }),
  };
}
