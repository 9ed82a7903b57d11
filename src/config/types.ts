// The typed configuration tree. Field names are the prometheus.yml keys (snake_case), one to one, so
// the structure is what users read in the Prometheus documentation.
//
// Conventions:
//  - Durations (`Duration`) are milliseconds as plain numbers: `cfg.global.scrape_interval === 15_000`.
//  - Byte sizes (`ByteSize`) are bytes as plain numbers.
//  - Secrets are `Secret` objects: `.value` holds the text, printing shows "<secret>".
//  - File paths are already resolved against the directory of the file that named them.
//  - After loading, every scrape config has its inherited and default values filled in.
import type { Secret } from './secret.js';

export type Duration = number;
export type ByteSize = number;

export interface TLSConfig {
  ca: string;
  cert: string;
  key: Secret;
  ca_file: string;
  cert_file: string;
  key_file: string;
  ca_ref: string;
  cert_ref: string;
  key_ref: string;
  server_name: string;
  insecure_skip_verify: boolean;
  /** "TLS10" | "TLS11" | "TLS12" | "TLS13" or "" when unset. */
  min_version: string;
  max_version: string;
  next_protos: string[];
}

export interface BasicAuth {
  username: string;
  username_file: string;
  username_ref: string;
  password: Secret;
  password_file: string;
  password_ref: string;
}

export interface Authorization {
  /** "Bearer" unless set. */
  type: string;
  credentials: Secret;
  credentials_file: string;
  credentials_ref: string;
}

export interface ProxyConfig {
  proxy_url: string;
  no_proxy: string;
  proxy_from_environment: boolean;
  proxy_connect_header: Record<string, Secret[]>;
}

export interface OAuth2 extends ProxyConfig {
  client_id: string;
  client_secret: Secret;
  client_secret_file: string;
  client_secret_ref: string;
  scopes: string[];
  token_url: string;
  endpoint_params: Record<string, string>;
  tls_config: TLSConfig;
}

export interface HTTPHeader {
  values: string[];
  secrets: Secret[];
  files: string[];
}

/** Prometheus common's HTTPClientConfig, inlined into scrape configs, SD configs and more. */
export interface HTTPClientConfig extends ProxyConfig {
  basic_auth?: BasicAuth;
  /** Also set when the deprecated bearer_token / bearer_token_file were used (they are moved here). */
  authorization?: Authorization;
  oauth2?: OAuth2;
  /** Always empty after loading: moved into `authorization`, as Prometheus does. */
  bearer_token: Secret;
  bearer_token_file: string;
  tls_config: TLSConfig;
  follow_redirects: boolean;
  enable_http2: boolean;
  http_headers?: Record<string, HTTPHeader>;
}

export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

export interface RelabelConfig {
  source_labels: string[];
  separator: string;
  /** The expression as written; match it fully anchored (model/regex.ts compileAnchored). */
  regex: string;
  modulus: number;
  target_label: string;
  replacement: string;
  action: RelabelAction;
}

export interface StaticConfig {
  targets: string[];
  labels: Record<string, string>;
}

export interface FileSDConfig {
  files: string[];
  refresh_interval: Duration;
}

export interface DNSSDConfig {
  names: string[];
  refresh_interval: Duration;
  /** "SRV" | "A" | "AAAA" | "MX" | "NS" */
  type: string;
  port: number;
}

export interface HTTPSDConfig extends HTTPClientConfig {
  url: string;
  refresh_interval: Duration;
}

export type KubernetesRole = 'pod' | 'service' | 'endpoints' | 'endpointslice' | 'node' | 'ingress';

export interface KubernetesSDConfig extends HTTPClientConfig {
  api_server: string;
  role: KubernetesRole;
  kubeconfig_file: string;
  namespaces: { own_namespace: boolean; names: string[] };
  selectors: Array<{ role: KubernetesRole; label: string; field: string }>;
  attach_metadata: { node: boolean; namespace: boolean };
}

/** The service discoveries Promethium implements; every other `*_sd_configs` key is rejected. */
export interface ServiceDiscoveryConfigs {
  static_configs: StaticConfig[];
  file_sd_configs: FileSDConfig[];
  kubernetes_sd_configs: KubernetesSDConfig[];
  dns_sd_configs: DNSSDConfig[];
  http_sd_configs: HTTPSDConfig[];
}

export type { ScrapeProtocol } from '../model/exposition/negotiation.js';
import type { ScrapeProtocol } from '../model/exposition/negotiation.js';

export type MetricNameValidationScheme = 'utf8' | 'legacy';
export type MetricNameEscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

export interface ScrapeConfig extends HTTPClientConfig, ServiceDiscoveryConfigs {
  job_name: string;
  honor_labels: boolean;
  honor_timestamps: boolean;
  track_timestamps_staleness: boolean;
  params: Record<string, string[]>;
  scrape_interval: Duration;
  scrape_timeout: Duration;
  scrape_protocols: ScrapeProtocol[];
  /** "" when unset. */
  fallback_scrape_protocol: ScrapeProtocol | '';
  scrape_native_histograms: boolean;
  always_scrape_classic_histograms: boolean;
  convert_classic_histograms_to_nhcb: boolean;
  scrape_failure_log_file: string;
  metrics_path: string;
  scheme: string;
  enable_compression: boolean;
  body_size_limit: ByteSize;
  sample_limit: number;
  target_limit: number;
  label_limit: number;
  label_name_length_limit: number;
  label_value_length_limit: number;
  native_histogram_bucket_limit: number;
  native_histogram_min_bucket_factor: number;
  keep_dropped_targets: number;
  metric_name_validation_scheme: MetricNameValidationScheme;
  metric_name_escaping_scheme: MetricNameEscapingScheme;
  extra_scrape_metrics: boolean;
  relabel_configs: RelabelConfig[];
  metric_relabel_configs: RelabelConfig[];
}

export interface GlobalConfig {
  scrape_interval: Duration;
  scrape_timeout: Duration;
  /** Unset (undefined) unless configured: each job then picks its own default. */
  scrape_protocols?: ScrapeProtocol[];
  evaluation_interval: Duration;
  rule_query_offset: Duration;
  query_log_file: string;
  scrape_failure_log_file: string;
  external_labels: Record<string, string>;
  body_size_limit: ByteSize;
  sample_limit: number;
  target_limit: number;
  label_limit: number;
  label_name_length_limit: number;
  label_value_length_limit: number;
  keep_dropped_targets: number;
  metric_name_validation_scheme: MetricNameValidationScheme;
  /** "" when unset: derived per job from the validation scheme. */
  metric_name_escaping_scheme: MetricNameEscapingScheme | '';
  scrape_native_histograms: boolean;
  convert_classic_histograms_to_nhcb: boolean;
  always_scrape_classic_histograms: boolean;
  extra_scrape_metrics: boolean;
}

export interface RuntimeConfig {
  /** Accepted for compatibility; Go's GC percentage has no meaning on Node.js. */
  gogc: number;
}

export interface TSDBConfig {
  out_of_order_time_window: Duration;
  stale_series_compaction_threshold: number;
  retention?: { time: Duration; size: ByteSize; percentage: number };
  chunk_encoding?: { floats: string };
}

export interface StorageConfig {
  tsdb?: TSDBConfig;
  exemplars?: { max_exemplars: number };
}

export interface TracingConfig {
  client_type: '' | 'http' | 'grpc';
  endpoint: string;
  sampling_fraction: number;
  insecure: boolean;
  tls_config: TLSConfig;
  headers: Record<string, string>;
  compression: string;
  timeout: Duration;
}

export interface OTLPConfig {
  promote_all_resource_attributes: boolean;
  promote_resource_attributes: string[];
  ignore_resource_attributes: string[];
  translation_strategy: string;
  keep_identifying_resource_attributes: boolean;
  convert_histograms_to_nhcb: boolean;
  promote_scope_metadata: boolean;
  label_name_underscore_sanitization: boolean;
  label_name_preserve_multiple_underscores: boolean;
}

/** Parsed and validated, then rejected as not supported yet; typed loosely on purpose. */
export interface RemoteWriteConfig extends HTTPClientConfig {
  url: string;
  name: string;
  [key: string]: unknown;
}

export interface RemoteReadConfig extends HTTPClientConfig {
  url: string;
  name: string;
  [key: string]: unknown;
}

export interface AlertmanagerConfig extends HTTPClientConfig, ServiceDiscoveryConfigs {
  scheme: string;
  path_prefix: string;
  timeout: Duration;
  api_version: string;
  relabel_configs: RelabelConfig[];
  alert_relabel_configs: RelabelConfig[];
}

export interface AlertingConfig {
  alert_relabel_configs: RelabelConfig[];
  alertmanagers: AlertmanagerConfig[];
}

export interface Config {
  global: GlobalConfig;
  runtime: RuntimeConfig;
  alerting: AlertingConfig;
  /** Absolute paths or glob patterns. */
  rule_files: string[];
  /** Absolute glob patterns; their jobs are already merged into `scrape_configs`. */
  scrape_config_files: string[];
  /** Every job: the main file's first, then those from scrape_config_files in glob order. */
  scrape_configs: ScrapeConfig[];
  storage: StorageConfig;
  tracing: TracingConfig;
  remote_write: RemoteWriteConfig[];
  remote_read: RemoteReadConfig[];
  otlp: OTLPConfig;
  /**
   * Not a prometheus.yml key: job_name → absolute path of the scrape_config_files file that defined
   * it. configToYaml leaves these jobs out, as Prometheus prints only the main file's jobs.
   */
  scrape_config_origins: Record<string, string>;
  /**
   * Not a prometheus.yml key: settings Promethium accepts but does not act on yet, one message each
   * ("file:line:col: field: what happens instead"), for the server to log when it loads the config.
   */
  warnings: string[];
}
