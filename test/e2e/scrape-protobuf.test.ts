// The protobuf exposition format against Debian's Prometheus 2.42 on one target that serves
// MetricFamily messages written by protobufjs: both scrape it with PrometheusProto and store the same
// classic series and values; and 2.42, which ingests the target's native histogram, hands its
// histogram chunks over remote read, where Promethium's chunk codec reads them and writes the same
// bytes back from the samples it read.
import fs from 'node:fs';
import path from 'node:path';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { encodeReadRequest, type WireChunk } from '../../src/remote/messages.js';
import { readFrames } from '../support/read-frames.js';
import { HistogramChunk } from '../../src/tsdb/chunks/histogram.js';
import { startProtobufTarget } from '../support/protobuf-target.js';
import { peerFixtures } from '../support/peers.js';
import { freePort } from '../support/scrape-e2e.js';
import { startServer, waitFor } from '../support/server-process.js';

const { dirs, running, startPeer } = peerFixtures('promethium-scrape-protobuf-');

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

async function vector(base: string, q: string): Promise<Vector> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: Vector } };
  return body.data.result;
}

/** Series → value, without the sample times. */
function byLabels(v: Vector): Record<string, string> {
  return Object.fromEntries(
    v.map((s) => [JSON.stringify(Object.entries(s.metric).sort()), s.value[1]] as const).sort(),
  );
}

function frames(buf: Buffer): WireChunk[][] {
  return readFrames(buf).flatMap((f) => f.series.map((s) => s.chunks));
}

describe('the protobuf exposition format, side by side with Prometheus 2.42', () => {
  it('stores the same classic series; 2.42 histogram chunks read and re-encoded byte for byte', async () => {
    const target = await startProtobufTarget();
    try {
      const dir = dirs.make();
      // 2.42 has no scrape_protocols: it asks for protobuf first when native histograms are on
      const config = (protocols: string) =>
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pb\n${protocols}    static_configs: [{targets: ['${target.host}']}]\n`;
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), config(''));
      fs.writeFileSync(path.join(dir, 'promethium.yml'), config('    scrape_protocols: [PrometheusProto]\n'));
      const promPort = await freePort();
      const prom = `http://127.0.0.1:${promPort}`;
      await startPeer({
        binary: '/usr/bin/prometheus',
        debianPackage: 'prometheus',
        args: [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--enable-feature=native-histograms',
        ],
        url: prom,
      });
      const ours = await startServer([
        `--config.file=${path.join(dir, 'promethium.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
      ]);
      running.push(ours);
      const classic =
        '{job="pb", __name__=~"pb_(requests_total|temperature|rpc_seconds.*|classic_seconds.*)"}';
      await waitFor(async () => (await vector(ours.url, classic)).length === 12, 30_000);
      await waitFor(async () => (await vector(prom, classic)).length === 12, 30_000);
      const mine = byLabels(await vector(ours.url, classic));
      expect(mine).toEqual(byLabels(await vector(prom, classic)));
      expect(
        mine[
          JSON.stringify(
            Object.entries({
              __name__: 'pb_classic_seconds_bucket',
              instance: target.host,
              job: 'pb',
              le: '+Inf',
            }).sort(),
          )
        ],
      ).toBe('9');
      // Promethium reads the native histogram through its classic parts, as Prometheus 3 does without scrape_native_histograms
      expect((await vector(ours.url, 'pb_native_seconds_count')).length).toBe(1);

      // Prometheus 2.42's native histogram chunks, over remote read
      await waitFor(async () => {
        const res = await fetch(
          `${prom}/api/v1/query?query=${encodeURIComponent('count_over_time(pb_native_seconds[1m])')}`,
        );
        const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
        return Number(body.data.result[0]?.value[1] ?? 0) >= 5;
      }, 30_000);
      const now = Date.now();
      const req = encodeReadRequest({
        queries: [
          {
            startMs: now - 3_600_000,
            endMs: now + 60_000,
            matchers: [{ type: '=', name: '__name__', value: 'pb_native_seconds' }],
          },
        ],
        acceptedResponseTypes: [1],
      });
      const res = await fetch(`${prom}/api/v1/read`, {
        method: 'POST',
        body: snappy.compressSync(Buffer.from(req)),
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Read-Version': '0.1.0',
        },
      });
      expect(res.status).toBe(200);
      const series = frames(Buffer.from(await res.arrayBuffer()));
      expect(series).toHaveLength(1);
      const chunks = series[0];
      expect(chunks.length).toBeGreaterThan(0);
      let samples = 0;
      for (const c of chunks) {
        expect(c.type).toBe(2); // HISTOGRAM
        const read = HistogramChunk.fromBytes(c.data);
        const got = read.samples();
        samples += got.length;
        for (const { h } of got) {
          expect(h.schema).toBe(2);
          expect(h.positiveSpans).toEqual([
            { offset: -1, length: 2 },
            { offset: 3, length: 1 },
          ]);
          expect(h.zeroThreshold).toBe(2 ** -128);
        }
        const again = new HistogramChunk();
        again.counterResetHeader = read.counterResetHeader;
        for (const { t, h } of got) again.append(t, h);
        expect(Buffer.from(again.bytes()).toString('hex')).toBe(Buffer.from(c.data).toString('hex'));
      }
      expect(samples).toBeGreaterThanOrEqual(5);
    } finally {
      await target.close();
    }
  }, 90_000);
});
