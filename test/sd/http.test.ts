// http_sd_configs against a local HTTP server, through the HTTP client cli/ injects (scrape's
// HttpClient): the targets the consumer sees on success, failures, bad answers and shrinking lists.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/scrape/http-client.js';
import { scrapeDiscoveryConfigs } from '../../src/sd/discoverers.js';
import { DiscoveryManager } from '../../src/sd/manager.js';
import { RecordingConsumer, Registry, config, eventually, metricValue, testLogger } from './support.js';

interface Answer {
  status?: number;
  contentType?: string;
  body: string;
}

let server: http.Server | undefined;
let manager: DiscoveryManager | undefined;

afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function start(extraYaml = '') {
  let answer: Answer = { body: '[]' };
  const requests: http.IncomingHttpHeaders[] = [];
  server = http.createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(answer.status ?? 200, { 'Content-Type': answer.contentType ?? 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sd`;
  const registry = new Registry();
  const consumer = new RecordingConsumer();
  const { logger, lines } = testLogger();
  const cfg = config(`
scrape_configs:
  - job_name: web
    http_sd_configs:
      - url: ${url}
        refresh_interval: 50ms
${extraYaml}
`);
  manager = new DiscoveryManager({
    logger,
    registry,
    consumer: consumer.consume,
    updateIntervalMs: 20,
    httpClient: (c) => new HttpClient(c, { userAgent: 'Promethium/test' }),
    userAgent: 'Promethium/test',
  });
  return {
    url,
    registry,
    consumer,
    lines,
    requests,
    answer: (a: Answer) => (answer = a),
    apply: () => manager!.applyConfig(scrapeDiscoveryConfigs(cfg)),
  };
}

const failures = (registry: Registry) => metricValue(registry, 'prometheus_sd_http_failures_total');

describe('http_sd_configs', () => {
  it('discovers targets with __meta_url and sends Prometheus headers and the configured auth', async () => {
    const t = await start(`        basic_auth:
          username: sd
          password: s3cret`);
    t.answer({
      body: JSON.stringify([
        { targets: ['a:9100', 'b:9100'], labels: { env: 'prod' } },
        { targets: ['c:9100'], labels: null },
      ]),
      contentType: 'application/json; charset=utf-8',
    });
    await t.apply();
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['a:9100', 'b:9100', 'c:9100']));
    expect(t.consumer.targets('web')).toEqual([
      { __address__: 'a:9100', __meta_url: t.url, env: 'prod' },
      { __address__: 'b:9100', __meta_url: t.url, env: 'prod' },
      { __address__: 'c:9100', __meta_url: t.url },
    ]);
    expect(t.consumer.latest.get('web')!.map((g) => g.source)).toEqual([`${t.url}:0`, `${t.url}:1`]);
    const headers = t.requests[0];
    expect(headers.accept).toBe('application/json');
    expect(headers['user-agent']).toBe('Promethium/test');
    expect(headers['x-prometheus-refresh-interval-seconds']).toBe('0.05');
    expect(headers.authorization).toBe(`Basic ${Buffer.from('sd:s3cret').toString('base64')}`);
  });

  it('keeps the last groups when the endpoint fails, counting and logging each failure', async () => {
    const t = await start();
    t.answer({ body: JSON.stringify([{ targets: ['a:1'] }]) });
    await t.apply();
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['a:1']));
    expect(await failures(t.registry)).toBe(0);

    t.answer({ status: 500, body: 'oops' });
    await eventually(async () => expect(await failures(t.registry)).toBeGreaterThanOrEqual(2));
    expect(
      t.lines.some(
        (l) => l.includes('msg="Unable to refresh target groups"') && l.includes('500 Internal Server Error'),
      ),
    ).toBe(true);
    expect(
      await metricValue(t.registry, 'prometheus_sd_refresh_failures_total', {
        mechanism: 'http',
        config: 'web',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(manager!.providerStatus()[0].lastError).toBe(
      'server returned HTTP status 500 Internal Server Error',
    );
    expect(t.consumer.addresses('web')).toEqual(['a:1']);

    t.answer({ body: JSON.stringify([{ targets: ['b:1'] }]) });
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['b:1']));
  });

  it('keeps the last groups on bad JSON, a bad target group or a wrong content type', async () => {
    const t = await start();
    t.answer({ body: JSON.stringify([{ targets: ['a:1'] }]) });
    await t.apply();
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['a:1']));

    const bad: Answer[] = [
      { body: '[{"targets": ["b:1"]' },
      { body: '[{"targets": ["b:1"], "extra": 1}]' },
      { body: '[null]' },
      { body: JSON.stringify([{ targets: ['b:1'] }]), contentType: 'text/plain' },
    ];
    for (const answer of bad) {
      const before = (await failures(t.registry)) ?? 0;
      t.answer(answer);
      await eventually(async () => expect(await failures(t.registry)).toBeGreaterThan(before));
      expect(t.consumer.addresses('web')).toEqual(['a:1']);
    }
    expect(t.lines.some((l) => l.includes('unsupported content type \\"text/plain\\"'))).toBe(true);

    t.answer({ body: JSON.stringify([{ targets: ['c:1'] }]) });
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['c:1']));
  });

  it('removes groups that disappear from the answer', async () => {
    const t = await start();
    t.answer({ body: JSON.stringify([{ targets: ['a:1'] }, { targets: ['b:1'] }, { targets: ['c:1'] }]) });
    await t.apply();
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['a:1', 'b:1', 'c:1']));
    t.answer({ body: JSON.stringify([{ targets: ['a:1'] }]) });
    await eventually(() => expect(t.consumer.addresses('web')).toEqual(['a:1']));
    t.answer({ body: '[]' });
    await eventually(() => expect(t.consumer.addresses('web')).toEqual([]));
    expect(t.consumer.latest.get('web')).toEqual([]);
  });
});
