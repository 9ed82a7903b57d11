// The fastify application: lifecycle, self-metrics and the API under --web.route-prefix.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { decodeGoBytes } from '../model/gobytes.js';
import { goQuote } from '../model/goquote.js';
import type { Logger } from '../log/logger.js';
import { compileAnchored } from '../model/regex.js';
import { registerLifecycleRoutes, type Lifecycle } from './lifecycle.js';
import { registerStatusRoutes, type StatusSource } from './api/v1/status.js';
import { registerCors } from './cors.js';
import { sendError } from './api/v1/envelope.js';
import compress from '@fastify/compress';
import { registerAdminRoutes, type AdminOptions } from './api/v1/admin.js';
import { registerWALReplayRoute, type WALReplayStatus } from './api/v1/walreplay.js';
import { registerTargetsRoutes, unscrapedTargets, type TargetsSource } from './api/v1/targets.js';
import { NO_RULES, registerRulesRoutes, type RulesSource } from './api/v1/rules.js';
import { registerRemoteRoutes, type RemoteReadOptions, type RemoteWriteOptions } from './api/v1/remote.js';
import {
  NO_ALERTMANAGERS,
  registerAlertmanagersRoute,
  type AlertmanagersSource,
} from './api/v1/alertmanagers.js';
import { registerFederationRoute, type FederationSource } from './federate.js';
import type { WebConfigRuntime } from './web-config-runtime.js';
import { registerQueryApi } from './api/v1/query-api.js';
import type { QueryEngineSettings } from './api/v1/query.js';
import type { MetadataSource } from './api/v1/series.js';
import type { Queryable } from '../storage/interfaces.js';
import { defaultUiDir, registerUi } from './ui.js';
import fastifyStatic from '@fastify/static';
import type { Registry } from 'prom-client';
import { instrumentHttp } from './metrics.js';
import { htmlSafeJson } from './api/v1/json.js';
import type { QueryJob, QueryOutcome } from './api/v1/query-exec.js';
import type { Expr } from '../promql/parser/index.js';

/** The API routes an agent does not serve (Prometheus's wrapAgent list). */
const AGENT_UNAVAILABLE = [
  '/api/v1/query',
  '/api/v1/query_range',
  '/api/v1/query_exemplars',
  '/api/v1/format_query',
  '/api/v1/parse_query',
  '/api/v1/labels',
  '/api/v1/label/:name/values',
  '/api/v1/series',
  '/api/v1/alertmanagers',
  '/api/v1/status/tsdb',
  '/api/v1/status/tsdb/blocks',
  '/api/v1/alerts',
  '/api/v1/rules',
  '/api/v1/admin/tsdb/delete_series',
  '/api/v1/admin/tsdb/clean_tombstones',
  '/api/v1/admin/tsdb/snapshot',
];

export interface WebOptions {
  /** "/" or "/prefix" without a trailing slash. */
  routePrefix: string;
  /** --agent: the query, metadata, rules and TSDB endpoints answer "unavailable with Prometheus Agent". */
  agent?: boolean;
  enableLifecycle: boolean;
  corsOrigin: string;
  readTimeoutMs: number;
  maxConnections: number;
  logger: Logger;
  lifecycle: Lifecycle;
  status: StatusSource;
  /** The self-metrics in the Prometheus text format. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** /api/v1/admin/tsdb/*; refused as "admin APIs disabled" when absent or not enabled. */
  admin?: AdminOptions;
  /** /api/v1/status/walreplay; {0,0,0} when absent. */
  walReplay?: () => WALReplayStatus;
  /** /federate; 503 when absent. */
  federation?: FederationSource;
  /** /api/v1/targets, scrape_pools, targets/metadata; no targets and no pools when absent. */
  targets?: TargetsSource;
  /** /api/v1/rules and /api/v1/alerts; no groups when absent. */
  rules?: RulesSource;
  /** /api/v1/alertmanagers; none when absent. */
  alertmanagers?: AlertmanagersSource;
  /** /api/v1/write and /api/v1/read; absent: not served. */
  remote?: { write: RemoteWriteOptions; read: RemoteReadOptions };
  /** --web.config.file: TLS, basic auth, headers and rate limit for every route. */
  webConfig?: WebConfigRuntime;
  /** The storage the query API reads; undefined while it opens (the query API answers 503). */
  queryable?(): Queryable | undefined;
  /** PromQL engine settings from the --query.* flags and --enable-feature; Prometheus's defaults when absent. */
  queryEngine?: QueryEngineSettings;
  /** Metric metadata of the scraped targets for /api/v1/metadata; empty when absent. */
  metadata?: MetadataSource;
  /** The built UI (dist/ui); found beside the program when not given; undefined: the UI is not built. */
  uiDir?: string | undefined;
  /** --web.user-assets: a folder served under /user/, as Prometheus does. */
  userAssetsDir?: string;
  /** Where the prometheus_http_* metrics go; none when absent. */
  registry?: Registry;
  /** Where /api/v1/query and query_range evaluate (the query worker pool); in this thread when absent. */
  executeQuery?(job: QueryJob, signal: AbortSignal, expr?: Expr): Promise<QueryOutcome>;
}

export function createWebApp(opts: WebOptions): FastifyInstance {
  const http = httpServerOptions(opts.readTimeoutMs);
  const prefix = opts.routePrefix === '/' ? '' : opts.routePrefix;
  const tls = opts.webConfig?.fastifyOptions().https;
  const app = Fastify({
    logger: false,
    requestTimeout: opts.readTimeoutMs,
    connectionTimeout: opts.readTimeoutMs,
    bodyLimit: 16 * 1024 * 1024,
    // Fastify's own routing should match Prometheus's: "/api/v1/x/" is not "/api/v1/x".
    routerOptions: { ignoreTrailingSlash: false },
    http,
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply; // the hook's reply has an unresolved generic type
      if (err.code === 'FST_ERR_BAD_URL') return badUrl(req.url, prefix, reply);
      return reply
        .code(err.statusCode ?? 400)
        .type('text/plain; charset=utf-8')
        .send(`${err.message}\n`);
    },
    // With TLS configured, an HTTPS server (its instance keeps the http typing; the API is the same).
    ...(tls !== undefined ? { https: { ...http, ...tls } } : {}),
  });
  // First, so auth and the configured headers apply to every route, 404s and CORS included.
  opts.webConfig?.install(app);
  if (opts.maxConnections > 0) app.server.maxConnections = opts.maxConnections;
  if (opts.registry !== undefined) instrumentHttp(app, opts.registry, prefix);
  const log = opts.logger;

  registerCors(app, compileAnchored(opts.corsOrigin), opts.corsOrigin, `${prefix}/api/`);

  registerMethodNotAllowed(app);
  // Like Go's encoding/json (which Prometheus's API uses): <, > and & are written as \u003c, \u003e,
  // \u0026, so label values and error texts stay inert if a page ever shows the JSON as HTML.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (typeof payload !== 'string') return payload;
    const type = reply.getHeader('content-type');
    return typeof type === 'string' && type.startsWith('application/json') ? htmlSafeJson(payload) : payload;
  });

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
      // The API, /federate and /metrics answer gzip (or deflate) to clients that accept it, as
      // Prometheus's CompressionHandler does; the context keeps compression to these routes.
      await scoped.register(async (api) => {
        await api.register(compress, { global: true, encodings: ['gzip', 'deflate'], threshold: 0 });
        if (opts.agent === true) {
          // as Prometheus's wrapAgent: these need the local storage or the rule manager an agent lacks
          api.addHook('onRequest', async (req, reply) => {
            const route = req.routeOptions.url ?? '';
            if (AGENT_UNAVAILABLE.some((r) => route === prefix + r))
              return sendError(reply, 'execution', 'unavailable with Prometheus Agent');
          });
        }
        registerStatusRoutes(api, opts.status);
        registerQueryApi(api, opts);
        api.get('/metrics', async (_req, reply) => {
          const { contentType, body } = await opts.metrics();
          return reply.type(contentType).send(body);
        });
        registerWALReplayRoute(api, opts.walReplay);
        registerTargetsRoutes(api, opts.targets ?? unscrapedTargets(() => []));
        registerRulesRoutes(api, opts.rules ?? NO_RULES);
        registerAlertmanagersRoute(api, opts.alertmanagers ?? NO_ALERTMANAGERS);
        registerAdminRoutes(api, opts.admin);
        registerFederationRoute(api, opts.federation, log, opts.registry);
      });
      const remote = opts.remote;
      if (remote !== undefined) {
        // protobuf bodies in and out, snappy-compressed or framed: outside the compressing context
        await scoped.register(async (rpc) => registerRemoteRoutes(rpc, remote.write, remote.read));
      }
      await registerUi(scoped, prefix, 'uiDir' in opts ? opts.uiDir : defaultUiDir());
      const userAssets = opts.userAssetsDir;
      if (userAssets !== undefined) {
        await scoped.register(async (user) => {
          await user.register(fastifyStatic, { root: userAssets, prefix: '/user/', decorateReply: false });
        });
      }
    },
    { prefix },
  );
  if (prefix !== '') {
    // As Prometheus: the bare root redirects to the route prefix.
    app.get('/', (_req, reply) => reply.redirect(`${prefix}/`));
  }
  return app;
}

/**
 * Node's HTTP server options matching Go's http.Server as Prometheus sets it up: request line and
 * headers up to 1 MiB (Go's DefaultMaxHeaderBytes; long GET queries from Grafana), and
 * --web.read-timeout bounding the reading of headers and body. Node checks those timeouts only every
 * connectionsCheckingInterval (30 s by default), so that is tightened to a fraction of the timeout.
 */
export function httpServerOptions(readTimeoutMs: number): {
  maxHeaderSize: number;
  headersTimeout?: number;
  requestTimeout?: number;
  connectionsCheckingInterval?: number;
} {
  const options = { maxHeaderSize: 1 << 20 };
  if (!(readTimeoutMs > 0)) return options;
  return {
    ...options,
    headersTimeout: readTimeoutMs,
    requestTimeout: readTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(readTimeoutMs / 4))),
  };
}

/**
 * A path whose percent-escapes are not UTF-8 (fastify cannot route it). Go routes the raw bytes: the
 * only route with a parameter in the path, label values, then refuses the name; nothing else matches.
 */
function badUrl(url: string, prefix: string, reply: FastifyReply): FastifyReply {
  const path = url.split('?')[0];
  const m = path.startsWith(prefix)
    ? /^\/api\/v1\/label\/([^/]*)\/values$/.exec(path.slice(prefix.length))
    : null;
  if (m === null) return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n');
  return sendError(reply, 'bad_data', `invalid label name: ${goQuote(decodeGoBytes(percentDecode(m[1])))}`);
}

/** Go's url.PathUnescape, to bytes: `%XX` is a byte, anything else its UTF-8. */
function percentDecode(s: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...utf8.encode(s[i]));
    }
  }
  return new Uint8Array(out);
}

/**
 * Prometheus's router answers a known path asked with another method with 405 (Grafana relies on
 * it: a POST to a GET-only endpoint is retried as GET only after a 405 or 400).
 */
function registerMethodNotAllowed(app: FastifyInstance): void {
  const routes: Array<{ re: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (r) => {
    const pattern = r.url
      .split('/')
      .map((seg) =>
        seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    // As httprouter, OPTIONS handlers (the API's catch-all) never make a path "known".
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'OPTIONS');
    if (methods.length === 0) return;
    routes.push({ re: new RegExp(`^${pattern}$`), methods: new Set(methods) });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = new Set<string>();
    for (const r of routes) if (r.re.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0 && !allowed.has(req.method) && req.method !== 'OPTIONS') {
      return reply
        .code(405)
        .header('allow', [...allowed].sort().join(', '))
        .type('text/plain; charset=utf-8')
        .send('Method Not Allowed\n');
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n');
  });
}
