// The server's own metrics at /metrics: process and Node.js runtime metrics from prom-client, the
// build info, and the config-reload gauges Prometheus exposes under the same names.
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import { Labels, METRIC_NAME } from '../model/labels.js';
import type { MetricFamily, MetricType } from '../model/exposition/types.js';
import { TEXT_CONTENT_TYPE, formatGoFloat, writeText } from '../model/exposition/writer.js';
import { PROMETHEUS_API_VERSION, type BuildInfo } from '../web/api/v1/status.js';

export interface SelfMetrics {
  registry: Registry;
  configReloadSuccessful: Gauge;
  configReloadSuccessTimestamp: Gauge;
  ready: Gauge;
}

/**
 * prom-client's gauges named like counters (`promtool check metrics`: non-counter metrics should not have
 * a "_total" suffix); they repeat the sums of nodejs_active_handles, _requests and _resources.
 */
const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createSelfMetrics(build: BuildInfo): SelfMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  // Prometheus's own build info: dashboards and the mixin read `version` (the Prometheus version whose
  // API Promethium implements) and the runtime in `goversion`.
  new Gauge({
    name: 'prometheus_build_info',
    help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which prometheus was built, and the goos and goarch for the build.",
    labelNames: ['version', 'revision', 'branch', 'goversion', 'goos', 'goarch', 'tags'],
    registers: [registry],
  }).set(
    {
      version: PROMETHEUS_API_VERSION,
      revision: build.revision,
      branch: build.branch,
      goversion: build.runtimeVersion,
      goos: process.platform,
      goarch: process.arch === 'x64' ? 'amd64' : process.arch,
      tags: `promethium_${build.version}`,
    },
    1,
  );
  const buildInfo = new Gauge({
    name: 'promethium_build_info',
    help: "A metric with a constant '1' value labeled by version, revision, branch, nodeversion from which promethium was built, and the goos and goarch for the build.",
    labelNames: ['version', 'revision', 'branch', 'nodeversion', 'goos', 'goarch'],
    registers: [registry],
  });
  buildInfo.set(
    {
      version: build.version,
      revision: build.revision,
      branch: build.branch,
      nodeversion: build.runtimeVersion,
      goos: process.platform,
      goarch: process.arch === 'x64' ? 'amd64' : process.arch,
    },
    1,
  );
  return {
    registry,
    configReloadSuccessful: new Gauge({
      name: 'prometheus_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [registry],
    }),
    configReloadSuccessTimestamp: new Gauge({
      name: 'prometheus_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload.',
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'prometheus_ready',
      help: 'Whether Prometheus startup was fully completed and the server is ready for normal operation.',
      registers: [registry],
    }),
  };
}

/** The /metrics response: prom-client's collected values written by our own text writer. */
export async function renderSelfMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  const families = (await registry.getMetricsAsJSON()).map(toMetricFamily);
  return { contentType: TEXT_CONTENT_TYPE, body: writeText(families) };
}

/** The fields of prom-client's JSON values we read; `sharedLabels` (a histogram's own labels) is untyped there. */
interface PromClientValue {
  value: number;
  labels?: Readonly<Record<string, string | number | undefined>>;
  sharedLabels?: Readonly<Record<string, string | number | undefined>>;
  metricName?: string;
}

const PROM_CLIENT_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary']);

function toMetricFamily(m: {
  name: string;
  help: string;
  type: unknown;
  values: readonly object[];
}): MetricFamily {
  // prom-client's typings say a numeric enum; at run time `type` is the string Prometheus uses.
  const type = String(m.type);
  return {
    name: m.name,
    type: (PROM_CLIENT_TYPES.has(type) ? type : 'unknown') as MetricType,
    help: m.help,
    samples: (m.values as readonly PromClientValue[]).map((v) => {
      const pairs: string[] = [];
      // prom-client lets the shared (user) labels win over per-value ones, as its own output does.
      for (const set of [v.labels, v.sharedLabels]) {
        if (set === undefined) continue;
        for (const [name, value] of Object.entries(set)) {
          if (value === undefined) continue;
          // `le` and `quantile` bounds are numbers; expfmt formats them as it formats values.
          pairs.push(name, typeof value === 'number' ? formatGoFloat(value) : value);
        }
      }
      pairs.push(METRIC_NAME, v.metricName ?? m.name);
      return { labels: Labels.fromPairs(pairs), value: v.value };
    }),
  };
}
