// One target's scrape loop, as Prometheus's scrapeLoop: fetch on a fixed phase within the interval,
// parse straight into the appender through the scrape cache, label the samples (honor_labels,
// metric_relabel_configs), enforce the limits, write stale markers for series that went away, and
// append the synthetic series (up, scrape_duration_seconds, ...).
import {
  EXPONENTIAL_SCHEMA_MIN,
  isCustomBucketsSchema,
  reduceResolution,
  type FloatHistogram,
  type Histogram,
} from '../model/histogram.js';
import { Labels, METRIC_NAME } from '../model/labels.js';
import { STALE_NAN } from '../model/value.js';
import { Entry, parserFor, type MetricType } from '../model/exposition/index.js';
import type { ScrapeProtocol } from '../model/exposition/index.js';
import { relabel, type CompiledRelabel } from '../model/relabel/relabel.js';
import type { Appendable, Appender, SeriesRef } from '../storage/interfaces.js';
import { StorageError } from '../storage/errors.js';
import type { Logger } from '../log/logger.js';
import { SeriesCache, type CacheEntry } from './series-cache.js';
import { BODY_SIZE_LIMIT_EXCEEDED } from './http-errors.js';
import { goQuote } from '../model/goquote.js';

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
  /** The body's bytes, for the protobuf format (fetchers of text only may leave it out). */
  raw?: Uint8Array;
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
  /**
   * scrape_native_histograms and its settings: native histograms from protobuf bodies are appended as
   * such (reduced to `maxSchema`, then until at most `bucketLimit` buckets; 0: no limit).
   */
  nativeHistograms?: {
    alwaysScrapeClassic: boolean;
    bucketLimit: number;
    maxSchema: number;
  };
  /**
   * convert_classic_histograms_to_nhcb: classic histograms are appended as native histograms with
   * custom buckets (their classic series too when `keepClassic`), within the same bucket limit.
   */
  classicToNhcb?: {
    keepClassic: boolean;
    bucketLimit: number;
    maxSchema: number;
  };
  appendable: Appendable;
  fetcher: ScrapeFetcher;
  logger: Logger;
  counters?: ScrapeCounters;
  /**
   * How far (ms) a scrape may start off its schedule and still be stamped with the scheduled time
   * (--scrape.timestamp-tolerance, 2 ms by default, at most 1% of the interval); negative: never
   * (--no-scrape.adjust-timestamps).
   */
  timestampToleranceMs?: number;
  /** st-storage: append each sample with the start timestamp its format gives (protobuf). */
  parseST?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counters the scrape pool exports as prometheus_target_* metrics. */
export interface ScrapeCounters {
  exceededSampleLimit(): void;
  exceededBucketLimit?(): void;
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
  /**
   * Metric family → metadata, as Prometheus's scrape cache keeps it: updated in place by every
   * scrape's # TYPE, # HELP and # UNIT lines, and a family's entry dropped by the first successful
   * scrape more than 10 scrapes after its last line.
   */
  metadata: Map<string, MetricMetadata>;
}

/**
 * A sample with an explicit timestamp further ahead of the wall clock fails the whole scrape (up 0,
 * with the reason as the target's error). Prometheus's timeLimitAppender drops such samples silently
 * as out of bounds; a target whose clock is that far off is treated as broken here so it shows.
 */
const MAX_AHEAD_MS = 10 * 60_000;
/** Scrapes a family's metadata outlives its last # TYPE, # HELP or # UNIT line (Prometheus's iterDone). */
const METADATA_KEPT_SCRAPES = 10;

interface CachedSeries extends CacheEntry {
  ref: SeriesRef;
  /** null when metric relabelling dropped the series. */
  labels: Labels | null;
  /** Whether the series gets a stale marker when it disappears (not with its own timestamps). */
  trackStale: boolean;
  /** The scrape that last appended it: a second sample without timestamp in one scrape is a duplicate. */
  lastIter: number;
}

interface FamilyMetadata {
  md: MetricMetadata;
  /** The scrape (iteration) that last had a metadata line of the family. */
  seen: number;
}

/** A metadata line as written (# HELP, # TYPE or # UNIT; its text is the cache's key) and its family. */
interface MetadataLine extends CacheEntry {
  family: FamilyMetadata;
}

/** The per-target scrape cache, handed from a loop to its successor when a reload keeps it valid. */
export type ScrapeCache = SeriesCache<CachedSeries>;

interface Counts {
  total: number;
  added: number;
  seriesAdded: number;
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
  private cache: ScrapeCache;
  private readonly reportRefs = new Map<string, SeriesRef>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private lastStart = 0;
  private iteration = 0;
  /** Each family of state.metadata with the scrape (iteration) that last had a metadata line of it. */
  private readonly families = new Map<string, FamilyMetadata>();
  /** The metadata lines of the latest scrapes, as the series are cached (see append). */
  private readonly metaLines = new SeriesCache<MetadataLine>();
  /** When the next scheduled scrape would run (ms), while start()ed. */
  private nextTick: number | undefined;
  private forcedError: string | undefined;
  private staleDisabled = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private staleDone: Promise<void> = Promise.resolve();
  private staleResolve: (() => void) | undefined;
  private readonly now: () => number;

  constructor(
    private readonly o: ScrapeLoopOptions,
    cache?: ScrapeCache,
  ) {
    this.now = o.now ?? Date.now;
    this.cache = cache ?? new SeriesCache<CachedSeries>();
  }

  /** The scrape cache, for a successor loop after a reload that keeps it valid. */
  get scrapeCache(): ScrapeCache {
    return this.cache;
  }

  /**
   * Prometheus's setForcedError (target_limit exceeded): while set, each scrape fetches nothing, ends
   * the target's series with stale markers and reports up 0 with this error.
   */
  setForcedError(err: string | undefined): void {
    this.forcedError = err;
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
      this.nextTick = next;
      this.timer = setTimeout(() => tick(next), next - now);
    };
    this.nextTick = first;
    this.timer = setTimeout(() => tick(first), Math.max(0, offsetMs));
  }

  /**
   * Stops the loop and resolves once no scrape runs any more. With `markStale` (the target went away),
   * the target's series end with stale markers as Prometheus's endOfRunStaleness writes them: stamped
   * with the time of the next tick, but written only after one more tick and 10% of the interval, so a
   * target that comes straight back (flapping discovery) continues without a gap; `endOfRun()` resolves
   * when they are written (or cancelled).
   */
  async stop(markStale = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    if (markStale && !this.staleDisabled) {
      this.staleDone = new Promise((resolve) => (this.staleResolve = resolve));
    }
    await this.running;
    if (markStale && !this.staleDisabled) this.scheduleEndOfRunStaleness();
  }

  /** Resolves when the end-of-run stale markers of a stop(true) are written or cancelled. */
  endOfRun(): Promise<void> {
    return this.staleDone;
  }

  /** No end-of-run stale markers (shutdown, or a successor loop took over the cache). */
  disableEndOfRunStaleness(): void {
    this.staleDisabled = true;
    clearTimeout(this.staleTimer);
    this.staleResolve?.();
  }

  private scheduleEndOfRunStaleness(): void {
    if (this.state.lastScrape === 0) {
      // there never was a scrape, so there is nothing to end
      this.staleResolve?.();
      return;
    }
    const iv = this.o.intervalMs;
    const now = this.now();
    let next = this.nextTick ?? now + iv;
    while (next <= now) next += iv;
    this.staleTimer = setTimeout(() => {
      const staleTime = this.now();
      this.staleTimer = setTimeout(
        () => {
          if (this.staleDisabled) return;
          this.writeEndOfRunStale(staleTime)
            .catch((err: unknown) =>
              this.o.logger.warn('Stale append failed', { target: this.o.url, err: String(err) }),
            )
            .finally(() => this.staleResolve?.());
        },
        iv + iv / 10,
      );
    }, next - now);
  }

  /** One scrape at `scheduled` (ms): fetch, append, report. Never throws. */
  async scrapeOnce(scheduled = this.now()): Promise<void> {
    const start = this.now();
    // Prometheus aligns the sample timestamp to the schedule when the tick was (almost) on time
    const tolerance = Math.min(this.o.timestampToleranceMs ?? 2, this.o.intervalMs / 100);
    const appendTime = Math.abs(start - scheduled) <= tolerance ? scheduled : start;
    if (this.lastStart > 0) this.o.counters?.intervalLength(this.o.intervalMs, start - this.lastStart);
    this.lastStart = start;
    let error: string | undefined;
    let body: FetchResult | undefined;
    // scrape_body_size_bytes: the body's size, -1 past body_size_limit, 0 for other fetch failures
    let bytes = 0;
    let counts: Counts = { total: 0, added: 0, seriesAdded: 0 };
    if (this.forcedError !== undefined) {
      error = this.forcedError;
    } else {
      this.abort = new AbortController();
      try {
        body = await this.o.fetcher.fetch(this.o.url, {
          timeoutMs: this.o.timeoutMs,
          accept: this.o.accept,
          enableCompression: this.o.enableCompression,
          bodySizeLimit: this.o.bodySizeLimit,
          signal: this.abort.signal,
        });
        bytes = body.bytes;
      } catch (err) {
        error = (err as Error).message;
        if (error === BODY_SIZE_LIMIT_EXCEEDED) {
          bytes = -1;
          this.o.counters?.exceededBodySizeLimit();
        }
      }
      if (this.stopped && error !== undefined) return;
      if (body !== undefined && body.bytes > 0) {
        const r = await this.append(body, appendTime);
        counts = r.counts;
        error = r.error;
      }
    }
    // a failed scrape is an empty one (as is an empty body): every series of the previous one ends
    if (body === undefined || body.bytes === 0 || error !== undefined) {
      await this.markAllStale(appendTime);
    }
    const durationMs = this.now() - start;
    this.state.health = error === undefined ? 'up' : 'down';
    this.state.lastError = error ?? '';
    this.state.lastScrape = start;
    this.state.lastScrapeDurationMs = durationMs;
    if (error !== undefined) this.o.logger.debug('Scrape failed', { target: this.o.url, err: error });
    await this.report(appendTime, error === undefined, durationMs, counts, bytes);
  }

  /**
   * Parses and appends one body, as Prometheus's scrapeLoop.append. On failure (parse error, limits)
   * nothing of it is kept and the counts so far are returned with the error.
   */
  private async append(res: FetchResult, appendTime: number): Promise<{ counts: Counts; error?: string }> {
    const app = this.o.appendable.appender();
    const cache = this.cache;
    const { sampleLimit } = this.o.limits;
    // updated in place, not rebuilt per scrape (a map and an object per family, every scrape, was a
    // tenth of what the scrape path allocated); a field is written only when it changed
    const metadata = this.state.metadata;
    const families = this.families;
    // A metadata line the previous scrape had (as a target writes every scrape) is found as a series
    // is, by one comparison with the line at the same place, and changes nothing but when its family
    // was seen: node-exporter-like bodies have ~0.7 metadata lines a sample, and a family lookup and a
    // help text's comparison for each was a fifth of the scrape loop's time.
    const metaLines = this.metaLines;
    const counts: Counts = { total: 0, added: 0, seriesAdded: 0 };
    const maxTime = this.now() + MAX_AHEAD_MS;
    const iter = ++this.iteration;
    let limited = 0;
    let sampleLimitHit = false;
    let ooo = 0;
    let dup = 0;
    let oob = 0;
    let error: string | undefined;
    cache.begin();
    metaLines.begin();
    try {
      const nh = this.o.nativeHistograms;
      const { parser: p } = parserFor(
        res.contentType,
        this.o.fallbackProtocol,
        res.body,
        {
          nativeHistograms: nh !== undefined,
          alwaysScrapeClassicHistograms: nh?.alwaysScrapeClassic,
          classicHistogramsToNhcb: this.o.classicToNhcb,
          parseStartTimestamps: this.o.parseST,
        },
        res.raw,
      );
      const histogramLimits = nh ?? this.o.classicToNhcb;
      let bucketLimitHit = false;
      for (;;) {
        p.expectSeries(cache.expected());
        const kind = p.next();
        if (kind === Entry.EOF) break;
        if (kind !== Entry.Series && kind !== Entry.Histogram) {
          if (kind === Entry.Type || kind === Entry.Help || kind === Entry.Unit) {
            const text = p.metadataText?.();
            const line = text !== undefined ? metaLines.get(text) : undefined;
            if (line !== undefined) {
              line.family.seen = iter;
              continue;
            }
            const fam = p.family();
            let family = families.get(fam);
            if (family === undefined) {
              family = { md: { type: 'unknown', help: '', unit: '' }, seen: iter };
              families.set(fam, family);
              metadata.set(fam, family.md);
            }
            const md = family.md;
            if (kind === Entry.Type) {
              const type = p.metricType();
              if (md.type !== type) md.type = type;
            } else if (kind === Entry.Help) {
              const help = p.help();
              if (md.help !== help) md.help = help;
            } else {
              const unit = p.unit();
              if (md.unit !== unit) md.unit = unit;
            }
            family.seen = iter;
            if (text !== undefined) metaLines.set(text, { text: '', index: -1, seenIn: 0, family });
          }
          continue;
        }
        counts.total++;
        const text = p.seriesText();
        let rec = cache.get(text);
        const cached = rec !== undefined;
        if (rec === undefined) {
          const lset = this.sampleLabels(p.labels());
          if (lset !== null) {
            this.checkLabelLimits(lset);
            // Labels keep one value per name; Prometheus's head refuses such a series, failing the scrape.
            const repeated = p.repeatedLabelName();
            if (repeated !== undefined && lset.has(repeated))
              throw new ScrapeFailure(`label name "${repeated}" is not unique: invalid sample`);
          }
          rec = { text: '', index: -1, seenIn: 0, ref: 0, labels: lset, trackStale: true, lastIter: 0 };
          cache.set(text, rec);
        }
        if (rec.labels === null) continue;
        // as Prometheus, `added` counts every sample left after relabelling, rejected or not
        counts.added++;
        const ts = this.o.honorTimestamps ? p.timestamp() : undefined;
        if (rec.lastIter === iter && ts === undefined) {
          dup++;
          continue;
        }
        rec.lastIter = iter;
        // sample_limit: keep parsing, so that scrape_samples_scraped reports the whole body
        if (sampleLimit > 0 && ++limited > sampleLimit) {
          sampleLimitHit = true;
          continue;
        }
        if (ts !== undefined && ts > maxTime) {
          throw new ScrapeFailure(
            `sample timestamp ${new Date(ts).toISOString()} of ${text.slice(0, 100)} is more than ` +
              `${MAX_AHEAD_MS / 60_000}m in the future`,
          );
        }
        rec.trackStale = ts === undefined || this.o.trackTimestampsStaleness;
        try {
          if (kind === Entry.Histogram) {
            const hist = limitBuckets(p.histogram!(), histogramLimits!);
            if (hist === undefined) {
              bucketLimitHit = true;
              continue;
            }
            if (app.appendHistogram === undefined)
              throw new ScrapeFailure('native histograms are not supported by the storage');
            const st = this.o.parseST === true ? (p.startTimestamp?.() ?? 0) : 0;
            rec.ref = app.appendHistogram(rec.ref, rec.labels, ts ?? appendTime, hist.h, hist.fh, st);
          } else if (this.o.parseST === true)
            rec.ref = app.append(rec.ref, rec.labels, ts ?? appendTime, p.value(), p.startTimestamp?.() ?? 0);
          else rec.ref = app.append(rec.ref, rec.labels, ts ?? appendTime, p.value());
          if (!cached && !sampleLimitHit) counts.seriesAdded++;
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          if (err.kind === 'out_of_order') ooo++;
          else if (err.kind === 'duplicate') dup++;
          else if (err.kind === 'out_of_bounds') oob++;
          else throw err;
        }
      }
      if (sampleLimitHit) {
        this.o.counters?.exceededSampleLimit();
        throw new ScrapeFailure('sample limit exceeded');
      }
      if (bucketLimitHit) {
        this.o.counters?.exceededBucketLimit?.();
        throw new ScrapeFailure('histogram bucket limit exceeded');
      }
      // series of the previous scrape missing from this one end here
      cache.end((rec) => appendStale(app, rec, appendTime));
    } catch (err) {
      error = (err as Error).message;
    }
    // lines are valid whether the scrape failed or not (their families stay)
    metaLines.end();
    if (ooo > 0) this.o.counters?.outOfOrder(ooo);
    if (dup > 0) this.o.counters?.duplicate(dup);
    if (oob > 0) this.o.counters?.outOfBounds(oob);
    if (ooo > 0)
      this.o.logger.warn('Error on ingesting out-of-order samples', { target: this.o.url, num_dropped: ooo });
    if (dup > 0) {
      this.o.logger.warn('Error on ingesting samples with different value but same timestamp', {
        target: this.o.url,
        num_dropped: dup,
      });
    }
    if (oob > 0) {
      this.o.logger.warn('Error on ingesting samples that are too old or are too far into the future', {
        target: this.o.url,
        num_dropped: oob,
      });
    }
    if (error !== undefined) {
      app.rollback();
      // entries made by this scrape may hold refs of series that were never committed
      this.cache = rebuildCache(cache);
      return { counts, error };
    }
    await app.commit();
    // Prometheus keeps a family's metadata for 10 scrapes after its last line
    for (const [fam, family] of families) {
      if (iter - family.seen > METADATA_KEPT_SCRAPES) {
        families.delete(fam);
        metadata.delete(fam);
      }
    }
    return { counts };
  }

  /** Target labels onto a sample's labels (honor_labels or exported_*), then metric_relabel_configs. */
  private sampleLabels(lset: Labels): Labels | null {
    const m = new Map<string, string>();
    lset.forEach((n, v) => {
      if (v !== '') m.set(n, v);
    });
    if (this.o.honorLabels) {
      this.o.targetLabels.forEach((n, v) => {
        if (!lset.has(n)) m.set(n, v);
      });
    } else {
      const conflicting: Array<[string, string]> = [];
      this.o.targetLabels.forEach((n, v) => {
        const exposed = lset.get(n) ?? '';
        if (exposed !== '') conflicting.push([n, exposed]);
        m.set(n, v);
      });
      // Prometheus: shortest names first, each to the first exported_* name free in the result so far
      conflicting.sort((a, b) => a[0].length - b[0].length);
      for (const [n, value] of conflicting) {
        let name = n;
        for (;;) {
          name = `exported_${name}`;
          if ((m.get(name) ?? '') === '') {
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
    // Go's %.50s and %.50q cut at 50 runes; lengths are len(), in bytes
    const met = runes(lset.get(METRIC_NAME) ?? '', 50);
    const fail = (msg: string): never => {
      this.o.counters?.exceededLabelLimits();
      throw new ScrapeFailure(msg);
    };
    if (labelLimit > 0 && lset.size > labelLimit) {
      fail(`label_limit exceeded (metric: ${met}, number of labels: ${lset.size}, limit: ${labelLimit})`);
    }
    lset.forEach((n, v) => {
      if (labelNameLengthLimit > 0) {
        const len = Buffer.byteLength(n);
        if (len > labelNameLengthLimit) {
          fail(
            `label_name_length_limit exceeded (metric: ${met}, label name: ${runes(n, 50)}, length: ${len}, limit: ${labelNameLengthLimit})`,
          );
        }
      }
      if (labelValueLengthLimit > 0) {
        const len = Buffer.byteLength(v);
        if (len > labelValueLengthLimit) {
          fail(
            `label_value_length_limit exceeded (metric: ${met}, label name: ${runes(n, 50)}, value: ${goQuote(runes(v, 50))}, length: ${len}, limit: ${labelValueLengthLimit})`,
          );
        }
      }
    });
  }

  /** Stale markers for every series the previous scrape had (after a failed or empty scrape). */
  private async markAllStale(t: number): Promise<void> {
    const app = this.o.appendable.appender();
    this.cache.begin();
    this.cache.end((rec) => appendStale(app, rec, t));
    await app.commit();
  }

  /** When the target went away: its series and synthetic series end. */
  private async writeEndOfRunStale(t: number): Promise<void> {
    const app = this.o.appendable.appender();
    this.cache.begin();
    this.cache.end((rec) => appendStale(app, rec, t));
    app.setOptions?.(REJECT_OOO);
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

  private async report(t: number, up: boolean, durationMs: number, c: Counts, bytes: number): Promise<void> {
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
        ['scrape_body_size_bytes', bytes],
      );
    }
    const app: Appender = this.o.appendable.appender();
    app.setOptions?.(REJECT_OOO);
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

/** The first `n` code points of `s` (Go's %.<n>s). */
function runes(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  let k = 0;
  for (const ch of s) {
    if (k++ === n) break;
    out += ch;
  }
  return out;
}

/** Appends for the scrape itself (stale markers, report series) never go out of order, as Prometheus. */
const REJECT_OOO = { discardOutOfOrder: true };

function appendStale(app: Appender, rec: CachedSeries, t: number): void {
  if (rec.labels === null || !rec.trackStale) return;
  app.setOptions?.(REJECT_OOO);
  try {
    app.append(rec.ref, rec.labels, t, STALE_NAN);
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
  } finally {
    app.setOptions?.(undefined);
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
  old.end((rec) => fresh.set(rec.text, rec));
  fresh.end();
  return fresh;
}

/**
 * native_histogram_min_bucket_factor and native_histogram_bucket_limit as Prometheus's scrape applies
 * them: reduce the schema to at most maxSchema, then while there are more buckets than the limit
 * (undefined: still too many at the lowest schema, or custom buckets over the limit).
 */
function limitBuckets(
  x: { h?: Histogram; fh?: FloatHistogram },
  o: { bucketLimit: number; maxSchema: number },
): { h?: Histogram; fh?: FloatHistogram } | undefined {
  const isFloat = x.h === undefined;
  let h: Histogram | FloatHistogram = (x.h ?? x.fh)!;
  if (!isCustomBucketsSchema(h.schema) && h.schema > o.maxSchema)
    h = reduceResolution(h, o.maxSchema, isFloat);
  if (o.bucketLimit > 0) {
    while (h.positiveBuckets.length + h.negativeBuckets.length > o.bucketLimit) {
      if (isCustomBucketsSchema(h.schema) || h.schema <= EXPONENTIAL_SCHEMA_MIN) return undefined;
      h = reduceResolution(h, h.schema - 1, isFloat);
    }
  }
  return isFloat ? { fh: h } : { h };
}
