// /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values against a real server.
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

const T0S = T0 / 1000;
const UP_PROM = { __name__: 'up', instance: 'localhost:9090', job: 'prometheus' };
const UP_NODE = { __name__: 'up', instance: 'localhost:9100', job: 'node' };
const REQ_GET = { __name__: 'http_requests_total', code: '200', job: 'api', method: 'GET' };
const REQ_POST = { __name__: 'http_requests_total', code: '500', job: 'api', method: 'POST' };
const ok = (data: unknown, extra: Record<string, unknown> = {}): unknown => ({
  status: 'success',
  data,
  ...extra,
});
const TRUNCATED = { warnings: ['results truncated due to limit'] };

describe('/api/v1/series', () => {
  it('lists the series matching a selector, over all time by default', async () => {
    const res = await apiGet(srv.url, '/api/v1/series', { 'match[]': 'up' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(ok([UP_PROM, UP_NODE]));
  });

  it('merges several match[] (POST), each series once, in label order', async () => {
    const res = await apiPost(srv.url, '/api/v1/series', [
      ['match[]', 'up{job="node"}'],
      ['match[]', 'http_requests_total'],
      ['match[]', '{instance=~"localhost:9.*"}'],
    ]);
    expect(res.body).toEqual(ok([REQ_GET, REQ_POST, UP_PROM, UP_NODE]));
  });

  it('keeps to start and end', async () => {
    const before = await apiGet(srv.url, '/api/v1/series', {
      'match[]': 'up',
      start: '0',
      end: String(T0S - 1),
    });
    expect(before.body).toEqual(ok([]));
    const during = await apiGet(srv.url, '/api/v1/series', {
      'match[]': 'odd_value{kind=~"n.*"}',
      start: '2015-07-01T20:00:00Z',
      end: '2015-07-01T20:10:00Z',
    });
    expect(during.body).toEqual(
      ok([
        { __name__: 'odd_value', kind: 'nan' },
        { __name__: 'odd_value', kind: 'ninf' },
      ]),
    );
  });

  it('truncates to `limit` with a warning', async () => {
    const res = await apiGet(srv.url, '/api/v1/series', { 'match[]': 'up', limit: '1' });
    expect(res.body).toEqual(ok([UP_PROM], TRUNCATED));
    expect((await apiGet(srv.url, '/api/v1/series', { 'match[]': 'up', limit: '2' })).body).toEqual(
      ok([UP_PROM, UP_NODE]),
    );
  });

  const badParams: Array<[Array<[string, string]>, string]> = [
    [[], 'no match[] parameter provided'],
    [
      [['match[]', 'up{']],
      'invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces',
    ],
    [
      [['match[]', '{job=""}']],
      'invalid parameter "match[]": match[] must contain at least one non-empty matcher',
    ],
    [
      [
        ['match[]', 'up'],
        ['limit', 'x'],
      ],
      'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax',
    ],
    [
      [
        ['match[]', 'up'],
        ['limit', '-2'],
      ],
      'invalid parameter "limit": limit must be non-negative',
    ],
    [
      [
        ['match[]', 'up'],
        ['start', 'x'],
      ],
      `invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp`,
    ],
    [
      [
        ['match[]', 'up'],
        ['end', '2015-02-30T00:00:00Z'],
      ],
      `invalid parameter "end": invalid time value for 'end': cannot parse "2015-02-30T00:00:00Z" to a valid timestamp`,
    ],
  ];
  for (const [params, message] of badParams) {
    it(`rejects ${JSON.stringify(params)}`, async () => {
      const res = await apiGet(srv.url, '/api/v1/series', params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    });
  }
});

describe('/api/v1/labels', () => {
  it('lists every label name', async () => {
    const res = await apiGet(srv.url, '/api/v1/labels');
    expect(res.body).toEqual(ok(['__name__', 'code', 'instance', 'job', 'kind', 'method', 'service.name']));
  });

  it('lists the names of the series matching match[] (several: their union), POST too', async () => {
    expect((await apiGet(srv.url, '/api/v1/labels', { 'match[]': 'up' })).body).toEqual(
      ok(['__name__', 'instance', 'job']),
    );
    const res = await apiPost(srv.url, '/api/v1/labels', [
      ['match[]', 'odd_value'],
      ['match[]', 'dotted'],
    ]);
    expect(res.body).toEqual(ok(['__name__', 'kind', 'service.name']));
  });

  it('truncates to `limit` with a warning', async () => {
    expect((await apiGet(srv.url, '/api/v1/labels', { limit: '2' })).body).toEqual(
      ok(['__name__', 'code'], TRUNCATED),
    );
  });

  it('answers [] when nothing matches', async () => {
    expect((await apiGet(srv.url, '/api/v1/labels', { 'match[]': 'nothing_here' })).body).toEqual(ok([]));
  });

  const badParams: Array<[Array<[string, string]>, string]> = [
    [[['match[]', '{']], '1:2: parse error: unexpected end of input inside braces'],
    [[['match[]', '{a=~".*"}']], 'match[] must contain at least one non-empty matcher'],
    [[['limit', '1.5']], 'invalid parameter "limit": strconv.Atoi: parsing "1.5": invalid syntax'],
    [
      [['start', 'yesterday']],
      `invalid parameter "start": invalid time value for 'start': cannot parse "yesterday" to a valid timestamp`,
    ],
  ];
  for (const [params, message] of badParams) {
    it(`rejects ${JSON.stringify(params)}`, async () => {
      const res = await apiGet(srv.url, '/api/v1/labels', params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    });
  }
});

describe('/api/v1/label/<name>/values', () => {
  it('lists a label’s values, sorted', async () => {
    expect((await apiGet(srv.url, '/api/v1/label/job/values')).body).toEqual(
      ok(['api', 'node', 'prometheus']),
    );
    expect((await apiGet(srv.url, '/api/v1/label/__name__/values')).body).toEqual(
      ok(['dotted', 'http_requests_total', 'odd_value', 'up']),
    );
  });

  it('restricts to match[] (several: their union)', async () => {
    const res = await apiGet(srv.url, '/api/v1/label/instance/values', [
      ['match[]', 'up{job="node"}'],
      ['match[]', 'odd_value'],
    ]);
    expect(res.body).toEqual(ok(['localhost:9100']));
    expect((await apiGet(srv.url, '/api/v1/label/kind/values', { 'match[]': 'up' })).body).toEqual(ok([]));
  });

  it('reads U__-escaped UTF-8 label names', async () => {
    expect((await apiGet(srv.url, '/api/v1/label/U__service_2e_name/values')).body).toEqual(ok(['checkout']));
    // Percent-encoded in the path, a dotted name works as is.
    expect((await apiGet(srv.url, '/api/v1/label/service.name/values')).body).toEqual(ok(['checkout']));
  });

  it('truncates to `limit` with a warning', async () => {
    expect((await apiGet(srv.url, '/api/v1/label/job/values', { limit: '1' })).body).toEqual(
      ok(['api'], TRUNCATED),
    );
  });

  it('rejects bad parameters', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['job', { 'match[]': 'up{' }, '1:4: parse error: unexpected end of input inside braces'],
      ['job', { limit: 'many' }, 'invalid parameter "limit": strconv.Atoi: parsing "many": invalid syntax'],
      [
        'job',
        { end: 'x' },
        `invalid parameter "end": invalid time value for 'end': cannot parse "x" to a valid timestamp`,
      ],
    ];
    for (const [name, params, message] of cases) {
      const res = await apiGet(srv.url, `/api/v1/label/${name}/values`, params);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(apiError('bad_data', message));
    }
  });
});
