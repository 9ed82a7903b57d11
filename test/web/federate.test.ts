// /federate on the real server: latest samples within the lookback delta, stale and old series left
// out, external labels added, families grouped by name, name escaping negotiated, gzip, route prefix.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/value.js';
import { Entry, ProtobufParser } from '../../src/model/exposition/index.js';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import { rawRequest, seedTSDB, tempDir } from './support.js';

const dirs: string[] = [];
let server: ServerProcess;
let base: string;
// Whole seconds: what the TSDB stores and /federate prints back is in ms.
const T = Math.floor(Date.now() / 1000) * 1000;
const M = 60_000;

beforeAll(async () => {
  requireBuilt();
  const dir = tempDir(dirs);
  const data = path.join(dir, 'data');
  await seedTSDB(data, [
    { labels: { __name__: 'test_metric1', foo: 'bar', instance: 'i' }, t: T - 2 * M, v: 0 },
    { labels: { __name__: 'test_metric1', foo: 'bar', instance: 'i' }, t: T - M, v: 10000 },
    { labels: { __name__: 'test_metric1', foo: 'boo', instance: 'i' }, t: T - M, v: 1 },
    { labels: { __name__: 'test_metric2', foo: 'boo', instance: 'i' }, t: T - M, v: 1 },
    { labels: { __name__: 'test_metric_without_labels' }, t: T - M, v: 1001 },
    { labels: { __name__: 'test_metric_stale' }, t: T - 2 * M, v: 1 },
    { labels: { __name__: 'test_metric_stale' }, t: T - M, v: STALE_NAN },
    // Within the 5m lookback, at its own older timestamp.
    { labels: { __name__: 'test_metric_old' }, t: T - 2.5 * M, v: 981 },
    // Beyond the lookback: not federated.
    { labels: { __name__: 'test_metric_too_old' }, t: T - 10 * M, v: 5 },
    { labels: { __name__: 'my.dotted.metric', 'label.with.dot': 'x', instance: 'i' }, t: T - M, v: 0.5 },
    { labels: { __name__: 'test_special', instance: 'i', q: 'a"b\\c\nd' }, t: T - M, v: -Infinity },
  ]);
  const cfg = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(cfg, 'global:\n  external_labels:\n    foo: baz\n    zone: ie\nscrape_configs: []\n');
  server = await startServer([
    `--storage.tsdb.path=${data}`,
    `--config.file=${cfg}`,
    '--web.route-prefix=/fed',
  ]);
  base = `${server.url}/fed`;
});

afterAll(async () => {
  await server?.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function federate(params: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/federate?${params}`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const TEXT = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';

describe('/federate', () => {
  it('answers the latest sample of one metric with the external labels added', async () => {
    expect(await federate('match[]=test_metric1')).toEqual({
      status: 200,
      type: TEXT,
      body:
        '# TYPE test_metric1 untyped\n' +
        `test_metric1{foo="bar",instance="i",zone="ie"} 10000 ${T - M}\n` +
        `test_metric1{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n`,
    });
  });

  it('merges several match[] (overlaps once), groups by name, leaves stale and old series out', async () => {
    const all = await federate(`match[]=${encodeURIComponent('{__name__=~".+"}')}&match[]=test_metric2`);
    expect(all.status).toBe(200);
    expect(all.body).toBe(
      '# TYPE my_dotted_metric untyped\n' +
        `my_dotted_metric{instance="i",label_with_dot="x",foo="baz",zone="ie"} 0.5 ${T - M}\n` +
        '# TYPE test_metric1 untyped\n' +
        `test_metric1{foo="bar",instance="i",zone="ie"} 10000 ${T - M}\n` +
        `test_metric1{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n` +
        '# TYPE test_metric2 untyped\n' +
        `test_metric2{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n` +
        '# TYPE test_metric_old untyped\n' +
        `test_metric_old{foo="baz",instance="",zone="ie"} 981 ${T - 2.5 * M}\n` +
        '# TYPE test_metric_without_labels untyped\n' +
        `test_metric_without_labels{foo="baz",instance="",zone="ie"} 1001 ${T - M}\n` +
        '# TYPE test_special untyped\n' +
        `test_special{instance="i",q="a\\"b\\\\c\\nd",foo="baz",zone="ie"} -Inf ${T - M}\n`,
    );
  });

  it('matches on labels only, and nothing for a stale series', async () => {
    expect((await federate(`match[]=${encodeURIComponent("{foo='boo'}")}`)).body).toBe(
      '# TYPE test_metric1 untyped\n' +
        `test_metric1{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n` +
        '# TYPE test_metric2 untyped\n' +
        `test_metric2{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n`,
    );
    expect(await federate('match[]=test_metric_stale')).toEqual({ status: 200, type: TEXT, body: '' });
    expect(await federate('match[]=test_metric_too_old')).toEqual({ status: 200, type: TEXT, body: '' });
  });

  it('answers an empty 200 without match[], and 400 in plain text for a bad selector', async () => {
    expect(await federate('')).toEqual({ status: 200, type: TEXT, body: '' });
    expect(await federate('match[]=not-a-valid-metric-name')).toEqual({
      status: 400,
      type: 'text/plain; charset=utf-8',
      body: '1:4: parse error: unexpected <op:->\n',
    });
    expect(await federate('match[]=-not-a-valid-metric-name')).toEqual({
      status: 400,
      type: 'text/plain; charset=utf-8',
      body: '1:1: parse error: unexpected <op:->\n',
    });
  });

  it('keeps UTF-8 names when the client asks for escaping=allow-utf-8', async () => {
    const match = `match[]=${encodeURIComponent('{"my.dotted.metric"}')}`;
    expect(
      await federate(match, {
        accept: 'text/plain;version=0.0.4;escaping=allow-utf-8,application/json;q=0.5',
      }),
    ).toEqual({
      status: 200,
      type: 'text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8',
      body:
        '# TYPE "my.dotted.metric" untyped\n' +
        `{"my.dotted.metric",instance="i","label.with.dot"="x",foo="baz",zone="ie"} 0.5 ${T - M}\n`,
    });
    // a client preferring protobuf gets it (as from Prometheus), with the escaping of its range
    const res = await fetch(`${base}/federate?${match}`, {
      headers: {
        accept:
          'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8,text/plain;version=0.0.4;q=0.5',
      },
    });
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8',
    );
    const p = new ProtobufParser(new Uint8Array(await res.arrayBuffer()));
    const got: string[] = [];
    for (let k = p.next(); k !== Entry.EOF; k = p.next())
      if (k === Entry.Series) got.push(`${p.labels().toString()} ${p.value()} ${p.timestamp()}`);
    expect(got).toEqual([
      `{"my.dotted.metric", foo="baz", instance="i", "label.with.dot"="x", zone="ie"} 0.5 ${T - M}`,
    ]);
  });

  it('gzips the answer for a client that accepts gzip, and not otherwise', async () => {
    const zipped = await rawRequest(`${base}/federate?match[]=test_metric2`, { 'accept-encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(zipped.body).toString('utf8')).toBe(
      '# TYPE test_metric2 untyped\n' + `test_metric2{foo="boo",instance="i",zone="ie"} 1 ${T - M}\n`,
    );
    const plain = await rawRequest(`${base}/federate?match[]=test_metric2`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('test_metric2{');
  });

  it('lives under the route prefix only', async () => {
    expect((await fetch(`${server.url}/federate?match[]=test_metric2`)).status).toBe(404);
  });
});
