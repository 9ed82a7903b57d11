// The label index algorithm shared by the head and blocks: sorted postings lists (series refs,
// ascending) combined as Prometheus's tsdb/querier.go PostingsForMatchers and index/postings.go do.
// Lists returned here may alias an input list: treat every postings list as read-only.
import type { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';

/** What an index exposes: sorted postings lists of series refs (ascending). */
export interface PostingsIndex {
  /** Sorted label names. */
  labelNames(): string[];
  /** Sorted values of `name`; empty when the label is unknown. */
  labelValues(name: string): string[];
  /** Sorted refs of series with `name="value"`; empty when none. */
  postings(name: string, value: string): Uint32Array;
  /** Every series, sorted. */
  allPostings(): Uint32Array;
}

export const EMPTY_POSTINGS: Uint32Array = new Uint32Array(0);

/** Ratio of list sizes above which a merge walks the short list and gallops through the long one. */
const GALLOP_RATIO = 16;

function fit(out: Uint32Array, n: number): Uint32Array {
  return n === out.length ? out : out.slice(0, n);
}

/** First index i >= lo with a[i] >= x (a sorted), searching exponentially from lo. */
function gallop(a: Uint32Array, lo: number, x: number): number {
  const n = a.length;
  if (lo >= n || a[lo] >= x) return lo;
  let step = 1;
  let hi = lo + 1;
  while (hi < n && a[hi] < x) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  // invariant: a[lo] < x, and a[hi] >= x or hi == n
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function intersect2(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length > b.length) [a, b] = [b, a];
  if (a.length === 0) return EMPTY_POSTINGS;
  const out = new Uint32Array(a.length);
  let n = 0;
  if (a.length * GALLOP_RATIO < b.length) {
    let j = 0;
    for (let i = 0; i < a.length && j < b.length; i++) {
      j = gallop(b, j, a[i]);
      if (j < b.length && b[j] === a[i]) out[n++] = a[i];
    }
  } else {
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x === y) {
        out[n++] = x;
        i++;
        j++;
      } else if (x < y) i++;
      else j++;
    }
  }
  return fit(out, n);
}

/** Refs present in both lists. */
export function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  return intersect2(a, b);
}

/** Refs present in every list (the shortest first, so each step shrinks the work); empty for none. */
export function intersectAll(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY_POSTINGS;
  const sorted = [...lists].sort((x, y) => x.length - y.length);
  let acc = sorted[0];
  for (let i = 1; i < sorted.length && acc.length > 0; i++) acc = intersect2(acc, sorted[i]);
  return acc;
}

function union2(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) {
      out[n++] = x;
      i++;
    } else {
      out[n++] = y;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++];
  while (j < b.length) out[n++] = b[j++];
  return fit(out, n);
}

/** Refs present in any list, deduplicated (pairwise merges, O(n log k)). */
export function union(lists: readonly Uint32Array[]): Uint32Array {
  let level = lists.filter((l) => l.length > 0);
  if (level.length === 0) return EMPTY_POSTINGS;
  while (level.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? union2(level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  return level[0];
}

/** Refs of `a` that are not in `b`. */
export function subtract(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length === 0 || b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  if (b.length * GALLOP_RATIO < a.length) {
    // few removals: copy the runs of `a` between them
    let i = 0;
    for (let j = 0; j < b.length && i < a.length; j++) {
      const k = gallop(a, i, b[j]);
      out.set(a.subarray(i, k), n);
      n += k - i;
      i = k < a.length && a[k] === b[j] ? k + 1 : k;
    }
    out.set(a.subarray(i), n);
    n += a.length - i;
  } else if (a.length * GALLOP_RATIO < b.length) {
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      j = gallop(b, j, a[i]);
      if (j >= b.length || b[j] !== a[i]) out[n++] = a[i];
    }
  } else {
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      while (j < b.length && b[j] < x) j++;
      if (j >= b.length || b[j] !== x) out[n++] = x;
    }
  }
  return n === a.length ? a : fit(out, n);
}

/** True when the lists share a ref (no allocation). */
export function intersects(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length > b.length) [a, b] = [b, a];
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    j = gallop(b, j, a[i]);
    if (j < b.length && b[j] === a[i]) return true;
  }
  return false;
}

// ---- regex fast paths (model/labels/regexp.go keeps more; the result must be the same) ----

const REGEX_META = new Set('\\.+*?()|[]{}^$'.split(''));

function isAsciiPunct(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 && !/[0-9A-Za-z\s]/.test(c) && code > 32;
}

/**
 * The literal strings a regex is an alternation of (`a|b\.c`), or undefined when it is anything
 * else. Prometheus's SetMatches: such a matcher becomes a set lookup instead of a scan of values.
 */
export function literalAlternation(expr: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\') {
      const next = expr[i + 1];
      if (next === undefined || !isAsciiPunct(next)) return undefined;
      cur += next;
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (REGEX_META.has(c)) {
      return undefined;
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** The literal text every match starts with ('' when none); used to skip values cheaply. */
export function literalPrefix(expr: string): string {
  if (expr.includes('|')) return '';
  let prefix = '';
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    let lit: string;
    let width = 1;
    if (c === '\\') {
      const next = expr[i + 1];
      if (next === undefined || !isAsciiPunct(next)) break;
      lit = next;
      width = 2;
    } else if (REGEX_META.has(c)) {
      break;
    } else {
      lit = c;
    }
    const after = expr[i + width];
    // a quantified last literal is optional or repeated: it is not part of the prefix
    if (after === '*' || after === '?' || after === '{') break;
    prefix += lit;
    i += width - 1;
  }
  return prefix;
}

function isNegative(m: Matcher): boolean {
  return m.type === '!=' || m.type === '!~';
}

/** Postings of series whose `name` has a value for which `pred` holds (never series without it). */
function postingsForValues(index: PostingsIndex, name: string, pred: (v: string) => boolean): Uint32Array {
  const lists: Uint32Array[] = [];
  for (const v of index.labelValues(name)) if (pred(v)) lists.push(index.postings(name, v));
  return union(lists);
}

function postingsForAllValues(index: PostingsIndex, name: string): Uint32Array {
  return postingsForValues(index, name, () => true);
}

function postingsForValueSet(index: PostingsIndex, name: string, values: readonly string[]): Uint32Array {
  const lists: Uint32Array[] = [];
  for (const v of new Set(values)) if (v !== '') lists.push(index.postings(name, v));
  return union(lists);
}

/** Series with `name` set to a value matching m (postingsForMatcher). */
function postingsForMatcher(index: PostingsIndex, m: Matcher): Uint32Array {
  if (m.type === '=') return m.value === '' ? EMPTY_POSTINGS : index.postings(m.name, m.value);
  if (m.type === '=~') {
    const set = literalAlternation(m.value);
    if (set !== undefined) return postingsForValueSet(index, m.name, set);
    const prefix = literalPrefix(m.value);
    if (prefix !== '') return postingsForValues(index, m.name, (v) => v.startsWith(prefix) && m.matches(v));
  }
  return postingsForValues(index, m.name, (v) => m.matches(v));
}

/** Series with `name` set to a value NOT matching m (inversePostingsForMatcher). */
function inversePostingsForMatcher(index: PostingsIndex, m: Matcher): Uint32Array {
  if (m.type === '!=') return m.value === '' ? EMPTY_POSTINGS : index.postings(m.name, m.value);
  if (m.type === '!~') {
    const set = literalAlternation(m.value);
    if (set !== undefined) return postingsForValueSet(index, m.name, set);
  }
  if ((m.type === '=' || m.type === '=~') && m.value === '') return postingsForAllValues(index, m.name);
  return postingsForValues(index, m.name, (v) => !m.matches(v));
}

/**
 * Prometheus's PostingsForMatchers: sorted refs of series matching all matchers, a missing label
 * counting as "". Matchers that match "" subtract (they keep series without the label); when no
 * matcher intersects, the base is every series. An empty matcher list selects nothing, as in
 * Prometheus (callers reject it before: "at least one non-empty matcher").
 */
export function postingsForMatchers(index: PostingsIndex, matchers: readonly Matcher[]): Uint32Array {
  if (matchers.length === 0) return EMPTY_POSTINGS;
  // a label some matcher requires to be set lets the other matchers on it be handled cheaper
  const mustBeSet = new Set<string>();
  const empties = matchers.map((m) => m.matchesEmpty());
  matchers.forEach((m, i) => {
    if (!empties[i]) mustBeSet.add(m.name);
  });

  const its: Uint32Array[] = [];
  const notIts: Uint32Array[] = [];
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i];
    const matchesEmpty = empties[i];
    if (m.type === '=~' && m.value === '.*') continue; // matches everything
    if (m.type === '!~' && m.value === '.*') return EMPTY_POSTINGS;
    if (m.type === '=~' && m.value === '.+') {
      const it = postingsForAllValues(index, m.name);
      if (it.length === 0) return EMPTY_POSTINGS;
      its.push(it);
    } else if (m.type === '!~' && m.value === '.+') {
      notIts.push(postingsForAllValues(index, m.name));
    } else if (mustBeSet.has(m.name)) {
      if (isNegative(m) && matchesEmpty) {
        // l!="foo" with l set: drop the series where l matches the inner (positive) matcher
        notIts.push(inversePostingsForMatcher(index, m));
      } else if (isNegative(m)) {
        // l!="" or l!~"x|": l set to a value the inner matcher rejects
        const it = postingsForValues(index, m.name, (v) => m.matches(v));
        if (it.length === 0) return EMPTY_POSTINGS;
        its.push(it);
      } else {
        const it = postingsForMatcher(index, m);
        if (it.length === 0) return EMPTY_POSTINGS;
        its.push(it);
      }
    } else {
      // matches "": every series except those whose value for the label fails the matcher
      notIts.push(inversePostingsForMatcher(index, m));
    }
  }

  let result = its.length === 0 ? index.allPostings() : intersectAll(its);
  for (const n of notIts) {
    if (result.length === 0) break;
    result = subtract(result, n);
  }
  return result;
}

/** Reads the labels of a series by ref; undefined when the series is gone. */
export type SeriesLabelsReader = (ref: number) => Labels | undefined;

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * Sorted values of `name` among series matching the matchers (all values when none), as Prometheus's
 * labelValuesWithMatchers: matchers on `name` itself filter the values; others need the postings.
 */
export function labelValuesForMatchers(
  index: PostingsIndex,
  name: string,
  matchers: readonly Matcher[],
  labelsOf: SeriesLabelsReader,
): string[] {
  let values = index.labelValues(name);
  let others = false;
  for (const m of matchers) {
    if (m.name !== name) others = true;
    else values = values.filter((v) => m.matches(v));
  }
  if (values.length === 0 || !others) return values;
  const refs = postingsForMatchers(index, matchers);
  if (refs.length === 0) return [];
  if (refs.length <= values.length) {
    // fewer series than values: read the value off each series
    const found = new Set<string>();
    for (const ref of refs) {
      const v = labelsOf(ref)?.get(name);
      if (v !== undefined) found.add(v);
    }
    return sortedUnique(found);
  }
  return values.filter((v) => intersects(refs, index.postings(name, v)));
}

/** Sorted label names of series matching the matchers (all names when none). */
export function labelNamesForMatchers(
  index: PostingsIndex,
  matchers: readonly Matcher[],
  labelsOf: SeriesLabelsReader,
): string[] {
  if (matchers.length === 0) return index.labelNames();
  const names = new Set<string>();
  for (const ref of postingsForMatchers(index, matchers)) {
    labelsOf(ref)?.forEach((n) => names.add(n));
  }
  return sortedUnique(names);
}

/**
 * An in-memory label index (Prometheus's MemPostings) for series whose refs are added in ascending
 * order, as the head assigns them. Lists grow in place; readers get views of their current extent.
 */
export class MemPostings implements PostingsIndex {
  private readonly byName = new Map<string, Map<string, RefList>>();
  private readonly all = new RefList();
  private sortedNames: string[] | undefined;
  private readonly sortedValues = new Map<string, string[]>();

  /** Indexes series `ref` under its labels; refs must be added in ascending order. */
  add(ref: number, labels: Labels): void {
    this.all.push(ref);
    labels.forEach((name, value) => {
      let values = this.byName.get(name);
      if (values === undefined) {
        values = new Map();
        this.byName.set(name, values);
        this.sortedNames = undefined;
      }
      let list = values.get(value);
      if (list === undefined) {
        list = new RefList();
        values.set(value, list);
        this.sortedValues.delete(name);
      }
      list.push(ref);
    });
  }

  /** Removes the given series (e.g. after head garbage collection); each list is rewritten once. */
  delete(refs: ReadonlySet<number>, labelsOf: SeriesLabelsReader): void {
    const touched = new Map<RefList, [string, string]>();
    for (const ref of refs) {
      labelsOf(ref)?.forEach((name, value) => {
        const list = this.byName.get(name)?.get(value);
        if (list !== undefined) touched.set(list, [name, value]);
      });
    }
    for (const [list, [name, value]] of touched) {
      list.removeAll(refs);
      if (list.length > 0) continue;
      const values = this.byName.get(name)!;
      values.delete(value);
      this.sortedValues.delete(name);
      if (values.size === 0) {
        this.byName.delete(name);
        this.sortedNames = undefined;
      }
    }
    this.all.removeAll(refs);
  }

  labelNames(): string[] {
    this.sortedNames ??= [...this.byName.keys()].sort();
    return this.sortedNames.slice();
  }

  labelValues(name: string): string[] {
    let vs = this.sortedValues.get(name);
    if (vs === undefined) {
      const values = this.byName.get(name);
      if (values === undefined) return [];
      vs = [...values.keys()].sort();
      this.sortedValues.set(name, vs);
    }
    return vs.slice();
  }

  postings(name: string, value: string): Uint32Array {
    return this.byName.get(name)?.get(value)?.view() ?? EMPTY_POSTINGS;
  }

  allPostings(): Uint32Array {
    return this.all.view();
  }
}

/** A growable sorted list of refs. */
class RefList {
  private buf = new Uint32Array(4);
  length = 0;

  push(ref: number): void {
    if (this.length > 0 && this.buf[this.length - 1] >= ref) {
      throw new Error(`postings: ref ${ref} added out of order`);
    }
    if (this.length === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = ref;
  }

  /** Drops the given refs; a fresh buffer, so views handed out earlier keep their contents. */
  removeAll(refs: ReadonlySet<number>): void {
    const next = new Uint32Array(Math.max(4, this.buf.length));
    let n = 0;
    for (let i = 0; i < this.length; i++) if (!refs.has(this.buf[i])) next[n++] = this.buf[i];
    this.buf = next;
    this.length = n;
  }

  /** The current refs; later pushes never change what a view shows. */
  view(): Uint32Array {
    return this.buf.subarray(0, this.length);
  }
}
