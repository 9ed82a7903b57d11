// HTTP self-metrics as Prometheus's web.go instruments its handlers: requests by status code, duration
// and response size, labelled with the route pattern (without --web.route-prefix), e.g.
// "/api/v1/query" or "/api/v1/label/:name/values". Requests no route matched are not counted.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export function instrumentHttp(app: FastifyInstance, registry: Registry, prefix: string): void {
  const requests = new Counter({
    name: 'prometheus_http_requests_total',
    help: 'Counter of HTTP requests.',
    labelNames: ['code', 'handler'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'prometheus_http_request_duration_seconds',
    help: 'Histogram of latencies for HTTP requests.',
    labelNames: ['handler'],
    buckets: [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120],
    registers: [registry],
  });
  const size = new Histogram({
    name: 'prometheus_http_response_size_bytes',
    help: 'Histogram of response size for HTTP requests.',
    labelNames: ['handler'],
    buckets: exponentialBuckets(100, 10, 8),
    registers: [registry],
  });
  // bytes the connection had written when the request arrived: the response's size when it has no
  // Content-Length (compressed and streamed answers)
  const written = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (req) => {
    written.set(req, req.socket.bytesWritten);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return;
    const handler = prefix !== '' && route.startsWith(prefix) ? route.slice(prefix.length) || '/' : route;
    const length = Number(reply.getHeader('content-length'));
    const bytes = Number.isFinite(length) ? length : req.socket.bytesWritten - (written.get(req) ?? 0);
    requests.inc({ code: String(reply.statusCode), handler });
    duration.observe({ handler }, reply.elapsedTime / 1000);
    size.observe({ handler }, bytes);
  });
}
