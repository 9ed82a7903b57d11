// GET /federate as Prometheus's web/federate.go: for every series matching any match[] selector, the
// latest sample within the lookback delta before now (stale markers left out), grouped by metric name
// as untyped families, with the config's external labels (and `instance=""`) added where missing.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { METRIC_NAME, type Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { formatGoFloat } from '../model/exposition/writer.js';
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

/**
 * expfmt.Negotiate: the first acceptable text/plain (version 0.0.4 or none) wins, else text anyway;
 * an `escaping` parameter anywhere up to that point picks the name escaping. Protobuf, which
 * Prometheus would also offer, is not supported: such ranges are passed over.
 */
export function negotiateFederation(accept: string | undefined): { contentType: string; escaping: Escaping } {
  let escaping: Escaping = DEFAULT_ESCAPING;
  for (const range of (accept ?? '').split(',')) {
    const [type, ...paramParts] = range.split(';').map((p) => p.trim());
    if (type === '') continue;
    const params = new Map<string, string>();
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        );
    }
    const esc = params.get('escaping');
    if (esc !== undefined && ESCAPINGS.includes(esc)) escaping = esc as Escaping;
    const version = params.get('version') ?? '';
    if (type.toLowerCase() === 'text/plain' && (version === '0.0.4' || version === '')) break;
  }
  return { contentType: `${TEXT_TYPE}; escaping=${escaping}`, escaping };
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
    const { contentType, escaping } = negotiateFederation(req.headers.accept);

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
          if (i < 0 || t[i] < mint) continue;
          // The exposition formats cannot carry stale markers: a series that went stale is left out.
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

    const out: string[] = [];
    let lastName: string | undefined;
    for (const s of vec) {
      const name = s.labels.get(METRIC_NAME) ?? '';
      if (name === '') {
        logger.warn('Ignoring nameless metric during federation', { metric: s.labels.toString() });
        continue;
      }
      const escapedName = escapeName(name, escaping);
      if (name !== lastName) {
        out.push(`# TYPE ${writeName(escapedName)} untyped\n`);
        lastName = name;
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
      const series = isLegacyMetricName(escapedName)
        ? `${escapedName}{${parts.join(',')}}`
        : `{${[quote(escapedName), ...parts].join(',')}}`;
      out.push(`${series} ${formatGoFloat(s.v)} ${s.t}\n`);
    }
    return reply.code(200).header('content-type', contentType).send(out.join(''));
  });
}
