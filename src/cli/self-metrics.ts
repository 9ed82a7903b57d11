// The server's own metrics at /metrics: process and Node.js runtime metrics from prom-client, the
// build info, and the config-reload gauges Prometheus exposes under the same names.
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { BuildInfo } from '../web/api/v1/status.js';

export interface SelfMetrics {
  registry: Registry;
  configReloadSuccessful: Gauge;
  configReloadSuccessTimestamp: Gauge;
  ready: Gauge;
}

export function createSelfMetrics(build: BuildInfo): SelfMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
