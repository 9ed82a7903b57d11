// Start timestamps (ST) in counter functions, as Prometheus 3.14 reads them with the
// use-start-timestamps feature: a sample's ST says when its counter started counting, so an ST
// after the previous sample is a reset even when the value went up, and an ST inside a rate's
// window stands for a zero sample there instead of extrapolating to the left.

/**
 * Whether the current sample's start timestamp says the counter restarted after the previous
 * sample (Prometheus's isStartTimestampReset). 0 means unknown.
 */
export function isStartTimestampReset(prevST: number, prevT: number, curST: number, curT: number): boolean {
  // unknown, invalid (after the sample) or OTel's "unknown start" (equal to the sample): no reset
  if (curST === 0 || curST >= curT) return false;
  if (curST < prevT) return false;
  if (curST > prevT) return true;
  // The ST points at the previous sample: a delta series (a reset each time), or a cumulative one
  // whose start is unknown (no reset), told apart by whether the previous sample's ST was known;
  // an invalid previous ST (after its sample) counts as unknown.
  if (prevST > prevT) return false;
  return prevST !== 0 && prevST !== prevT;
}

/**
 * Whether the current sample's start time reaches back over the previous sample without being the
 * same start (Prometheus's checkStartTimeOverlap): neither a delta nor a cumulative counter.
 */
export function startTimeOverlaps(prevST: number, prevT: number, curST: number): boolean {
  return curST !== 0 && curST < prevT && curST !== prevST;
}

export function startTimeOverlapWarning(metricName: string): string {
  return `PromQL warning: sample has start time that overlaps with previous sample timestamp for metric ${JSON.stringify(metricName)}`;
}

/** isStartTimestampReset between samples i - 1 and i of a window (false without start timestamps). */
export function stResetAt(st: Float64Array | undefined, t: ArrayLike<number>, i: number): boolean {
  return st !== undefined && isStartTimestampReset(st[i - 1], t[i - 1], st[i], t[i]);
}
