// The `promethium` server's flags: Prometheus 3.x names, meanings and defaults.
import { FlagError, type FlagSpec, type ParsedFlags } from './flags.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/logger.js';

export const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

/** Feature names Prometheus 3.x accepts for --enable-feature; others are logged as unknown, as Prometheus does. */
export const KNOWN_FEATURES: readonly string[] = [
  'exemplar-storage',
  'expand-external-labels',
  'memory-snapshot-on-shutdown',
  'extra-scrape-metrics',
  'auto-gomaxprocs',
  'auto-gomemlimit',
  'auto-reload-config',
  'concurrent-rule-eval',
  'created-timestamp-zero-ingestion',
  'delayed-compaction',
  'native-histograms',
  'old-ui',
  'otlp-deltatocumulative',
  'otlp-native-delta-ingestion',
  'promql-experimental-functions',
  'promql-delayed-name-removal',
  'promql-duration-expr',
  'promql-extended-range-selectors',
  'promql-binop-fill-modifiers',
  'promql-per-step-stats',
  'type-and-unit-labels',
  'use-uncached-io',
  'metadata-wal-records',
  'xor2-encoding',
];

export const SERVER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'config.file',
    kind: 'string',
    default: 'prometheus.yml',
    placeholder: 'CONFIG.FILE',
    help: 'Prometheus configuration file path. Without the flag and without ./prometheus.yml, an embedded default that scrapes this server is used.',
  },
  {
    name: 'web.listen-address',
    kind: 'string',
    default: '0.0.0.0:9090',
    placeholder: 'WEB.LISTEN-ADDRESS',
    help: 'Address to listen on for UI, API, and telemetry.',
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
    help: 'Enable API endpoint accepting remote write requests. (Not supported yet: enabling it is an error.)',
  },
  {
    name: 'web.config.file',
    kind: 'string',
    placeholder: '""',
    help: '[EXPERIMENTAL] Path to configuration file that can enable TLS or authentication.',
  },
  {
    name: 'web.cors.origin',
    kind: 'regex',
    default: '.*',
    placeholder: '".*"',
    help: "Regex for CORS origin. It is fully anchored. Example: 'https?://(domain1|domain2)\\.com'",
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
    name: 'web.page-title',
    kind: 'string',
    default: 'Promethium Time Series Collection and Processing Server',
    placeholder: '"Promethium Time Series Collection and Processing Server"',
    help: 'Document title of Promethium instance.',
  },
  {
    name: 'storage.tsdb.path',
    kind: 'string',
    default: 'data/',
    placeholder: '"data/"',
    help: 'Base path for metrics storage.',
  },
  {
    name: 'storage.tsdb.retention.time',
    kind: 'duration',
    placeholder: '<duration>',
    shownDefault: '0s',
    help: 'How long to retain samples in storage. If neither this flag nor "storage.tsdb.retention.size" is set, the retention time defaults to 15d. Units Supported: y, w, d, h, m, s, ms.',
  },
  {
    name: 'storage.tsdb.retention.size',
    kind: 'bytes',
    placeholder: '<size>',
    shownDefault: '0B',
    help: 'Maximum number of bytes that can be stored for blocks. A unit is required, supported units: B, KB, MB, GB, TB, PB, EB. Ex: "512MB". Based on powers-of-2, so 1KB is 1024B.',
  },
  {
    name: 'storage.tsdb.no-lockfile',
    kind: 'bool',
    default: 'false',
    help: 'Do not create lockfile in data directory.',
  },
  {
    name: 'query.timeout',
    kind: 'duration',
    default: '2m',
    placeholder: '2m',
    help: 'Maximum time a query may take before being aborted.',
  },
  {
    name: 'query.max-samples',
    kind: 'int',
    default: '50000000',
    placeholder: '50000000',
    help: 'Maximum number of samples a single query can load into memory. Note that queries will fail if they try to load more samples than this into memory, so this also limits the number of samples a query can return.',
  },
  {
    name: 'query.lookback-delta',
    kind: 'duration',
    default: '5m',
    placeholder: '5m',
    help: 'The maximum lookback duration for retrieving metrics during expression evaluations and federation.',
  },
  {
    name: 'query.max-concurrency',
    kind: 'int',
    default: '20',
    placeholder: '20',
    help: 'Maximum number of queries executed concurrently.',
  },
  {
    name: 'enable-feature',
    kind: 'list',
    placeholder: '<feature>',
    help: `Comma separated feature names to enable. Valid options: ${KNOWN_FEATURES.join(', ')}. See https://prometheus.io/docs/prometheus/latest/feature_flags/ for more details.`,
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
];

/** The server's settings, typed, derived from parsed flags. */
export interface ServerOptions {
  configFile: string;
  /** False when --config.file was not given: a missing ./prometheus.yml then means the embedded default. */
  configFileExplicit: boolean;
  listenHost: string;
  listenPort: number;
  externalUrl: URL;
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
}

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
  if (bool('web.enable-remote-write-receiver')) {
    throw new FlagError('--web.enable-remote-write-receiver: the remote write receiver is not supported yet');
  }

  // As Prometheus: the external URL defaults to http://<hostname>:<port>/; the route prefix to its path.
  const external = v.has('web.external-url') && str('web.external-url') !== '' ? str('web.external-url') : '';
  const externalUrl = new URL(
    external !== '' ? external : `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`,
  );
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
    routePrefix,
    enableLifecycle: bool('web.enable-lifecycle'),
    enableAdminApi: bool('web.enable-admin-api'),
    webConfigFile: v.has('web.config.file') ? str('web.config.file') : '',
    corsOrigin: str('web.cors.origin'),
    readTimeoutMs: num('web.read-timeout'),
    maxConnections: num('web.max-connections'),
    pageTitle: str('web.page-title'),
    storagePath: str('storage.tsdb.path'),
    retentionTimeMs,
    retentionSizeBytes,
    noLockfile: bool('storage.tsdb.no-lockfile'),
    queryTimeoutMs: num('query.timeout'),
    queryMaxSamples: num('query.max-samples'),
    lookbackDeltaMs: num('query.lookback-delta'),
    queryMaxConcurrency: num('query.max-concurrency'),
    features: v.get('enable-feature') as string[],
    logLevel: str('log.level') as LogLevel,
    logFormat: str('log.format') as LogFormat,
  };
}
