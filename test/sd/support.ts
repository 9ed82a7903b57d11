// Shared helpers of the service discovery tests: a recording consumer (what the scrape manager would
// get), a logger that keeps its lines, metric readers and config parsing.
import { Registry } from 'prom-client';
import { vi } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { TargetGroup } from '../../src/model/target-group.js';

/** Records every send of the discovery manager, per job, as the scrape manager's updateTargets would. */
export class RecordingConsumer {
  readonly latest = new Map<string, TargetGroup[]>();
  calls = 0;
  readonly consume = (job: string, groups: TargetGroup[]): void => {
    this.calls++;
    this.latest.set(job, groups);
  };

  /** The job's targets as the consumer sees them: group labels + target labels, sorted. */
  targets(job: string): Array<Record<string, string>> {
    const out = (this.latest.get(job) ?? []).flatMap((g) => g.targets.map((t) => ({ ...g.labels, ...t })));
    return out.sort((a, b) => (a.__address__ < b.__address__ ? -1 : a.__address__ > b.__address__ ? 1 : 0));
  }

  addresses(job: string): string[] {
    return this.targets(job).map((t) => t.__address__);
  }
}

export function testLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', format: 'logfmt', write: (l) => lines.push(l) }), lines };
}

/** The value of one series of a metric in `registry` (0 when absent). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const data = await metric.get();
  const match = data.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === undefined &&
      Object.entries(labels).every(([k, val]) => v.labels[k] === val) &&
      Object.keys(v.labels).length === Object.keys(labels).length,
  );
  return match?.value;
}

export function config(yaml: string, dir = process.cwd()): Config {
  return parseConfig(yaml, 'prometheus.yml', dir);
}

/** Waits until `fn` stops throwing (assertions), polling; never a fixed sleep. */
export function eventually<T>(fn: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(fn, { timeout, interval: 20 });
}

export { Registry };
