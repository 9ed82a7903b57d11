// The remote write queue over a real TSDB's WAL and receivers on 127.0.0.1: what it sends (labels with
// external labels and write relabelling, batches, 1.0 and 2.0 bodies and headers), the sender cases of
// prometheus/compliance's remotewrite/sender suite for retries (5xx and network errors retried with
// backoff, other 4xx dropped, 429 only with retry_on_http_429, Retry-After), 2.0 falling back to 1.0 on
// 415 or without Written headers, and a saved WAL position that lets a new queue resume.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import snappy from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { compileRelabels } from '../../src/model/relabel/relabel.js';
import { decodeWriteV1, decodeWriteV2, type WriteRequest } from '../../src/remote/messages.js';
import { remoteWriteMetrics } from '../../src/remote/metrics.js';
import { MESSAGE_V2, QueueManager, type QueueOptions } from '../../src/remote/queue-manager.js';
import { HttpClient } from '../../src/scrape/http-client.js';
import { TSDB } from '../../src/tsdb/db.js';
import { waitFor } from '../support/server-process.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  req: WriteRequest;
  at: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A receiver answering each request with `answer(n)` (n counts requests from 0). */
async function receiver(
  answer: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 }),
) {
  const got: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = snappy.uncompressSync(Buffer.concat(chunks)) as Buffer;
      const v2 = (req.headers['content-type'] ?? '').includes(MESSAGE_V2);
      got.push({ headers: req.headers, req: v2 ? decodeWriteV2(body) : decodeWriteV1(body), at: Date.now() });
      const a = answer(n++);
      res.writeHead(a.status, a.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, got };
}

function setup(o: Partial<QueueOptions> & { url: string }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-queue-'));
  const logger = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
  // the HTTP client of a remote_write entry, loaded as prometheus.yml would load it
  const rw = parseConfig(`remote_write:\n  - url: ${o.url}\n`, path.join(dir, 'prometheus.yml'), dir)
    .remote_write[0];
  const client = new HttpClient(rw, { userAgent: 'Prometheus/3.14.0' });
  const registry = new Registry();
  const metrics = remoteWriteMetrics(registry);
  const make = (): QueueManager =>
    new QueueManager({
      name: 'q',
      client,
      timeoutMs: 5000,
      headers: {},
      relabel: [],
      externalLabels: {},
      message: 'prometheus.WriteRequest',
      capacity: 10_000,
      minShards: 1,
      maxShards: 1,
      maxSamplesPerSend: 100,
      batchSendDeadlineMs: 50,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      retryOn429: false,
      walDir: path.join(dir, 'wal'),
      stateFile: path.join(dir, 'remote', 'q.json'),
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
      metrics,
      userAgent: 'Prometheus/3.14.0',
      ...o,
    });
  const queues: QueueManager[] = [];
  cleanups.push(async () => {
    for (const q of queues) await q.stop(100);
    await client.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const append = async (
    name: string,
    samples: Array<[number, number]>,
    extra: Record<string, string> = {},
  ) => {
    const app = db.appender();
    for (const [t, v] of samples) app.append(0, Labels.fromRecord({ __name__: name, ...extra }), t, v);
    await app.commit();
  };
  return {
    db,
    registry,
    append,
    start(): QueueManager {
      const q = make();
      q.start();
      queues.push(q);
      return q;
    },
    stateFile: path.join(dir, 'remote', 'q.json'),
  };
}

const samplesOf = (got: Received[]) =>
  got.flatMap((r) =>
    r.req.series.flatMap((s) => s.samples.map((x) => ({ labels: s.labels.join(','), ...x }))),
  );

describe('remote write queue', () => {
  it('sends new samples with external labels and write relabelling, in batches, as 1.0 with its headers', async () => {
    const rx = await receiver();
    const q = setup({
      url: rx.url,
      externalLabels: { cluster: 'c1', job: 'overridden-not' },
      relabel: compileRelabels([{ source_labels: ['__name__'], regex: 'dropped', action: 'drop' } as never]),
      maxSamplesPerSend: 3,
    });
    q.start();
    await q.append(
      'kept',
      [
        [1000, 1],
        [2000, 2],
        [3000, 3],
        [4000, 4],
      ],
      { job: 'j' },
    );
    await q.append('dropped', [[1000, 1]]);
    await waitFor(() => samplesOf(rx.got).length === 4);
    expect(rx.got[0].req.series[0].labels).toEqual(['__name__', 'kept', 'cluster', 'c1', 'job', 'j']);
    expect(rx.got.map((r) => r.req.series.reduce((n, s) => n + s.samples.length, 0))).toEqual([3, 1]);
    expect(rx.got[0].headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'Prometheus/3.14.0',
    });
    const text = await q.registry.metrics();
    expect(text).toMatch(/prometheus_remote_storage_samples_total\{remote_name="q",url="[^"]+"\} 4/);
    expect(text).toMatch(/prometheus_remote_storage_samples_dropped_total\{[^}]*reason="dropped_series"\} 1/);
  });

  it('retries 5xx with backoff, drops other 4xx, retries 429 only when asked (network errors: the e2e outage test)', async () => {
    const rx = await receiver((n) => ({ status: n < 2 ? 503 : n === 2 ? 400 : 204 }));
    const q = setup({ url: rx.url });
    q.start();
    await q.append('a', [[1000, 1]]);
    await waitFor(() => rx.got.length === 3);
    // the first batch: 503, 503, then 400 — dropped, not retried again
    expect(rx.got[1].headers['retry-attempt']).toBe('1');
    expect(rx.got[1].at - rx.got[0].at).toBeGreaterThanOrEqual(15);
    await q.append('b', [[2000, 1]]);
    await waitFor(() => rx.got.length === 4);
    expect(rx.got[3].req.series[0].labels).toEqual(['__name__', 'b']);
    const text = await q.registry.metrics();
    expect(text).toMatch(/prometheus_remote_storage_samples_failed_total\{[^}]*\} 1/);
    expect(text).toMatch(/prometheus_remote_storage_samples_retried_total\{[^}]*\} 2/);

    const r429 = await receiver((n) => ({ status: n === 0 ? 429 : 204 }));
    const dropped = setup({ url: r429.url });
    dropped.start();
    await dropped.append('x', [[1000, 1]]);
    await waitFor(() => r429.got.length === 1);
    await dropped.append('y', [[2000, 1]]);
    await waitFor(() => r429.got.length === 2);
    expect(r429.got.map((r) => r.req.series[0].labels[1])).toEqual(['x', 'y']);

    const r429b = await receiver((n) =>
      n === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 204 },
    );
    const retried = setup({ url: r429b.url, retryOn429: true });
    retried.start();
    await retried.append('x', [[1000, 1]]);
    await waitFor(() => r429b.got.length === 2);
    expect(r429b.got.map((r) => r.req.series[0].labels[1])).toEqual(['x', 'x']);
    // Retry-After: 1 s, not the 20 ms backoff
    expect(r429b.got[1].at - r429b.got[0].at).toBeGreaterThanOrEqual(900);
  });

  it('sends 2.0 with its headers, and falls back to 1.0 on 415 or when the answer has no Written headers', async () => {
    const v2 = await receiver(() => ({
      status: 204,
      headers: { 'X-Prometheus-Remote-Write-Samples-Written': '1' },
    }));
    const a = setup({ url: v2.url, message: MESSAGE_V2 });
    a.start();
    await a.append('m', [[1000, 1]]);
    await waitFor(() => v2.got.length === 1);
    expect(v2.got[0].headers['content-type']).toBe(`application/x-protobuf;proto=${MESSAGE_V2}`);
    expect(v2.got[0].headers['x-prometheus-remote-write-version']).toBe('2.0.0');

    const old = await receiver((n) => ({ status: n === 0 ? 415 : 204 }));
    const b = setup({ url: old.url, message: MESSAGE_V2 });
    b.start();
    await b.append('m', [[1000, 1]]);
    await waitFor(() => old.got.length === 2);
    expect(old.got[1].headers['content-type']).toBe('application/x-protobuf');
    expect(old.got[1].req.series[0].samples).toEqual([{ t: 1000, v: 1 }]);

    const silent = await receiver();
    const c = setup({ url: silent.url, message: MESSAGE_V2 });
    c.start();
    await c.append('m', [[1000, 1]]);
    await waitFor(() => silent.got.length === 2);
    expect(silent.got[1].headers['x-prometheus-remote-write-version']).toBe('0.1.0');
  });

  it('saves its WAL position once samples are delivered, and a new queue resumes from it', async () => {
    let up = false;
    const rx = await receiver(() => ({ status: up ? 204 : 503 }));
    const s = setup({ url: rx.url });
    const first = s.start();
    await s.append('m', [[1000, 1]]);
    await waitFor(() => rx.got.length >= 2); // failing and retrying
    const before = JSON.parse(fs.readFileSync(s.stateFile, 'utf8')) as { offset: number };
    await first.stop(50); // gives up: the sample is not delivered
    const after = JSON.parse(fs.readFileSync(s.stateFile, 'utf8')) as { offset: number };
    expect(after).toEqual(before);
    await s.append('m', [[2000, 2]]);
    up = true;
    s.start(); // resumes at the saved position: both samples go out, in order
    await waitFor(() => samplesOf(rx.got.filter((r) => r.req.series.length > 0)).some((x) => x.t === 2000));
    const delivered = samplesOf(rx.got.slice(-1));
    expect(delivered.map((x) => x.t)).toEqual([1000, 2000]);
    await waitFor(
      () => (JSON.parse(fs.readFileSync(s.stateFile, 'utf8')) as { offset: number }).offset > after.offset,
    );
  });

  it("sends the targets' metric metadata every send_interval in 1.0 requests (metadata_config)", async () => {
    const rx = await receiver();
    const q = setup({
      url: rx.url,
      metadata: {
        send: true,
        intervalMs: 100,
        maxPerSend: 1,
        source: () => [
          { type: 'counter', family: 'http_requests_total', help: 'Requests.', unit: '' },
          { type: 'gauge', family: 'temperature', help: 'Heat.', unit: 'celsius' },
        ],
      },
    });
    q.start();
    await waitFor(() => rx.got.filter((r) => r.req.metadata.length > 0).length >= 2);
    const md = rx.got.filter((r) => r.req.metadata.length > 0).slice(0, 2);
    // one entry per request with max_samples_per_send 1, and no series with them
    expect(md.map((r) => r.req.metadata)).toEqual([
      [{ type: 'counter', family: 'http_requests_total', help: 'Requests.', unit: '' }],
      [{ type: 'gauge', family: 'temperature', help: 'Heat.', unit: 'celsius' }],
    ]);
    expect(md.every((r) => r.req.series.length === 0)).toBe(true);
  });
});
