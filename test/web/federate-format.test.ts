// /federate details in process: content negotiation of the name escaping, the four escaping schemes,
// an `instance` external label, and the API's time parameter parsing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { CounterResetHint } from '../../src/model/histogram.js';
import { Entry, ProtobufParser } from '../../src/model/exposition/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { createWebApp } from '../../src/web/app.js';
import { negotiateFederation } from '../../src/web/federate.js';
import { API_MAX_TIME_MS, API_MIN_TIME_MS, parseTime } from '../../src/web/api/v1/timestamps.js';

const NOW = 101 * 60_000;
let app: FastifyInstance;
let base: string;
let externalLabels: Record<string, string> = {};

beforeAll(async () => {
  const storage = new MemoryStorage();
  const a = storage.appender();
  a.append(0, Labels.fromRecord({ __name__: 'a.b-c', 'x.y': '1', '1st': 'v' }), NOW - 60_000, 7);
  a.append(0, Labels.fromRecord({ __name__: 'plain', instance: 'i' }), NOW - 60_000, 1);
  a.append(0, Labels.fromRecord({ __name__: 'no_instance' }), NOW - 60_000, 2);
  // native histograms: exponential buckets, and custom buckets (NHCB)
  a.appendHistogram!(0, Labels.fromRecord({ __name__: 'hexp', job: 'x' }), NOW - 30_000, undefined, {
    counterResetHint: CounterResetHint.Unknown,
    schema: 1,
    zeroThreshold: 0.001,
    zeroCount: 1,
    count: 6,
    sum: 4.5,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [2, 3],
    negativeSpans: [],
    negativeBuckets: [],
  });
  a.appendHistogram!(0, Labels.fromRecord({ __name__: 'hcb', job: 'y' }), NOW - 30_000, undefined, {
    counterResetHint: CounterResetHint.Unknown,
    schema: -53,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 10,
    sum: 3.25,
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveBuckets: [2, 5, 3],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [0.1, 1],
  });
  await a.commit();
  app = createWebApp({
    routePrefix: '/',
    enableLifecycle: false,
    corsOrigin: '.*',
    readTimeoutMs: 60_000,
    maxConnections: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    lifecycle: { isReady: () => true, reload: async () => undefined, quit: () => undefined },
    status: {
      buildInfo: { version: '1', revision: '', branch: '', buildUser: '', buildDate: '', runtimeVersion: '' },
      flags: {},
      configYaml: () => '',
      startTime: new Date(),
      lastConfigTime: () => new Date(),
      reloadConfigSuccess: () => true,
      storageRetention: '15d',
      corruptionCount: () => 0,
    },
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    federation: {
      queryable: () => storage,
      lookbackDeltaMs: 5 * 60_000,
      externalLabels: () => externalLabels,
      now: () => NOW,
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

async function federate(match: string, accept?: string): Promise<[string | null, string]> {
  const res = await fetch(`${base}/federate?match[]=${encodeURIComponent(match)}`, {
    headers: accept === undefined ? {} : { accept },
  });
  return [res.headers.get('content-type'), await res.text()];
}

describe('federation name escaping', () => {
  const utf8 = '{"a.b-c"}';
  it('escapes with underscores by default', async () => {
    expect(await federate(utf8)).toEqual([
      'text/plain; version=0.0.4; charset=utf-8; escaping=underscores',
      '# TYPE a_b_c untyped\na_b_c{_st="v",x_y="1",instance=""} 7 6000000\n',
    ]);
  });

  it('escapes with dots or values, or keeps UTF-8 quoted, as Accept asks', async () => {
    expect(await federate(utf8, 'text/plain;version=0.0.4;escaping=dots')).toEqual([
      'text/plain; version=0.0.4; charset=utf-8; escaping=dots',
      '# TYPE a_dot_b__c untyped\na_dot_b__c{__st="v",x_dot_y="1",instance=""} 7 6000000\n',
    ]);
    expect(await federate(utf8, 'text/plain;escaping=values')).toEqual([
      'text/plain; version=0.0.4; charset=utf-8; escaping=values',
      '# TYPE U__a_2e_b_2d_c untyped\nU__a_2e_b_2d_c{U___31_st="v",U__x_2e_y="1",instance=""} 7 6000000\n',
    ]);
    expect(await federate(utf8, 'text/plain;version=0.0.4;escaping=allow-utf-8')).toEqual([
      'text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8',
      '# TYPE "a.b-c" untyped\n{"a.b-c","1st"="v","x.y"="1",instance=""} 7 6000000\n',
    ]);
  });

  it('uses an instance external label only where the series has none', async () => {
    externalLabels = { instance: 'fed' };
    try {
      expect((await federate('{__name__=~"plain|no_instance"}'))[1]).toBe(
        '# TYPE no_instance untyped\nno_instance{instance="fed"} 2 6000000\n' +
          '# TYPE plain untyped\nplain{instance="i"} 1 6000000\n',
      );
    } finally {
      externalLabels = {};
    }
  });
});

describe('native histograms', () => {
  const PROTO = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

  it('in text: custom buckets as a classic histogram, exponential ones left out (Prometheus)', async () => {
    const [type, body] = await federate('{__name__=~"h.*"}');
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
    const t = NOW - 30_000;
    expect(body).toBe(
      '# TYPE hcb histogram\n' +
        `hcb_bucket{job="y",instance="",le="0.1"} 2 ${t}\n` +
        `hcb_bucket{job="y",instance="",le="1"} 7 ${t}\n` +
        `hcb_bucket{job="y",instance="",le="+Inf"} 10 ${t}\n` +
        `hcb_sum{job="y",instance=""} 3.25 ${t}\n` +
        `hcb_count{job="y",instance=""} 10 ${t}\n`,
    );
  });

  it('in protobuf when asked for: native histograms with their buckets, floats untyped', async () => {
    const res = await fetch(`${base}/federate?match[]=${encodeURIComponent('{__name__=~"h.*|plain"}')}`, {
      headers: { accept: `${PROTO};q=0.7,text/plain;version=0.0.4;q=0.3` },
    });
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores',
    );
    const p = new ProtobufParser(new Uint8Array(await res.arrayBuffer()), { nativeHistograms: true });
    const seen: string[] = [];
    for (let k = p.next(); k !== Entry.EOF; k = p.next()) {
      if (k === Entry.Type) seen.push(`type ${p.family()} ${p.metricType()}`);
      else if (k === Entry.Series) seen.push(`${p.labels().toString()} ${p.value()} @${p.timestamp()}`);
      else if (k === Entry.Histogram) {
        const x = p.histogram!();
        const h = x.fh ?? x.h!;
        seen.push(
          `${p.labels().toString()} h:${h.count}/${h.sum} schema ${h.schema} [${h.positiveBuckets}] @${p.timestamp()}`,
        );
      }
    }
    const t = NOW - 30_000;
    // (an empty label value reads as no label; the parser writes le as Prometheus 3 does)
    expect(seen).toEqual([
      'type hcb histogram',
      `hcb_count{job="y"} 10 @${t}`,
      `hcb_sum{job="y"} 3.25 @${t}`,
      `hcb_bucket{job="y", le="0.1"} 2 @${t}`,
      `hcb_bucket{job="y", le="1.0"} 7 @${t}`,
      `hcb_bucket{job="y", le="+Inf"} 10 @${t}`,
      'type hexp histogram',
      `hexp{job="x"} h:6/4.5 schema 1 [2,3] @${t}`,
      'type plain unknown',
      `plain{instance="i"} 1 @${NOW - 60_000}`,
    ]);
  });
});

describe('negotiateFederation', () => {
  it("prefers protobuf (delimited) or text by the Accept header's q values", () => {
    const proto =
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
    expect(negotiateFederation(`${proto};q=0.5,text/plain;q=0.9`).protobuf).toBe(false);
    expect(negotiateFederation(`text/plain;q=0.4,${proto};q=0.5`).protobuf).toBe(true);
    expect(negotiateFederation(proto.replace('delimited', 'text')).protobuf).toBe(false);
  });

  it('picks text and the escaping as expfmt.Negotiate does', () => {
    expect(negotiateFederation(undefined).escaping).toBe('underscores');
    expect(negotiateFederation('application/json').escaping).toBe('underscores');
    // An unknown escaping is ignored; one on a range after the chosen text/plain is not seen.
    expect(negotiateFederation('text/plain;escaping=bogus').escaping).toBe('underscores');
    expect(negotiateFederation('text/plain;version=0.0.4, text/plain;escaping=dots').escaping).toBe(
      'underscores',
    );
    // text/plain of another version is passed over.
    expect(negotiateFederation('text/plain;version=1.0.0;escaping=values').escaping).toBe('values');
  });
});

describe('parseTime', () => {
  it('reads float seconds, RFC 3339 and the boundary strings', () => {
    expect(parseTime('1.5')).toBe(1500);
    expect(parseTime('-1.25')).toBe(-1250);
    expect(parseTime('1e3')).toBe(1_000_000);
    expect(parseTime('2015-07-01T20:10:51.781Z')).toBe(Date.UTC(2015, 6, 1, 20, 10, 51, 781));
    expect(parseTime('2015-07-01T22:10:51+02:00')).toBe(Date.UTC(2015, 6, 1, 20, 10, 51));
    expect(parseTime('-292273086-05-16T16:47:06Z')).toBe(API_MIN_TIME_MS);
    expect(parseTime('292277025-08-18T07:12:54.999999999Z')).toBe(API_MAX_TIME_MS);
    expect(parseTime('yesterday')).toBeUndefined();
    expect(parseTime('2015-13-01T00:00:00Z')).toBeUndefined();
  });
});
