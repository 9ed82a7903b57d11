// The notifier against Alertmanager-like HTTP receivers on 127.0.0.1 (the real Alertmanager is in
// test/e2e/alerting.test.ts): the alerts path and relabelling of Alertmanagers, external labels and
// alert relabelling, batches, a bounded queue that drops the oldest, no retry, draining on stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { Notifier, type NotifierAlert } from '../../src/notifier/notifier.js';
import { waitFor } from '../support/server-process.js';

interface Receiver {
  address: string;
  posts: Array<{
    path: string;
    body: Array<{ labels: Record<string, string>; startsAt?: string; endsAt?: string }>;
  }>;
  /** Answers requests only once released (while held, requests wait). */
  hold(): void;
  release(): void;
  status: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
const notifiers: Notifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.stop(1000);
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<Receiver> {
  let held: Array<() => void> | undefined;
  const r: Receiver = {
    address: '',
    posts: [],
    status: 200,
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const w of waiting) w();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const answer = (): void => {
        r.posts.push({ path: req.url ?? '', body: JSON.parse(body) as Receiver['posts'][number]['body'] });
        res.writeHead(r.status).end();
      };
      if (held !== undefined) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  receivers.push(r);
  return r;
}

function notifier(yaml: string, o: { capacity?: number; batch?: number; drain?: boolean } = {}) {
  const registry = new Registry();
  const n = new Notifier({
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    registry,
    queueCapacity: o.capacity ?? 10_000,
    batchSize: o.batch ?? 256,
    drainOnShutdown: o.drain ?? true,
    userAgent: 'Promethium/test',
  });
  notifiers.push(n);
  const cfg = parseConfig(yaml, 'prometheus.yml', '/tmp');
  return { n, registry, cfg };
}

function alert(name: string, extra: Record<string, string> = {}): NotifierAlert {
  return {
    labels: Labels.fromRecord({ alertname: name, ...extra }),
    annotations: { summary: name },
    startsAt: Date.UTC(2026, 0, 1),
    endsAt: Date.UTC(2026, 0, 1, 0, 4),
    generatorURL: 'http://promethium:9090/graph?g0.expr=up&g0.tab=1',
  };
}

async function metric(registry: Registry, name: string): Promise<number> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('notifier', () => {
  it('posts to <scheme>://<address><path_prefix>/api/v2/alerts with external labels and alert relabelling', async () => {
    const am = await receiver();
    const { n, cfg } = notifier(`
global:
  external_labels: {cluster: c1, severity: default}
alerting:
  alert_relabel_configs:
    - source_labels: [alertname]
      regex: Dropped
      action: drop
  alertmanagers:
    - path_prefix: /am/
      static_configs: [{targets: ['${am.address}']}]
      alert_relabel_configs:
        - target_label: via
          replacement: set-0
`);
    await n.applyConfig(cfg);
    n.updateTargets('config-0', [{ source: 's', targets: [{ __address__: am.address }], labels: {} }]);
    expect(n.activeAlertmanagers()).toEqual([`http://${am.address}/am/api/v2/alerts`]);
    n.send([alert('Kept', { severity: 'page' }), alert('Dropped')]);
    await waitFor(() => am.posts.length === 1);
    expect(am.posts[0].path).toBe('/am/api/v2/alerts');
    expect(am.posts[0].body).toEqual([
      {
        labels: { alertname: 'Kept', cluster: 'c1', severity: 'page', via: 'set-0' },
        annotations: { summary: 'Kept' },
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '2026-01-01T00:04:00Z',
        generatorURL: 'http://promethium:9090/graph?g0.expr=up&g0.tab=1',
      },
    ]);
  });

  it('chooses Alertmanagers by relabel_configs and lists the dropped ones', async () => {
    const { n, cfg } = notifier(`
alerting:
  alertmanagers:
    - static_configs: [{targets: ['a:9093', 'b:9093']}]
      relabel_configs:
        - source_labels: [__address__]
          regex: b:9093
          action: drop
`);
    await n.applyConfig(cfg);
    n.updateTargets('config-0', [
      { source: 's', targets: [{ __address__: 'a:9093' }, { __address__: 'b:9093' }], labels: {} },
    ]);
    expect(n.activeAlertmanagers()).toEqual(['http://a:9093/api/v2/alerts']);
    expect(n.droppedAlertmanagers()).toEqual(['http://b:9093/api/v2/alerts']);
  });

  it('sends in batches, drops the oldest alerts when the queue is full, and does not retry', async () => {
    const am = await receiver();
    const { n, cfg, registry } = notifier(
      `alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['${am.address}']}]\n`,
      { capacity: 4, batch: 2 },
    );
    await n.applyConfig(cfg);
    n.updateTargets('config-0', [{ source: 's', targets: [{ __address__: am.address }], labels: {} }]);
    am.hold();
    n.send([alert('a1'), alert('a2')]); // taken as the first batch, its POST held
    await waitFor(async () => (await metric(registry, 'prometheus_notifications_queue_length')) === 0);
    n.send(['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((x) => alert(x)));
    expect(await metric(registry, 'prometheus_notifications_dropped_total')).toBe(2);
    am.release();
    await waitFor(() => am.posts.length === 3);
    expect(am.posts.map((p) => p.body.map((a) => a.labels.alertname))).toEqual([
      ['a1', 'a2'],
      ['b3', 'b4'],
      ['b5', 'b6'],
    ]);
    // a failed batch is counted and not sent again
    am.status = 500;
    n.send([alert('c1')]);
    await waitFor(async () => (await metric(registry, 'prometheus_notifications_errors_total')) === 1);
    expect(am.posts).toHaveLength(4);
    expect(await metric(registry, 'prometheus_notifications_sent_total')).toBe(7);
  });

  it('sends what is queued before it stops, with drain-on-shutdown', async () => {
    const am = await receiver();
    const { n, cfg } = notifier(
      `alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['${am.address}']}]\n`,
      {
        batch: 1,
      },
    );
    await n.applyConfig(cfg);
    n.updateTargets('config-0', [{ source: 's', targets: [{ __address__: am.address }], labels: {} }]);
    n.send([alert('x1'), alert('x2'), alert('x3')]);
    await n.stop(5000);
    expect(am.posts.map((p) => p.body[0].labels.alertname)).toEqual(['x1', 'x2', 'x3']);
  });
});
