// /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values and /api/v1/metadata, as Prometheus's
// web/api/v1/api.go answers them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Labels } from '../../../model/labels.js';
import { isValidLabelName } from '../../../model/labelname.js';
import { goQuote } from '../../../model/goquote.js';
import type { Matcher } from '../../../model/matcher.js';
import { compareLabels, type Queryable, type Querier } from '../../../storage/interfaces.js';
import { sendError } from './envelope.js';
import { capAnnotations, labelsJSON, successJSON } from './json.js';
import {
  MAX_TIME_MS,
  MIN_TIME_MS,
  ParamError,
  formValues,
  goAtoi,
  invalidParam,
  parseLimitParam,
  parseMatchersParam,
  parseTimeParam,
  unescapeName,
  type FormValues,
} from './params.js';
import { sendFailure, sendJSON } from './query.js';

/** One metric family's metadata as a target exposes it (`# TYPE`, `# HELP`, `# UNIT`). */
export interface MetricMetadata {
  metric: string;
  type: string;
  help: string;
  unit: string;
}

/**
 * Where /api/v1/metadata reads from: the scrape manager's targets. Every entry of every active target,
 * target by target (duplicates across targets allowed; the API removes them). Optionally only `metric`.
 */
export interface MetadataSource {
  listMetadata(metric?: string): Iterable<MetricMetadata>;
}

/** No targets yet: metadata is empty. */
export const NO_METADATA: MetadataSource = { listMetadata: () => [] };

const TRUNCATED = 'results truncated due to limit';

export interface SeriesRoutesDeps {
  queryable(): Queryable | undefined;
  metadata: MetadataSource;
}

interface RangeParams {
  limit: number;
  start: number;
  end: number;
}

function rangeParams(form: FormValues): RangeParams {
  let limit: number;
  try {
    limit = parseLimitParam(form.get('limit'));
  } catch (err) {
    throw invalidParam('limit', err);
  }
  const time = (name: string, dflt: number): number => {
    try {
      return parseTimeParam(form, name, dflt);
    } catch (err) {
      throw invalidParam(name, err);
    }
  };
  const start = time('start', MIN_TIME_MS);
  const end = time('end', MAX_TIME_MS);
  return { limit, start, end };
}

function withQuerier<T>(queryable: Queryable, p: RangeParams, fn: (q: Querier) => T): T {
  const q = queryable.querier(p.start, p.end);
  try {
    return fn(q);
  } finally {
    q.close();
  }
}

function truncate(list: string[], limit: number, warnings: string[]): string[] {
  if (limit > 0 && list.length > limit) {
    warnings.push(TRUNCATED);
    return list.slice(0, limit);
  }
  return list;
}

function union(lists: Iterable<readonly string[]>): string[] {
  const set = new Set<string>();
  for (const l of lists) for (const v of l) set.add(v);
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function stringsAnswer(reply: FastifyReply, list: string[], warnings: string[]): FastifyReply {
  return sendJSON(reply, successJSON(JSON.stringify(list), capAnnotations(warnings, 'warning')));
}

export function registerSeriesRoutes(app: FastifyInstance, deps: SeriesRoutesDeps): void {
  function labelNames(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const queryable = deps.queryable();
    if (queryable === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const form = formValues(req);
      const p = rangeParams(form);
      const sets = parseMatchersParam(form.all('match[]'));
      const names = withQuerier(queryable, p, (q) =>
        sets.length > 1 ? union(sets.map((s) => q.labelNames(s))) : q.labelNames(sets[0]),
      );
      const warnings: string[] = [];
      return stringsAnswer(reply, truncate(names, p.limit, warnings), warnings);
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  function labelValues(req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply): FastifyReply {
    const queryable = deps.queryable();
    if (queryable === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const name = unescapeName(req.params.name);
      if (!isValidLabelName(name)) throw new ParamError(`invalid label name: ${goQuote(name)}`);
      const form = formValues(req);
      const p = rangeParams(form);
      const sets = parseMatchersParam(form.all('match[]'));
      const values = withQuerier(queryable, p, (q) =>
        sets.length > 1
          ? union(sets.map((s) => q.labelValues(name, s)))
          : [...q.labelValues(name, sets[0])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      const warnings: string[] = [];
      return stringsAnswer(reply, truncate(values, p.limit, warnings), warnings);
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  function series(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const queryable = deps.queryable();
    if (queryable === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const form = formValues(req);
      const matches = form.all('match[]');
      if (matches.length === 0) throw new ParamError('no match[] parameter provided');
      const p = rangeParams(form);
      let sets: Matcher[][];
      try {
        sets = parseMatchersParam(matches);
      } catch (err) {
        throw invalidParam('match[]', err);
      }
      const warnings: string[] = [];
      const found = withQuerier(queryable, p, (q) => {
        const hints = { start: p.start, end: p.end, func: 'series' };
        const out: Labels[] = [];
        if (sets.length === 1) {
          const set = q.select(sets[0], hints);
          warnings.push(...set.warnings);
          for (const s of set) out.push(s.labels);
          return out;
        }
        // Several selectors: their series merged, each once, in label order.
        const seen = new Set<string>();
        for (const m of sets) {
          const set = q.select(m, hints);
          warnings.push(...set.warnings);
          for (const s of set) {
            const key = s.labels.pairs.join('\xff');
            if (!seen.has(key)) {
              seen.add(key);
              out.push(s.labels);
            }
          }
        }
        return out.sort(compareLabels);
      });
      let list = found;
      if (p.limit > 0 && list.length > p.limit) {
        list = list.slice(0, p.limit);
        warnings.push(TRUNCATED);
      }
      const data = '[' + list.map(labelsJSON).join(',') + ']';
      return sendJSON(reply, successJSON(data, capAnnotations(warnings, 'warning')));
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  function metadata(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const form = formValues(req);
    const number = (name: string): number => {
      const s = form.get(name);
      if (s === '') return -1;
      try {
        return goAtoi(s);
      } catch {
        throw new ParamError(`${name} must be a number`);
      }
    };
    try {
      const limit = number('limit');
      const limitPerMetric = number('limit_per_metric');
      const metric = form.get('metric');
      const families = new Map<string, Map<string, { type: string; help: string; unit: string }>>();
      for (const md of deps.metadata.listMetadata(metric === '' ? undefined : metric)) {
        if (metric !== '' && md.metric !== metric) continue;
        let entries = families.get(md.metric);
        if (limitPerMetric > 0 && entries !== undefined && entries.size >= limitPerMetric) continue;
        if (entries === undefined) {
          entries = new Map();
          families.set(md.metric, entries);
        }
        entries.set(JSON.stringify([md.type, md.help, md.unit]), {
          type: md.type,
          help: md.help,
          unit: md.unit,
        });
      }
      // Go's map order is random and its JSON sorts keys: the first `limit` names in sorted order.
      const parts: string[] = [];
      for (const name of [...families.keys()].sort()) {
        if (limit >= 0 && parts.length >= limit) break;
        parts.push(`${JSON.stringify(name)}:${JSON.stringify([...families.get(name)!.values()])}`);
      }
      return sendJSON(reply, successJSON(`{${parts.join(',')}}`));
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  for (const method of ['GET', 'POST'] as const) {
    app.route({ method, url: '/api/v1/labels', handler: labelNames });
    app.route({ method, url: '/api/v1/series', handler: series });
  }
  app.get('/api/v1/label/:name/values', labelValues);
  app.get('/api/v1/metadata', metadata);
}
