// The query engine: instant and range queries over a Queryable, with Prometheus's limits.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Expr } from '../parser/ast.js';
import { typeOf } from '../parser/types.js';
import type { Queryable, SelectRequest } from '../../storage/interfaces.js';
import { compareLabels } from '../../storage/interfaces.js';
import { Labels } from '../../model/labels.js';
import { FUNCTION_IMPLS } from './functions/index.js';
import type { FunctionImpl } from './functions/types.js';
import { ERR_TOO_MANY_POINTS, QueryError } from './errors.js';
import { Evaluator } from './evaluator.js';
import { labelsKey } from './labels-util.js';
import type { EngineOptions, QueryResult, QueryValue, SeriesPoints } from './types.js';

const MAX_POINTS_PER_SERIES = 11_000;
const EMPTY_FEATURES: ReadonlySet<string> = new Set();

/** The queryable of an evaluator that only plans (plannedSelects): it never reads. */
const NO_STORAGE: Queryable = {
  querier() {
    throw new Error('a planning evaluator reads no storage');
  },
};

export class Engine {
  private readonly functions: Readonly<Record<string, FunctionImpl>>;

  constructor(
    private readonly opts: EngineOptions,
    /** @internal override of the function table (tests). */
    functions?: Readonly<Record<string, FunctionImpl>>,
  ) {
    this.functions = functions ?? FUNCTION_IMPLS;
  }

  private evaluator(q: Queryable, start: number, end: number, step: number, signal?: AbortSignal): Evaluator {
    return new Evaluator({
      queryable: q,
      start,
      end,
      step,
      lookbackDelta: this.opts.lookbackDelta,
      maxSamples: this.opts.maxSamples,
      deadline: Date.now() + this.opts.timeout,
      signal,
      features: this.opts.features ?? EMPTY_FEATURES,
      defaultEvaluationInterval: this.opts.defaultEvaluationInterval ?? 60_000,
      functions: this.functions,
    });
  }

  /**
   * The selects an instant (step 0) or range evaluation of `expr` will announce to Queryable.prepare,
   * without evaluating: so the storage can be fetched ahead, together with the query.
   */
  plannedSelects(expr: Expr, startMs: number, endMs: number, stepMs: number): SelectRequest[] {
    return this.evaluator(NO_STORAGE, startMs, endMs, stepMs).selects(expr);
  }

  async instantQuery(q: Queryable, expr: Expr, timeMs: number, signal?: AbortSignal): Promise<QueryResult> {
    const ev = this.evaluator(q, timeMs, timeMs, 0, signal);
    const timer = new PhaseTimer();
    try {
      await ev.checkpoint();
      await ev.prepare(expr);
      timer.lap('prepare');
      ev.beginStep(0);
      const v = ev.eval(expr, timeMs);
      let value: QueryValue;
      switch (v.kind) {
        case 'scalar':
          value = { type: 'scalar', t: timeMs, v: v.v };
          break;
        case 'string':
          value = { type: 'string', t: timeMs, v: v.v };
          break;
        case 'vector':
          value = {
            type: 'vector',
            samples: ev
              .finishVector(v.v)
              .map((s) =>
                s.h === undefined
                  ? { labels: s.labels, t: timeMs, v: s.v }
                  : { labels: s.labels, t: timeMs, v: 0, h: s.h },
              ),
          };
          break;
        case 'matrix': {
          const series: SeriesPoints[] = v.v.map((s) => {
            const p: SeriesPoints = {
              labels: s.labels,
              t: s.t.slice(s.from, s.to),
              v: s.v.slice(s.from, s.to),
            };
            if (s.h !== undefined) p.h = s.h.slice(s.from, s.to);
            return p;
          });
          timer.lap('eval');
          series.sort((a, b) => compareLabels(a.labels, b.labels));
          value = { type: 'matrix', series };
          break;
        }
      }
      timer.lap(value.type === 'matrix' ? 'sort' : 'eval');
      return result(value, ev, timer);
    } catch (err) {
      throw wrap(err);
    } finally {
      ev.close();
    }
  }

  async rangeQuery(
    q: Queryable,
    expr: Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    signal?: AbortSignal,
  ): Promise<QueryResult> {
    if (!(stepMs > 0)) {
      throw new QueryError(
        'bad_data',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    if (endMs < startMs) throw new QueryError('bad_data', 'end timestamp must not be before start time');
    if (Math.floor((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES)
      throw new QueryError('bad_data', ERR_TOO_MANY_POINTS);
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector') {
      const name = type === 'matrix' ? 'range vector' : type;
      throw new QueryError(
        'bad_data',
        `invalid expression type "${name}" for range query, must be Scalar or instant Vector`,
      );
    }
    const ev = this.evaluator(q, startMs, endMs, stepMs, signal);
    const timer = new PhaseTimer();
    try {
      await ev.prepare(expr);
      timer.lap('prepare');
      type Acc = { labels: Labels; t: number[]; v: number[]; h?: Array<FloatHistogram | undefined> };
      const series = new Map<string, Acc>();
      // most steps return the same label objects as the step before: look them up by identity first
      const byObject = new Map<Labels, Acc>();
      let held = 0;
      for (let t = startMs; t <= endMs; t += stepMs) {
        await ev.checkpoint();
        ev.beginStep(held);
        const v = ev.eval(expr, t);
        let samples: { labels: Labels; v: number; h?: FloatHistogram }[];
        if (v.kind === 'scalar') samples = [{ labels: Labels.EMPTY, v: v.v }];
        else if (v.kind === 'vector') samples = ev.finishVector(v.v);
        else throw new QueryError('internal', `unexpected ${v.kind} result in range query`);
        for (const s of samples) {
          let ss = byObject.get(s.labels);
          if (ss === undefined) {
            const key = labelsKey(s.labels);
            ss = series.get(key);
            if (ss === undefined) {
              ss = { labels: s.labels, t: [], v: [] };
              series.set(key, ss);
            }
            byObject.set(s.labels, ss);
          }
          if (s.h !== undefined) {
            // histogram points: aligned with the float ones (undefined where a point is a float)
            ss.h ??= new Array<FloatHistogram | undefined>(ss.t.length);
            ss.h[ss.t.length] = s.h;
          } else if (ss.h !== undefined) ss.h[ss.t.length] = undefined;
          ss.t.push(t);
          ss.v.push(s.v);
        }
        held += samples.length;
      }
      const out: SeriesPoints[] = [...series.values()].map((s) => {
        const p: SeriesPoints = { labels: s.labels, t: Float64Array.from(s.t), v: Float64Array.from(s.v) };
        if (s.h !== undefined) p.h = Array.from({ length: s.t.length }, (_, i) => s.h![i]);
        return p;
      });
      timer.lap('eval');
      out.sort((a, b) => compareLabels(a.labels, b.labels));
      timer.lap('sort');
      return result({ type: 'matrix', series: out }, ev, timer);
    } catch (err) {
      throw wrap(err);
    } finally {
      ev.close();
    }
  }
}

/** Where a query's time went, as Prometheus's engine slices it: selecting series, evaluating, sorting. */
class PhaseTimer {
  readonly ms = { prepare: 0, eval: 0, sort: 0 };
  private last = performance.now();

  lap(phase: 'prepare' | 'eval' | 'sort'): void {
    const now = performance.now();
    this.ms[phase] += now - this.last;
    this.last = now;
  }
}

function result(value: QueryValue, ev: Evaluator, timer: PhaseTimer): QueryResult {
  return {
    value,
    warnings: [...ev.warnings],
    infos: [...ev.infos],
    stats: {
      samplesLoaded: ev.samplesLoaded,
      prepareMs: timer.ms.prepare,
      evalMs: timer.ms.eval,
      sortMs: timer.ms.sort,
    },
  };
}

function wrap(err: unknown): Error {
  if (err instanceof QueryError) return err;
  if (err instanceof Error) {
    // a regex or storage error met while selecting: an execution error for the API
    return new QueryError('execution', err.message);
  }
  return new QueryError('internal', String(err));
}
