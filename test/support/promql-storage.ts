// Test data for the PromQL engine: series with one value per step from t=0.
import { Labels } from '../../src/model/labels.js';
import { STALE_NAN } from '../../src/model/value.js';
import { MemoryStorage } from '../../src/storage/memory.js';

export type SeriesDef = [Record<string, string>, Array<number | null | 'stale'>];

/** Series sampled every `step` ms from 0 (null = no sample, 'stale' = a stale marker). */
export function storeSeries(step: number, defs: readonly SeriesDef[]): MemoryStorage {
  const s = new MemoryStorage();
  for (const [ls, vals] of defs) {
    // appended one by one: a NaN stored in a JS array may lose the stale marker's payload
    const app = s.appender();
    const labels = Labels.fromRecord(ls);
    let ref = 0;
    vals.forEach((v, i) => {
      if (v !== null) ref = app.append(ref, labels, i * step, v === 'stale' ? STALE_NAN : v);
    });
    void app.commit();
  }
  return s;
}
