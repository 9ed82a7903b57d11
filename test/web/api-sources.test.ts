// The shapes of /api/v1/targets, targets/metadata, rules and alerts when the sources have data (the
// scrape and rule managers implement these interfaces later), with their filters and errors.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/log/logger.js';
import { createWebApp } from '../../src/web/app.js';
import type { ActiveTarget, TargetsSource } from '../../src/web/api/v1/targets.js';
import type { AlertingRuleView, RuleGroupView, RulesSource } from '../../src/web/api/v1/rules.js';

const node: ActiveTarget = {
  discoveredLabels: { job: 'node', __address__: 'h:9100', __scheme__: 'http', __metrics_path__: '/metrics' },
  labels: { job: 'node', instance: 'h:9100' },
  scrapeUrl: 'http://h:9100/metrics',
  globalUrl: 'http://h:9100/metrics',
  lastError: '',
  lastScrape: new Date('2026-01-02T03:04:05.120Z'),
  lastScrapeDuration: 0.0125,
  health: 'up',
  scrapeInterval: '15s',
  scrapeTimeout: '10s',
  metadata: () => [
    { metric: 'node_load1', type: 'gauge', help: '1m load average.', unit: '' },
    { metric: 'node_cpu_seconds_total', type: 'counter', help: 'CPU time.', unit: 'seconds' },
  ],
};
const self: ActiveTarget = {
  ...node,
  discoveredLabels: { job: 'prometheus', __address__: 'localhost:9090' },
  labels: { job: 'prometheus', instance: 'localhost:9090' },
  scrapeUrl: 'http://localhost:9090/metrics',
  globalUrl: 'http://example:9090/metrics',
  lastError: 'connection refused',
  lastScrape: undefined,
  lastScrapeDuration: 0,
  health: 'unknown',
  metadata: () => [{ metric: 'node_load1', type: 'gauge', help: 'other help', unit: '' }],
};
const targets: TargetsSource = {
  activeTargets: () =>
    new Map([
      ['prometheus', [self]],
      ['node', [node]],
    ]),
  droppedTargets: () => new Map([['node', [{ discoveredLabels: { __address__: 'gone:1', job: 'node' } }]]]),
  droppedTargetCounts: () => ({ node: 3, prometheus: 0 }),
  scrapePools: () => ['prometheus', 'node'],
};

const highLoad: AlertingRuleView = {
  type: 'alerting',
  state: 'firing',
  name: 'HighLoad',
  query: 'node_load1 > 4',
  duration: 300,
  keepFiringFor: 0,
  labels: { severity: 'page' },
  annotations: { summary: 'load' },
  alerts: [
    {
      labels: { alertname: 'HighLoad', instance: 'h:9100', severity: 'page' },
      annotations: { summary: 'load' },
      state: 'firing',
      activeAt: new Date('2026-01-02T03:00:00Z'),
      value: 4.5,
    },
  ],
  health: 'ok',
  evaluationTime: 0.001,
  lastEvaluation: new Date('2026-01-02T03:04:00.5Z'),
};
const groups: RuleGroupView[] = [
  {
    name: 'node',
    file: '/etc/rules/node.yml',
    interval: 60,
    limit: 0,
    evaluationTime: 0.002,
    lastEvaluation: new Date('2026-01-02T03:04:00Z'),
    rules: [
      highLoad,
      {
        type: 'recording',
        name: 'job:up:sum',
        query: 'sum by (job) (up)',
        labels: {},
        health: 'err',
        lastError: 'boom',
        evaluationTime: 0.0005,
        lastEvaluation: undefined,
      },
    ],
  },
  {
    name: 'other',
    file: '/etc/rules/other.yml',
    interval: 30,
    limit: 10,
    evaluationTime: 0,
    rules: [
      {
        type: 'recording',
        name: 'x:y',
        query: 'y',
        labels: { team: 'a' },
        health: 'unknown',
        evaluationTime: 0,
      },
    ],
  },
];
const rules: RulesSource = { ruleGroups: () => groups };

let app: FastifyInstance;
let base: string;
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
        version: '1.2.3',
        revision: 'abc',
        branch: 'main',
        buildUser: 'u@h',
        buildDate: '20260101-00:00:00',
        runtimeVersion: 'v20.0.0',
      },
      flags: {},
      configYaml: () => '',
      startTime: new Date(),
      lastConfigTime: () => new Date(),
      reloadConfigSuccess: () => true,
      storageRetention: '15d',
      corruptionCount: () => 0,
    },
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
    targets,
    rules,
    alertmanagers: {
      activeAlertmanagers: () => ['http://am:9093/api/v2/alerts'],
      droppedAlertmanagers: () => ['http://dropped:9093/api/v2/alerts'],
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

async function data(p: string): Promise<unknown> {
  const res = await fetch(`${base}${p}`);
  const body = (await res.json()) as { status: string; data?: unknown; error?: string };
  if (res.status !== 200) return { status: res.status, error: body.error };
  return body.data;
}

const nodeJSON = {
  discoveredLabels: { __address__: 'h:9100', __metrics_path__: '/metrics', __scheme__: 'http', job: 'node' },
  labels: { instance: 'h:9100', job: 'node' },
  scrapePool: 'node',
  scrapeUrl: 'http://h:9100/metrics',
  globalUrl: 'http://h:9100/metrics',
  lastError: '',
  lastScrape: '2026-01-02T03:04:05.12Z',
  lastScrapeDuration: 0.0125,
  health: 'up',
  scrapeInterval: '15s',
  scrapeTimeout: '10s',
};
const selfJSON = {
  ...nodeJSON,
  discoveredLabels: { __address__: 'localhost:9090', job: 'prometheus' },
  labels: { instance: 'localhost:9090', job: 'prometheus' },
  scrapePool: 'prometheus',
  scrapeUrl: 'http://localhost:9090/metrics',
  globalUrl: 'http://example:9090/metrics',
  lastError: 'connection refused',
  lastScrape: '0001-01-01T00:00:00Z',
  lastScrapeDuration: 0,
  health: 'unknown',
};
const droppedJSON = { discoveredLabels: { __address__: 'gone:1', job: 'node' }, scrapePool: 'node' };

describe('targets', () => {
  it('lists active targets by sorted pool, dropped targets and counts', async () => {
    expect(await data('/api/v1/targets')).toEqual({
      activeTargets: [nodeJSON, selfJSON],
      droppedTargets: [droppedJSON],
      droppedTargetCounts: { node: 3, prometheus: 0 },
    });
  });

  it('filters by scrapePool (the counts stay whole) and by state', async () => {
    expect(await data('/api/v1/targets?scrapePool=prometheus')).toEqual({
      activeTargets: [selfJSON],
      droppedTargets: [],
      droppedTargetCounts: { node: 3, prometheus: 0 },
    });
    expect(await data('/api/v1/targets?state=dropped')).toEqual({
      activeTargets: [],
      droppedTargets: [droppedJSON],
      droppedTargetCounts: { node: 3, prometheus: 0 },
    });
    expect(await data('/api/v1/scrape_pools')).toEqual({ scrapePools: ['node', 'prometheus'] });
  });

  it('answers targets/metadata per target, filtered by match_target, metric and limit', async () => {
    const nodeTarget = { instance: 'h:9100', job: 'node' };
    const selfTarget = { instance: 'localhost:9090', job: 'prometheus' };
    expect(await data('/api/v1/targets/metadata')).toEqual([
      { target: nodeTarget, metric: 'node_load1', type: 'gauge', help: '1m load average.', unit: '' },
      {
        target: nodeTarget,
        metric: 'node_cpu_seconds_total',
        type: 'counter',
        help: 'CPU time.',
        unit: 'seconds',
      },
      { target: selfTarget, metric: 'node_load1', type: 'gauge', help: 'other help', unit: '' },
    ]);
    expect(await data('/api/v1/targets/metadata?metric=node_load1')).toEqual([
      { target: nodeTarget, type: 'gauge', help: '1m load average.', unit: '' },
      { target: selfTarget, type: 'gauge', help: 'other help', unit: '' },
    ]);
    expect(
      await data(`/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="prometheus"}')}`),
    ).toEqual([{ target: selfTarget, metric: 'node_load1', type: 'gauge', help: 'other help', unit: '' }]);
    expect(await data('/api/v1/targets/metadata?metric=node_load1&limit=1')).toEqual([
      { target: nodeTarget, type: 'gauge', help: '1m load average.', unit: '' },
    ]);
  });
});

const alertJSON = {
  labels: { alertname: 'HighLoad', instance: 'h:9100', severity: 'page' },
  annotations: { summary: 'load' },
  state: 'firing',
  activeAt: '2026-01-02T03:00:00Z',
  value: '4.5e+00',
};
const highLoadJSON = {
  state: 'firing',
  name: 'HighLoad',
  query: 'node_load1 > 4',
  duration: 300,
  keepFiringFor: 0,
  labels: { severity: 'page' },
  annotations: { summary: 'load' },
  alerts: [alertJSON],
  health: 'ok',
  evaluationTime: 0.001,
  lastEvaluation: '2026-01-02T03:04:00.5Z',
  type: 'alerting',
};
const recordJSON = {
  name: 'job:up:sum',
  query: 'sum by (job) (up)',
  health: 'err',
  lastError: 'boom',
  evaluationTime: 0.0005,
  lastEvaluation: '0001-01-01T00:00:00Z',
  type: 'recording',
};
const nodeGroup = (rulesJSON: unknown[]) => ({
  name: 'node',
  file: '/etc/rules/node.yml',
  rules: rulesJSON,
  interval: 60,
  limit: 0,
  evaluationTime: 0.002,
  lastEvaluation: '2026-01-02T03:04:00Z',
});
const otherGroup = {
  name: 'other',
  file: '/etc/rules/other.yml',
  rules: [
    {
      name: 'x:y',
      query: 'y',
      labels: { team: 'a' },
      health: 'unknown',
      evaluationTime: 0,
      lastEvaluation: '0001-01-01T00:00:00Z',
      type: 'recording',
    },
  ],
  interval: 30,
  limit: 10,
  evaluationTime: 0,
  lastEvaluation: '0001-01-01T00:00:00Z',
};

describe('rules and alerts', () => {
  it('lists every group and rule, and the active alerts', async () => {
    expect(await data('/api/v1/rules')).toEqual({
      groups: [nodeGroup([highLoadJSON, recordJSON]), otherGroup],
    });
    expect(await data('/api/v1/alerts')).toEqual({ alerts: [alertJSON] });
    expect(await data('/api/v1/alertmanagers')).toEqual({
      activeAlertmanagers: [{ url: 'http://am:9093/api/v2/alerts' }],
      droppedAlertmanagers: [{ url: 'http://dropped:9093/api/v2/alerts' }],
    });
  });

  it('filters by type, rule_name[], rule_group[], file[] and match[], dropping emptied groups', async () => {
    expect(await data('/api/v1/rules?type=alert')).toEqual({ groups: [nodeGroup([highLoadJSON])] });
    expect(await data('/api/v1/rules?type=RECORD')).toEqual({
      groups: [nodeGroup([recordJSON]), otherGroup],
    });
    expect(await data('/api/v1/rules?rule_name[]=job:up:sum&rule_name[]=x:y')).toEqual({
      groups: [nodeGroup([recordJSON]), otherGroup],
    });
    expect(await data('/api/v1/rules?rule_group[]=other')).toEqual({ groups: [otherGroup] });
    expect(await data(`/api/v1/rules?file[]=${encodeURIComponent('/etc/rules/node.yml')}`)).toEqual({
      groups: [nodeGroup([highLoadJSON, recordJSON])],
    });
    expect(await data(`/api/v1/rules?match[]=${encodeURIComponent('{severity="page"}')}`)).toEqual({
      groups: [nodeGroup([highLoadJSON])],
    });
    expect(await data('/api/v1/rules?type=alert&exclude_alerts=true')).toEqual({
      groups: [nodeGroup([{ ...highLoadJSON, alerts: null }])],
    });
  });

  it('pages over groups with group_limit and group_next_token', async () => {
    const token = crypto.createHash('sha1').update('/etc/rules/other.yml;other').digest('hex');
    expect(await data('/api/v1/rules?group_limit=1')).toEqual({
      groups: [nodeGroup([highLoadJSON, recordJSON])],
      groupNextToken: token,
    });
    expect(await data(`/api/v1/rules?group_limit=1&group_next_token=${token}`)).toEqual({
      groups: [otherGroup],
    });
  });

  it('rejects bad parameters as Prometheus does', async () => {
    expect(await data('/api/v1/rules?type=x')).toEqual({
      status: 400,
      error: 'invalid parameter "type": not supported value "x"',
    });
    expect(await data('/api/v1/rules?exclude_alerts=maybe')).toEqual({
      status: 400,
      error:
        'invalid parameter "exclude_alerts": error converting exclude_alerts: strconv.ParseBool: parsing "maybe": invalid syntax',
    });
    expect(await data('/api/v1/rules?group_next_token=abc')).toEqual({
      status: 400,
      error:
        'invalid parameter "group_next_token": group_limit needs to be present in order to paginate over the groups',
    });
    expect(await data('/api/v1/rules?group_limit=0')).toEqual({
      status: 400,
      error: 'invalid parameter "group_limit": group_limit needs to be greater than 0',
    });
    expect(await data('/api/v1/rules?group_limit=1&group_next_token=abc')).toEqual({
      status: 400,
      error:
        'invalid parameter "group_next_token": invalid group_next_token \'abc\'. were rule groups changed?',
    });
  });
});
