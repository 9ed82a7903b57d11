import { describe, expect, it } from 'vitest';
import { FlagError, formatHelp, parseFlags } from '../../src/cli/flags.js';
import {
  DEFAULT_RETENTION_MS,
  FlagModeError,
  SERVER_FLAGS,
  serverOptions,
  splitHostPort,
} from '../../src/cli/server-flags.js';

const parse = (...argv: string[]) => parseFlags(SERVER_FLAGS, argv);

describe('server flags', () => {
  it('applies Prometheus defaults', () => {
    const opts = serverOptions(parse());
    expect(opts).toMatchObject({
      configFile: 'prometheus.yml',
      configFileExplicit: false,
      listenHost: '0.0.0.0',
      listenPort: 9090,
      routePrefix: '/',
      enableLifecycle: false,
      enableAdminApi: false,
      corsOrigin: '.*',
      storagePath: 'data/',
      retentionTimeMs: DEFAULT_RETENTION_MS,
      retentionSizeBytes: 0,
      queryTimeoutMs: 120_000,
      queryMaxSamples: 50_000_000,
      lookbackDeltaMs: 300_000,
      queryMaxConcurrency: 20,
      features: [],
      logLevel: 'info',
      logFormat: 'logfmt',
    });
  });

  it('accepts --flag=value and --flag value alike', () => {
    const a = serverOptions(parse('--config.file=/etc/p.yml', '--query.timeout=30s'));
    const b = serverOptions(parse('--config.file', '/etc/p.yml', '--query.timeout', '30s'));
    expect(a.configFile).toBe('/etc/p.yml');
    expect(a.configFileExplicit).toBe(true);
    expect(a.queryTimeoutMs).toBe(30_000);
    expect(b).toEqual(a);
  });

  it('reads booleans as --flag, --flag=false and --no-flag', () => {
    expect(serverOptions(parse('--web.enable-lifecycle')).enableLifecycle).toBe(true);
    expect(serverOptions(parse('--web.enable-lifecycle=false')).enableLifecycle).toBe(false);
    expect(serverOptions(parse('--web.enable-admin-api', '--no-web.enable-admin-api')).enableAdminApi).toBe(
      false,
    );
    // a boolean never swallows the next argument
    expect(serverOptions(parse('--web.enable-lifecycle', '--log.level=debug')).logLevel).toBe('debug');
  });

  it('collects repeated and comma-separated --enable-feature values', () => {
    const opts = serverOptions(
      parse('--enable-feature=promql-experimental-functions,exemplar-storage', '--enable-feature', 'old-ui'),
    );
    expect(opts.features).toEqual(['promql-experimental-functions', 'exemplar-storage', 'old-ui']);
  });

  it('keeps time retention at 15d only when neither retention flag is set', () => {
    expect(serverOptions(parse('--storage.tsdb.retention.time=2w')).retentionTimeMs).toBe(14 * 86_400_000);
    const sized = serverOptions(parse('--storage.tsdb.retention.size=512MB'));
    expect(sized.retentionSizeBytes).toBe(512 * 1024 * 1024);
    expect(sized.retentionTimeMs).toBe(0);
  });

  it('derives the route prefix from --web.external-url unless given', () => {
    expect(serverOptions(parse('--web.external-url=http://example.com/prom/')).routePrefix).toBe('/prom');
    expect(
      serverOptions(parse('--web.external-url=http://example.com/prom/', '--web.route-prefix=/')).routePrefix,
    ).toBe('/');
    expect(serverOptions(parse('--web.route-prefix=api/')).routePrefix).toBe('/api');
  });

  it.each([
    [['--no-such-flag'], "unknown long flag '--no-such-flag'"],
    [['--query.timeout=5'], 'invalid value "5" for flag \'--query.timeout\''],
    [['--query.max-samples=lots'], 'invalid value "lots" for flag \'--query.max-samples\''],
    [['--log.level=loud'], 'expected one of debug, info, warn, error'],
    [['--log.format=xml'], 'expected one of logfmt, json'],
    [['--storage.tsdb.retention.size=12'], "'--storage.tsdb.retention.size'"],
    [['--web.cors.origin=('], "'--web.cors.origin'"],
    [['--web.external-url=ftp://x/'], 'scheme must be http or https'],
    [['--config.file'], "expected argument for flag '--config.file'"],
    [['stray'], "unexpected argument 'stray'"],
    [['--web.enable-lifecycle=yes'], 'expected true or false'],
  ])('rejects %j', (argv, message) => {
    expect(() => serverOptions(parse(...argv))).toThrowError(FlagError);
    expect(() => serverOptions(parse(...argv))).toThrowError(message);
  });

  it('rejects a bad listen address', () => {
    expect(() => serverOptions(parse('--web.listen-address=nowhere'))).toThrowError('expected host:port');
  });

  it('takes --web.config.file as a path', () => {
    expect(serverOptions(parse('--web.config.file=web.yml')).webConfigFile).toBe('web.yml');
    expect(serverOptions(parse()).webConfigFile).toBe('');
  });

  it('splits host and port like Go', () => {
    expect(splitHostPort(':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('shows every flag as text for /api/v1/status/flags', () => {
    const text = parse('--query.lookback-delta=90s').asText;
    expect(text['query.lookback-delta']).toBe('1m30s');
    expect(text['web.listen-address']).toBe('0.0.0.0:9090');
    expect(text['web.enable-lifecycle']).toBe('false');
    expect(Object.keys(text)).toHaveLength(SERVER_FLAGS.length);
  });

  it('lists every flag but the hidden ones in --help with its default', () => {
    const help = formatHelp('promethium', 'summary', SERVER_FLAGS);
    const heads = new Set(help.split('\n').map((l) => l.trim().split(/[ =]/)[0]));
    for (const spec of SERVER_FLAGS) {
      const head = `--${spec.kind === 'bool' ? '[no-]' : ''}${spec.name}`;
      expect(heads.has(head), head).toBe(spec.hidden !== true);
    }
    expect(help).toContain(
      'Path to the console library directory. [No effect in Promethium: Promethium serves no console templates.]',
    );
    expect(help).toContain('Use with agent mode only.');
    expect(help).toContain('(default: 0.0.0.0:9090)');
    expect(parse('--help').help).toBe(true);
    expect(parse('-h').help).toBe(true);
  });
});

/**
 * Every flag of Prometheus 3.14's `prometheus` (cmd/prometheus/main.go, hidden ones included), each
 * with a value of its type: a command line written for Prometheus must start Promethium.
 */
const PROMETHEUS_3_14_FLAGS: Array<[string, string | undefined]> = [
  ['config.file', 'p.yml'],
  ['config.auto-reload', undefined],
  ['config.auto-reload-interval', '10s'],
  ['web.listen-address', '127.0.0.1:9090'],
  ['auto-gomaxprocs', undefined],
  ['auto-gomemlimit', undefined],
  ['auto-gomemlimit.ratio', '0.8'],
  ['auto-gomemlimit.refresh-interval', '1m'],
  ['web.config.file', 'web.yml'],
  ['web.read-timeout', '1m'],
  ['web.max-connections', '100'],
  ['web.max-notifications-subscribers', '4'],
  ['web.external-url', 'http://example.com/'],
  ['web.route-prefix', '/'],
  ['web.user-assets', '/srv/assets'],
  ['web.enable-lifecycle', undefined],
  ['web.enable-admin-api', undefined],
  ['web.enable-remote-write-receiver', undefined],
  ['web.remote-write-receiver.accepted-protobuf-messages', 'prometheus.WriteRequest'],
  ['web.enable-otlp-receiver', undefined],
  ['web.console.templates', '/usr/share/prometheus/consoles'],
  ['web.console.libraries', '/usr/share/prometheus/console_libraries'],
  ['web.page-title', 'Mine'],
  ['web.cors.origin', 'https?://x\\.com'],
  ['storage.tsdb.path', '/prometheus'],
  ['storage.tsdb.min-block-duration', '2h'],
  ['storage.tsdb.max-block-duration', '2h'],
  ['storage.tsdb.max-block-chunk-segment-size', '512MB'],
  ['storage.tsdb.wal-segment-size', '128MB'],
  ['storage.tsdb.retention.time', '30d'],
  ['storage.tsdb.retention.size', '10GB'],
  ['storage.tsdb.no-lockfile', undefined],
  ['storage.tsdb.allow-overlapping-compaction', undefined],
  ['storage.tsdb.wal-compression', undefined],
  ['storage.tsdb.wal-compression-type', 'zstd'],
  ['storage.tsdb.head-chunks-write-queue-size', '0'],
  ['storage.tsdb.samples-per-chunk', '120'],
  ['storage.tsdb.delayed-compaction.max-percent', '10'],
  ['storage.tsdb.delay-compact-file.path', '/tmp/thanos.shipper.json'],
  ['storage.tsdb.block-reload-interval', '1m'],
  ['storage.agent.path', 'data-agent/'],
  ['storage.agent.wal-segment-size', '64MB'],
  ['storage.agent.wal-compression', undefined],
  ['storage.agent.wal-compression-type', 'snappy'],
  ['storage.agent.wal-truncate-frequency', '2h'],
  ['storage.agent.retention.min-time', '5m'],
  ['storage.agent.retention.max-time', '4h'],
  ['storage.agent.checkpoint-from-in-memory-series', undefined],
  ['storage.agent.checkpoint-batch-size', '1000'],
  ['storage.agent.no-lockfile', undefined],
  ['storage.remote.flush-deadline', '1m'],
  ['storage.remote.read-sample-limit', '50000000'],
  ['storage.remote.read-concurrent-limit', '10'],
  ['storage.remote.read-max-bytes-in-frame', '1048576'],
  ['web.search.max-limit', '10000'],
  ['rules.alert.for-outage-tolerance', '1h'],
  ['rules.alert.for-grace-period', '10m'],
  ['rules.alert.resend-delay', '1m'],
  ['rules.max-concurrent-evals', '4'],
  ['scrape.adjust-timestamps', undefined],
  ['scrape.timestamp-tolerance', '2ms'],
  ['alertmanager.notification-queue-capacity', '10000'],
  ['alertmanager.notification-batch-size', '256'],
  ['alertmanager.drain-notification-queue-on-shutdown', undefined],
  ['query.lookback-delta', '5m'],
  ['query.timeout', '2m'],
  ['query.max-concurrency', '20'],
  ['query.max-samples', '50000000'],
  ['scrape.discovery-reload-interval', '5s'],
  ['enable-feature', 'exemplar-storage'],
  ['agent', undefined],
  ['log.level', 'info'],
  ['log.format', 'logfmt'],
  ['write-documentation', undefined],
];

describe("Prometheus 3.14's command line", () => {
  it.each(PROMETHEUS_3_14_FLAGS)('accepts --%s', (name, value) => {
    const spec = SERVER_FLAGS.find((f) => f.name === name);
    expect(spec, `--${name} is unknown`).toBeDefined();
    const parsed = parse(value === undefined ? `--${name}` : `--${name}=${value}`);
    expect(parsed.explicit.has(name)).toBe(true);
  });

  it('knows no flag Prometheus does not have', () => {
    expect(SERVER_FLAGS.map((f) => f.name).sort()).toEqual(PROMETHEUS_3_14_FLAGS.map(([n]) => n).sort());
  });

  it('starts from server-mode flags, reporting the ones without effect', () => {
    const server = PROMETHEUS_3_14_FLAGS.filter(([n]) => {
      const spec = SERVER_FLAGS.find((f) => f.name === n)!;
      return spec.mode !== 'agent' && n !== 'agent' && n !== 'write-documentation';
    });
    const opts = serverOptions(
      parse(...server.map(([n, v]) => (v === undefined ? `--${n}` : `--${n}=${v}`))),
    );
    expect(opts.noEffect.map((e) => e.flag)).toEqual(
      expect.arrayContaining(['web.console.templates', 'auto-gomaxprocs', 'rules.max-concurrent-evals']),
    );
    expect(opts.noEffect.map((e) => e.flag)).not.toContain('storage.tsdb.min-block-duration');
    expect(opts.noEffect.map((e) => e.flag)).not.toContain('rules.alert.resend-delay');
    expect(opts).toMatchObject({
      autoReload: true,
      autoReloadIntervalMs: 10_000,
      userAssetsPath: '/srv/assets',
      minBlockDurationMs: 2 * 3_600_000,
      maxBlockDurationMs: 2 * 3_600_000,
      walSegmentSizeBytes: 128 * 2 ** 20,
      scrapeTimestampToleranceMs: 2,
      discoveryReloadIntervalMs: 5_000,
    });
    expect(serverOptions(parse('--no-scrape.adjust-timestamps')).scrapeTimestampToleranceMs).toBe(-1);
    expect(serverOptions(parse('--config.auto-reload-interval=100ms')).autoReloadIntervalMs).toBe(1_000);
  });

  it("refuses flags of the other mode as Prometheus does (exit 3's message)", () => {
    expect(() => serverOptions(parse('--storage.agent.path=x', '--storage.agent.no-lockfile'))).toThrowError(
      new FlagModeError(
        'The following flag(s) can only be used in agent mode: ["--storage.agent.path" "--storage.agent.no-lockfile"]',
      ),
    );
    expect(() => serverOptions(parse('--agent', '--storage.tsdb.path=x'))).toThrowError(
      'The following flag(s) can not be used in agent mode: ["--storage.tsdb.path"]',
    );
    const agent = serverOptions(
      parse('--agent', '--storage.agent.path=x', '--storage.agent.wal-compression'),
    );
    expect(agent).toMatchObject({ agent: true, storagePath: 'x', retentionTimeMs: 4 * 3_600_000 });
    expect(agent.noEffect.map((e) => e.flag)).toEqual(['storage.agent.wal-compression']);
  });

  it('checks values as Prometheus does', () => {
    expect(() => serverOptions(parse('--storage.tsdb.wal-segment-size=1MB'))).toThrowError(
      "flag 'storage.tsdb.wal-segment-size' must be set between 10MB and 256MB",
    );
    expect(() => parse('--web.remote-write-receiver.accepted-protobuf-messages=foo')).toThrowError(
      'expected one of prometheus.WriteRequest, io.prometheus.write.v2.Request',
    );
    expect(() => parse('--storage.tsdb.wal-compression-type=lz4')).toThrowError(
      'expected one of snappy, zstd',
    );
    expect(() => parse('--auto-gomemlimit.ratio=much')).toThrowError('expected a number');
  });
});
