// The head's series by ref, as pages of a flat array: refs are handed out in order from 1 (and WAL
// replay brings back refs that were), so a page of 1,024 consecutive refs is mostly full and a lookup
// is two array reads. Every sample the scrape loop appends looks its series up by ref: in a Map of
// 100k series that was a hash probe into a table far bigger than the CPU's caches, the largest single
// cost of the append path (~12 % of scraping's CPU), where a target's series, made together, sit in
// one or two pages here. A page whose series are all gone is dropped, so refs that churn leave only
// an empty slot per 1,024 refs behind.

const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

interface Page<T> {
  slots: Array<T | undefined>;
  /** Slots in use. */
  used: number;
}

/** Refs the pages hold: integers in [0, 2^32) (any other is kept in a map). */
function paged(ref: number): boolean {
  return ref >>> 0 === ref;
}

export class SeriesByRef<T> {
  private readonly pages: Array<Page<T> | undefined> = [];
  private count = 0;
  /** Refs no page holds (beyond 2^32: not made by this head, but a WAL may hold anything). */
  private readonly others = new Map<number, T>();

  get size(): number {
    return this.count + this.others.size;
  }

  get(ref: number): T | undefined {
    if (!paged(ref)) return this.others.get(ref);
    return this.pages[ref >>> PAGE_BITS]?.slots[ref & PAGE_MASK];
  }

  has(ref: number): boolean {
    return this.get(ref) !== undefined;
  }

  set(ref: number, value: T): void {
    if (!paged(ref)) {
      this.others.set(ref, value);
      return;
    }
    const p = ref >>> PAGE_BITS;
    // grow the page list densely (holes would turn it into a dictionary)
    while (this.pages.length <= p) this.pages.push(undefined);
    let page = this.pages[p];
    if (page === undefined) {
      page = { slots: new Array<T | undefined>(PAGE_SIZE).fill(undefined), used: 0 };
      this.pages[p] = page;
    }
    const i = ref & PAGE_MASK;
    if (page.slots[i] === undefined) {
      page.used++;
      this.count++;
    }
    page.slots[i] = value;
  }

  delete(ref: number): boolean {
    if (!paged(ref)) return this.others.delete(ref);
    const p = ref >>> PAGE_BITS;
    const page = this.pages[p];
    const i = ref & PAGE_MASK;
    if (page === undefined || page.slots[i] === undefined) return false;
    page.slots[i] = undefined;
    this.count--;
    if (--page.used === 0) this.pages[p] = undefined;
    return true;
  }

  /** The values in ref order (those beyond the pages last). */
  *values(): IterableIterator<T> {
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const v of page.slots) if (v !== undefined) yield v;
    }
    yield* this.others.values();
  }
}
