// Recording and alerting rules evaluated by a group at chosen times (a controllable clock), over an
// in-memory storage: Prometheus's rules/recording_test.go, alerting_test.go and group behaviour.
import { describe, expect, it } from 'vitest';
import { localRuleQuery } from '../../src/cli/rules-wiring.js';
import { createLogger } from '../../src/log/logger.js';
import { Matcher } from '../../src/model/matcher.js';
import { Labels } from '../../src/model/labels.js';
import { CounterResetHint } from '../../src/model/histogram.js';
import { isStaleNaN } from '../../src/model/value.js';
import { labelsHash64, xxhash64 } from '../../src/model/xxhash64.js';
import { Group, type GroupEnv } from '../../src/rules/group.js';
import { buildRules } from '../../src/rules/manager.js';
import { AlertingRule, type Alert } from '../../src/rules/rule.js';
import { parseRules } from '../../src/rules/rulefmt.js';
import { MemoryStorage } from '../../src/storage/memory.js';

const M = 60_000;

function env(storage: MemoryStorage, sent: Array<{ expr: string; alerts: Alert[] }> = []): GroupEnv {
  return {
    appendable: storage,
    query: localRuleQuery(storage, { lookbackDeltaMs: 5 * M }),
    externalLabels: { cluster: 'c1' },
    externalURL: 'http://prom.example:9090',
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    notify: (expr, alerts) => sent.push({ expr, alerts }),
    resendDelayMs: M,
    outageToleranceMs: 60 * M,
    forGracePeriodMs: 10 * M,
  };
}

function group(yaml: string, e: GroupEnv, restored = true): Group {
  const parsed = parseRules(yaml);
  expect(parsed.errors).toEqual([]);
  const spec = parsed.groups[0];
  return new Group(
    {
      name: spec.name,
      file: 'rules.yml',
      intervalMs: spec.interval || M,
      queryOffsetMs: spec.queryOffset ?? 0,
      limit: spec.limit,
      rules: buildRules(spec, restored),
      shouldRestore: !restored,
    },
    e,
  );
}

function put(st: MemoryStorage, labels: Record<string, string>, samples: Array<[number, number]>): void {
  st.add(Labels.fromRecord(labels), samples);
}

/** The newest sample of each series matching `name` at or before t, as "labels => value". */
function read(st: MemoryStorage, name: string, t: number): Record<string, number> {
  const q = st.querier(0, t);
  const out: Record<string, number> = {};
  for (const s of q.select([new Matcher('=', '__name__', name)])) {
    const b = s.samples();
    if (b.length === 0) continue;
    out[s.labels.toString()] = isStaleNaN(b.v[b.length - 1]) ? NaN : b.v[b.length - 1];
  }
  return out;
}

describe('recording rules', () => {
  it('name the result, add labels, and are readable by the next rule of the group at once', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'http_requests_total', job: 'api', instance: 'a' }, [[0, 1]]);
    put(st, { __name__: 'http_requests_total', job: 'api', instance: 'b' }, [[0, 2]]);
    const g = group(
      `groups:
- name: g
  labels: {team: infra}
  rules:
  - record: job:http_requests:sum
    expr: sum by (job) (http_requests_total)
    labels: {source: rule}
  - record: job:http_requests:double
    expr: job:http_requests:sum * 2
`,
      env(st),
    );
    await g.evalAt(M);
    expect(read(st, 'job:http_requests:sum', M)).toEqual({
      'job:http_requests:sum{job="api", source="rule", team="infra"}': 3,
    });
    // the second rule saw the first one's output of this very evaluation
    expect(read(st, 'job:http_requests:double', M)).toEqual({
      'job:http_requests:double{job="api", source="rule", team="infra"}': 6,
    });
    expect(g.rules.map((r) => r.health)).toEqual(['ok', 'ok']);
  });

  it('fail on duplicate label sets and over the limit, with Prometheus messages', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'x', a: '1' }, [[0, 1]]);
    put(st, { __name__: 'y', a: '1' }, [[0, 1]]);
    const g = group(
      `groups:
- name: g
  limit: 1
  rules:
  - record: dup
    expr: '{a="1"}'
  - record: many
    expr: '{a="1"} * 0 + on() group_left vector(0) or label_replace({a="1"}, "b", "$1", "__name__", "(.*)")'
`,
      env(st),
    );
    await g.evalAt(M);
    expect(g.rules[0].health).toBe('err');
    expect(g.rules[0].lastError).toBe(
      'vector contains metrics with the same labelset after applying rule labels',
    );
    expect(g.rules[1].lastError).toMatch(/^exceeded limit of 1 with \d+ series$|same labelset/);
  });

  it('record native histogram results as float histograms, readable by the next rule', async () => {
    const st = new MemoryStorage();
    const app = st.appender();
    for (const [inst, k] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      for (let i = 0; i <= 2; i++) {
        app.appendHistogram!(
          0,
          Labels.fromRecord({ __name__: 'lat', instance: inst }),
          i * 30_000,
          undefined,
          {
            counterResetHint: CounterResetHint.Unknown,
            schema: 0,
            zeroThreshold: 0,
            zeroCount: 0,
            count: 3 * k * (i + 1),
            sum: k * (i + 1),
            positiveSpans: [{ offset: 0, length: 2 }],
            positiveBuckets: [k * (i + 1), 2 * k * (i + 1)],
            negativeSpans: [],
            negativeBuckets: [],
          },
        );
      }
    }
    await app.commit();
    const g = group(
      `groups:
- name: g
  rules:
  - record: lat:sum
    expr: sum(lat)
  - record: lat:count
    expr: histogram_count(lat:sum)
`,
      env(st),
    );
    await g.evalAt(M);
    expect(g.rules.map((r) => [r.health, r.lastError])).toEqual([
      ['ok', ''],
      ['ok', ''],
    ]);
    const q = st.querier(0, M);
    const [rec] = [...q.select([new Matcher('=', '__name__', 'lat:sum')])];
    const hs = rec.histograms?.() ?? [];
    expect(hs).toHaveLength(1);
    expect(hs[0].fh?.count).toBe(27);
    expect(hs[0].fh?.positiveBuckets).toEqual([9, 18]);
    expect(read(st, 'lat:count', M)).toEqual({ 'lat:count': 27 });
  });

  it('write a stale marker for a series that vanished', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'up', job: 'a' }, [[0, 1]]);
    put(st, { __name__: 'up', job: 'b' }, [
      [0, 1],
      [M, 0],
    ]);
    const g = group(`groups:\n- name: g\n  rules:\n  - record: up:one\n    expr: up == 1\n`, env(st));
    await g.evalAt(M - 1000);
    expect(Object.keys(read(st, 'up:one', M))).toHaveLength(2);
    await g.evalAt(M);
    const now = read(st, 'up:one', M);
    expect(now['up:one{job="a"}']).toBe(1);
    expect(Number.isNaN(now['up:one{job="b"}'])).toBe(true);
  });
});

describe('alerting rules', () => {
  const rule = `groups:
- name: g
  rules:
  - alert: HighValue
    expr: metric > 5
    for: 2m
    keep_firing_for: 0s
    labels:
      severity: page
      instance_copy: '{{ $labels.instance }}'
    annotations:
      summary: 'Value of {{ $labels.instance }} is {{ $value }} ({{ humanize $value }}) in {{ $externalLabels.cluster }}'
      broken: '{{ $labels.instance | nosuchfunc }}'
`;

  it('go pending, firing and inactive; write ALERTS and ALERTS_FOR_STATE; resend and resolve as Prometheus', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'metric', instance: 'a' }, [
      [0, 10],
      [M, 10],
      [2 * M, 10],
      [3 * M, 10],
      [4 * M, 1],
    ]);
    const sent: Array<{ expr: string; alerts: Alert[] }> = [];
    const ok = rule.replace("      broken: '{{ $labels.instance | nosuchfunc }}'\n", '');
    const g = group(ok, env(st, sent));
    const r = g.rules[0] as AlertingRule;
    await g.evalAt(0);
    expect(r.state()).toBe('pending');
    expect(read(st, 'ALERTS', 0)).toEqual({
      'ALERTS{alertname="HighValue", alertstate="pending", instance="a", instance_copy="a", severity="page"}': 1,
    });
    expect(read(st, 'ALERTS_FOR_STATE', 0)).toEqual({
      'ALERTS_FOR_STATE{alertname="HighValue", instance="a", instance_copy="a", severity="page"}': 0,
    });
    expect(sent).toEqual([]); // pending alerts are never sent
    await g.evalAt(M);
    expect(r.state()).toBe('pending');
    await g.evalAt(2 * M);
    expect(r.state()).toBe('firing');
    const a = [...r.active.values()][0];
    expect(a.annotations.summary).toBe('Value of a is 10 (10) in c1');
    expect(sent).toHaveLength(1);
    expect(sent[0].alerts[0]).toMatchObject({ state: 'firing', firedAt: 2 * M, validUntil: 2 * M + 4 * M });
    // resent only once the resend delay has passed
    await g.evalAt(3 * M);
    expect(sent).toHaveLength(1);
    await g.evalAt(3 * M + 1000);
    expect(sent).toHaveLength(2);
    // resolved: sent at once with its resolution time, kept and resent for 15 minutes
    await g.evalAt(4 * M);
    expect(r.state()).toBe('inactive');
    expect(sent).toHaveLength(3);
    expect(sent[2].alerts[0]).toMatchObject({ state: 'inactive', resolvedAt: 4 * M });
    const aq = read(st, 'ALERTS', 4 * M);
    expect(Number.isNaN(Object.values(aq)[0])).toBe(true); // stale
    await g.evalAt(4 * M + 15 * M);
    expect(r.active.size).toBe(1);
    await g.evalAt(4 * M + 15 * M + 1000);
    expect(r.active.size).toBe(0);
  });

  it('fire at once with for 0; keep firing for keep_firing_for', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'metric', instance: 'a' }, [
      [0, 10],
      [M, 1],
    ]);
    const g = group(
      `groups:\n- name: g\n  rules:\n  - alert: A\n    expr: metric > 5\n    keep_firing_for: 90s\n`,
      env(st),
    );
    const r = g.rules[0] as AlertingRule;
    await g.evalAt(0);
    expect(r.state()).toBe('firing');
    await g.evalAt(M);
    expect(r.state()).toBe('firing');
    expect([...r.active.values()][0].keepFiringSince).toBe(M);
    await g.evalAt(M + 90_000);
    expect(r.state()).toBe('inactive');
  });

  it('turn a template error into "<error expanding template: ...>" without failing the rule', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'metric', instance: 'a' }, [[0, 10]]);
    const bad = rule.replace("'{{ $labels.instance | nosuchfunc }}'", "'{{ index $labels 1 }}'");
    const g = group(bad, env(st));
    await g.evalAt(0);
    const a = [...(g.rules[0] as AlertingRule).active.values()][0];
    expect(g.rules[0].health).toBe('ok');
    expect(a.annotations.broken).toMatch(
      /^<error expanding template: error executing template __alert_HighValue: /,
    );
  });

  it('clear all alerts and fail over the limit', async () => {
    const st = new MemoryStorage();
    put(st, { __name__: 'metric', instance: 'a' }, [[0, 10]]);
    put(st, { __name__: 'metric', instance: 'b' }, [[0, 10]]);
    const g = group(
      `groups:\n- name: g\n  limit: 1\n  rules:\n  - alert: A\n    expr: metric > 5\n`,
      env(st),
    );
    await g.evalAt(0);
    expect(g.rules[0].lastError).toBe('exceeded limit of 1 with 2 alerts');
    expect((g.rules[0] as AlertingRule).active.size).toBe(0);
  });

  it('restore the for state from ALERTS_FOR_STATE after a restart, shifted by the outage', async () => {
    const st = new MemoryStorage();
    const samples: Array<[number, number]> = [];
    for (let t = 0; t <= 60 * M; t += M) samples.push([t, 10]);
    put(st, { __name__: 'metric', instance: 'a' }, samples);
    const yaml = `groups:\n- name: g\n  rules:\n  - alert: Long\n    expr: metric > 5\n    for: 30m\n`;
    // the first server: pending from 0 to 10m, then it stops
    const first = group(yaml, env(st));
    for (let t = 0; t <= 10 * M; t += M) await first.evalAt(t);
    // restarted at 20m: not restored yet, so no ALERTS written; restore after the second evaluation
    const second = group(yaml, env(st), false);
    const r = second.rules[0] as AlertingRule;
    await second.evalAt(20 * M);
    await second.evalAt(21 * M);
    await second.restoreForState(21 * M);
    // it had been pending 10 minutes; the 11-minute outage is added to its start
    expect([...r.active.values()][0].activeAt).toBe(0 + (21 * M - 10 * M));
    expect(r.restored).toBe(true);
  });
});

describe('group scheduling', () => {
  it('hashes labels with XXH64 as Go does', () => {
    expect(xxhash64(new Uint8Array()).toString(16)).toBe('ef46db3751d8e999');
    expect(xxhash64(Buffer.from('a')).toString(16)).toBe('d24ec4f1a98c6e5b');
    expect(xxhash64(Buffer.from('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxhash64(Buffer.from('Nobody inspects the spammish repetition')).toString(16)).toBe(
      'fbcea83c8a378bf1',
    );
    expect(typeof labelsHash64(['file', 'f', 'name', 'n'])).toBe('bigint');
  });

  it('evaluates at a fixed slot within the interval', () => {
    const g = group(
      `groups:\n- name: g\n  rules:\n  - record: r\n    expr: vector(1)\n`,
      env(new MemoryStorage()),
    );
    const offset = g.slotOffset();
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(M);
    const now = 1_700_000_000_000;
    const ts = g.evalTimestamp(now);
    expect(ts).toBeLessThanOrEqual(now);
    expect(now - ts).toBeLessThan(M);
    expect((((ts - offset) % M) + M) % M).toBe(0);
  });
});
