// The rule manager (Prometheus's rules/manager.go): loads the groups of the rule files, runs one loop
// per group, and on reload keeps unchanged groups running, carries the state of changed ones over
// (same name and file) and marks the series of removed groups stale after two of their intervals.
// A bad rule file on reload leaves the running groups as they are and reports every error.
import type { Registry } from 'prom-client';
import type { NameValidationScheme } from '../model/labelname.js';
import { Group, type GroupEnv } from './group.js';
import { ruleMetrics, type RuleMetrics } from './metrics.js';
import { AlertingRule, RecordingRule, type Rule } from './rule.js';
import { parseRuleFile, type RuleGroupSpec } from './rulefmt.js';

export interface RuleManagerOptions extends Omit<GroupEnv, 'metrics' | 'externalLabels' | 'externalURL'> {
  registry?: Registry;
}

export interface RulesConfig {
  /** Rule files, globs already expanded. */
  files: string[];
  evaluationIntervalMs: number;
  /** global.rule_query_offset */
  queryOffsetMs: number;
  externalLabels: Record<string, string>;
  externalURL: string;
  scheme?: NameValidationScheme;
}

export class RuleLoadError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
  }
}

/** Loads rule files into group specs with their rules; every file's errors together. */
export function loadRuleGroups(
  files: readonly string[],
  scheme: NameValidationScheme = 'utf8',
): { groups: Array<{ file: string; spec: RuleGroupSpec }>; errors: string[]; warnings: string[] } {
  const groups: Array<{ file: string; spec: RuleGroupSpec }> = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    const parsed = parseRuleFile(file, { scheme });
    errors.push(...parsed.errors);
    warnings.push(...parsed.warnings.map((w) => `${file}: ${w}`));
    for (const spec of parsed.groups) groups.push({ file, spec });
  }
  return { groups, errors, warnings };
}

/** The rules of a group spec: group labels under each rule's own (the rule's win). */
export function buildRules(spec: RuleGroupSpec, restored: boolean): Rule[] {
  return spec.rules.map((r) => {
    const labels = { ...spec.labels, ...r.labels };
    return r.alert !== ''
      ? new AlertingRule(r.alert, r.expr, r.for, r.keepFiringFor, labels, r.annotations, restored)
      : new RecordingRule(r.record, r.expr, labels);
  });
}

/** Whether two groups hold the same definition (Prometheus's Group.Equals). */
function sameDefinition(a: Group, b: Group): boolean {
  if (a.intervalMs !== b.intervalMs || a.queryOffsetMs !== b.queryOffsetMs || a.limit !== b.limit)
    return false;
  if (a.rules.length !== b.rules.length) return false;
  return a.rules.every((r, i) => r.toString() === b.rules[i].toString());
}

export class RuleManager {
  private groups = new Map<string, Group>();
  private started = false;
  private readonly metrics: RuleMetrics | undefined;
  private readonly pendingStale = new Set<NodeJS.Timeout>();
  private env: GroupEnv;

  constructor(private readonly o: RuleManagerOptions) {
    this.metrics =
      o.registry === undefined
        ? undefined
        : ruleMetrics(o.registry, () =>
            [...this.groups.values()].map((g) => ({
              key: g.key,
              intervalSeconds: g.intervalMs / 1000,
              lastDurationSeconds: g.evaluationSeconds,
              lastEvaluationSeconds: g.lastEvaluation / 1000,
              lastSamples: g.lastSamples,
              rules: g.rules.length,
            })),
          );
    this.env = { ...o, externalLabels: {}, externalURL: '', metrics: this.metrics };
  }

  /**
   * Applies the rule files: throws RuleLoadError (and changes nothing) when any file is bad. The first
   * load restores alerts' `for` state; groups added by later reloads start fresh.
   */
  async update(cfg: RulesConfig): Promise<string[]> {
    const loaded = loadRuleGroups(cfg.files, cfg.scheme);
    if (loaded.errors.length > 0) throw new RuleLoadError(loaded.errors);
    const shouldRestore = !this.started;
    this.started = true;
    // the environment is shared by all groups: updated in place, so unchanged groups see new labels
    Object.assign(this.env, { externalLabels: cfg.externalLabels, externalURL: cfg.externalURL });
    const next = new Map<string, Group>();
    for (const { file, spec } of loaded.groups) {
      const group = new Group(
        {
          name: spec.name,
          file,
          intervalMs: spec.interval > 0 ? spec.interval : cfg.evaluationIntervalMs,
          queryOffsetMs: spec.queryOffset ?? cfg.queryOffsetMs,
          limit: spec.limit,
          rules: buildRules(spec, !shouldRestore),
          shouldRestore,
        },
        this.env,
      );
      next.set(group.key, group);
    }
    const stops: Array<Promise<void>> = [];
    for (const [key, group] of next) {
      const old = this.groups.get(key);
      if (old !== undefined && sameDefinition(old, group)) {
        next.set(key, old);
        continue;
      }
      if (old !== undefined) {
        stops.push(old.stop());
        group.copyState(old);
      }
      group.start();
    }
    for (const [key, old] of this.groups) {
      if (next.has(key)) continue;
      // a removed group: its series are marked stale after two intervals, unless the server stops
      stops.push(
        old.stop().then(() => {
          const timer = setTimeout(() => {
            this.pendingStale.delete(timer);
            void old.markStale((this.o.now ?? Date.now)()).catch(() => undefined);
          }, 2 * old.intervalMs);
          this.pendingStale.add(timer);
        }),
      );
    }
    this.groups = next;
    await Promise.all(stops);
    return loaded.warnings;
  }

  /** The groups in file order, then by name as loaded. */
  list(): Group[] {
    return [...this.groups.values()];
  }

  async stop(): Promise<void> {
    for (const t of this.pendingStale) clearTimeout(t);
    this.pendingStale.clear();
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
  }
}
