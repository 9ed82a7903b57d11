// The `promethium` server's flags: Prometheus 3.x names, meanings and defaults.
import os from 'node:os';
import { FlagError, type FlagSpec, type ParsedFlags } from './flags.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/logger.js';

export const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

/** Feature names Prometheus 3.14 accepts for --enable-feature (some only log that they are no-ops now). */
export const KNOWN_FEATURES: readonly string[] = [
  'concurrent-rule-eval',
  'created-timestamp-zero-ingestion',
  'delayed-compaction',
  'exemplar-storage',
  'extra-scrape-metrics',
  'histograms-st-encoding',
  'memory-snapshot-on-shutdown',
  'metadata-wal-records',
  'old-ui',
  'otlp-deltatocumulative',
  'otlp-native-delta-ingestion',
  'promql-binop-fill-modifiers',
  'promql-delayed-name-removal',
  'promql-experimental-functions',
  'promql-extended-range-selectors',
  'promql-per-step-stats',
  'search-api',
  'st-storage',
  'st-synthesis',
  'type-and-unit-labels',
  'use-start-timestamps',
  'use-uncached-io',
  'xor2-encoding',
  // no-ops in Prometheus 3.14 (always on, or replaced by config or other flags)
  'auto-reload-config',
  'promql-duration-expr',
  'native-histograms',
  'ooo-native-histograms',
];

// Why a flag does nothing in Promethium, shown in --help and logged once when the flag is given.
const GO_RUNTIME = 'tunes the Go runtime, which Promethium does not have';
const LATER = (part: string): string => `${part} arrive in a later release`;

export const SERVER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'config.file',
    kind: 'string',
    default: 'prometheus.yml',
    placeholder: 'CONFIG.FILE',
    help: 'Prometheus configuration file path. Without the flag and without ./prometheus.yml, an embedded default that scrapes this server is used.',
  },
  {
    name: 'config.auto-reload',
    kind: 'bool',
    default: 'false',
    help: 'Enable automatic configuration file reloading. See also --config.auto-reload-interval.',
  },
  {
    name: 'config.auto-reload-interval',
    kind: 'duration',
    default: '30s',
    placeholder: '30s',
    help: 'Specifies the interval for checking and automatically reloading the Prometheus configuration file upon detecting changes. Only used when --config.auto-reload is set.',
  },
  {
    name: 'web.listen-address',
    kind: 'string',
    default: '0.0.0.0:9090',
    placeholder: 'WEB.LISTEN-ADDRESS',
    help: 'Address to listen on for UI, API, and telemetry.',
  },
  {
    name: 'auto-gomaxprocs',
    kind: 'bool',
    default: 'true',
    noEffect: GO_RUNTIME,
    help: 'Automatically set GOMAXPROCS to match Linux container CPU quota',
  },
  {
    name: 'auto-gomemlimit',
    kind: 'bool',
    default: 'true',
    noEffect: GO_RUNTIME,
    help: 'Automatically set GOMEMLIMIT to match Linux container or system memory limit',
  },
  {
    name: 'auto-gomemlimit.ratio',
    kind: 'float',
    default: '0.9',
    placeholder: '0.9',
    noEffect: GO_RUNTIME,
    help: 'The ratio of reserved GOMEMLIMIT memory to the detected maximum container or system memory',
  },
  {
    name: 'auto-gomemlimit.refresh-interval',
    kind: 'duration',
    default: '0s',
    placeholder: '0s',
    noEffect: GO_RUNTIME,
    help: 'Interval at which to re-detect the container or system memory limit and update GOMEMLIMIT accordingly.',
  },
  {
    name: 'web.config.file',
    kind: 'string',
    placeholder: '""',
    help: '[EXPERIMENTAL] Path to configuration file that can enable TLS or authentication.',
  },
  {
    name: 'web.read-timeout',
    kind: 'duration',
    default: '5m',
    placeholder: '5m',
    help: 'Maximum duration before timing out read of the request, and closing idle connections.',
  },
  {
    name: 'web.max-connections',
    kind: 'int',
    default: '512',
    placeholder: '512',
    help: 'Maximum number of simultaneous connections across all listeners.',
  },
  {
    name: 'web.max-notifications-subscribers',
    kind: 'int',
    default: '16',
    placeholder: '16',
    noEffect: 'Promethium has no live notifications API',
    help: 'Limits the maximum number of subscribers that can concurrently receive live notifications.',
  },
  {
    name: 'web.external-url',
    kind: 'url',
    placeholder: '<URL>',
    help: 'The URL under which Promethium is externally reachable (for example, if it is served via a reverse proxy). Used for generating relative and absolute links back to Promethium itself. If the URL has a path portion, it will be used to prefix all HTTP endpoints served by Promethium. If omitted, relevant URL components will be derived automatically.',
  },
  {
    name: 'web.route-prefix',
    kind: 'string',
    placeholder: '<path>',
    help: 'Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.',
  },
  {
    name: 'web.user-assets',
    kind: 'string',
    placeholder: '<path>',
    help: 'Path to static asset directory, available at /user.',
  },
  {
    name: 'web.enable-lifecycle',
    kind: 'bool',
    default: 'false',
    help: 'Enable shutdown and reload via HTTP request.',
  },
  {
    name: 'web.enable-admin-api',
    kind: 'bool',
    default: 'false',
    help: 'Enable API endpoints for admin control actions.',
  },
  {
    name: 'web.enable-remote-write-receiver',
    kind: 'bool',
    default: 'false',
    help: 'Enable API endpoint accepting remote write requests.',
  },
  {
    name: 'web.remote-write-receiver.accepted-protobuf-messages',
    kind: 'list',
    default: 'prometheus.WriteRequest,io.prometheus.write.v2.Request',
    values: ['prometheus.WriteRequest', 'io.prometheus.write.v2.Request'],
    placeholder: 'prometheus.WriteRequest...',
    help: 'List of the remote write protobuf messages to accept when receiving the remote writes.',
  },
  {
    name: 'web.enable-otlp-receiver',
    kind: 'bool',
    default: 'false',
    noEffect: 'Promethium has no OTLP receiver yet',
    help: 'Enable API endpoint accepting OTLP write requests.',
  },
  {
    name: 'web.console.templates',
    kind: 'string',
    default: 'consoles',
    placeholder: '"consoles"',
    noEffect: 'Promethium serves no console templates',
    help: 'Path to the console template directory, available at /consoles.',
  },
  {
    name: 'web.console.libraries',
    kind: 'string',
    default: 'console_libraries',
    placeholder: '"console_libraries"',
    noEffect: 'Promethium serves no console templates',
    help: 'Path to the console library directory.',
  },
  {
    name: 'web.page-title',
    kind: 'string',
    default: 'Promethium Time Series Collection and Processing Server',
    placeholder: '"Promethium Time Series Collection and Processing Server"',
    help: 'Document title of Promethium instance.',
  },
  {
    name: 'web.cors.origin',
    kind: 'regex',
    default: '.*',
    placeholder: '".*"',
    help: "Regex for CORS origin. It is fully anchored. Example: 'https?://(domain1|domain2)\\.com'",
  },
  {
    name: 'storage.tsdb.path',
    kind: 'string',
    default: 'data/',
    placeholder: '"data/"',
    mode: 'server',
    help: 'Base path for metrics storage.',
  },
  {
    name: 'storage.tsdb.min-block-duration',
    kind: 'duration',
    default: '2h',
    hidden: true,
    mode: 'server',
    help: 'Minimum duration of a data block before being persisted. For use in testing.',
  },
  {
    name: 'storage.tsdb.max-block-duration',
    kind: 'duration',
    placeholder: '<duration>',
    hidden: true,
    mode: 'server',
    help: 'Maximum duration compacted blocks may span. For use in testing. (Defaults to 10% of the retention period.)',
  },
  {
    name: 'storage.tsdb.max-block-chunk-segment-size',
    kind: 'bytes',
    placeholder: '<bytes>',
    shownDefault: '0B',
    hidden: true,
    mode: 'server',
    noEffect: "Promethium's blocks keep their chunks in SQLite, not in segment files",
    help: 'The maximum size for a single chunk segment in a block. Example: 512MB',
  },
  {
    name: 'storage.tsdb.wal-segment-size',
    kind: 'bytes',
    placeholder: '<bytes>',
    shownDefault: '0B',
    hidden: true,
    mode: 'server',
    help: 'Size at which to split the tsdb WAL segment files. Example: 100MB',
  },
  {
    name: 'storage.tsdb.retention.time',
    kind: 'duration',
    placeholder: '<duration>',
    shownDefault: '0s',
    mode: 'server',
    help: 'How long to retain samples in storage. If neither this flag nor "storage.tsdb.retention.size" is set, the retention time defaults to 15d. Units Supported: y, w, d, h, m, s, ms.',
  },
  {
    name: 'storage.tsdb.retention.size',
    kind: 'bytes',
    placeholder: '<size>',
    shownDefault: '0B',
    mode: 'server',
    help: 'Maximum number of bytes that can be stored for blocks. A unit is required, supported units: B, KB, MB, GB, TB, PB, EB. Ex: "512MB". Based on powers-of-2, so 1KB is 1024B.',
  },
  {
    name: 'storage.tsdb.no-lockfile',
    kind: 'bool',
    default: 'false',
    mode: 'server',
    help: 'Do not create lockfile in data directory.',
  },
  {
    name: 'storage.tsdb.allow-overlapping-compaction',
    kind: 'bool',
    default: 'true',
    hidden: true,
    mode: 'server',
    noEffect: 'Promethium has no overlapping blocks to compact',
    help: 'Allow compaction of overlapping blocks.',
  },
  {
    name: 'storage.tsdb.wal-compression',
    kind: 'bool',
    default: 'true',
    hidden: true,
    mode: 'server',
    noEffect: "Promethium's WAL records are not compressed",
    help: 'Compress the tsdb WAL. If false, the --storage.tsdb.wal-compression-type flag is ignored.',
  },
  {
    name: 'storage.tsdb.wal-compression-type',
    kind: 'enum',
    default: 'snappy',
    values: ['snappy', 'zstd'],
    hidden: true,
    mode: 'server',
    noEffect: "Promethium's WAL records are not compressed",
    help: 'Compression algorithm for the tsdb WAL, used when --storage.tsdb.wal-compression is true.',
  },
  {
    name: 'storage.tsdb.head-chunks-write-queue-size',
    kind: 'int',
    default: '0',
    placeholder: '0',
    mode: 'server',
    noEffect: 'Promethium keeps head chunks in memory and does not m-map them',
    help: 'Size of the queue through which head chunks are written to the disk to be m-mapped, 0 disables the queue completely. Experimental.',
  },
  {
    name: 'storage.tsdb.samples-per-chunk',
    kind: 'int',
    default: '120',
    hidden: true,
    mode: 'server',
    noEffect: 'head chunks hold 120 samples',
    help: 'Target number of samples per chunk.',
  },
  {
    name: 'storage.tsdb.delayed-compaction.max-percent',
    kind: 'int',
    default: '10',
    hidden: true,
    mode: 'server',
    noEffect: 'Promethium does not delay compactions',
    help: 'Sets the upper limit for the random compaction delay, specified as a percentage of the head chunk range.',
  },
  {
    name: 'storage.tsdb.delay-compact-file.path',
    kind: 'string',
    default: '',
    placeholder: '""',
    mode: 'server',
    noEffect: LATER('Thanos block export'),
    help: 'Path to a JSON file with uploaded TSDB blocks e.g. Thanos shipper meta file. If set TSDB will only compact 1 level blocks that are marked as uploaded in that file.',
  },
  {
    name: 'storage.tsdb.block-reload-interval',
    kind: 'duration',
    default: '1m',
    hidden: true,
    mode: 'server',
    noEffect: 'Promethium finds new blocks at each compaction check, every minute',
    help: 'Interval at which to check for new or removed blocks in storage.',
  },
  {
    name: 'storage.agent.path',
    kind: 'string',
    default: 'data-agent/',
    placeholder: '"data-agent/"',
    mode: 'agent',
    help: 'Base path for metrics storage.',
  },
  {
    name: 'storage.agent.wal-segment-size',
    kind: 'bytes',
    placeholder: '<bytes>',
    shownDefault: '0B',
    hidden: true,
    mode: 'agent',
    help: 'Size at which to split WAL segment files. Example: 100MB',
  },
  {
    name: 'storage.agent.wal-compression',
    kind: 'bool',
    default: 'true',
    mode: 'agent',
    noEffect: 'the agent WAL is not compressed',
    help: 'Compress the agent WAL. If false, the --storage.agent.wal-compression-type flag is ignored.',
  },
  {
    name: 'storage.agent.wal-compression-type',
    kind: 'enum',
    default: 'snappy',
    values: ['snappy', 'zstd'],
    hidden: true,
    mode: 'agent',
    noEffect: 'the agent WAL is not compressed',
    help: 'Compression algorithm for the agent WAL, used when --storage.agent.wal-compression is true.',
  },
  {
    name: 'storage.agent.wal-truncate-frequency',
    kind: 'duration',
    placeholder: '<duration>',
    shownDefault: '0s',
    hidden: true,
    mode: 'agent',
    help: 'The frequency at which to truncate the WAL and remove old data.',
  },
  {
    name: 'storage.agent.retention.min-time',
    kind: 'duration',
    default: '5m',
    placeholder: '5m',
    mode: 'agent',
    help: 'Minimum age samples may be before being considered for deletion when the WAL is truncated',
  },
  {
    name: 'storage.agent.retention.max-time',
    kind: 'duration',
    default: '4h',
    placeholder: '4h',
    mode: 'agent',
    help: 'Maximum age samples may be before being forcibly deleted when the WAL is truncated',
  },
  {
    name: 'storage.agent.checkpoint-from-in-memory-series',
    kind: 'bool',
    default: 'false',
    mode: 'agent',
    noEffect: 'checkpoints are written from the WAL segments, as the server does',
    help: 'Use only in-memory series data when building a checkpoint.',
  },
  {
    name: 'storage.agent.checkpoint-batch-size',
    kind: 'int',
    default: '1000',
    placeholder: '1000',
    mode: 'agent',
    noEffect: 'checkpoints are written from the WAL segments, as the server does',
    help: 'Size of a single WAL log entry chunk to be flushed.',
  },
  {
    name: 'storage.agent.no-lockfile',
    kind: 'bool',
    default: 'false',
    mode: 'agent',
    help: 'Do not create lockfile in data directory.',
  },
  {
    name: 'storage.remote.flush-deadline',
    kind: 'duration',
    default: '1m',
    placeholder: '<duration>',
    help: 'How long to wait flushing sample on shutdown or config reload.',
  },
  {
    name: 'storage.remote.read-sample-limit',
    kind: 'int',
    default: '50000000',
    placeholder: '5e7',
    mode: 'server',
    help: 'Maximum overall number of samples to return via the remote read interface, in a single query. 0 means no limit. This limit is ignored for streamed response types.',
  },
  {
    name: 'storage.remote.read-concurrent-limit',
    kind: 'int',
    default: '10',
    placeholder: '10',
    mode: 'server',
    help: 'Maximum number of concurrent remote read calls. 0 means no limit.',
  },
  {
    name: 'storage.remote.read-max-bytes-in-frame',
    kind: 'int',
    default: '1048576',
    placeholder: '1048576',
    mode: 'server',
    help: 'Maximum number of bytes in a single frame for streaming remote read response types before marshalling.',
  },
  {
    name: 'web.search.max-limit',
    kind: 'int',
    default: '10000',
    placeholder: '10000',
    mode: 'server',
    noEffect: 'Promethium has no search API',
    help: 'Hard upper bound on the "limit" query parameter accepted by the experimental search API. 0 disables the cap.',
  },
  {
    name: 'rules.alert.for-outage-tolerance',
    kind: 'duration',
    default: '1h',
    placeholder: '1h',
    mode: 'server',
    help: 'Max time to tolerate prometheus outage for restoring "for" state of alert.',
  },
  {
    name: 'rules.alert.for-grace-period',
    kind: 'duration',
    default: '10m',
    placeholder: '10m',
    mode: 'server',
    help: 'Minimum duration between alert and restored "for" state. This is maintained only for alerts with configured "for" time greater than grace period.',
  },
  {
    name: 'rules.alert.resend-delay',
    kind: 'duration',
    default: '1m',
    placeholder: '1m',
    mode: 'server',
    help: 'Minimum amount of time to wait before resending an alert to Alertmanager.',
  },
  {
    name: 'rules.max-concurrent-evals',
    kind: 'int',
    default: '4',
    placeholder: '4',
    mode: 'server',
    noEffect: 'rules of a group are evaluated one after another (concurrent-rule-eval is not supported yet)',
    help: 'Global concurrency limit for independent rules that can run concurrently.',
  },
  {
    name: 'scrape.adjust-timestamps',
    kind: 'bool',
    default: 'true',
    hidden: true,
    help: 'Adjust scrape timestamps by up to `scrape.timestamp-tolerance` to align them to the intended schedule. Experimental.',
  },
  {
    name: 'scrape.timestamp-tolerance',
    kind: 'duration',
    default: '2ms',
    hidden: true,
    help: 'Timestamp tolerance. Experimental.',
  },
  {
    name: 'alertmanager.notification-queue-capacity',
    kind: 'int',
    default: '10000',
    placeholder: '10000',
    mode: 'server',
    help: 'The capacity of the queue for pending Alertmanager notifications.',
  },
  {
    name: 'alertmanager.notification-batch-size',
    kind: 'int',
    default: '256',
    placeholder: '256',
    mode: 'server',
    help: 'The maximum number of notifications per batch to send to the Alertmanager.',
  },
  {
    name: 'alertmanager.drain-notification-queue-on-shutdown',
    kind: 'bool',
    default: 'true',
    mode: 'server',
    help: 'Send any outstanding Alertmanager notifications when shutting down. If false, any outstanding Alertmanager notifications will be dropped when shutting down.',
  },
  {
    name: 'query.lookback-delta',
    kind: 'duration',
    default: '5m',
    placeholder: '5m',
    mode: 'server',
    help: 'The maximum lookback duration for retrieving metrics during expression evaluations and federation.',
  },
  {
    name: 'query.timeout',
    kind: 'duration',
    default: '2m',
    placeholder: '2m',
    mode: 'server',
    help: 'Maximum time a query may take before being aborted.',
  },
  {
    name: 'query.max-concurrency',
    kind: 'int',
    default: '20',
    placeholder: '20',
    mode: 'server',
    help: 'Maximum number of queries executed concurrently. Also sizes the query worker pool: min(cores, this) threads, or PROMETHIUM_QUERY_WORKERS.',
  },
  {
    name: 'query.max-samples',
    kind: 'int',
    default: '50000000',
    placeholder: '50000000',
    mode: 'server',
    help: 'Maximum number of samples a single query can load into memory. Note that queries will fail if they try to load more samples than this into memory, so this also limits the number of samples a query can return.',
  },
  {
    name: 'scrape.discovery-reload-interval',
    kind: 'duration',
    default: '5s',
    hidden: true,
    help: 'Interval used by scrape manager to throttle target groups updates.',
  },
  {
    name: 'enable-feature',
    kind: 'list',
    placeholder: '<feature>',
    help: `Comma separated feature names to enable. Valid options: ${KNOWN_FEATURES.join(', ')}. See https://prometheus.io/docs/prometheus/latest/feature_flags/ for more details.`,
  },
  {
    name: 'agent',
    kind: 'bool',
    default: 'false',
    help: "Run Prometheus in 'Agent mode'.",
  },
  {
    name: 'log.level',
    kind: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    placeholder: 'info',
    help: 'Only log messages with the given severity or above.',
  },
  {
    name: 'log.format',
    kind: 'enum',
    default: 'logfmt',
    values: LOG_FORMATS,
    placeholder: 'logfmt',
    help: 'Output format of log messages.',
  },
  {
    name: 'write-documentation',
    kind: 'bool',
    default: 'false',
    hidden: true,
    help: 'Generate command line documentation. Internal use.',
  },
];

/** The server's settings, typed, derived from parsed flags. */
export interface ServerOptions {
  /** --agent: scrape and remote write only, no local queries, rules or alerting. */
  agent: boolean;
  configFile: string;
  /** False when --config.file was not given: a missing ./prometheus.yml then means the embedded default. */
  configFileExplicit: boolean;
  listenHost: string;
  listenPort: number;
  externalUrl: URL;
  /** False when --web.external-url was not given (the URL is then this host's name and the port). */
  externalUrlExplicit: boolean;
  routePrefix: string;
  enableLifecycle: boolean;
  enableAdminApi: boolean;
  /** --web.config.file; '' when not set. */
  webConfigFile: string;
  corsOrigin: string;
  readTimeoutMs: number;
  maxConnections: number;
  pageTitle: string;
  storagePath: string;
  /** Agent mode's WAL truncation (--storage.agent.wal-truncate-frequency, retention.min-time). */
  agentTruncateFrequencyMs: number;
  agentMinWalTimeMs: number;
  retentionTimeMs: number;
  retentionSizeBytes: number;
  noLockfile: boolean;
  queryTimeoutMs: number;
  queryMaxSamples: number;
  lookbackDeltaMs: number;
  queryMaxConcurrency: number;
  features: string[];
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** --config.auto-reload and its interval (at least 1 s, as Prometheus clamps it). */
  autoReload: boolean;
  autoReloadIntervalMs: number;
  /** --web.user-assets; '' when not set. */
  userAssetsPath: string;
  minBlockDurationMs: number;
  /** undefined: 10% of the time retention, at most 31 days. */
  maxBlockDurationMs: number | undefined;
  /** 0: the TSDB's default. */
  walSegmentSizeBytes: number;
  /** --scrape.adjust-timestamps and --scrape.timestamp-tolerance. */
  scrapeTimestampToleranceMs: number;
  discoveryReloadIntervalMs: number;
  /** --web.enable-remote-write-receiver and the messages it accepts. */
  remoteWriteReceiver: boolean;
  remoteWriteMessages: string[];
  /** --storage.remote.flush-deadline */
  remoteFlushDeadlineMs: number;
  /** --storage.remote.read-* */
  remoteReadSampleLimit: number;
  remoteReadConcurrentLimit: number;
  remoteReadMaxBytesInFrame: number;
  /** --rules.alert.* */
  forOutageToleranceMs: number;
  forGracePeriodMs: number;
  resendDelayMs: number;
  /** --alertmanager.* */
  notificationQueueCapacity: number;
  notificationBatchSize: number;
  drainNotificationQueue: boolean;
  /** Flags given on the command line that have no effect in Promethium, with the reason. */
  noEffect: Array<{ flag: string; reason: string }>;
}

/** Server-only flags given with --agent, or agent-only flags without it: Prometheus exits with 3. */
export class FlagModeError extends Error {}

/** Splits "host:port" (also "[::1]:9090" and ":9090"), as Go's net.SplitHostPort does. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (m === null)
    throw new FlagError(`invalid value "${address}" for flag '--web.listen-address': expected host:port`);
  const port = Number(m[3]);
  if (port > 65535)
    throw new FlagError(`invalid value "${address}" for flag '--web.listen-address': port out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function serverOptions(flags: ParsedFlags): ServerOptions {
  const v = flags.values;
  const str = (n: string): string => v.get(n) as string;
  const num = (n: string): number => v.get(n) as number;
  const bool = (n: string): boolean => v.get(n) as boolean;

  const { host, port } = splitHostPort(str('web.listen-address'));
  for (const n of ['query.max-samples', 'query.max-concurrency', 'web.max-connections']) {
    if (num(n) < 0) throw new FlagError(`invalid value "${num(n)}" for flag '--${n}': must not be negative`);
  }
  const agent = bool('agent');
  const given = SERVER_FLAGS.filter((f) => flags.explicit.has(f.name));
  const wrongMode = given.filter((f) => f.mode !== undefined && f.mode !== (agent ? 'agent' : 'server'));
  if (wrongMode.length > 0) {
    const names = wrongMode.map((f) => `"--${f.name}"`).join(' ');
    throw new FlagModeError(
      agent
        ? `The following flag(s) can not be used in agent mode: [${names}]`
        : `The following flag(s) can only be used in agent mode: [${names}]`,
    );
  }
  const segmentFlag = agent ? 'storage.agent.wal-segment-size' : 'storage.tsdb.wal-segment-size';
  const walSegmentSizeBytes = v.has(segmentFlag) ? num(segmentFlag) : 0;
  if (
    walSegmentSizeBytes !== 0 &&
    (walSegmentSizeBytes < 10 * 2 ** 20 || walSegmentSizeBytes > 256 * 2 ** 20)
  ) {
    throw new FlagError(`flag '${segmentFlag}' must be set between 10MB and 256MB`);
  }

  // As Prometheus: the external URL defaults to http://<hostname>:<port>/; the route prefix to its path.
  const external = v.has('web.external-url') && str('web.external-url') !== '' ? str('web.external-url') : '';
  const externalUrl = new URL(external !== '' ? external : `http://${os.hostname()}:${port}/`);
  let routePrefix = v.has('web.route-prefix') ? str('web.route-prefix') : externalUrl.pathname;
  routePrefix = '/' + routePrefix.replace(/^\/+|\/+$/g, '');

  let retentionTimeMs = v.has('storage.tsdb.retention.time') ? num('storage.tsdb.retention.time') : 0;
  const retentionSizeBytes = v.has('storage.tsdb.retention.size') ? num('storage.tsdb.retention.size') : 0;
  if (retentionTimeMs === 0 && retentionSizeBytes === 0) retentionTimeMs = DEFAULT_RETENTION_MS;

  return {
    configFile: str('config.file'),
    configFileExplicit: flags.explicit.has('config.file'),
    listenHost: host,
    listenPort: port,
    externalUrl,
    externalUrlExplicit: external !== '',
    routePrefix,
    enableLifecycle: bool('web.enable-lifecycle'),
    enableAdminApi: bool('web.enable-admin-api'),
    webConfigFile: v.has('web.config.file') ? str('web.config.file') : '',
    corsOrigin: str('web.cors.origin'),
    readTimeoutMs: num('web.read-timeout'),
    maxConnections: num('web.max-connections'),
    pageTitle: str('web.page-title'),
    agent,
    // the agent keeps its WAL where Prometheus's agent does, truncated by its retention's bounds
    storagePath: agent ? str('storage.agent.path') : str('storage.tsdb.path'),
    retentionTimeMs: agent ? num('storage.agent.retention.max-time') : retentionTimeMs,
    // Prometheus's agent: a truncate frequency of 0 means its default, 2h
    agentTruncateFrequencyMs: num('storage.agent.wal-truncate-frequency') || 2 * 3600_000,
    agentMinWalTimeMs: num('storage.agent.retention.min-time'),
    retentionSizeBytes: agent ? 0 : retentionSizeBytes,
    noLockfile: agent ? bool('storage.agent.no-lockfile') : bool('storage.tsdb.no-lockfile'),
    queryTimeoutMs: num('query.timeout'),
    queryMaxSamples: num('query.max-samples'),
    lookbackDeltaMs: num('query.lookback-delta'),
    queryMaxConcurrency: num('query.max-concurrency'),
    features: v.get('enable-feature') as string[],
    logLevel: str('log.level') as LogLevel,
    logFormat: str('log.format') as LogFormat,
    autoReload: bool('config.auto-reload'),
    autoReloadIntervalMs: Math.max(1000, num('config.auto-reload-interval')),
    userAssetsPath: v.has('web.user-assets') ? str('web.user-assets') : '',
    minBlockDurationMs: num('storage.tsdb.min-block-duration'),
    maxBlockDurationMs: v.has('storage.tsdb.max-block-duration')
      ? num('storage.tsdb.max-block-duration')
      : undefined,
    walSegmentSizeBytes,
    scrapeTimestampToleranceMs: bool('scrape.adjust-timestamps') ? num('scrape.timestamp-tolerance') : -1,
    discoveryReloadIntervalMs: num('scrape.discovery-reload-interval'),
    remoteWriteReceiver: bool('web.enable-remote-write-receiver'),
    remoteWriteMessages: v.get('web.remote-write-receiver.accepted-protobuf-messages') as string[],
    remoteFlushDeadlineMs: num('storage.remote.flush-deadline'),
    remoteReadSampleLimit: num('storage.remote.read-sample-limit'),
    remoteReadConcurrentLimit: num('storage.remote.read-concurrent-limit'),
    remoteReadMaxBytesInFrame: num('storage.remote.read-max-bytes-in-frame'),
    forOutageToleranceMs: num('rules.alert.for-outage-tolerance'),
    forGracePeriodMs: num('rules.alert.for-grace-period'),
    resendDelayMs: num('rules.alert.resend-delay'),
    notificationQueueCapacity: num('alertmanager.notification-queue-capacity'),
    notificationBatchSize: num('alertmanager.notification-batch-size'),
    drainNotificationQueue: bool('alertmanager.drain-notification-queue-on-shutdown'),
    noEffect: given.flatMap((f) => (f.noEffect !== undefined ? [{ flag: f.name, reason: f.noEffect }] : [])),
  };
}
