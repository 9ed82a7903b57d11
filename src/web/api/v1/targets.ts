// /api/v1/targets, /api/v1/scrape_pools and /api/v1/targets/metadata in Prometheus's shapes. The scrape
// manager implements TargetsSource; until scraping exists the pools come from the config's jobs.
import type { FastifyInstance } from 'fastify';
import type { Matcher } from '../../../model/matcher.js';
import { parseMetricSelector } from '../../../promql/parser/index.js';
import { queryValues } from '../../request-form.js';
import { sendError, sendSuccess } from './envelope.js';
import { goTime } from './timestamps.js';

export type TargetHealth = 'up' | 'down' | 'unknown';

export interface TargetMetricMetadata {
  metric: string;
  /** counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown */
  type: string;
  help: string;
  unit: string;
}

export interface ActiveTarget {
  /** Labels before relabelling. */
  discoveredLabels: Readonly<Record<string, string>>;
  /** Labels after relabelling (those added to every scraped series). */
  labels: Readonly<Record<string, string>>;
  scrapeUrl: string;
  /** The scrape URL with localhost replaced by the external host, as Prometheus's getGlobalURL. */
  globalUrl: string;
  /** "" when the last scrape succeeded. */
  lastError: string;
  /** Undefined before the first scrape. */
  lastScrape: Date | undefined;
  /** Seconds. */
  lastScrapeDuration: number;
  health: TargetHealth;
  /** As configured, e.g. "15s". */
  scrapeInterval: string;
  scrapeTimeout: string;
  /** The metadata the last scrapes carried (HELP/TYPE/UNIT). */
  metadata(): readonly TargetMetricMetadata[];
}

export interface DroppedTarget {
  discoveredLabels: Readonly<Record<string, string>>;
}

/** What the scrape manager exposes to the API (Prometheus's TargetRetriever and ScrapePoolsRetriever). */
export interface TargetsSource {
  /** Active targets by scrape pool. */
  activeTargets(): ReadonlyMap<string, readonly ActiveTarget[]>;
  /** Dropped targets kept for display (keep_dropped_targets), by scrape pool. */
  droppedTargets(): ReadonlyMap<string, readonly DroppedTarget[]>;
  /** Dropped targets per pool, all of them counted. */
  droppedTargetCounts(): Readonly<Record<string, number>>;
  /** Names of the scrape pools. */
  scrapePools(): readonly string[];
}

/**
 * A source with no targets yet: the pools are the configured jobs, as Prometheus lists them once
 * discovery has sent its (here empty) target groups, each with no dropped targets.
 */
export function unscrapedTargets(jobNames: () => readonly string[]): TargetsSource {
  return {
    activeTargets: () => new Map(),
    droppedTargets: () => new Map(),
    droppedTargetCounts: () => Object.fromEntries(jobNames().map((n) => [n, 0])),
    scrapePools: () => jobNames(),
  };
}

function sortedPools<T>(m: ReadonlyMap<string, readonly T[]>): string[] {
  return [...m.keys()].sort();
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}

export function registerTargetsRoutes(app: FastifyInstance, source: TargetsSource): void {
  app.get('/api/v1/targets', (req, reply) => {
    const q = queryValues(req);
    const pool = q.get('scrapePool') ?? '';
    const state = (q.get('state') ?? '').toLowerCase();
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const activeTargets: unknown[] = [];
    const droppedTargets: unknown[] = [];
    // Prometheus leaves the counts out (null) when dropped targets are not asked for.
    let droppedTargetCounts: Readonly<Record<string, number>> | null = null;
    if (showActive) {
      const active = source.activeTargets();
      for (const name of sortedPools(active)) {
        if (pool !== '' && name !== pool) continue;
        for (const t of active.get(name)!) {
          activeTargets.push({
            discoveredLabels: sortedRecord(t.discoveredLabels),
            labels: sortedRecord(t.labels),
            scrapePool: name,
            scrapeUrl: t.scrapeUrl,
            globalUrl: t.globalUrl,
            lastError: t.lastError,
            lastScrape: goTime(t.lastScrape),
            lastScrapeDuration: t.lastScrapeDuration,
            health: t.health,
            scrapeInterval: t.scrapeInterval,
            scrapeTimeout: t.scrapeTimeout,
          });
        }
      }
    }
    if (showDropped) {
      droppedTargetCounts = source.droppedTargetCounts();
      const dropped = source.droppedTargets();
      for (const name of sortedPools(dropped)) {
        if (pool !== '' && name !== pool) continue;
        for (const t of dropped.get(name)!) {
          droppedTargets.push({ discoveredLabels: sortedRecord(t.discoveredLabels), scrapePool: name });
        }
      }
    }
    return sendSuccess(reply, { activeTargets, droppedTargets, droppedTargetCounts });
  });

  app.get('/api/v1/scrape_pools', (_req, reply) =>
    sendSuccess(reply, { scrapePools: [...source.scrapePools()].sort() }),
  );

  app.get('/api/v1/targets/metadata', (req, reply) => {
    const q = queryValues(req);
    let limit = -1;
    const rawLimit = q.get('limit') ?? '';
    if (rawLimit !== '') {
      if (!/^[+-]?\d+$/.test(rawLimit)) return sendError(reply, 'bad_data', 'limit must be a number');
      limit = Number(rawLimit);
    }
    const matchTarget = q.get('match_target') ?? '';
    let matchers: Matcher[] = [];
    if (matchTarget !== '') {
      try {
        matchers = parseMetricSelector(matchTarget);
      } catch (err) {
        return sendError(reply, 'bad_data', `invalid parameter "match_target": ${(err as Error).message}`);
      }
    }
    const metric = q.get('metric') ?? '';
    const res: unknown[] = [];
    const active = source.activeTargets();
    for (const name of sortedPools(active)) {
      for (const t of active.get(name)!) {
        if (limit >= 0 && res.length >= limit) break;
        if (!matchers.every((m) => m.matches(t.labels[m.name] ?? ''))) continue;
        const target = sortedRecord(t.labels);
        for (const md of t.metadata()) {
          if (metric === '') {
            res.push({ target, metric: md.metric, type: md.type, help: md.help, unit: md.unit });
          } else if (md.metric === metric) {
            // With a metric given, Prometheus leaves the (known) name out of each entry.
            res.push({ target, type: md.type, help: md.help, unit: md.unit });
            break;
          }
        }
      }
    }
    return sendSuccess(reply, res);
  });
}
