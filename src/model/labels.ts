// Label sets: immutable, sorted by name, with a stable 53-bit hash. Stored flat as
// [name0, value0, name1, value1, ...] so a set is one array, not an object per label.

export const METRIC_NAME = '__name__';

const interned = new Map<string, string>();

/**
 * Returns the canonical copy of `s`, so label strings repeated across series share memory. Also
 * flattens sliced strings (a slice of a scrape body would otherwise keep the whole body alive).
 */
export function intern(s: string): string {
  let v = interned.get(s);
  if (v === undefined) {
    // a round trip through a template literal with a leading char forces a flat, unsliced copy
    v = (' ' + s).slice(1);
    interned.set(v, v);
  }
  return v;
}

export class Labels {
  private cachedHash = -1;
  /** PromQL's form of these labels without __name__ (and __type__/__unit__), once computed. */
  nameless: Labels | undefined = undefined;

  private constructor(
    /** Flat sorted pairs; never mutated. */
    readonly pairs: readonly string[],
  ) {}

  static readonly EMPTY = new Labels([]);

  /** From flat name/value pairs in any order; later duplicates win. Empty values drop the label, as in Prometheus. */
  static fromPairs(pairs: readonly string[]): Labels {
    const idx: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) idx.push(i);
    idx.sort((a, b) => (pairs[a] < pairs[b] ? -1 : pairs[a] > pairs[b] ? 1 : a - b));
    const out: string[] = [];
    for (const i of idx) {
      const name = pairs[i];
      const value = pairs[i + 1];
      if (out.length > 0 && out[out.length - 2] === name) {
        out[out.length - 1] = value;
      } else {
        out.push(name, value);
      }
    }
    // Exactly sized: the head keeps these pairs for every series, and an array grown by push holds
    // room for up to 40 elements (8 bytes each).
    let n = 0;
    for (let i = 0; i < out.length; i += 2) if (out[i + 1] !== '') n += 2;
    const kept = new Array<string>(n);
    for (let i = 0, j = 0; i < out.length; i += 2) {
      if (out[i + 1] !== '') {
        kept[j++] = out[i];
        kept[j++] = out[i + 1];
      }
    }
    return new Labels(kept);
  }

  /** From pairs already sorted by name with no duplicates and no empty values (trusted callers only). */
  static fromSortedPairs(pairs: readonly string[]): Labels {
    return new Labels(pairs);
  }

  static fromRecord(rec: Readonly<Record<string, string>>): Labels {
    return Labels.fromPairs(Object.entries(rec).flat());
  }

  get size(): number {
    return this.pairs.length >> 1;
  }

  get(name: string): string | undefined {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === name) return p[i + 1];
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** The metric name, or "" when there is none. */
  metricName(): string {
    return this.get(METRIC_NAME) ?? '';
  }

  forEach(fn: (name: string, value: string) => void): void {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) fn(p[i], p[i + 1]);
  }

  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    this.forEach((n, v) => (out[n] = v));
    return out;
  }

  equals(other: Labels): boolean {
    if (this === other) return true;
    const a = this.pairs;
    const b = other.pairs;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Stable across processes and restarts: a 53-bit hash of the names and values. */
  hash(): number {
    if (this.cachedHash < 0) this.cachedHash = hashStrings(this.pairs);
    return this.cachedHash;
  }

  /** Prometheus's text form: `name{a="b", c="d"}`; names outside the legacy charset are quoted. */
  toString(): string {
    const name = this.get(METRIC_NAME);
    const parts: string[] = [];
    let head = '';
    if (name !== undefined) {
      if (isLegacyMetricName(name)) head = name;
      else parts.push(JSON.stringify(name));
    }
    this.forEach((n, v) => {
      if (n !== METRIC_NAME) parts.push(`${isLegacyName(n) ? n : JSON.stringify(n)}=${quoteValue(v)}`);
    });
    if (parts.length === 0 && head !== '') return head;
    return `${head}{${parts.join(', ')}}`;
  }
}

function quoteValue(v: string): string {
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

export function isLegacyName(n: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n);
}

export function isLegacyMetricName(n: string): boolean {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n);
}

/** cyrb53 over the strings with a separator that cannot occur in UTF-16 text of valid labels. */
export function hashStrings(parts: readonly string[]): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let j = 0; j < parts.length; j++) {
    const s = parts[j];
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0xffff, 2654435761);
    h2 = Math.imul(h2 ^ 0xffff, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
