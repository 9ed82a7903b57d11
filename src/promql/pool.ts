// The query worker pool: queries evaluate in worker threads, so the thread that scrapes and appends
// only dispatches them and answers the workers' requests for data (see docs/query-workers.md). Each
// worker runs a few queries at once, interleaved at the engine's checkpoints, as Go interleaves
// Prometheus's query goroutines; a query is cancelled in its worker when its client goes away, its
// deadline passes or the server stops, and a worker that does not stop in time, fails or runs out of
// memory is replaced, failing only the queries it held. The pool knows jobs and results as opaque
// messages: what a job is, how a worker evaluates it and what it may ask for are its owner's.
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';

/** Messages a worker sends. */
export type FromWorker<R> =
  | { type: 'done'; id: number; result: R }
  | { type: 'request'; id: number; job: number; kind: string; payload: unknown }
  | { type: 'event'; kind: string; payload: unknown };

/** Messages a worker receives. */
export type ToWorker<J> =
  | { type: 'job'; id: number; job: J }
  | { type: 'cancel'; id: number }
  | { type: 'reply'; id: number; ok: boolean; payload: unknown }
  | { type: 'event'; kind: string; payload: unknown };

export interface WorkerPoolOptions<R> {
  /** The worker's entry module. */
  url: URL;
  /** Workers, and queries each runs at once. */
  size: number;
  perWorker: number;
  logger: Logger;
  resourceLimits?: ResourceLimits;
  /** Answers a worker's request made for job `job` (e.g. a storage snapshot); `transfer` lists buffers to move. */
  onRequest(
    kind: string,
    payload: unknown,
    job: number,
  ): { payload: unknown; transfer?: ArrayBuffer[] } | Promise<{ payload: unknown; transfer?: ArrayBuffer[] }>;
  /** A job has ended one way or another: what was lent to it (pinned blocks) can go back. */
  onJobEnd?(job: number): void;
  /** Events a worker reports (e.g. damaged blocks). */
  onEvent?(kind: string, payload: unknown): void;
  /** The result for a job its worker could not finish (the worker died or was stopped). */
  failure(message: string): R;
  /** How long a cancelled job may take to stop before its worker is replaced (ms). */
  cancelGraceMs?: number;
  /** A worker was replaced. */
  onRestart?(): void;
}

interface Job<J, R> {
  id: number;
  job: J;
  transfer: ArrayBuffer[];
  resolve: (r: R) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  deadline: number;
  slot?: Slot<J, R>;
  cancelled: boolean;
  watchdog?: NodeJS.Timeout;
}

interface Slot<J, R> {
  index: number;
  worker: Worker;
  jobs: Map<number, Job<J, R>>;
  replacing: boolean;
}

export interface WorkerPoolStats {
  /** Workers running: the first from the start, the others (up to the size) once jobs overlap. */
  workers: number;
  busy: number;
  queued: number;
  restarts: number;
}

export class WorkerPool<J, R> {
  private readonly slots: Array<Slot<J, R>> = [];
  private readonly queue: Array<Job<J, R>> = [];
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  private readonly grace: number;

  constructor(private readonly o: WorkerPoolOptions<R>) {
    this.grace = o.cancelGraceMs ?? 1_000;
    // One worker at start, more as jobs overlap (see dispatch): a worker's start costs about half a
    // second of a core, which at the server's start competed with its first queries, and serial
    // queries never need a second one.
    this.slots.push(this.spawn(0));
  }

  stats(): WorkerPoolStats {
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.jobs.size > 0).length,
      queued: this.queue.length,
      restarts: this.restarts,
    };
  }

  /**
   * Runs a job; resolves with its result, or `failure(...)` when its worker could not finish it.
   * `signal` cancels it; at `deadline` (ms since the epoch) plus the grace it is cancelled too (the
   * job's own code is expected to stop at its deadline first).
   */
  run(job: J, opts: { signal?: AbortSignal; deadline: number; transfer?: ArrayBuffer[] }): Promise<R> {
    if (this.closed) return Promise.resolve(this.o.failure('query pool is shut down'));
    return new Promise<R>((resolve) => {
      const j: Job<J, R> = {
        id: this.nextId++,
        job,
        transfer: opts.transfer ?? [],
        resolve,
        signal: opts.signal,
        deadline: opts.deadline,
        cancelled: false,
      };
      if (opts.signal !== undefined) {
        if (opts.signal.aborted) return resolve(this.o.failure('query was canceled'));
        j.onAbort = () => this.cancel(j);
        opts.signal.addEventListener('abort', j.onAbort, { once: true });
      }
      this.queue.push(j);
      this.dispatch();
    });
  }

  /** Sends an event to every worker (e.g. a block was deleted). */
  broadcast(kind: string, payload: unknown): void {
    for (const s of this.slots) s.worker.postMessage({ type: 'event', kind, payload } satisfies ToWorker<J>);
  }

  /** Cancels every job (they end with the failure) and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const j of this.queue.splice(0)) this.finish(j, this.o.failure('query pool is shut down'));
    await Promise.all(
      this.slots.map(async (s) => {
        for (const j of [...s.jobs.values()]) this.finish(j, this.o.failure('server is shutting down'));
        s.replacing = true;
        await s.worker.terminate();
      }),
    );
  }

  private spawn(index: number): Slot<J, R> {
    const worker = new Worker(this.o.url, { resourceLimits: this.o.resourceLimits });
    const slot: Slot<J, R> = { index, worker, jobs: new Map(), replacing: false };
    worker.on('message', (m: FromWorker<R>) => this.onMessage(slot, m));
    worker.on('error', (err) => this.lost(slot, err.message));
    worker.on('exit', (code) => this.lost(slot, `exited with code ${code}`));
    // a query worker must never keep the process alive on its own
    worker.unref();
    return slot;
  }

  private onMessage(slot: Slot<J, R>, m: FromWorker<R>): void {
    if (m.type === 'done') {
      const j = slot.jobs.get(m.id);
      if (j !== undefined) this.finish(j, m.result);
      this.dispatch();
    } else if (m.type === 'request') {
      void this.answer(slot, m);
    } else if (m.type === 'event') {
      this.o.onEvent?.(m.kind, m.payload);
    }
  }

  private async answer(
    slot: Slot<J, R>,
    m: { id: number; job: number; kind: string; payload: unknown },
  ): Promise<void> {
    let reply: ToWorker<J>;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = await this.o.onRequest(m.kind, m.payload, m.job);
      reply = { type: 'reply', id: m.id, ok: true, payload: r.payload };
      transfer = r.transfer ?? [];
    } catch (err) {
      reply = {
        type: 'reply',
        id: m.id,
        ok: false,
        payload: err instanceof Error ? err.message : String(err),
      };
    }
    // the worker may have died meanwhile; what was lent for the job is then returned by lost()
    if (!slot.replacing) slot.worker.postMessage(reply, transfer);
  }

  /** Hands queued jobs to the least loaded workers with room. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot<J, R> | undefined;
      for (const s of this.slots) {
        if (s.replacing || s.jobs.size >= this.o.perWorker) continue;
        if (best === undefined || s.jobs.size < best.jobs.size) best = s;
      }
      if ((best === undefined || best.jobs.size > 0) && this.slots.length < this.o.size && !this.closed) {
        best = this.spawn(this.slots.length);
        this.slots.push(best);
      }
      if (best === undefined) return;
      const j = this.queue.shift()!;
      j.slot = best;
      best.jobs.set(j.id, j);
      best.worker.postMessage({ type: 'job', id: j.id, job: j.job } satisfies ToWorker<J>, j.transfer);
      const wait = Math.max(0, j.deadline - Date.now()) + this.grace;
      if (Number.isFinite(wait)) {
        j.watchdog = setTimeout(() => this.cancel(j), Math.min(wait, 2 ** 31 - 1));
        j.watchdog.unref();
      }
    }
  }

  /** Asks the job's worker to stop it; replaces the worker when it has not after the grace. */
  private cancel(j: Job<J, R>): void {
    if (j.cancelled) return;
    j.cancelled = true;
    const slot = j.slot;
    if (slot === undefined) {
      // still queued
      const i = this.queue.indexOf(j);
      if (i >= 0) this.queue.splice(i, 1);
      this.finish(j, this.o.failure('query was canceled'));
      return;
    }
    slot.worker.postMessage({ type: 'cancel', id: j.id } satisfies ToWorker<J>);
    const timer = setTimeout(() => {
      if (slot.jobs.has(j.id) && !slot.replacing) {
        this.o.logger.warn('Query worker did not stop a cancelled query in time; replacing it', {
          worker: slot.index,
        });
        this.replace(slot, 'query did not stop after cancellation');
      }
    }, this.grace);
    timer.unref();
  }

  private finish(j: Job<J, R>, r: R): void {
    if (j.slot !== undefined) j.slot.jobs.delete(j.id);
    clearTimeout(j.watchdog);
    if (j.onAbort !== undefined) j.signal?.removeEventListener('abort', j.onAbort);
    this.o.onJobEnd?.(j.id);
    j.resolve(r);
  }

  private lost(slot: Slot<J, R>, why: string): void {
    if (slot.replacing) return;
    this.o.logger.error('Query worker failed; replacing it', { worker: slot.index, err: why });
    this.replace(slot, why);
  }

  private replace(slot: Slot<J, R>, why: string): void {
    slot.replacing = true;
    for (const j of [...slot.jobs.values()]) this.finish(j, this.o.failure(`query worker stopped: ${why}`));
    void slot.worker.terminate();
    if (this.closed) return;
    this.restarts++;
    this.o.onRestart?.();
    this.slots[slot.index] = this.spawn(slot.index);
    this.dispatch();
  }
}
