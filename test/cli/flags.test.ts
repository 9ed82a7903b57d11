import { describe, expect, it } from 'vitest';
import { FlagError, formatHelp, parseFlags } from '../../src/cli/flags.js';
import {
  DEFAULT_RETENTION_MS,
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

  it('rejects a bad listen address and features not supported yet', () => {
    expect(() => serverOptions(parse('--web.listen-address=nowhere'))).toThrowError('expected host:port');
    expect(() => serverOptions(parse('--web.enable-remote-write-receiver'))).toThrowError(
      'not supported yet',
    );
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

  it('lists every flag in --help with its default', () => {
    const help = formatHelp('promethium', 'summary', SERVER_FLAGS);
    for (const spec of SERVER_FLAGS)
      expect(help).toContain(`--${spec.kind === 'bool' ? '[no-]' : ''}${spec.name}`);
    expect(help).toContain('(default: 0.0.0.0:9090)');
    expect(parse('--help').help).toBe(true);
    expect(parse('-h').help).toBe(true);
  });
});
