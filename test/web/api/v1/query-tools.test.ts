// /api/v1/format_query, parse_query, query_exemplars and metadata against a real server; metadata with a
// source is exercised through createWebApp, since scraping (its real source) is not there yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../../../src/log/logger.js';
import { createWebApp } from '../../../../src/web/app.js';
import type { MetricMetadata } from '../../../../src/web/api/v1/series.js';
import { MAX_BRACKET_NESTING, MAX_EXPR_DEPTH } from '../../../../src/promql/parser/index.js';
import {
  apiError,
  apiGet,
  apiPost,
  startApiServer,
  STANDARD_DATA,
  T0,
  type ApiServer,
} from './api-server.js';

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

describe('deep expressions', () => {
  // Every walk of an expression (evaluation, parse_query's JSON, format_query) handles the deepest
  // expression the parser accepts; deeper ones are a 400 naming the limit, answered at once.
  const chain = (n: number, term = 'up', op = ' or '): string => Array(n).fill(term).join(op);
  const TOO_DEEP = `invalid parameter "query": 1:1: parse error: expression nesting too deep: more than ${MAX_EXPR_DEPTH} nested operations (a chain of n binary operators nests n deep)`;

  it('evaluates, parses and formats the deepest accepted chain', async () => {
    const q = chain(MAX_EXPR_DEPTH);
    const res = await apiPost(srv.url, '/api/v1/query', { query: q, time: String((T0 + 60_000) / 1000) });
    expect(res.status).toBe(200);
    expect((res.body as { data: { result: unknown[] } }).data.result).toHaveLength(2);
    const sum = await apiPost(srv.url, '/api/v1/query', { query: chain(MAX_EXPR_DEPTH, '1', ' + ') });
    expect((sum.body as { data: { result: unknown[] } }).data.result[1]).toBe(String(MAX_EXPR_DEPTH));
    const parsed = await apiPost(srv.url, '/api/v1/parse_query', { query: q });
    expect(parsed.status).toBe(200);
    let node = (parsed.body as { data: { type: string; lhs?: unknown } }).data;
    let depth = 1;
    while (node.type === 'binaryExpr') {
      node = node.lhs as typeof node;
      depth++;
    }
    expect(depth).toBe(MAX_EXPR_DEPTH);
    const formatted = await apiPost(srv.url, '/api/v1/format_query', { query: chain(200) });
    expect(formatted.status).toBe(200);
    const text = (formatted.body as { data: string }).data;
    expect(text.match(/\bup\b/g)).toHaveLength(200);
    expect(text.split('\n').length).toBeGreaterThan(100);
  });

  it.each([5_000, 20_000])('refuses a %d-term chain with 400 on every endpoint', async (n) => {
    for (const endpoint of [
      '/api/v1/query',
      '/api/v1/query_range',
      '/api/v1/parse_query',
      '/api/v1/format_query',
    ]) {
      const res = await apiPost(srv.url, endpoint, {
        query: chain(n, '1', '+'),
        start: String(T0 / 1000),
        end: String(T0 / 1000 + 60),
        step: '15',
      });
      expect(res.status, endpoint).toBe(400);
      expect(res.body, endpoint).toEqual(apiError('bad_data', TOO_DEEP));
    }
  });

  it('refuses brackets nested deeper than the limit at the first one too deep', async () => {
    const n = MAX_BRACKET_NESTING;
    const ok = await apiPost(srv.url, '/api/v1/query', { query: 'abs('.repeat(n) + 'up' + ')'.repeat(n) });
    expect(ok.status).toBe(200);
    const res = await apiPost(srv.url, '/api/v1/query', {
      query: '('.repeat(n + 1) + '1' + ')'.repeat(n + 1),
    });
    expect(res.body).toEqual(
      apiError(
        'bad_data',
        `invalid parameter "query": 1:${n + 1}: parse error: expression nesting too deep: more than ${n} nested parentheses, brackets or braces`,
      ),
    );
  });
});
