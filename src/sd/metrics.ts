// Service discovery self-metrics under Prometheus's names: the manager's (discovery/metrics.go), the
// refresh loop's (discovery/metrics_refresh.go) and each mechanism's (file, http, dns).
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

/** Go's client_golang summary defaults as Prometheus sets them for SD durations. */
const SUMMARY = {
  percentiles: [0.5, 0.9, 0.99],
  maxAgeSeconds: 600,
  ageBuckets: 5,
};

export interface SDManagerMetrics {
  discoveredTargets: Gauge<'name' | 'config'>;
  failedConfigs: Gauge<'name'>;
  receivedUpdates: Counter<'name'>;
  delayedUpdates: Counter<'name'>;
  sentUpdates: Counter<'name'>;
  lastUpdate: Gauge<'name'>;
}

export interface SDMechanismMetrics {
  refreshFailures: Counter<'mechanism' | 'config'>;
  refreshDuration: Summary<'mechanism' | 'config'>;
  fileReadErrors: Counter;
  fileScanDuration: Summary;
  fileWatcherErrors: Counter;
  fileMtime: Gauge<'filename'>;
  httpFailures: Counter;
  dnsLookups: Counter;
  dnsLookupFailures: Counter;
  kubernetesEvents: Counter<'role' | 'event'>;
  kubernetesFailures: Counter;
}

export type SDMetrics = SDManagerMetrics & SDMechanismMetrics;

/** Registers every SD metric on `registry` (once per registry). */
export function createSDMetrics(registry: Registry): SDMetrics {
  const registers = [registry];
  return {
    discoveredTargets: new Gauge({
      name: 'prometheus_sd_discovered_targets',
      help: 'Current number of discovered targets.',
      labelNames: ['name', 'config'],
      registers,
    }),
    failedConfigs: new Gauge({
      name: 'prometheus_sd_failed_configs',
      help: 'Current number of service discovery configurations that failed to load.',
      labelNames: ['name'],
      registers,
    }),
    receivedUpdates: new Counter({
      name: 'prometheus_sd_received_updates_total',
      help: 'Total number of update events received from the SD providers.',
      labelNames: ['name'],
      registers,
    }),
    delayedUpdates: new Counter({
      name: 'prometheus_sd_updates_delayed_total',
      help: "Total number of update events that couldn't be sent immediately.",
      labelNames: ['name'],
      registers,
    }),
    sentUpdates: new Counter({
      name: 'prometheus_sd_updates_total',
      help: 'Total number of update events sent to the SD consumers.',
      labelNames: ['name'],
      registers,
    }),
    lastUpdate: new Gauge({
      name: 'prometheus_sd_last_update_timestamp_seconds',
      help: 'Timestamp of the last update sent to the SD consumers.',
      labelNames: ['name'],
      registers,
    }),
    refreshFailures: new Counter({
      name: 'prometheus_sd_refresh_failures_total',
      help: 'Number of refresh failures for the given SD mechanism.',
      labelNames: ['mechanism', 'config'],
      registers,
    }),
    refreshDuration: new Summary({
      name: 'prometheus_sd_refresh_duration_seconds',
      help: 'The duration of a refresh in seconds for the given SD mechanism.',
      labelNames: ['mechanism', 'config'],
      ...SUMMARY,
      registers,
    }),
    fileReadErrors: new Counter({
      name: 'prometheus_sd_file_read_errors_total',
      help: 'The number of File-SD read errors.',
      registers,
    }),
    fileScanDuration: new Summary({
      name: 'prometheus_sd_file_scan_duration_seconds',
      help: 'The duration of the File-SD scan in seconds.',
      ...SUMMARY,
      registers,
    }),
    fileWatcherErrors: new Counter({
      name: 'prometheus_sd_file_watcher_errors_total',
      help: 'The number of File-SD errors caused by filesystem watch failures.',
      registers,
    }),
    fileMtime: new Gauge({
      name: 'prometheus_sd_file_mtime_seconds',
      help: 'Timestamp (mtime) of files read by FileSD. Timestamp is set at read time.',
      labelNames: ['filename'],
      registers,
    }),
    httpFailures: new Counter({
      name: 'prometheus_sd_http_failures_total',
      help: 'Number of HTTP service discovery refresh failures.',
      registers,
    }),
    dnsLookups: new Counter({
      name: 'prometheus_sd_dns_lookups_total',
      help: 'The number of DNS-SD lookups.',
      registers,
    }),
    dnsLookupFailures: new Counter({
      name: 'prometheus_sd_dns_lookup_failures_total',
      help: 'The number of DNS-SD lookup failures.',
      registers,
    }),
    kubernetesEvents: new Counter({
      name: 'prometheus_sd_kubernetes_events_total',
      help: 'The number of Kubernetes events handled.',
      labelNames: ['role', 'event'],
      registers,
    }),
    kubernetesFailures: new Counter({
      name: 'prometheus_sd_kubernetes_failures_total',
      help: 'The number of failed WATCH/LIST requests.',
      registers,
    }),
  };
}
