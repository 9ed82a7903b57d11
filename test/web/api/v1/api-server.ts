// A real `promethium` server over a data directory filled through the storage interfaces first, and
// helpers to call its API over HTTP.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetch } from 'undici';
import { createLogger } from '../../../../src/log/logger.js';
import { Labels } from '../../../../src/model/labels.js';
import { TSDB } from '../../../../src/tsdb/db.js';
import { startServer, type ServerProcess } from '../../../support/server-process.js';

/** 2015-07-01T20:10:00Z, ms: the data's first sample. */
export const T0 = 1435781400000;
export const STEP = 15_000;

export interface SeriesData {
  labels: Record<string, string>;
  /** [ms, value] pairs in time order. */
  samples: Array<[number, number]>;
}

/** Samples every 15 s over ten minutes from T0 (41 samples), value f(i). */
export function every15s(labels: Record<string, string>, f: (i: number) => number): SeriesData {
  const samples: Array<[number, number]> = [];
  for (let i = 0; i <= 40; i++) samples.push([T0 + i * STEP, f(i)]);
  return { labels, samples };
}

export const STANDARD_DATA: SeriesData[] = [
  every15s({ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, () => 1),
  every15s({ __name__: 'up', job: 'node', instance: 'localhost:9100' }, () => 0),
  every15s({ __name__: 'http_requests_total', job: 'api', method: 'GET', code: '200' }, (i) => i * 10),
  every15s({ __name__: 'http_requests_total', job: 'api', method: 'POST', code: '500' }, (i) => i),
  { labels: { __name__: 'odd_value', kind: 'nan' }, samples: [[T0, NaN]] },
  { labels: { __name__: 'odd_value', kind: 'inf' }, samples: [[T0, Infinity]] },
  { labels: { __name__: 'odd_value', kind: 'ninf' }, samples: [[T0, -Infinity]] },
  { labels: { __name__: 'odd_value', kind: 'tiny' }, samples: [[T0, 1.5e-7]] },
  { labels: { __name__: 'odd_value', kind: 'huge' }, samples: [[T0, 1e21]] },
  { labels: { __name__: 'odd_value', kind: 'frac' }, samples: [[T0, 0.1]] },
  { labels: { __name__: 'dotted', 'service.name': 'checkout' }, samples: [[T0, 7]] },
];

export interface ApiServer {
  server: ServerProcess;
  dir: string;
  url: string;
  stop(): Promise<void>;
}

export async function startApiServer(data: SeriesData[], extraArgs: string[] = []): Promise<ApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-api-'));
  const dataDir = path.join(dir, 'data');
  const db = TSDB.open({
    dir: dataDir,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
  });
  const app = db.appender();
  for (const s of data) {
    const labels = Labels.fromRecord(s.labels);
    let ref = 0;
    for (const [t, v] of s.samples) ref = app.append(ref, labels, t, v);
  }
  await app.commit();
  db.close();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const server = await startServer(
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${dataDir}`, ...extraArgs],
    { cwd: dir },
  );
  return {
    server,
    dir,
    url: server.url,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiAnswer {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** GET with the parameters in the query string (repeated names allowed). */
export async function apiGet(
  base: string,
  pathname: string,
  params: Array<[string, string]> | Record<string, string> = {},
): Promise<ApiAnswer> {
  const qs = new URLSearchParams(Array.isArray(params) ? params : Object.entries(params)).toString();
  const res = await fetch(`${base}${pathname}${qs === '' ? '' : '?' + qs}`);
  return answerOf(res);
}

/** POST with the parameters as an application/x-www-form-urlencoded body. */
export async function apiPost(
  base: string,
  pathname: string,
  params: Array<[string, string]> | Record<string, string> = {},
): Promise<ApiAnswer> {
  const body = new URLSearchParams(Array.isArray(params) ? params : Object.entries(params)).toString();
  const res = await fetch(`${base}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return answerOf(res);
}

async function answerOf(res: Awaited<ReturnType<typeof fetch>>): Promise<ApiAnswer> {
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** The error envelope Prometheus sends. */
export function apiError(errorType: string, error: string): unknown {
  return { status: 'error', errorType, error };
}
