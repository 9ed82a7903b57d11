// A query worker's view of the TSDB (querySnapshot on the ingest side, SnapshotQueryable on the worker
// side), exercised in one thread: the same series and samples as the TSDB's own querier, blocks and
// head together, deletions applied; blocks pinned until the snapshot is released, so that compaction
// and retention meanwhile never pull them away.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import type { Queryable, SelectRequest } from '../../src/storage/interfaces.js';
import { TSDB, type TSDBOptions } from '../../src/tsdb/db.js';
import { BlockCache, SnapshotQueryable } from '../../src/tsdb/snapshot-queryable.js';
import { matchersOf, snapshotTransferList, type SelectSpec } from '../../src/tsdb/snapshot.js';

const H = 3_600_000;
const dirs: string[] = [];
const dbs: TSDB[] = [];
const caches: BlockCache[] = [];
afterEach(() => {
  for (const c of caches.splice(0)) c.closeAll();
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(extra: Partial<TSDBOptions> = {}): TSDB {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-snapshot-'));
  dirs.push(dir);
  const db = TSDB.open({
    dir,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    ...extra,
  });
  dbs.push(db);
  return db;
}

async function fill(db: TSDB, series: number, from: number, to: number, step: number): Promise<void> {
  const labels = Array.from({ length: series }, (_, i) => Labels.fromRecord({ __name__: 'm', i: String(i) }));
  const refs = new Array(series).fill(0);
  for (let t = from; t < to; t += step * 100) {
    const app = db.appender();
    for (let u = t; u < Math.min(t + step * 100, to); u += step) {
      for (let i = 0; i < series; i++) refs[i] = app.append(refs[i], labels[i], u, u / 1000 + i);
    }
    await app.commit();
  }
}

/** Every series as labels → [t, v] pairs, read through one querier over [mint, maxt]. */
function read(q: Queryable, matchers: Matcher[], mint: number, maxt: number): Record<string, number[][]> {
  const querier = q.querier(mint, maxt);
  const out: Record<string, number[][]> = {};
  for (const s of querier.select(matchers, { start: mint, end: maxt })) {
    const b = s.samples();
    out[s.labels.toString()] = Array.from({ length: b.length }, (_, i) => [b.t[i], b.v[i]]);
  }
  querier.close();
  return out;
}

/** A SnapshotQueryable served by `db` in this thread, as a worker is served across threads. */
function workerView(db: TSDB): { queryable: SnapshotQueryable; released: () => void } {
  const releases: Array<() => void> = [];
  const cache = new BlockCache();
  caches.push(cache);
  const queryable = new SnapshotQueryable(async (specs: SelectSpec[]) => {
    const { snapshot, release } = db.querySnapshot(
      specs.map((s) => ({ matchers: matchersOf(s.matchers), mint: s.mint, maxt: s.maxt })),
    );
    releases.push(release);
    // what a transfer does to the buffers: the worker owns copies
    for (const b of snapshotTransferList(snapshot)) expect(b.byteLength).toBeGreaterThanOrEqual(0);
    return structuredClone(snapshot);
  }, cache);
  return { queryable, released: () => releases.forEach((r) => r()) };
}

describe('query snapshots', () => {
  it('read the same series and samples as the TSDB, over blocks and head, with deletions', async () => {
    const db = open();
    await fill(db, 20, 0, 7 * H, 15_000);
    await db.compact();
    expect(db.blockMetas().length).toBeGreaterThan(1);
    await db.deleteSeries([new Matcher('=', 'i', '3')], 2 * H, 5 * H);
    for (const [matchers, mint, maxt] of [
      [[new Matcher('=', '__name__', 'm')], 0, 7 * H],
      [[new Matcher('=~', 'i', '1.*')], H + 1, 6 * H - 1],
      [[new Matcher('=', 'i', '3')], 0, 7 * H],
      [[new Matcher('=', 'i', 'none')], 0, 7 * H],
    ] as Array<[Matcher[], number, number]>) {
      const { queryable, released } = workerView(db);
      const select: SelectRequest = { matchers, mint, maxt };
      await queryable.prepare([select]);
      expect(read(queryable, matchers, mint, maxt)).toEqual(read(db, matchers, mint, maxt));
      released();
    }
  });

  it('hand each head series views of exactly its samples, disjoint within shared slabs', async () => {
    const db = open();
    await fill(db, 300, 0, 30 * 60_000, 15_000);
    const matchers = [new Matcher('=', '__name__', 'm')];
    // an instant query's window: 19 of each series' 120 samples (the last is at 29:45)
    const [mint, maxt] = [25 * 60_000 + 1, 30 * 60_000];
    const { queryable, released } = workerView(db);
    await queryable.prepare([{ matchers, mint, maxt }]);
    const querier = queryable.querier(mint, maxt);
    const views: Float64Array[] = [];
    for (const s of querier.select(matchers, { start: mint, end: maxt })) {
      const b = s.samples();
      expect(b.length).toBe(19);
      expect(b.t.length).toBe(b.length);
      expect(b.v.length).toBe(b.length);
      const i = Number(s.labels.get('i'));
      expect([...b.v]).toEqual([...b.t].map((t) => t / 1000 + i));
      views.push(b.t, b.v);
    }
    expect(views).toHaveLength(600);
    const byBuffer = new Map<ArrayBufferLike, Array<[number, number]>>();
    for (const x of views) {
      const spans = byBuffer.get(x.buffer) ?? [];
      spans.push([x.byteOffset, x.byteOffset + x.byteLength]);
      byBuffer.set(x.buffer, spans);
    }
    expect(byBuffer.size).toBeLessThan(20);
    for (const spans of byBuffer.values()) {
      spans.sort((a, b) => a[0] - b[0]);
      for (let k = 1; k < spans.length; k++) expect(spans[k][0]).toBeGreaterThanOrEqual(spans[k - 1][1]);
    }
    querier.close();
    released();
  });

  it('refuse a select that was not announced', async () => {
    const db = open();
    await fill(db, 2, 0, 60_000, 15_000);
    const { queryable } = workerView(db);
    const m = [new Matcher('=', '__name__', 'm')];
    await queryable.prepare([{ matchers: m, mint: 0, maxt: 60_000 }]);
    expect(() => read(queryable, [new Matcher('=', '__name__', 'm')], 0, 60_000)).toThrowError(
      'select not announced to the query snapshot',
    );
  });

  it('keep the blocks they name until released, through compaction and retention', async () => {
    const db = open({ retentionMs: 6 * H });
    await fill(db, 5, 0, 7 * H, 15_000);
    await db.compact();
    const first = db.blockMetas()[0];
    const { queryable, released } = workerView(db);
    const m = [new Matcher('=', '__name__', 'm')];
    await queryable.prepare([{ matchers: m, mint: 0, maxt: 12 * H }]);
    const before = read(queryable, m, 0, 12 * H);
    // more data moves the oldest block beyond retention: it goes from the TSDB, not from disk
    await fill(db, 5, 7 * H, 12 * H, 15_000);
    await db.compact();
    db.reloadBlocks();
    expect(db.blockMetas().map((b) => b.ulid)).not.toContain(first.ulid);
    expect(fs.existsSync(path.join(db.opts.dir, first.ulid))).toBe(true);
    expect(read(queryable, m, 0, 12 * H)).toEqual(before);
    released();
    expect(fs.existsSync(path.join(db.opts.dir, first.ulid))).toBe(false);
  });

  it('hand over the head as it was: later appends are not seen', async () => {
    const db = open();
    await fill(db, 3, 0, 60_000, 15_000);
    const { queryable } = workerView(db);
    const m = [new Matcher('=', '__name__', 'm')];
    await queryable.prepare([{ matchers: m, mint: 0, maxt: H }]);
    await fill(db, 3, 60_000, 120_000, 15_000);
    expect(Object.values(read(queryable, m, 0, H)).map((s) => s.length)).toEqual([4, 4, 4]);
    expect(Object.values(read(db, m, 0, H)).map((s) => s.length)).toEqual([8, 8, 8]);
  });
});
