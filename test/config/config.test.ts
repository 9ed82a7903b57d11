// Table tests for loading: defaults and inheritance, error positions, relabel checks, unsupported
// features, scrape_config_files and rule_files globbing, and the embedded default config.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfigYaml,
  expandRuleFiles,
  loadConfigFile,
  parseConfig,
  movedBearerTokenFile,
} from '../../src/config/index.js';

const BASE = '/etc/prometheus';
const parse = (text: string) => parseConfig(text, 'prometheus.yml', BASE);

function errorOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('config loaded, but it must be rejected');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

describe('defaults and inheritance', () => {
  it('fills Prometheus defaults into an empty config', () => {
    const cfg = parse('');
    expect(cfg.global).toMatchObject({
      scrape_interval: 60_000,
      scrape_timeout: 10_000,
      evaluation_interval: 60_000,
      metric_name_validation_scheme: 'utf8',
      scrape_native_histograms: false,
    });
    expect(cfg.runtime.gogc).toBe(75);
    expect(cfg.storage.exemplars).toEqual({ max_exemplars: 100_000 });
    expect(cfg.otlp.translation_strategy).toBe('UnderscoreEscapingWithSuffixes');
    expect(cfg.scrape_configs).toEqual([]);
  });

  it.each([
    ['global interval only', '15s', undefined, undefined, undefined, 15_000, 10_000],
    ['global interval below default timeout', '5s', undefined, undefined, undefined, 5_000, 5_000],
    ['job interval overrides', '15s', undefined, '30s', undefined, 30_000, 10_000],
    ['job interval below global timeout', '15s', '12s', '5s', undefined, 5_000, 5_000],
    ['job timeout', '15s', undefined, '20s', '20s', 20_000, 20_000],
  ])('%s', (_name, gInterval, gTimeout, jInterval, jTimeout, interval, timeout) => {
    const global = [`  scrape_interval: ${gInterval}`, gTimeout ? `  scrape_timeout: ${gTimeout}` : ''].join(
      '\n',
    );
    const job = [
      jInterval ? `    scrape_interval: ${jInterval}` : '',
      jTimeout ? `    scrape_timeout: ${jTimeout}` : '',
    ].join('\n');
    const cfg = parse(`global:\n${global}\nscrape_configs:\n  - job_name: a\n${job}\n`);
    expect(cfg.scrape_configs[0].scrape_interval).toBe(interval);
    expect(cfg.scrape_configs[0].scrape_timeout).toBe(timeout);
  });

  it('gives every job the scrape defaults and the global limits', () => {
    const cfg = parse(`
global:
  body_size_limit: 10MB
  sample_limit: 100
  label_limit: 7
scrape_configs:
  - job_name: node
    sample_limit: 5
    static_configs: [{ targets: ['a:1'] }]
`);
    const job = cfg.scrape_configs[0];
    expect(job).toMatchObject({
      metrics_path: '/metrics',
      scheme: 'http',
      honor_timestamps: true,
      honor_labels: false,
      enable_compression: true,
      follow_redirects: true,
      enable_http2: true,
      body_size_limit: 10 * 1024 * 1024,
      sample_limit: 5,
      label_limit: 7,
      scrape_native_histograms: false,
      always_scrape_classic_histograms: false,
      convert_classic_histograms_to_nhcb: false,
      extra_scrape_metrics: false,
      metric_name_validation_scheme: 'utf8',
      metric_name_escaping_scheme: 'allow-utf-8',
      scrape_protocols: [
        'OpenMetricsText1.0.0',
        'OpenMetricsText0.0.1',
        'PrometheusText1.0.0',
        'PrometheusText0.0.4',
      ],
    });
    expect(job.static_configs).toEqual([{ targets: ['a:1'], labels: {} }]);
  });

  it('derives the escaping scheme from a legacy validation scheme', () => {
    const cfg = parse('scrape_configs:\n  - job_name: a\n    metric_name_validation_scheme: legacy\n');
    expect(cfg.scrape_configs[0].metric_name_escaping_scheme).toBe('underscores');
  });

  it('resolves paths against the config directory and moves bearer_token into authorization', () => {
    const cfg = parse(`
rule_files: ['rules/*.yml', '/abs/r.yml']
scrape_configs:
  - job_name: a
    bearer_token_file: token
    tls_config: { ca_file: ca.pem }
    file_sd_configs: [{ files: ['sd/*.json'] }]
`);
    expect(cfg.rule_files).toEqual([`${BASE}/rules/*.yml`, '/abs/r.yml']);
    const job = cfg.scrape_configs[0];
    expect(job.authorization).toMatchObject({ type: 'Bearer', credentials_file: `${BASE}/token` });
    expect(job.bearer_token_file).toBe('');
    expect(job.tls_config.ca_file).toBe(`${BASE}/ca.pem`);
    expect(job.file_sd_configs[0]).toEqual({ files: [`${BASE}/sd/*.json`], refresh_interval: 300_000 });
    expect(movedBearerTokenFile(job.authorization!)).toBe(true);
  });

  it('expands environment variables in external labels, $$ being a literal $', () => {
    process.env.PROMETHIUM_TEST_ENV = 'x';
    const cfg = parse('global:\n  external_labels:\n    a: ${PROMETHIUM_TEST_ENV}\n    b: p$$q\n');
    expect(cfg.global.external_labels).toEqual({ a: 'x', b: 'p$q' });
  });

  it('loads the embedded default config', () => {
    const cfg = parse(defaultConfigYaml('localhost:9090'));
    expect(cfg.global.scrape_interval).toBe(15_000);
    expect(cfg.global.evaluation_interval).toBe(15_000);
    expect(cfg.scrape_configs).toHaveLength(1);
    expect(cfg.scrape_configs[0].job_name).toBe('prometheus');
    expect(cfg.scrape_configs[0].static_configs[0].targets).toEqual(['localhost:9090']);
  });
});

describe('errors name file, line, column and field', () => {
  it.each([
    {
      name: 'timeout greater than interval',
      text: 'scrape_configs:\n  - job_name: node\n    scrape_interval: 5s\n    scrape_timeout: 6s\n',
      message:
        'prometheus.yml:4:5: scrape_configs[0].scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "node"',
    },
    {
      name: 'duplicate job',
      text: 'scrape_configs:\n  - job_name: a\n  - job_name: b\n  - job_name: a\n',
      message:
        'prometheus.yml:4:5: scrape_configs[2].job_name: found multiple scrape configs with job name "a"',
    },
    {
      name: 'unknown field',
      text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - sourcelabels: [a]\n',
      message:
        'prometheus.yml:4:9: scrape_configs[0].relabel_configs[0].sourcelabels: field sourcelabels not found in type relabel.Config',
    },
    {
      name: 'duplicate key',
      text: 'global:\n  scrape_interval: 1m\n  scrape_interval: 2m\n',
      message: 'prometheus.yml:3:3: global.scrape_interval: mapping key already defined',
    },
    {
      name: 'wrong type',
      text: 'scrape_configs:\n  - job_name: a\n    sample_limit: lots\n',
      message: 'prometheus.yml:3:19: scrape_configs[0].sample_limit: cannot unmarshal !!str `lots` into uint',
    },
    {
      name: 'bad duration',
      text: 'global:\n  scrape_interval: 1x\n',
      message: 'prometheus.yml:2:20: global.scrape_interval: not a valid duration string: "1x"',
    },
  ])('$name', ({ text, message }) => {
    const err = errorOf(text);
    expect(err.message).toBe(message);
    expect(err.file).toBe('prometheus.yml');
  });
});

describe('relabel validation', () => {
  const rule = (body: string) => `scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - ${body}\n`;
  it.each([
    ['regex: "abc(def"', 'scrape_configs[0].relabel_configs[0].regex', 'missing closing )'],
    [
      '{action: hashmod, target_label: x}',
      'scrape_configs[0].relabel_configs[0].modulus',
      'requires non-zero modulus',
    ],
    [
      '{action: replace}',
      'scrape_configs[0].relabel_configs[0].target_label',
      "replace action requires 'target_label'",
    ],
    ['{action: explode}', 'scrape_configs[0].relabel_configs[0].action', 'unknown relabel action "explode"'],
    ['{action: labeldrop, separator: ","}', 'scrape_configs[0].relabel_configs[0]', "requires only 'regex'"],
    [
      '{action: keepequal, target_label: a, regex: x}',
      'scrape_configs[0].relabel_configs[0]',
      "requires only 'source_labels'",
    ],
    [
      '{action: lowercase, target_label: a, replacement: x}',
      'scrape_configs[0].relabel_configs[0].replacement',
      "'replacement' can not be set",
    ],
  ])('%s', (body, field, reason) => {
    const err = errorOf(rule(body));
    expect(err.field).toBe(field);
    expect(err.reason).toContain(reason);
  });

  it('applies the legacy name rules when the job asks for them', () => {
    const text =
      'scrape_configs:\n  - job_name: a\n    metric_name_validation_scheme: legacy\n    relabel_configs:\n      - {target_label: "a.b"}\n';
    expect(errorOf(text).reason).toBe(`"a.b" is invalid 'target_label' for replace action`);
    expect(() => parse(text.replace('    metric_name_validation_scheme: legacy\n', ''))).not.toThrow();
  });

  it('accepts action names in any case and keeps the defaults', () => {
    const cfg = parse(rule('{action: Keep, source_labels: [a]}'));
    expect(cfg.scrape_configs[0].relabel_configs[0]).toEqual({
      source_labels: ['a'],
      separator: ';',
      regex: '(.*)',
      modulus: 0,
      target_label: '',
      replacement: '$1',
      action: 'keep',
    });
  });
});

describe('scrape protocols', () => {
  it('takes PrometheusProto in scrape_protocols and as fallback_scrape_protocol', () => {
    const cfg = parse(
      'global:\n  scrape_protocols: [PrometheusProto, PrometheusText0.0.4]\nscrape_configs:\n  - job_name: a\n    fallback_scrape_protocol: PrometheusProto\n',
    );
    expect(cfg.scrape_configs[0].scrape_protocols).toEqual(['PrometheusProto', 'PrometheusText0.0.4']);
    expect(cfg.scrape_configs[0].fallback_scrape_protocol).toBe('PrometheusProto');
  });
});

describe('storage.tsdb', () => {
  it('takes out_of_order_time_window (out-of-order ingestion)', () => {
    const cfg = parse('storage:\n  tsdb:\n    out_of_order_time_window: 10m\n');
    expect(cfg.storage.tsdb?.out_of_order_time_window).toBe(600_000);
  });
});

describe('not supported yet', () => {
  it.each([
    [
      'scrape_configs:\n  - job_name: a\n    consul_sd_configs: [{server: x}]\n',
      'scrape_configs[0].consul_sd_configs',
      3,
    ],
    ['remote_write:\n  - url: http://x/write\n    sigv4: {region: eu}\n', 'remote_write[0].sigv4', 3],
    [
      'remote_write:\n  - url: http://x/write\n    oauth2: {client_id: a, client_secret: b, token_url: http://t/}\n',
      'remote_write[0].oauth2',
      3,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    oauth2: {client_id: a, client_secret: b, token_url: http://t/}\n',
      'scrape_configs[0].oauth2',
      3,
    ],
    ['tracing:\n  endpoint: localhost:4317\n', 'tracing.endpoint', 2],
  ])('%j', (text, field, line) => {
    const err = errorOf(text);
    expect(err.reason).toContain('not supported yet');
    expect(err.field).toBe(field);
    expect(err.line).toBe(line);
  });

  it('reports a real fault in a modelled section before its lack of support', () => {
    expect(errorOf('remote_write:\n  - url: http://x\n    queue_config: {max_shards: 0}\n').reason).toBe(
      'max_shards must be greater than 0',
    );
  });

  it('treats an unknown *_sd_configs key as an unknown field', () => {
    expect(errorOf('scrape_configs:\n  - job_name: a\n    foo_sd_configs: []\n').reason).toBe(
      'field foo_sd_configs not found in type config.ScrapeConfig',
    );
  });

  it('accepts Alertmanagers, and scrape_native_histograms without a warning, asking for protobuf first', () => {
    const cfg = parse(
      'global:\n  scrape_native_histograms: true\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n' +
        'scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_native_histograms: true\n',
    );
    expect(cfg.warnings).toEqual([]);
    // as Prometheus: protobuf first (DefaultProtoFirstScrapeProtocols)
    expect(cfg.scrape_configs[1].scrape_protocols[0]).toBe('PrometheusProto');
    expect(cfg.scrape_configs[1].scrape_native_histograms).toBe(true);
    expect(parse('scrape_configs:\n  - job_name: a\n').warnings).toEqual([]);
  });

  it('accepts native-histogram options that are off', () => {
    expect(() =>
      parse(
        'global:\n  scrape_native_histograms: true\nscrape_configs:\n  - job_name: a\n    scrape_native_histograms: false\n',
      ),
    ).not.toThrow();
  });
});

describe('scrape_config_files', () => {
  it('merges jobs from globbed files, resolving their paths against their own directory', () => {
    write('sc/jobs/a.yml', 'scrape_configs:\n  - job_name: a\n    tls_config: {ca_file: ../ca.pem}\n');
    write('sc/jobs/b.yml', 'scrape_configs:\n  - job_name: b\n');
    write('sc/jobs/c.txt', 'not yaml: [');
    const main = write(
      'sc/prometheus.yml',
      'global:\n  scrape_interval: 7s\nscrape_config_files: ["jobs/*.yml"]\nscrape_configs:\n  - job_name: main\n',
    );
    const cfg = loadConfigFile(main);
    expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(['main', 'a', 'b']);
    expect(cfg.scrape_configs[1].scrape_interval).toBe(7_000);
    expect(cfg.scrape_configs[1].tls_config.ca_file).toBe(path.join(tmp, 'sc/ca.pem'));
    expect(cfg.scrape_config_files).toEqual([path.join(tmp, 'sc/jobs/*.yml')]);
    expect(cfg.scrape_config_origins).toEqual({
      a: path.join(tmp, 'sc/jobs/a.yml'),
      b: path.join(tmp, 'sc/jobs/b.yml'),
    });
  });

  it('rejects a duplicate job across files with the included file position', () => {
    write('dup/jobs/a.yml', 'scrape_configs:\n  - job_name: main\n');
    const main = write(
      'dup/prometheus.yml',
      'scrape_config_files: ["jobs/*.yml"]\nscrape_configs:\n  - job_name: main\n',
    );
    let err: unknown;
    try {
      loadConfigFile(main);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.file).toBe(path.join(tmp, 'dup/jobs/a.yml'));
    expect(ce.line).toBe(2);
    expect(ce.reason).toBe(
      'found multiple scrape configs with job name "main", first found in main config file',
    );
  });

  it('rejects a global section in an included file', () => {
    write('glob2/jobs/a.yml', 'global: {}\nscrape_configs: []\n');
    const main = write('glob2/prometheus.yml', 'scrape_config_files: ["jobs/a.yml"]\n');
    expect(() => loadConfigFile(main)).toThrow('field global not found in type config.ScrapeConfigs');
  });
});

describe('rule_files', () => {
  it('expands globs per path segment in order, without **', () => {
    write('rules/b.rules', '');
    write('rules/a.rules', '');
    write('rules/x.yml', '');
    write('rules/sub/c.rules', '');
    const main = write(
      'rules-main.yml',
      'rule_files: ["rules/*.rules", "rules/[x].yml", "rules/s?b/*.rules", "rules/**.rules", "missing.rules"]\n',
    );
    const cfg = loadConfigFile(main);
    expect(expandRuleFiles(cfg)).toEqual([
      path.join(tmp, 'rules/a.rules'),
      path.join(tmp, 'rules/b.rules'),
      path.join(tmp, 'rules/x.yml'),
      path.join(tmp, 'rules/sub/c.rules'),
      // `**` is just `*` within one segment: it does not descend into rules/sub (already listed once).
    ]);
  });

  it('rejects a wildcard before the last segment', () => {
    expect(errorOf('rule_files: ["a/*/b.rules"]\n').reason).toBe('invalid rule file path "a/*/b.rules"');
  });
});
