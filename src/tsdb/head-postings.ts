// The head's label index: label name → value → refs in ascending order. Refs only grow, so new
// series append to their lists; head GC rebuilds the lists without the dropped series.
import type { PostingsIndex } from './postings.js';

/**
 * A label value's refs, ascending. The first is held inline and the array made at the second: a label
 * with a value per series (a pod, a container id) would otherwise cost a Uint32Array per series, ~200
 * bytes of V8 object, ArrayBuffer and malloc bookkeeping for one 4-byte ref.
 */
class RefList {
  private first = 0;
  private arr: Uint32Array | null = null;
  len = 0;

  push(ref: number): void {
    if (this.len === 0) {
      this.first = ref;
      this.len = 1;
      return;
    }
    let arr = this.arr;
    if (arr === null) {
      arr = this.arr = new Uint32Array(4);
      arr[0] = this.first;
    } else if (this.len === arr.length) {
      const a = new Uint32Array(arr.length * 2);
      a.set(arr);
      arr = this.arr = a;
    }
    arr[this.len++] = ref;
  }

  /** A copy: callers may hold it while the list grows or is rebuilt. */
  snapshot(): Uint32Array {
    if (this.arr !== null) return this.arr.slice(0, this.len);
    const out = new Uint32Array(this.len);
    if (this.len === 1) out[0] = this.first;
    return out;
  }

  retain(keep: (ref: number) => boolean): void {
    const arr = this.arr;
    if (arr === null) {
      if (this.len === 1 && !keep(this.first)) this.len = 0;
      return;
    }
    let w = 0;
    for (let i = 0; i < this.len; i++) if (keep(arr[i])) arr[w++] = arr[i];
    this.len = w;
  }
}

export class HeadPostings implements PostingsIndex {
  private readonly byName = new Map<string, Map<string, RefList>>();
  private readonly all = new RefList();

  add(ref: number, pairs: readonly string[]): void {
    this.all.push(ref);
    for (let i = 0; i < pairs.length; i += 2) {
      let values = this.byName.get(pairs[i]);
      if (values === undefined) this.byName.set(pairs[i], (values = new Map()));
      let list = values.get(pairs[i + 1]);
      if (list === undefined) values.set(pairs[i + 1], (list = new RefList()));
      list.push(ref);
    }
  }

  /** Drops refs for which `keep` is false, and names and values left without series. */
  retain(keep: (ref: number) => boolean): void {
    this.all.retain(keep);
    for (const [name, values] of this.byName) {
      for (const [value, list] of values) {
        list.retain(keep);
        if (list.len === 0) values.delete(value);
      }
      if (values.size === 0) this.byName.delete(name);
    }
  }

  labelNames(): string[] {
    return [...this.byName.keys()].sort();
  }

  labelValues(name: string): string[] {
    const values = this.byName.get(name);
    return values === undefined ? [] : [...values.keys()].sort();
  }

  postings(name: string, value: string): Uint32Array {
    return this.byName.get(name)?.get(value)?.snapshot() ?? new Uint32Array(0);
  }

  allPostings(): Uint32Array {
    return this.all.snapshot();
  }

  /** Series count per label name and per name=value pair, for /api/v1/status/tsdb. */
  cardinality(): { byName: Map<string, Map<string, number>> } {
    const byName = new Map<string, Map<string, number>>();
    for (const [name, values] of this.byName) {
      const counts = new Map<string, number>();
      for (const [value, list] of values) counts.set(value, list.len);
      byName.set(name, counts);
    }
    return { byName };
  }
}
