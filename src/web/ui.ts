// The web UI: the static files Vite builds from src/ui/ into dist/ui/, served below the route prefix at
// Prometheus 3's page paths (/query, /targets, the status pages), with "/" and the old /graph links sent to /query.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The pages the single-page UI answers; each serves index.html. */
export const UI_PAGES = [
  '/query',
  '/alerts',
  '/targets',
  '/service-discovery',
  '/config',
  '/flags',
  '/status',
  '/tsdb-status',
  '/remote-write',
  '/rules',
];

/** dist/ui beside the compiled server (dist/src/web → dist/ui), or from the sources (src/web → dist/ui). */
export function defaultUiDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../ui'), path.resolve(here, '../../dist/ui')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

/** Registers the UI inside the route-prefix context (`prefix` is "" or "/prefix"); `uiDir` undefined answers the pages with a hint. */
export async function registerUi(
  app: FastifyInstance,
  prefix: string,
  uiDir: string | undefined,
): Promise<void> {
  app.get('/', (_req, reply) => reply.redirect(`${prefix}/query`));
  app.get('/graph', (req, reply) => {
    const q = req.url.indexOf('?');
    return reply.redirect(`${prefix}/query${q < 0 ? '' : req.url.slice(q)}`);
  });
  if (uiDir === undefined) {
    for (const page of UI_PAGES) {
      app.get(page, (_req, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web UI is not built: run `npm run build` (it writes dist/ui/).\n'),
      );
    }
    return;
  }
  await app.register(async (ui) => {
    // The bundle is about 0.5 MB; gzip brings it to a third.
    await ui.register(compress, { global: true, encodings: ['gzip', 'deflate'] });
    // One route per built file (wildcard: false), so unknown paths keep their 404 and 405 answers.
    await ui.register(fastifyStatic, { root: uiDir, wildcard: false, index: false, serve: true });
    const index = fs.readFileSync(path.join(uiDir, 'index.html'), 'utf8');
    for (const page of UI_PAGES) {
      ui.get(page, (_req, reply) =>
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index),
      );
    }
  });
}
