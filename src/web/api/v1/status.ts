// /api/v1/status/{buildinfo,flags,config,runtimeinfo} in Prometheus's JSON shape.
import os from 'node:os';
import v8 from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { sendError, sendSuccess } from './envelope.js';

/**
 * The Prometheus version whose behaviour and HTTP API Promethium implements: /api/v1/status/buildinfo
 * and prometheus_build_info report it as `version`, since Grafana and the Thanos sidecar enable
 * features by that number. Promethium's own version is reported beside it.
 */
export const PROMETHEUS_API_VERSION = '3.14.0';

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  /** The runtime's version, reported in Prometheus's `goVersion` field. */
  runtimeVersion: string;
}

/** What the status endpoints read; the composition root supplies live views. */
export interface StatusSource {
  buildInfo: BuildInfo;
  /** Flag name → value as text. */
  flags: Record<string, string>;
  /** The loaded configuration as YAML, secrets hidden. */
  configYaml(): string;
  startTime: Date;
  lastConfigTime(): Date;
  reloadConfigSuccess(): boolean;
  /** "15d", "512MiB" or "15d or 512MiB", as Prometheus shows retention. */
  storageRetention: string;
  /** Count of WAL corruptions met when the storage opened. */
  corruptionCount(): number;
  /** Head cardinality for /api/v1/status/tsdb; undefined while storage is not open. */
  tsdbStatus?(limit: number): unknown;
  /** The remote_write queues, for /api/v1/status/remote_write (a Promethium endpoint). */
  remoteWrite?(): unknown[];
}

export function registerStatusRoutes(app: FastifyInstance, status: StatusSource): void {
  // Not in Prometheus (whose queues show only as prometheus_remote_storage_* metrics): each
  // remote_write queue's shards, backlog, progress and last error, for the status page.
  app.get('/api/v1/status/remote_write', (_req, reply) =>
    sendSuccess(reply, { queues: status.remoteWrite?.() ?? [] }),
  );
  app.get('/api/v1/status/buildinfo', (_req, reply) => {
    const b = status.buildInfo;
    return sendSuccess(reply, {
      version: PROMETHEUS_API_VERSION,
      revision: b.revision,
      branch: b.branch,
      buildUser: b.buildUser,
      buildDate: b.buildDate,
      // Prometheus's field for its runtime; here Node.js's version, also under a name of its own
      goVersion: b.runtimeVersion,
      promethiumVersion: b.version,
      nodeVersion: b.runtimeVersion,
    });
  });

  app.get('/api/v1/status/flags', (_req, reply) => sendSuccess(reply, status.flags));

  app.get('/api/v1/status/config', (_req, reply) => sendSuccess(reply, { yaml: status.configYaml() }));

  app.get<{ Querystring: { limit?: string } }>('/api/v1/status/tsdb', (req, reply) => {
    const raw = req.query.limit;
    const limit = raw === undefined || raw === '' ? 10 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1)
      return sendError(reply, 'bad_data', 'limit must be a positive number');
    const data = status.tsdbStatus?.(limit);
    if (data === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    return sendSuccess(reply, data);
  });

  app.get('/api/v1/status/runtimeinfo', (_req, reply) => {
    const heap = v8.getHeapStatistics();
    // Go-specific fields keep their names for client compatibility and carry the nearest Node.js figure.
    return sendSuccess(reply, {
      startTime: status.startTime.toISOString(),
      CWD: process.cwd(),
      hostname: os.hostname(),
      serverTime: new Date().toISOString(),
      reloadConfigSuccess: status.reloadConfigSuccess(),
      lastConfigTime: status.lastConfigTime().toISOString(),
      corruptionCount: status.corruptionCount(),
      goroutineCount: process.getActiveResourcesInfo().length,
      GOMAXPROCS: os.availableParallelism(),
      GOMEMLIMIT: heap.heap_size_limit,
      GOGC: '',
      GODEBUG: '',
      storageRetention: status.storageRetention,
    });
  });
}
