// A query worker thread (see src/promql/pool.ts and docs/query-workers.md): evaluates /api/v1/query and
// query_range jobs over a snapshot of the TSDB fetched from the ingest thread, reading the blocks
// itself, and answers with the response body as bytes. It runs at a lower scheduling priority than the
// ingest thread, so that scrapes keep their schedule when queries take every core.
import os from 'node:os';
import { intern } from '../model/labels.js';
import { parseExpr } from '../promql/parser/index.js';
import { reportToPool, serveWorkerJobs } from '../promql/pool-worker.js';
import { BlockCache, SnapshotQueryable } from '../tsdb/snapshot-queryable.js';
import type { SelectSpec, StorageSnapshot } from '../tsdb/snapshot.js';
import { executeQuery, type QueryOutcome } from '../web/api/v1/query-exec.js';
import type { PoolJob } from './query-pool.js';

/** Niceness of query workers on Linux (per thread): the ingest thread (0) goes first. */
const WORKER_NICENESS = 10;

try {
  os.setPriority(WORKER_NICENESS);
} catch {
  // not permitted here: queries then compete with ingestion as equals
}

// The parser is built on first use (see parser.ts); a worker exists to parse queries, so it builds it
// now, while it starts, rather than in its first query.
parseExpr('1');

const blocks = new BlockCache((ulid, detail) => reportToPool('damagedBlock', { ulid, detail }));

/** Whether the engine announced the selects the snapshot sent with the job was taken for. */
function sameSelects(a: SelectSpec[], b: SelectSpec[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

serveWorkerJobs<PoolJob, QueryOutcome>(
  async ({ job, ahead }, ctx) => {
    let sent = ahead;
    const queryable = new SnapshotQueryable(
      (selects: SelectSpec[]) => {
        const snapshot = sent !== undefined && sameSelects(selects, sent.selects) ? sent.snapshot : undefined;
        sent = undefined; // its buffers are used once
        return snapshot !== undefined
          ? Promise.resolve(snapshot)
          : (ctx.request('snapshot', selects) as Promise<StorageSnapshot>);
      },
      blocks,
      intern,
    );
    const outcome = await executeQuery(job, queryable, ctx.signal);
    return { result: outcome, transfer: outcome.ok ? [outcome.body.buffer as ArrayBuffer] : [] };
  },
  (message) => ({ ok: false, errorType: 'execution', message }),
  (kind, payload) => {
    if (kind === 'dropBlock') blocks.drop(payload as string);
  },
);
