// The composition root of the `promethium` server: flags and config in, components wired, reload on
// SIGHUP or /-/reload (a bad config keeps the old one), graceful shutdown on SIGTERM within 10 s.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ConfigError,
  configToYaml,
  defaultConfigYaml,
  expandRuleFiles,
  loadConfigFile,
  parseConfig,
  type Config,
} from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { formatByteSize } from '../model/bytesize.js';
import { formatDuration } from '../model/duration.js';
import { TSDB } from '../tsdb/db.js';
import { createWebApp } from '../web/app.js';
import type { WALReplayStatus } from '../web/api/v1/walreplay.js';
import { listCheckpoints, listSegments } from '../tsdb/wal/index.js';
import { WebConfigRuntime } from '../web/web-config-runtime.js';
import type { BuildInfo } from '../web/api/v1/status.js';
import { createSelfMetrics, renderSelfMetrics, type SelfMetrics } from './self-metrics.js';
import { scrapeTargetsSource } from './targets-source.js';
import { ScrapeManager } from '../scrape/manager.js';
import { HttpClient } from '../scrape/http-client.js';
import { createScrapeMetrics } from '../scrape/metrics.js';
import { DiscoveryManager } from '../sd/manager.js';
import { scrapeDiscoveryConfigs } from '../sd/discoverers.js';
import os from 'node:os';
import { KNOWN_FEATURES, type ServerOptions } from './server-flags.js';

/** Features Promethium acts on; the rest are accepted for compatibility and reported as not supported yet. */
const IMPLEMENTED_FEATURES = new Set<string>([
  // PromQL syntax, functions and statistics, handed to the parser and engine of the query API.
  'promql-experimental-functions',
  'promql-delayed-name-removal',
  'promql-duration-expr',
  'promql-extended-range-selectors',
  'promql-binop-fill-modifiers',
  'promql-per-step-stats',
  // scraping
  'extra-scrape-metrics',
]);

const SHUTDOWN_DEADLINE_MS = 10_000;

export class PromethiumServer {
  private config: Config | undefined;
  private lastConfigTime = new Date();
  private reloadOk = true;
  private ready = false;
  private db: TSDB | undefined;
  private scrape: ScrapeManager | undefined;
  private discovery: DiscoveryManager | undefined;
  /** What /api/v1/status/walreplay shows: zeros until the storage has opened. */
  private walReplay: WALReplayStatus = { min: 0, max: 0, current: 0 };
  private web: FastifyInstance | undefined;
  private stopping: Promise<void> | undefined;
  private markStopped!: () => void;
  /** Resolves once a shutdown (signal or /-/quit) has finished. */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private readonly metrics: SelfMetrics;
  private readonly startTime = new Date();
  /** Where the config comes from: a file path, or the embedded default. */
  private readonly configSource: { kind: 'file'; path: string } | { kind: 'embedded' };

  constructor(
    private readonly opts: ServerOptions,
    private readonly flagsText: Record<string, string>,
    private readonly build: BuildInfo,
    private readonly log: Logger,
  ) {
    this.metrics = createSelfMetrics(build);
    // Like Prometheus, the config file defaults to ./prometheus.yml; unlike it, when that file is absent
    // and the flag was not given, an embedded default that scrapes this server is used.
    this.configSource =
      !opts.configFileExplicit && !fs.existsSync(opts.configFile)
        ? { kind: 'embedded' }
        : { kind: 'file', path: opts.configFile };
  }

  /** The address the web server listens on, once started ("host:port"). */
  address(): string {
    const addr = this.web?.server.address();
    if (addr === null || addr === undefined || typeof addr === 'string') return String(addr);
    return addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  }

  private listenPort(): number {
    const addr = this.web?.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : this.opts.listenPort;
  }

  private loadConfig(): Config {
    if (this.configSource.kind === 'file') return loadConfigFile(this.configSource.path);
    const addr = this.web?.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.opts.listenPort;
    return parseConfig(defaultConfigYaml(`localhost:${port}`), '<embedded default config>', process.cwd());
  }

  private applyConfig(cfg: Config): void {
    const ruleFiles = expandRuleFiles(cfg);
    if (ruleFiles.length > 0) {
      this.log.warn('Rule evaluation is not supported yet: rule files are checked but not evaluated', {
        component: 'rules',
        files: ruleFiles.length,
      });
    }
    this.config = cfg;
    if (this.scrape !== undefined) void this.scrape.applyConfig(cfg);
    // after the scrape manager: discovery then hands every job its full set of groups at once
    if (this.discovery !== undefined) void this.discovery.applyConfig(scrapeDiscoveryConfigs(cfg));
  }

  async start(): Promise<void> {
    const { opts, log } = this;
    log.info('Starting Promethium Server', { version: this.build.version, revision: this.build.revision });
    for (const feature of opts.features) {
      if (!KNOWN_FEATURES.includes(feature))
        log.warn('Unknown option for --enable-feature', { option: feature });
      else if (!IMPLEMENTED_FEATURES.has(feature))
        log.warn('Feature flag is not supported yet and has no effect', { option: feature });
    }

    // A config file is checked before anything listens, so a bad one fails fast; the embedded default
    // names this server's own address as its target, which is known once the listener is up.
    if (this.configSource.kind === 'file') this.initialLoad();
    const webConfig = opts.webConfigFile === '' ? undefined : this.loadWebConfig(opts.webConfigFile);

    this.web = createWebApp({
      webConfig,
      routePrefix: opts.routePrefix,
      enableLifecycle: opts.enableLifecycle,
      corsOrigin: opts.corsOrigin,
      readTimeoutMs: opts.readTimeoutMs,
      maxConnections: opts.maxConnections,
      logger: log.with({ component: 'web' }),
      lifecycle: {
        isReady: () => this.ready,
        reload: () => this.reload(),
        quit: () => void this.shutdown('/-/quit'),
      },
      status: {
        buildInfo: this.build,
        flags: this.flagsText,
        configYaml: () => (this.config === undefined ? '' : configToYaml(this.config)),
        startTime: this.startTime,
        lastConfigTime: () => this.lastConfigTime,
        reloadConfigSuccess: () => this.reloadOk,
        storageRetention: retentionText(opts.retentionTimeMs, opts.retentionSizeBytes),
        corruptionCount: () => this.db?.corruptions ?? 0,
        tsdbStatus: (limit) => this.db?.status(limit),
      },
      metrics: () => renderSelfMetrics(this.metrics.registry),
      admin: {
        enabled: opts.enableAdminApi,
        dataDir: path.resolve(opts.storagePath),
        db: () => (this.ready ? this.db : undefined),
      },
      walReplay: () => this.walReplay,
      federation: {
        queryable: () => (this.ready ? this.db : undefined),
        lookbackDeltaMs: opts.lookbackDeltaMs,
        externalLabels: () => this.config?.global.external_labels ?? {},
      },
      targets: scrapeTargetsSource(
        () => this.scrape,
        () => this.listenPort(),
        opts.externalUrl,
      ),
      metadata: {
        listMetadata: (metric) => this.scrape?.metadataList(metric) ?? [],
      },
      queryable: () => (this.ready ? this.db : undefined),
      queryEngine: {
        timeoutMs: opts.queryTimeoutMs,
        maxSamples: opts.queryMaxSamples,
        lookbackDeltaMs: opts.lookbackDeltaMs,
        maxConcurrency: opts.queryMaxConcurrency,
        features: new Set(opts.features.filter((f) => IMPLEMENTED_FEATURES.has(f))),
      },
    });
    // The listener comes up before storage so /-/healthy answers and /-/ready says 503 while it opens.
    await this.web.listen({ host: opts.listenHost, port: opts.listenPort });
    log.info('Listening on', { component: 'web', address: this.address() });
    if (this.configSource.kind === 'embedded') this.initialLoad();

    const storagePath = path.resolve(opts.storagePath);
    log.info('Starting TSDB ...', { component: 'tsdb', path: storagePath });
    this.db = TSDB.open({
      dir: storagePath,
      retentionMs: opts.retentionTimeMs,
      maxBytes: opts.retentionSizeBytes,
      noLockfile: opts.noLockfile,
      logger: log.with({ component: 'tsdb' }),
      registry: this.metrics.registry,
      background: true,
    });
    log.info('TSDB started', { component: 'tsdb' });
    this.walReplay = replayedSegments(path.join(storagePath, 'wal'));

    const external = Object.entries(this.config?.global.external_labels ?? {})
      .flat()
      .join('\xff');
    const userAgent = `Promethium/${this.build.version}`;
    this.scrape = new ScrapeManager({
      appendable: this.db,
      fetcher: (cfg) => new HttpClient(cfg, { userAgent }),
      logger: log.with({ component: 'scrape manager' }),
      counters: createScrapeMetrics(this.metrics.registry),
      // as Prometheus: the phase of each target depends on the host and the external labels too
      offsetSeed: `${os.hostname()}\xfe${external}`,
      extraMetrics: opts.features.includes('extra-scrape-metrics'),
    });
    this.discovery = new DiscoveryManager({
      logger: log.with({ component: 'discovery manager scrape' }),
      registry: this.metrics.registry,
      consumer: (job, groups) => this.scrape?.updateTargets(job, groups),
      httpClient: (cfg) => new HttpClient(cfg, { userAgent }),
      userAgent,
    });
    if (this.config !== undefined) {
      await this.scrape.applyConfig(this.config);
      await this.discovery.applyConfig(scrapeDiscoveryConfigs(this.config));
    }

    this.ready = true;
    this.metrics.ready.set(1);
    log.info('Server is ready to receive web requests.');
  }

  private loadWebConfig(file: string): WebConfigRuntime {
    try {
      return WebConfigRuntime.load(file, this.log.with({ component: 'web' }));
    } catch (err) {
      this.log.error('Unable to validate web configuration file', { err: errorText(err) });
      throw err;
    }
  }

  private initialLoad(): void {
    const source = this.sourceName();
    this.log.info('Loading configuration file', { filename: source });
    this.applyConfig(this.loadConfig());
    this.markReload(true);
    this.log.info('Completed loading of configuration file', { filename: source });
  }

  private sourceName(): string {
    return this.configSource.kind === 'file' ? this.configSource.path : 'embedded default';
  }

  private markReload(ok: boolean): void {
    this.reloadOk = ok;
    this.metrics.configReloadSuccessful.set(ok ? 1 : 0);
    if (ok) {
      this.lastConfigTime = new Date();
      this.metrics.configReloadSuccessTimestamp.set(Math.floor(this.lastConfigTime.getTime() / 1000));
    }
  }

  /** Loads the config again; on error the running config stays, the error is logged and rethrown. */
  async reload(): Promise<void> {
    const source = this.sourceName();
    this.log.info('Loading configuration file', { filename: source });
    try {
      this.applyConfig(this.loadConfig());
    } catch (err) {
      this.markReload(false);
      this.log.error('Error reloading config', { err: errorText(err) });
      throw err;
    }
    this.markReload(true);
    this.log.info('Completed loading of configuration file', { filename: source });
  }

  /** Stops serving and releases storage; resolves when done. Safe to call more than once. */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.warn('Received shutdown request, exiting gracefully...', { reason });
      this.ready = false;
      this.metrics.ready.set(0);
      const deadline = setTimeout(() => {
        this.log.error('Graceful shutdown took longer than 10s, exiting now');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      try {
        // discovery stops first, then scraping: its last samples and stale markers still reach storage
        await this.discovery?.stop();
        await this.scrape?.stop();
        if (this.web !== undefined) {
          this.web.server.closeIdleConnections();
          await this.web.close();
        }
      } finally {
        this.db?.close();
        clearTimeout(deadline);
      }
      this.log.info('See you next time!');
      this.markStopped();
    })();
    return this.stopping;
  }
}

/**
 * The WAL segments replayed at open, as Prometheus reports them once replay is done: from the first
 * segment after the newest checkpoint to the last one, current = max.
 */
function replayedSegments(walDir: string): WALReplayStatus {
  const checkpoints = listCheckpoints(walDir);
  const after = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] + 1 : -Infinity;
  const segments = listSegments(walDir).filter((i) => i >= after);
  if (segments.length === 0) return { min: 0, max: 0, current: 0 };
  const max = segments[segments.length - 1];
  return { min: segments[0], max, current: max };
}

export function errorText(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Retention as Prometheus shows it in runtimeinfo: "15d", "512MiB" or "15d or 512MiB". */
function retentionText(timeMs: number, sizeBytes: number): string {
  const parts: string[] = [];
  if (timeMs > 0) parts.push(formatDuration(timeMs));
  if (sizeBytes > 0) parts.push(formatByteSize(sizeBytes));
  return parts.join(' or ');
}
