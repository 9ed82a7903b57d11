// /api/v1/alertmanagers in Prometheus's shape; the notifier supplies the URLs once it exists.
import type { FastifyInstance } from 'fastify';
import { sendSuccess } from './envelope.js';

export interface AlertmanagersSource {
  /** URLs of the Alertmanagers alerts are sent to. */
  activeAlertmanagers(): readonly string[];
  /** URLs of discovered Alertmanagers dropped by relabelling. */
  droppedAlertmanagers(): readonly string[];
}

export const NO_ALERTMANAGERS: AlertmanagersSource = {
  activeAlertmanagers: () => [],
  droppedAlertmanagers: () => [],
};

export function registerAlertmanagersRoute(app: FastifyInstance, source: AlertmanagersSource): void {
  app.get('/api/v1/alertmanagers', (_req, reply) =>
    sendSuccess(reply, {
      activeAlertmanagers: source.activeAlertmanagers().map((url) => ({ url })),
      droppedAlertmanagers: source.droppedAlertmanagers().map((url) => ({ url })),
    }),
  );
}
