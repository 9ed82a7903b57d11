// The four cases of prometheus/compliance's alert_generator suite (cases/all_cases.go), as scenarios on a
// controllable clock: input samples every 15 s, the group evaluated every 30 s, ResendDelay 1 m. The
// payloads checked are those the specification asks for: only firing and resolved alerts are sent, right
// after an evaluation; startsAt = FiredAt; endsAt = ResolvedAt, else ValidUntil = t + 4×max(interval,
// resend delay); resends once the resend delay has strictly passed (Prometheus's needsSending); resolved
// alerts resent for 15 minutes.
import { describe, expect, it } from 'vitest';
import { localRuleQuery, toNotifierAlerts } from '../../src/cli/rules-wiring.js';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import type { NotifierAlert } from '../../src/notifier/notifier.js';
import { Group } from '../../src/rules/group.js';
import { buildRules } from '../../src/rules/manager.js';
import type { AlertingRule } from '../../src/rules/rule.js';
import { parseRules } from '../../src/rules/rulefmt.js';
import { MemoryStorage } from '../../src/storage/memory.js';

const S = 1000;
const INTERVAL = 30 * S;
const EXTERNAL_URL = 'http://promethium:9090';

interface Sent {
  at: number;
  alert: NotifierAlert;
}

/** A group over `rules` with input series fed as the clock advances; `run(until)` evaluates every 30 s. */
function scenario(rules: string, inputs: Record<string, Array<number | null>>) {
  const storage = new MemoryStorage();
  const sent: Sent[] = [];
  let now = 0;
  const parsed = parseRules(rules);
  expect(parsed.errors).toEqual([]);
  const spec = parsed.groups[0];
  const group = new Group(
    {
      name: spec.name,
      file: 'rules.yaml',
      intervalMs: INTERVAL,
      queryOffsetMs: 0,
      limit: 0,
      rules: buildRules(spec, true),
      shouldRestore: false,
    },
    {
      appendable: storage,
      query: localRuleQuery(storage, { lookbackDeltaMs: 5 * 60 * S }),
      externalLabels: {},
      externalURL: EXTERNAL_URL,
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
      notify: (expr, alerts) => {
        for (const alert of toNotifierAlerts(expr, alerts, EXTERNAL_URL)) sent.push({ at: now, alert });
      },
      resendDelayMs: 60 * S,
      outageToleranceMs: 3600 * S,
      forGracePeriodMs: 600 * S,
      now: () => now,
    },
  );
  // samples every 15 s from t=0; null: no sample (the series stops)
  const fed = new Map<string, number>();
  const feed = (until: number): void => {
    for (const [series, values] of Object.entries(inputs)) {
      const labels = Labels.fromRecord(JSON.parse(series) as Record<string, string>);
      let i = fed.get(series) ?? 0;
      const app = storage.appender();
      for (; i < values.length && i * 15 * S <= until; i++) {
        const v = values[i];
        if (v !== null) app.append(0, labels, i * 15 * S, v);
      }
      fed.set(series, i);
      void app.commit();
    }
  };
  return {
    sent,
    group,
    rule: (name: string) => group.rules.find((r) => r.name === name) as AlertingRule,
    async run(until: number): Promise<void> {
      for (; now <= until; now += INTERVAL) {
        feed(now);
        await group.evalAt(now);
      }
    },
  };
}

const series = (labels: Record<string, string>): string => JSON.stringify(labels);

describe('alert_generator cases', () => {
  it('PendingAndFiringAndResolved: pending for 6m, firing and resent each minute, resolved and resent for 15m', async () => {
    const values: Array<number | null> = [];
    for (let i = 0; i < 40; i++) values.push(i < 4 ? 1 : 10 + i); // above 5 from sample 4 (1m)
    const sc = scenario(
      `groups:
- name: g
  rules:
  - alert: PendingAndFiringAndResolved
    expr: metric_a > 5
    for: 6m
    annotations:
      description: 'The value is {{$value}} {{.Value}}'
`,
      { [series({ __name__: 'metric_a', foo: 'bar' })]: values },
    );
    const rule = sc.rule('PendingAndFiringAndResolved');
    await sc.run(60 * S);
    expect(rule.state()).toBe('pending');
    const pending = [...rule.active.values()][0];
    expect(pending.activeAt).toBe(60 * S);
    expect(pending.annotations.description).toBe('The value is 14 14');
    await sc.run(6 * 60 * S + 30 * S);
    expect(rule.state()).toBe('pending');
    expect(sc.sent).toEqual([]); // pending alerts are never sent
    // firing at activeAt + for
    await sc.run(7 * 60 * S);
    expect(rule.state()).toBe('firing');
    expect(sc.sent).toHaveLength(1);
    expect(sc.sent[0]).toEqual({
      at: 7 * 60 * S,
      alert: {
        labels: Labels.fromRecord({ alertname: 'PendingAndFiringAndResolved', foo: 'bar' }),
        annotations: { description: 'The value is 38 38' },
        startsAt: 7 * 60 * S,
        endsAt: 7 * 60 * S + 4 * 60 * S,
        generatorURL: `${EXTERNAL_URL}/graph?g0.expr=metric_a+%3E+5&g0.tab=1`,
      },
    });
    // the data stops at sample 39 (9m45s): resolved once the lookback has passed (14m45s)
    await sc.run(9 * 60 * S + 30 * S);
    // resent once the resend delay has passed (strictly, as Prometheus's needsSending): every 90 s here
    expect(sc.sent.map((s) => s.at / S)).toEqual([420, 510]);
    await sc.run(15 * 60 * S);
    expect(rule.state()).toBe('inactive');
    const resolved = sc.sent.filter((s) => s.alert.endsAt === 15 * 60 * S);
    expect(resolved[0].at).toBe(15 * 60 * S); // sent at once, endsAt = ResolvedAt
    // resent until 15 minutes after it resolved, not after
    await sc.run(32 * 60 * S);
    const after = sc.sent.filter((s) => s.at > 15 * 60 * S).map((s) => s.at / S);
    expect(after[after.length - 1]).toBe((30 * 60 * S) / S);
    expect(rule.active.size).toBe(0);
  });

  it('PendingAndResolved_AlwaysInactive: a pending alert that resolves is never sent; a rule that never fires is inactive', async () => {
    // above the threshold for 30 s only: pending, then gone
    const values: Array<number | null> = [10, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const sc = scenario(
      `groups:
- name: g
  rules:
  - alert: PendingAndResolved
    expr: metric_b > 5
    for: 3m
  - alert: AlwaysInactive
    expr: metric_b > 99
`,
      { [series({ __name__: 'metric_b' })]: values },
    );
    await sc.run(30 * S);
    expect(sc.rule('PendingAndResolved').state()).toBe('pending');
    await sc.run(12 * 60 * S);
    expect(sc.rule('PendingAndResolved').state()).toBe('inactive');
    expect(sc.rule('PendingAndResolved').active.size).toBe(0);
    expect(sc.rule('AlwaysInactive').state()).toBe('inactive');
    expect(sc.rule('AlwaysInactive').active.size).toBe(0);
    expect(sc.sent).toEqual([]);
  });

  it('ZeroFor_SmallFor: for 0 fires at the first evaluation, for 15s at the second, not before', async () => {
    const values: Array<number | null> = Array.from({ length: 20 }, () => 10);
    const sc = scenario(
      `groups:
- name: g
  rules:
  - alert: ZeroFor
    expr: metric_c > 5
  - alert: SmallFor
    expr: metric_c > 5
    for: 15s
    annotations:
      text: '{{humanize 1048576}} {{humanize1024 1048576}} {{humanizeDuration 135.3563}} {{humanizePercentage 0.959}} {{humanizeTimestamp 1643114203}} {{title "this part"}} {{toUpper "is testing"}} {{toLower "THE STRINGS"}} {{stripPort "[::1]:6006"}} {{parseDuration "2h10m15s"}}'
`,
      { [series({ __name__: 'metric_c' })]: values },
    );
    await sc.run(0);
    expect(sc.rule('ZeroFor').state()).toBe('firing');
    expect(sc.rule('SmallFor').state()).toBe('pending');
    expect(sc.sent.map((s) => s.alert.labels.get('alertname'))).toEqual(['ZeroFor']);
    await sc.run(30 * S);
    expect(sc.rule('SmallFor').state()).toBe('firing');
    const small = sc.sent.find((s) => s.alert.labels.get('alertname') === 'SmallFor')!;
    expect(small.at).toBe(30 * S);
    expect(small.alert.annotations.text).toBe(
      '1.049M 1Mi 2m 15s 95.9% 2022-01-25 12:36:43 +0000 UTC This Part IS TESTING the strings ::1 7815',
    );
  });

  it('NewAlerts_OrderCheck: a rule reads the ALERTS of the rule before it in the same evaluation', async () => {
    const values: Array<number | null> = Array.from({ length: 20 }, () => 10);
    const sc = scenario(
      `groups:
- name: g
  rules:
  - alert: First
    expr: metric_d > 5
  - alert: Second
    expr: ALERTS{alertname="First", alertstate="firing"}
    labels:
      alertname: ignored
    annotations:
      from: '{{ $labels.alertname }}'
`,
      { [series({ __name__: 'metric_d' })]: values },
    );
    await sc.run(0);
    // both fire at the first evaluation: Second saw First's ALERTS written moments before
    expect(sc.rule('First').state()).toBe('firing');
    expect(sc.rule('Second').state()).toBe('firing');
    const second = [...sc.rule('Second').active.values()][0];
    // templates see the query result's labels; the rule's alertname label gives way to the rule name
    expect(second.annotations.from).toBe('First');
    expect(second.labels.get('alertname')).toBe('Second');
  });
});
