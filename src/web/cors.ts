// CORS for the API as Prometheus's httputil.SetCORS sets it (--web.cors.origin, fully anchored), and the
// API's OPTIONS handler: any OPTIONS request under /api/v1/ answers 204 with those headers.
import type { FastifyInstance } from 'fastify';
import type { AnchoredRegex } from '../model/regex.js';

export function registerCors(
  app: FastifyInstance,
  origin: AnchoredRegex,
  originPattern: string,
  apiPrefix: string,
): void {
  // Prometheus answers "*" when the pattern allows every origin (its default `.*`).
  const anyOrigin = originPattern === '.*';
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(apiPrefix)) return;
    reply.header('Vary', 'Origin');
    const from = req.headers.origin;
    if (from === undefined) return;
    reply.header('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Origin');
    reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    reply.header('Access-Control-Expose-Headers', 'Date');
    if (anyOrigin) reply.header('Access-Control-Allow-Origin', '*');
    else if (origin.matches(from)) reply.header('Access-Control-Allow-Origin', from);
  });
  app.options(`${apiPrefix}v1/*`, async (_req, reply) => reply.code(204).send());
}
