// One target's scrape loop, as Prometheus's scrapeLoop: fetch on a fixed phase within the interval,
// parse straight into the appender through the scrape cache, label the samples (honor_labels,
// metric_relabel_configs), enforce the limits, write stale markers for series that went away, and
// append the synthetic series (up, scrape_duration_seconds, ...).
import { Labels, METRIC_NAME } from '../model/labels.js';
import { STALE_NAN } from '../model/value.js';
import { Entry, parserFor, type MetricType } from '../model/exposition/index.js';
import type { ScrapeProtocol } from '../model/exposition/index.js';
import { relabel, type CompiledRelabel } from '../model/relabel/relabel.js';
import type { Appendable, Appender, SeriesRef } from '../storage/interfaces.js';
import { StorageError } from '../storage/errors.js';
import type { Logger } from '../log/logger.js';
import { SeriesCache } from './series-cache.js';

/** What the loop needs from the HTTP client (src/scrape/http-client.ts implements it). */
export interface ScrapeFetcher {
  fetch(url: string, opts: FetchOptions): Promise<FetchResult>;
}

export interface FetchOptions {
  timeoutMs: number;
  accept: string;
  enableCompression: boolean;
  /** Bytes; 0 for no limit. */
  bodySizeLimit: number;
  signal?: AbortSignal;
}

export interface FetchResult {
  body: string;
  contentType: string | undefined;
  /** Size of the (uncompressed) body in bytes. */
  bytes: number;
}

export interface ScrapeLimits {
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
}

export interface ScrapeLoopOptions {
  url: string;
  /** The target's public labels (no `__*`), which every sample gets. */
  targetLabels: Labels;
  intervalMs: number;
  timeoutMs: number;
  honorLabels: boolean;
  honorTimestamps: boolean;
  trackTimestampsStaleness: boolean;
  metricRelabel: readonly CompiledRelabel[];
  limits: ScrapeLimits;
  accept: string;
  fallbackProtocol: ScrapeProtocol | undefined;
  enableCompression: boolean;
  bodySizeLimit: number;
  extraMetrics: boolean;
  appendable: Appendable;
  fetcher: ScrapeFetcher;
  logger: Logger;
  counters?: ScrapeCounters;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counters the scrape pool exports as prometheus_target_* metrics. */
export interface ScrapeCounters {
  exceededSampleLimit(): void;
  exceededBodySizeLimit(): void;
  exceededLabelLimits(): void;
  outOfOrder(n: number): void;
  duplicate(n: number): void;
  outOfBounds(n: number): void;
  intervalLength(intervalMs: number, actualMs: number): void;
}

export type Health = 'unknown' | 'up' | 'down';

export interface MetricMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

/** The target's state for /api/v1/targets. */
export interface ScrapeState {
  health: Health;
  lastError: string;
  /** ms since the epoch; 0 before the first scrape. */
  lastScrape: number;
  lastScrapeDurationMs: number;
  /** Metric family → metadata from the latest successful scrape. */
  metadata: Map<string, MetricMetadata>;
}

/** Samples with explicit timestamps this far ahead of the scrape fail it (a hostile target's clock). */
const MAX_FUTURE_MS = 10 * 60_000;

interface CachedSeries {
  ref: SeriesRef;
  /** null when metric relabelling dropped the series. */
  labels: Labels | null;
  /** Whether the series gets a stale marker when it disappears (not with its own timestamps). */
  trackStale: boolean;
}

class ScrapeFailure extends Error {}

export class ScrapeLoop {
  readonly state: ScrapeState = {
    health: 'unknown',
    lastError: '',
    lastScrape: 0,
    lastScrapeDurationMs: 0,
    metadata: new Map(),
  };
  private cache = new SeriesCache<CachedSeries>();
  private readonly reportRefs = new Map<string, SeriesRef>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private lastStart = 0;
  private readonly now: () => number;

  constructor(private readonly o: ScrapeLoopOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Starts scraping after `offsetMs`, then every interval on the same phase. */
  start(offsetMs: number): void {
    const first = this.now() + offsetMs;
    const tick = (at: number): void => {
      if (this.stopped) return;
      this.running = this.scrapeOnce(at).finally(() => {
        this.running = undefined;
      });
      // the next tick on the phase, skipping ticks a long scrape overran
      let next = at + this.o.intervalMs;
      const now = this.now();
      while (next <= now) next += this.o.intervalMs;
      this.timer = setTimeout(() => tick(next), next - now);
    };
    this.timer = setTimeout(() => tick(first), Math.max(0, offsetMs));
  }

  /** Stops the loop; with `markStale`, the target's series end with stale markers (target gone). */
  async stop(markStale = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.running;
    if (markStale) await this.endOfRunStaleness();
  }

  /** One scrape at `scheduled` (ms): fetch, append, report. Never throws. */
  async scrapeOnce(scheduled = this.now()): Promise<void> {
    const start = this.now();
    // Prometheus aligns the sample timestamp to the schedule when the tick was (almost) on time
    const appendTime =
      Math.abs(start - scheduled) <= Math.min(2, this.o.intervalMs / 100) ? scheduled : start;
    if (this.lastStart > 0) this.o.counters?.intervalLength(this.o.intervalMs, start - this.lastStart);
    this.lastStart = start;
    this.abort = new AbortController();
    let error: string | undefined;
    let body: FetchResult | undefined;
    try {
      body = await this.o.fetcher.fetch(this.o.url, {
        timeoutMs: this.o.timeoutMs,
        accept: this.o.accept,
        enableCompression: this.o.enableCompression,
        bodySizeLimit: this.o.bodySizeLimit,
        signal: this.abort.signal,
      });
    } catch (err) {
      error = (err as Error).message;
      if (/body size limit/.test(error)) this.o.counters?.exceededBodySizeLimit();
    }
    if (this.stopped && error !== undefined) return;
    let counts = { total: 0, added: 0, seriesAdded: 0 };
    if (body !== undefined) {
      try {
        counts = await this.append(body, appendTime);
      } catch (err) {
        error = (err as Error).message;
        counts = { total: counts.total, added: 0, seriesAdded: 0 };
      }
    }
    if (error !== undefined) {
      // a failed scrape ends every series of the previous one, as an empty scrape would
      await this.markAllStale(appendTime);
    }
    const durationMs = this.now() - start;
    this.state.health = error === undefined ? 'up' : 'down';
    this.state.lastError = error ?? '';
    this.state.lastScrape = start;
    this.state.lastScrapeDurationMs = durationMs;
    if (error !== undefined) this.o.logger.debug('Scrape failed', { target: this.o.url, err: error });
    await this.report(appendTime, error === undefined, durationMs, counts, body?.bytes ?? 0);
  }

  private async append(
    res: FetchResult,
    appendTime: number,
  ): Promise<{ total: number; added: number; seriesAdded: number }> {
    const { parser: p } = parserFor(res.contentType, this.o.fallbackProtocol, res.body);
    const app = this.o.appendable.appender();
    const cache = this.cache;
    const { sampleLimit } = this.o.limits;
    const metadata = new Map<string, MetricMetadata>();
    let total = 0;
    let added = 0;
    let seriesAdded = 0;
    let ooo = 0;
    let dup = 0;
    let oob = 0;
    cache.begin();
    try {
      for (;;) {
        p.expectSeries(cache.expected());
        const kind = p.next();
        if (kind === Entry.EOF) break;
        if (kind !== Entry.Series) {
          if (kind === Entry.Type || kind === Entry.Help || kind === Entry.Unit) {
            const fam = p.family();
            let md = metadata.get(fam);
            if (md === undefined) {
              md = { type: 'unknown', help: '', unit: '' };
              metadata.set(fam, md);
            }
            if (kind === Entry.Type) md.type = p.metricType();
            else if (kind === Entry.Help) md.help = p.help();
            else md.unit = p.unit();
          }
          continue;
        }
        total++;
        const text = p.seriesText();
        let rec = cache.get(text);
        let isNew = false;
        if (rec === undefined) {
          const lset = this.sampleLabels(p.labels());
          if (lset !== null) this.checkLabelLimits(lset);
          rec = { ref: 0, labels: lset, trackStale: true };
          cache.set(text, rec);
          isNew = true;
        }
        if (rec.labels === null) continue;
        const ts = this.o.honorTimestamps ? p.timestamp() : undefined;
        if (ts !== undefined && ts > appendTime + MAX_FUTURE_MS) {
          throw new ScrapeFailure(
            `sample timestamp ${ts} is more than ${MAX_FUTURE_MS / 60_000}m ahead of the scrape time ${appendTime}`,
          );
        }
        rec.trackStale = ts === undefined || this.o.trackTimestampsStaleness;
        added++;
        if (sampleLimit > 0 && added > sampleLimit) {
          this.o.counters?.exceededSampleLimit();
          throw new ScrapeFailure('sample limit exceeded');
        }
        try {
          rec.ref = app.append(rec.ref, rec.labels, ts ?? appendTime, p.value());
          if (isNew) seriesAdded++;
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          if (err.kind === 'out_of_order') ooo++;
          else if (err.kind === 'duplicate') dup++;
          else if (err.kind === 'out_of_bounds' || err.kind === 'too_old') oob++;
          else throw err;
        }
      }
      // series of the previous scrape missing from this one end here
      cache.end((_text, rec) => {
        if (rec.labels === null || !rec.trackStale) return;
        try {
          app.append(rec.ref, rec.labels, appendTime, STALE_NAN);
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
        }
      });
    } catch (err) {
      app.rollback();
      // entries made by this scrape may hold refs of series that were never committed
      this.cache = rebuildCache(cache);
      throw err;
    }
    await app.commit();
    if (ooo > 0) this.o.counters?.outOfOrder(ooo);
    if (dup > 0) this.o.counters?.duplicate(dup);
    if (oob > 0) this.o.counters?.outOfBounds(oob);
    if (ooo + dup + oob > 0) {
      this.o.logger.warn('Error on ingesting samples', {
        target: this.o.url,
        out_of_order: ooo,
        duplicate: dup,
        out_of_bounds: oob,
      });
    }
    this.state.metadata = metadata;
    return { total, added, seriesAdded };
  }

  /** Target labels onto a sample's labels (honor_labels or exported_*), then metric_relabel_configs. */
  private sampleLabels(lset: Labels): Labels | null {
    const m = new Map<string, string>();
    lset.forEach((n, v) => m.set(n, v));
    if (this.o.honorLabels) {
      this.o.targetLabels.forEach((n, v) => {
        if ((lset.get(n) ?? '') === '') m.set(n, v);
      });
    } else {
      const conflicting: string[] = [];
      this.o.targetLabels.forEach((n, v) => {
        if ((lset.get(n) ?? '') !== '') conflicting.push(n);
        m.set(n, v);
      });
      for (const n of conflicting) {
        const value = lset.get(n)!;
        let name = n;
        for (;;) {
          name = `exported_${name}`;
          if ((lset.get(name) ?? '') === '') {
            m.set(name, value);
            break;
          }
        }
      }
    }
    let out: Labels | undefined = Labels.fromPairs([...m].flat());
    if (this.o.metricRelabel.length > 0) out = relabel(out, this.o.metricRelabel);
    if (out === undefined || out.size === 0) return null;
    if ((out.get(METRIC_NAME) ?? '') === '') throw new ScrapeFailure('missing metric name (__name__ label)');
    return out;
  }

  /** label_limit, label_name_length_limit, label_value_length_limit, with Prometheus's messages. */
  private checkLabelLimits(lset: Labels): void {
    const { labelLimit, labelNameLengthLimit, labelValueLengthLimit } = this.o.limits;
    if (labelLimit === 0 && labelNameLengthLimit === 0 && labelValueLengthLimit === 0) return;
    const met = (lset.get(METRIC_NAME) ?? '').slice(0, 50);
    const fail = (msg: string): never => {
      this.o.counters?.exceededLabelLimits();
      throw new ScrapeFailure(msg);
    };
    if (labelLimit > 0 && lset.size > labelLimit) {
      fail(`label_limit exceeded (metric: ${met}, number of labels: ${lset.size}, limit: ${labelLimit})`);
    }
    lset.forEach((n, v) => {
      if (labelNameLengthLimit > 0 && n.length > labelNameLengthLimit) {
        fail(
          `label_name_length_limit exceeded (metric: ${met}, label name: ${n.slice(0, 50)}, length: ${n.length}, limit: ${labelNameLengthLimit})`,
        );
      }
      if (labelValueLengthLimit > 0 && v.length > labelValueLengthLimit) {
        fail(
          `label_value_length_limit exceeded (metric: ${met}, label name: ${n.slice(0, 50)}, value: ${JSON.stringify(v.slice(0, 50))}, length: ${v.length}, limit: ${labelValueLengthLimit})`,
        );
      }
    });
  }

  /** Stale markers for every series the previous scrape had (after a failed scrape). */
  private async markAllStale(t: number): Promise<void> {
    const app = this.o.appendable.appender();
    this.cache.begin();
    this.cache.end((_text, rec) => appendStale(app, rec, t));
    await app.commit();
  }

  /** When the target goes away: its series and synthetic series end. */
  private async endOfRunStaleness(): Promise<void> {
    if (this.state.lastScrape === 0) return;
    const t = Math.max(this.now(), this.state.lastScrape + 1);
    const app = this.o.appendable.appender();
    this.cache.begin();
    this.cache.end((_text, rec) => appendStale(app, rec, t));
    for (const name of this.reportNames()) {
      try {
        app.append(this.reportRefs.get(name) ?? 0, this.reportLabels(name), t, STALE_NAN);
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
      }
    }
    await app.commit();
  }

  private reportNames(): string[] {
    const names = [
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'scrape_series_added',
    ];
    if (this.o.extraMetrics)
      names.push('scrape_timeout_seconds', 'scrape_sample_limit', 'scrape_body_size_bytes');
    return names;
  }

  private readonly reportLabelCache = new Map<string, Labels>();

  private reportLabels(name: string): Labels {
    let l = this.reportLabelCache.get(name);
    if (l === undefined) {
      l = Labels.fromPairs([...this.o.targetLabels.pairs, METRIC_NAME, name]);
      this.reportLabelCache.set(name, l);
    }
    return l;
  }

  private async report(
    t: number,
    up: boolean,
    durationMs: number,
    c: { total: number; added: number; seriesAdded: number },
    bytes: number,
  ): Promise<void> {
    const values: Array<[string, number]> = [
      ['up', up ? 1 : 0],
      ['scrape_duration_seconds', durationMs / 1000],
      ['scrape_samples_scraped', c.total],
      ['scrape_samples_post_metric_relabeling', c.added],
      ['scrape_series_added', c.seriesAdded],
    ];
    if (this.o.extraMetrics) {
      values.push(
        ['scrape_timeout_seconds', this.o.timeoutMs / 1000],
        ['scrape_sample_limit', this.o.limits.sampleLimit],
        ['scrape_body_size_bytes', up ? bytes : 0],
      );
    }
    const app: Appender = this.o.appendable.appender();
    for (const [name, v] of values) {
      try {
        this.reportRefs.set(name, app.append(this.reportRefs.get(name) ?? 0, this.reportLabels(name), t, v));
      } catch (err) {
        if (!(err instanceof StorageError)) {
          app.rollback();
          this.o.logger.error('Appending scrape report failed', { target: this.o.url, err: String(err) });
          return;
        }
      }
    }
    await app.commit();
  }
}

function appendStale(app: Appender, rec: CachedSeries, t: number): void {
  if (rec.labels === null || !rec.trackStale) return;
  try {
    app.append(rec.ref, rec.labels, t, STALE_NAN);
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
  }
}

/**
 * After a failed append: a cache with only the previous scrape's series (their refs are committed),
 * so the next scrape or the stale-marking of a failed one still knows them.
 */
function rebuildCache(old: SeriesCache<CachedSeries>): SeriesCache<CachedSeries> {
  const fresh = new SeriesCache<CachedSeries>();
  fresh.begin();
  old.begin();
  old.end((text, rec) => fresh.set(text, rec));
  fresh.end();
  return fresh;
}
