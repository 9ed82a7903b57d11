// sort, sort_desc, sort_by_label, sort_by_label_desc. They keep the metric name (and any pending drop).
import type { FunctionArg, FunctionImpl, InstantVector } from './types.js';
import { compareLabels, stringArg, vectorArg } from './util.js';

/** facette/natsort's chunks: maximal runs of digits or of non-digits. */
function chunkify(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

function atoi(s: string): number | undefined {
  // strconv.Atoi fails beyond int64; stay within exact doubles.
  if (!/^\d+$/.test(s) || s.length > 15) return undefined;
  return Number(s);
}

/** facette/natsort.Compare: true when a sorts before b. */
export function natsortLess(a: string, b: string): boolean {
  const ca = chunkify(a);
  const cb = chunkify(b);
  for (let i = 0; i < ca.length; i++) {
    if (i >= cb.length) return false;
    const ai = atoi(ca[i]);
    const bi = atoi(cb[i]);
    if (ai !== undefined && bi !== undefined) {
      if (ai === bi) {
        if (i === ca.length - 1) return true;
        if (i === cb.length - 1) return false;
        continue;
      }
      return ai < bi;
    }
    if (ca[i] === cb[i]) {
      if (i === ca.length - 1) return true;
      if (i === cb.length - 1) return false;
      continue;
    }
    return ca[i] < cb[i];
  }
  return false;
}

function byValue(desc: boolean): FunctionImpl {
  return (args) => {
    const out = vectorArg(args, 0).slice();
    // NaN always sorts last.
    out.sort((x, y) => {
      const a = x.v;
      const b = y.v;
      if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
      if (Number.isNaN(b)) return -1;
      if (a === b) return 0;
      return (a < b ? -1 : 1) * (desc ? -1 : 1);
    });
    return out;
  };
}

function byLabel(desc: boolean): FunctionImpl {
  return (args: FunctionArg[]) => {
    const names: string[] = [];
    for (let i = 1; i < args.length; i++) names.push(stringArg(args, i));
    const out: InstantVector = vectorArg(args, 0).slice();
    const sign = desc ? -1 : 1;
    out.sort((a, b) => {
      for (const n of names) {
        const x = a.labels.get(n) ?? '';
        const y = b.labels.get(n) ?? '';
        if (x === y) continue;
        return (natsortLess(x, y) ? -1 : 1) * sign;
      }
      return compareLabels(a.labels, b.labels) * sign;
    });
    return out;
  };
}

export const SORT_FUNCTIONS: Record<string, FunctionImpl> = {
  sort: byValue(false),
  sort_desc: byValue(true),
  sort_by_label: byLabel(false),
  sort_by_label_desc: byLabel(true),
};
