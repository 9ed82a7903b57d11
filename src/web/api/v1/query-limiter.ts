// --query.max-concurrency: at most N queries evaluate at once, the rest wait first-in first-out, as
// Prometheus's ActiveQueryTracker; a query whose deadline passes (or whose client goes) while waiting leaves
// the queue with Prometheus's "query queue" timeout or cancellation.
import { QueryError } from '../../../promql/engine/index.js';

interface Waiter {
  grant: () => void;
  fail: (err: Error) => void;
}

export class QueryLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly maxConcurrency: number) {}

  /** Queries evaluating now. */
  get active(): number {
    return this.running;
  }

  /** Queries waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with a timeout QueryError when
   * `deadline` (ms since epoch) passes first, or a canceled one when `signal` aborts first.
   */
  acquire(deadline: number, signal?: AbortSignal): Promise<() => void> {
    if (Date.now() >= deadline)
      return Promise.reject(new QueryError('timeout', 'query timed out in query queue'));
    if (signal?.aborted)
      return Promise.reject(new QueryError('canceled', 'query was canceled in query queue'));
    if (this.maxConcurrency <= 0 || this.running < this.maxConcurrency) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.releaser());
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const onAbort = (): void =>
        waiter.fail(new QueryError('canceled', 'query was canceled in query queue'));
      const timer = setTimeout(
        () => waiter.fail(new QueryError('timeout', 'query timed out in query queue')),
        Math.max(0, deadline - Date.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the longest waiter, so running never drops in between.
      const next = this.queue[0];
      if (next !== undefined) next.grant();
      else this.running--;
    };
  }
}
