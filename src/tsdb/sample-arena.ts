// Sample arrays for the series a query reads, cut from shared slabs (block reads, and the query
// workers' view of the head). A view's samples are its own; it keeps its slab alive.
import { uninitializedFloat64 } from '../storage/arrays.js';

/** Samples per SampleArena slab: 32 KiB arrays, under glibc's threshold for allocating by mmap. */
const ARENA_SLAB = 4096;

/**
 * Sample arrays for the series of one select, cut from shared slabs. Allocating two Float64Arrays
 * per series cost more than decoding it (an instant query over a thousand series spent ~15 % of its
 * time there, plus GC of the off-heap buffers); a series is decoded into the slab's free space, then
 * handed out as views of exactly its samples, so a window of an instant query uses 20 slots of a
 * 120-sample chunk, not 120. Slabs of 4k samples measured faster than growing ones up to 64k (fresh
 * mmaps); a series longer than a slab gets one of its own size. A view keeps its slab alive.
 */
export class SampleArena {
  private t = new Float64Array(0);
  private v = new Float64Array(0);
  private used = 0;

  /** Views of free space for `cap` samples, to decode a series into from index 0; then take(). */
  room(cap: number): { t: Float64Array; v: Float64Array } {
    if (this.used + cap > this.t.length) {
      const size = Math.max(cap, ARENA_SLAB);
      this.t = uninitializedFloat64(size);
      this.v = uninitializedFloat64(size);
      this.used = 0;
    }
    return {
      t: this.t.subarray(this.used, this.used + cap),
      v: this.v.subarray(this.used, this.used + cap),
    };
  }

  /** The first `n` samples of the last room(), as views of their own; the rest is free again. */
  take(n: number): { t: Float64Array; v: Float64Array } {
    const from = this.used;
    this.used += n;
    return { t: this.t.subarray(from, this.used), v: this.v.subarray(from, this.used) };
  }
}
