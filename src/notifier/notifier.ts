// Sending alerts to Alertmanagers (Prometheus's notifier/): the Alertmanagers of `alerting.alertmanagers`
// found through static_configs or any service discovery (the discovery manager calls updateTargets),
// chosen by relabel_configs; each alert gets the external labels it lacks, then the global and the
// per-set alert_relabel_configs; one queue and send loop per Alertmanager URL (oldest alerts dropped
// when full, batches POSTed to /api/v2/alerts as JSON, no retry: the rules resend).
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import type { AlertmanagerConfig, Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { Labels } from '../model/labels.js';
import { compileRelabels, relabel, type CompiledRelabel } from '../model/relabel/relabel.js';
import type { TargetGroup } from '../model/target-group.js';
import { HttpClient } from '../scrape/http-client.js';

/** An alert as sent: Alertmanager's PostableAlert. Times in ms; 0 leaves the field out. */
export interface NotifierAlert {
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
}

export interface NotifierOptions {
  logger: Logger;
  registry?: Registry;
  /** --alertmanager.notification-queue-capacity */
  queueCapacity: number;
  /** --alertmanager.notification-batch-size */
  batchSize: number;
  /** --alertmanager.drain-notification-queue-on-shutdown */
  drainOnShutdown: boolean;
  userAgent: string;
}

interface AmSet {
  key: string;
  cfg: AlertmanagerConfig;
  client: HttpClient;
  relabel: CompiledRelabel[];
  alertRelabel: CompiledRelabel[];
  /** URL → its send loop */
  loops: Map<string, SendLoop>;
  dropped: string[];
}

interface Metrics {
  sent: Counter<'alertmanager'>;
  errors: Counter<'alertmanager'>;
  dropped: Counter;
  latency: Summary<'alertmanager'>;
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped). */
function goJSONTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

export function alertJSON(a: NotifierAlert): Record<string, unknown> {
  const out: Record<string, unknown> = {
    labels: a.labels.toRecord(),
    annotations: a.annotations,
  };
  if (a.startsAt !== 0) out.startsAt = goJSONTime(a.startsAt);
  if (a.endsAt !== 0) out.endsAt = goJSONTime(a.endsAt);
  out.generatorURL = a.generatorURL;
  return out;
}

/** One Alertmanager's queue and sender. */
class SendLoop {
  private queue: NotifierAlert[] = [];
  private busy: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly url: string,
    private readonly set: AmSet,
    private readonly n: Notifier,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  enqueue(alerts: NotifierAlert[]): void {
    if (this.stopped) return;
    this.queue.push(...alerts);
    const over = this.queue.length - this.n.o.queueCapacity;
    if (over > 0) {
      // the oldest go first
      this.queue.splice(0, over);
      this.n.metrics?.dropped.inc(over);
      this.n.o.logger.warn('Alert notification queue full, dropping alerts', {
        num_dropped: over,
        alertmanager: this.url,
      });
    }
    this.busy ??= this.drain().finally(() => (this.busy = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, Math.max(1, this.n.o.batchSize));
      await this.sendOne(batch);
    }
  }

  private async sendOne(batch: NotifierAlert[]): Promise<void> {
    const t0 = performance.now();
    const m = this.n.metrics;
    try {
      const res = await this.set.client.request(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(batch.map(alertJSON)),
        timeoutMs: this.set.cfg.timeout,
      });
      if (res.status < 200 || res.status >= 300) throw new Error(`bad response status ${res.statusText}`);
    } catch (err) {
      m?.errors.inc({ alertmanager: this.url }, batch.length);
      this.n.o.logger.error('Error sending alerts', {
        alertmanager: this.url,
        count: batch.length,
        err: (err as Error).message,
      });
    } finally {
      m?.sent.inc({ alertmanager: this.url }, batch.length);
      m?.latency.observe({ alertmanager: this.url }, (performance.now() - t0) / 1000);
    }
  }

  /** Stops taking alerts; with `drain`, first sends what is queued (bounded by the caller). */
  async stop(drain: boolean): Promise<void> {
    if (!drain) this.stopped = true;
    await this.busy;
    if (drain && this.queue.length > 0) await this.drain();
    this.stopped = true;
  }
}

export class Notifier {
  readonly metrics: Metrics | undefined;
  private sets: AmSet[] = [];
  private externalLabels: Array<[string, string]> = [];
  private alertRelabel: CompiledRelabel[] = [];

  constructor(readonly o: NotifierOptions) {
    const registers = o.registry === undefined ? [] : [o.registry];
    if (o.registry !== undefined) {
      this.metrics = {
        sent: new Counter({
          name: 'prometheus_notifications_sent_total',
          help: 'Total number of alerts sent.',
          labelNames: ['alertmanager'],
          registers,
        }),
        errors: new Counter({
          name: 'prometheus_notifications_errors_total',
          help: 'Total number of sent alerts affected by errors.',
          labelNames: ['alertmanager'],
          registers,
        }),
        dropped: new Counter({
          name: 'prometheus_notifications_dropped_total',
          help: 'Total number of alerts dropped due to errors when sending to Alertmanager.',
          registers,
        }),
        latency: new Summary({
          name: 'prometheus_notifications_latency_seconds',
          help: 'Latency quantiles for sending alert notifications.',
          labelNames: ['alertmanager'],
          percentiles: [0.5, 0.9, 0.99],
          maxAgeSeconds: 600,
          ageBuckets: 5,
          registers,
        }),
      };
      const loops = (): SendLoop[] => this.sets.flatMap((s) => [...s.loops.values()]);
      new Gauge({
        name: 'prometheus_notifications_queue_length',
        help: 'The number of alert notifications in the queue.',
        registers,
        collect() {
          this.set(loops().reduce((n, l) => n + l.length, 0));
        },
      });
      new Gauge({
        name: 'prometheus_notifications_queue_capacity',
        help: 'The capacity of the alert notifications queue.',
        registers,
        collect: function (this: Gauge) {
          this.set(o.queueCapacity);
        },
      });
      new Gauge({
        name: 'prometheus_notifications_alertmanagers_discovered',
        help: 'The number of alertmanagers discovered and active.',
        registers,
        collect() {
          this.set(loops().length);
        },
      });
    }
  }

  /** The Alertmanager sets of a (re)loaded config; their targets arrive through updateTargets. */
  async applyConfig(cfg: Config): Promise<void> {
    const old = this.sets;
    this.externalLabels = Object.entries(cfg.global.external_labels);
    this.alertRelabel = compileRelabels(cfg.alerting.alert_relabel_configs);
    this.sets = cfg.alerting.alertmanagers.map((am, i) => ({
      key: `config-${i}`,
      cfg: am,
      client: new HttpClient(am, { userAgent: this.o.userAgent }),
      relabel: compileRelabels(am.relabel_configs),
      alertRelabel: compileRelabels(am.alert_relabel_configs),
      loops: new Map(),
      dropped: [],
    }));
    // alerts queued for an Alertmanager still configured move over; the rest are dropped
    for (const s of old) {
      for (const l of s.loops.values()) await l.stop(false);
      await s.client.close();
    }
  }

  /** The discovery manager's view of a set ("config-N"): its Alertmanagers after relabelling. */
  updateTargets(key: string, groups: readonly TargetGroup[]): void {
    const set = this.sets.find((s) => s.key === key);
    if (set === undefined) return;
    const active = new Set<string>();
    const dropped: string[] = [];
    const prefix = set.cfg.path_prefix.replace(/\/$/, '');
    for (const g of groups) {
      for (const target of g.targets) {
        const base = Labels.fromRecord({
          ...g.labels,
          ...target,
          __scheme__: set.cfg.scheme,
          __alerts_path__: `${prefix}/api/v2/alerts`,
        });
        const url = (ls: Labels): string =>
          `${ls.get('__scheme__')}://${ls.get('__address__')}${ls.get('__alerts_path__')}`;
        const out = relabel(base, set.relabel);
        if (out === undefined || (out.get('__address__') ?? '') === '') {
          dropped.push(url(base));
          continue;
        }
        active.add(url(out));
      }
    }
    for (const [u, loop] of set.loops) {
      if (!active.has(u)) {
        void loop.stop(false);
        set.loops.delete(u);
      }
    }
    for (const u of active) if (!set.loops.has(u)) set.loops.set(u, new SendLoop(u, set, this));
    set.dropped = dropped;
  }

  /** Queues alerts for every Alertmanager (Prometheus's Manager.Send). */
  send(alerts: readonly NotifierAlert[]): void {
    const prepared: NotifierAlert[] = [];
    for (const a of alerts) {
      const pairs = [...a.labels.pairs];
      for (const [k, v] of this.externalLabels) if (!a.labels.has(k)) pairs.push(k, v);
      const ls = relabel(Labels.fromPairs(pairs), this.alertRelabel);
      if (ls === undefined) continue;
      prepared.push({ ...a, labels: ls });
    }
    if (prepared.length === 0) return;
    for (const set of this.sets) {
      let batch = prepared;
      if (set.alertRelabel.length > 0) {
        batch = [];
        for (const a of prepared) {
          const ls = relabel(a.labels, set.alertRelabel);
          if (ls !== undefined) batch.push({ ...a, labels: ls });
        }
      }
      if (batch.length === 0) continue;
      for (const loop of set.loops.values()) loop.enqueue(batch);
    }
  }

  activeAlertmanagers(): string[] {
    return this.sets.flatMap((s) => [...s.loops.keys()]);
  }

  droppedAlertmanagers(): string[] {
    return this.sets.flatMap((s) => s.dropped);
  }

  /** Stops sending; queued alerts are sent first with drain-on-shutdown (at most `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    const all = Promise.all(
      this.sets.flatMap((s) => [...s.loops.values()].map((l) => l.stop(this.o.drainOnShutdown))),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const s of this.sets) await s.client.close();
  }
}
