// Evaluating one /api/v1/query or query_range request and writing its answer, where the evaluation
// runs: in a query worker (the server), or in the calling thread (tests and tools). The request comes
// in already checked, as plain data; the answer leaves as JSON bytes ready to send (Go's HTML escaping
// done here, so the thread serving HTTP need not touch the body), or as an error to report.
import type { FloatHistogram } from '../../../model/histogram.js';
import { Engine, QueryError, type QueryResult, type QueryValue } from '../../../promql/engine/index.js';
import { parsedQueries, type Expr } from '../../../promql/parser/index.js';
import { RemoteReadQueryable, type RemoteReadSpec } from '../../../remote/read-queryable.js';
import type { Queryable, SelectRequest } from '../../../storage/interfaces.js';
import { capAnnotations, htmlSafeJson, timestampJSON } from './json.js';
import { JsonBytes, writeQueryValue } from './json-bytes.js';
import { compressBody, type BodyEncoding } from './body-encoding.js';

/** One query, as the HTTP layer checked it. Times in ms. */
export interface QueryJob {
  kind: 'instant' | 'range';
  query: string;
  /** The evaluation time (instant) or the range and step (range). */
  time: number;
  start: number;
  end: number;
  step: number;
  /** `limit` (0: none). */
  limit: number;
  lookbackDeltaMs: number;
  /** When the query must be done (ms since the epoch): --query.timeout or the request's, queue included. */
  deadline: number;
  maxSamples: number;
  features: string[];
  /** The `stats` parameter ('' when absent), and whether per-step statistics are on. */
  stats: string;
  perStepStats: boolean;
  /** Time spent waiting for a slot, for `stats`. */
  queueMs: number;
  /**
   * 'samples' answers an instant query's result as data (rules and templates read it) instead of the
   * JSON body: a vector, or a scalar as one sample without labels; other types fail.
   */
  answer?: 'json' | 'samples';
  /** remote_read endpoints merged into the query, and the local storage's oldest timestamp (ms). */
  remoteRead?: { specs: RemoteReadSpec[]; localStartMs: number };
  /**
   * The Content-Encoding the client accepts (see acceptedEncoding): the answer is compressed where it
   * is written, in the query worker, not on the thread serving HTTP. Absent: sent as it is.
   */
  encoding?: BodyEncoding;
}

/** An instant query's result as data: flat label pairs and values, one entry per sample. */
export interface QuerySamples {
  pairs: string[][];
  values: number[];
  /** Native histogram samples, aligned with values (whose entry is then 0); absent when none. */
  histograms?: Array<FloatHistogram | undefined>;
}

export interface QueryTimings {
  samplesLoaded: number;
  prepareMs: number;
  evalMs: number;
  sortMs: number;
}

export type QueryOutcome =
  | {
      ok: true;
      /** The answer, compressed with `encoding` when the job asked for one. */
      body: Uint8Array;
      encoding?: BodyEncoding;
      timings: QueryTimings;
      samples?: QuerySamples;
    }
  | { ok: false; errorType: string; message: string };

const TRUNCATED = 'results truncated due to limit';

/** Evaluates the job over `queryable` and writes the answer; never throws for a query's own failure. */
export async function executeQuery(
  job: QueryJob,
  queryable: Queryable,
  signal?: AbortSignal,
): Promise<QueryOutcome> {
  const evalStart = Date.now();
  if (job.remoteRead !== undefined && job.remoteRead.specs.length > 0)
    queryable = new RemoteReadQueryable(queryable, job.remoteRead.specs, job.remoteRead.localStartMs);
  try {
    const features = new Set(job.features);
    const expr = parsedQueries.parse(job.query, features);
    const engine = engineFor(job, features, evalStart);
    const result =
      job.kind === 'instant'
        ? await engine.instantQuery(queryable, expr, job.time, signal)
        : await engine.rangeQuery(queryable, expr, job.start, job.end, job.step, signal);
    let body: Uint8Array;
    let samples: QuerySamples | undefined;
    let encoding: BodyEncoding | undefined;
    if (job.answer === 'samples') {
      body = new Uint8Array(0);
      samples = asSamples(result.value);
    } else {
      body = answer(job, result, Date.now() - evalStart);
      if (job.encoding !== undefined) {
        body = compressBody(body, job.encoding);
        encoding = job.encoding;
      }
    }
    const s = result.stats;
    return {
      ok: true,
      body,
      ...(encoding === undefined ? {} : { encoding }),
      ...(samples === undefined ? {} : { samples }),
      timings: {
        samplesLoaded: s?.samplesLoaded ?? 0,
        prepareMs: s?.prepareMs ?? 0,
        evalMs: s?.evalMs ?? 0,
        sortMs: s?.sortMs ?? 0,
      },
    };
  } catch (err) {
    if (err instanceof QueryError) return { ok: false, errorType: err.errorType, message: err.message };
    return { ok: false, errorType: 'execution', message: err instanceof Error ? err.message : String(err) };
  }
}

function engineFor(job: QueryJob, features: ReadonlySet<string>, now: number): Engine {
  return new Engine({
    lookbackDelta: job.lookbackDeltaMs,
    timeout: Math.max(0, job.deadline - now),
    maxSamples: job.maxSamples,
    features,
  });
}

/**
 * The selects executeQuery will announce to its queryable for this job (`expr`: the job's query,
 * when the caller has it parsed already), so that the storage they need can travel with the job.
 */
export function plannedSelects(job: QueryJob, expr?: Expr): SelectRequest[] {
  const features = new Set(job.features);
  const e = expr ?? parsedQueries.parse(job.query, features);
  const engine = engineFor(job, features, Date.now());
  return job.kind === 'instant'
    ? engine.plannedSelects(e, job.time, job.time, 0)
    : engine.plannedSelects(e, job.start, job.end, job.step);
}

/**
 * Prometheus's EngineQueryFunc: a vector as it is (native histograms included: recording rules
 * store them, alerting rules see their value as 0, as Prometheus's), a scalar as one sample,
 * anything else an error.
 */
function asSamples(value: QueryValue): QuerySamples {
  if (value.type === 'vector') {
    const out: QuerySamples = {
      pairs: value.samples.map((s) => [...s.labels.pairs]),
      values: value.samples.map((s) => (s.h === undefined ? s.v : 0)),
    };
    if (value.samples.some((s) => s.h !== undefined)) out.histograms = value.samples.map((s) => s.h);
    return out;
  }
  if (value.type === 'scalar') return { pairs: [[]], values: [value.v] };
  throw new Error('rule result is not a vector or scalar');
}

function answer(job: QueryJob, result: QueryResult, evalMs: number): Uint8Array {
  const warnings = [...result.warnings];
  let value: QueryValue = result.value;
  if (job.limit > 0) {
    if (value.type === 'vector' && value.samples.length > job.limit) {
      value = { type: 'vector', samples: value.samples.slice(0, job.limit) };
      warnings.push(TRUNCATED);
    } else if (value.type === 'matrix' && value.series.length > job.limit) {
      value = { type: 'matrix', series: value.series.slice(0, job.limit) };
      warnings.push(TRUNCATED);
    }
  }
  // the success envelope (see successJSON), written as bytes
  const w = new JsonBytes();
  w.ascii('{"status":"success","data":{');
  writeQueryValue(w, value);
  // Per-step counts need both stats=all and --enable-feature=promql-per-step-stats, as in Prometheus.
  if (job.stats !== '') w.ascii(',"stats":' + statsJSON(job, result, evalMs));
  w.ascii('}');
  for (const [key, list] of [
    ['warnings', capAnnotations(warnings, 'warning')],
    ['infos', capAnnotations(result.infos, 'info')],
  ] as const) {
    if (list.length > 0) w.text(`,"${key}":` + htmlSafeJson(JSON.stringify(list)));
  }
  w.ascii('}');
  return w.bytes();
}

/**
 * stats.NewQueryStats in Prometheus's shape: queue wait, preparation (selecting series), inner
 * evaluation and result sorting; the engine counts samples loaded, reported as totalQueryableSamples
 * and as the peak.
 */
function statsJSON(job: QueryJob, result: QueryResult, evalMs: number): string {
  const s = result.stats;
  const loaded = s?.samplesLoaded ?? 0;
  const timings = {
    evalTotalTime: evalMs / 1000,
    resultSortTime: (s?.sortMs ?? 0) / 1000,
    queryPreparationTime: (s?.prepareMs ?? 0) / 1000,
    innerEvalTime: (s?.evalMs ?? evalMs) / 1000,
    execQueueTime: job.queueMs / 1000,
    execTotalTime: (job.queueMs + evalMs) / 1000,
  };
  let samples = '{';
  // Per-step counts exist only for single-step (instant) queries: the engine does not count per step.
  if (job.stats === 'all' && job.perStepStats && (job.kind === 'instant' || job.start === job.end)) {
    samples += `"totalQueryableSamplesPerStep":[[${timestampJSON(job.kind === 'instant' ? job.time : job.start)},${loaded}]],`;
  }
  samples += `"totalQueryableSamples":${loaded},"peakSamples":${loaded}}`;
  return `{"timings":${JSON.stringify(timings)},"samples":${samples}}`;
}
