// Decoding a remembered label section into Labels: only on a scrape-cache miss, so the parsers'
// hot path never gets here. Offsets are absolute in the body: per label [nameStart, nameEnd,
// valueStart, valueEnd), a quoted name's end stored as -(end + 1).
import { Labels, METRIC_NAME, intern } from '../labels.js';
import type { MetricType } from './types.js';
import { needsNormalising, normaliseFloatLabel, unescapeLabel } from './parser-common.js';

/** Up to this many labels an insertion sort beats Array.sort and needs no index array. */
const INSERTION_SORT_MAX = 16;

/** Series labels with __name__; `le`/`quantile` normalised as Prometheus 3 does for `type`. */
export function buildLabels(
  b: string,
  nameStart: number,
  nameEnd: number,
  nameQuoted: boolean,
  offs: Int32Array,
  nOffs: number,
  type: MetricType,
): Labels {
  const pairs: string[] = [];
  const name = nameQuoted ? unescapeLabel(b, nameStart, nameEnd) : b.slice(nameStart, nameEnd);
  pairs.push(METRIC_NAME, intern(name));
  appendPairs(b, offs, nOffs, type, pairs);
  return sortedLabels(pairs);
}

/**
 * The label name that occurs more than once in the series (the metric name counts as __name__), the
 * smallest if several do, as Prometheus's HasDuplicateLabelNames finds it on sorted labels; undefined
 * when every name is unique. Labels keep only one value per name, so this reads the raw section.
 */
export function repeatedLabelName(b: string, offs: Int32Array, nOffs: number): string | undefined {
  const names: string[] = [METRIC_NAME];
  for (let k = 0; k < nOffs; k += 4) {
    const ne = offs[k + 1];
    names.push(ne < 0 ? unescapeLabel(b, offs[k], -ne - 1) : b.slice(offs[k], ne));
  }
  if (names.length === 1) return undefined;
  names.sort();
  for (let i = 1; i < names.length; i++) if (names[i] === names[i - 1]) return names[i];
  return undefined;
}

/** Exemplar labels: no metric name, no normalisation. */
export function buildPlainLabels(b: string, offs: Int32Array, nOffs: number): Labels {
  const pairs: string[] = [];
  appendPairs(b, offs, nOffs, 'unknown', pairs);
  return sortedLabels(pairs);
}

function appendPairs(b: string, offs: Int32Array, nOffs: number, type: MetricType, out: string[]): void {
  const normalise = type === 'summary' || type === 'histogram';
  for (let k = 0; k < nOffs; k += 4) {
    const ns = offs[k];
    let ne = offs[k + 1];
    let n: string;
    if (ne < 0) {
      ne = -ne - 1;
      n = unescapeLabel(b, ns, ne);
    } else {
      n = b.slice(ns, ne);
    }
    let v = unescapeLabel(b, offs[k + 2], offs[k + 3]);
    if (normalise && needsNormalising(type, n)) v = normaliseFloatLabel(v);
    out.push(intern(n), intern(v));
  }
}

/** Sorted by name; a later duplicate wins and empty values drop, as Labels.fromPairs does. */
function sortedLabels(p: string[]): Labels {
  const len = p.length;
  if (len > 2 * INSERTION_SORT_MAX) return Labels.fromPairs(p);
  for (let i = 2; i < len; i += 2) {
    const n = p[i];
    const v = p[i + 1];
    let j = i - 2;
    while (j >= 0 && p[j] > n) {
      p[j + 2] = p[j];
      p[j + 3] = p[j + 1];
      j -= 2;
    }
    p[j + 2] = n;
    p[j + 3] = v;
  }
  let w = 0;
  for (let i = 0; i < len; i += 2) {
    if (i + 2 < len && p[i + 2] === p[i]) continue; // a later duplicate follows: it wins
    if (p[i + 1] === '') continue;
    p[w] = p[i];
    p[w + 1] = p[i + 1];
    w += 2;
  }
  p.length = w;
  return Labels.fromSortedPairs(p);
}
