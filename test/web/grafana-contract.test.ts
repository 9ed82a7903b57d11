// Contract test: Grafana's Prometheus data source works unchanged against Promethium. Each request below is
// replayed exactly as Grafana sends it (method, path, query string or form body, Content-Type), against the
// real built server over a data directory filled through the TSDB, and every response field Grafana reads
// is checked. Sources read (github.com/grafana/grafana, main branch and the 10.x/11.x history):
//
//  - pkg/promlib/healthcheck.go — "Save & test": instant query `1+1`, time range 1s..4s, refId __healthcheck__;
//    any non-200 or `status: error` fails the test of the data source.
//  - pkg/promlib/heuristics.go — api/v1/status/buildinfo after the health check (a POST data source POSTs it
//    first, see QueryResource below); `data.features` empty or absent means "Prometheus" (else Mimir).
//  - pkg/promlib/client/client.go — QueryRange / QueryInstant / QueryExemplars: POST (the default httpMethod,
//    querydata/request.go) with Content-Type application/x-www-form-urlencoded and url.Values.Encode() bodies
//    (keys sorted: end, query, start, step, timeout), or GET with the same query string; start/end/time as
//    float seconds (strconv 'f', -1), step as float seconds, timeout = the data source's queryTimeout ("60s").
//    QueryResource (every editor/browser call): endpoints outside endpointsSupportOnlyGet are POSTed with the
//    frontend's URL query string and body as they are; a 405 or 400 answer makes Grafana retry with GET.
//  - pkg/promlib/resource/resource.go — resource calls pass status, headers and body through to the browser.
//  - pkg/promlib/converter/prom.go — what is read from a query answer: status, error, errorType, warnings,
//    infos, data.resultType, data.result; matrix/vector items' metric (labels), value / values as
//    [float seconds, "float string"] (strconv.ParseFloat), scalar and string as one pair; exemplar answers as
//    [{seriesLabels, exemplars: [{labels, value: "string", timestamp: number}]}]; an error becomes
//    `<errorType>: <error>` in the panel.
//  - packages/grafana-prometheus/src/datasource.ts — metadataRequest (POST for api/v1/query, query_range, series,
//    labels, else GET), areExemplarsAvailable (GET api/v1/query_exemplars query=test with start/end in
//    *milliseconds*, only `status === "success"` is read), getTimeRangeParams (whole seconds),
//    hasLabelsMatchAPISupport (semver of the configured version; labels API with match[] unless configured older).
//  - packages/grafana-prometheus/src/resource_clients.ts (LabelsApiClient, SeriesApiClient),
//    lang_provider.ts, language_provider.ts — metric browser and completion: label/__name__/values,
//    labels, label/<name>/values (UTF-8 names escaped as U__…), series with match[] and limit=40000
//    (constants.ts DEFAULT_SERIES_LIMIT, MATCH_ALL_LABELS `{__name__!=""}`); `data` must be an array.
//    Time params from language_utils.ts getRangeSnapInterval (seconds, start rounded down / end up to a minute).
//  - packages/grafana-prometheus/src/language_utils.ts fixSummariesMetadata — GET api/v1/metadata, `data` an
//    object metric → [{type, help, unit}].
//  - packages/grafana-prometheus/src/utf8_support.ts — escapeForUtf8Support (`U__` + `_2e_` for '.').
//  - packages/grafana-prometheus/src/metric_find_query.ts — template variables: label_values(label),
//    label_values(metric, label) (match[]), metrics(re), query_result(expr) (instant query; reads resultType,
//    result[].metric, value[0] * 1000, value[1]).
//  - packages/grafana-prometheus/src/configuration/PromSettings.tsx (10.x) — version detection: semver.valid
//    on buildinfo `data.version`.
//  - public/app/features/alerting/unified/api/buildInfo.ts — buildinfo without `features` is Prometheus.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { TSDB } from '../../src/tsdb/db.js';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';

// ---------------------------------------------------------------------------------------------------------
// Known data: samples every 15 s over the last 30 minutes, aligned to the minute so that Grafana's
// step-aligned ranges (start/end multiples of the step) land exactly on samples.
// ---------------------------------------------------------------------------------------------------------

const SCRAPE_MS = 15_000;
const END_MS = Math.floor(Date.now() / 60_000) * 60_000;
const START_MS = END_MS - 30 * 60_000;
const SAMPLES = (END_MS - START_MS) / SCRAPE_MS + 1; // 121, the last one at END_MS
const S = START_MS / 1000;
const E = END_MS / 1000;

interface SeriesSpec {
  labels: Record<string, string>;
  /** Counter increment per sample, or undefined for a gauge that is always 1. */
  incr?: number;
}

const api1 = { job: 'api', instance: '10.0.0.1:9100' };
const api2 = { job: 'api', instance: '10.0.0.2:9100' };
const worker = { job: 'worker', instance: '10.0.0.3:9100' };
const SERIES: SeriesSpec[] = [
  { labels: { __name__: 'http_requests_total', ...api1, method: 'GET' }, incr: 15 },
  { labels: { __name__: 'http_requests_total', ...api1, method: 'POST' }, incr: 30 },
  { labels: { __name__: 'http_requests_total', ...api2, method: 'GET' }, incr: 45 },
  { labels: { __name__: 'jobs_processed_total', ...worker }, incr: 60 },
  // A classic histogram: per 15 s, 15 observations summing to 6 s, 5 ≤ 0.1 s, 10 ≤ 0.5 s, 14 ≤ 1 s.
  { labels: { __name__: 'request_duration_seconds_bucket', ...api1, le: '0.1' }, incr: 5 },
  { labels: { __name__: 'request_duration_seconds_bucket', ...api1, le: '0.5' }, incr: 10 },
  { labels: { __name__: 'request_duration_seconds_bucket', ...api1, le: '1' }, incr: 14 },
  { labels: { __name__: 'request_duration_seconds_bucket', ...api1, le: '+Inf' }, incr: 15 },
  { labels: { __name__: 'request_duration_seconds_sum', ...api1 }, incr: 6 },
  { labels: { __name__: 'request_duration_seconds_count', ...api1 }, incr: 15 },
  { labels: { __name__: 'target_info', ...api1, 'service.name': 'checkout' } },
  { labels: { __name__: 'up', ...api1 } },
  { labels: { __name__: 'up', ...api2 } },
  { labels: { __name__: 'up', ...worker } },
];

const valueAt = (s: SeriesSpec, i: number): number => (s.incr === undefined ? 1 : s.incr * i);

async function populate(dataDir: string): Promise<void> {
  const logger = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });
  const db = TSDB.open({ dir: dataDir, retentionMs: 0, maxBytes: 0, logger, noLockfile: true });
  try {
    const labels = SERIES.map((s) => Labels.fromRecord(s.labels));
    const refs = SERIES.map(() => 0);
    const app = db.appender();
    for (let i = 0; i < SAMPLES; i++) {
      for (let k = 0; k < SERIES.length; k++) {
        refs[k] = app.append(refs[k], labels[k], START_MS + i * SCRAPE_MS, valueAt(SERIES[k], i));
      }
    }
    await app.commit();
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requests as Grafana writes them.
// ---------------------------------------------------------------------------------------------------------

/** Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ percent-encoded, space as '+'. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Go's url.Values.Encode() (pkg/promlib/client/client.go): keys sorted. */
function goEncode(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${goQueryEscape(k)}=${goQueryEscape(values[k])}`)
    .join('&');
}

/** The browser side (datasource.ts _request): encodeURIComponent, insertion order. */
function frontendEncode(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

interface GrafanaRequest {
  /** Which Grafana code path sends it, for failure messages. */
  what: string;
  method: 'GET' | 'POST';
  path: string;
  query?: string;
  /** A POST's form body; Content-Type is then application/x-www-form-urlencoded (client.go createRequest). */
  form?: string;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

let server: ServerProcess;
let tmpDir: string;

async function send(req: GrafanaRequest): Promise<Answer> {
  const url = `${server.url}${req.path}${req.query === undefined ? '' : `?${req.query}`}`;
  const headers: Record<string, string> = {
    // Go's http.Client sends these; the Grafana SDK adds its user agent.
    'User-Agent': 'Grafana/11.6.0',
    'Accept-Encoding': 'gzip',
  };
  if (req.method === 'POST') headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(url, {
    method: req.method,
    headers,
    body: req.method === 'POST' ? (req.form ?? '') : undefined,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, body };
}

function describeReq(req: GrafanaRequest): string {
  return `${req.what}: ${req.method} ${req.path}${req.query === undefined ? '' : `?${req.query}`}${
    req.form === undefined ? '' : ` body ${req.form}`
  }`;
}

/** Sends and checks the success envelope Grafana requires; returns `data`. */
async function success(req: GrafanaRequest): Promise<unknown> {
  const res = await send(req);
  const where = describeReq(req);
  expect(res.status, `${where}\nHTTP status (body: ${res.text})`).toBe(200);
  expect(res.contentType, `${where}\nContent-Type`).toMatch(/^application\/json/);
  expect(res.body, `${where}\nbody is not JSON: ${res.text}`).toBeTypeOf('object');
  const env = res.body as Record<string, unknown>;
  expect(env.status, `${where}\nenvelope "status" (body: ${res.text})`).toBe('success');
  expect('data' in env, `${where}\nenvelope has no "data" field Grafana reads: ${res.text}`).toBe(true);
  return env.data;
}

/** Grafana's converter reads [float seconds, "float"] and parses the string with strconv.ParseFloat. */
function expectPair(p: unknown, where: string): [number, number] {
  expect(
    Array.isArray(p) && p.length === 2,
    `${where}: sample is not a [time, "value"] pair: ${JSON.stringify(p)}`,
  ).toBe(true);
  const [t, v] = p as [unknown, unknown];
  expect(typeof t, `${where}: sample time must be a JSON number of seconds: ${JSON.stringify(p)}`).toBe(
    'number',
  );
  expect(typeof v, `${where}: sample value must be a JSON string: ${JSON.stringify(p)}`).toBe('string');
  expect(v as string, `${where}: value not parseable by strconv.ParseFloat`).toMatch(
    /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$/,
  );
  const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
  return [t as number, value];
}

interface PromSeries {
  metric: Record<string, string>;
  values?: unknown[];
  value?: unknown;
}

function expectResult(data: unknown, resultType: 'matrix' | 'vector', where: string): PromSeries[] {
  expect(data, `${where}: data must be an object`).toBeTypeOf('object');
  const d = data as { resultType?: unknown; result?: unknown };
  expect(d.resultType, `${where}: data.resultType`).toBe(resultType);
  expect(Array.isArray(d.result), `${where}: data.result must be an array: ${JSON.stringify(data)}`).toBe(
    true,
  );
  const result = d.result as PromSeries[];
  for (const s of result) {
    expect(s.metric, `${where}: every result needs a "metric" label object`).toBeTypeOf('object');
    for (const v of Object.values(s.metric))
      expect(v, `${where}: label values are strings`).toBeTypeOf('string');
    if (resultType === 'matrix') {
      expect(Array.isArray(s.values), `${where}: matrix items need "values": ${JSON.stringify(s)}`).toBe(
        true,
      );
      for (const p of s.values!) expectPair(p, where);
    } else {
      expectPair(s.value, where);
    }
  }
  return result;
}

const byLabels = (a: Record<string, string>, b: Record<string, string>): number =>
  JSON.stringify(Object.entries(a).sort()) < JSON.stringify(Object.entries(b).sort()) ? -1 : 1;

const withoutName = (l: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(l).filter(([k]) => k !== '__name__'));

const ALL_METRIC_NAMES = [
  'http_requests_total',
  'jobs_processed_total',
  'request_duration_seconds_bucket',
  'request_duration_seconds_count',
  'request_duration_seconds_sum',
  'target_info',
  'up',
];
const ALL_LABEL_NAMES = ['__name__', 'instance', 'job', 'le', 'method', 'service.name'];

// ---------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  requireBuilt();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-grafana-'));
  const dataDir = path.join(tmpDir, 'data');
  await populate(dataDir);
  // No scrape jobs: the label lists stay exactly the known data.
  const config = path.join(tmpDir, 'prometheus.yml');
  fs.writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
  server = await startServer([`--config.file=${config}`, `--storage.tsdb.path=${dataDir}`], { cwd: tmpDir });
});

afterAll(async () => {
  await server?.stop();
  if (tmpDir !== undefined) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('Grafana "Save & test" (pkg/promlib/healthcheck.go, heuristics.go)', () => {
  it('answers the health-check instant query 1+1 at t=4 with the scalar 2, POST and GET', async () => {
    // Older clients send no timeout; current ones send the data source's queryTimeout.
    const bodies: Array<Record<string, string>> = [
      { query: '1+1', time: '4' },
      { query: '1+1', time: '4', timeout: '60s' },
    ];
    for (const values of bodies) {
      for (const method of ['POST', 'GET'] as const) {
        const req: GrafanaRequest = {
          what: 'health check (healthcheck.go → client.go QueryInstant)',
          method,
          path: '/api/v1/query',
          ...(method === 'POST' ? { form: goEncode(values) } : { query: goEncode(values) }),
        };
        const res = await send(req);
        expect(res.status, describeReq(req) + '\n' + res.text).toBe(200);
        expect(res.contentType).toMatch(/^application\/json/);
        expect(res.body, describeReq(req)).toEqual({
          status: 'success',
          data: { resultType: 'scalar', result: [4, '2'] },
        });
      }
    }
  });

  it('answers buildinfo with a semver version and no "features" (so Grafana classifies it as Prometheus)', async () => {
    const req: GrafanaRequest = {
      what: 'heuristics.go getBuildInfo / resource.go DetectVersion',
      method: 'GET',
      path: '/api/v1/status/buildinfo',
    };
    const data = (await success(req)) as Record<string, unknown>;
    for (const field of ['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion']) {
      expect(data[field], `buildinfo field "${field}" (heuristics.go BuildInfoResponseData)`).toBeTypeOf(
        'string',
      );
    }
    // PromSettings.tsx: semver.valid(data.version), else "user must manually select version".
    expect(data.version, 'buildinfo version must be valid semver (semver.valid)').toMatch(
      /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
    );
    // heuristics.go: a non-empty "features" map means Mimir (ruler API assumed); buildInfo.ts likewise.
    const features = data.features as Record<string, unknown> | undefined;
    expect(features === undefined || features === null || Object.keys(features).length === 0).toBe(true);
    expect(data.application, 'no "application" field (Mimir sets "Grafana Mimir")').toBeUndefined();
  });

  it('answers a POST to the GET-only buildinfo with 405 (or 400), so Grafana retries with GET', async () => {
    // client.go QueryResource: the heuristics path "api/v1/status/buildinfo" is not in endpointsSupportOnlyGet
    // (whose entries start with "/"), so a POST data source POSTs it first and retries with GET only on 405/400;
    // Prometheus's router answers a wrong method with 405 Method Not Allowed.
    const req: GrafanaRequest = {
      what: 'heuristics.go getBuildInfo with httpMethod POST',
      method: 'POST',
      path: '/api/v1/status/buildinfo',
      form: '',
    };
    const res = await send(req);
    expect(
      [405, 400],
      `${describeReq(req)}\nGrafana falls back to GET only on 405 or 400; got ${res.status}: ${res.text}`,
    ).toContain(res.status);
  });
});

describe('dashboard panels (pkg/promlib/client/client.go, converter/prom.go)', () => {
  it('range query: POST form body end/query/start/step/timeout returns the stored samples, and GET the same', async () => {
    const values = {
      query: 'http_requests_total{job="api",method="GET"}',
      start: String(S),
      end: String(E),
      step: '60',
      timeout: '60s',
    };
    const expectSeries = (labels: Record<string, string>, incr: number) => ({
      metric: labels,
      values: Array.from({ length: 31 }, (_, k) => [S + 60 * k, String(incr * 4 * k)]),
    });
    const expected = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          expectSeries({ __name__: 'http_requests_total', ...api1, method: 'GET' }, 15),
          expectSeries({ __name__: 'http_requests_total', ...api2, method: 'GET' }, 45),
        ],
      },
    };
    for (const method of ['POST', 'GET'] as const) {
      const req: GrafanaRequest = {
        what: 'dashboard range query (client.go QueryRange)',
        method,
        path: '/api/v1/query_range',
        ...(method === 'POST' ? { form: goEncode(values) } : { query: goEncode(values) }),
      };
      const data = await success(req);
      expectResult(data, 'matrix', describeReq(req));
      expect({ status: 'success', data }, describeReq(req)).toEqual(expected);
    }
  });

  it('range query of rates by job: labels without __name__, aligned step timestamps, expected rates', async () => {
    const req: GrafanaRequest = {
      what: 'dashboard range query (client.go QueryRange)',
      method: 'POST',
      path: '/api/v1/query_range',
      form: goEncode({
        query: 'sum by (job) (rate(http_requests_total[1m]) or rate(jobs_processed_total[1m]))',
        start: String(E - 600),
        end: String(E),
        step: '15',
        timeout: '60s',
      }),
    };
    const result = expectResult(await success(req), 'matrix', describeReq(req));
    expect(result.map((s) => s.metric).sort(byLabels)).toEqual([{ job: 'api' }, { job: 'worker' }]);
    for (const s of result) {
      const pairs = s.values!.map((p) => expectPair(p, describeReq(req)));
      expect(pairs.length).toBe(41);
      pairs.forEach(([t], k) => expect(t).toBe(E - 600 + 15 * k));
      const want = s.metric.job === 'api' ? (15 + 30 + 45) / 15 : 60 / 15;
      for (const [, v] of pairs) expect(v).toBeCloseTo(want, 9);
    }
  });

  it('instant query at a fractional time (time = to, not aligned) returns a vector stamped with that time', async () => {
    const time = `${E}.123`;
    const req: GrafanaRequest = {
      what: 'instant query (client.go QueryInstant)',
      method: 'POST',
      path: '/api/v1/query',
      form: goEncode({ query: 'http_requests_total{job="api"}', time, timeout: '60s' }),
    };
    const result = expectResult(await success(req), 'vector', describeReq(req));
    const last = SAMPLES - 1;
    expect([...result].sort((a, b) => byLabels(a.metric, b.metric))).toEqual(
      SERIES.filter((s) => s.labels.__name__ === 'http_requests_total')
        .map((s) => ({ metric: s.labels, value: [E + 0.123, String(valueAt(s, last))] }))
        .sort((a, b) => byLabels(a.metric, b.metric)),
    );
  });

  it('classic histogram: histogram_quantile over bucket rates and a heatmap-style rate by le', async () => {
    const quantile = expectResult(
      await success({
        what: 'instant query (client.go QueryInstant)',
        method: 'POST',
        path: '/api/v1/query',
        form: goEncode({
          query: 'histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[1m])))',
          time: String(E),
          timeout: '60s',
        }),
      }),
      'vector',
      'histogram_quantile',
    );
    expect(quantile.length).toBe(1);
    expect(quantile[0].metric).toEqual({});
    // Half of 1 obs/s falls in (0.1, 0.5] where the cumulative rate goes 1/3 → 2/3: 0.1 + 0.4 * 0.5.
    expect(expectPair(quantile[0].value, 'histogram_quantile')[1]).toBeCloseTo(0.3, 9);

    const heatmap = expectResult(
      await success({
        what: 'heatmap panel range query (client.go QueryRange)',
        method: 'POST',
        path: '/api/v1/query_range',
        form: goEncode({
          query: 'sum by (le) (rate(request_duration_seconds_bucket[1m]))',
          start: String(E - 300),
          end: String(E),
          step: '60',
        }),
      }),
      'matrix',
      'heatmap',
    );
    const perLe = Object.fromEntries(heatmap.map((s) => [s.metric.le, s.values!.length]));
    expect(perLe).toEqual({ '0.1': 6, '0.5': 6, '1': 6, '+Inf': 6 });
    for (const s of heatmap) {
      const want = { '0.1': 5, '0.5': 10, '1': 14, '+Inf': 15 }[s.metric.le]! / 15;
      for (const p of s.values!) expect(expectPair(p, 'heatmap')[1]).toBeCloseTo(want, 9);
    }
  });

  it('exemplars: POST query_exemplars answers success with an empty list (no exemplar storage)', async () => {
    const form = goEncode({ query: 'http_requests_total{job="api"}', start: String(S), end: String(E) });
    for (const req of [
      {
        what: 'exemplar query (client.go QueryExemplars)',
        method: 'POST',
        path: '/api/v1/query_exemplars',
        form,
      },
      {
        what: 'exemplar query (client.go QueryExemplars)',
        method: 'GET',
        path: '/api/v1/query_exemplars',
        query: form,
      },
    ] satisfies GrafanaRequest[]) {
      const res = await send(req);
      expect(res.status, `${describeReq(req)}\n${res.text}`).toBe(200);
      expect(res.body, describeReq(req)).toEqual({ status: 'success', data: [] });
    }
  });

  it('exemplar probe: query=test with start/end in milliseconds, POSTed by the backend with the query string', async () => {
    // datasource.ts areExemplarsAvailable: GET from the browser, start/end = dateTime().valueOf() (ms);
    // the backend (client.go QueryResource, httpMethod POST) POSTs the same URL with an empty form body.
    const query = frontendEncode([
      ['query', 'test'],
      ['start', String(END_MS - 30 * 60_000)],
      ['end', String(END_MS)],
    ]);
    for (const method of ['POST', 'GET'] as const) {
      const req: GrafanaRequest = {
        what: 'datasource.ts areExemplarsAvailable',
        method,
        path: '/api/v1/query_exemplars',
        query,
        ...(method === 'POST' ? { form: '' } : {}),
      };
      const data = await success(req);
      expect(data, describeReq(req)).toEqual([]);
    }
  });
});

describe('errors as Grafana displays them (converter/prom.go: "<errorType>: <error>")', () => {
  it('a PromQL syntax error is HTTP 400 bad_data with Prometheus wording', async () => {
    for (const [path, extra] of [
      ['/api/v1/query_range', { start: String(S), end: String(E), step: '15', timeout: '60s' }],
      ['/api/v1/query', { time: String(E), timeout: '60s' }],
    ] as const) {
      const req: GrafanaRequest = {
        what: 'panel query with a syntax error',
        method: 'POST',
        path,
        form: goEncode({ query: 'sum(rate(http_requests_total[1m])', ...extra }),
      };
      const res = await send(req);
      expect(res.status, `${describeReq(req)}\n${res.text}`).toBe(400);
      expect(res.contentType).toMatch(/^application\/json/);
      const body = res.body as Record<string, unknown>;
      expect(body.status).toBe('error');
      expect(body.errorType, 'errorType is shown before the message').toBe('bad_data');
      expect(body.error).toMatch(
        /^invalid parameter "query": 1:\d+: parse error: unclosed left parenthesis$/,
      );
    }
  });

  it('an evaluation error is HTTP 422 execution', async () => {
    const req: GrafanaRequest = {
      what: 'panel query failing in evaluation',
      method: 'POST',
      path: '/api/v1/query',
      form: goEncode({ query: 'http_requests_total + on (job) up', time: String(E), timeout: '60s' }),
    };
    const res = await send(req);
    expect(res.status, `${describeReq(req)}\n${res.text}`).toBe(422);
    const body = res.body as Record<string, unknown>;
    expect(body.status).toBe('error');
    expect(body.errorType).toBe('execution');
    expect(body.error).toMatch(
      /many-to-many matching not allowed: matching labels must be unique on one side/,
    );
  });
});

describe('metric browser and completion (resource_clients.ts, lang_provider.ts, language_provider.ts)', () => {
  const labelsParams = (match?: string): Array<[string, string]> => [
    ['limit', '40000'],
    ['start', String(S)],
    ['end', String(E)],
    ...(match === undefined ? [] : ([['match[]', match]] as Array<[string, string]>)),
  ];

  it('metric names: GET label/__name__/values?limit&start&end returns the sorted names', async () => {
    const data = await success({
      what: 'LabelsApiClient.queryMetrics → queryLabelValues(__name__)',
      method: 'GET',
      path: '/api/v1/label/__name__/values',
      query: frontendEncode(labelsParams()),
    });
    expect(data).toEqual(ALL_METRIC_NAMES);
  });

  it('label names: POST labels with the form body, and POST with the params in the URL and an empty body', async () => {
    const form = frontendEncode(labelsParams());
    for (const req of [
      { what: 'LabelsApiClient.queryLabelKeys (POST body)', method: 'POST', path: '/api/v1/labels', form },
      {
        what: 'language_provider fetchLabels (GET params, backend POST)',
        method: 'POST',
        path: '/api/v1/labels',
        query: form,
        form: '',
      },
      {
        what: 'LabelsApiClient.queryLabelKeys (httpMethod GET)',
        method: 'GET',
        path: '/api/v1/labels',
        query: form,
      },
    ] satisfies GrafanaRequest[]) {
      expect(await success(req), describeReq(req)).toEqual(ALL_LABEL_NAMES);
    }
  });

  it('label names for a metric: labels with match[]', async () => {
    const data = await success({
      what: 'LabelsApiClient.queryLabelKeys(match)',
      method: 'POST',
      path: '/api/v1/labels',
      form: frontendEncode(labelsParams('http_requests_total')),
    });
    expect(data).toEqual(['__name__', 'instance', 'job', 'method']);
  });

  it('label values with match[] and for a UTF-8 label name escaped as U__', async () => {
    const instances = await success({
      what: 'LabelsApiClient.queryLabelValues(instance, match)',
      method: 'GET',
      path: '/api/v1/label/instance/values',
      query: frontendEncode(labelsParams('{job="api"}')),
    });
    expect(instances).toEqual(['10.0.0.1:9100', '10.0.0.2:9100']);
    const utf8 = await success({
      what: 'queryLabelValues("service.name") via utf8_support.ts escapeForUtf8Support',
      method: 'GET',
      path: '/api/v1/label/U__service_2e_name/values',
      query: frontendEncode(labelsParams()),
    });
    expect(utf8).toEqual(['checkout']);
  });

  it('series: match[]={__name__!=""} with limit, POST and GET, lists every series as a label object', async () => {
    const params = frontendEncode([
      ['start', String(S)],
      ['end', String(E)],
      ['match[]', '{__name__!=""}'],
      ['limit', '40000'],
    ]);
    const expected = SERIES.map((s) => s.labels).sort(byLabels);
    for (const req of [
      {
        what: 'SeriesApiClient.queryMetrics → querySeries',
        method: 'POST',
        path: '/api/v1/series',
        form: params,
      },
      {
        what: 'SeriesApiClient.queryMetrics → querySeries',
        method: 'GET',
        path: '/api/v1/series',
        query: params,
      },
    ] satisfies GrafanaRequest[]) {
      const data = await success(req);
      expect(Array.isArray(data), `${describeReq(req)}: data must be an array of label objects`).toBe(true);
      // processSeries sorts what it needs; the order of series is not part of the contract.
      expect([...(data as Array<Record<string, string>>)].sort(byLabels), describeReq(req)).toEqual(expected);
    }
  });

  it('metadata: GET metadata answers an object (empty without scraped metadata)', async () => {
    for (const query of [undefined, frontendEncode([['metric', 'http_requests_total']])]) {
      const req: GrafanaRequest = {
        what: 'lang_provider.ts fetchMetadata → fixSummariesMetadata',
        method: 'GET',
        path: '/api/v1/metadata',
        ...(query === undefined ? {} : { query }),
      };
      const data = await success(req);
      expect(
        data !== null && typeof data === 'object' && !Array.isArray(data),
        `${describeReq(req)}: data must be an object`,
      ).toBe(true);
      expect(data).toEqual({});
    }
  });
});

describe('template variables (metric_find_query.ts)', () => {
  it('label_values(job) and label_values(http_requests_total, instance)', async () => {
    const jobs = await success({
      what: 'label_values(job)',
      method: 'GET',
      path: '/api/v1/label/job/values',
      query: frontendEncode([
        ['start', String(S)],
        ['end', String(E)],
      ]),
    });
    expect(jobs).toEqual(['api', 'worker']);
    const instances = await success({
      what: 'label_values(http_requests_total, instance)',
      method: 'GET',
      path: '/api/v1/label/instance/values',
      query: frontendEncode([
        ['match[]', 'http_requests_total'],
        ['start', String(S)],
        ['end', String(E)],
      ]),
    });
    expect(instances).toEqual(['10.0.0.1:9100', '10.0.0.2:9100']);
  });

  it('query_result(up): POST query with query/time; metric, value[0] (seconds) and value[1] are read', async () => {
    const req: GrafanaRequest = {
      what: 'query_result(up) → metadataRequest api/v1/query',
      method: 'POST',
      path: '/api/v1/query',
      form: frontendEncode([
        ['query', 'up'],
        ['time', String(E)],
      ]),
    };
    const result = expectResult(await success(req), 'vector', describeReq(req));
    expect(result.map((s) => s.metric).sort(byLabels)).toEqual(
      SERIES.filter((s) => s.labels.__name__ === 'up')
        .map((s) => s.labels)
        .sort(byLabels),
    );
    for (const s of result) expect(s.value).toEqual([E, '1']);
  });

  it('metrics(request_.*) reads label/__name__/values; a series lookup (metric name only) reads series', async () => {
    const names = await success({
      what: 'metrics(request_.*)',
      method: 'GET',
      path: '/api/v1/label/__name__/values',
      query: frontendEncode([
        ['start', String(S)],
        ['end', String(E)],
      ]),
    });
    expect((names as string[]).filter((n) => /request_.*/.test(n))).toEqual([
      'request_duration_seconds_bucket',
      'request_duration_seconds_count',
      'request_duration_seconds_sum',
    ]);
    const series = await success({
      what: 'metricNameAndLabelsQuery(up)',
      method: 'POST',
      path: '/api/v1/series',
      form: frontendEncode([
        ['match[]', 'up'],
        ['start', String(S)],
        ['end', String(E)],
      ]),
    });
    expect([...(series as Array<Record<string, string>>)].sort(byLabels).map(withoutName)).toEqual(
      [api1, api2, worker].map((l) => ({ ...l })).sort(byLabels),
    );
  });
});
