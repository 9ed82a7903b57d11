// The scrape manager (Prometheus's scrape.Manager): one pool per job, config reloads that keep
// unchanged jobs scraping without a gap, target groups from discovery handed to the pools.
import { isDeepStrictEqual } from 'node:util';
import type { Config, ScrapeConfig } from '../config/types.js';
import { ScrapePool, type ActiveTargetInfo, type PoolDeps } from './pool.js';
import type { MetricMetadata } from './scrape-loop.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Labels } from '../model/labels.js';

export class ScrapeManager {
  private readonly pools = new Map<string, { cfg: ScrapeConfig; pool: ScrapePool }>();
  /** The latest target groups per job, kept so a pool created later (reload) starts with them. */
  private readonly groups = new Map<string, readonly TargetGroup[]>();

  /** Removed jobs whose end-of-run stale markers are still pending. */
  private readonly retired = new Set<ScrapePool>();

  constructor(private readonly deps: PoolDeps) {}

  /** Starts, reloads or stops pools to match the config's scrape_configs. */
  async applyConfig(cfg: Config): Promise<void> {
    const want = new Map(cfg.scrape_configs.map((sc) => [sc.job_name, sc]));
    const work: Promise<void>[] = [];
    for (const [job, p] of this.pools) {
      const next = want.get(job);
      if (next === undefined) {
        this.pools.delete(job);
        this.groups.delete(job);
        // the job's series end with stale markers a little later; shutdown cancels them
        this.retired.add(p.pool);
        this.deps.metrics?.removed(job);
        work.push(p.pool.stop(true));
        void p.pool.endOfRun().then(() => this.retired.delete(p.pool));
      } else if (!isDeepStrictEqual(stripTargets(next), stripTargets(p.cfg))) {
        p.cfg = next;
        work.push(p.pool.reload(next));
      }
    }
    for (const [job, sc] of want) {
      if (!this.pools.has(job)) {
        this.deps.metrics?.poolCreated();
        const pool = new ScrapePool(sc, this.deps);
        this.pools.set(job, { cfg: sc, pool });
        // groups discovery sent before the job's pool existed
        const known = this.groups.get(job);
        if (known !== undefined) pool.sync(known);
      }
    }
    await Promise.all(work);
  }

  /** New target groups for a job (from discovery). */
  updateTargets(job: string, groups: readonly TargetGroup[]): void {
    this.groups.set(job, groups);
    this.pools.get(job)?.pool.sync(groups);
  }

  /** Stops scraping (shutdown): no stale markers, the series may continue after a restart. */
  async stop(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    for (const pool of this.retired) pool.cancelStaleMarkers();
    this.retired.clear();
    await Promise.all(all.map((p) => p.pool.stop(false)));
  }

  /** Resolves when every stale marker of removed jobs and targets is written (for tests). */
  async endOfRun(): Promise<void> {
    await Promise.all(
      [...this.retired, ...[...this.pools.values()].map((p) => p.pool)].map((p) => p.endOfRun()),
    );
  }

  scrapePools(): string[] {
    return [...this.pools.keys()].sort();
  }

  activeTargets(): Map<string, ActiveTargetInfo[]> {
    return new Map([...this.pools].map(([job, p]) => [job, p.pool.activeTargets()]));
  }

  droppedTargets(): Map<string, Labels[]> {
    return new Map([...this.pools].map(([job, p]) => [job, p.pool.droppedTargets()]));
  }

  droppedTargetCounts(): Record<string, number> {
    return Object.fromEntries([...this.pools].map(([job, p]) => [job, p.pool.droppedTargetCount()]));
  }

  /** Metadata per metric family over every target, for /api/v1/metadata. */
  metadata(): Map<string, MetricMetadata[]> {
    const out = new Map<string, MetricMetadata[]>();
    for (const p of this.pools.values()) {
      for (const t of p.pool.activeTargets()) {
        for (const [fam, md] of t.state.metadata) {
          let list = out.get(fam);
          if (list === undefined) out.set(fam, (list = []));
          if (!list.some((x) => x.type === md.type && x.help === md.help && x.unit === md.unit))
            list.push(md);
        }
      }
    }
    return out;
  }

  /** Every target's metadata entries (duplicates across targets kept), optionally for one metric. */
  /** Per job: metadata entries of its targets and their size in bytes (the metadata cache gauges). */
  metadataStats(): Map<string, { entries: number; bytes: number }> {
    const out = new Map<string, { entries: number; bytes: number }>();
    for (const [job, p] of this.pools) {
      let entries = 0;
      let bytes = 0;
      for (const t of p.pool.activeTargets()) {
        for (const [metric, md] of t.state.metadata) {
          entries++;
          bytes += metric.length + md.type.length + md.help.length + md.unit.length;
        }
      }
      out.set(job, { entries, bytes });
    }
    return out;
  }

  *metadataList(metric?: string): Iterable<MetricMetadata & { metric: string }> {
    for (const p of this.pools.values()) {
      for (const t of p.pool.activeTargets()) {
        for (const [fam, md] of t.state.metadata) {
          if (metric === undefined || metric === fam) yield { metric: fam, ...md };
        }
      }
    }
  }
}

/** A job's settings without its target lists: a change of targets alone does not restart loops. */
function stripTargets(sc: ScrapeConfig): unknown {
  return { ...sc, static_configs: undefined };
}
