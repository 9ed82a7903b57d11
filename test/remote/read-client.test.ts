// The remote_read client's rules (Prometheus's storage/remote read path), against an endpoint on
// 127.0.0.1 that records what it is asked: required_matchers gate the endpoint, read_recent=false stops
// at the oldest local sample, filter_external_labels adds them as matchers and strips them from the
// answer, and remote series merge with local ones.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { decodeReadRequest, encodeReadResponse, type ReadQuery } from '../../src/remote/messages.js';
import { RemoteReadQueryable, type RemoteReadSpec } from '../../src/remote/read-queryable.js';
import { MemoryStorage } from '../../src/storage/memory.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function endpoint(): Promise<{ url: string; asked: ReadQuery[] }> {
  const asked: ReadQuery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const rr = decodeReadRequest(snappy.uncompressSync(Buffer.concat(chunks)) as Buffer);
      asked.push(...rr.queries);
      const body = encodeReadResponse([
        [
          {
            labels: ['__name__', 'm', 'job', 'remote', 'site', 'a'],
            samples: [
              { t: 1000, v: 1 },
              { t: 2000, v: 2 },
            ],
          },
        ],
      ]);
      res
        .writeHead(200, { 'Content-Type': 'application/x-protobuf' })
        .end(snappy.compressSync(Buffer.from(body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/read`, asked };
}

function spec(url: string, o: Partial<RemoteReadSpec> = {}): RemoteReadSpec {
  return {
    url,
    name: 'r',
    timeoutMs: 5000,
    headers: {},
    readRecent: true,
    requiredMatchers: {},
    externalLabels: { site: 'a' },
    // the HTTP client options of a remote_read entry, as prometheus.yml loads them
    http: parseConfig(`remote_read:\n  - url: ${url}\n`, '/tmp/prometheus.yml', '/tmp').remote_read[0],
    ...o,
  };
}

async function select(q: RemoteReadQueryable, matchers: Matcher[], mint: number, maxt: number) {
  await q.prepare([{ matchers, mint, maxt }]);
  const querier = q.querier(mint, maxt);
  return [...querier.select(matchers)].map((s) => ({
    labels: s.labels.toString(),
    t: Array.from(s.samples().t),
  }));
}

describe('remote_read client', () => {
  it('adds external labels as matchers, strips them from answers, and merges with local series', async () => {
    const ep = await endpoint();
    const local = new MemoryStorage();
    local.add(Labels.fromRecord({ __name__: 'm', job: 'local' }), [[1500, 5]]);
    const q = new RemoteReadQueryable(local, [spec(ep.url)], 0);
    const m = [new Matcher('=', '__name__', 'm')];
    expect(await select(q, m, 0, 3000)).toEqual([
      { labels: 'm{job="local"}', t: [1500] },
      { labels: 'm{job="remote"}', t: [1000, 2000] },
    ]);
    expect(ep.asked[0].matchers).toEqual([
      { type: '=', name: '__name__', value: 'm' },
      { type: '=', name: 'site', value: 'a' },
    ]);
  });

  it('asks only when the required matchers are in the select, and before local data without read_recent', async () => {
    const ep = await endpoint();
    const local = new MemoryStorage();
    const gated = new RemoteReadQueryable(local, [spec(ep.url, { requiredMatchers: { job: 'remote' } })], 0);
    await select(gated, [new Matcher('=', '__name__', 'm')], 0, 3000);
    expect(ep.asked).toEqual([]);
    await select(gated, [new Matcher('=', '__name__', 'm'), new Matcher('=', 'job', 'remote')], 0, 3000);
    expect(ep.asked).toHaveLength(1);
    const old = new RemoteReadQueryable(local, [spec(ep.url, { readRecent: false })], 2500);
    await select(old, [new Matcher('=', '__name__', 'm')], 0, 3000);
    expect(ep.asked[1]).toMatchObject({ startMs: 0, endMs: 2500 });
    const recentOnly = new RemoteReadQueryable(local, [spec(ep.url, { readRecent: false })], 500);
    await select(recentOnly, [new Matcher('=', '__name__', 'm')], 1000, 3000);
    expect(ep.asked).toHaveLength(2);
  });
});
