// The server's query worker pool (src/promql/pool.ts) for the query API: workers evaluate over
// snapshots of this TSDB (src/tsdb/snapshot.ts), taken here when a worker asks and released when its
// query ends; workers are sized from the cores and --query.max-concurrency.
import os from 'node:os';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { WorkerPool } from '../promql/pool.js';
import type { TSDB } from '../tsdb/db.js';
import type { Expr } from '../promql/parser/index.js';
import {
  matchersOf,
  selectSpecs,
  snapshotTransferList,
  type SelectSpec,
  type StorageSnapshot,
} from '../tsdb/snapshot.js';
import { plannedSelects, type QueryJob, type QueryOutcome } from '../web/api/v1/query-exec.js';

/**
 * A job as a query worker gets it: the query, and the snapshot of the selects this thread planned
 * for it. A worker whose engine announces exactly these selects uses the snapshot; otherwise it asks
 * for its own, as it always did before (one round trip between the threads, two wake-ups, ~0.2 ms
 * of a query's latency on this machine).
 */
export interface PoolJob {
  job: QueryJob;
  ahead?: { selects: SelectSpec[]; snapshot: StorageSnapshot };
}

export interface QueryPoolOptions {
  db: TSDB;
  maxConcurrency: number;
  logger: Logger;
  registry?: Registry;
  /** Workers; by default one per core, at most --query.max-concurrency. */
  workers?: number;
}

/**
 * Heap per worker: PROMETHIUM_QUERY_WORKER_HEAP_MB, or a share of the machine's memory between 512 MiB
 * and 4 GiB. A query that needs more fails alone: its worker is replaced.
 */
function workerHeapMb(workers: number): number {
  const set = Number(process.env.PROMETHIUM_QUERY_WORKER_HEAP_MB);
  if (set > 0) return set;
  const share = os.totalmem() / 2 ** 20 / 2 / workers;
  return Math.round(Math.min(4096, Math.max(512, share)));
}

export class QueryPool {
  private readonly pool: WorkerPool<PoolJob, QueryOutcome>;
  private readonly db: TSDB;
  private readonly snapshots: Counter<'how'>;
  /** What each running job holds pinned in the TSDB. */
  private readonly lent = new Map<number, Array<() => void>>();

  constructor(o: QueryPoolOptions) {
    this.db = o.db;
    const limit = o.maxConcurrency > 0 ? o.maxConcurrency : Infinity;
    const size = Math.max(1, Math.min(o.workers ?? os.availableParallelism(), limit));
    const registers = o.registry === undefined ? [] : [o.registry];
    const restarts = new Counter({
      name: 'promethium_query_worker_restarts_total',
      help: 'Query workers replaced (failed, out of memory, or stuck after a cancellation).',
      registers,
    });
    this.snapshots = new Counter({
      name: 'promethium_query_storage_snapshots_total',
      help: 'Storage snapshots taken for queries in workers: sent with the query (how="ahead", planned on the ingest thread) or asked for by its worker (how="asked": remote read, or a plan that differed).',
      labelNames: ['how'],
      registers,
    });
    for (const how of ['ahead', 'asked']) this.snapshots.inc({ how }, 0);
    this.pool = new WorkerPool<PoolJob, QueryOutcome>({
      url: new URL('./query-worker.js', import.meta.url),
      size,
      perWorker: Number.isFinite(limit) ? Math.max(1, Math.ceil(limit / size)) : 64,
      logger: o.logger,
      resourceLimits: { maxOldGenerationSizeMb: workerHeapMb(size), stackSizeMb: 16 },
      onRequest: (kind, payload, job) => {
        if (kind !== 'snapshot') throw new Error(`unknown request ${kind}`);
        this.snapshots.inc({ how: 'asked' });
        const selects = (payload as SelectSpec[]).map((s) => ({
          matchers: matchersOf(s.matchers),
          mint: s.mint,
          maxt: s.maxt,
        }));
        const { snapshot, release } = o.db.querySnapshot(selects);
        const held = this.lent.get(job) ?? [];
        held.push(release);
        this.lent.set(job, held);
        return { payload: snapshot, transfer: snapshotTransferList(snapshot) };
      },
      onJobEnd: (job) => {
        for (const release of this.lent.get(job) ?? []) release();
        this.lent.delete(job);
      },
      onEvent: (kind, payload) => {
        if (kind === 'damagedBlock') {
          const { ulid, detail } = payload as { ulid: string; detail: string };
          o.db.noteDamagedBlock(ulid, detail);
        }
      },
      failure: (message) => ({ ok: false, errorType: 'execution', message }),
      onRestart: () => restarts.inc(),
    });
    const stat = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    stat(
      'promethium_query_workers',
      'Query worker threads: the first runs from the start, the others start once queries overlap.',
      () => this.pool.stats().workers,
    );
    stat(
      'promethium_query_workers_busy',
      'Query worker threads evaluating at least one query.',
      () => this.pool.stats().busy,
    );
  }

  /** Runs a query in a worker; `expr` is its query already parsed, when the caller has it. */
  execute(job: QueryJob, signal: AbortSignal, expr?: Expr): Promise<QueryOutcome> {
    const ahead = this.snapshotAhead(job, expr);
    if (ahead === undefined) return this.pool.run({ job }, { signal, deadline: job.deadline });
    this.snapshots.inc({ how: 'ahead' });
    return this.pool
      .run(
        { job, ahead: { selects: ahead.selects, snapshot: ahead.snapshot } },
        { signal, deadline: job.deadline, transfer: snapshotTransferList(ahead.snapshot) },
      )
      .finally(ahead.release);
  }

  /**
   * The snapshot of the selects the job's evaluation will make, taken now; undefined when they
   * cannot be planned here (remote read changes them, or the query fails to plan: the worker then
   * reports the error).
   */
  private snapshotAhead(
    job: QueryJob,
    expr: Expr | undefined,
  ): { selects: SelectSpec[]; snapshot: StorageSnapshot; release(): void } | undefined {
    if (job.remoteRead !== undefined && job.remoteRead.specs.length > 0) return undefined;
    try {
      const selects = plannedSelects(job, expr);
      const { snapshot, release } = this.db.querySnapshot(selects);
      return { selects: selectSpecs(selects), snapshot, release };
    } catch {
      return undefined;
    }
  }

  /** A block directory was deleted: workers close their handles on it. */
  blockRemoved(ulid: string): void {
    this.pool.broadcast('dropBlock', ulid);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
