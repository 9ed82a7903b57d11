// The server's own /metrics as Grafana's Prometheus dashboards and the prometheus-mixin read them: every
// metric name the mixin uses that has a meaning in Promethium today, with Prometheus's type; the rest
// named with the part that brings them (and checked absent, so they are picked up when it lands).
// Debian's promtool finds nothing to complain about, and the counters move with real work.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.js';

const PROMTOOL = '/usr/bin/promtool';

/**
 * Every metric name in prometheus/prometheus documentation/prometheus-mixin (alerts.libsonnet,
 * dashboards.libsonnet, config.libsonnet) at v3.14, with the type Prometheus gives it, or the part of
 * Promethium that brings it.
 */
const MIXIN: Record<string, string> = {
  process_start_time_seconds: 'gauge',
  prometheus_build_info: 'gauge',
  prometheus_config_last_reload_successful: 'gauge',
  prometheus_engine_queries: 'gauge',
  prometheus_engine_queries_concurrent_max: 'gauge',
  prometheus_engine_query_duration_seconds: 'summary',
  prometheus_engine_query_duration_seconds_count: 'summary',
  prometheus_notifications_alertmanagers_discovered: 'gauge',
  prometheus_notifications_errors_total: 'counter',
  prometheus_notifications_queue_capacity: 'gauge',
  prometheus_notifications_queue_length: 'gauge',
  prometheus_notifications_sent_total: 'counter',
  prometheus_remote_storage_dropped_samples_total:
    'arrives with nothing: a Prometheus 2 name, renamed in Prometheus 3',
  prometheus_remote_storage_enqueue_retries_total: 'counter',
  prometheus_remote_storage_failed_samples_total:
    'arrives with nothing: a Prometheus 2 name, renamed in Prometheus 3',
  prometheus_remote_storage_pending_samples:
    'arrives with nothing: a Prometheus 2 name, renamed in Prometheus 3',
  prometheus_remote_storage_queue_highest_sent_timestamp_seconds: 'gauge',
  prometheus_remote_storage_queue_highest_timestamp_seconds: 'gauge',
  prometheus_remote_storage_retried_samples_total:
    'arrives with nothing: a Prometheus 2 name, renamed in Prometheus 3',
  prometheus_remote_storage_samples_dropped_total: 'counter',
  prometheus_remote_storage_samples_failed_total: 'counter',
  prometheus_remote_storage_samples_in_total: 'counter',
  prometheus_remote_storage_samples_pending: 'gauge',
  prometheus_remote_storage_samples_retried_total: 'counter',
  prometheus_remote_storage_samples_total: 'counter',
  prometheus_remote_storage_shard_capacity: 'gauge',
  prometheus_remote_storage_shards: 'gauge',
  prometheus_remote_storage_shards_desired: 'gauge',
  prometheus_remote_storage_shards_max: 'gauge',
  prometheus_remote_storage_shards_min: 'gauge',
  prometheus_remote_storage_succeeded_samples_total:
    'arrives with nothing: a Prometheus 2 name, renamed in Prometheus 3',
  prometheus_rule_evaluation_failures_total: 'counter',
  prometheus_rule_group_iterations_missed_total: 'counter',
  prometheus_rule_group_rules: 'gauge',
  prometheus_sd_discovered_targets: 'gauge',
  prometheus_sd_kubernetes_failures_total: 'counter',
  prometheus_sd_refresh_failures_total: 'counter',
  prometheus_target_interval_length_seconds_count: 'summary',
  prometheus_target_interval_length_seconds_sum: 'summary',
  prometheus_target_metadata_cache_entries: 'gauge',
  prometheus_target_scrape_pool_exceeded_label_limits_total: 'counter',
  prometheus_target_scrape_pool_exceeded_target_limit_total: 'counter',
  prometheus_target_scrapes_exceeded_body_size_limit_total: 'counter',
  prometheus_target_scrapes_exceeded_sample_limit_total: 'counter',
  prometheus_target_scrapes_sample_duplicate_timestamp_total: 'counter',
  prometheus_target_scrapes_sample_out_of_bounds_total: 'counter',
  prometheus_target_scrapes_sample_out_of_order_total: 'counter',
  prometheus_target_sync_failed_total: 'counter',
  prometheus_target_sync_length_seconds_sum: 'summary',
  prometheus_tsdb_clean_start: 'gauge',
  prometheus_tsdb_compactions_failed_total: 'counter',
  prometheus_tsdb_head_chunks: 'gauge',
  prometheus_tsdb_head_samples_appended_total: 'counter',
  prometheus_tsdb_head_series: 'gauge',
  prometheus_tsdb_reloads_failures_total: 'counter',
  prometheus_tsdb_wal_segment_current: 'gauge',
  prometheus_wal_watcher_current_segment: 'gauge',
};

let dir: string;
let server: ServerProcess;

/** Family name → type, and every sample line, of one /metrics body. */
function families(text: string): { types: Map<string, string>; samples: string[] } {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1], m[2]);
  return { types, samples: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')) };
}

async function metrics(): Promise<string> {
  return (await server.fetch('/metrics')).text();
}

/** The value of the first sample whose line starts with `prefix`, or undefined. */
function value(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-self-metrics-'));
  const config = path.join(dir, 'prometheus.yml');
  // the job scrapes this server itself; its port is known once it listens, then the config is reloaded
  const write = (port: string): void =>
    fs.writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 500ms\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
  write('1');
  server = await startServer([
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--web.enable-lifecycle',
    '--query.max-concurrency=7',
  ]);
  write(new URL(server.url).port);
  expect((await server.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
  // wait until the target has been scraped twice: intervals, metadata and appends are then counted
  await waitFor(
    async () => (value(await metrics(), 'prometheus_target_interval_length_seconds_count') ?? 0) >= 1,
    20_000,
  );
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('self-metrics for the prometheus-mixin and Grafana dashboards', () => {
  const present = Object.entries(MIXIN).filter(([, t]) => !t.startsWith('arrives with'));
  const later = Object.entries(MIXIN).filter(([, t]) => t.startsWith('arrives with'));

  it('lists the 57 names the mixin uses', () => {
    expect(Object.keys(MIXIN)).toHaveLength(57);
  });

  it.each(present)('exposes %s as a %s', async (name, type) => {
    const { types } = families(await metrics());
    const family = name.replace(/_(count|sum)$/, '');
    expect(types.get(types.has(name) ? name : family), `${name} is missing from /metrics`).toBe(type);
  });

  it('has samples for them once the server has worked a little (labelled ones when their event happened)', async () => {
    await server.fetch('/api/v1/query?query=up');
    const { samples } = families(await metrics());
    // labelled by a provider, an Alertmanager or a rule group: none of them here
    const eventOnly = new Set([
      'prometheus_sd_refresh_failures_total',
      'prometheus_sd_kubernetes_failures_total',
      'prometheus_notifications_errors_total',
      'prometheus_notifications_sent_total',
      'prometheus_rule_evaluation_failures_total',
      'prometheus_rule_group_iterations_missed_total',
      'prometheus_rule_group_rules',
      // labelled by a remote_write queue: none here
      ...Object.keys(MIXIN).filter(
        (n) =>
          n.startsWith('prometheus_remote_storage_') && n !== 'prometheus_remote_storage_samples_in_total',
      ),
      'prometheus_wal_watcher_current_segment',
    ]);
    for (const [name] of present) {
      if (eventOnly.has(name)) continue;
      expect(
        samples.some((l) => l.startsWith(name + ' ') || l.startsWith(name + '{')),
        `${name} has no sample`,
      ).toBe(true);
    }
  });

  it.each(later)('does not expose %s yet (%s)', async (name) => {
    const { types } = families(await metrics());
    expect(types.has(name.replace(/_(count|sum)$/, ''))).toBe(false);
  });

  it('reports prometheus_build_info with the Prometheus version whose API is implemented', async () => {
    const text = await metrics();
    expect(text).toMatch(/^prometheus_build_info\{.*version="3\.14\.0".*\} 1$/m);
    expect(text).toContain(`goversion="${process.version}"`);
    expect(value(text, 'prometheus_engine_queries_concurrent_max')).toBe(7);
  });

  it("passes Debian's promtool check metrics, prom-client's _total gauges gone", async () => {
    if (!fs.existsSync(PROMTOOL)) {
      throw new Error(
        `${PROMTOOL} is missing: install Debian's prometheus (apt-get install prometheus; .ci/run does)`,
      );
    }
    const text = await metrics();
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      expect(text).not.toContain(name);
    const res = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // Prometheus's own name for this counter trips the linter's "no type in the name" rule; its own
    // /metrics shows the same finding
    const findings = (res.stdout + res.stderr)
      .split('\n')
      .filter(
        (l) =>
          l !== '' &&
          !l.startsWith('prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total '),
      );
    expect(findings).toEqual([]);
  });
});

describe('self-metrics follow the work done', () => {
  it('counts HTTP requests by handler and code, with durations and sizes', async () => {
    const count = async (labels: string): Promise<number> =>
      value(await metrics(), `prometheus_http_requests_total{${labels}}`) ?? 0;
    const before = await count('code="200",handler="/api/v1/label/:name/values"');
    for (let i = 0; i < 3; i++) expect((await server.fetch('/api/v1/label/job/values')).status).toBe(200);
    expect((await server.fetch('/api/v1/query?query=up+%2B')).status).toBe(400);
    const text = await metrics();
    expect(
      value(text, 'prometheus_http_requests_total{code="200",handler="/api/v1/label/:name/values"}'),
    ).toBe(before + 3);
    expect(
      value(text, 'prometheus_http_requests_total{code="400",handler="/api/v1/query"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(text, 'prometheus_http_request_duration_seconds_count{handler="/api/v1/label/:name/values"}'),
    ).toBe(before + 3);
    expect(
      value(text, 'prometheus_http_response_size_bytes_sum{handler="/api/v1/label/:name/values"}'),
    ).toBeGreaterThan(0);
  });

  it('times queries by slice and counts the samples they load', async () => {
    const slice = (text: string, s: string): number =>
      value(text, `prometheus_engine_query_duration_seconds_count{slice="${s}"}`) ?? 0;
    const before = await metrics();
    const res = await server.fetch('/api/v1/query_range?query=up&start=0&end=60&step=15');
    expect(res.status).toBe(200);
    await server.fetch(`/api/v1/query?query=up`);
    const after = await metrics();
    for (const s of ['queue_time', 'prepare_time', 'inner_eval', 'result_sort'])
      expect(slice(after, s), s).toBe(slice(before, s) + 2);
    expect(value(after, 'prometheus_engine_query_samples_total')).toBeGreaterThan(
      value(before, 'prometheus_engine_query_samples_total') ?? 0,
    );
    expect(value(after, 'prometheus_engine_queries ')).toBe(0);
  });

  it('reports scrape pools, syncs, metadata and the WAL', async () => {
    const text = await metrics();
    expect(value(text, 'prometheus_target_scrape_pool_targets{scrape_job="self"}')).toBe(1);
    expect(value(text, 'prometheus_target_scrape_pool_sync_total{scrape_job="self"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(value(text, 'prometheus_target_metadata_cache_entries{scrape_job="self"}')).toBeGreaterThan(10);
    expect(value(text, 'prometheus_target_metadata_cache_bytes{scrape_job="self"}')).toBeGreaterThan(100);
    expect(value(text, 'prometheus_target_scrape_pools_total')).toBe(1);
    // the config reload after the server's port was known changed the job's target, not the job
    expect(value(text, 'prometheus_target_sync_failed_total{scrape_job="self"}')).toBe(0);
    expect(value(text, 'prometheus_tsdb_head_samples_appended_total{type="float"}')).toBeGreaterThan(0);
    const segments = fs.readdirSync(path.join(dir, 'data', 'wal')).filter((f) => /^\d+$/.test(f));
    expect(value(text, 'prometheus_tsdb_wal_segment_current')).toBe(Math.max(...segments.map(Number)));
    expect(value(text, 'prometheus_tsdb_head_max_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
