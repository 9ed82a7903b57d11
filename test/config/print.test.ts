// configToYaml: Prometheus's printing (defaults filled in, secrets hidden, durations as text) and
// the round trip parse(print(cfg)) == cfg, secrets aside.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configToYaml, parseConfig, Secret, type Config } from '../../src/config/index.js';

const SOURCE = `
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  body_size_limit: 15MB
  sample_limit: 1500
  external_labels: {monitor: codelab, foo: bar}
rule_files: [first.rules, "my/*.rules"]
storage:
  tsdb:
    retention: {time: 1d, size: 1GB, percentage: 28}
otlp:
  promote_resource_attributes: [k8s.cluster.name]
scrape_configs:
  - job_name: prometheus
    honor_labels: true
    fallback_scrape_protocol: PrometheusText0.0.4
    params: {module: [http_2xx]}
    file_sd_configs:
      - files: [foo/*.slow.json, single/file.yml]
        refresh_interval: 10m
    static_configs:
      - targets: ["localhost:9090", "localhost:9191"]
        labels: {my: label}
    http_headers:
      foo: {values: [foobar], secrets: [hsecret-a, hsecret-b], files: [valid_password_file]}
    relabel_configs:
      - source_labels: [job, __meta_dns_name]
        regex: (.*)some-[regex]
        target_label: job
        replacement: foo-\${1}
      - source_labels: [foo]
        target_label: abc
        action: keepequal
    authorization:
      credentials_file: valid_token_file
    tls_config:
      min_version: TLS12
  - job_name: service-x
    basic_auth:
      username: admin_name
      password: "multiline\\nmysecret\\ntest"
    scrape_interval: 50s
    scrape_timeout: 5s
    scrape_protocols: [PrometheusText0.0.4]
    metrics_path: /my_path
    scheme: https
    enable_compression: false
    dns_sd_configs:
      - names: [first.dns.address.domain.com]
        type: A
        port: 9100
    metric_relabel_configs:
      - {source_labels: [__name__], regex: expensive_metric.*, action: drop}
  - job_name: service-kubernetes
    bearer_token: bearer-secret
    kubernetes_sd_configs:
      - role: endpoints
        api_server: https://localhost:1234
        basic_auth: {username: myusername, password: k8spass}
        namespaces: {names: [default]}
        selectors: [{role: pod, label: "foo in (bar,baz)", field: "metadata.status=Running"}]
    http_sd_configs:
      - url: http://example.com/prometheus
        basic_auth: {username: a, password: s3cret}
`;

/** The tree with every Secret replaced by a marker, so trees are comparable apart from secrets. */
function withoutSecrets(v: unknown): unknown {
  if (v instanceof Secret) return v.isEmpty ? '' : '<secret>';
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
  }
  return v;
}

function collectSecrets(v: unknown, out: string[] = []): string[] {
  if (v instanceof Secret) out.push(v.value);
  else if (Array.isArray(v)) v.forEach((x) => collectSecrets(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => collectSecrets(x, out));
  return out;
}

describe('configToYaml', () => {
  const cfg: Config = parseConfig(SOURCE, 'prometheus.yml', '/etc/prometheus');
  const text = configToYaml(cfg);

  it('prints every secret as <secret> and never its value', () => {
    const secrets = collectSecrets(cfg).filter((s) => s !== '');
    expect(secrets.sort()).toEqual(
      ['bearer-secret', 'hsecret-a', 'hsecret-b', 'k8spass', 'multiline\nmysecret\ntest', 's3cret'].sort(),
    );
    for (const s of ['bearer-secret', 'hsecret-a', 'hsecret-b', 'k8spass', 'mysecret', 's3cret']) {
      expect(text).not.toContain(s);
    }
    const printed = parseYaml(text);
    expect(printed.scrape_configs[1].basic_auth).toEqual({ username: 'admin_name', password: '<secret>' });
    expect(printed.scrape_configs[2].authorization).toEqual({ type: 'Bearer', credentials: '<secret>' });
    expect(printed.scrape_configs[0].http_headers.foo.secrets).toEqual(['<secret>', '<secret>']);
    expect(String(new Secret('x'))).toBe('<secret>');
    expect(JSON.stringify({ s: new Secret('x') })).toBe('{"s":"<secret>"}');
  });

  it('prints defaults filled in, durations and sizes as text', () => {
    const printed = parseYaml(text);
    expect(printed.global).toMatchObject({
      scrape_interval: '15s',
      scrape_timeout: '10s',
      evaluation_interval: '30s',
      body_size_limit: '15MiB',
      metric_name_validation_scheme: 'utf8',
    });
    expect(printed.scrape_configs[0]).toMatchObject({
      job_name: 'prometheus',
      honor_timestamps: true,
      scrape_interval: '15s',
      scrape_timeout: '10s',
      metrics_path: '/metrics',
      scheme: 'http',
      enable_compression: true,
      follow_redirects: true,
      enable_http2: true,
      sample_limit: 1500,
      metric_name_escaping_scheme: 'allow-utf-8',
    });
    expect(printed.scrape_configs[0].relabel_configs[0]).toEqual({
      source_labels: ['job', '__meta_dns_name'],
      separator: ';',
      regex: '(.*)some-[regex]',
      target_label: 'job',
      replacement: 'foo-${1}',
      action: 'replace',
    });
    expect(text).toContain('source_labels: [job, __meta_dns_name]');
    expect(printed.storage.tsdb.retention).toEqual({ time: '1d', size: '1GiB', percentage: 28 });
    expect(printed.rule_files).toEqual(['/etc/prometheus/first.rules', '/etc/prometheus/my/*.rules']);
  });

  it('round-trips: parse(print(cfg)) equals cfg apart from secret values', () => {
    const again = parseConfig(text, 'printed.yml', '/elsewhere');
    expect(withoutSecrets(again)).toEqual(withoutSecrets(cfg));
  });

  it('round-trips the defaults of an empty config', () => {
    const empty = parseConfig('', 'p.yml', '/');
    expect(withoutSecrets(parseConfig(configToYaml(empty), 'p.yml', '/'))).toEqual(withoutSecrets(empty));
  });
});
