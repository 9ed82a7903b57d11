// The `global` section (Prometheus GlobalConfig): values every job inherits, and their defaults.
import { isValidLabelName, isValidLabelValue } from '../model/labelname.js';
import { checkScrapeProtocols } from './protocols.js';
import {
  bool,
  bytesize,
  duration,
  filePath,
  list,
  map,
  str,
  uint,
  zeroObject,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { fieldError } from './source.js';
import type { GlobalConfig } from './types.js';

export const DEFAULT_SCRAPE_INTERVAL = 60_000;
export const DEFAULT_SCRAPE_TIMEOUT = 10_000;
export const DEFAULT_EVALUATION_INTERVAL = 60_000;

/** model.ValidationScheme's YAML reading: "", "legacy" or "utf8". */
export function checkValidationScheme(o: Obj, key: string): void {
  const v = o[key] as string;
  if (v !== '' && v !== 'legacy' && v !== 'utf8') {
    throw fieldError(o, key, `unrecognized ValidationScheme: ${JSON.stringify(v)}`);
  }
}

export const ESCAPING_SCHEMES = ['allow-utf-8', 'underscores', 'dots', 'values'];

export const globalSchema: ObjectSchema = {
  type: 'config.GlobalConfig',
  fields: [
    { name: 'scrape_interval', kind: duration },
    { name: 'scrape_timeout', kind: duration },
    { name: 'scrape_protocols', kind: list(str), optional: true },
    { name: 'evaluation_interval', kind: duration },
    { name: 'rule_query_offset', kind: duration },
    { name: 'query_log_file', kind: filePath },
    { name: 'scrape_failure_log_file', kind: filePath },
    { name: 'external_labels', kind: map(str) },
    { name: 'body_size_limit', kind: bytesize },
    { name: 'sample_limit', kind: uint },
    { name: 'target_limit', kind: uint },
    { name: 'label_limit', kind: uint },
    { name: 'label_name_length_limit', kind: uint },
    { name: 'label_value_length_limit', kind: uint },
    { name: 'keep_dropped_targets', kind: uint },
    { name: 'metric_name_validation_scheme', kind: str },
    { name: 'metric_name_escaping_scheme', kind: str },
    { name: 'scrape_native_histograms', kind: bool, optional: true, always: true },
    { name: 'convert_classic_histograms_to_nhcb', kind: bool },
    { name: 'always_scrape_classic_histograms', kind: bool },
    { name: 'extra_scrape_metrics', kind: bool },
  ],
  finish: (o) => {
    checkValidationScheme(o, 'metric_name_validation_scheme');
    fillGlobal(o);
  },
};

/** GlobalConfig.UnmarshalYAML: defaults for unset values, then the checks. Idempotent. */
export function fillGlobal(o: Obj): Obj {
  const g = o as unknown as GlobalConfig;
  if ((g.metric_name_validation_scheme as string) !== 'legacy') g.metric_name_validation_scheme = 'utf8';
  // Sorted like Prometheus's labels.Labels, which is how it prints them.
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(g.external_labels).sort()) {
    const value = g.external_labels[name];
    if (!isValidLabelName(name, g.metric_name_validation_scheme)) {
      throw fieldError(o, 'external_labels', `${JSON.stringify(name)} is not a valid label name`);
    }
    if (!isValidLabelValue(value)) {
      throw fieldError(o, 'external_labels', `${JSON.stringify(value)} is not a valid label value`);
    }
    sorted[name] = value;
  }
  g.external_labels = sorted;
  if (g.scrape_interval === 0) g.scrape_interval = DEFAULT_SCRAPE_INTERVAL;
  if (g.scrape_timeout > g.scrape_interval) {
    throw fieldError(o, 'scrape_timeout', 'global scrape timeout greater than scrape interval');
  }
  if (g.scrape_timeout === 0) g.scrape_timeout = Math.min(DEFAULT_SCRAPE_TIMEOUT, g.scrape_interval);
  if (g.evaluation_interval === 0) g.evaluation_interval = DEFAULT_EVALUATION_INTERVAL;
  if (g.scrape_native_histograms === undefined) g.scrape_native_histograms = false;
  if (g.scrape_protocols !== undefined) {
    const err = checkScrapeProtocols(g.scrape_protocols);
    if (err) throw fieldError(o, 'scrape_protocols', `${err} for global config`);
  }
  return o;
}

export function defaultGlobal(): Obj {
  return fillGlobal(zeroObject(globalSchema));
}

/** Go's GlobalConfig.isZero: an explicitly empty `global:` gets the defaults back. */
export function isZeroGlobal(g: GlobalConfig): boolean {
  return (
    Object.keys(g.external_labels).length === 0 &&
    g.scrape_interval === 0 &&
    g.scrape_timeout === 0 &&
    g.evaluation_interval === 0 &&
    g.rule_query_offset === 0 &&
    g.query_log_file === '' &&
    g.scrape_failure_log_file === '' &&
    g.scrape_protocols === undefined &&
    g.scrape_native_histograms === undefined &&
    !g.convert_classic_histograms_to_nhcb &&
    !g.always_scrape_classic_histograms &&
    !g.extra_scrape_metrics
  );
}
