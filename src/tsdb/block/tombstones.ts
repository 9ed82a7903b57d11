// Deleted intervals of one series, as Prometheus's tombstones.Intervals: closed [mint, maxt] ranges,
// sorted, merged when they overlap or touch (times are discrete, so [1,3] and [4,5] become [1,5]).

export interface Interval {
  mint: number;
  maxt: number;
}

/** `ivs` (sorted, merged) with `n` added; returns a new array. */
export function addInterval(ivs: readonly Interval[], n: Interval): Interval[] {
  const out: Interval[] = [];
  let cur: Interval = { mint: n.mint, maxt: n.maxt };
  let placed = false;
  for (const iv of ivs) {
    if (placed || iv.maxt < cur.mint - 1) {
      out.push(iv);
    } else if (iv.mint > cur.maxt + 1) {
      out.push(cur, iv);
      placed = true;
    } else {
      cur = { mint: Math.min(cur.mint, iv.mint), maxt: Math.max(cur.maxt, iv.maxt) };
    }
  }
  if (!placed) out.push(cur);
  return out;
}

/** True when [mint, maxt] lies entirely inside one interval (a chunk that can be skipped). */
export function covers(ivs: readonly Interval[], mint: number, maxt: number): boolean {
  for (const iv of ivs) if (iv.mint <= mint && maxt <= iv.maxt) return true;
  return false;
}

/** True when any interval intersects [mint, maxt]. */
export function intersects(ivs: readonly Interval[], mint: number, maxt: number): boolean {
  for (const iv of ivs) if (iv.mint <= maxt && iv.maxt >= mint) return true;
  return false;
}

/** Removes samples inside the intervals, in place, keeping value bits; returns the new length. */
export function removeDeleted(
  t: Float64Array,
  v: Float64Array,
  n: number,
  ivs: readonly Interval[],
  st?: Float64Array,
): number {
  if (ivs.length === 0) return n;
  const vw = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  let w = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    while (k < ivs.length && ivs[k].maxt < ti) k++; // samples and intervals are both sorted
    if (k < ivs.length && ivs[k].mint <= ti) continue;
    if (w !== i) {
      t[w] = ti;
      if (st !== undefined) st[w] = st[i];
      vw[2 * w] = vw[2 * i];
      vw[2 * w + 1] = vw[2 * i + 1];
    }
    w++;
  }
  return w;
}
