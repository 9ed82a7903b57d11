// /api/v1/format_query, parse_query, query_exemplars and metadata against a real server; metadata with a
// source is exercised through createWebApp, since scraping (its real source) is not there yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../../../src/log/logger.js';
import { createWebApp } from '../../../../src/web/app.js';
import type { MetricMetadata } from '../../../../src/web/api/v1/series.js';
import { apiError, apiGet, apiPost, startApiServer, STANDARD_DATA, type ApiServer } from './api-server.js';

let srv: ApiServer;
beforeAll(async () => {
  srv = await startApiServer(STANDARD_DATA);
});
afterAll(async () => {
  await srv?.stop();
});

describe('/api/v1/format_query', () => {
  it('prints the query in canonical form', async () => {
    const res = await apiGet(srv.url, '/api/v1/format_query', {
      query: 'sum(rate(foo{b="2",a="1"}[5m])) by(job)',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', data: 'sum by (job) (rate(foo{a="1",b="2"}[5m]))' });
  });

  it('splits queries longer than 100 characters (POST)', async () => {
    const query =
      'sum by (job) (rate(http_requests_total{code=~"5..",job="api-server"}[5m])) / sum by (job) (rate(http_requests_total{job="api-server"}[5m]))';
    const res = await apiPost(srv.url, '/api/v1/format_query', { query });
    expect(res.body).toEqual({
      status: 'success',
      data:
        '  sum by (job) (rate(http_requests_total{code=~"5..",job="api-server"}[5m]))\n' +
        '/\n' +
        '  sum by (job) (rate(http_requests_total{job="api-server"}[5m]))',
    });
  });

  it('rejects a query that does not parse', async () => {
    const res = await apiGet(srv.url, '/api/v1/format_query', { query: 'up +' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      apiError('bad_data', 'invalid parameter "query": 1:5: parse error: unexpected end of input'),
    );
  });
});

describe('/api/v1/parse_query', () => {
  it('answers the syntax tree in Prometheus 3’s shape', async () => {
    const res = await apiGet(srv.url, '/api/v1/parse_query', {
      query:
        'topk(3, rate(foo{a="b"}[5m] offset 1m @ 100)) > bool on(job) group_left(x) -max_over_time(bar[10m:1m] @ start() offset -5m)',
    });
    const bar = {
      type: 'vectorSelector',
      name: 'bar',
      offset: 0,
      matchers: [{ name: '__name__', type: '=', value: 'bar' }],
      timestamp: null,
      startOrEnd: null,
    };
    expect(res.body).toEqual({
      status: 'success',
      data: {
        type: 'binaryExpr',
        op: '>',
        bool: true,
        matching: { card: 'many-to-one', labels: ['job'], on: true, include: ['x'] },
        lhs: {
          type: 'aggregation',
          op: 'topk',
          grouping: [],
          without: false,
          param: { type: 'numberLiteral', val: '3' },
          expr: {
            type: 'call',
            func: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector' },
            args: [
              {
                type: 'matrixSelector',
                name: 'foo',
                range: 300000,
                offset: 60000,
                matchers: [
                  { name: 'a', type: '=', value: 'b' },
                  { name: '__name__', type: '=', value: 'foo' },
                ],
                timestamp: 100000,
                startOrEnd: null,
              },
            ],
          },
        },
        rhs: {
          type: 'unaryExpr',
          op: '-',
          expr: {
            type: 'call',
            func: { name: 'max_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector' },
            args: [
              {
                type: 'subquery',
                expr: bar,
                range: 600000,
                offset: -300000,
                step: 60000,
                timestamp: null,
                startOrEnd: 'start',
              },
            ],
          },
        },
      },
    });
  });

  it('rejects a query that does not parse', async () => {
    const res = await apiPost(srv.url, '/api/v1/parse_query', { query: 'foo{' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      apiError(
        'bad_data',
        'invalid parameter "query": 1:5: parse error: unexpected end of input inside braces',
      ),
    );
  });
});

describe('/api/v1/query_exemplars', () => {
  it('answers [] as Prometheus does with exemplar storage disabled', async () => {
    const res = await apiGet(srv.url, '/api/v1/query_exemplars', { query: 'up', start: '0', end: '10' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', data: [] });
  });

  it('answers 204 No Content for a query without selectors', async () => {
    const res = await apiGet(srv.url, '/api/v1/query_exemplars', { query: '1 + 1' });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  it('rejects bad parameters', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [
        { query: 'up', start: 'x' },
        `invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp`,
      ],
      [{ query: 'up', start: '10', end: '5' }, 'end timestamp must not be before start timestamp'],
      [{ query: 'up{' }, '1:4: parse error: unexpected end of input inside braces'],
    ];
    for (const [params, message] of cases) {
      const res = await apiGet(srv.url, '/api/v1/query_exemplars', params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    }
  });
});

describe('/api/v1/metadata', () => {
  it('answers {} while there are no targets', async () => {
    const res = await apiGet(srv.url, '/api/v1/metadata');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', data: {} });
  });

  it('rejects a limit that is not a number', async () => {
    const bad = await apiGet(srv.url, '/api/v1/metadata', { limit: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(apiError('bad_data', 'limit must be a number'));
    const badPer = await apiGet(srv.url, '/api/v1/metadata', { limit_per_metric: '1.5' });
    expect(badPer.body).toEqual(apiError('bad_data', 'limit_per_metric must be a number'));
  });

  describe('with a metadata source', () => {
    let app: FastifyInstance;
    let url: string;
    const entries: MetricMetadata[] = [
      { metric: 'up', type: 'gauge', help: 'Target up.', unit: '' },
      { metric: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
      { metric: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
      { metric: 'http_requests_total', type: 'counter', help: 'All requests.', unit: '' },
      { metric: 'go_gc_seconds', type: 'summary', help: 'GC.', unit: 'seconds' },
    ];
    beforeAll(async () => {
      app = createWebApp({
        routePrefix: '/',
        enableLifecycle: false,
        corsOrigin: '.*',
        readTimeoutMs: 60_000,
        maxConnections: 0,
        logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
        lifecycle: { isReady: () => true, reload: async () => undefined, quit: () => undefined },
        status: {
          buildInfo: {
            version: '0',
            revision: '',
            branch: '',
            buildUser: '',
            buildDate: '',
            runtimeVersion: '',
          },
          flags: {},
          configYaml: () => '',
          startTime: new Date(0),
          lastConfigTime: () => new Date(0),
          reloadConfigSuccess: () => true,
          storageRetention: '15d',
          corruptionCount: () => 0,
        },
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
        metadata: { listMetadata: () => entries },
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await app?.close();
    });

    it('groups distinct metadata per metric', async () => {
      expect((await apiGet(url, '/api/v1/metadata')).body).toEqual({
        status: 'success',
        data: {
          go_gc_seconds: [{ type: 'summary', help: 'GC.', unit: 'seconds' }],
          http_requests_total: [
            { type: 'counter', help: 'Requests.', unit: '' },
            { type: 'counter', help: 'All requests.', unit: '' },
          ],
          up: [{ type: 'gauge', help: 'Target up.', unit: '' }],
        },
      });
    });

    it('honours metric, limit and limit_per_metric', async () => {
      expect((await apiGet(url, '/api/v1/metadata', { metric: 'up' })).body).toEqual({
        status: 'success',
        data: { up: [{ type: 'gauge', help: 'Target up.', unit: '' }] },
      });
      const limited = await apiGet(url, '/api/v1/metadata', { limit: '1', limit_per_metric: '1' });
      expect(Object.keys((limited.body as { data: object }).data)).toHaveLength(1);
      const perMetric = await apiGet(url, '/api/v1/metadata', {
        metric: 'http_requests_total',
        limit_per_metric: '1',
      });
      expect(perMetric.body).toEqual({
        status: 'success',
        data: { http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }] },
      });
      expect((await apiGet(url, '/api/v1/metadata', { limit: '0' })).body).toEqual({
        status: 'success',
        data: {},
      });
    });

    it('answers the query API with 503 while there is no storage', async () => {
      const res = await apiGet(url, '/api/v1/query', { query: 'up' });
      expect(res.status).toBe(503);
      expect(res.body).toEqual(apiError('unavailable', 'TSDB not ready'));
    });
  });
});
