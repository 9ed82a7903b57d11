// The worker side of the query pool (see pool.ts): takes jobs, runs several at once, cancels them on
// request, and lets a job ask the pool's owner for data, answered asynchronously.
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './pool.js';

export interface WorkerJobContext {
  signal: AbortSignal;
  /** Asks the thread that owns the pool; rejects with its error message. */
  request(kind: string, payload: unknown): Promise<unknown>;
}

export function serveWorkerJobs<J, R>(
  run: (job: J, ctx: WorkerJobContext) => Promise<{ result: R; transfer?: ArrayBuffer[] }>,
  /** The result of a job whose run threw (it should not). */
  failure: (message: string) => R,
  onEvent?: (kind: string, payload: unknown) => void,
): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorkerJobs runs in a worker thread');
  const running = new Map<number, AbortController>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextRequest = 1;
  const send = (m: FromWorker<R>, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

  port.on('message', (m: ToWorker<J>) => {
    switch (m.type) {
      case 'job': {
        const ac = new AbortController();
        running.set(m.id, ac);
        const ctx: WorkerJobContext = {
          signal: ac.signal,
          request: (kind, payload) =>
            new Promise((resolve, reject) => {
              const id = nextRequest++;
              pending.set(id, { resolve, reject });
              send({ type: 'request', id, job: m.id, kind, payload });
            }),
        };
        void run(m.job, ctx).then(
          ({ result, transfer }) => {
            running.delete(m.id);
            send({ type: 'done', id: m.id, result }, transfer);
          },
          (err: unknown) => {
            running.delete(m.id);
            send({
              type: 'done',
              id: m.id,
              result: failure(err instanceof Error ? err.message : String(err)),
            });
          },
        );
        return;
      }
      case 'cancel':
        running.get(m.id)?.abort();
        return;
      case 'reply': {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.ok) p?.resolve(m.payload);
        else p?.reject(new Error(String(m.payload)));
        return;
      }
      case 'event':
        onEvent?.(m.kind, m.payload);
        return;
    }
  });
}

/** Tells the pool's owner something (not tied to a job, no answer): e.g. a damaged block was met. */
export function reportToPool(kind: string, payload: unknown): void {
  parentPort?.postMessage({ type: 'event', kind, payload } satisfies FromWorker<never>);
}
