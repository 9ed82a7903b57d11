// The query engine's self-metrics under Prometheus's names (promql/engine.go): queries running or
// waiting, the concurrency limit, time per slice of a query, samples loaded.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

/** Prometheus's slices of a query's duration. */
export type QuerySlice = 'queue_time' | 'prepare_time' | 'inner_eval' | 'result_sort';

export interface QueryMetrics {
  /** A query arrives (it waits for a slot, then runs); call the returned function when it ends. */
  begin(): () => void;
  observe(slice: QuerySlice, seconds: number): void;
  samplesLoaded(n: number): void;
  /** Sets what the queue gauge reads: queries waiting for their turn. */
  bindQueue(waiting: () => number): void;
}

export function createQueryMetrics(registry: Registry, maxConcurrency: number): QueryMetrics {
  const registers = [registry];
  const queries = new Gauge({
    name: 'prometheus_engine_queries',
    help: 'The current number of queries being executed or waiting.',
    registers,
  });
  new Gauge({
    name: 'prometheus_engine_queries_concurrent_max',
    help: 'The max number of concurrent queries.',
    registers,
  }).set(maxConcurrency);
  // Promethium has no query log (global.query_log_file): never enabled, never failing
  new Gauge({
    name: 'prometheus_engine_query_log_enabled',
    help: 'State of the query log.',
    registers,
  }).set(0);
  new Counter({
    name: 'prometheus_engine_query_log_failures_total',
    help: 'The number of query log failures.',
    registers,
  });
  const duration = new Summary({
    name: 'prometheus_engine_query_duration_seconds',
    help: 'Query timings',
    labelNames: ['slice'],
    percentiles: [0.5, 0.9, 0.99],
    // Go's default window: quantiles over the last 10 minutes
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers,
  });
  let waiting: (() => number) | undefined;
  new Gauge({
    name: 'promethium_query_queue_length',
    help: 'Queries waiting for their turn under --query.max-concurrency.',
    registers,
    collect() {
      this.set(waiting?.() ?? 0);
    },
  });
  const samples = new Counter({
    name: 'prometheus_engine_query_samples_total',
    help: 'The total number of samples loaded by all queries.',
    registers,
  });
  return {
    begin() {
      queries.inc();
      let ended = false;
      return () => {
        if (!ended) queries.dec();
        ended = true;
      };
    },
    observe: (slice, seconds) => duration.observe({ slice }, seconds),
    samplesLoaded: (n) => samples.inc(n),
    bindQueue: (fn) => {
      waiting = fn;
    },
  };
}
