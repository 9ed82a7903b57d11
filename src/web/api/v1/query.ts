// /api/v1/query, query_range, query_exemplars, format_query and parse_query, as Prometheus's
// web/api/v1/api.go answers them: the same parameters, checks, order of checks and error messages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueryError } from '../../../promql/engine/index.js';
import { parseExpr, parsedQueries, typeOf, type Expr } from '../../../promql/parser/index.js';
import { prettyExpr } from '../../../promql/parser/pretty.js';
import type { Queryable } from '../../../storage/interfaces.js';
import { translateAST } from './ast-json.js';
import { acceptedEncoding } from './body-encoding.js';
import { sendError, type ErrorType } from './envelope.js';
import { successJSON } from './json.js';
import { executeQuery, type QueryJob, type QueryOutcome } from './query-exec.js';
import {
  MAX_TIME_MS,
  MIN_TIME_MS,
  ParamError,
  formValues,
  invalidParam,
  parseDuration,
  parseLimitParam,
  parseTime,
  parseTimeParam,
  type FormValues,
} from './params.js';
import type { QueryLimiter } from './query-limiter.js';
import type { QueryMetrics } from '../../../promql/engine/metrics.js';

/** The engine settings from the --query.* flags. */
export interface QueryEngineSettings {
  /** --query.timeout (ms). */
  timeoutMs: number;
  /** --query.max-samples. */
  maxSamples: number;
  /** --query.lookback-delta (ms). */
  lookbackDeltaMs: number;
  /** --query.max-concurrency. */
  maxConcurrency: number;
  /** Enabled --enable-feature names (experimental PromQL syntax and functions). */
  features: ReadonlySet<string>;
  /** prometheus_engine_* self-metrics; none when absent. */
  metrics?: QueryMetrics;
}

export interface QueryRoutesDeps {
  /** The storage to query; undefined while it opens (answered with 503 unavailable). */
  queryable(): Queryable | undefined;
  engine: QueryEngineSettings;
  limiter: QueryLimiter;
  /** The current time (ms); the default evaluation time of instant queries. */
  now(): number;
  /** Where queries run (the query worker pool); in this thread over queryable() when absent. */
  /** `expr` is the job's query as this handler parsed it (the executor may plan with it). */
  execute?(job: QueryJob, signal: AbortSignal, expr?: Expr): Promise<QueryOutcome>;
}

const MAX_POINTS = 11_000;

export function sendJSON(reply: FastifyReply, body: string): FastifyReply {
  return reply.code(200).header('content-type', 'application/json').send(body);
}

/** Answers an error met while handling a request: bad parameters as bad_data, query errors by type. */
export function sendFailure(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof ParamError) return sendError(reply, 'bad_data', err.message);
  if (err instanceof QueryError) return sendError(reply, err.errorType as ErrorType, err.message);
  throw err;
}

function param<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw invalidParam(name, err);
  }
}

function parseQueryParam(form: FormValues, features: ReadonlySet<string>): Expr {
  return param('query', () => parsedQueries.parse(form.get('query'), features));
}

/** An AbortSignal that fires when the client goes away before the answer is written. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRoutesDeps): void {
  const { engine: settings } = deps;

  /**
   * Evaluates under the concurrency limit (the deadline covers the wait in the queue, as in Prometheus),
   * where deps.execute runs it, and sends the answer.
   */
  async function run(
    reply: FastifyReply,
    form: FormValues,
    timeoutParamMs: number | undefined,
    job: Pick<QueryJob, 'kind' | 'query' | 'time' | 'start' | 'end' | 'step' | 'limit'>,
    queryable: Queryable,
    expr: Expr,
  ): Promise<FastifyReply> {
    const started = Date.now();
    const deadline = started + Math.min(timeoutParamMs ?? Infinity, settings.timeoutMs);
    let lookbackDelta = settings.lookbackDeltaMs;
    const lookback = form.get('lookback_delta');
    if (lookback !== '') {
      try {
        const d = parseDuration(lookback);
        if (d > 0) lookbackDelta = d;
      } catch (err) {
        throw new ParamError(`error parsing lookback delta duration: ${(err as Error).message}`);
      }
    }
    const signal = clientGone(reply);
    const m = settings.metrics;
    const end = m?.begin();
    let release: () => void;
    try {
      release = await deps.limiter.acquire(deadline, signal);
    } catch (err) {
      end?.();
      throw err;
    }
    const queueMs = Date.now() - started;
    m?.observe('queue_time', queueMs / 1000);
    let outcome: QueryOutcome;
    try {
      const full: QueryJob = {
        ...job,
        lookbackDeltaMs: lookbackDelta,
        deadline,
        maxSamples: settings.maxSamples,
        features: [...settings.features],
        stats: form.get('stats'),
        perStepStats: settings.features.has('promql-per-step-stats'),
        queueMs,
      };
      const encoding = acceptedEncoding(reply.request.headers);
      if (encoding !== undefined) full.encoding = encoding;
      outcome =
        deps.execute !== undefined
          ? await deps.execute(full, signal, expr)
          : await executeQuery(full, queryable, signal);
    } finally {
      release();
      end?.();
    }
    if (!outcome.ok) return sendError(reply, outcome.errorType as ErrorType, outcome.message);
    if (m !== undefined) {
      const t = outcome.timings;
      m.observe('prepare_time', t.prepareMs / 1000);
      m.observe('inner_eval', t.evalMs / 1000);
      m.observe('result_sort', t.sortMs / 1000);
      m.samplesLoaded(t.samplesLoaded);
    }
    reply.code(200).header('content-type', 'application/json');
    // compressed by the worker (see body-encoding.ts); @fastify/compress leaves an encoded body alone
    if (outcome.encoding !== undefined)
      reply.header('content-encoding', outcome.encoding).header('vary', 'accept-encoding');
    return reply.send(Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.byteLength));
  }

  async function instantQuery(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const queryable = deps.queryable();
    if (queryable === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const form = formValues(req);
      const limit = param('limit', () => parseLimitParam(form.get('limit')));
      const time = param('time', () => parseTimeParam(form, 'time', deps.now()));
      const timeout = form.get('timeout');
      const timeoutMs = timeout === '' ? undefined : param('timeout', () => parseDuration(timeout));
      if (form.get('lookback_delta') !== '') checkLookback(form);
      const query = form.get('query');
      const expr = parseQueryParam(form, settings.features); // a bad query is a 400 at once, not after the queue
      return await run(
        reply,
        form,
        timeoutMs,
        { kind: 'instant', query, time, start: time, end: time, step: 1, limit },
        queryable,
        expr,
      );
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  async function rangeQuery(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const queryable = deps.queryable();
    if (queryable === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const form = formValues(req);
      const limit = param('limit', () => parseLimitParam(form.get('limit')));
      const start = param('start', () => parseTime(form.get('start')));
      const end = param('end', () => parseTime(form.get('end')));
      if (end < start) throw invalidParam('end', new Error('end timestamp must not be before start time'));
      const step = param('step', () => parseDuration(form.get('step')));
      if (!(step > 0)) {
        throw invalidParam(
          'step',
          new Error('zero or negative query resolution step widths are not accepted. Try a positive integer'),
        );
      }
      // For safety, Prometheus limits the points per series (60s resolution for a week, 1h for a year).
      if (Math.trunc((end - start) / step) > MAX_POINTS) {
        throw new ParamError(
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        );
      }
      const timeout = form.get('timeout');
      const timeoutMs = timeout === '' ? undefined : param('timeout', () => parseDuration(timeout));
      if (form.get('lookback_delta') !== '') checkLookback(form);
      const expr = parseQueryParam(form, settings.features);
      const type = typeOf(expr);
      if (type !== 'scalar' && type !== 'vector') {
        throw invalidParam(
          'query',
          new Error(
            `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`,
          ),
        );
      }
      // The engine steps in whole milliseconds, as Prometheus's durationMilliseconds.
      const stepMs = Math.max(1, Math.trunc(step));
      return await run(
        reply,
        form,
        timeoutMs,
        { kind: 'range', query: form.get('query'), time: start, start, end, step: stepMs, limit },
        queryable,
        expr,
      );
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  async function queryExemplars(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (deps.queryable() === undefined) return sendError(reply, 'unavailable', 'TSDB not ready');
    try {
      const form = formValues(req);
      const start = param('start', () => parseTimeParam(form, 'start', MIN_TIME_MS));
      const end = param('end', () => parseTimeParam(form, 'end', MAX_TIME_MS));
      if (end < start) throw new ParamError('end timestamp must not be before start timestamp');
      let expr: Expr;
      try {
        expr = parseExpr(form.get('query'), { features: settings.features });
      } catch (err) {
        throw new ParamError((err as Error).message);
      }
      // No selector, no answer: Prometheus replies 204 No Content.
      if (!hasSelector(expr)) return reply.code(204).send();
      // Exemplar storage is not there yet: Prometheus with it disabled (max exemplars 0) answers [].
      return sendJSON(reply, successJSON('[]'));
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  function formatQuery(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    try {
      const expr = parseQueryParam(formValues(req), settings.features);
      return sendJSON(reply, successJSON(JSON.stringify(prettyExpr(expr))));
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  function parseQuery(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    try {
      const expr = parseQueryParam(formValues(req), settings.features);
      return sendJSON(reply, successJSON(JSON.stringify(translateAST(expr))));
    } catch (err) {
      return sendFailure(reply, err);
    }
  }

  for (const method of ['GET', 'POST'] as const) {
    app.route({ method, url: '/api/v1/query', handler: instantQuery });
    app.route({ method, url: '/api/v1/query_range', handler: rangeQuery });
    app.route({ method, url: '/api/v1/query_exemplars', handler: queryExemplars });
    app.route({ method, url: '/api/v1/format_query', handler: formatQuery });
    app.route({ method, url: '/api/v1/parse_query', handler: parseQuery });
  }
}

function checkLookback(form: FormValues): void {
  try {
    parseDuration(form.get('lookback_delta'));
  } catch (err) {
    throw new ParamError(`error parsing lookback delta duration: ${(err as Error).message}`);
  }
}

function hasSelector(e: Expr | undefined): boolean {
  if (e === undefined) return false;
  switch (e.type) {
    case 'VectorSelector':
    case 'MatrixSelector':
      return true;
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'DurationExpr':
      return false;
    case 'Call':
      return e.args.some(hasSelector);
    case 'AggregateExpr':
      return hasSelector(e.expr) || hasSelector(e.param);
    case 'BinaryExpr':
      return hasSelector(e.lhs) || hasSelector(e.rhs);
    case 'UnaryExpr':
    case 'ParenExpr':
    case 'SubqueryExpr':
      return hasSelector(e.expr);
  }
}
