// GET /federate as Prometheus's web/federate.go: for every series matching any match[] selector, the
// latest sample within the lookback delta before now (stale markers left out), grouped by metric name
// as untyped families, with the config's external labels (and `instance=""`) added where missing.
// Native histograms go out in the protobuf format (`encoding=delimited`, when the Accept header asks
// for it); in the text format only custom-bucket histograms can, as classic histograms.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { METRIC_NAME, type Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { formatGoFloat } from '../model/exposition/writer.js';
import {
  bucketIndexes,
  CounterResetHint,
  isCustomBucketsSchema,
  toFloatHistogram,
  type FloatHistogram,
} from '../model/histogram.js';
import { ProtoWriter } from '../model/protobuf.js';
import { isStaleNaN } from '../model/value.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { compareLabels, type Queryable } from '../storage/interfaces.js';
import type { Logger } from '../log/logger.js';
import { queryValues } from './request-form.js';
import { Counter, type Registry } from 'prom-client';

export interface FederationSource {
  /** The local storage; undefined while it opens. */
  queryable(): Queryable | undefined;
  /** --query.lookback-delta in ms. */
  lookbackDeltaMs: number;
  /** global.external_labels of the loaded config. */
  externalLabels(): Readonly<Record<string, string>>;
  /** The evaluation time in ms; Date.now by default. */
  now?(): number;
}

type Escaping = 'allow-utf-8' | 'underscores' | 'dots' | 'values';
const ESCAPINGS: readonly string[] = ['allow-utf-8', 'underscores', 'dots', 'values'];
/** model.NameEscapingScheme's default in Prometheus 3. */
const DEFAULT_ESCAPING: Escaping = 'underscores';
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The protobuf exposition format (varint-delimited MetricFamily messages). */
const PROTO_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/**
 * expfmt.Negotiate: the Accept ranges by preference (q, then order); the first that is the protobuf
 * MetricFamily format with `encoding=delimited`, or text/plain (version 0.0.4 or none), wins; text
 * when none does. An `escaping` parameter of the chosen range (or one before it) picks the name
 * escaping.
 */
export function negotiateFederation(accept: string | undefined): {
  contentType: string;
  escaping: Escaping;
  protobuf: boolean;
} {
  let escaping: Escaping = DEFAULT_ESCAPING;
  const ranges = (accept ?? '')
    .split(',')
    .map((range, order) => {
      const [type, ...paramParts] = range.split(';').map((p) => p.trim());
      const params = new Map<string, string>();
      for (const p of paramParts) {
        const eq = p.indexOf('=');
        if (eq > 0)
          params.set(
            p.slice(0, eq).trim().toLowerCase(),
            p
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1'),
          );
      }
      const q = Number(params.get('q') ?? '1');
      return { type: (type ?? '').toLowerCase(), params, q: Number.isNaN(q) ? 0 : q, order };
    })
    .filter((r) => r.type !== '')
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const r of ranges) {
    const esc = r.params.get('escaping');
    if (esc !== undefined && ESCAPINGS.includes(esc)) escaping = esc as Escaping;
    if (
      r.type === 'application/vnd.google.protobuf' &&
      r.params.get('proto') === 'io.prometheus.client.MetricFamily' &&
      r.params.get('encoding') === 'delimited'
    )
      return { contentType: `${PROTO_TYPE}; escaping=${escaping}`, escaping, protobuf: true };
    const version = r.params.get('version') ?? '';
    if (r.type === 'text/plain' && (version === '0.0.4' || version === '')) break;
  }
  return { contentType: `${TEXT_TYPE}; escaping=${escaping}`, escaping, protobuf: false };
}

function isLegacyRune(c: number, first: boolean): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x5f ||
    c === 0x3a ||
    (c >= 0x30 && c <= 0x39 && !first)
  );
}

function isLegacyMetricName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isLegacyRune(s.charCodeAt(i), i === 0)) return false;
  return true;
}

/** model.EscapeName for names that are not legacy-valid (legacy names are never changed). */
function escapeName(name: string, scheme: Escaping): string {
  if (scheme === 'allow-utf-8' || isLegacyMetricName(name)) return name;
  let out = scheme === 'values' ? 'U__' : '';
  let first = true;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (scheme === 'underscores') out += isLegacyRune(c, first) ? ch : '_';
    else if (ch === '_') out += '__';
    else if (scheme === 'dots' && ch === '.') out += '_dot_';
    else if (isLegacyRune(c, first)) out += ch;
    else if (scheme === 'dots') out += '__';
    else out += `_${(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c).toString(16)}_`;
    first = false;
  }
  return out;
}

const VALUE_SPECIAL = /[\\"\n]/g;
function quote(s: string): string {
  return '"' + s.replace(VALUE_SPECIAL, (c) => (c === '\n' ? '\\n' : '\\' + c)) + '"';
}

function writeName(name: string): string {
  return isLegacyMetricName(name) ? name : quote(name);
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  // Go's http.Error.
  return reply
    .code(400)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(message + '\n');
}

interface Latest {
  labels: Labels;
  t: number;
  v: number;
  /** A native histogram sample (v is then 0). */
  h?: FloatHistogram;
}

export function registerFederationRoute(
  app: FastifyInstance,
  source: FederationSource | undefined,
  logger: Logger,
  registry?: Registry,
): void {
  const registers = registry === undefined ? [] : [registry];
  const errors = new Counter({
    name: 'prometheus_web_federation_errors_total',
    help: 'Total number of errors that occurred while sending federation responses.',
    registers,
  });
  const warningsTotal = new Counter({
    name: 'prometheus_web_federation_warnings_total',
    help: 'Total number of warnings that occurred while sending federation responses.',
    registers,
  });
  app.get('/federate', (req, reply) => {
    const matcherSets: Matcher[][] = [];
    for (const s of queryValues(req).getAll('match[]')) {
      try {
        matcherSets.push(parseMetricSelector(s));
      } catch (err) {
        return badRequest(reply, (err as Error).message);
      }
    }
    const queryable = source?.queryable();
    if (source === undefined || queryable === undefined)
      return reply.code(503).type('text/plain; charset=utf-8').send('Service Unavailable');

    const now = source.now?.() ?? Date.now();
    const mint = now - source.lookbackDeltaMs;
    const maxt = now;
    const { contentType, escaping, protobuf } = negotiateFederation(req.headers.accept);

    const latest = new Map<string, Latest>();
    let q;
    try {
      q = queryable.querier(mint, maxt);
    } catch (err) {
      errors.inc();
      return reply
        .code(500)
        .type('text/plain; charset=utf-8')
        .send(`${(err as Error).message}\n`);
    }
    try {
      for (const matchers of matcherSets) {
        const set = q.select(matchers, { start: mint, end: maxt });
        for (const series of set) {
          const key = series.labels.pairs.join('\xff');
          if (latest.has(key)) continue;
          const { t, v, length } = series.samples();
          let i = length - 1;
          while (i >= 0 && t[i] > maxt) i--;
          // the newest histogram sample, when it is newer than the newest float
          const hs = series.histograms?.() ?? [];
          let j = hs.length - 1;
          while (j >= 0 && hs[j].t > maxt) j--;
          if (j >= 0 && hs[j].t >= mint && (i < 0 || hs[j].t > t[i])) {
            const x = hs[j];
            const fh = x.fh ?? toFloatHistogram(x.h!);
            // The exposition formats cannot carry stale markers: a series that went stale is left out.
            if (isStaleNaN(fh.sum)) continue;
            latest.set(key, { labels: series.labels, t: x.t, v: 0, h: fh });
            continue;
          }
          if (i < 0 || t[i] < mint) continue;
          if (isStaleNaN(v[i])) continue;
          latest.set(key, { labels: series.labels, t: t[i], v: v[i] });
        }
        if (set.warnings.length > 0) {
          logger.debug('Federation select returned warnings', { warnings: set.warnings.join('; ') });
          warningsTotal.inc(set.warnings.length);
        }
      }
    } catch (err) {
      errors.inc();
      logger.error('Federation failed', { err: (err as Error).message });
      return reply
        .code(500)
        .type('text/plain; charset=utf-8')
        .send(`${(err as Error).message}\n`);
    } finally {
      q.close();
    }

    const vec = [...latest.values()].sort((a, b) => {
      const na = a.labels.get(METRIC_NAME) ?? '';
      const nb = b.labels.get(METRIC_NAME) ?? '';
      return na < nb ? -1 : na > nb ? 1 : compareLabels(a.labels, b.labels);
    });

    const external = new Map(Object.entries(source.externalLabels()));
    if (!external.has('instance')) external.set('instance', '');
    const externalNames = [...external.keys()].sort();

    if (protobuf) {
      const body = federationProtobuf(vec, external, externalNames, escaping, logger);
      return reply.code(200).header('content-type', contentType).send(Buffer.from(body));
    }
    const out: string[] = [];
    let lastFamily: string | undefined;
    for (const s of vec) {
      const name = s.labels.get(METRIC_NAME) ?? '';
      if (name === '') {
        logger.warn('Ignoring nameless metric during federation', { metric: s.labels.toString() });
        continue;
      }
      // a native histogram with exponential buckets has no text form; custom buckets go out as a
      // classic histogram
      if (s.h !== undefined && !isCustomBucketsSchema(s.h.schema)) continue;
      const escapedName = escapeName(name, escaping);
      const type = familyType(s);
      if (`${name}\xff${type}` !== lastFamily) {
        out.push(`# TYPE ${writeName(escapedName)} ${type}\n`);
        lastFamily = `${name}\xff${type}`;
      }
      const parts: string[] = [];
      const used = new Set<string>();
      const p = s.labels.pairs;
      for (let i = 0; i < p.length; i += 2) {
        // No value means unset; the name is the family's.
        if (p[i] === METRIC_NAME || p[i + 1] === '') continue;
        parts.push(`${writeName(escapeName(p[i], escaping))}=${quote(p[i + 1])}`);
        if (external.has(p[i])) used.add(p[i]);
      }
      for (const n of externalNames) {
        if (!used.has(n)) parts.push(`${writeName(escapeName(n, escaping))}=${quote(external.get(n)!)}`);
      }
      const series = (suffix: string, extra?: string): string => {
        const n = escapedName + suffix;
        const ls = extra === undefined ? parts : [...parts, extra];
        return isLegacyMetricName(n) ? `${n}{${ls.join(',')}}` : `{${[quote(n), ...ls].join(',')}}`;
      };
      if (s.h === undefined) {
        out.push(`${series('')} ${formatGoFloat(s.v)} ${s.t}\n`);
        continue;
      }
      for (const [le, cum] of classicBuckets(s.h))
        out.push(`${series('_bucket', `le=${quote(formatGoFloat(le))}`)} ${formatGoFloat(cum)} ${s.t}\n`);
      out.push(`${series('_bucket', 'le="+Inf"')} ${formatGoFloat(s.h.count)} ${s.t}\n`);
      out.push(`${series('_sum')} ${formatGoFloat(s.h.sum)} ${s.t}\n`);
      out.push(`${series('_count')} ${formatGoFloat(s.h.count)} ${s.t}\n`);
    }
    return reply.code(200).header('content-type', contentType).send(out.join(''));
  });
}

/** The family type a sample goes out in: untyped floats, histogram or gauge histogram. */
function familyType(s: Latest): string {
  if (s.h === undefined) return 'untyped';
  return s.h.counterResetHint === CounterResetHint.Gauge ? 'gaugehistogram' : 'histogram';
}

/** A custom-bucket histogram's classic buckets: each bound with the count at or below it (makeClassicHistogram). */
function classicBuckets(h: FloatHistogram): Array<[number, number]> {
  const bounds = h.customValues ?? [];
  const byIdx = new Map<number, number>();
  bucketIndexes(h.positiveSpans).forEach((idx, i) => byIdx.set(idx, h.positiveBuckets[i]));
  let cum = 0;
  return bounds.map((le, i) => [le, (cum += byIdx.get(i) ?? 0)]);
}

/**
 * The protobuf answer (Prometheus's federation encoder): one MetricFamily per run of samples of the
 * same name and kind (untyped floats, histogram, gauge histogram), each sample with its labels, the
 * external labels it lacks, and its timestamp; native histograms with their spans and float counts,
 * custom-bucket ones as classic histograms.
 */
function federationProtobuf(
  vec: readonly Latest[],
  external: ReadonlyMap<string, string>,
  externalNames: readonly string[],
  escaping: Escaping,
  logger: Logger,
): Uint8Array {
  const out = new ProtoWriter();
  let fam: ProtoWriter | undefined;
  let lastFamily: string | undefined;
  const flush = (): void => {
    if (fam === undefined) return;
    const bytes = fam.bytes();
    out.uvarint(bytes.length);
    out.raw(bytes);
  };
  for (const s of vec) {
    const name = s.labels.get(METRIC_NAME) ?? '';
    if (name === '') {
      logger.warn('Ignoring nameless metric during federation', { metric: s.labels.toString() });
      continue;
    }
    const type = familyType(s);
    if (`${name}\xff${type}` !== lastFamily) {
      flush();
      fam = new ProtoWriter();
      fam.stringField(1, escapeName(name, escaping));
      fam.uvarintField(3, type === 'untyped' ? 3 : type === 'histogram' ? 4 : 5);
      lastFamily = `${name}\xff${type}`;
    }
    const m = new ProtoWriter();
    const label = (n: string, v: string): void => {
      const l = new ProtoWriter();
      l.stringField(1, escapeName(n, escaping));
      l.stringField(2, v);
      m.messageField(1, l);
    };
    const used = new Set<string>();
    const p = s.labels.pairs;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] === METRIC_NAME || p[i + 1] === '') continue;
      label(p[i], p[i + 1]);
      if (external.has(p[i])) used.add(p[i]);
    }
    for (const n of externalNames) if (!used.has(n)) label(n, external.get(n)!);
    if (s.h === undefined) {
      const u = new ProtoWriter();
      u.doubleField(1, s.v);
      m.messageField(5, u);
    } else m.messageField(7, protoHistogram(s.h));
    m.int64Field(6, s.t);
    fam!.messageField(4, m);
  }
  flush();
  return out.bytes();
}

/** io.prometheus.client.Histogram of a float histogram (makeNativeHistogram / makeClassicHistogram). */
function protoHistogram(h: FloatHistogram): ProtoWriter {
  const w = new ProtoWriter();
  w.doubleField(2, h.sum);
  w.doubleField(4, h.count);
  if (isCustomBucketsSchema(h.schema)) {
    for (const [le, cum] of classicBuckets(h)) {
      const b = new ProtoWriter();
      b.doubleField(2, le);
      b.doubleField(4, cum);
      w.messageField(3, b);
    }
    return w;
  }
  w.sintField(5, h.schema);
  w.doubleField(6, h.zeroThreshold);
  w.doubleField(8, h.zeroCount);
  const spans = (field: number, list: FloatHistogram['positiveSpans']): void => {
    for (const sp of list) {
      const b = new ProtoWriter();
      b.sintField(1, sp.offset);
      b.uvarintField(2, sp.length);
      w.messageField(field, b);
    }
  };
  spans(9, h.negativeSpans);
  if (h.negativeBuckets.length > 0) w.packedDoubleField(11, h.negativeBuckets);
  spans(12, h.positiveSpans);
  if (h.positiveBuckets.length > 0) w.packedDoubleField(14, h.positiveBuckets);
  return w;
}
