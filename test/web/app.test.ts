import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/log/logger.js';
import { createWebApp, type WebOptions } from '../../src/web/app.js';
import { UI_PAGES } from '../../src/web/ui.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

interface Harness {
  url: string;
  state: { ready: boolean; reloads: number; quits: number; failReload?: string };
}

async function serve(overrides: Partial<WebOptions> = {}): Promise<Harness> {
  const state: Harness['state'] = { ready: true, reloads: 0, quits: 0 };
  const app = createWebApp({
    routePrefix: '/',
    enableLifecycle: false,
    corsOrigin: '.*',
    readTimeoutMs: 60_000,
    maxConnections: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    lifecycle: {
      isReady: () => state.ready,
      reload: async () => {
        state.reloads++;
        if (state.failReload !== undefined) throw new Error(state.failReload);
      },
      quit: () => {
        state.quits++;
      },
    },
    status: {
      buildInfo: {
        version: '1.2.3',
        revision: 'abc',
        branch: 'main',
        buildUser: 'u@h',
        buildDate: '20260101-00:00:00',
        runtimeVersion: 'v20.0.0',
      },
      flags: { 'query.timeout': '2m' },
      configYaml: () => 'global:\n  scrape_interval: 15s\n',
      startTime: new Date('2026-01-01T00:00:00Z'),
      lastConfigTime: () => new Date('2026-01-01T00:00:01Z'),
      reloadConfigSuccess: () => true,
      storageRetention: '15d',
      corruptionCount: () => 0,
    },
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'up 1\n' }),
    ...overrides,
  });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, state };
}

describe('web app', () => {
  it('answers health and readiness, 503 until ready', async () => {
    const { url, state } = await serve();
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200);
    state.ready = false;
    const notReady = await fetch(`${url}/-/ready`);
    expect(notReady.status).toBe(503);
    state.ready = true;
    const ready = await fetch(`${url}/-/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('Ready');
  });

  it('refuses /-/reload and /-/quit with 403 unless the lifecycle API is enabled', async () => {
    const { url, state } = await serve();
    for (const path of ['/-/reload', '/-/quit']) {
      const res = await fetch(`${url}${path}`, { method: 'POST' });
      expect(res.status).toBe(403);
      expect(await res.text()).toBe('Lifecycle API is not enabled.');
    }
    expect(state).toMatchObject({ reloads: 0, quits: 0 });
  });

  it('reloads and quits on POST or PUT when enabled, 405 on GET, 500 with the reason on a bad reload', async () => {
    const { url, state } = await serve({ enableLifecycle: true });
    expect((await fetch(`${url}/-/reload`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${url}/-/reload`, { method: 'PUT' })).status).toBe(200);
    expect(state.reloads).toBe(2);
    expect((await fetch(`${url}/-/reload`)).status).toBe(405);
    state.failReload = 'prometheus.yml:3:5: global.scrape_interval: bad';
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('failed to reload config: prometheus.yml:3:5');
    const quit = await fetch(`${url}/-/quit`, { method: 'PUT' });
    expect(quit.status).toBe(200);
    expect(await quit.text()).toContain('Requesting termination');
    expect(state.quits).toBe(1);
  });

  it('serves the status endpoints in the Prometheus envelope', async () => {
    const { url } = await serve();
    const build = await (await fetch(`${url}/api/v1/status/buildinfo`)).json();
    expect(build).toEqual({
      status: 'success',
      data: {
        // the Prometheus version whose API is implemented; Promethium's own and Node.js's beside it
        version: '3.14.0',
        revision: 'abc',
        branch: 'main',
        buildUser: 'u@h',
        buildDate: '20260101-00:00:00',
        goVersion: 'v20.0.0',
        promethiumVersion: '1.2.3',
        nodeVersion: 'v20.0.0',
      },
    });
    expect(await (await fetch(`${url}/api/v1/status/flags`)).json()).toEqual({
      status: 'success',
      data: { 'query.timeout': '2m' },
    });
    expect(await (await fetch(`${url}/api/v1/status/config`)).json()).toEqual({
      status: 'success',
      data: { yaml: 'global:\n  scrape_interval: 15s\n' },
    });
    const runtime = (await (await fetch(`${url}/api/v1/status/runtimeinfo`)).json()) as {
      status: string;
      data: Record<string, unknown>;
    };
    expect(runtime.status).toBe('success');
    expect(Object.keys(runtime.data).sort()).toEqual(
      [
        'CWD',
        'GODEBUG',
        'GOGC',
        'GOMAXPROCS',
        'GOMEMLIMIT',
        'corruptionCount',
        'goroutineCount',
        'hostname',
        'lastConfigTime',
        'reloadConfigSuccess',
        'serverTime',
        'startTime',
        'storageRetention',
      ].sort(),
    );
    expect(runtime.data).toMatchObject({
      startTime: '2026-01-01T00:00:00.000Z',
      reloadConfigSuccess: true,
      storageRetention: '15d',
      CWD: process.cwd(),
    });
  });

  it('serves /metrics with the registry content type', async () => {
    const { url } = await serve();
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toBe('up 1\n');
  });

  it('mounts everything under the route prefix and redirects the root to it', async () => {
    const { url } = await serve({ routePrefix: '/prom' });
    expect((await fetch(`${url}/prom/-/healthy`)).status).toBe(200);
    expect((await fetch(`${url}/prom/api/v1/status/buildinfo`)).status).toBe(200);
    expect((await fetch(`${url}/-/healthy`)).status).toBe(404);
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/prom/');
  });

  it('serves the UI pages under the route prefix and sends "/" and old /graph links to /query', async () => {
    const uiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-'));
    fs.mkdirSync(path.join(uiDir, 'assets'));
    fs.writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>ui</title>');
    fs.writeFileSync(path.join(uiDir, 'assets', 'app.js'), 'console.log(1);');
    try {
      const { url } = await serve({ routePrefix: '/prom', uiDir });
      const root = await fetch(`${url}/prom/`, { redirect: 'manual' });
      await root.arrayBuffer(); // every body read: an unread one keeps the connection busy at close
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/prom/query');
      const graph = await fetch(`${url}/prom/graph?g0.expr=up&g0.tab=0`, { redirect: 'manual' });
      await graph.arrayBuffer();
      expect(graph.status).toBe(302);
      expect(graph.headers.get('location')).toBe('/prom/query?g0.expr=up&g0.tab=0');
      for (const page of UI_PAGES.map((p) => `/prom${p}`)) {
        const res = await fetch(`${url}${page}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await res.text()).toBe('<!doctype html><title>ui</title>');
      }
      const asset = await fetch(`${url}/prom/assets/app.js`);
      await asset.arrayBuffer();
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      // Unknown paths keep their 404 (no catch-all static route).
      const status = async (p: string, init?: RequestInit): Promise<number> => {
        const r = await fetch(`${url}${p}`, init);
        await r.arrayBuffer();
        return r.status;
      };
      expect(await status('/prom/nothing')).toBe(404);
      expect(await status('/prom/query', { method: 'POST' })).toBe(405);
    } finally {
      fs.rmSync(uiDir, { recursive: true, force: true });
    }
  });

  it('answers the UI pages with 503 and a hint when the UI is not built', async () => {
    const { url } = await serve({ uiDir: undefined });
    const res = await fetch(`${url}/query`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });

  it('answers unknown paths with 404 and known paths asked with another method with 405', async () => {
    const { url } = await serve({ routePrefix: '/prom' });
    const missing = await fetch(`${url}/prom/api/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found\n');
    const wrong = await fetch(`${url}/prom/api/v1/status/buildinfo`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('GET');
    expect(await wrong.text()).toBe('Method Not Allowed\n');
  });

  it('sets CORS headers on the API only for matching origins', async () => {
    const { url } = await serve({ corsOrigin: 'https?://grafana\\.example\\.com' });
    const ok = await fetch(`${url}/api/v1/status/buildinfo`, {
      headers: { Origin: 'https://grafana.example.com' },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://grafana.example.com');
    const other = await fetch(`${url}/api/v1/status/buildinfo`, {
      headers: { Origin: 'https://evil.example.com' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // anchored: a prefix match is not enough
    const sneaky = await fetch(`${url}/api/v1/status/buildinfo`, {
      headers: { Origin: 'https://grafana.example.com.evil' },
    });
    expect(sneaky.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** Opens a raw connection, writes `head`, then `drip` every 100 ms until the server closes it; resolves how long that took. */
function dripUntilClosed(url: string, head: string, drip: string, giveUpMs: number): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(head));
    const timer = setInterval(() => {
      if (Date.now() - started > giveUpMs) {
        clearInterval(timer);
        sock.destroy();
        reject(new Error(`connection still open after ${giveUpMs} ms of dripping`));
      } else if (!sock.destroyed) sock.write(drip);
    }, 100);
    sock.on('error', () => undefined); // a reset counts as closed
    sock.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
    sock.resume();
  });
}

describe('HTTP server limits, as Go serves Prometheus', () => {
  it('closes a connection that drips header bytes once --web.read-timeout has passed', async () => {
    const { url } = await serve({ readTimeoutMs: 1_000 });
    // Node's default would keep it for 30 s or more; the test gives up at 10 s
    const took = await dripUntilClosed(
      url,
      'GET /-/healthy HTTP/1.1\r\nHost: x\r\n',
      'X-Slow: 1\r\n',
      10_000,
    );
    expect(took).toBeGreaterThanOrEqual(900);
  });

  it('closes a connection that drips its body once --web.read-timeout has passed', async () => {
    const { url } = await serve({ readTimeoutMs: 1_000 });
    const head =
      'POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n';
    await dripUntilClosed(url, head, 'query=up&', 10_000);
  });

  it("accepts request lines and headers up to 1 MiB (Go's limit) and answers 431 beyond", async () => {
    const { url } = await serve();
    const long = await fetch(`${url}/-/healthy?x=${'a'.repeat(100 * 1024)}`);
    expect(long.status).toBe(200);
    const big = await fetch(`${url}/-/healthy`, { headers: { 'X-Big': 'a'.repeat(900 * 1024) } });
    expect(big.status).toBe(200);
    const tooBig = await fetch(`${url}/-/healthy?x=${'a'.repeat(1100 * 1024)}`);
    expect(tooBig.status).toBe(431);
  });

  it("answers OPTIONS on every API path with 204 and the CORS headers, as Prometheus's API router", async () => {
    const { url } = await serve({ routePrefix: '/prom' });
    for (const p of ['/prom/api/v1/query', '/prom/api/v1/label/job/values', '/prom/api/v1/nothing']) {
      const res = await fetch(`${url}${p}`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://grafana.example.com' },
      });
      expect(res.status, p).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*'); // the default pattern `.*`
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'Accept, Authorization, Content-Type, Origin',
      );
      expect(res.headers.get('vary')).toBe('Origin');
    }
    // an OPTIONS handler does not make other methods' unknown paths known
    expect((await fetch(`${url}/prom/api/v1/nothing`)).status).toBe(404);
    const restricted = await serve({ corsOrigin: 'https://grafana\\.example\\.com' });
    const other = await fetch(`${restricted.url}/api/v1/query`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example.com' },
    });
    expect(other.status).toBe(204);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a path with escapes that are not UTF-8 as Go routes it', async () => {
    const { url } = await serve();
    const res = await fetch(`${url}/api/v1/label/%FF/values`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid label name: "\\xff"',
    });
    const named = await fetch(`${url}/api/v1/label/ok%E2%82/values`);
    expect(((await named.json()) as { error: string }).error).toBe('invalid label name: "ok\\xe2\\x82"');
    const other = await fetch(`${url}/api/v1/query%FF`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe('404 page not found\n');
  });
});
