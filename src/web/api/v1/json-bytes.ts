// A query's answer written straight into bytes: the body a query worker hands over, with no string per
// point (a range answer has hundreds of thousands of points). Numbers are ASCII digits written in
// place; label sets and messages go through JSON.stringify and Go's HTML escaping, as json.ts writes
// them. The bytes are exactly what json.ts's string functions would give, UTF-8 encoded.
import type { QueryValue } from '../../../promql/engine/index.js';
import { allBuckets, type FloatHistogram } from '../../../model/histogram.js';
import { floatJSON, htmlSafeJson, labelsJSON } from './json.js';

const utf8 = new TextEncoder();

export class JsonBytes {
  // Small to start, doubling: most answers are a few hundred bytes, and a 64 KiB buffer per query
  // (zero-filled, then handed to the main thread) cost more than the query (issue 19's dashboard set).
  private buf = new Uint8Array(1024);
  private n = 0;

  private room(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** Text known to be ASCII (JSON punctuation, numbers). */
  ascii(s: string): void {
    this.room(s.length);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    this.room(s.length * 3);
    this.n += utf8.encodeInto(s, this.buf.subarray(this.n)).written;
  }

  /**
   * A non-negative integer below 2^53, in decimal. Below 2^31 (every timestamp's seconds until 2038,
   * most counts) the digits come from int32 arithmetic, which V8 keeps out of floating point.
   */
  private digits(x: number): void {
    this.room(16);
    if (x >= 2147483648) {
      // the high part, then the low nine digits zero-padded
      const hi = Math.floor(x / 1e9);
      this.digits(hi);
      this.fixed(x - hi * 1e9, 9);
      return;
    }
    let len = 1;
    for (let y = x | 0; y >= 10; y = (y / 10) | 0) len++;
    this.fixed(x, len);
  }

  /** 0 ≤ x < 2^31 as exactly `len` digits, zero-padded; room for them is made by the caller. */
  private fixed(x: number, len: number): void {
    const b = this.buf;
    let v = x | 0;
    let n = this.n + len;
    this.n = n;
    for (let i = 0; i < len; i++) {
      const q = (v / 10) | 0;
      b[--n] = 48 + v - q * 10;
      v = q;
    }
  }

  /** jsonutil.MarshalTimestamp (see timestampJSON): seconds, and three fraction digits when non-zero. */
  timestamp(ms: number): void {
    let t = Math.trunc(ms);
    if (t < 0) {
      this.ascii('-');
      t = -t;
    }
    const sec = Math.floor(t / 1000);
    const frac = t - sec * 1000;
    this.digits(sec);
    if (frac === 0) return;
    this.room(4);
    this.buf[this.n++] = 46; // '.'
    this.fixed(frac, 3);
  }

  /** A sample value as floatJSON writes it, without building the quoted string when it is plain. */
  float(v: number): void {
    const a = v < 0 ? -v : v;
    if (a >= 1 && a < 9007199254740992 && Math.floor(a) === a) {
      // a whole number (counters, counts, gauges of sizes): its digits, with no string made for it;
      // String(v) would give the same text, without exponent, below 2^53
      this.room(20);
      this.buf[this.n++] = 34; // '"'
      if (v < 0) this.buf[this.n++] = 45; // '-'
      this.digits(a);
      this.buf[this.n++] = 34;
    } else if (a >= 1e-6 && a < 1e21) {
      // JavaScript's shortest form is exactly Go's 'f' with precision -1 here (see floatJSON)
      const s = String(v);
      this.room(s.length + 2);
      const b = this.buf;
      let n = this.n;
      b[n++] = 34; // '"'
      for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
      b[n++] = 34;
      this.n = n;
    } else {
      this.ascii(floatJSON(v));
    }
  }

  /** `[t,"v"]` of a matrix, with its leading comma unless first: one call per point. */
  point(t: number, v: number, first: boolean): void {
    this.room(2);
    if (!first) this.buf[this.n++] = 44; // ','
    this.buf[this.n++] = 91; // '['
    this.timestamp(t);
    this.room(1);
    this.buf[this.n++] = 44;
    this.float(v);
    this.room(1);
    this.buf[this.n++] = 93; // ']'
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/** `"resultType":...,"result":...` of a query's value, as queryValueJSON writes it. */
export function writeQueryValue(w: JsonBytes, value: QueryValue): void {
  switch (value.type) {
    case 'scalar':
      w.ascii('"resultType":"scalar","result":[');
      w.timestamp(value.t);
      w.ascii(',' + floatJSON(value.v) + ']');
      return;
    case 'string':
      w.ascii('"resultType":"string","result":[');
      w.timestamp(value.t);
      w.text(',' + htmlSafeJson(JSON.stringify(value.v)) + ']');
      return;
    case 'vector': {
      w.ascii('"resultType":"vector","result":[');
      value.samples.forEach((s, i) => {
        const h = s.h;
        w.text(
          (i > 0 ? ',{"metric":' : '{"metric":') +
            htmlSafeJson(labelsJSON(s.labels)) +
            (h === undefined ? ',"value":[' : ',"histogram":['),
        );
        w.timestamp(s.t);
        w.ascii(',');
        if (h === undefined) w.float(s.v);
        else writeHistogram(w, h);
        w.ascii(']}');
      });
      w.ascii(']');
      return;
    }
    case 'matrix': {
      w.ascii('"resultType":"matrix","result":[');
      value.series.forEach((s, i) => {
        w.text((i > 0 ? ',{"metric":' : '{"metric":') + htmlSafeJson(labelsJSON(s.labels)));
        const n = s.t.length;
        const hs = s.h;
        if (hs === undefined) {
          w.ascii(',"values":[');
          const ts = s.t;
          const vs = s.v;
          for (let k = 0; k < n; k++) w.point(ts[k], vs[k], k === 0);
          w.ascii(']}');
          return;
        }
        // as Prometheus: "values" for the float points, "histograms" for the others, each only when any
        let first = true;
        for (let k = 0; k < n; k++) {
          if (hs[k] !== undefined) continue;
          w.ascii(first ? ',"values":[[' : ',[');
          first = false;
          w.timestamp(s.t[k]);
          w.ascii(',');
          w.float(s.v[k]);
          w.ascii(']');
        }
        if (!first) w.ascii(']');
        first = true;
        for (let k = 0; k < n; k++) {
          const h = hs[k];
          if (h === undefined) continue;
          w.ascii(first ? ',"histograms":[[' : ',[');
          first = false;
          w.timestamp(s.t[k]);
          w.ascii(',');
          writeHistogram(w, h);
          w.ascii(']');
        }
        if (!first) w.ascii(']');
        w.ascii('}');
      });
      w.ascii(']');
      return;
    }
  }
}

/**
 * A native histogram as Prometheus's jsonutil.MarshalHistogram writes it: count, sum and the buckets
 * holding observations as [boundary rule, lower, upper, count] (rule 0: (a,b], 1: [a,b), 2: (a,b),
 * 3: [a,b]).
 */
function writeHistogram(w: JsonBytes, h: FloatHistogram): void {
  w.ascii('{"count":' + floatJSON(h.count) + ',"sum":' + floatJSON(h.sum));
  let found = false;
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    w.ascii(found ? ',[' : ',"buckets":[[');
    found = true;
    const rule = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : b.upperInclusive ? 0 : 2;
    w.ascii(`${rule},${floatJSON(b.lower)},${floatJSON(b.upper)},${floatJSON(b.count)}]`);
  }
  if (found) w.ascii(']');
  w.ascii('}');
}
