// The composition root of the `promethium` server: flags and config in, components wired, reload on
// SIGHUP or /-/reload (a bad config keeps the old one), graceful shutdown on SIGTERM within 10 s.
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  configChecksum,
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
import { createQueryMetrics } from '../promql/engine/metrics.js';
import { QueryPool } from './query-pool.js';
import { DiscoveryManager } from '../sd/manager.js';
import { scrapeDiscoveryConfigs, sdConfigsOf } from '../sd/discoverers.js';
import { createSDMetrics } from '../sd/metrics.js';
import type { ScrapeConfig } from '../config/types.js';
import { Notifier } from '../notifier/notifier.js';
import type { RemoteReadSpec } from '../remote/read-queryable.js';
import { metricTypeOf, type WireMetadata } from '../remote/messages.js';
import { RemoteStorage } from '../remote/storage.js';
import type { QueryJob } from '../web/api/v1/query-exec.js';
import { loadRuleGroups, RuleManager, type RulesConfig } from '../rules/manager.js';
import { poolRuleQuery, rulesSource, toNotifierAlerts } from './rules-wiring.js';
import os from 'node:os';
import { KNOWN_FEATURES, type ServerOptions } from './server-flags.js';
import { preferProtobufByDefault } from '../config/protocols.js';

/** Features Promethium acts on; the rest are accepted for compatibility and reported as not supported yet. */
const IMPLEMENTED_FEATURES = new Set<string>([
  // PromQL syntax, functions and statistics, handed to the parser and engine of the query API.
  'promql-experimental-functions',
  'promql-delayed-name-removal',
  'promql-extended-range-selectors',
  'promql-binop-fill-modifiers',
  'promql-per-step-stats',
  // scraping
  'extra-scrape-metrics',
  // start timestamps: kept from protobuf scrapes and remote write 2.0 (head, WAL), read by PromQL
  'st-storage',
  'use-start-timestamps',
]);

/** Feature names Prometheus 3.14 still accepts but that do nothing, with what it logs for them. */
const NO_OP_FEATURES: Record<string, string> = {
  'promql-duration-expr':
    'This option for --enable-feature is now permanently enabled and therefore a no-op.',
  'ooo-native-histograms':
    'This option for --enable-feature is now permanently enabled and therefore a no-op.',
  'native-histograms':
    'This option for --enable-feature is a no-op. To scrape native histograms, set the scrape_native_histograms scrape config setting to true.',
  'auto-reload-config': 'This option for --enable-feature is deprecated. Use --config.auto-reload instead.',
};

/** PromQL features always on in Prometheus 3.14: duration expressions (promql-duration-expr is a no-op). */
const ALWAYS_ON_FEATURES = ['promql-duration-expr'];

const SHUTDOWN_DEADLINE_MS = 10_000;

export class PromethiumServer {
  private config: Config | undefined;
  private lastConfigTime = new Date();
  private reloadOk = true;
  private ready = false;
  private db: TSDB | undefined;
  private scrape: ScrapeManager | undefined;
  private queryPool: QueryPool | undefined;
  private discovery: DiscoveryManager | undefined;
  private rules: RuleManager | undefined;
  /** The remote_write queues, reading the TSDB's WAL. */
  private remote: RemoteStorage | undefined;
  private notifier: Notifier | undefined;
  /** Discovery of the Alertmanagers (Prometheus's "notify" discovery manager). */
  private notifyDiscovery: DiscoveryManager | undefined;
  /** Ends running rule queries when the server stops. */
  private readonly rulesAbort = new AbortController();
  /** What /api/v1/status/walreplay shows: zeros until the storage has opened. */
  private walReplay: WALReplayStatus = { min: 0, max: 0, current: 0 };
  private web: FastifyInstance | undefined;
  private stopping: Promise<void> | undefined;
  private markStopped!: () => void;
  /** Resolves once a shutdown (signal or /-/quit) has finished. */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private readonly metrics: SelfMetrics;
  /** What /api/v1/status/flags shows: the parsed flags, with the route prefix as it applies. */
  private readonly flagsText: Record<string, string>;
  private autoReloadTimer: NodeJS.Timeout | undefined;
  /** The config files' checksum at the last successful load (--config.auto-reload). */
  private configSum: string | undefined;
  private readonly startTime = new Date();
  /** Where the config comes from: a file path, or the embedded default. */
  private readonly configSource: { kind: 'file'; path: string } | { kind: 'embedded' };

  constructor(
    private readonly opts: ServerOptions,
    flagsText: Record<string, string>,
    private readonly build: BuildInfo,
    private readonly log: Logger,
  ) {
    this.metrics = createSelfMetrics(build);
    this.flagsText = { ...flagsText, 'web.route-prefix': opts.routePrefix };
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

  /** --web.external-url, or http://<hostname>:<port>/ with the port actually listened on. */
  private externalUrl(): URL {
    const { opts } = this;
    if (opts.externalUrlExplicit || opts.listenPort !== 0) return opts.externalUrl;
    return new URL(`http://${os.hostname()}:${this.listenPort()}/`);
  }

  private listenPort(): number {
    const addr = this.web?.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : this.opts.listenPort;
  }

  private loadConfig(): Config {
    const cfg = this.loadConfigSource();
    if (this.opts.agent) {
      // as Prometheus's config.LoadFile in agent mode
      if (cfg.alerting.alertmanagers.length > 0 || cfg.alerting.alert_relabel_configs.length > 0)
        throw new Error('field alerting is not allowed in agent mode');
      if (cfg.rule_files.length > 0) throw new Error('field rule_files is not allowed in agent mode');
      if (cfg.remote_read.length > 0) throw new Error('field remote_read is not allowed in agent mode');
    }
    return cfg;
  }

  private loadConfigSource(): Config {
    if (this.configSource.kind === 'file') return loadConfigFile(this.configSource.path);
    const addr = this.web?.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.opts.listenPort;
    return parseConfig(defaultConfigYaml(`localhost:${port}`), '<embedded default config>', process.cwd());
  }

  private applyConfig(cfg: Config): void {
    for (const warning of cfg.warnings)
      this.log.warn('Configuration accepted with a limitation', { detail: warning });
    // Rule files are read before anything changes: one bad file keeps the running config and rules.
    const rules = loadRuleGroups(expandRuleFiles(cfg), cfg.global.metric_name_validation_scheme);
    if (rules.errors.length > 0) {
      for (const e of rules.errors)
        this.log.error('loading groups failed', { component: 'rule manager', err: e });
      throw new Error(`error loading rules, previous rule set restored: ${rules.errors.join('; ')}`);
    }
    for (const w of rules.warnings) this.log.warn(w, { component: 'rule manager' });
    this.config = cfg;
    this.db?.setOutOfOrderTimeWindow(cfg.storage.tsdb?.out_of_order_time_window ?? 0);
    this.applyRulesAndAlerting(cfg);
    if (this.scrape !== undefined) void this.scrape.applyConfig(cfg);
    // after the scrape manager: discovery then hands every job its full set of groups at once
    if (this.discovery !== undefined) void this.discovery.applyConfig(scrapeDiscoveryConfigs(cfg));
  }

  /** The config's remote_read endpoints, for the workers to merge into a query. */
  private withRemoteRead(job: QueryJob): QueryJob {
    const cfg = this.config;
    if (cfg === undefined || cfg.remote_read.length === 0 || this.db === undefined) return job;
    const external = cfg.global.external_labels;
    const specs: RemoteReadSpec[] = cfg.remote_read.map((rr) => ({
      url: rr.url,
      name: rr.name,
      timeoutMs: rr.remote_timeout as number,
      headers: (rr.headers as Record<string, string>) ?? {},
      readRecent: rr.read_recent === true,
      requiredMatchers: (rr.required_matchers as Record<string, string>) ?? {},
      externalLabels: rr.filter_external_labels === false ? {} : external,
      http: rr,
    }));
    return { ...job, remoteRead: { specs, localStartMs: this.db.lowestTimestamp() } };
  }

  private rulesConfig(cfg: Config): RulesConfig {
    return {
      files: expandRuleFiles(cfg),
      evaluationIntervalMs: cfg.global.evaluation_interval,
      queryOffsetMs: cfg.global.rule_query_offset,
      externalLabels: cfg.global.external_labels,
      externalURL: this.externalUrl().toString().replace(/\/$/, ''),
      scheme: cfg.global.metric_name_validation_scheme,
    };
  }

  /** Hands a (re)loaded config to the notifier, its discovery and the rule manager, once they exist. */
  private applyRulesAndAlerting(cfg: Config): void {
    if (this.notifier !== undefined) {
      const notifier = this.notifier;
      void notifier
        .applyConfig(cfg)
        .then(() =>
          this.notifyDiscovery?.applyConfig(
            new Map(
              cfg.alerting.alertmanagers.map((am, i) => [
                `config-${i}`,
                sdConfigsOf(am as unknown as ScrapeConfig),
              ]),
            ),
          ),
        );
    }
    if (this.remote !== undefined) {
      this.remote.applyConfig(cfg).catch((err: unknown) => {
        this.log.error('Failed to apply remote write configuration', {
          component: 'remote',
          err: errorText(err),
        });
      });
    }
    if (this.rules !== undefined) {
      this.rules.update(this.rulesConfig(cfg)).catch((err: unknown) => {
        this.log.error('Failed to apply rules', { component: 'rule manager', err: errorText(err) });
      });
    }
  }

  async start(): Promise<void> {
    const { opts, log } = this;
    log.info(opts.agent ? 'Starting Promethium Agent' : 'Starting Promethium Server', {
      mode: opts.agent ? 'agent' : 'server',
      version: this.build.version,
      revision: this.build.revision,
    });
    for (const feature of opts.features) {
      if (!KNOWN_FEATURES.includes(feature))
        log.warn('Unknown option for --enable-feature', { option: feature });
      else if (NO_OP_FEATURES[feature] !== undefined) log.warn(NO_OP_FEATURES[feature], { option: feature });
      else if (!IMPLEMENTED_FEATURES.has(feature))
        log.warn('Feature flag is not supported yet and has no effect', { option: feature });
    }
    for (const { flag, reason } of opts.noEffect) {
      log.warn('Flag has no effect in Promethium', { flag: `--${flag}`, reason });
    }
    if (opts.features.includes('st-storage')) {
      // as Prometheus: jobs without scrape_protocols ask for protobuf first, and OpenMetrics
      // `_created` samples become start timestamps
      preferProtobufByDefault(true);
      log.info(
        'Experimental start timestamp storage enabled. OpenMetrics 1.0 parsing will parse <metric>_created metrics as ST instead of normal sample. Changed default scrape_protocols to prefer PrometheusProto format.',
      );
    }
    if (opts.features.includes('use-start-timestamps'))
      log.info('Experimental usage of start timestamps in PromQL engine is enabled.');

    // A config file is checked before anything listens, so a bad one fails fast; the embedded default
    // names this server's own address as its target, which is known once the listener is up.
    if (this.configSource.kind === 'file') this.initialLoad();
    const webConfig = opts.webConfigFile === '' ? undefined : this.loadWebConfig(opts.webConfigFile);

    this.web = createWebApp({
      agent: opts.agent,
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
        remoteWrite: () => this.remote?.list() ?? [],
      },
      metrics: () => renderSelfMetrics(this.metrics.registry),
      remote: {
        write: {
          enabled: opts.remoteWriteReceiver,
          acceptedMessages: opts.remoteWriteMessages,
          appendable: () => (this.ready ? this.db : undefined),
          logger: log.with({ component: 'web' }),
          registry: this.metrics.registry,
        },
        read: {
          queryable: () => (this.ready ? this.db : undefined),
          externalLabels: () => this.config?.global.external_labels ?? {},
          sampleLimit: opts.remoteReadSampleLimit,
          concurrentLimit: opts.remoteReadConcurrentLimit,
          maxBytesInFrame: opts.remoteReadMaxBytesInFrame,
          logger: log.with({ component: 'web' }),
        },
      },
      rules: rulesSource(() => this.rules),
      alertmanagers: {
        activeAlertmanagers: () => this.notifier?.activeAlertmanagers() ?? [],
        droppedAlertmanagers: () => this.notifier?.droppedAlertmanagers() ?? [],
      },
      registry: this.metrics.registry,
      executeQuery: (job, signal, expr) => {
        // queries reach this only once the storage (and so the pool) is there
        if (this.queryPool === undefined)
          return Promise.resolve({ ok: false, errorType: 'unavailable', message: 'TSDB not ready' });
        return this.queryPool.execute(this.withRemoteRead(job), signal, expr);
      },
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
        () => this.externalUrl(),
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
        metrics: createQueryMetrics(this.metrics.registry, opts.queryMaxConcurrency),
        features: new Set([
          ...ALWAYS_ON_FEATURES,
          ...opts.features.filter((f) => IMPLEMENTED_FEATURES.has(f)),
        ]),
      },
      userAssetsDir: opts.userAssetsPath === '' ? undefined : path.resolve(opts.userAssetsPath),
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
      minBlockDuration: opts.minBlockDurationMs,
      maxBlockDuration: opts.maxBlockDurationMs,
      walSegmentSize: opts.walSegmentSizeBytes > 0 ? opts.walSegmentSizeBytes : undefined,
      logger: log.with({ component: 'tsdb' }),
      registry: this.metrics.registry,
      background: true,
      outOfOrderTimeWindow: this.config?.storage.tsdb?.out_of_order_time_window,
      agent: opts.agent
        ? {
            truncateFrequencyMs: opts.agentTruncateFrequencyMs,
            minWalTimeMs: opts.agentMinWalTimeMs,
            maxWalTimeMs: opts.retentionTimeMs,
            lowestSentTimestamp: () => this.remote?.lowestSentTimestamp() ?? 0,
          }
        : undefined,
      onBlockRemoved: (ulid) => this.queryPool?.blockRemoved(ulid),
      stStorage: opts.features.includes('st-storage'),
      // the Thanos sidecar's setup: no compaction, and blocks it can upload
      prometheusFormatBlocks:
        opts.maxBlockDurationMs !== undefined && opts.maxBlockDurationMs === opts.minBlockDurationMs,
    });
    log.info('TSDB started', { component: 'tsdb' });
    const workers = Number(process.env.PROMETHIUM_QUERY_WORKERS);
    this.queryPool = new QueryPool({
      db: this.db,
      maxConcurrency: opts.queryMaxConcurrency,
      workers: workers > 0 ? workers : undefined,
      logger: log.with({ component: 'query pool' }),
      registry: this.metrics.registry,
    });
    this.walReplay = replayedSegments(path.join(storagePath, 'wal'));

    const external = Object.entries(this.config?.global.external_labels ?? {})
      .flat()
      .join('\xff');
    const userAgent = `Promethium/${this.build.version}`;
    const scrapeMetrics = createScrapeMetrics(this.metrics.registry);
    scrapeMetrics.bindMetadata(() => this.scrape?.metadataStats() ?? new Map());
    this.scrape = new ScrapeManager({
      appendable: this.db,
      fetcher: (cfg) => new HttpClient(cfg, { userAgent }),
      logger: log.with({ component: 'scrape manager' }),
      counters: scrapeMetrics,
      metrics: scrapeMetrics,
      // as Prometheus: the phase of each target depends on the host and the external labels too
      offsetSeed: `${os.hostname()}\xfe${external}`,
      extraMetrics: opts.features.includes('extra-scrape-metrics'),
      timestampToleranceMs: opts.scrapeTimestampToleranceMs,
      parseST: opts.features.includes('st-storage'),
    });
    const sdMetrics = createSDMetrics(this.metrics.registry);
    this.discovery = new DiscoveryManager({
      logger: log.with({ component: 'discovery manager scrape' }),
      metrics: sdMetrics,
      consumer: (job, groups) => this.scrape?.updateTargets(job, groups),
      updateIntervalMs: opts.discoveryReloadIntervalMs,
      httpClient: (cfg) => new HttpClient(cfg, { userAgent }),
      userAgent,
    });
    this.remote = new RemoteStorage({
      dataDir: storagePath,
      logger: log.with({ component: 'remote' }),
      registry: this.metrics.registry,
      userAgent: `Prometheus/${this.build.version}`,
      flushDeadlineMs: opts.remoteFlushDeadlineMs,
      metadata: () => {
        // one entry per metric family, as Prometheus's metadata watcher collects them
        const seen = new Map<string, WireMetadata>();
        for (const m of this.scrape?.metadataList() ?? [])
          if (!seen.has(m.metric))
            seen.set(m.metric, { type: metricTypeOf(m.type), family: m.metric, help: m.help, unit: m.unit });
        return [...seen.values()];
      },
    });
    this.notifier = new Notifier({
      logger: log.with({ component: 'notifier' }),
      registry: this.metrics.registry,
      queueCapacity: opts.notificationQueueCapacity,
      batchSize: opts.notificationBatchSize,
      drainOnShutdown: opts.drainNotificationQueue,
      userAgent,
    });
    this.notifyDiscovery = new DiscoveryManager({
      logger: log.with({ component: 'discovery manager notify' }),
      metrics: sdMetrics,
      name: 'notify',
      consumer: (key, groups) => this.notifier?.updateTargets(key, groups),
      updateIntervalMs: opts.discoveryReloadIntervalMs,
      httpClient: (cfg) => new HttpClient(cfg, { userAgent }),
      userAgent,
    });
    const pool = this.queryPool;
    this.rules = new RuleManager({
      appendable: this.db,
      query: poolRuleQuery({
        execute: (job, signal) => pool.execute(this.withRemoteRead(job), signal),
        timeoutMs: opts.queryTimeoutMs,
        maxSamples: opts.queryMaxSamples,
        lookbackDeltaMs: opts.lookbackDeltaMs,
        features: [...ALWAYS_ON_FEATURES, ...opts.features.filter((f) => IMPLEMENTED_FEATURES.has(f))],
        signal: this.rulesAbort.signal,
      }),
      notify: (expr, alerts) =>
        this.notifier?.send(toNotifierAlerts(expr, alerts, this.externalUrl().toString().replace(/\/$/, ''))),
      logger: log.with({ component: 'rule manager' }),
      resendDelayMs: opts.resendDelayMs,
      outageToleranceMs: opts.forOutageToleranceMs,
      forGracePeriodMs: opts.forGracePeriodMs,
      registry: this.metrics.registry,
    });
    if (this.config !== undefined) {
      await this.scrape.applyConfig(this.config);
      await this.discovery.applyConfig(scrapeDiscoveryConfigs(this.config));
      this.applyRulesAndAlerting(this.config);
    }

    this.ready = true;
    this.metrics.ready.set(1);
    log.info('Server is ready to receive web requests.');
    // Node writes its compile cache (enabled by promethium.ts, for the modules loaded apart from the
    // bundle, whose own code cache promethium.ts writes once this start resolves) only at a clean
    // exit, so a server that crashes or is killed (what its restart must be quick after) would leave
    // none. Written now; a no-op when the cache is off.
    module.flushCompileCache?.();
    this.startAutoReload();
  }

  /** --config.auto-reload: reloads when the config, rule or scrape config files change, as Prometheus. */
  private startAutoReload(): void {
    const { opts } = this;
    const autoReload = opts.autoReload || opts.features.includes('auto-reload-config');
    if (!autoReload || this.configSource.kind !== 'file') return;
    const file = this.configSource.path;
    this.log.info('Automatic configuration file reloading enabled', {
      interval: formatDuration(opts.autoReloadIntervalMs),
    });
    this.configSum ??= this.checksum(file);
    this.autoReloadTimer = setInterval(() => {
      const current = this.checksum(file);
      if (current !== undefined && current === this.configSum) return;
      this.log.info('Configuration file change detected, reloading the configuration.');
      void this.reload().catch(() => undefined);
    }, opts.autoReloadIntervalMs);
    this.autoReloadTimer.unref();
  }

  private checksum(file: string): string | undefined {
    try {
      return configChecksum(file);
    } catch (err) {
      this.log.error('Failed to generate checksum during configuration reload', { err: errorText(err) });
      return undefined;
    }
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
    const sum = this.currentChecksum();
    this.applyConfig(this.loadConfig());
    this.configSum = sum;
    this.markReload(true);
    this.log.info('Completed loading of configuration file', { filename: source });
  }

  /** The checksum --config.auto-reload compares, taken before a load so a change during it is seen next time. */
  private currentChecksum(): string | undefined {
    const autoReload = this.opts.autoReload || this.opts.features.includes('auto-reload-config');
    return autoReload && this.configSource.kind === 'file'
      ? this.checksum(this.configSource.path)
      : undefined;
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
    const sum = this.currentChecksum();
    try {
      this.applyConfig(this.loadConfig());
      this.configSum = sum;
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
      clearInterval(this.autoReloadTimer);
      const deadline = setTimeout(() => {
        this.log.error('Graceful shutdown took longer than 10s, exiting now');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      try {
        // discovery stops first, then scraping: its last samples and stale markers still reach storage
        await this.discovery?.stop();
        await this.scrape?.stop();
        // rule groups stop (a running query ends with an error), then queued alerts are sent
        this.rulesAbort.abort();
        await this.rules?.stop();
        await this.notifyDiscovery?.stop();
        await this.notifier?.stop();
        // what was appended is sent for up to --storage.remote.flush-deadline (within the shutdown's own
        // deadline); the rest stays in the WAL and goes out after the next start
        await this.remote?.stop(Math.min(this.opts.remoteFlushDeadlineMs, SHUTDOWN_DEADLINE_MS / 2));
        // running queries end (with an error) before the storage closes under them
        await this.queryPool?.close();
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
