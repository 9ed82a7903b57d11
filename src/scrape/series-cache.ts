// The per-target scrape cache (Prometheus's scrapeCache): series text as written by the target →
// what the scrape loop keeps for it (series ref, relabelled labels). It also remembers the order of
// the previous scrape, so the parser can be told which series to expect next: an unchanged target
// then costs one string comparison per sample, not a label parse, a hash and a map lookup.
import { intern } from '../model/labels.js';

/**
 * What the cache keeps per series, as fields of the caller's own entry: one object per series rather
 * than a record wrapping the caller's value (a scrape cache holds an entry for every series scraped).
 */
export interface CacheEntry {
  /** The series text as the target wrote it (set by `set`). */
  text: string;
  /** Position in the latest scrape that saw it (or in the previous one, until seen again). */
  index: number;
  /** The scrape iteration that last saw it. */
  seenIn: number;
}

export class SeriesCache<T extends CacheEntry> {
  private readonly byText = new Map<string, T>();
  private prev: T[] = [];
  private cur: T[] = [];
  private cursor = 0;
  private iteration = 0;

  /** Starts a scrape. */
  begin(): void {
    this.iteration++;
    this.cursor = 0;
    this.cur = [];
  }

  /** The series text expected next, for `ExpositionParser.expectSeries`. */
  expected(): string | undefined {
    return this.prev[this.cursor]?.text;
  }

  /** The entry cached for `text`, or undefined for a series not seen before. */
  get(text: string): T | undefined {
    const guess = this.prev[this.cursor];
    const rec = guess !== undefined && guess.text === text ? guess : this.byText.get(text);
    if (rec === undefined) return undefined;
    if (rec.seenIn !== this.iteration) {
      // Realign on the previous order: after an inserted or missing series, guesses hit again.
      this.cursor = rec.index + 1;
      this.markSeen(rec);
    }
    return rec;
  }

  /** Caches the entry of a series seen for the first time in this scrape (its text is set here). */
  set(text: string, entry: T): void {
    entry.text = intern(text);
    this.byText.set(entry.text, entry);
    this.markSeen(entry);
  }

  /**
   * Ends a scrape: series of earlier scrapes that this one did not see are dropped from the cache and
   * handed to `gone` (where the scrape loop writes their stale markers).
   */
  end(gone?: (entry: T) => void): void {
    for (const rec of this.prev) {
      if (rec.seenIn !== this.iteration && this.byText.get(rec.text) === rec) {
        this.byText.delete(rec.text);
        gone?.(rec);
      }
    }
    this.prev = this.cur;
  }

  get size(): number {
    return this.byText.size;
  }

  private markSeen(rec: T): void {
    rec.seenIn = this.iteration;
    rec.index = this.cur.length;
    this.cur.push(rec);
  }
}
