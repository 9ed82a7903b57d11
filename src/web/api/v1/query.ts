// /api/v1/query, query_range, query_exemplars, format_query and parse_query, as Prometheus's
// web/api/v1/api.go answers them: the same parameters, checks, order of checks and error messages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Engine, QueryError, type QueryResult, type QueryValue } from '../../../promql/engine/index.js';
import { parseExpr, typeOf, type Expr } from '../../../promql/parser/index.js';
import { prettyExpr } from '../../../promql/parser/pretty.js';
import type { Queryable } from '../../../storage/interfaces.js';
import { translateAST } from './ast-json.js';
import { sendError, type ErrorType } from './envelope.js';
import { capAnnotations, queryValueJSON, successJSON, timestampJSON } from './json.js';
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
}

const MAX_POINTS = 11_000;
const TRUNCATED = 'results truncated due to limit';

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
  return param('query', () => parseExpr(form.get('query'), { features }));
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

  /** Evaluates under the concurrency limit; the deadline covers the wait in the queue, as in Prometheus. */
  async function run(
    reply: FastifyReply,
    form: FormValues,
    timeoutParamMs: number | undefined,
    evaluate: (engine: Engine, signal: AbortSignal) => Promise<QueryResult>,
  ): Promise<{ result: QueryResult; queueMs: number; evalMs: number }> {
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
    const end = settings.metrics?.begin();
    let release: () => void;
    try {
      release = await deps.limiter.acquire(deadline, signal);
    } catch (err) {
      end?.();
      throw err;
    }
    const evalStart = Date.now();
    settings.metrics?.observe('queue_time', (evalStart - started) / 1000);
    try {
      const engine = new Engine({
        lookbackDelta,
        timeout: Math.max(0, deadline - evalStart),
        maxSamples: settings.maxSamples,
        features: settings.features,
      });
      const result = await evaluate(engine, signal);
      const m = settings.metrics;
      if (m !== undefined && result.stats !== undefined) {
        m.observe('prepare_time', result.stats.prepareMs / 1000);
        m.observe('inner_eval', result.stats.evalMs / 1000);
        m.observe('result_sort', result.stats.sortMs / 1000);
        m.samplesLoaded(result.stats.samplesLoaded);
      }
      return { result, queueMs: evalStart - started, evalMs: Date.now() - evalStart };
    } finally {
      release();
      end?.();
    }
  }

  function answer(
    reply: FastifyReply,
    form: FormValues,
    limit: number,
    run: { result: QueryResult; queueMs: number; evalMs: number },
    steps: { start: number; end: number; step: number },
  ): FastifyReply {
    const { result } = run;
    const warnings = [...result.warnings];
    let value: QueryValue = result.value;
    if (limit > 0) {
      if (value.type === 'vector' && value.samples.length > limit) {
        value = { type: 'vector', samples: value.samples.slice(0, limit) };
        warnings.push(TRUNCATED);
      } else if (value.type === 'matrix' && value.series.length > limit) {
        value = { type: 'matrix', series: value.series.slice(0, limit) };
        warnings.push(TRUNCATED);
      }
    }
    let data = '{' + queryValueJSON(value);
    const statsParam = form.get('stats');
    // Per-step counts need both stats=all and --enable-feature=promql-per-step-stats, as in Prometheus.
    const perStep = statsParam === 'all' && settings.features.has('promql-per-step-stats');
    if (statsParam !== '') data += ',"stats":' + statsJSON(run, perStep, steps);
    data += '}';
    return sendJSON(
      reply,
      successJSON(data, capAnnotations(warnings, 'warning'), capAnnotations(result.infos, 'info')),
    );
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
      const expr = parseQueryParam(form, settings.features);
      const ran = await run(reply, form, timeoutMs, (engine, signal) =>
        engine.instantQuery(queryable, expr, time, signal),
      );
      return answer(reply, form, limit, ran, { start: time, end: time, step: 1 });
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
      const ran = await run(reply, form, timeoutMs, (engine, signal) =>
        engine.rangeQuery(queryable, expr, start, end, stepMs, signal),
      );
      return answer(reply, form, limit, ran, { start, end, step: stepMs });
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

/**
 * stats.NewQueryStats in Prometheus's shape. Timings are what Promethium measures (queue wait and
 * evaluation); the engine counts samples loaded, reported as totalQueryableSamples and as the peak.
 */
function statsJSON(
  run: { result: QueryResult; queueMs: number; evalMs: number },
  perStep: boolean,
  steps: { start: number; end: number; step: number },
): string {
  const loaded = run.result.stats?.samplesLoaded ?? 0;
  const evalS = run.evalMs / 1000;
  const timings = {
    evalTotalTime: evalS,
    resultSortTime: 0,
    queryPreparationTime: 0,
    innerEvalTime: evalS,
    execQueueTime: run.queueMs / 1000,
    execTotalTime: (run.queueMs + run.evalMs) / 1000,
  };
  let samples = '{';
  // Per-step counts exist only for single-step (instant) queries: the engine does not count per step.
  if (perStep && steps.start === steps.end) {
    samples += `"totalQueryableSamplesPerStep":[[${timestampJSON(steps.start)},${loaded}]],`;
  }
  samples += `"totalQueryableSamples":${loaded},"peakSamples":${loaded}}`;
  return `{"timings":${JSON.stringify(timings)},"samples":${samples}}`;
}
