// The discovery manager (Prometheus's discovery.Manager): runs one provider per distinct SD config,
// shared by every job that has that config; keeps each provider's groups by source; hands every job's
// merged groups to a consumer (the scrape manager), throttled to one send per update interval (5 s).
import { isDeepStrictEqual } from 'node:util';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Discoverer } from './discoverer.js';
import {
  createDiscoverer,
  type DiscovererFactoryOptions,
  type SDConfig,
  type SDType,
} from './discoverers.js';
import { createSDMetrics, type SDMetrics } from './metrics.js';

/** Prometheus's updatert. */
export const DEFAULT_UPDATE_INTERVAL_MS = 5_000;

export type TargetGroupConsumer = (job: string, groups: TargetGroup[]) => void;

export interface DiscoveryManagerOptions extends Pick<
  DiscovererFactoryOptions,
  'httpClient' | 'userAgent' | 'dnsServers' | 'fileFallbackPollMs' | 'kubernetes'
> {
  logger: Logger;
  /** Where the SD metrics are registered; or pass `metrics` already registered. */
  registry?: Registry;
  metrics?: SDMetrics;
  /** Receives every job's full set of groups (an empty list drops the job's targets). */
  consumer: TargetGroupConsumer;
  /** The manager's name in metrics (`name` label). Default "scrape". */
  name?: string;
  /** The least time between two sends to the consumer. Default 5 s. */
  updateIntervalMs?: number;
  /** Builds providers; default createDiscoverer (tests inject their own). */
  factory?: (cfg: SDConfig, opts: DiscovererFactoryOptions) => Discoverer;
}

interface Provider {
  /** "<type>/<n>", as Prometheus names providers. */
  name: string;
  type: SDType;
  config: SDConfig;
  discoverer: Discoverer;
  /** The jobs it serves, and the ones it will serve once the running applyConfig is done. */
  subs: Set<string>;
  newSubs: Set<string>;
  /** Its current groups by source. */
  groups: Map<string, TargetGroup>;
  abort?: AbortController;
  done?: Promise<void>;
  /** Whether its first update has arrived (that one is sent promptly). */
  initialReceived: boolean;
  lastError?: Error;
}

export interface ProviderStatus {
  name: string;
  type: SDType;
  jobs: string[];
  groups: number;
  lastError?: string;
}

export class DiscoveryManager {
  private providers: Provider[] = [];
  private jobs = new Set<string>();
  private lastProvider = 0;
  private readonly metrics: SDMetrics;
  private readonly name: string;
  private readonly intervalMs: number;
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private lastSend = -Infinity;
  private stopped = false;

  constructor(private readonly opts: DiscoveryManagerOptions) {
    if (opts.metrics === undefined && opts.registry === undefined) {
      throw new Error('DiscoveryManager needs a registry or metrics');
    }
    this.metrics = opts.metrics ?? createSDMetrics(opts.registry!);
    this.name = opts.name ?? 'scrape';
    this.intervalMs = opts.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS;
    this.metrics.failedConfigs.set({ name: this.name }, 0);
    for (const c of ['receivedUpdates', 'delayedUpdates', 'sentUpdates'] as const) {
      this.metrics[c].inc({ name: this.name }, 0);
    }
  }

  /**
   * Starts the providers of new configs, keeps the ones whose config is unchanged (they keep running
   * and keep their groups) and stops the rest; then sends every job's groups at once. Resolves once
   * the stopped providers have finished.
   */
  async applyConfig(jobs: ReadonlyMap<string, readonly SDConfig[]>): Promise<void> {
    if (this.stopped) return;
    let failed = 0;
    for (const [job, configs] of jobs) failed += this.register(job, configs);
    this.metrics.failedConfigs.set({ name: this.name }, failed);

    const stopping: Promise<void>[] = [];
    const keep: Provider[] = [];
    for (const p of this.providers) {
      if (p.newSubs.size === 0) {
        if (p.abort !== undefined) {
          this.opts.logger.debug('Stopping provider', { provider: p.name });
          p.abort.abort();
          if (p.done !== undefined) stopping.push(p.done);
        }
        continue;
      }
      keep.push(p);
      p.subs = p.newSubs;
      p.newSubs = new Set();
      if (p.abort === undefined) this.start(p);
    }
    this.providers = keep;

    for (const job of this.jobs) {
      if (!jobs.has(job)) this.metrics.discoveredTargets.remove({ name: this.name, config: job });
    }
    this.jobs = new Set(jobs.keys());
    // Consumers expect the full state right after a reload (Prometheus pulls its trigger here too);
    // it is sent at once rather than at the next tick so dropped jobs' targets go promptly.
    this.send([...this.jobs]);
    await Promise.all(stopping);
  }

  /** Stops every provider; nothing is sent afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const done: Promise<void>[] = [];
    for (const p of this.providers) {
      p.abort?.abort();
      if (p.done !== undefined) done.push(p.done);
    }
    this.providers = [];
    await Promise.all(done);
  }

  /** The running providers, for status views and tests. */
  providerStatus(): ProviderStatus[] {
    return this.providers.map((p) => ({
      name: p.name,
      type: p.type,
      jobs: [...p.subs].sort(),
      groups: p.groups.size,
      lastError: p.lastError?.message,
    }));
  }

  /** The merged groups of a job as the consumer last got or will next get them. */
  targetGroups(job: string): TargetGroup[] {
    return this.groupsOf(job);
  }

  /** Registers the providers of one job; returns how many configs failed to create a provider. */
  private register(job: string, configs: readonly SDConfig[]): number {
    let failed = 0;
    let added = false;
    const add = (cfg: SDConfig): void => {
      for (const p of this.providers) {
        if (isDeepStrictEqual(cfg, p.config)) {
          p.newSubs.add(job);
          added = true;
          return;
        }
      }
      const factory = this.opts.factory ?? createDiscoverer;
      let discoverer: Discoverer;
      try {
        discoverer = factory(cfg, {
          logger: this.opts.logger.with({ discovery: cfg.type, config: job }),
          job,
          metrics: this.metrics,
          httpClient: this.opts.httpClient,
          userAgent: this.opts.userAgent,
          dnsServers: this.opts.dnsServers,
          fileFallbackPollMs: this.opts.fileFallbackPollMs,
          kubernetes: this.opts.kubernetes,
        });
      } catch (err) {
        this.opts.logger.error('Cannot create service discovery', {
          err: err instanceof Error ? err.message : String(err),
          type: cfg.type,
          config: job,
        });
        failed++;
        return;
      }
      this.providers.push({
        name: `${cfg.type}/${this.lastProvider++}`,
        type: cfg.type,
        config: cfg,
        discoverer,
        subs: new Set(),
        newSubs: new Set([job]),
        groups: new Map(),
        initialReceived: false,
      });
      added = true;
    };
    for (const cfg of configs) add(cfg);
    // A job with no (working) discovery still gets an empty list, so its old targets are dropped.
    if (!added) add({ type: 'static', config: [] });
    return failed;
  }

  private start(p: Provider): void {
    this.opts.logger.debug('Starting provider', { provider: p.name, subs: [...p.subs].join(',') });
    const abort = new AbortController();
    p.abort = abort;
    const { signal } = abort;
    p.done = p.discoverer
      .run(
        signal,
        (groups) => {
          if (!signal.aborted && !this.stopped) this.received(p, groups);
        },
        (err) => {
          if (signal.aborted) return;
          // the provider has logged and counted it; its last good groups stay
          p.lastError = err;
          this.opts.logger.debug('Discovery provider failed', { provider: p.name, err: err.message });
        },
      )
      .catch((err: unknown) => {
        this.opts.logger.error('Discovery provider stopped unexpectedly', {
          provider: p.name,
          err: err instanceof Error ? err.message : String(err),
        });
      });
  }

  private received(p: Provider, groups: readonly TargetGroup[]): void {
    this.metrics.receivedUpdates.inc({ name: this.name });
    for (const g of groups) {
      // an empty group removes its source
      if (g.targets.length > 0) p.groups.set(g.source, g);
      else p.groups.delete(g.source);
    }
    p.lastError = undefined;
    for (const job of p.subs) this.dirty.add(job);
    // a provider's first groups go out at once; later changes wait for the update interval
    this.schedule(!p.initialReceived);
    p.initialReceived = true;
  }

  private schedule(prompt: boolean): void {
    if (this.stopped) return;
    const due = prompt ? Date.now() : Math.max(Date.now(), this.lastSend + this.intervalMs);
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const jobs = [...this.dirty].filter((j) => this.jobs.has(j));
      if (jobs.length > 0) this.send(jobs);
      this.dirty.clear();
    }, due - Date.now());
  }

  private send(jobs: string[]): void {
    if (this.stopped) return;
    for (const job of jobs) this.dirty.delete(job);
    this.lastSend = Date.now();
    this.metrics.sentUpdates.inc({ name: this.name });
    this.metrics.lastUpdate.set({ name: this.name }, this.lastSend / 1000);
    for (const job of jobs.sort()) {
      const groups = this.groupsOf(job);
      const n = groups.reduce((sum, g) => sum + g.targets.length, 0);
      this.metrics.discoveredTargets.set({ name: this.name, config: job }, n);
      try {
        this.opts.consumer(job, groups);
      } catch (err) {
        this.opts.logger.error('Discovery consumer failed', {
          config: job,
          err: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  private groupsOf(job: string): TargetGroup[] {
    const out: TargetGroup[] = [];
    for (const p of this.providers) if (p.subs.has(job)) out.push(...p.groups.values());
    return out;
  }
}
