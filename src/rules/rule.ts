// Recording and alerting rules (Prometheus's rules/recording.go and rules/alerting.go): what one
// evaluation at time ts produces, and the alert state machine. Groups (group.ts) schedule them, commit
// their output and send alerts.
import type { FloatHistogram } from '../model/histogram.js';
import { Labels, METRIC_NAME } from '../model/labels.js';
import { formatDuration } from '../model/duration.js';
import { ALERT_TEMPLATE_DEFS, alertTemplateData, expandTemplate } from '../template/expander.js';
import type { Logger } from '../log/logger.js';

export type RuleHealth = 'ok' | 'err' | 'unknown';

/** One sample of an instant query's result. */
export interface RuleSample {
  labels: Labels;
  value: number;
  /** A native histogram result (value is then 0). */
  histogram?: FloatHistogram;
}

export interface RuleQueryOptions {
  /** A lookback delta for this query (the `for` state restore looks back the outage tolerance). */
  lookbackDeltaMs?: number;
}

/** An instant query at `timeMs`; rejects with the query's error. Scalars come back as one sample. */
export type RuleQueryFn = (expr: string, timeMs: number, o?: RuleQueryOptions) => Promise<RuleSample[]>;

/** What a rule needs from its surroundings to evaluate. */
export interface RuleContext {
  query: RuleQueryFn;
  externalLabels: Record<string, string>;
  /** --web.external-url, as templates and generator URLs see it (no trailing slash). */
  externalURL: string;
  logger: Logger;
}

/** An output sample at the query time. */
export interface OutputSample {
  labels: Labels;
  t: number;
  v: number;
  /** A recorded native histogram (recording rules over histogram results). */
  h?: FloatHistogram;
}

abstract class BaseRule {
  health: RuleHealth = 'unknown';
  lastError = '';
  /** Seconds the last evaluation took; and when it ran (ms), 0 before the first. */
  evaluationSeconds = 0;
  lastEvaluation = 0;

  constructor(
    readonly name: string,
    readonly expr: string,
    /** The rule's labels (group labels merged in, the rule's own winning). */
    readonly labels: Record<string, string>,
  ) {}

  abstract eval(ts: number, queryOffsetMs: number, ctx: RuleContext, limit: number): Promise<OutputSample[]>;
}

export const ERR_DUPLICATE_RECORDING =
  'vector contains metrics with the same labelset after applying rule labels';
export const ERR_DUPLICATE_ALERT =
  'vector contains metrics with the same labelset after applying alert labels';

export class RecordingRule extends BaseRule {
  readonly type = 'recording';

  override async eval(
    ts: number,
    queryOffsetMs: number,
    ctx: RuleContext,
    limit: number,
  ): Promise<OutputSample[]> {
    const t = ts - queryOffsetMs;
    const res = await ctx.query(this.expr, t);
    const extra = Object.entries(this.labels).flat();
    const out: OutputSample[] = [];
    const seen = new Set<string>();
    for (const s of res) {
      const labels = Labels.fromPairs([...s.labels.pairs, METRIC_NAME, this.name, ...extra]);
      const key = labels.pairs.join('\xff');
      if (seen.has(key)) throw new Error(ERR_DUPLICATE_RECORDING);
      seen.add(key);
      out.push(s.histogram === undefined ? { labels, t, v: s.value } : { labels, t, v: 0, h: s.histogram });
    }
    if (limit > 0 && out.length > limit)
      throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }

  /** How Prometheus prints the rule (its String()), for the rules page and logs. */
  override toString(): string {
    return ruleYaml({ record: this.name, expr: this.expr, labels: this.labels });
  }
}

export type AlertState = 'pending' | 'firing' | 'inactive';

export interface Alert {
  state: AlertState;
  labels: Labels;
  annotations: Record<string, string>;
  value: number;
  /** ms since the epoch; 0 means unset (lastSentAt: -Infinity, never sent). */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

/** A resolved alert is kept (and resent) this long, so Alertmanagers learn it resolved. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export const ALERTS_NAME = 'ALERTS';
export const ALERTS_FOR_STATE_NAME = 'ALERTS_FOR_STATE';

export class AlertingRule extends BaseRule {
  readonly type = 'alerting';
  /** Active alerts by their label set. */
  active = new Map<string, Alert>();
  /** False until the `for` state was restored after a restart; no ALERTS samples until then. */
  restored: boolean;

  constructor(
    name: string,
    expr: string,
    readonly holdMs: number,
    readonly keepFiringForMs: number,
    labels: Record<string, string>,
    readonly annotations: Record<string, string>,
    restored: boolean,
  ) {
    super(name, expr, labels);
    this.restored = restored;
  }

  override async eval(
    ts: number,
    queryOffsetMs: number,
    ctx: RuleContext,
    limit: number,
  ): Promise<OutputSample[]> {
    const qt = ts - queryOffsetMs;
    const res = await ctx.query(this.expr, qt);
    const found = new Map<string, Alert>();
    for (const s of res) {
      const data = alertTemplateData(s.labels.toRecord(), ctx.externalLabels, ctx.externalURL, s.value);
      const expand = async (text: string): Promise<string> => {
        try {
          return await expandTemplate(`__alert_${this.name}`, ALERT_TEMPLATE_DEFS + text, data, {
            timeMs: ts,
            query: async (q, t) =>
              (await ctx.query(q, t)).map((x) => ({ labels: x.labels.toRecord(), value: x.value })),
            externalURL: ctx.externalURL === '' ? undefined : new URL(ctx.externalURL),
          });
        } catch (err) {
          ctx.logger.warn('Expanding alert template failed', {
            err: (err as Error).message,
            alert: this.name,
          });
          return `<error expanding template: ${(err as Error).message}>`;
        }
      };
      const pairs = [...s.labels.pairs];
      const kept: string[] = [];
      for (let i = 0; i < pairs.length; i += 2)
        if (pairs[i] !== METRIC_NAME) kept.push(pairs[i], pairs[i + 1]);
      for (const [k, v] of Object.entries(this.labels)) kept.push(k, await expand(v));
      kept.push('alertname', this.name);
      const labels = Labels.fromPairs(kept);
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.annotations)) annotations[k] = await expand(v);
      const key = labels.pairs.join('\xff');
      if (found.has(key)) throw new Error(ERR_DUPLICATE_ALERT);
      found.set(key, {
        state: 'pending',
        labels,
        annotations,
        value: s.value,
        activeAt: ts,
        firedAt: 0,
        resolvedAt: 0,
        lastSentAt: -Infinity,
        validUntil: 0,
        keepFiringSince: 0,
      });
    }
    for (const [key, a] of found) {
      const cur = this.active.get(key);
      if (cur !== undefined && cur.state !== 'inactive') {
        cur.value = a.value;
        cur.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }
    const out: OutputSample[] = [];
    let activePending = 0;
    for (const [key, a] of this.active) {
      if (!found.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringForMs > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.keepFiringForMs) keepFiring = true;
        }
        // a resolved alert stays (and is resent) for the retention, so Alertmanagers learn of it
        if (a.state === 'pending' || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS))
          this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else a.keepFiringSince = 0;
      activePending++;
      if (a.state === 'pending' && ts - a.activeAt >= this.holdMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      // `for` raised by a reload: a firing alert not pending long enough goes back to pending
      if (a.state === 'firing' && ts - a.activeAt < this.holdMs) {
        a.state = 'pending';
        a.firedAt = 0;
        a.lastSentAt = -Infinity;
        a.keepFiringSince = 0;
      }
      if (this.restored) {
        out.push({
          labels: Labels.fromPairs([...a.labels.pairs, METRIC_NAME, ALERTS_NAME, 'alertstate', a.state]),
          t: qt,
          v: 1,
        });
        out.push({
          labels: Labels.fromPairs([...a.labels.pairs, METRIC_NAME, ALERTS_FOR_STATE_NAME]),
          t: qt,
          v: Math.floor(a.activeAt / 1000),
        });
      }
    }
    if (limit > 0 && activePending > limit) {
      this.active = new Map();
      throw new Error(`exceeded limit of ${limit} with ${activePending} alerts`);
    }
    return out;
  }

  /** The rule's state: firing if any alert fires, else pending if any is, else inactive. */
  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  /** Alerts to send at ts (Prometheus's needsSending), marked as sent; ValidUntil as Prometheus sets it. */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const due = a.resolvedAt > a.lastSentAt || a.lastSentAt + resendDelayMs < ts;
      if (!due) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({ ...a });
    }
    return out;
  }

  override toString(): string {
    return ruleYaml({
      alert: this.name,
      expr: this.expr,
      for: this.holdMs,
      keep_firing_for: this.keepFiringForMs,
      labels: this.labels,
      annotations: this.annotations,
    });
  }
}

export type Rule = RecordingRule | AlertingRule;

/** The rule as YAML, the way Prometheus's rule String() prints it. */
function ruleYaml(r: {
  record?: string;
  alert?: string;
  expr: string;
  for?: number;
  keep_firing_for?: number;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}): string {
  const lines: string[] = [];
  const q = (s: string): string => (/^[\w./-]*$/.test(s) && s !== '' ? s : JSON.stringify(s));
  if (r.record !== undefined) lines.push(`record: ${q(r.record)}`);
  if (r.alert !== undefined) lines.push(`alert: ${q(r.alert)}`);
  lines.push(`expr: ${q(r.expr)}`);
  if (r.for !== undefined && r.for > 0) lines.push(`for: ${formatDuration(r.for)}`);
  if (r.keep_firing_for !== undefined && r.keep_firing_for > 0)
    lines.push(`keep_firing_for: ${formatDuration(r.keep_firing_for)}`);
  for (const key of ['labels', 'annotations'] as const) {
    const m = r[key];
    if (m === undefined || Object.keys(m).length === 0) continue;
    lines.push(`${key}:`);
    for (const k of Object.keys(m).sort()) lines.push(`  ${q(k)}: ${q(m[k])}`);
  }
  return lines.join('\n') + '\n';
}
