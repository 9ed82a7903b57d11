// http_sd_configs (Prometheus's discovery/http): GET the URL every refresh_interval and read a JSON
// list of {targets, labels}. Failures are counted and logged and keep the last good groups.
import type { HTTPClientConfig, HTTPSDConfig } from '../config/types.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Discoverer, DiscovererOptions } from './discoverer.js';
import type { SDMechanismMetrics } from './metrics.js';
import { runRefreshLoop } from './refresh.js';
import { parseTargetGroups } from './target-group-file.js';

export const HTTP_SD_URL_LABEL = '__meta_url';

/** What discovery needs of an HTTP client (scrape/'s HttpClient fits, injected by cli/). */
export interface SDHttpClient {
  request(
    url: string,
    init: { headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{
    status: number;
    /** e.g. "404 Not Found". */
    statusText: string;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>;
  close?(): Promise<void>;
}

/** Builds a client with a config's authentication, TLS and proxy settings. */
export type SDHttpClientFactory = (cfg: HTTPClientConfig) => SDHttpClient;

export interface HttpDiscovererOptions extends DiscovererOptions {
  metrics: SDMechanismMetrics;
  client: SDHttpClient;
  /** e.g. "Promethium/0.1.0" (Prometheus sends "Prometheus/<version>"). */
  userAgent: string;
}

const JSON_CONTENT_TYPE = /^application\/json(;\s*charset=("utf-8"|utf-8))?$/i;

export class HttpDiscoverer implements Discoverer {
  /** How many groups the last good response had, to remove the ones that disappear. */
  private lastLength = 0;

  constructor(
    private readonly cfg: HTTPSDConfig,
    private readonly opts: HttpDiscovererOptions,
  ) {}

  async run(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
  ): Promise<void> {
    try {
      await runRefreshLoop(
        {
          mechanism: 'http',
          job: this.opts.job,
          intervalMs: this.cfg.refresh_interval,
          logger: this.opts.logger,
          metrics: this.opts.metrics,
          refresh: (s) => this.refresh(s),
        },
        signal,
        update,
        failed,
      );
    } finally {
      await this.opts.client.close?.();
    }
  }

  async refresh(signal: AbortSignal): Promise<TargetGroup[]> {
    try {
      return await this.fetchGroups(signal);
    } catch (err) {
      if (!signal.aborted) this.opts.metrics.httpFailures.inc();
      throw err;
    }
  }

  private async fetchGroups(signal: AbortSignal): Promise<TargetGroup[]> {
    const url = this.cfg.url;
    const res = await this.opts.client.request(url, {
      headers: {
        'User-Agent': this.opts.userAgent,
        Accept: 'application/json',
        'X-Prometheus-Refresh-Interval-Seconds': String(this.cfg.refresh_interval / 1000),
      },
      // as Prometheus: the client's timeout is the refresh interval
      timeoutMs: this.cfg.refresh_interval,
      signal,
    });
    if (res.status !== 200) throw new Error(`server returned HTTP status ${res.statusText}`);
    const raw = res.headers['content-type'];
    const contentType = Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? '');
    if (!JSON_CONTENT_TYPE.test(contentType.trim())) {
      throw new Error(`unsupported content type ${JSON.stringify(contentType)}`);
    }
    const specs = parseTargetGroups('json', res.body.toString('utf8'));
    const groups = specs.map((spec, i): TargetGroup => ({
      source: urlSource(url, i),
      targets: spec.targets.map((address) => ({ __address__: address })),
      labels: { ...spec.labels, [HTTP_SD_URL_LABEL]: url },
    }));
    // empty groups for sources that disappeared
    for (let i = groups.length; i < this.lastLength; i++) {
      groups.push({ source: urlSource(url, i), targets: [], labels: {} });
    }
    this.lastLength = specs.length;
    return groups;
  }
}

function urlSource(url: string, i: number): string {
  return `${url}:${i}`;
}
