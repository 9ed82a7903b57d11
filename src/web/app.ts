// The fastify application: lifecycle, self-metrics and the API under --web.route-prefix.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.js';
import { compileAnchored } from '../model/regex.js';
import { registerLifecycleRoutes, type Lifecycle } from './lifecycle.js';
import { registerStatusRoutes, type StatusSource } from './api/v1/status.js';
import { registerCors } from './cors.js';
import { sendError } from './api/v1/envelope.js';
import { registerQueryApi } from './api/v1/query-api.js';
import type { QueryEngineSettings } from './api/v1/query.js';
import type { MetadataSource } from './api/v1/series.js';
import type { Queryable } from '../storage/interfaces.js';

export interface WebOptions {
  /** "/" or "/prefix" without a trailing slash. */
  routePrefix: string;
  enableLifecycle: boolean;
  corsOrigin: string;
  readTimeoutMs: number;
  maxConnections: number;
  logger: Logger;
  lifecycle: Lifecycle;
  status: StatusSource;
  /** The self-metrics in the Prometheus text format. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The storage the query API reads; undefined while it opens (the query API answers 503). */
  queryable?(): Queryable | undefined;
  /** PromQL engine settings from the --query.* flags and --enable-feature; Prometheus's defaults when absent. */
  queryEngine?: QueryEngineSettings;
  /** Metric metadata of the scraped targets for /api/v1/metadata; empty when absent. */
  metadata?: MetadataSource;
}

export function createWebApp(opts: WebOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    requestTimeout: opts.readTimeoutMs,
    connectionTimeout: opts.readTimeoutMs,
    bodyLimit: 16 * 1024 * 1024,
    // Fastify's own routing should match Prometheus's: "/api/v1/x/" is not "/api/v1/x".
    routerOptions: { ignoreTrailingSlash: false },
  });
  if (opts.maxConnections > 0) app.server.maxConnections = opts.maxConnections;
  const prefix = opts.routePrefix === '/' ? '' : opts.routePrefix;
  const log = opts.logger;

  registerCors(app, compileAnchored(opts.corsOrigin), `${prefix}/api/`);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error('HTTP handler failed', { path: req.url, err: err.message });
    if (req.url.startsWith(`${prefix}/api/`)) {
      return sendError(reply, status >= 500 ? 'internal' : 'bad_data', err.message);
    }
    return reply.code(status).type('text/plain; charset=utf-8').send(err.message);
  });

  app.register(
    async (scoped) => {
      registerLifecycleRoutes(scoped, opts.lifecycle, opts.enableLifecycle);
      registerStatusRoutes(scoped, opts.status);
      registerQueryApi(scoped, opts);
      scoped.get('/metrics', async (_req, reply) => {
        const { contentType, body } = await opts.metrics();
        return reply.type(contentType).send(body);
      });
      scoped.get('/', (_req, reply) =>
        reply
          .type('text/plain; charset=utf-8')
          .send(
            `Promethium ${opts.status.buildInfo.version}\n\n` +
              `The web UI and the query API are not available yet. Available now:\n` +
              [
                '/-/healthy',
                '/-/ready',
                '/metrics',
                '/api/v1/status/buildinfo',
                '/api/v1/status/flags',
                '/api/v1/status/config',
                '/api/v1/status/runtimeinfo',
              ]
                .map((p) => `  ${prefix}${p}\n`)
                .join(''),
          ),
      );
    },
    { prefix },
  );
  if (prefix !== '') {
    // As Prometheus: the bare root redirects to the route prefix.
    app.get('/', (_req, reply) => reply.redirect(`${prefix}/`));
  }
  return app;
}
