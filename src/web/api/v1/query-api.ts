// The read side of /api/v1 in one encapsulated plugin: urlencoded POST bodies parsed (bounded as Go's
// ParseForm bounds them, 10 MB), queries, series, labels and metadata.
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../../../storage/interfaces.js';
import type { Expr } from '../../../promql/parser/index.js';
import { registerQueryRoutes, type QueryEngineSettings } from './query.js';
import { QueryLimiter } from './query-limiter.js';
import type { QueryJob, QueryOutcome } from './query-exec.js';
import { NO_METADATA, registerSeriesRoutes, type MetadataSource } from './series.js';

export interface QueryApiOptions {
  queryable?(): Queryable | undefined;
  queryEngine?: QueryEngineSettings;
  metadata?: MetadataSource;
  /** Where queries run (the query worker pool); in the calling thread when absent. */
  executeQuery?(job: QueryJob, signal: AbortSignal, expr?: Expr): Promise<QueryOutcome>;
}

/** Prometheus's defaults for the --query.* flags. */
export const DEFAULT_QUERY_ENGINE: QueryEngineSettings = {
  timeoutMs: 120_000,
  maxSamples: 50_000_000,
  lookbackDeltaMs: 300_000,
  maxConcurrency: 20,
  features: new Set(),
};

const MAX_FORM_BYTES = 10 * 1024 * 1024;

export function registerQueryApi(app: FastifyInstance, opts: QueryApiOptions): void {
  const engine = opts.queryEngine ?? DEFAULT_QUERY_ENGINE;
  const queryable = opts.queryable ?? (() => undefined);
  const limiter = new QueryLimiter(engine.maxConcurrency);
  engine.metrics?.bindQueue(() => limiter.waiting);
  app.register(async (api) => {
    api.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (_req, body, done) => done(null, new URLSearchParams(body as string)),
    );
    // Go's r.FormValue ignores bodies of other types; so do these endpoints.
    api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_FORM_BYTES }, (_req, _body, done) =>
      done(null, undefined),
    );
    registerQueryRoutes(api, {
      queryable,
      engine,
      limiter,
      now: () => Date.now(),
      execute: opts.executeQuery,
    });
    registerSeriesRoutes(api, { queryable, metadata: opts.metadata ?? NO_METADATA });
  });
}
