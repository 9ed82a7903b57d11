// The per-target scrape cache (Prometheus's scrapeCache): series text as written by the target →
// what the scrape loop keeps for it (series ref, relabelled labels). It also remembers the order of
// the previous scrape, so the parser can be told which series to expect next: an unchanged target
// then costs one string comparison per sample, not a label parse, a hash and a map lookup. The scrape
// loop keeps its metadata lines (# HELP, # TYPE, # UNIT) in one too, keyed by the whole line.
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
  // The previous scrape's entries in order and this scrape's, as two arrays used in turn with their
  // own lengths: a fresh array per scrape, grown by push, was a third of what scraping allocated, and
  // living one interval it survived into V8's old generation, to be found dead by a full marking.
  private prev: Array<T | undefined> = [];
  private prevLength = 0;
  private cur: Array<T | undefined> = [];
  private curLength = 0;
  private cursor = 0;
  private iteration = 0;

  /** Starts a scrape. */
  begin(): void {
    this.iteration++;
    this.cursor = 0;
    this.curLength = 0;
  }

  /** The series text expected next, for `ExpositionParser.expectSeries`. */
  expected(): string | undefined {
    return this.cursor < this.prevLength ? this.prev[this.cursor]!.text : undefined;
  }

  /** The entry cached for `text`, or undefined for a series not seen before. */
  get(text: string): T | undefined {
    const guess = this.cursor < this.prevLength ? this.prev[this.cursor] : undefined;
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
    const prev = this.prev;
    for (let i = 0; i < this.prevLength; i++) {
      const rec = prev[i]!;
      if (rec.seenIn !== this.iteration && this.byText.get(rec.text) === rec) {
        this.byText.delete(rec.text);
        gone?.(rec);
      }
    }
    // the old order's array takes the next scrape's, emptied so that it keeps no dropped entry alive
    prev.fill(undefined, 0, this.prevLength);
    this.prev = this.cur;
    this.prevLength = this.curLength;
    this.cur = prev;
    this.curLength = 0;
  }

  get size(): number {
    return this.byText.size;
  }

  private markSeen(rec: T): void {
    rec.seenIn = this.iteration;
    rec.index = this.curLength;
    this.cur[this.curLength++] = rec;
  }
}
