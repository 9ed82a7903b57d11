// Out-of-order samples of one head series (Prometheus's OOO head, tsdb/ooo_head.go): samples older
// than the series' newest in-order sample but inside `out_of_order_time_window`, kept sorted by time
// apart from the in-order chunks. Queries merge them in; the out-of-order compaction writes them into
// their own blocks (which overlap the others and are merged by vertical compaction).
//
// Prometheus keeps them in a small unsorted buffer that becomes an XOR chunk every 32 samples; we keep
// one sorted pair of typed arrays: out-of-order data is rare and small, and sorted is what a query and
// the block writer want.
import { XORChunk } from './chunks/xor.js';
import type { MemSeries } from './head-series.js';
import { HistogramPart, type ClosedHistogramChunk } from './head-histograms.js';
import type { HistogramSample } from '../storage/interfaces.js';

export class OOOSamples {
  t = new Float64Array(8);
  v = new Float64Array(8);
  n = 0;
  /** Out-of-order native histograms, sorted by time (Prometheus keeps them in the OOO head too). */
  hists: HistogramSample[] = [];

  /** Float samples and histograms held. */
  get size(): number {
    return this.n + this.hists.length;
  }

  get minTime(): number {
    const f = this.n === 0 ? Infinity : this.t[0];
    return this.hists.length === 0 ? f : Math.min(f, this.hists[0].t);
  }

  get maxTime(): number {
    const f = this.n === 0 ? -Infinity : this.t[this.n - 1];
    return this.hists.length === 0 ? f : Math.max(f, this.hists[this.hists.length - 1].t);
  }

  /** Inserts a histogram in time order; false (nothing changed) when one at its time is held. */
  insertHistogram(x: HistogramSample): boolean {
    const hs = this.hists;
    let lo = 0;
    let hi = hs.length;
    if (hi > 0 && hs[hi - 1].t < x.t) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (hs[mid].t < x.t) lo = mid + 1;
        else hi = mid;
      }
      if (lo < hs.length && hs[lo].t === x.t) return false;
    }
    hs.splice(lo, 0, x);
    return true;
  }

  /**
   * The histograms in [mint, maxt] as histogram chunks, cut as the head cuts them; `keep` leaves out
   * deleted ones. None when there are none.
   */
  histogramChunks(mint: number, maxt: number, keep?: (t: number) => boolean): ClosedHistogramChunk[] {
    if (this.hists.length === 0) return [];
    const part = new HistogramPart();
    for (const x of this.hists) {
      if (x.t < mint || x.t > maxt || (keep !== undefined && !keep(x.t))) continue;
      part.append(x.t, x.h, x.fh, x.st);
    }
    return part.chunks().map((c) => ({ ...c, data: c.data.slice() }));
  }

  /** Inserts in time order; false (nothing changed) when a sample at `t` is already held. */
  insert(t: number, v: number): boolean {
    let lo = 0;
    let hi = this.n;
    // appends are mostly newest-first within the OOO range: check the end before searching
    if (hi > 0 && this.t[hi - 1] < t) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.t[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      if (lo < this.n && this.t[lo] === t) return false;
    }
    if (this.n === this.t.length) {
      const t2 = new Float64Array(this.n * 2);
      t2.set(this.t);
      const v2 = new Float64Array(this.n * 2);
      v2.set(this.v);
      this.t = t2;
      this.v = v2;
    }
    this.t.copyWithin(lo + 1, lo, this.n);
    this.v.copyWithin(lo + 1, lo, this.n);
    this.t[lo] = t;
    this.v[lo] = v;
    this.n++;
    return true;
  }

  /** The samples in [mint, maxt] as one XOR chunk (undefined when none). */
  chunk(mint: number, maxt: number): XORChunk | undefined {
    let c: XORChunk | undefined;
    for (let i = 0; i < this.n; i++) {
      const t = this.t[i];
      if (t < mint) continue;
      if (t > maxt) break;
      c ??= new XORChunk();
      c.append(t, this.v[i]);
    }
    return c;
  }
}

/**
 * Sorts decoded samples by time when chunks overlapped (in-order and out-of-order data), keeping the
 * first sample met at each timestamp (in-order chunks are decoded first); returns the new length.
 * A sorted input costs one pass.
 */
export function sortSamples(t: Float64Array, v: Float64Array, n: number, st?: Float64Array): number {
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (t[i] <= t[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return n;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => t[a] - t[b] || a - b);
  const t2 = t.slice(0, n);
  // values as 32-bit words, so NaN payloads (stale markers) survive
  const vw = new Uint32Array(v.buffer, v.byteOffset, n * 2).slice();
  const out = new Uint32Array(v.buffer, v.byteOffset, n * 2);
  const st2 = st?.slice(0, n);
  let w = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (w > 0 && t[w - 1] === t2[i]) continue;
    t[w] = t2[i];
    if (st2 !== undefined) st![w] = st2[i];
    out[2 * w] = vw[2 * i];
    out[2 * w + 1] = vw[2 * i + 1];
    w++;
  }
  return w;
}

/** A series' out-of-order samples in [mint, maxt] as XOR chunks (none when it has none). */
export function oooChunks(s: MemSeries, mint: number, maxt: number): XORChunk[] {
  if (s.ooo === undefined && s.oooCompacting === undefined) return [];
  const out: XORChunk[] = [];
  for (const o of [s.ooo, s.oooCompacting]) {
    const c = o?.chunk(mint, maxt);
    if (c !== undefined) out.push(c);
  }
  return out;
}

/** A series' out-of-order native histograms in [mint, maxt] as histogram chunks (none when none). */
export function oooHistogramChunks(s: MemSeries, mint: number, maxt: number): ClosedHistogramChunk[] {
  const out: ClosedHistogramChunk[] = [];
  for (const o of [s.ooo, s.oooCompacting]) if (o !== undefined) out.push(...o.histogramChunks(mint, maxt));
  return out;
}
