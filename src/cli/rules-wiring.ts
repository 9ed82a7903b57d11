// How the server joins the rule manager to the rest: rule queries evaluate in the query worker pool
// (never on the ingest thread), alerts go to the notifier with Prometheus's payload (startsAt, endsAt,
// generatorURL), and the API and UI see the groups in /api/v1/rules and /api/v1/alerts's shapes.
import { Labels } from '../model/labels.js';
import type { NotifierAlert } from '../notifier/notifier.js';
import { formatExpr, parseExpr } from '../promql/parser/index.js';
import type { Alert, RuleQueryFn, RuleSample } from '../rules/rule.js';
import { AlertingRule, type Rule } from '../rules/rule.js';
import type { RuleManager } from '../rules/manager.js';
import { exprLink } from '../template/expander.js';
import type { Queryable } from '../storage/interfaces.js';
import { executeQuery, type QueryJob, type QueryOutcome } from '../web/api/v1/query-exec.js';
import type { AlertView, RuleGroupView, RulesSource, RuleView } from '../web/api/v1/rules.js';

export interface RuleQueryOptions {
  execute(job: QueryJob, signal: AbortSignal): Promise<QueryOutcome>;
  timeoutMs: number;
  maxSamples: number;
  lookbackDeltaMs: number;
  features: readonly string[];
  /** Aborted when the server stops: running rule queries end. */
  signal: AbortSignal;
}

/** Rule and template queries as instant queries in the worker pool. */
export function poolRuleQuery(o: RuleQueryOptions): RuleQueryFn {
  return async (expr, timeMs, q) => {
    const job: QueryJob = {
      kind: 'instant',
      query: expr,
      time: timeMs,
      start: timeMs,
      end: timeMs,
      step: 0,
      limit: 0,
      lookbackDeltaMs: q?.lookbackDeltaMs ?? o.lookbackDeltaMs,
      deadline: Date.now() + o.timeoutMs,
      maxSamples: o.maxSamples,
      features: [...o.features],
      stats: '',
      perStepStats: false,
      queueMs: 0,
      answer: 'samples',
    };
    const out = await o.execute(job, o.signal);
    if (!out.ok) throw new Error(out.message);
    const s = out.samples;
    if (s === undefined) return [];
    return s.values.map((value, i): RuleSample => {
      const h = s.histograms?.[i];
      return h === undefined
        ? { labels: Labels.fromSortedPairs(s.pairs[i]), value }
        : { labels: Labels.fromSortedPairs(s.pairs[i]), value, histogram: h };
    });
  };
}

/** Prometheus's SendAlerts: the payload the notifier sends for a rule's alerts. */
export function toNotifierAlerts(
  expr: string,
  alerts: readonly Alert[],
  externalURL: string,
): NotifierAlert[] {
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.firedAt,
    endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil,
    generatorURL: externalURL + exprLink(expr, 1),
  }));
}

/** The expression as Prometheus prints it (the rules API shows the parsed expression). */
function printed(expr: string): string {
  try {
    return formatExpr(parseExpr(expr));
  } catch {
    return expr;
  }
}

const date = (ms: number): Date | undefined => (ms === 0 ? undefined : new Date(ms));

function alertView(a: Alert): AlertView {
  return {
    labels: a.labels.toRecord(),
    annotations: a.annotations,
    state: a.state,
    activeAt: date(a.activeAt),
    keepFiringSince: date(a.keepFiringSince),
    value: a.value,
  };
}

function ruleView(r: Rule): RuleView {
  const common = {
    name: r.name,
    query: printed(r.expr),
    labels: r.labels,
    health: r.health,
    lastError: r.lastError,
    evaluationTime: r.evaluationSeconds,
    lastEvaluation: date(r.lastEvaluation),
  };
  if (r instanceof AlertingRule) {
    return {
      ...common,
      type: 'alerting',
      state: r.state(),
      duration: r.holdMs / 1000,
      keepFiringFor: r.keepFiringForMs / 1000,
      annotations: r.annotations,
      // the active ones, as Prometheus's ActiveAlerts: not resolved
      alerts: [...r.active.values()].filter((a) => a.resolvedAt === 0).map(alertView),
    };
  }
  return { ...common, type: 'recording' };
}

export function rulesSource(manager: () => RuleManager | undefined): RulesSource {
  return {
    ruleGroups: (): RuleGroupView[] =>
      (manager()?.list() ?? []).map((g) => ({
        name: g.name,
        file: g.file,
        interval: g.intervalMs / 1000,
        limit: g.limit,
        evaluationTime: g.evaluationSeconds,
        lastEvaluation: date(g.lastEvaluation),
        rules: g.rules.map(ruleView),
      })),
  };
}

export interface LocalQueryOptions {
  lookbackDeltaMs: number;
  maxSamples?: number;
  timeoutMs?: number;
}

/** Rule queries evaluated in this thread over `queryable` (promethium-tool test rules, and tests). */
export function localRuleQuery(queryable: Queryable, o: LocalQueryOptions): RuleQueryFn {
  return poolRuleQuery({
    execute: (job, signal) => executeQuery(job, queryable, signal),
    timeoutMs: o.timeoutMs ?? 120_000,
    maxSamples: o.maxSamples ?? 50_000_000,
    lookbackDeltaMs: o.lookbackDeltaMs,
    features: ['promql-duration-expr'],
    signal: new AbortController().signal,
  });
}
