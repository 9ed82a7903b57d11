// Scrape configs (Prometheus ScrapeConfig): schema, the per-job checks run while reading
// (UnmarshalYAML), and Validate(global), which fills inherited values and checks them.
import type { NameValidationScheme } from '../model/labelname.js';
import { checkDiscoveryNulls, checkStaticTargets, discoveryFields } from './discovery.js';
import { checkValidationScheme, ESCAPING_SCHEMES } from './global.js';
import { httpClientFields, validateHTTPClient } from './http.js';
import { checkScrapeProtocol, checkScrapeProtocols, defaultScrapeProtocols } from './protocols.js';
import { relabelSchema, validateRelabelList } from './relabel.js';
import {
  bool,
  bytesize,
  duration,
  filePath,
  float,
  list,
  map,
  object,
  str,
  uint,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { fieldError } from './source.js';
import type { GlobalConfig, ScrapeConfig } from './types.js';

export const scrapeSchema: ObjectSchema = {
  type: 'config.ScrapeConfig',
  fields: [
    { name: 'job_name', kind: str, always: true },
    { name: 'honor_labels', kind: bool },
    { name: 'honor_timestamps', kind: bool, def: () => true, always: true },
    { name: 'track_timestamps_staleness', kind: bool, always: true },
    { name: 'params', kind: map(list(str)) },
    { name: 'scrape_interval', kind: duration },
    { name: 'scrape_timeout', kind: duration },
    { name: 'scrape_protocols', kind: list(str), optional: true },
    { name: 'fallback_scrape_protocol', kind: str },
    // Pointers in Go: unset means "inherit from global".
    { name: 'scrape_native_histograms', kind: bool, optional: true, always: true },
    { name: 'always_scrape_classic_histograms', kind: bool, optional: true, always: true },
    { name: 'convert_classic_histograms_to_nhcb', kind: bool, optional: true, always: true },
    { name: 'scrape_failure_log_file', kind: filePath },
    { name: 'metrics_path', kind: str, def: () => '/metrics' },
    { name: 'scheme', kind: str, def: () => 'http' },
    { name: 'enable_compression', kind: bool, def: () => true, always: true },
    { name: 'body_size_limit', kind: bytesize },
    { name: 'sample_limit', kind: uint },
    { name: 'target_limit', kind: uint },
    { name: 'label_limit', kind: uint },
    { name: 'label_name_length_limit', kind: uint },
    { name: 'label_value_length_limit', kind: uint },
    // Both only shape native histograms, which Promethium does not ingest; accepted and unused.
    { name: 'native_histogram_bucket_limit', kind: uint },
    { name: 'native_histogram_min_bucket_factor', kind: float },
    { name: 'keep_dropped_targets', kind: uint },
    { name: 'metric_name_validation_scheme', kind: str },
    { name: 'metric_name_escaping_scheme', kind: str },
    { name: 'extra_scrape_metrics', kind: bool, optional: true, always: true },
    ...httpClientFields,
    { name: 'relabel_configs', kind: list(object(relabelSchema)) },
    { name: 'metric_relabel_configs', kind: list(object(relabelSchema)) },
    ...discoveryFields,
  ],
  finish(o) {
    checkDiscoveryNulls(o);
    checkValidationScheme(o, 'metric_name_validation_scheme');
    if (o.job_name === '') throw fieldError(o, 'job_name', 'job_name is empty');
    validateHTTPClient(o);
    const relabels = o.relabel_configs as Array<Obj | null>;
    if (relabels.length === 0) checkStaticTargets(o);
    if (relabels.some((r) => r === null)) {
      throw fieldError(o, 'relabel_configs', 'empty or null target relabeling rule in scrape config');
    }
    if ((o.metric_relabel_configs as Array<Obj | null>).some((r) => r === null)) {
      throw fieldError(o, 'metric_relabel_configs', 'empty or null metric relabeling rule in scrape config');
    }
  },
};

/** ScrapeConfig.Validate(global): inherit unset values from `global`, then check the job. */
export function validateScrapeConfig(o: Obj, global: GlobalConfig): void {
  const c = o as unknown as ScrapeConfig;
  const job = JSON.stringify(c.job_name);
  if (c.scrape_interval === 0) c.scrape_interval = global.scrape_interval;
  if (c.scrape_timeout > c.scrape_interval) {
    throw fieldError(
      o,
      'scrape_timeout',
      `scrape timeout greater than scrape interval for scrape config with job name ${job}`,
    );
  }
  if (c.scrape_timeout === 0) c.scrape_timeout = Math.min(global.scrape_timeout, c.scrape_interval);
  if (c.body_size_limit === 0) c.body_size_limit = global.body_size_limit;
  if (c.sample_limit === 0) c.sample_limit = global.sample_limit;
  if (c.target_limit === 0) c.target_limit = global.target_limit;
  if (c.label_limit === 0) c.label_limit = global.label_limit;
  if (c.label_name_length_limit === 0) c.label_name_length_limit = global.label_name_length_limit;
  if (c.label_value_length_limit === 0) c.label_value_length_limit = global.label_value_length_limit;
  if (c.keep_dropped_targets === 0) c.keep_dropped_targets = global.keep_dropped_targets;
  if (c.scrape_failure_log_file === '') c.scrape_failure_log_file = global.scrape_failure_log_file;
  if (c.scrape_native_histograms === undefined) c.scrape_native_histograms = global.scrape_native_histograms;
  if (c.extra_scrape_metrics === undefined) c.extra_scrape_metrics = global.extra_scrape_metrics;

  if (c.scrape_protocols === undefined) {
    if (global.scrape_protocols !== undefined) c.scrape_protocols = [...global.scrape_protocols];
    // as Prometheus: protobuf first when scraping native histograms (the only format carrying them),
    // and with st-storage
    else c.scrape_protocols = [...defaultScrapeProtocols(c.scrape_native_histograms === true)];
  }
  const protoErr = checkScrapeProtocols(c.scrape_protocols);
  if (protoErr) throw fieldError(o, 'scrape_protocols', `${protoErr} for scrape config with job name ${job}`);
  if (c.fallback_scrape_protocol !== '') {
    const err = checkScrapeProtocol(c.fallback_scrape_protocol);
    if (err) {
      throw fieldError(
        o,
        'fallback_scrape_protocol',
        `invalid fallback_scrape_protocol for scrape config with job name ${job}: ${err}`,
      );
    }
  }

  // A job's validation scheme defaults to the global one; its escaping scheme to what its own
  // validation scheme implies, so a job asking for legacy names does not inherit allow-utf-8.
  const localValidationUnset = (c.metric_name_validation_scheme as string) === '';
  if (localValidationUnset) c.metric_name_validation_scheme = global.metric_name_validation_scheme;
  let globalEscaping = global.metric_name_escaping_scheme as string;
  if (globalEscaping === '') {
    globalEscaping = global.metric_name_validation_scheme === 'legacy' ? 'underscores' : 'allow-utf-8';
  } else if (!ESCAPING_SCHEMES.includes(globalEscaping)) {
    throw fieldError(
      o,
      undefined,
      `unknown global name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got ${JSON.stringify(globalEscaping)}`,
    );
  }
  if ((c.metric_name_escaping_scheme as string) === '') {
    if (localValidationUnset)
      c.metric_name_escaping_scheme = globalEscaping as ScrapeConfig['metric_name_escaping_scheme'];
    else
      c.metric_name_escaping_scheme =
        c.metric_name_validation_scheme === 'legacy' ? 'underscores' : 'allow-utf-8';
  }
  if (c.metric_name_escaping_scheme === 'allow-utf-8') {
    if (c.metric_name_validation_scheme !== 'utf8') {
      throw fieldError(
        o,
        'metric_name_escaping_scheme',
        'utf8 metric names requested but validation scheme is not set to UTF8',
      );
    }
  } else if (!ESCAPING_SCHEMES.includes(c.metric_name_escaping_scheme)) {
    throw fieldError(
      o,
      'metric_name_escaping_scheme',
      `unknown scrape config name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got ${JSON.stringify(c.metric_name_escaping_scheme)}`,
    );
  }

  if (c.convert_classic_histograms_to_nhcb === undefined) {
    c.convert_classic_histograms_to_nhcb = global.convert_classic_histograms_to_nhcb;
  }
  if (c.always_scrape_classic_histograms === undefined) {
    c.always_scrape_classic_histograms = global.always_scrape_classic_histograms;
  }

  const scheme: NameValidationScheme = c.metric_name_validation_scheme;
  validateRelabelList(o, 'relabel_configs', scheme, 'empty or null target relabeling rule in scrape config');
  validateRelabelList(
    o,
    'metric_relabel_configs',
    scheme,
    'empty or null metric relabeling rule in scrape config',
  );
}
