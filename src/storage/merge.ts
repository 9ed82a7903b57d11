// Fan-in of several queriers (head and blocks), as Prometheus's storage/merge.go merge querier with
// ChainedSeriesMerge: series with equal labels become one, samples merged by timestamp.
import type { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { uninitializedFloat64 } from './arrays.js';
import {
  compareLabels,
  type HistogramSample,
  type Querier,
  type SampleBatch,
  type SelectHints,
  type Series,
  type SeriesSet,
} from './interfaces.js';

const EMPTY_BATCH: SampleBatch = { t: new Float64Array(0), v: new Float64Array(0), length: 0 };

/** Sorted union of sorted string lists (Prometheus's mergeStrings). */
export function mergeSortedStrings(lists: readonly (readonly string[])[]): string[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return [...nonEmpty[0]];
  return [...new Set(nonEmpty.flat())].sort();
}

function words(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/**
 * Merges sample batches by timestamp. At a timestamp present in several batches exactly one sample
 * is kept: Prometheus keeps "one from random overlapped ones" (whichever its heap yields first); we
 * keep the one from the earliest batch, i.e. the querier listed first. Values are copied bit for bit.
 */
export function mergeSampleBatches(batches: readonly SampleBatch[]): SampleBatch {
  const bs = batches.filter((b) => b.length > 0);
  if (bs.length === 0) return EMPTY_BATCH;
  if (bs.length === 1) return bs[0];
  let total = 0;
  for (const b of bs) total += b.length;
  // every slot up to the returned length is written (concatenate or the merge loop below)
  const t = uninitializedFloat64(total);
  const v = uninitializedFloat64(total);
  // start timestamps go along when any batch has them
  const st = bs.some((b) => b.st !== undefined) ? uninitializedFloat64(total) : undefined;
  if (concatenate(bs, t, v, st))
    return st === undefined ? { t, v, length: total } : { t, v, st, length: total };
  const vw = words(v);
  const inW = bs.map((b) => words(b.v));
  const pos = new Array<number>(bs.length).fill(0);
  let n = 0;
  let lastT = NaN;
  for (;;) {
    // pick the batch with the smallest next timestamp; ties go to the lowest index
    let best = -1;
    let bestT = Infinity;
    for (let k = 0; k < bs.length; k++) {
      const i = pos[k];
      if (i < bs[k].length && (best < 0 || bs[k].t[i] < bestT)) {
        best = k;
        bestT = bs[k].t[i];
      }
    }
    if (best < 0) break;
    const i = pos[best]++;
    if (bestT === lastT) continue; // a later source's sample at a timestamp already emitted
    t[n] = bestT;
    vw[2 * n] = inW[best][2 * i];
    vw[2 * n + 1] = inW[best][2 * i + 1];
    if (st !== undefined) st[n] = bs[best].st?.[i] ?? 0;
    n++;
    lastT = bestT;
  }
  const out: SampleBatch =
    n === total ? { t, v, length: n } : { t: t.slice(0, n), v: v.slice(0, n), length: n };
  return st === undefined ? out : { ...out, st: n === total ? st : st.slice(0, n) };
}

/**
 * The common case, copied whole: batches that follow each other in time (a series' blocks cover
 * disjoint ranges, the head comes after them), whatever order the queriers listed them in. Merging
 * sample by sample cost a query over every series of 6 h of blocks a fifth of its time. False, with
 * nothing written, when any two batches overlap or touch.
 */
function concatenate(
  bs: readonly SampleBatch[],
  t: Float64Array,
  v: Float64Array,
  st: Float64Array | undefined,
): boolean {
  const order = bs.map((_, k) => k);
  order.sort((a, b) => bs[a].t[0] - bs[b].t[0]);
  for (let k = 1; k < order.length; k++) {
    const prev = bs[order[k - 1]];
    if (!(bs[order[k]].t[0] > prev.t[prev.length - 1])) return false;
  }
  let n = 0;
  for (const k of order) {
    const b = bs[k];
    t.set(b.t.subarray(0, b.length), n);
    // values as bits (a Float64Array copy keeps NaN payloads such as stale markers intact)
    v.set(b.v.subarray(0, b.length), n);
    if (st !== undefined) {
      if (b.st !== undefined) st.set(b.st.subarray(0, b.length), n);
      else st.fill(0, n, n + b.length);
    }
    n += b.length;
  }
  return true;
}

/** Several series with the same labels, seen as one. */
class MergedSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly parts: readonly Series[],
  ) {}

  samples(): SampleBatch {
    return mergeSampleBatches(this.parts.map((p) => p.samples()));
  }

  histograms(): HistogramSample[] {
    return mergeHistogramSamples(this.parts.map((p) => p.histograms?.() ?? []));
  }
}

/** Histogram samples of several sources merged by time; at an equal time the earlier source wins. */
export function mergeHistogramSamples(lists: readonly HistogramSample[][]): HistogramSample[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const all = nonEmpty.flatMap((l, source) => l.map((x) => ({ x, source })));
  all.sort((a, b) => a.x.t - b.x.t || a.source - b.source);
  const out: HistogramSample[] = [];
  for (const { x } of all) if (out.length === 0 || out[out.length - 1].t !== x.t) out.push(x);
  return out;
}

/** k-way merge of sorted series sets; equal labels merged, earlier sets first within a group. */
function* mergeSeriesSets(sets: readonly SeriesSet[]): Generator<Series> {
  const its = sets.map((s) => s[Symbol.iterator]());
  const heads: (Series | undefined)[] = its.map((it) => {
    const r = it.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let min: Labels | undefined;
    for (const h of heads) {
      if (h !== undefined && (min === undefined || compareLabels(h.labels, min) < 0)) min = h.labels;
    }
    if (min === undefined) return;
    const group: Series[] = [];
    for (let k = 0; k < heads.length; k++) {
      const h = heads[k];
      if (h !== undefined && compareLabels(h.labels, min) === 0) {
        group.push(h);
        const r = its[k].next();
        heads[k] = r.done ? undefined : r.value;
      }
    }
    yield group.length === 1 ? group[0] : new MergedSeries(min, group);
  }
}

class MergeQuerier implements Querier {
  constructor(private readonly queriers: readonly Querier[]) {}

  select(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet {
    const sets = this.queriers.map((q) => q.select(matchers, hints));
    return {
      get warnings(): readonly string[] {
        return sets.flatMap((s) => s.warnings);
      },
      [Symbol.iterator]: () => mergeSeriesSets(sets),
    };
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    return mergeSortedStrings(this.queriers.map((q) => q.labelNames(matchers)));
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    return mergeSortedStrings(this.queriers.map((q) => q.labelValues(name, matchers)));
  }

  close(): void {
    let first: unknown;
    for (const q of this.queriers) {
      try {
        q.close();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * One querier over overlapping sources: series sorted by labels, equal label sets merged with
 * samples deduplicated by timestamp (the first querier's sample wins), label names and values
 * merged, warnings concatenated; close() closes every querier. One querier is returned as is.
 */
export function mergeQueriers(queriers: readonly Querier[]): Querier {
  if (queriers.length === 1) return queriers[0];
  return new MergeQuerier([...queriers]);
}
