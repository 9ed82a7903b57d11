// /api/v1/status/walreplay: the WAL segments replayed at startup, as Prometheus reports them:
// min and max are the first and last segment, current the one being read (max once done).
import type { FastifyInstance } from 'fastify';
import { sendSuccess } from './envelope.js';

export interface WALReplayStatus {
  min: number;
  max: number;
  current: number;
}

export function registerWALReplayRoute(
  app: FastifyInstance,
  status: (() => WALReplayStatus) | undefined,
): void {
  // Not behind readiness in Prometheus either: it is what one watches while the server starts.
  app.get('/api/v1/status/walreplay', (_req, reply) =>
    sendSuccess(reply, status?.() ?? { min: 0, max: 0, current: 0 }),
  );
}
