// CORS for the API as Prometheus sets it: only for origins matching --web.cors.origin (fully anchored).
import type { FastifyInstance } from 'fastify';
import type { AnchoredRegex } from '../model/regex.js';

export function registerCors(app: FastifyInstance, origin: AnchoredRegex, apiPrefix: string): void {
  app.addHook('onRequest', async (req, reply) => {
    const from = req.headers.origin;
    if (from === undefined || !req.url.startsWith(apiPrefix)) return;
    reply.header('Vary', 'Origin');
    if (!origin.matches(from)) return;
    reply.header('Access-Control-Allow-Origin', from);
    reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    reply.header('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Origin');
    reply.header('Access-Control-Expose-Headers', 'Date');
  });
}
