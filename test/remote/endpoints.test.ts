// /api/v1/write and /api/v1/read on a running server: the remote write receiver's answers for the
// cases of prometheus/compliance's remotewrite/receiver suite (content types, encodings, corrupt
// bodies, 1.0 all-or-nothing, 2.0 Written headers and partial writes, invalid labels), and remote read
// in both response types (streamed frames checked: length, CRC-32C, Prometheus's XOR chunks).
import path from 'node:path';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import {
  decodeChunkedReadResponse,
  decodeReadResponse,
  encodeReadRequest,
  encodeWriteV1,
  encodeWriteV2,
  type WireSeries,
  type WriteRequest,
} from '../../src/remote/messages.js';
import { crc32c } from '../../src/tsdb/chunks/crc32c.js';
import { XORChunk } from '../../src/tsdb/chunks/xor.js';
import { serverFixtures, type ServerProcess } from '../support/server-process.js';

const { tmp, start } = serverFixtures('promethium-remote-endpoints-');

const V1 = 'application/x-protobuf';
const V2 = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

function series(labels: Record<string, string>, samples: Array<[number, number]>): WireSeries {
  return {
    labels: Object.entries(labels).flat(),
    samples: samples.map(([t, v]) => ({ t, v })),
    exemplars: [],
    histograms: [],
    startTimestamp: 0,
  };
}

async function post(s: ServerProcess, body: Uint8Array, headers: Record<string, string>) {
  return s.fetch('/api/v1/write', { method: 'POST', body: Buffer.from(body), headers });
}

function snap(req: WriteRequest, v2 = false): Uint8Array {
  return snappy.compressSync(Buffer.from(v2 ? encodeWriteV2(req) : encodeWriteV1(req)));
}

async function count(s: ServerProcess, q: string): Promise<number> {
  const body = (await (
    await s.fetch(`/api/v1/query?query=${encodeURIComponent(q)}&time=${Date.now() / 1000}`)
  ).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  return body.data.result.length === 0 ? 0 : Number(body.data.result[0].value[1]);
}

describe('remote write receiver', () => {
  it('answers 404 unless enabled', async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`]);
    const res = await post(s, snap({ series: [], metadata: [] }), {
      'Content-Type': V1,
      'Content-Encoding': 'snappy',
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(
      'remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n',
    );
  });

  it('answers the receiver cases with Prometheus status codes', async () => {
    const s = await start([
      `--storage.tsdb.path=${path.join(tmp(), 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
    const now = Date.now();
    const ok = snap({ series: [series({ __name__: 'single_metric', job: 'a' }, [[now, 1]])], metadata: [] });
    // content types and encodings
    expect(
      (await post(s, ok, { 'Content-Type': 'application/json', 'Content-Encoding': 'snappy' })).status,
    ).toBe(415);
    expect((await post(s, ok, { 'Content-Type': 'application/x-protobuf;proto=foo.Bar' })).status).toBe(415);
    expect((await post(s, ok, { 'Content-Type': V1, 'Content-Encoding': 'gzip' })).status).toBe(415);
    expect(
      (await post(s, new Uint8Array([1, 2, 3, 4, 5]), { 'Content-Type': V1, 'Content-Encoding': 'snappy' }))
        .status,
    ).toBe(400);
    // 1.0: accepted with 204
    expect((await post(s, ok, { 'Content-Type': V1, 'Content-Encoding': 'snappy' })).status).toBe(204);
    expect(await count(s, 'single_metric')).toBe(1);
    // 1.0 is all or nothing: an out-of-order sample rejects the request (400), its good series too
    const mixed = snap({
      series: [
        series({ __name__: 'fresh_metric' }, [[now, 1]]),
        series({ __name__: 'single_metric', job: 'a' }, [[now - 60_000, 2]]),
      ],
      metadata: [],
    });
    const bad = await post(s, mixed, { 'Content-Type': V1, 'Content-Encoding': 'snappy' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('out of order sample');
    expect(await count(s, 'fresh_metric')).toBe(0);
    // a series without a name is skipped; the rest goes in
    const unnamed = snap({
      series: [series({ job: 'x' }, [[now, 1]]), series({ __name__: 'named' }, [[now, 3]])],
      metadata: [],
    });
    expect((await post(s, unnamed, { 'Content-Type': V1, 'Content-Encoding': 'snappy' })).status).toBe(204);
    expect(await count(s, 'named')).toBe(3);
    // too far ahead: out of bounds
    const ahead = snap({ series: [series({ __name__: 'future' }, [[now + 3_600_000, 1]])], metadata: [] });
    expect((await post(s, ahead, { 'Content-Type': V1, 'Content-Encoding': 'snappy' })).status).toBe(400);
    const metrics = await (await s.fetch('/metrics')).text();
    expect(metrics).toMatch(/prometheus_api_remote_write_invalid_labels_samples_total 1/);
  });

  it('writes 2.0 requests with the Written headers, and reports partial writes with 400', async () => {
    const s = await start([
      `--storage.tsdb.path=${path.join(tmp(), 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
    const now = Date.now();
    const good = snap(
      {
        series: [
          series({ __name__: 'v2_metric', code: '200' }, [
            [now - 1000, 1],
            [now, 2],
          ]),
        ],
        metadata: [],
      },
      true,
    );
    const res = await post(s, good, { 'Content-Type': V2, 'Content-Encoding': 'snappy' });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    expect(res.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    expect(res.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('0');
    const partial = snap(
      {
        series: [
          series({ __name__: 'v2_other' }, [[now, 5]]),
          series({ __name__: 'v2_metric', code: '200' }, [[now - 5000, 9]]),
          series({ __name__: 'v2_dup', a: '1' }, []),
        ],
        metadata: [],
      },
      true,
    );
    const p = await post(s, partial, { 'Content-Type': V2, 'Content-Encoding': 'snappy' });
    expect(p.status).toBe(400);
    expect(p.headers.get('x-prometheus-remote-write-samples-written')).toBe('1');
    const text = await p.text();
    expect(text).toContain('out of order sample for series');
    expect(text).toContain('TimeSeries must contain at least one sample or histogram');
    expect(await count(s, 'v2_other')).toBe(5);
    // only the accepted messages
    const v1only = await start([
      `--storage.tsdb.path=${path.join(tmp(), 'data')}`,
      '--web.enable-remote-write-receiver',
      '--web.remote-write-receiver.accepted-protobuf-messages=prometheus.WriteRequest',
    ]);
    expect((await post(v1only, good, { 'Content-Type': V2, 'Content-Encoding': 'snappy' })).status).toBe(415);
  });
});

// The label cases of prometheus/compliance's remotewrite/receiver TestMultipleMetrics and
// TestRW1ErrorHandling: what is stored under which name, and which series a receiver must refuse.
const LABEL_CASES: Array<{ name: string; labels: Record<string, string>; stored: boolean }> = [
  { name: 'simple metric', labels: { __name__: 'simple_metric' }, stored: true },
  { name: 'multiple labels', labels: { __name__: 'multi', a: '1', b: '2', c: '3' }, stored: true },
  { name: 'newline in a value', labels: { __name__: 'nl_metric', v: 'line1\nline2' }, stored: true },
  {
    name: 'dots in the name (UTF-8 names)',
    labels: { __name__: 'dotted.metric.name', 'k.e.y': 'v' },
    stored: true,
  },
  { name: 'spaces in a value', labels: { __name__: 'space_metric', v: 'a b c' }, stored: true },
  { name: 'unicode', labels: { __name__: 'unicode_metric', ключ: 'значение 🚀' }, stored: true },
  { name: 'no __name__', labels: { job: 'nameless' }, stored: false },
  { name: 'empty name', labels: { __name__: '' }, stored: false },
];

describe('remote write receiver: native histograms', () => {
  it('stores histograms of 1.0 and 2.0 requests, counts them in the Written header, refuses invalid ones with 400', async () => {
    const s = await start([
      `--storage.tsdb.path=${path.join(tmp(), 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
    const now = Date.now();
    const hist = (t: number, count: number) => ({
      t,
      h: {
        counterResetHint: 0 as const,
        schema: 0,
        zeroThreshold: 0,
        zeroCount: 0,
        count,
        sum: count / 2,
        positiveSpans: [{ offset: 0, length: 1 }],
        negativeSpans: [],
        positiveBuckets: [count],
        negativeBuckets: [],
      },
    });
    const one = (name: string, hs: ReturnType<typeof hist>[]) => ({
      ...series({ __name__: name }, []),
      histograms: hs,
    });
    const v2 = await post(
      s,
      snap({ series: [one('hist_v2', [hist(now - 1000, 3), hist(now, 5)])], metadata: [] }, true),
      {
        'Content-Type': V2,
        'Content-Encoding': 'snappy',
      },
    );
    expect(v2.status).toBe(204);
    expect(v2.headers.get('x-prometheus-remote-write-histograms-written')).toBe('2');
    const v1 = await post(s, snap({ series: [one('hist_v1', [hist(now, 4)])], metadata: [] }), {
      'Content-Type': V1,
      'Content-Encoding': 'snappy',
    });
    expect(v1.status).toBe(204);
    const bad = hist(now, 4);
    bad.h.count = 1;
    const refused = await post(s, snap({ series: [one('hist_bad', [bad])], metadata: [] }, true), {
      'Content-Type': V2,
      'Content-Encoding': 'snappy',
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('4 observations found in buckets, but the Count field is 1');
    // read back through remote read
    const res = await s.fetch('/api/v1/read', {
      method: 'POST',
      body: snappy.compressSync(
        Buffer.from(
          encodeReadRequest({
            queries: [
              {
                startMs: now - 60_000,
                endMs: now,
                matchers: [{ type: '=~', name: '__name__', value: 'hist_.*' }],
              },
            ],
            acceptedResponseTypes: [0],
          }),
        ),
      ),
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    const got = decodeReadResponse(snappy.uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer)[0];
    expect(got.map((x) => [x.labels[1], x.histograms?.map((h) => h.h?.count)])).toEqual([
      ['hist_v1', [4]],
      ['hist_v2', [3, 5]],
    ]);
  });
});

describe('remote write receiver label cases', () => {
  it('stores valid series under their labels and refuses the others: 1.0 skips them, 2.0 answers 400', async () => {
    const s = await start([
      `--storage.tsdb.path=${path.join(tmp(), 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
    const now = Date.now();
    for (const [i, c] of LABEL_CASES.entries()) {
      const one = { series: [series(c.labels, [[now - 1000 + i, i]])], metadata: [] };
      const v1 = await post(s, snap(one), { 'Content-Type': V1, 'Content-Encoding': 'snappy' });
      expect(v1.status, c.name).toBe(204);
      const v2 = await post(s, snap({ series: [series(c.labels, [[now + i, i]])], metadata: [] }, true), {
        'Content-Type': V2,
        'Content-Encoding': 'snappy',
      });
      expect(v2.status, c.name).toBe(c.stored ? 204 : 400);
      if (!c.stored) continue;
      const selector = `{${Object.entries(c.labels)
        .map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`)
        .join(',')}}`;
      const res = (await (
        await s.fetch(`/api/v1/query?query=${encodeURIComponent(`count_over_time(${selector}[1m])`)}`)
      ).json()) as { data: { result: Array<{ value: [number, string] }> } };
      expect(
        res.data.result.map((r) => r.value[1]),
        c.name,
      ).toEqual(['2']);
    }
  });
});

describe('remote read', () => {
  it('answers SAMPLES and STREAMED_XOR_CHUNKS with the same series and samples', async () => {
    const dir = tmp();
    const s = await start([
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
    const now = Date.now();
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) samples.push([now - 300_000 + i * 1000, i * 1.5]);
    await post(s, snap({ series: [series({ __name__: 'rr_metric', job: 'j' }, samples)], metadata: [] }), {
      'Content-Type': V1,
      'Content-Encoding': 'snappy',
    });
    const query = {
      queries: [
        {
          startMs: now - 600_000,
          endMs: now,
          matchers: [{ type: '=' as const, name: '__name__', value: 'rr_metric' }],
        },
      ],
      acceptedResponseTypes: [0],
    };
    const res = await s.fetch('/api/v1/read', {
      method: 'POST',
      body: snappy.compressSync(Buffer.from(encodeReadRequest(query))),
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const sampled = decodeReadResponse(snappy.uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer);
    expect(sampled[0][0].labels).toEqual(['__name__', 'rr_metric', 'job', 'j']);
    expect(sampled[0][0].samples).toEqual(samples.map(([t, v]) => ({ t, v })));

    const streamed = await s.fetch('/api/v1/read', {
      method: 'POST',
      body: snappy.compressSync(Buffer.from(encodeReadRequest({ ...query, acceptedResponseTypes: [1, 0] }))),
    });
    expect(streamed.headers.get('content-type')).toBe(
      'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse',
    );
    const buf = Buffer.from(await streamed.arrayBuffer());
    // frames: uvarint length, big-endian CRC-32C of the data, the data
    let pos = 0;
    const got: Array<[number, number]> = [];
    while (pos < buf.length) {
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = buf[pos++];
        len |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      const crc = buf.readUInt32BE(pos);
      const data = buf.subarray(pos + 4, pos + 4 + len);
      pos += 4 + len;
      expect(crc32c(data) >>> 0).toBe(crc);
      const msg = decodeChunkedReadResponse(data);
      expect(msg.queryIndex).toBe(0);
      for (const cs of msg.series) {
        expect(cs.labels).toEqual(['__name__', 'rr_metric', 'job', 'j']);
        for (const c of cs.chunks) {
          expect(c.type).toBe(1);
          const it = XORChunk.fromBytes(c.data).iterator();
          while (it.next()) got.push([it.at(), it.value()]);
        }
      }
    }
    expect(got).toEqual(samples);
  });
});
