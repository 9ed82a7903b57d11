// Scrape targets from discovered target groups, as Prometheus's scrape/target.go builds them:
// discovered labels with the job's defaults, relabel_configs, checks, __meta_* dropped, `instance`
// defaulting to `__address__`, and the URL from __scheme__, __address__, __metrics_path__, __param_*.
import type { ScrapeConfig } from '../config/types.js';
import { formatDuration, parseDuration } from '../model/duration.js';
import { Labels } from '../model/labels.js';
import { isWellFormedText } from '../model/labelname.js';
import { relabel, type CompiledRelabel } from '../model/relabel/relabel.js';

export const ADDRESS_LABEL = '__address__';
export const SCHEME_LABEL = '__scheme__';
export const METRICS_PATH_LABEL = '__metrics_path__';
export const SCRAPE_INTERVAL_LABEL = '__scrape_interval__';
export const SCRAPE_TIMEOUT_LABEL = '__scrape_timeout__';
export const PARAM_LABEL_PREFIX = '__param_';
export const META_LABEL_PREFIX = '__meta_';
const RESERVED_PREFIX = '__';

export type PopulateResult =
  | { kind: 'active'; labels: Labels; discovered: Labels }
  | { kind: 'dropped'; discovered: Labels }
  | { kind: 'error'; discovered: Labels; error: string };

/** The labels a target starts with: its own, the group's, then the job's defaults where unset. */
export function discoveredLabels(
  cfg: ScrapeConfig,
  target: Readonly<Record<string, string>>,
  group: Readonly<Record<string, string>>,
): Labels {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(group)) m.set(k, v);
  for (const [k, v] of Object.entries(target)) m.set(k, v);
  const defaults: Array<[string, string]> = [
    ['job', cfg.job_name],
    [SCRAPE_INTERVAL_LABEL, formatDuration(cfg.scrape_interval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(cfg.scrape_timeout)],
    [METRICS_PATH_LABEL, cfg.metrics_path],
    [SCHEME_LABEL, cfg.scheme],
  ];
  for (const [k, v] of defaults) if ((m.get(k) ?? '') === '') m.set(k, v);
  for (const [k, vs] of Object.entries(cfg.params)) {
    const name = PARAM_LABEL_PREFIX + k;
    if (vs.length > 0 && (m.get(name) ?? '') === '') m.set(name, vs[0]);
  }
  return Labels.fromPairs([...m].flat());
}

/** Prometheus's PopulateLabels: relabels a discovered target into an active, dropped or failed one. */
export function populateLabels(
  cfg: ScrapeConfig,
  rules: readonly CompiledRelabel[],
  target: Readonly<Record<string, string>>,
  group: Readonly<Record<string, string>>,
): PopulateResult {
  const discovered = discoveredLabels(cfg, target, group);
  const out = relabel(discovered, rules, cfg.metric_name_validation_scheme);
  if (out === undefined) return { kind: 'dropped', discovered };
  const fail = (error: string): PopulateResult => ({ kind: 'error', discovered, error });
  const addr = out.get(ADDRESS_LABEL) ?? '';
  if (addr === '') return fail('no address');
  if (addr.includes('/')) return fail(`${JSON.stringify(addr)} is not a valid hostname`);
  const interval = out.get(SCRAPE_INTERVAL_LABEL) ?? '';
  const timeout = out.get(SCRAPE_TIMEOUT_LABEL) ?? '';
  let intervalMs: number;
  let timeoutMs: number;
  try {
    intervalMs = parseDuration(interval);
  } catch (err) {
    return fail(`error parsing scrape interval: ${(err as Error).message}`);
  }
  if (intervalMs === 0) return fail('scrape interval cannot be 0');
  try {
    timeoutMs = parseDuration(timeout);
  } catch (err) {
    return fail(`error parsing scrape timeout: ${(err as Error).message}`);
  }
  if (timeoutMs === 0) return fail('scrape timeout cannot be 0');
  if (timeoutMs > intervalMs) {
    return fail(
      `scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeout)} > ${JSON.stringify(interval)})`,
    );
  }
  const pairs: string[] = [];
  out.forEach((n, v) => {
    if (!n.startsWith(META_LABEL_PREFIX)) pairs.push(n, v);
  });
  if ((out.get('instance') ?? '') === '') pairs.push('instance', addr);
  const labels = Labels.fromPairs(pairs);
  let bad: string | undefined;
  labels.forEach((n, v) => {
    if (bad === undefined && !isWellFormedText(v)) {
      bad = `invalid label value for ${JSON.stringify(n)}: ${JSON.stringify(v)}`;
    }
  });
  if (bad !== undefined) return fail(bad);
  return { kind: 'active', labels, discovered };
}

/**
 * The scrape URL of a target: scheme, address and path labels, the job's params with __param_* on
 * top, written as Go's url.URL prints it (the address as given, default ports kept).
 */
export function targetURL(cfg: ScrapeConfig, labels: Labels): string {
  const params = new Map<string, string[]>();
  for (const [k, vs] of Object.entries(cfg.params)) params.set(k, [...vs]);
  labels.forEach((n, v) => {
    if (!n.startsWith(PARAM_LABEL_PREFIX)) return;
    const k = n.slice(PARAM_LABEL_PREFIX.length);
    const cur = params.get(k);
    if (cur !== undefined && cur.length > 0) cur[0] = v;
    else params.set(k, [v]);
  });
  // Go's url.Values.Encode: keys sorted, values in order
  const q = new URLSearchParams();
  for (const k of [...params.keys()].sort()) for (const v of params.get(k)!) q.append(k, v);
  const query = q.toString();
  const scheme = labels.get(SCHEME_LABEL) ?? 'http';
  const path = encodeURI(labels.get(METRICS_PATH_LABEL) ?? '/metrics');
  return `${scheme}://${labels.get(ADDRESS_LABEL) ?? ''}${path}${query === '' ? '' : `?${query}`}`;
}

/** The labels a target's samples get: every label but the reserved `__*` ones. */
export function publicLabels(labels: Labels): Labels {
  const pairs: string[] = [];
  labels.forEach((n, v) => {
    if (!n.startsWith(RESERVED_PREFIX)) pairs.push(n, v);
  });
  return Labels.fromSortedPairs(pairs);
}

/** Scrape interval and timeout of an active target (from its labels, which relabelling may change). */
export function targetTiming(labels: Labels): { intervalMs: number; timeoutMs: number } {
  return {
    intervalMs: parseDuration(labels.get(SCRAPE_INTERVAL_LABEL) ?? '1m'),
    timeoutMs: parseDuration(labels.get(SCRAPE_TIMEOUT_LABEL) ?? '10s'),
  };
}
