// Native histograms between Debian's Prometheus 2.42 and Promethium: 2.42 scrapes a protobuf target's
// native histogram and remote-writes it (send_native_histograms) to Promethium, which stores it (head,
// WAL, blocks); Promethium's remote read then answers with the same histogram samples 2.42's own remote
// read gives (in histogram chunks; ours also in SAMPLES answers). (2.42's remote_read client drops
// histograms from the SAMPLES answers it asks for, so it cannot be the reader here.)
// 2.42 also federates Promethium's native histograms, asking /federate for protobuf first.
import fs from 'node:fs';
import path from 'node:path';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { decodeReadResponse, encodeReadRequest, type WireHistogram } from '../../src/remote/messages.js';
import { FloatHistogramChunk, HistogramChunk } from '../../src/tsdb/chunks/histogram.js';
import { compactHistogram } from '../../src/model/histogram.js';
import { peerFixtures } from '../support/peers.js';
import { readFrames } from '../support/read-frames.js';
import { startProtobufTarget } from '../support/protobuf-target.js';
import { freePort } from '../support/scrape-e2e.js';
import { startServer, waitFor } from '../support/server-process.js';

const { dirs, running, startPeer } = peerFixtures('promethium-native-histograms-');

async function startPrometheus(
  dir: string,
  name: string,
  config: string,
  extra: string[] = [],
): Promise<string> {
  const port = await freePort();
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, config);
  const url = `http://127.0.0.1:${port}`;
  await startPeer({
    binary: '/usr/bin/prometheus',
    debianPackage: 'prometheus',
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${path.join(dir, `${name}-data`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...extra,
    ],
    url,
  });
  return url;
}

const QUERY = (start: number, end: number, type: number) =>
  encodeReadRequest({
    queries: [
      { startMs: start, endMs: end, matchers: [{ type: '=', name: '__name__', value: 'pb_native_seconds' }] },
    ],
    acceptedResponseTypes: [type],
  });

async function readSamples(base: string, start: number, end: number): Promise<WireHistogram[]> {
  const res = await fetch(`${base}/api/v1/read`, {
    method: 'POST',
    body: snappy.compressSync(Buffer.from(QUERY(start, end, 0))),
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
    },
  });
  expect(res.status).toBe(200);
  const series = decodeReadResponse(snappy.uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer)[0];
  expect(series).toHaveLength(1);
  return series[0].histograms ?? [];
}

async function readChunks(base: string, start: number, end: number): Promise<WireHistogram[]> {
  const res = await fetch(`${base}/api/v1/read`, {
    method: 'POST',
    body: snappy.compressSync(Buffer.from(QUERY(start, end, 1))),
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
    },
  });
  expect(res.status).toBe(200);
  const out: WireHistogram[] = [];
  for (const f of readFrames(Buffer.from(await res.arrayBuffer())))
    for (const s of f.series)
      for (const c of s.chunks) {
        if (c.type === 2)
          for (const x of HistogramChunk.fromBytes(c.data).samples()) out.push({ t: x.t, h: x.h });
        else if (c.type === 3)
          for (const x of FloatHistogramChunk.fromBytes(c.data).samples()) out.push({ t: x.t, fh: x.h });
      }
  return out;
}

/**
 * The histograms without their counter reset hints (each side reports what its chunks say) and
 * without empty buckets (a chunk's layout may hold buckets a sample does not use).
 */
function plain(xs: WireHistogram[]): unknown[] {
  return xs.map((x) => ({
    t: x.t,
    h: { ...compactHistogram((x.h ?? x.fh)!, x.h === undefined), counterResetHint: 0 },
  }));
}

/** An API answer's data, results without job/instance (Prometheus 2.42 adds them from its scrape, so do we). */
async function api(base: string, p: string): Promise<unknown> {
  const res = await fetch(base + p);
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  expect(body.status, body.error).toBe('success');
  return body.data;
}

describe('native histograms with Prometheus 2.42', () => {
  it('are received over remote write, stored, and served by remote read as Prometheus serves them', async () => {
    const target = await startProtobufTarget();
    try {
      const dir = dirs.make();
      const ours = await startServer([
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--web.enable-remote-write-receiver',
      ]);
      running.push(ours);
      const source = await startPrometheus(
        dir,
        'source',
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pb\n    static_configs: [{targets: ['${target.host}']}]\nremote_write:\n  - url: ${ours.url}/api/v1/write\n    send_native_histograms: true\n    queue_config: {batch_send_deadline: 500ms}\n`,
        ['--enable-feature=native-histograms'],
      );
      // wait until several histograms have reached Promethium
      await waitFor(async () => {
        const got = await readSamples(ours.url, Date.now() - 3_600_000, Date.now() + 60_000);
        return got.length >= 8;
      }, 60_000);
      const start = Date.now() - 3_600_000;
      const end = Date.now() + 60_000;
      const mine = await readSamples(ours.url, start, end);
      const first = mine[0].t;
      const last = mine[mine.length - 1].t;
      // 2.42 puts native histograms only in STREAMED_XOR_CHUNKS answers (its SAMPLES answers leave them out)
      const theirs = (await readChunks(source, start, end)).filter((x) => x.t >= first && x.t <= last);
      expect(mine.length).toBeGreaterThanOrEqual(8);
      expect(plain(mine)).toEqual(plain(theirs));
      // the same through histogram chunks
      expect(plain(await readChunks(ours.url, start, end))).toEqual(plain(mine));
      expect(mine.every((x) => x.h !== undefined && x.h.schema === 2)).toBe(true);

      // PromQL over them answers as Prometheus 2.42 answers: the histogram JSON, histogram_count/sum
      const at = mine[mine.length - 2].t;
      for (const q of [
        'pb_native_seconds',
        'histogram_count(pb_native_seconds)',
        'histogram_sum(pb_native_seconds)',
        'pb_native_seconds[30s]',
      ]) {
        const want = await api(source, `/api/v1/query?query=${encodeURIComponent(q)}&time=${at / 1000}`);
        const got = await api(ours.url, `/api/v1/query?query=${encodeURIComponent(q)}&time=${at / 1000}`);
        expect(got, q).toEqual(want);
      }
      const range = `/api/v1/query_range?query=pb_native_seconds&start=${first / 1000}&end=${at / 1000}&step=1`;
      expect(await api(ours.url, range)).toEqual(await api(source, range));
    } finally {
      await target.close();
    }
  }, 120_000);

  it('are scraped from protobuf and remote-written to Prometheus 2.42, which stores the same histograms', async () => {
    const target = await startProtobufTarget();
    try {
      const dir = dirs.make();
      const receiver = await startPrometheus(dir, 'receiver', 'scrape_configs: []\n', [
        '--enable-feature=native-histograms',
        '--web.enable-remote-write-receiver',
      ]);
      const config = path.join(dir, 'promethium.yml');
      fs.writeFileSync(
        config,
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pb\n    scrape_native_histograms: true\n    static_configs: [{targets: ['${target.host}']}]\nremote_write:\n  - url: ${receiver}/api/v1/write\n    send_native_histograms: true\n    queue_config: {batch_send_deadline: 500ms}\n`,
      );
      const ours = await startServer([
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
      ]);
      running.push(ours);
      await waitFor(
        async () => (await readChunks(receiver, Date.now() - 3_600_000, Date.now() + 60_000)).length >= 6,
        60_000,
      );
      const start = Date.now() - 3_600_000;
      const end = Date.now() + 60_000;
      const theirs = await readChunks(receiver, start, end);
      const first = theirs[0].t;
      const last = theirs[theirs.length - 1].t;
      const mine = (await readSamples(ours.url, start, end)).filter((x) => x.t >= first && x.t <= last);
      expect(theirs.length).toBeGreaterThanOrEqual(6);
      expect(plain(theirs)).toEqual(plain(mine));
    } finally {
      await target.close();
    }
  }, 120_000);

  it('are federated to Prometheus 2.42 in the protobuf format, which stores the same histograms', async () => {
    const target = await startProtobufTarget();
    try {
      const dir = dirs.make();
      const config = path.join(dir, 'promethium.yml');
      fs.writeFileSync(
        config,
        `global:\n  scrape_interval: 1s\n  external_labels: {site: a}\nscrape_configs:\n  - job_name: pb\n    scrape_native_histograms: true\n    static_configs: [{targets: ['${target.host}']}]\n`,
      );
      const ours = await startServer([
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
      ]);
      running.push(ours);
      const host = new URL(ours.url).host;
      // 2.42 with native histograms asks for protobuf first: /federate answers in it
      const fed = await startPrometheus(
        dir,
        'federator',
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n    params: {'match[]': ['{__name__="pb_native_seconds"}']}\n    static_configs: [{targets: ['${host}']}]\n`,
        ['--enable-feature=native-histograms'],
      );
      type Vec = Array<{ metric: Record<string, string>; histogram?: [number, unknown] }>;
      let got: Vec = [];
      await waitFor(async () => {
        got = ((await api(fed, '/api/v1/query?query=pb_native_seconds')) as { result: Vec }).result;
        return got.length === 1 && got[0].histogram !== undefined;
      }, 60_000);
      expect(got[0].metric).toEqual({
        __name__: 'pb_native_seconds',
        job: 'pb',
        instance: target.host,
        site: 'a',
      });
      // the federated histogram is one Promethium stored: the same count and sum at that time
      const [t, h] = got[0].histogram as [number, { count: string; sum: string; buckets: unknown[] }];
      const mine = (await api(
        ours.url,
        `/api/v1/query?query=${encodeURIComponent('pb_native_seconds[1m]')}&time=${t + 0.001}`,
      )) as { result: Array<{ histograms: Array<[number, { count: string; sum: string }]> }> };
      const match = mine.result[0].histograms.find(([, x]) => x.count === h.count && x.sum === h.sum);
      expect(match, JSON.stringify({ h, mine })).toBeDefined();
      expect(h.buckets.length).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  }, 120_000);
});
