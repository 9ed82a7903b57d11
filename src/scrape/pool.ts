// A scrape pool: one job's targets and their loops (Prometheus's scrapePool). Target groups from
// discovery are relabelled into active and dropped targets; a loop runs per active target, with its
// phase in the interval derived from a hash of the target so it is stable across restarts.
import { EXPONENTIAL_SCHEMA_MAX, schemaForBucketFactor } from '../model/histogram.js';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ScrapeConfig } from '../config/types.js';
import { acceptHeader } from '../model/exposition/index.js';
import type { Labels } from '../model/labels.js';
import { compileRelabels, type CompiledRelabel } from '../model/relabel/relabel.js';
import type { Appendable } from '../storage/interfaces.js';
import type { Logger } from '../log/logger.js';
import type { PoolMetrics } from './metrics.js';
import {
  ScrapeLoop,
  type ScrapeCache,
  type ScrapeCounters,
  type ScrapeFetcher,
  type ScrapeState,
} from './scrape-loop.js';
import {
  SCRAPE_INTERVAL_LABEL,
  SCRAPE_TIMEOUT_LABEL,
  populateLabels,
  publicLabels,
  targetTiming,
  targetURL,
} from './target.js';
import type { TargetGroup } from '../model/target-group.js';

export interface ActiveTargetInfo {
  discoveredLabels: Labels;
  /** All labels after relabelling, `__*` included. */
  labels: Labels;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  state: ScrapeState;
}

export interface PoolDeps {
  appendable: Appendable;
  /** Makes the HTTP client for a job's settings. */
  fetcher(cfg: ScrapeConfig): ScrapeFetcher & { close?(): Promise<void> | void };
  logger: Logger;
  counters?: ScrapeCounters;
  /** Sync, reload and target-limit counts (prometheus_target_scrape_pool_*, _sync_*). */
  metrics?: PoolMetrics;
  /** Mixed into every target's phase, as Prometheus mixes in the host and external labels. */
  offsetSeed: string;
  /** --enable-feature=extra-scrape-metrics: the extra synthetic series for every job. */
  extraMetrics?: boolean;
  /** --scrape.timestamp-tolerance (ms; Prometheus's 2 ms by default); negative: no alignment. */
  timestampToleranceMs?: number;
  /** --enable-feature=st-storage: samples carry the start timestamps the format gives. */
  parseST?: boolean;
  now?: () => number;
}

interface Running {
  key: string;
  info: Omit<ActiveTargetInfo, 'state'>;
  loop: ScrapeLoop;
}

export class ScrapePool {
  private readonly loops = new Map<string, Running>();
  private reloading = false;
  private dropped: Labels[] = [];
  private droppedCount = 0;
  private groups = new Map<string, TargetGroup>();
  private rules: CompiledRelabel[];
  private metricRules: CompiledRelabel[];
  private fetcher: ReturnType<PoolDeps['fetcher']>;
  /** Loops stopped with end-of-run stale markers still to write. */
  private readonly endingLoops = new Set<ScrapeLoop>();

  constructor(
    private cfg: ScrapeConfig,
    private readonly deps: PoolDeps,
  ) {
    this.rules = compileRelabels(cfg.relabel_configs);
    this.metricRules = compileRelabels(cfg.metric_relabel_configs);
    this.fetcher = deps.fetcher(cfg);
  }

  get jobName(): string {
    return this.cfg.job_name;
  }

  /** Replaces the groups from one provider set (by source) and re-syncs the targets. */
  sync(groups: readonly TargetGroup[]): void {
    this.groups = new Map(groups.map((g) => [g.source, g]));
    // during a reload the new loops are made once the old ones stopped (they may take their caches)
    if (!this.reloading) this.resync();
  }

  /**
   * A changed job config: loops restart with the new settings on the same phase. As Prometheus's
   * reload, a new loop keeps its predecessor's scrape cache (and the old one writes no end-of-run
   * stale markers) unless the change affects the samples themselves; then the old loop's series end
   * with stale markers unless the new loop continues them.
   */
  async reload(cfg: ScrapeConfig): Promise<void> {
    const started = performance.now();
    try {
      await this.reloadWith(cfg);
    } catch (err) {
      this.deps.metrics?.reloadFailed();
      throw err;
    }
    this.deps.metrics?.reloaded(cfg.scrape_interval, (performance.now() - started) / 1000);
  }

  private async reloadWith(cfg: ScrapeConfig): Promise<void> {
    this.reloading = true;
    const reuseCache = reusableCache(this.cfg, cfg);
    const old = new Map(this.loops);
    this.loops.clear();
    this.cfg = cfg;
    this.rules = compileRelabels(cfg.relabel_configs);
    this.metricRules = compileRelabels(cfg.metric_relabel_configs);
    const oldFetcher = this.fetcher;
    this.fetcher = this.deps.fetcher(cfg);
    await Promise.all(
      [...old.values()].map(async (r) => {
        if (reuseCache) r.loop.disableEndOfRunStaleness();
        const stopped = r.loop.stop(!reuseCache);
        if (!reuseCache) this.ending(r.loop);
        await stopped;
      }),
    );
    await oldFetcher.close?.();
    this.reloading = false;
    this.resync(reuseCache ? old : undefined);
  }

  /**
   * Stops every loop. `markStale` when the job went away: the series end with stale markers after
   * about two intervals (see ScrapeLoop.stop); not at shutdown, as Prometheus.
   */
  async stop(markStale: boolean): Promise<void> {
    const all = [...this.loops.values()];
    this.loops.clear();
    if (!markStale) this.cancelStaleMarkers();
    const stopped = all.map((r) => r.loop.stop(markStale));
    if (markStale) for (const r of all) this.ending(r.loop);
    await Promise.all(stopped);
    await this.fetcher.close?.();
  }

  /** Resolves when the stale markers of every stopped target are written (or cancelled). */
  async endOfRun(): Promise<void> {
    while (this.endingLoops.size > 0) await Promise.all([...this.endingLoops].map((l) => l.endOfRun()));
  }

  /** Drops the pending end-of-run stale markers (shutdown: the series may continue after a restart). */
  cancelStaleMarkers(): void {
    for (const l of this.endingLoops) l.disableEndOfRunStaleness();
    this.endingLoops.clear();
  }

  activeTargets(): ActiveTargetInfo[] {
    return [...this.loops.values()].map((r) => ({ ...r.info, state: r.loop.state }));
  }

  droppedTargets(): Labels[] {
    return this.dropped;
  }

  droppedTargetCount(): number {
    return this.droppedCount;
  }

  private resync(previous?: ReadonlyMap<string, Running>): void {
    const started = performance.now();
    const want = new Map<string, Omit<ActiveTargetInfo, 'state'>>();
    const dropped: Labels[] = [];
    let droppedCount = 0;
    for (const g of this.groups.values()) {
      for (const t of g.targets) {
        const r = populateLabels(this.cfg, this.rules, t, g.labels);
        if (r.kind === 'dropped') {
          droppedCount++;
          if (this.cfg.keep_dropped_targets === 0 || dropped.length < this.cfg.keep_dropped_targets) {
            dropped.push(r.discovered);
          }
          continue;
        }
        if (r.kind === 'error') {
          this.deps.logger.error('Creating target failed', {
            scrape_pool: this.cfg.job_name,
            err: r.error,
          });
          this.deps.metrics?.syncFailed(this.cfg.job_name);
          continue;
        }
        const url = targetURL(this.cfg, r.labels);
        const key = `${r.labels.pairs.join('\xff')}\xfe${url}`;
        if (want.has(key)) continue;
        want.set(key, { discoveredLabels: r.discovered, labels: r.labels, url, ...targetTiming(r.labels) });
      }
    }
    this.dropped = dropped;
    this.droppedCount = droppedCount;
    // Prometheus's refreshTargetLimitErr: over the limit, every loop keeps its schedule but fails
    const limit = this.cfg.target_limit;
    const limitError =
      limit > 0 && want.size > limit
        ? `target_limit exceeded (number of targets: ${want.size}, limit: ${limit})`
        : undefined;
    if (limitError !== undefined) this.deps.metrics?.exceededTargetLimit();
    for (const [key, r] of this.loops) {
      if (!want.has(key)) {
        this.loops.delete(key);
        void r.loop.stop(true);
        this.ending(r.loop);
      }
    }
    // after a reload that keeps samples as they were, a target's new loop takes over its old cache;
    // matched without the interval and timeout labels, which such a reload may change
    const inherited =
      previous === undefined
        ? undefined
        : new Map([...previous.values()].map((r) => [sameTarget(r.info), r]));
    for (const [key, info] of want) {
      let running = this.loops.get(key);
      if (running === undefined) {
        running = { key, info, loop: this.newLoop(info, inherited?.get(sameTarget(info))?.loop.scrapeCache) };
        this.loops.set(key, running);
        running.loop.setForcedError(limitError);
        running.loop.start(this.offset(key, info.intervalMs));
      } else {
        running.loop.setForcedError(limitError);
      }
    }
    this.deps.metrics?.synced(
      this.cfg.job_name,
      (performance.now() - started) / 1000,
      this.loops.size,
      limit,
    );
  }

  /** Tracks a loop just stopped with stop(true) until its stale markers are written. */
  private ending(loop: ScrapeLoop): void {
    this.endingLoops.add(loop);
    void loop.endOfRun().then(() => this.endingLoops.delete(loop));
  }

  private newLoop(info: Omit<ActiveTargetInfo, 'state'>, cache?: ScrapeCache): ScrapeLoop {
    const c = this.cfg;
    return new ScrapeLoop(
      {
        url: info.url,
        targetLabels: publicLabels(info.labels),
        intervalMs: info.intervalMs,
        timeoutMs: info.timeoutMs,
        honorLabels: c.honor_labels,
        honorTimestamps: c.honor_timestamps,
        trackTimestampsStaleness: c.track_timestamps_staleness,
        metricRelabel: this.metricRules,
        limits: {
          sampleLimit: c.sample_limit,
          labelLimit: c.label_limit,
          labelNameLengthLimit: c.label_name_length_limit,
          labelValueLengthLimit: c.label_value_length_limit,
        },
        accept: acceptHeader(c.scrape_protocols, c.metric_name_escaping_scheme),
        fallbackProtocol: c.fallback_scrape_protocol === '' ? undefined : c.fallback_scrape_protocol,
        enableCompression: c.enable_compression,
        bodySizeLimit: c.body_size_limit,
        extraMetrics: c.extra_scrape_metrics || this.deps.extraMetrics === true,
        nativeHistograms: c.scrape_native_histograms
          ? {
              alwaysScrapeClassic: c.always_scrape_classic_histograms,
              bucketLimit: c.native_histogram_bucket_limit,
              maxSchema:
                c.native_histogram_min_bucket_factor > 0
                  ? schemaForBucketFactor(c.native_histogram_min_bucket_factor)
                  : EXPONENTIAL_SCHEMA_MAX,
            }
          : undefined,
        classicToNhcb: c.convert_classic_histograms_to_nhcb
          ? {
              keepClassic: c.always_scrape_classic_histograms,
              bucketLimit: c.native_histogram_bucket_limit,
              maxSchema: EXPONENTIAL_SCHEMA_MAX,
            }
          : undefined,
        appendable: this.deps.appendable,
        fetcher: this.fetcher,
        logger: this.deps.logger,
        counters: this.deps.counters,
        timestampToleranceMs: this.deps.timestampToleranceMs,
        parseST: this.deps.parseST,
        now: this.deps.now,
      },
      cache,
    );
  }

  private offset(key: string, intervalMs: number): number {
    return scrapeOffset(this.deps.offsetSeed, key, intervalMs, (this.deps.now ?? Date.now)());
  }
}

/**
 * A target's phase within its interval, as the delay from `now` to its next scrape (Prometheus's
 * Target.offset): pinned to absolute time, so the same target scrapes at the same moments within the
 * interval whenever it is (re)started, and spread across targets by a hash of the target and the seed.
 */
export function scrapeOffset(seed: string, key: string, intervalMs: number, now: number): number {
  const h = createHash('sha256').update(seed).update(key).digest().readUIntBE(0, 6);
  const base = intervalMs - (now % intervalMs);
  let next = base + (h % intervalMs);
  if (next > intervalMs) next -= intervalMs;
  return next;
}

/** Settings that do not change the scraped samples (Prometheus's zeroConfig): HTTP client, timing, sample_limit. */
const NOT_AFFECTING_SAMPLES = new Set([
  'scrape_interval',
  'scrape_timeout',
  'sample_limit',
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
  'enable_http2',
  'http_headers',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
]);

/** Prometheus's reusableCache: whether a new config keeps the scrape caches valid. */
export function reusableCache(a: ScrapeConfig, b: ScrapeConfig): boolean {
  const zero = (c: ScrapeConfig): Record<string, unknown> =>
    Object.fromEntries(Object.entries(c).filter(([k]) => !NOT_AFFECTING_SAMPLES.has(k)));
  return isDeepStrictEqual(zero(a), zero(b));
}

/** A target's identity across a reload: its labels and URL, without the scrape interval and timeout. */
function sameTarget(info: { labels: Labels; url: string }): string {
  const pairs: string[] = [];
  info.labels.forEach((n, v) => {
    if (n !== SCRAPE_INTERVAL_LABEL && n !== SCRAPE_TIMEOUT_LABEL) pairs.push(n, v);
  });
  return `${pairs.join('\xff')}\xfe${info.url}`;
}
