// A rule group (Prometheus's rules/group.go): its own loop at a fixed slot within the interval
// (hash(name, file) % interval), rules evaluated in file order, each rule's output committed before
// the next rule runs, stale markers for series a rule stopped producing, missed iterations skipped and
// counted, the `for` state of alerts restored from ALERTS_FOR_STATE after the second evaluation.
import { Labels, METRIC_NAME } from '../model/labels.js';
import { STALE_NAN } from '../model/value.js';
import { labelsHash64 } from '../model/xxhash64.js';
import { StorageError } from '../storage/errors.js';
import type { Appendable } from '../storage/interfaces.js';
import type { RuleMetrics } from './metrics.js';
import { ALERTS_FOR_STATE_NAME, AlertingRule, type Alert, type Rule, type RuleContext } from './rule.js';

export interface GroupEnv extends RuleContext {
  appendable: Appendable;
  /** Alerts of one rule to send (firing and resolved ones due), with the rule's expression. */
  notify(expr: string, alerts: Alert[]): void;
  resendDelayMs: number;
  outageToleranceMs: number;
  forGracePeriodMs: number;
  metrics?: RuleMetrics;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
}

export interface GroupSpec {
  name: string;
  file: string;
  intervalMs: number;
  queryOffsetMs: number;
  limit: number;
  rules: Rule[];
  /** Restore alerts' `for` state after the second evaluation (a server start, not a reload). */
  shouldRestore: boolean;
}

export class Group {
  readonly name: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly queryOffsetMs: number;
  readonly limit: number;
  readonly rules: Rule[];
  shouldRestore: boolean;
  /** Per rule, the series it wrote at its last evaluation, by their label key. */
  seriesInPreviousEval: Array<Map<string, Labels>>;
  evaluationSeconds = 0;
  /** When the last evaluation started (ms), and the timestamp it evaluated at. */
  lastEvaluation = 0;
  lastEvalTimestamp = 0;
  lastSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    spec: GroupSpec,
    private readonly env: GroupEnv,
  ) {
    this.name = spec.name;
    this.file = spec.file;
    this.intervalMs = spec.intervalMs;
    this.queryOffsetMs = spec.queryOffsetMs;
    this.limit = spec.limit;
    this.rules = spec.rules;
    this.shouldRestore = spec.shouldRestore;
    this.seriesInPreviousEval = spec.rules.map(() => new Map());
  }

  /** "file;name", as Prometheus keys groups (and labels their metrics). */
  get key(): string {
    return `${this.file};${this.name}`;
  }

  private now(): number {
    return (this.env.now ?? Date.now)();
  }

  /** This group's offset within its interval (ms): hash(name, file) % interval, as Prometheus. */
  slotOffset(): number {
    const h = labelsHash64(['file', this.file, 'name', this.name]);
    return Number((h % BigInt(this.intervalMs * 1e6)) / 1_000_000n);
  }

  /** The slot at or before `now` (ms): Prometheus's EvalTimestamp. */
  evalTimestamp(now: number): number {
    const offset = this.slotOffset();
    const adj = now - offset;
    return adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  /** Starts the loop: the first evaluation at the next slot. */
  start(): void {
    this.running = this.loop();
  }

  private sleepUntil(t: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, Math.max(0, t - this.now()));
    });
  }

  private async loop(): Promise<void> {
    let ts = this.evalTimestamp(this.now()) + this.intervalMs;
    await this.sleepUntil(ts);
    let iterations = 0;
    while (!this.stopped) {
      await this.iterate(ts);
      iterations++;
      if (this.shouldRestore && iterations === 2) {
        // as Prometheus: after the second evaluation, so that the first had data to find alerts
        await this.restoreForState(this.now());
        this.shouldRestore = false;
      }
      if (this.stopped) break;
      // the next slot; slots already past are skipped and counted as missed
      const next = ts + this.intervalMs;
      await this.sleepUntil(next);
      if (this.stopped) break;
      const missed = Math.floor((this.now() - ts) / this.intervalMs) - 1;
      if (missed > 0) {
        this.env.metrics?.missed.inc({ rule_group: this.key }, missed);
        this.env.metrics?.scheduled.inc({ rule_group: this.key }, missed);
      }
      ts += (Math.max(0, missed) + 1) * this.intervalMs;
    }
  }

  /** One iteration at ts, timed and recorded (Prometheus's DefaultEvalIterationFunc). */
  async iterate(ts: number): Promise<void> {
    this.env.metrics?.scheduled.inc({ rule_group: this.key });
    const start = this.now();
    const t0 = performance.now();
    await this.evalAt(ts);
    const seconds = (performance.now() - t0) / 1000;
    this.env.metrics?.groupDuration.observe(seconds);
    this.evaluationSeconds = seconds;
    this.lastEvaluation = start;
    this.lastEvalTimestamp = ts;
  }

  /** Evaluates every rule at ts, in order; each rule's samples are committed before the next runs. */
  async evalAt(ts: number): Promise<void> {
    const m = this.env.metrics;
    const group = { rule_group: this.key };
    let samples = 0;
    for (let i = 0; i < this.rules.length; i++) {
      if (this.stopped) return;
      const rule = this.rules[i];
      const t0 = performance.now();
      m?.evaluations.inc(group);
      let out;
      try {
        out = await rule.eval(ts, this.queryOffsetMs, this.env, this.limit);
      } catch (err) {
        rule.health = 'err';
        rule.lastError = (err as Error).message;
        rule.evaluationSeconds = (performance.now() - t0) / 1000;
        rule.lastEvaluation = this.now();
        m?.failures.inc(group);
        if (!/canceled/.test(rule.lastError))
          this.env.logger.warn('Evaluating rule failed', {
            rule: rule.name,
            group: this.name,
            err: rule.lastError,
          });
        continue;
      }
      rule.health = 'ok';
      rule.lastError = '';
      samples += out.length;
      if (rule instanceof AlertingRule) {
        const alerts = rule.alertsToSend(ts, this.env.resendDelayMs, this.intervalMs);
        if (alerts.length > 0) this.env.notify(rule.expr, alerts);
      }
      const app = this.env.appendable.appender();
      // rule results never go out of order (Prometheus's group appends with DiscardOutOfOrder)
      app.setOptions?.({ discardOutOfOrder: true });
      const returned = new Map<string, Labels>();
      let outOfOrder = 0;
      let duplicates = 0;
      for (const s of out) {
        try {
          if (s.h !== undefined) {
            if (app.appendHistogram === undefined)
              throw new Error('native histograms are not supported by the storage');
            app.appendHistogram(0, s.labels, s.t, undefined, s.h);
          } else app.append(0, s.labels, s.t, s.v);
          returned.set(s.labels.pairs.join('\xff'), s.labels);
        } catch (err) {
          rule.health = 'err';
          rule.lastError = (err as Error).message;
          const kind = err instanceof StorageError ? err.kind : '';
          if (kind === 'out_of_order' || kind === 'too_old' || kind === 'out_of_bounds') outOfOrder++;
          else if (kind === 'duplicate') duplicates++;
          else this.env.logger.warn('Rule evaluation result discarded', { err: (err as Error).message });
        }
      }
      if (outOfOrder > 0)
        this.env.logger.warn('Error on ingesting out-of-order result from rule evaluation', {
          num_dropped: outOfOrder,
        });
      if (duplicates > 0)
        this.env.logger.warn(
          'Error on ingesting results from rule evaluation with different value but same timestamp',
          {
            num_dropped: duplicates,
          },
        );
      // series this rule wrote last time and not now: a stale marker, at the query time
      const staleAt = ts - this.queryOffsetMs;
      for (const [key, labels] of this.seriesInPreviousEval[i]) {
        if (returned.has(key)) continue;
        try {
          app.append(0, labels, staleAt, STALE_NAN);
        } catch {
          // out of order, too old or duplicate: another rule may now write this series
        }
      }
      try {
        await app.commit();
        this.seriesInPreviousEval[i] = returned;
      } catch (err) {
        rule.health = 'err';
        rule.lastError = (err as Error).message;
        m?.failures.inc(group);
        this.env.logger.warn('Rule sample appending failed', { err: rule.lastError });
      }
      rule.evaluationSeconds = (performance.now() - t0) / 1000;
      rule.lastEvaluation = this.now();
      m?.ruleDuration.observe(rule.evaluationSeconds);
    }
    this.lastSamples = samples;
  }

  /**
   * Restores the `for` state of alerts from ALERTS_FOR_STATE within the outage tolerance (Prometheus's
   * RestoreForState): an alert pending when the server stopped keeps its progress, shifted by the
   * outage; one that would fire within the grace period fires a grace period after the start.
   */
  async restoreForState(now: number): Promise<void> {
    for (const rule of this.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      if (rule.holdMs < this.env.forGracePeriodMs) {
        rule.restored = true;
        continue;
      }
      const matchers = [
        `__name__=${JSON.stringify(ALERTS_FOR_STATE_NAME)}`,
        `alertname=${JSON.stringify(rule.name)}`,
      ];
      for (const [k, v] of Object.entries(rule.labels)) {
        if (v.includes('{{')) continue; // templated: cannot be matched
        matchers.push(`${JSON.stringify(k)}=${JSON.stringify(v)}`);
      }
      const sel = `{${matchers.join(',')}}`;
      const o = { lookbackDeltaMs: this.env.outageToleranceMs };
      let values;
      let times;
      try {
        values = await this.env.query(sel, now, o);
        times = await this.env.query(`timestamp(${sel})`, now, o);
      } catch (err) {
        this.env.logger.error('Failed to restore for state', {
          rule: rule.name,
          err: (err as Error).message,
        });
        rule.restored = true;
        continue;
      }
      const byLabels = new Map<string, { activeAt: number; downAt: number }>();
      const key = (ls: Labels): string => {
        const p = ls.pairs;
        const kept: string[] = [];
        for (let i = 0; i < p.length; i += 2) if (p[i] !== METRIC_NAME) kept.push(p[i], p[i + 1]);
        return kept.join('\xff');
      };
      const downAt = new Map<string, number>();
      for (const s of times) downAt.set(key(s.labels), s.value * 1000);
      for (const s of values) {
        const k = key(s.labels);
        byLabels.set(k, {
          activeAt: s.value * 1000,
          downAt: Math.floor((downAt.get(k) ?? now) / 1000) * 1000,
        });
      }
      for (const a of rule.active.values()) {
        const found = byLabels.get(a.labels.pairs.join('\xff'));
        if (found === undefined) continue;
        let activeAt = found.activeAt;
        const remaining = rule.holdMs - (found.downAt - activeAt);
        if (remaining <= 0) {
          // it was firing when the server went down: it fires again at the next evaluation
        } else if (remaining < this.env.forGracePeriodMs) {
          activeAt = now + this.env.forGracePeriodMs - rule.holdMs;
        } else {
          activeAt += now - found.downAt;
        }
        a.activeAt = activeAt;
      }
      rule.restored = true;
    }
  }

  /** Copies the state of the same group before a reload (Prometheus's CopyState). */
  copyState(from: Group): void {
    this.evaluationSeconds = from.evaluationSeconds;
    this.lastEvaluation = from.lastEvaluation;
    this.lastEvalTimestamp = from.lastEvalTimestamp;
    const byName = new Map<string, number[]>();
    from.rules.forEach((r, i) => {
      const k = `${r.type}\xff${r.name}\xff${JSON.stringify(Object.entries(r.labels).sort())}`;
      byName.set(k, [...(byName.get(k) ?? []), i]);
    });
    this.rules.forEach((r, i) => {
      const k = `${r.type}\xff${r.name}\xff${JSON.stringify(Object.entries(r.labels).sort())}`;
      const idx = byName.get(k);
      if (idx === undefined || idx.length === 0) return;
      const j = idx.shift()!;
      const old = from.rules[j];
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[j];
      r.health = old.health;
      r.lastError = old.lastError;
      r.evaluationSeconds = old.evaluationSeconds;
      r.lastEvaluation = old.lastEvaluation;
      if (r instanceof AlertingRule && old instanceof AlertingRule) {
        r.active = old.active;
        r.restored = old.restored;
      }
    });
  }

  /** Stops the loop (an evaluation in progress finishes its current rule). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /** Stale markers for every series the group wrote last (a removed group, 2 intervals after). */
  async markStale(at: number): Promise<void> {
    const app = this.env.appendable.appender();
    for (const series of this.seriesInPreviousEval) {
      for (const labels of series.values()) {
        try {
          app.append(0, labels, at, STALE_NAN);
        } catch {
          // written by another rule meanwhile
        }
      }
    }
    await app.commit();
  }
}
