// Helpers for end-to-end scraping tests: scrape targets served by node:http(s) on 127.0.0.1 whose
// answer the test changes as it goes, and the query and targets API read back from a real server.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ServerProcess } from './server-process.js';

/** What a target answers; the test changes it between scrapes. */
export interface TargetReply {
  status: number;
  body: string;
  contentType: string;
}

export interface TestTarget {
  /** host:port, as a static_configs target. */
  address: string;
  reply: TargetReply;
  /** Requests served so far (any status). */
  requests: number;
  /** Resolves once `n` more requests than now have been answered. */
  served(n?: number): Promise<void>;
  close(): Promise<void>;
}

export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A scrape target on 127.0.0.1:0. `authorize` may refuse a request (it then gets 401); `tls` makes it
 * https.
 */
export async function startTarget(
  reply: Partial<TargetReply> = {},
  opts: {
    tls?: { cert: string; key: string };
    authorize?: (req: http.IncomingMessage) => boolean;
    /** A reply for this request instead of `reply` (e.g. by the scraper's headers). */
    replyFor?: (req: http.IncomingMessage) => TargetReply | undefined;
  } = {},
): Promise<TestTarget> {
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const target: TestTarget = {
    address: '',
    reply: { status: 200, body: '', contentType: TEXT_FORMAT, ...reply },
    requests: 0,
    served(n = 1) {
      return new Promise((resolve) => waiters.push({ at: target.requests + n, resolve }));
    },
    close: () => Promise.resolve(),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const done = (): void => {
      target.requests++;
      for (const w of waiters.splice(0)) {
        if (target.requests >= w.at) w.resolve();
        else waiters.push(w);
      }
    };
    res.on('finish', done);
    if (opts.authorize !== undefined && !opts.authorize(req)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    const { status, body, contentType } = opts.replyFor?.(req) ?? target.reply;
    res.writeHead(status, { 'content-type': contentType }).end(body);
  };
  const server =
    opts.tls !== undefined ? https.createServer({ ...opts.tls }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  target.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return target;
}

/** A TCP port free on 127.0.0.1 right now (for programs that cannot listen on port 0 and tell us). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A fresh temporary directory; `cleanup` removes every one made. */
export function tempDirs(prefix: string): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(d);
      return d;
    },
    cleanup() {
      for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Replaces a file's content in one step, so a reader never sees it half written. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

export interface VectorSample {
  metric: Record<string, string>;
  /** [unix seconds, value text] */
  value: [number, string];
}

export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

async function apiData<T>(s: ServerProcess, p: string, params: Record<string, string>): Promise<T> {
  const res = await s.fetch(`${p}?${new URLSearchParams(params).toString()}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (res.status !== 200 || body.status !== 'success') {
    throw new Error(`${p} ${JSON.stringify(params)}: HTTP ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

/** An instant query that must answer a vector; `time` in unix seconds (default: the server's now). */
export async function queryVector(s: ServerProcess, expr: string, time?: number): Promise<VectorSample[]> {
  const data = await apiData<{ resultType: string; result: VectorSample[] }>(s, '/api/v1/query', {
    query: expr,
    ...(time === undefined ? {} : { time: String(time) }),
  });
  if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
  return data.result;
}

/** An instant query of a range selector: the raw samples (stale markers are never shown). */
export async function queryRaw(s: ServerProcess, expr: string, time?: number): Promise<MatrixSeries[]> {
  const data = await apiData<{ resultType: string; result: MatrixSeries[] }>(s, '/api/v1/query', {
    query: expr,
    ...(time === undefined ? {} : { time: String(time) }),
  });
  if (data.resultType !== 'matrix') throw new Error(`${expr}: expected a matrix, got ${data.resultType}`);
  return data.result;
}

export async function queryRange(
  s: ServerProcess,
  expr: string,
  start: number,
  end: number,
  step: number,
): Promise<MatrixSeries[]> {
  const data = await apiData<{ resultType: string; result: MatrixSeries[] }>(s, '/api/v1/query_range', {
    query: expr,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  return data.result;
}

/** The single value of an instant query, or undefined when it answers no series. */
export async function queryValue(s: ServerProcess, expr: string, time?: number): Promise<number | undefined> {
  const r = await queryVector(s, expr, time);
  if (r.length > 1) throw new Error(`${expr}: expected at most one series, got ${JSON.stringify(r)}`);
  return r.length === 0 ? undefined : Number(r[0].value[1]);
}

export interface ApiTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export async function activeTargets(s: ServerProcess): Promise<ApiTarget[]> {
  const data = await apiData<{ activeTargets: ApiTarget[] }>(s, '/api/v1/targets', { state: 'active' });
  return data.activeTargets;
}

/** The active target of a job (and instance, when the job has several); throws when absent. */
export async function targetOf(s: ServerProcess, job: string, instance?: string): Promise<ApiTarget> {
  const all = await activeTargets(s);
  const t = all.filter(
    (x) => x.labels.job === job && (instance === undefined || x.labels.instance === instance),
  );
  if (t.length !== 1) throw new Error(`expected one target for job ${job}: ${JSON.stringify(all)}`);
  return t[0];
}

/** Waits for `cond`, failing with the last value seen and the server's log. */
export async function eventually<T>(
  s: ServerProcess,
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline || s.child.exitCode !== null) {
      throw new Error(
        `${what}: not met within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}\nserver log:\n${s.logs().slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A prometheus.yml with a 1s interval and the given scrape_configs (YAML list items, indented 2). */
export function scrapeConfigYaml(jobs: string): string {
  return `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs}`;
}
