// The scraper's self-metrics under Prometheus's names (scrape/metrics.go).
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import { formatDuration } from '../model/duration.js';
import type { ScrapeCounters } from './scrape-loop.js';

export interface ScrapeMetrics extends ScrapeCounters {
  /** Per pool: how many targets it scrapes (prometheus_target_scrape_pool_targets). */
  setPoolTargets(pool: string, n: number): void;
}

export function createScrapeMetrics(registry: Registry): ScrapeMetrics {
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
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
  const interval = new Summary({
    name: 'prometheus_target_interval_length_seconds',
    help: 'Actual intervals between scrapes.',
    labelNames: ['interval'],
    percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
    registers: [registry],
  });
  const poolTargets = new Gauge({
    name: 'prometheus_target_scrape_pool_targets',
    help: 'Current number of targets in this scrape pool.',
    labelNames: ['scrape_job'],
    registers: [registry],
  });
  return {
    exceededSampleLimit: () => sampleLimit.inc(),
    exceededBodySizeLimit: () => bodySize.inc(),
    exceededLabelLimits: () => labelLimits.inc(),
    outOfOrder: (n) => ooo.inc(n),
    duplicate: (n) => dup.inc(n),
    outOfBounds: (n) => oob.inc(n),
    intervalLength: (intervalMs, actualMs) =>
      interval.observe({ interval: formatDuration(intervalMs) }, actualMs / 1000),
    setPoolTargets: (pool, n) => poolTargets.set({ scrape_job: pool }, n),
  };
}
