// The refresh loop shared by polling providers (Prometheus's discovery/refresh): refresh at once, then
// every interval; a failed refresh is logged and counted, and nothing is sent, so the manager keeps the
// provider's last good groups.
import type { Logger } from '../log/logger.js';
import type { TargetGroup } from '../model/target-group.js';
import type { SDMechanismMetrics } from './metrics.js';

export interface RefreshOptions {
  mechanism: string;
  job: string;
  intervalMs: number;
  logger: Logger;
  metrics: SDMechanismMetrics;
  /** The groups to send, and failures that did not stop the refresh (they follow the update). */
  refresh: (signal: AbortSignal) => Promise<TargetGroup[] | { groups: TargetGroup[]; errors: Error[] }>;
}

export async function runRefreshLoop(
  opts: RefreshOptions,
  signal: AbortSignal,
  update: (groups: TargetGroup[]) => void,
  failed: (err: Error) => void,
): Promise<void> {
  const labels = { mechanism: opts.mechanism, config: opts.job };
  while (!signal.aborted) {
    const end = opts.metrics.refreshDuration.startTimer(labels);
    try {
      const result = await opts.refresh(signal);
      end();
      if (signal.aborted) return;
      if (Array.isArray(result)) {
        update(result);
      } else {
        update(result.groups);
        for (const e of result.errors) failed(e);
      }
    } catch (err) {
      end();
      if (signal.aborted) return;
      opts.metrics.refreshFailures.inc(labels);
      const e = err instanceof Error ? err : new Error(String(err));
      opts.logger.error('Unable to refresh target groups', { err: e.message });
      failed(e);
    }
    await sleep(opts.intervalMs, signal);
  }
}

/** Resolves after `ms` or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
