// /api/v1/query and /api/v1/query_range against a real server over a pre-filled TSDB: full JSON bodies,
// and every bad parameter's status, errorType and message as Prometheus words them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const UP_PROM = { __name__: 'up', instance: 'localhost:9090', job: 'prometheus' };
const UP_NODE = { __name__: 'up', instance: 'localhost:9100', job: 'node' };
const T0S = T0 / 1000;

function vector(result: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { status: 'success', data: { resultType: 'vector', result }, ...extra };
}

describe('/api/v1/query', () => {
  it('evaluates an instant vector at an RFC 3339 time (GET)', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'up', time: '2015-07-01T20:10:51.781Z' });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body).toEqual(
      vector([
        { metric: UP_PROM, value: [1435781451.781, '1'] },
        { metric: UP_NODE, value: [1435781451.781, '0'] },
      ]),
    );
  });

  it('takes the parameters from a urlencoded POST body, time as Unix seconds', async () => {
    const res = await apiPost(srv.url, '/api/v1/query', { query: 'up{job="node"}', time: '1435781451.781' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(vector([{ metric: UP_NODE, value: [1435781451.781, '0'] }]));
  });

  it('answers scalars, strings and range vectors', async () => {
    const time = String(T0S + 30);
    expect((await apiGet(srv.url, '/api/v1/query', { query: '1 + 1', time })).body).toEqual({
      status: 'success',
      data: { resultType: 'scalar', result: [T0S + 30, '2'] },
    });
    expect((await apiGet(srv.url, '/api/v1/query', { query: '"hello"', time })).body).toEqual({
      status: 'success',
      data: { resultType: 'string', result: [T0S + 30, 'hello'] },
    });
    expect((await apiGet(srv.url, '/api/v1/query', { query: 'up{job="node"}[30s]', time })).body).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: UP_NODE,
            values: [
              [T0S + 15, '0'],
              [T0S + 30, '0'],
            ],
          },
        ],
      },
    });
  });

  it('writes values as Prometheus does: NaN, ±Inf, exponents below 1e-6 and from 1e21', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'odd_value', time: String(T0S) });
    const m = (kind: string): Record<string, string> => ({ __name__: 'odd_value', kind });
    expect(res.body).toEqual(
      vector([
        { metric: m('frac'), value: [T0S, '0.1'] },
        { metric: m('huge'), value: [T0S, '1e+21'] },
        { metric: m('inf'), value: [T0S, '+Inf'] },
        { metric: m('nan'), value: [T0S, 'NaN'] },
        { metric: m('ninf'), value: [T0S, '-Inf'] },
        { metric: m('tiny'), value: [T0S, '1.5e-07'] },
      ]),
    );
  });

  it('computes functions over the stored samples', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', {
      query: 'sum by (method) (increase(http_requests_total[2m]))',
      time: String(T0S + 300),
    });
    // GET goes up 10 per 15 s, POST 1 per 15 s: 8 intervals in the window, extrapolated to 2m.
    expect(res.body).toEqual(
      vector([
        { metric: { method: 'GET' }, value: [T0S + 300, '80'] },
        { metric: { method: 'POST' }, value: [T0S + 300, '8'] },
      ]),
    );
  });

  it('truncates to `limit` series with a warning', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'up', time: String(T0S), limit: '1' });
    expect(res.body).toEqual(
      vector([{ metric: UP_PROM, value: [T0S, '1'] }], { warnings: ['results truncated due to limit'] }),
    );
    const unlimited = await apiGet(srv.url, '/api/v1/query', { query: 'up', time: String(T0S), limit: '0' });
    expect((unlimited.body as { data: { result: unknown[] } }).data.result).toHaveLength(2);
  });

  it('passes the engine’s annotations on as warnings', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'quantile(2, up)', time: String(T0S) });
    expect(res.body).toEqual(
      vector([{ metric: {}, value: [T0S, '+Inf'] }], {
        warnings: ['PromQL warning: quantile value should be between 0 and 1, got 2'],
      }),
    );
  });

  it('adds statistics in Prometheus’s shape with `stats`', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'up', time: String(T0S + 60), stats: 'all' });
    const seconds = expect.any(Number);
    expect(res.body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: UP_PROM, value: [T0S + 60, '1'] },
          { metric: UP_NODE, value: [T0S + 60, '0'] },
        ],
        stats: {
          timings: {
            evalTotalTime: seconds,
            resultSortTime: seconds,
            queryPreparationTime: seconds,
            innerEvalTime: seconds,
            execQueueTime: seconds,
            execTotalTime: seconds,
          },
          samples: { totalQueryableSamples: expect.any(Number), peakSamples: expect.any(Number) },
        },
      },
    });
  });

  it('evaluates at the current time when `time` is missing', async () => {
    const before = Date.now() / 1000;
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'time()' });
    const after = Date.now() / 1000;
    const [t, v] = (res.body as { data: { result: [number, string] } }).data.result;
    expect(t).toBeGreaterThanOrEqual(Math.floor(before * 1000) / 1000);
    expect(t).toBeLessThanOrEqual(after);
    expect(Number(v)).toBe(t);
  });

  it('answers an execution error with 422', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', {
      query: 'label_replace(label_replace(up, "job", "x", "", ""), "instance", "y", "", "")',
      time: String(T0S),
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(apiError('execution', 'vector cannot contain metrics with the same labelset'));
  });

  it('writes <, > and & in JSON as Go does (\\u003c …), so an error text stays inert in HTML', async () => {
    const res = await fetch(`${srv.url}/api/v1/query?query=${encodeURIComponent('up <> 1 &')}`);
    expect(res.status).toBe(400);
    const raw = await res.text();
    expect(raw).not.toMatch(/[<>&]/);
    expect(raw).toContain('\\u003c');
    expect((JSON.parse(raw) as { error: string }).error).toContain('<');
  });

  it('times out in the queue when the deadline has already passed (timeout=0)', async () => {
    const res = await apiGet(srv.url, '/api/v1/query', { query: 'up', time: String(T0S), timeout: '0' });
    expect(res.status).toBe(503);
    expect(res.body).toEqual(apiError('timeout', 'query timed out in query queue'));
  });

  const badParams: Array<[Record<string, string>, string]> = [
    [
      { query: 'up', time: 'abc' },
      `invalid parameter "time": invalid time value for 'time': cannot parse "abc" to a valid timestamp`,
    ],
    [
      { query: 'up', time: '2015-13-01T00:00:00Z' },
      `invalid parameter "time": invalid time value for 'time': cannot parse "2015-13-01T00:00:00Z" to a valid timestamp`,
    ],
    [
      { query: 'up', timeout: 'soon' },
      'invalid parameter "timeout": cannot parse "soon" to a valid duration',
    ],
    [
      { query: 'up', timeout: '1e300' },
      'invalid parameter "timeout": cannot parse "1e300" to a valid duration. It overflows int64',
    ],
    [{ query: 'up', limit: 'abc' }, 'invalid parameter "limit": strconv.Atoi: parsing "abc": invalid syntax'],
    [{ query: 'up', limit: '-1' }, 'invalid parameter "limit": limit must be non-negative'],
    [
      { query: 'up', lookback_delta: 'x' },
      'error parsing lookback delta duration: cannot parse "x" to a valid duration',
    ],
    [{ query: 'up +' }, 'invalid parameter "query": 1:5: parse error: unexpected end of input'],
    [{}, 'invalid parameter "query": unknown position: parse error: no expression found in input'],
  ];
  for (const [params, message] of badParams) {
    it(`rejects ${JSON.stringify(params)}`, async () => {
      const res = await apiGet(srv.url, '/api/v1/query', params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    });
  }
});

describe('/api/v1/query_range', () => {
  const range = { start: String(T0S), end: String(T0S + 60), step: '30s' };
  const upMatrix = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: UP_PROM,
          values: [
            [T0S, '1'],
            [T0S + 30, '1'],
            [T0S + 60, '1'],
          ],
        },
        {
          metric: UP_NODE,
          values: [
            [T0S, '0'],
            [T0S + 30, '0'],
            [T0S + 60, '0'],
          ],
        },
      ],
    },
  };

  it('evaluates over a range (GET and POST, step as a duration or float seconds)', async () => {
    expect((await apiGet(srv.url, '/api/v1/query_range', { query: 'up', ...range })).body).toEqual(upMatrix);
    expect(
      (await apiPost(srv.url, '/api/v1/query_range', { query: 'up', ...range, step: '30' })).body,
    ).toEqual(upMatrix);
    const rfc = { start: '2015-07-01T20:10:00Z', end: '2015-07-01T22:11:00+02:00', step: '30.0' };
    expect((await apiGet(srv.url, '/api/v1/query_range', { query: 'up', ...rfc })).body).toEqual(upMatrix);
  });

  it('answers scalar queries as a matrix without labels', async () => {
    const res = await apiGet(srv.url, '/api/v1/query_range', {
      query: 'scalar(up{job="node"}) + 1',
      ...range,
    });
    expect(res.body).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [T0S, '1'],
              [T0S + 30, '1'],
              [T0S + 60, '1'],
            ],
          },
        ],
      },
    });
  });

  it('truncates to `limit` series with a warning', async () => {
    const res = await apiGet(srv.url, '/api/v1/query_range', { query: 'up', ...range, limit: '1' });
    expect(res.body).toEqual({
      ...upMatrix,
      data: { resultType: 'matrix', result: [upMatrix.data.result[0]] },
      warnings: ['results truncated due to limit'],
    });
  });

  it('adds statistics with `stats`', async () => {
    const res = await apiGet(srv.url, '/api/v1/query_range', { query: 'up', ...range, stats: '1' });
    const data = (res.body as { data: { stats: { samples: Record<string, unknown> } } }).data;
    expect(Object.keys(data)).toEqual(['resultType', 'result', 'stats']);
    expect(Object.keys(data.stats)).toEqual(['timings', 'samples']);
    expect(data.stats.samples).toEqual({
      totalQueryableSamples: expect.any(Number),
      peakSamples: expect.any(Number),
    });
  });

  const badParams: Array<[Record<string, string>, string]> = [
    [{ query: 'up', end: '1', step: '1' }, 'invalid parameter "start": cannot parse "" to a valid timestamp'],
    [
      { query: 'up', start: 'x', end: '1', step: '1' },
      'invalid parameter "start": cannot parse "x" to a valid timestamp',
    ],
    [{ query: 'up', start: '1', step: '1' }, 'invalid parameter "end": cannot parse "" to a valid timestamp'],
    [
      { query: 'up', start: '10', end: '5', step: '1' },
      'invalid parameter "end": end timestamp must not be before start time',
    ],
    [{ query: 'up', start: '1', end: '5' }, 'invalid parameter "step": cannot parse "" to a valid duration'],
    [
      { query: 'up', start: '1', end: '5', step: 'x' },
      'invalid parameter "step": cannot parse "x" to a valid duration',
    ],
    [
      { query: 'up', start: '1', end: '5', step: '0' },
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    ],
    [
      { query: 'up', start: '1', end: '5', step: '-1s' },
      'invalid parameter "step": cannot parse "-1s" to a valid duration',
    ],
    [
      { query: 'up', start: '1', end: '5', step: '-1' },
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    ],
    [
      { query: 'up', start: '0', end: '11001', step: '1' },
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    ],
    [
      { query: 'up', start: '1', end: '5', step: '1', limit: 'x' },
      'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax',
    ],
    [
      { query: 'up', start: '1', end: '5', step: '1', timeout: 'x' },
      'invalid parameter "timeout": cannot parse "x" to a valid duration',
    ],
    [
      { query: 'up[5m]', start: '1', end: '5', step: '1' },
      'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    ],
    [
      { query: '"foo"', start: '1', end: '5', step: '1' },
      'invalid parameter "query": invalid expression type "string" for range query, must be Scalar or instant Vector',
    ],
    [
      { query: 'foo{', start: '1', end: '5', step: '1' },
      'invalid parameter "query": 1:5: parse error: unexpected end of input inside braces',
    ],
  ];
  for (const [params, message] of badParams) {
    it(`rejects ${JSON.stringify(params)}`, async () => {
      const res = await apiGet(srv.url, '/api/v1/query_range', params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    });
  }
});

describe('query limits from the flags', () => {
  let limited: ApiServer;
  beforeAll(async () => {
    limited = await startApiServer(STANDARD_DATA, [
      '--query.max-concurrency=1',
      '--query.max-samples=10',
      '--enable-feature=promql-per-step-stats',
    ]);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('queues queries beyond --query.max-concurrency and answers them all', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        apiGet(limited.url, '/api/v1/query_range', {
          query: 'up',
          start: String(T0S),
          end: String(T0S + 60),
          step: '30s',
        }),
      ),
    );
    for (const a of answers) expect(a.body).toEqual(upMatrixOf());
  });

  it('counts samples per step with stats=all and --enable-feature=promql-per-step-stats', async () => {
    const res = await apiGet(limited.url, '/api/v1/query', { query: 'up', time: String(T0S), stats: 'all' });
    const samples = (res.body as { data: { stats: { samples: unknown } } }).data.stats.samples;
    expect(samples).toEqual({
      totalQueryableSamplesPerStep: [[T0S, 2]],
      totalQueryableSamples: 2,
      peakSamples: 2,
    });
  });

  it('fails a query that loads more than --query.max-samples', async () => {
    const res = await apiGet(limited.url, '/api/v1/query', { query: 'up[10m]', time: String(T0S + 600) });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(
      apiError('execution', 'query processing would load too many samples into memory in query execution'),
    );
  });
});

function upMatrixOf(): unknown {
  const values = (v: string): Array<[number, string]> => [
    [T0S, v],
    [T0S + 30, v],
    [T0S + 60, v],
  ];
  return {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        { metric: UP_PROM, values: values('1') },
        { metric: UP_NODE, values: values('0') },
      ],
    },
  };
}
