// Rule manager self-metrics under Prometheus's names (rules/manager.go NewGroupMetrics); the per-group
// gauges are computed from the groups when scraped.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

export interface RuleMetrics {
  evaluations: Counter<'rule_group'>;
  failures: Counter<'rule_group'>;
  missed: Counter<'rule_group'>;
  scheduled: Counter<'rule_group'>;
  groupDuration: Summary;
  ruleDuration: Summary;
}

/** What the per-group gauges read. */
export interface GroupStats {
  key: string;
  intervalSeconds: number;
  lastDurationSeconds: number;
  lastEvaluationSeconds: number;
  lastSamples: number;
  rules: number;
}

export function ruleMetrics(registry: Registry, groups: () => GroupStats[]): RuleMetrics {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (g: GroupStats) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['rule_group'],
      registers,
      collect() {
        this.reset();
        for (const g of groups()) this.set({ rule_group: g.key }, read(g));
      },
    });
  };
  gauge('prometheus_rule_group_interval_seconds', 'The interval of a rule group.', (g) => g.intervalSeconds);
  gauge(
    'prometheus_rule_group_last_duration_seconds',
    'The duration of the last rule group evaluation.',
    (g) => g.lastDurationSeconds,
  );
  gauge(
    'prometheus_rule_group_last_evaluation_timestamp_seconds',
    'The timestamp of the last rule group evaluation in seconds.',
    (g) => g.lastEvaluationSeconds,
  );
  gauge(
    'prometheus_rule_group_last_evaluation_samples',
    'The number of samples returned during the last rule group evaluation.',
    (g) => g.lastSamples,
  );
  gauge('prometheus_rule_group_rules', 'The number of rules.', (g) => g.rules);
  const summary = { percentiles: [0.01, 0.05, 0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers };
  return {
    evaluations: new Counter({
      name: 'prometheus_rule_evaluations_total',
      help: 'The total number of rule evaluations.',
      labelNames: ['rule_group'],
      registers,
    }),
    failures: new Counter({
      name: 'prometheus_rule_evaluation_failures_total',
      help: 'The total number of rule evaluation failures.',
      labelNames: ['rule_group'],
      registers,
    }),
    missed: new Counter({
      name: 'prometheus_rule_group_iterations_missed_total',
      help: 'The total number of rule group evaluations missed due to slow rule group evaluation.',
      labelNames: ['rule_group'],
      registers,
    }),
    scheduled: new Counter({
      name: 'prometheus_rule_group_iterations_total',
      help: 'The total number of scheduled rule group evaluations, whether executed or missed.',
      labelNames: ['rule_group'],
      registers,
    }),
    groupDuration: new Summary({
      name: 'prometheus_rule_group_duration_seconds',
      help: 'The duration of rule group evaluations.',
      ...summary,
    }),
    ruleDuration: new Summary({
      name: 'prometheus_rule_evaluation_duration_seconds',
      help: 'The duration for a rule to execute.',
      ...summary,
    }),
  };
}
