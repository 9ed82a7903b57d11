// Label-set helpers for the evaluator: name dropping, matching signatures, grouping.
import { Labels, METRIC_NAME } from '../../model/labels.js';

/** The metadata labels Prometheus drops together with the metric name (schema.IsMetadataLabel). */
const METADATA_LABELS: ReadonlySet<string> = new Set([METRIC_NAME, '__type__', '__unit__']);

/**
 * The labels without __name__ and the type-and-unit metadata labels __type__/__unit__, as Prometheus's
 * `DropReserved(schema.IsMetadataLabel)` (the same object when there is none of them).
 */
export function dropMetricName(ls: Labels): Labels {
  // the same input gives the same object, so its hash is computed once across steps; kept on the
  // labels themselves (a WeakMap lookup per sample per step cost more than the rest of this)
  let out = ls.nameless;
  if (out === undefined) {
    out = dropReserved(ls);
    ls.nameless = out;
  }
  return out;
}

function dropReserved(ls: Labels): Labels {
  const p = ls.pairs;
  let out: string[] | undefined;
  for (let i = 0; i < p.length; i += 2) {
    if (METADATA_LABELS.has(p[i])) {
      out ??= p.slice(0, i);
    } else if (out !== undefined) out.push(p[i], p[i + 1]);
  }
  return out === undefined ? ls : Labels.fromSortedPairs(out);
}

/** Only the named labels. */
export function keepLabels(ls: Labels, names: readonly string[]): Labels {
  const out: string[] = [];
  const p = ls.pairs;
  for (let i = 0; i < p.length; i += 2) if (names.includes(p[i])) out.push(p[i], p[i + 1]);
  return Labels.fromSortedPairs(out);
}

/** All labels but the named ones. */
export function withoutLabels(ls: Labels, names: readonly string[]): Labels {
  const out: string[] = [];
  const p = ls.pairs;
  for (let i = 0; i < p.length; i += 2) if (!names.includes(p[i])) out.push(p[i], p[i + 1]);
  return Labels.fromSortedPairs(out);
}

/** Sets (or, for an empty value, removes) one label. */
export function setLabel(ls: Labels, name: string, value: string): Labels {
  return Labels.fromPairs([...ls.pairs, name, value]);
}

/**
 * A string key of a label subset: with on=true the named labels only, else every label but the named
 * ones and __name__ (Prometheus's signatureFunc).
 */
export function signature(ls: Labels, on: boolean, names: readonly string[]): string {
  let key = '';
  const p = ls.pairs;
  for (let i = 0; i < p.length; i += 2) {
    const n = p[i];
    const listed = names.includes(n);
    if (on ? listed : !listed && n !== METRIC_NAME) key += n + '\xff' + p[i + 1] + '\xff';
  }
  return key;
}

/** A string key of the whole label set. */
export function labelsKey(ls: Labels): string {
  return ls.pairs.join('\xff');
}
