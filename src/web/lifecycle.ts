// /-/healthy, /-/ready, /-/reload and /-/quit as Prometheus's web.go serves them.
import type { FastifyInstance } from 'fastify';

export interface Lifecycle {
  /** True once storage is open and the server takes queries. */
  isReady(): boolean;
  /** Reloads the configuration; rejects with the reason when the new one is bad (the old one stays). */
  reload(): Promise<void>;
  /** Starts a graceful shutdown. */
  quit(): void;
}

export function registerLifecycleRoutes(app: FastifyInstance, lifecycle: Lifecycle, enabled: boolean): void {
  const healthy = 'Promethium Server is Healthy.\n';
  app.route({
    method: ['GET', 'HEAD'],
    url: '/-/healthy',
    handler: (_req, reply) => reply.type('text/plain; charset=utf-8').send(healthy),
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/-/ready',
    handler: (_req, reply) => {
      if (lifecycle.isReady())
        return reply.type('text/plain; charset=utf-8').send('Promethium Server is Ready.\n');
      return reply.code(503).type('text/plain; charset=utf-8').send('Service Unavailable');
    },
  });

  const disabled = 'Lifecycle API is not enabled.';
  app.route({
    method: ['POST', 'PUT'],
    url: '/-/reload',
    handler: async (_req, reply) => {
      if (!enabled) return reply.code(403).type('text/plain; charset=utf-8').send(disabled);
      try {
        await lifecycle.reload();
        return reply.code(200).send();
      } catch (err) {
        return reply
          .code(500)
          .type('text/plain; charset=utf-8')
          .send(`failed to reload config: ${(err as Error).message}\n`);
      }
    },
  });

  app.route({
    method: ['POST', 'PUT'],
    url: '/-/quit',
    handler: (_req, reply) => {
      if (!enabled) return reply.code(403).type('text/plain; charset=utf-8').send(disabled);
      // Answer first, then stop: the client gets its reply before the listener closes.
      reply.raw.on('finish', () => lifecycle.quit());
      return reply.type('text/plain; charset=utf-8').send('Requesting termination... Goodbye!');
    },
  });

  // Prometheus answers GET on the lifecycle endpoints with 405 and an explanation.
  for (const url of ['/-/reload', '/-/quit']) {
    app.get(url, (_req, reply) =>
      reply.code(405).type('text/plain; charset=utf-8').send('Only POST or PUT requests allowed'),
    );
  }
}
