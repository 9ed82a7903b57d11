// The scraper's self-metrics under Prometheus's names (scrape/metrics.go): per sample and scrape from
// the loops, per sync and reload from the pools and the manager, and the metadata cache per job,
// computed when /metrics is read.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import { formatDuration } from '../model/duration.js';
import type { ScrapeCounters } from './scrape-loop.js';

/** What the pools and the manager report. */
export interface PoolMetrics {
  poolCreated(): void;
  /** A sync of a job's targets: how long it took, how many targets run, its target_limit. */
  synced(job: string, seconds: number, targets: number, targetLimit: number): void;
  /** A target that could not be created from its discovered labels. */
  syncFailed(job: string): void;
  exceededTargetLimit(): void;
  reloaded(intervalMs: number, seconds: number): void;
  reloadFailed(): void;
  /** The job is gone: its per-job series disappear, as Prometheus deletes their label values. */
  removed(job: string): void;
}

export interface ScrapeMetrics extends ScrapeCounters, PoolMetrics {
  /** Sets what the metadata cache gauges read: per job, entries and bytes of the targets' metadata. */
  bindMetadata(source: () => Map<string, { entries: number; bytes: number }>): void;
}

const OBJECTIVES = [0.01, 0.05, 0.5, 0.9, 0.99];

export function createScrapeMetrics(registry: Registry): ScrapeMetrics {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
    new Counter({ name, help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge =>
    new Gauge({ name, help, labelNames, registers });
  const sampleLimit = counter(
    'prometheus_target_scrapes_exceeded_sample_limit_total',
    'Total number of scrapes that hit the sample limit and were rejected.',
  );
  const bodySize = counter(
    'prometheus_target_scrapes_exceeded_body_size_limit_total',
    'Total number of scrapes that hit the body size limit',
  );
  const labelLimits = counter(
    'prometheus_target_scrape_pool_exceeded_label_limits_total',
    'Total number of times scrape pools hit the label limits, during sync or config reload.',
  );
  const ooo = counter(
    'prometheus_target_scrapes_sample_out_of_order_total',
    'Total number of samples rejected due to not being out of the expected order.',
  );
  const dup = counter(
    'prometheus_target_scrapes_sample_duplicate_timestamp_total',
    'Total number of samples rejected due to duplicate timestamps but different values.',
  );
  const oob = counter(
    'prometheus_target_scrapes_sample_out_of_bounds_total',
    'Total number of samples rejected due to timestamp falling outside of the time bounds.',
  );
  const bucketLimit = counter(
    'prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total',
    'Total number of scrapes that hit the native histogram bucket limit and were rejected.',
  );
  const interval = new Summary({
    name: 'prometheus_target_interval_length_seconds',
    help: 'Actual intervals between scrapes.',
    labelNames: ['interval'],
    percentiles: OBJECTIVES,
    // Go's default window: quantiles over the last 10 minutes
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers,
  });
  const pools = counter(
    'prometheus_target_scrape_pools_total',
    'Total number of scrape pool creation attempts.',
  );
  counter(
    'prometheus_target_scrape_pools_failed_total',
    'Total number of scrape pool creations that failed.',
  );
  const reloads = counter(
    'prometheus_target_scrape_pool_reloads_total',
    'Total number of scrape pool reloads.',
  );
  const reloadsFailed = counter(
    'prometheus_target_scrape_pool_reloads_failed_total',
    'Total number of failed scrape pool reloads.',
  );
  const reloadLength = new Summary({
    name: 'prometheus_target_reload_length_seconds',
    help: 'Actual interval to reload the scrape pool with a given configuration.',
    labelNames: ['interval'],
    percentiles: OBJECTIVES,
    // Go's default window: quantiles over the last 10 minutes
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers,
  });
  const targetLimitHits = counter(
    'prometheus_target_scrape_pool_exceeded_target_limit_total',
    'Total number of times scrape pools hit the target limit, during sync or config reload.',
  );
  const targetLimit = gauge(
    'prometheus_target_scrape_pool_target_limit',
    'Maximum number of targets allowed in this scrape pool.',
    ['scrape_job'],
  );
  const poolTargets = gauge(
    'prometheus_target_scrape_pool_targets',
    'Current number of targets in this scrape pool.',
    ['scrape_job'],
  );
  const syncs = counter(
    'prometheus_target_scrape_pool_sync_total',
    'Total number of syncs that were executed on a scrape pool.',
    ['scrape_job'],
  );
  const syncLength = new Summary({
    name: 'prometheus_target_sync_length_seconds',
    help: 'Actual interval to sync the scrape pool.',
    labelNames: ['scrape_job'],
    percentiles: OBJECTIVES,
    // Go's default window: quantiles over the last 10 minutes
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers,
  });
  const syncFailed = counter('prometheus_target_sync_failed_total', 'Total number of target sync failures.', [
    'scrape_job',
  ]);
  let metadata: (() => Map<string, { entries: number; bytes: number }>) | undefined;
  const perJob = (
    name: string,
    help: string,
    pick: (m: { entries: number; bytes: number }) => number,
  ): Gauge =>
    new Gauge({
      name,
      help,
      labelNames: ['scrape_job'],
      registers,
      collect() {
        if (metadata === undefined) return;
        this.reset();
        for (const [job, m] of metadata()) this.set({ scrape_job: job }, pick(m));
      },
    });
  perJob(
    'prometheus_target_metadata_cache_entries',
    'Total number of metric metadata entries in the cache',
    (m) => m.entries,
  );
  perJob(
    'prometheus_target_metadata_cache_bytes',
    'The number of bytes that are currently used for storing metric metadata in the cache',
    (m) => m.bytes,
  );
  return {
    exceededSampleLimit: () => sampleLimit.inc(),
    exceededBucketLimit: () => bucketLimit.inc(),
    exceededBodySizeLimit: () => bodySize.inc(),
    exceededLabelLimits: () => labelLimits.inc(),
    outOfOrder: (n) => ooo.inc(n),
    duplicate: (n) => dup.inc(n),
    outOfBounds: (n) => oob.inc(n),
    intervalLength: (intervalMs, actualMs) =>
      interval.observe({ interval: formatDuration(intervalMs) }, actualMs / 1000),
    poolCreated: () => pools.inc(),
    synced: (job, seconds, targets, limit) => {
      syncs.inc({ scrape_job: job });
      syncFailed.inc({ scrape_job: job }, 0); // present from the first sync, as in Prometheus
      syncLength.observe({ scrape_job: job }, seconds);
      poolTargets.set({ scrape_job: job }, targets);
      targetLimit.set({ scrape_job: job }, limit);
    },
    syncFailed: (job) => syncFailed.inc({ scrape_job: job }),
    exceededTargetLimit: () => targetLimitHits.inc(),
    reloaded: (intervalMs, seconds) => {
      reloads.inc();
      reloadLength.observe({ interval: formatDuration(intervalMs) }, seconds);
    },
    reloadFailed: () => reloadsFailed.inc(),
    removed: (job) => {
      for (const m of [targetLimit, poolTargets]) m.remove({ scrape_job: job });
      syncs.remove({ scrape_job: job });
      syncFailed.remove({ scrape_job: job });
      syncLength.remove({ scrape_job: job });
    },
    bindMetadata: (source) => {
      metadata = source;
    },
  };
}
