// Rules and alerting end to end with a real Alertmanager (Debian's prometheus-alertmanager, installed by
// .ci/run, started here on 127.0.0.1): an alert fires, reaches Alertmanager with its templated
// annotations and the external labels, shows in /api/v1/rules, /api/v1/alerts and as ALERTS; a reload
// resolves it and Alertmanager learns so; a restart restores the `for` state of a pending alert.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerFixtures } from '../support/peers.js';
import { freePort } from '../support/scrape-e2e.js';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.js';

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

const { dirs, running, startPeer } = peerFixtures('promethium-alerting-');

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

/** Starts Alertmanager on a free port with a config that receives everything; returns its URL. */
async function startAlertmanager(dir: string): Promise<string> {
  const port = await freePort();
  const cfg = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(cfg, 'route:\n  receiver: none\n  group_wait: 0s\nreceivers:\n  - name: none\n');
  const url = `http://127.0.0.1:${port}`;
  await startPeer({
    binary: ALERTMANAGER,
    debianPackage: 'prometheus-alertmanager',
    args: [
      `--config.file=${cfg}`,
      `--storage.path=${path.join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    url,
  });
  return url;
}

async function amAlerts(am: string): Promise<AmAlert[]> {
  return (await (await fetch(`${am}/api/v2/alerts`)).json()) as AmAlert[];
}

async function api<T>(s: ServerProcess, p: string): Promise<T> {
  const body = (await (await s.fetch(p)).json()) as { status: string; data: T };
  expect(body.status).toBe('success');
  return body.data;
}

describe('rules and alerting with a real Alertmanager', () => {
  it('fires an alert into Alertmanager, reports it in the API, and resolves it after a reload', async () => {
    const dir = dirs.make();
    const am = await startAlertmanager(dir);
    const rules = path.join(dir, 'rules.yml');
    const firing = `groups:
- name: demo
  interval: 1s
  rules:
  - record: demo:one
    expr: vector(1)
    labels:
      source: recorded
  - alert: DemoAlert
    expr: demo:one * 42
    labels:
      severity: page
    annotations:
      summary: 'value {{ $value }} from {{ $labels.source }}, {{ humanize 1234567 }}'
`;
    fs.writeFileSync(rules, firing);
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      config,
      `global:
  evaluation_interval: 1s
  external_labels:
    cluster: e2e
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['${am.replace('http://', '')}']
`,
    );
    const s = await startServer([
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-lifecycle',
      '--rules.alert.resend-delay=1s',
      '--web.external-url=http://promethium.example:9090',
    ]);
    running.push(s);

    // Alertmanager receives it, with the external label and the expanded annotation
    let got: AmAlert | undefined;
    await waitFor(async () => {
      got = (await amAlerts(am)).find((a) => a.labels.alertname === 'DemoAlert');
      return got !== undefined;
    }, 30_000);
    expect(got!.labels).toEqual({
      alertname: 'DemoAlert',
      cluster: 'e2e',
      severity: 'page',
      source: 'recorded',
    });
    expect(got!.annotations).toEqual({ summary: 'value 42 from recorded, 1.235M' });
    expect(got!.generatorURL).toBe('http://promethium.example:9090/graph?g0.expr=demo%3Aone+%2A+42&g0.tab=1');
    expect(got!.status.state).toBe('active');

    const groups = await api<{
      groups: Array<{ name: string; file: string; interval: number; rules: Array<Record<string, unknown>> }>;
    }>(s, '/api/v1/rules');
    expect(groups.groups).toHaveLength(1);
    const g = groups.groups[0];
    expect(g).toMatchObject({ name: 'demo', file: rules, interval: 1 });
    expect(g.rules[0]).toMatchObject({
      type: 'recording',
      name: 'demo:one',
      health: 'ok',
      query: 'vector(1)',
    });
    expect(g.rules[1]).toMatchObject({
      type: 'alerting',
      name: 'DemoAlert',
      state: 'firing',
      health: 'ok',
      query: 'demo:one * 42',
      duration: 0,
    });
    const alerts = await api<{
      alerts: Array<{ labels: Record<string, string>; state: string; value: string }>;
    }>(s, '/api/v1/alerts');
    expect(alerts.alerts).toEqual([
      expect.objectContaining({
        labels: { alertname: 'DemoAlert', severity: 'page', source: 'recorded' },
        state: 'firing',
        value: '4.2e+01',
      }),
    ]);
    // ALERTS is written once the group's `for` state restore has run, after its second evaluation
    await waitFor(async () => {
      const vec = await api<{ result: Array<{ metric: Record<string, string> }> }>(
        s,
        '/api/v1/query?query=' + encodeURIComponent('ALERTS{alertstate="firing"}'),
      );
      return vec.result.length === 1 && vec.result[0].metric.alertname === 'DemoAlert';
    }, 10_000);
    const ams = await api<{ activeAlertmanagers: Array<{ url: string }> }>(s, '/api/v1/alertmanagers');
    expect(ams.activeAlertmanagers).toEqual([{ url: `${am}/api/v2/alerts` }]);
    const metrics = await (await s.fetch('/metrics')).text();
    expect(metrics).toMatch(/prometheus_notifications_sent_total\{alertmanager="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/prometheus_rule_evaluations_total\{rule_group="[^"]*;demo"\} [1-9]/);

    // the expression stops returning anything: the alert resolves and Alertmanager is told at once
    fs.writeFileSync(rules, firing.replace('expr: demo:one * 42', 'expr: demo:one * 42 < 0'));
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
    await waitFor(async () => (await amAlerts(am)).every((a) => a.labels.alertname !== 'DemoAlert'), 30_000);
    const after = await api<{ groups: Array<{ rules: Array<{ state?: string }> }> }>(s, '/api/v1/rules');
    expect(after.groups[0].rules[1].state).toBe('inactive');

    // a bad rule file on reload keeps the running rules and fails the reload
    fs.writeFileSync(rules, 'groups:\n- name: demo\n  rules:\n  - record: broken\n');
    const bad = await s.fetch('/-/reload', { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain("field 'expr' must be set in rule");
    const kept = await api<{ groups: Array<{ rules: unknown[] }> }>(s, '/api/v1/rules');
    expect(kept.groups[0].rules).toHaveLength(2);
  });

  it('restores the for state of a pending alert after a restart', async () => {
    const dir = dirs.make();
    fs.writeFileSync(
      path.join(dir, 'rules.yml'),
      'groups:\n- name: slow\n  interval: 1s\n  rules:\n  - alert: Slow\n    expr: vector(1)\n    for: 1h\n',
    );
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, 'global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n');
    const args = [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--rules.alert.for-grace-period=1s',
    ];
    type Alerts = { alerts: Array<{ state: string; activeAt: string }> };
    const pendingFor = async (s: ServerProcess): Promise<number> => {
      const a = (await api<Alerts>(s, '/api/v1/alerts')).alerts;
      return a.length === 1 ? Date.now() - Date.parse(a[0].activeAt) : 0;
    };
    const first = await startServer(args);
    running.push(first);
    // pending for a while, with ALERTS_FOR_STATE written each second
    await waitFor(async () => (await pendingFor(first)) >= 8000, 30_000);
    expect((await api<Alerts>(first, '/api/v1/alerts')).alerts[0].state).toBe('pending');
    await first.stop();

    const second = await startServer(args);
    running.push(second);
    // restored after the second evaluation: the 8 s it had been pending carry over, where a fresh
    // alert would have been pending for about three intervals after three evaluations
    const evaluations = async (): Promise<number> => {
      const m = /prometheus_rule_evaluations_total\{[^}]*\} (\d+)/.exec(
        await (await second.fetch('/metrics')).text(),
      );
      return m === null ? 0 : Number(m[1]);
    };
    await waitFor(async () => (await evaluations()) >= 3, 30_000);
    expect(await pendingFor(second)).toBeGreaterThan(7000);
    expect((await api<Alerts>(second, '/api/v1/alerts')).alerts[0].state).toBe('pending');
  });
});
