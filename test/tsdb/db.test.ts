import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { TSDB, type TSDBOptions } from '../../src/tsdb/db.js';
import { LockError } from '../../src/tsdb/lock.js';

const H = 3600 * 1000;
const dirs: string[] = [];
const dbs: TSDB[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-tsdb-'));
  dirs.push(d);
  return d;
}

const logs: string[] = [];
function open(dir: string, extra: Partial<TSDBOptions> = {}): TSDB {
  const db = TSDB.open({
    dir,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'debug', format: 'logfmt', write: (l) => logs.push(l) }),
    ...extra,
  });
  dbs.push(db);
  return db;
}

function close(db: TSDB): void {
  db.close();
  dbs.splice(dbs.indexOf(db), 1);
}

/** `series` series of `name`, one sample every `step` ms in [from, to). */
async function fill(
  db: TSDB,
  name: string,
  series: number,
  from: number,
  to: number,
  step: number,
): Promise<void> {
  const labels = Array.from({ length: series }, (_, i) =>
    Labels.fromRecord({ __name__: name, i: String(i) }),
  );
  const refs = new Array(series).fill(0);
  for (let t = from; t < to; t += step * 100) {
    const app = db.appender();
    for (let u = t; u < Math.min(t + step * 100, to); u += step) {
      for (let i = 0; i < series; i++) refs[i] = app.append(refs[i], labels[i], u, u / 1000 + i);
    }
    await app.commit();
  }
}

function count(
  db: TSDB,
  name: string,
  mint = -Infinity,
  maxt = Infinity,
): { series: number; samples: number } {
  const q = db.querier(mint, maxt);
  let series = 0;
  let samples = 0;
  for (const s of q.select([new Matcher('=', '__name__', name)])) {
    series++;
    samples += s.samples().length;
  }
  q.close();
  return { series, samples };
}

describe('TSDB', () => {
  it('replays the WAL on reopen: committed samples survive a restart', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 10, 0, 60_000, 1000);
    close(db);
    const again = open(dir);
    expect(count(again, 'm')).toEqual({ series: 10, samples: 600 });
    // appends continue with fresh refs after replay
    await fill(again, 'm', 12, 60_000, 61_000, 1000);
    expect(count(again, 'm')).toEqual({ series: 12, samples: 612 });
  });

  it('keeps a second process off the directory', () => {
    const dir = tmp();
    open(dir);
    // a lock owned by a live process (our parent) is refused
    const other = tmp();
    fs.writeFileSync(path.join(other, 'lock'), `${process.ppid}\n`);
    expect(() => open(other)).toThrowError(LockError);
  });

  it('persists the head into 2h blocks once it spans more than 3h, and queries head and blocks as one', async () => {
    const dir = tmp();
    const registry = new Registry();
    const db = open(dir, { registry });
    await fill(db, 'm', 5, 0, 4 * H, 15_000);
    await db.compact();
    const metas = db.blockMetas();
    expect(metas.length).toBeGreaterThanOrEqual(1);
    expect(metas[0]).toMatchObject({ minTime: 0, maxTime: 2 * H });
    expect(metas[0].stats.numSeries).toBe(5);
    expect(db.head.minTime).toBeGreaterThanOrEqual(2 * H);
    expect(count(db, 'm')).toEqual({ series: 5, samples: 5 * 960 });
    // a range across the block/head boundary
    expect(count(db, 'm', 2 * H - 15_000, 2 * H).samples).toBe(10);
    const text = await registry.metrics();
    expect(text).toMatch(/prometheus_tsdb_compactions_total \d/);
    expect(text).toMatch(/prometheus_tsdb_blocks_loaded 1/);
    // after a restart: block + WAL (checkpointed) give the same data
    close(db);
    const again = open(dir);
    expect(count(again, 'm')).toEqual({ series: 5, samples: 5 * 960 });
  });

  it('counts head series and chunks in its metrics, live and after a replay', async () => {
    const dir = tmp();
    const value = (text: string, name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const registry = new Registry();
    const db = open(dir, { registry });
    await fill(db, 'm', 3, 0, 150 * 15_000, 15_000); // 150 samples: two chunks per series
    let text = await registry.metrics();
    expect(value(text, 'prometheus_tsdb_head_series')).toBe(3);
    expect(value(text, 'prometheus_tsdb_head_series_created_total')).toBe(3);
    expect(value(text, 'prometheus_tsdb_head_chunks')).toBe(6);
    expect(value(text, 'prometheus_tsdb_head_chunks_created_total')).toBe(6);
    close(db);
    const again = new Registry();
    open(dir, { registry: again });
    text = await again.metrics();
    expect(value(text, 'prometheus_tsdb_head_series')).toBe(3);
    expect(value(text, 'prometheus_tsdb_head_chunks')).toBe(6);
  });

  it('writes head blocks with each chunk in its smallest encoding, values bit-exact', async () => {
    const dir = tmp();
    const db = open(dir);
    // decimal values (u / 1000 + i): the DEC encoding holds them exactly and smaller than XOR
    await fill(db, 'm', 5, 0, 4 * H, 15_000);
    await db.compact();
    const meta = db.blockMetas()[0];
    const sql = new Database(path.join(dir, meta.ulid, 'block.db'), { readonly: true });
    const encs = sql.prepare('SELECT enc, count(*) AS n FROM chunks GROUP BY enc').all() as Array<{
      enc: number;
      n: number;
    }>;
    sql.close();
    // 2 = DEC, 3 = DEC deflated (format.ts); no chunk left as plain XOR
    expect(encs.length).toBeGreaterThan(0);
    for (const { enc } of encs) expect([2, 3]).toContain(enc);
    const q = db.querier(0, 2 * H - 1);
    for (const s of q.select([new Matcher('=', '__name__', 'm')])) {
      const i = Number(s.labels.get('i'));
      const b = s.samples();
      expect(b.length).toBe(480);
      for (let k = 0; k < b.length; k++) expect(b.v[k]).toBe(b.t[k] / 1000 + i);
    }
    q.close();
  });

  it('compacts without holding the event loop: appends and queries go on while a block is written', async () => {
    const db = open(tmp());
    await fill(db, 'm', 3000, 0, 4 * H, 60_000);
    let done = false;
    const compaction = db.compact().then(() => (done = true));
    // other work gets turns of the event loop before the compaction ends
    let turns = 0;
    while (!done && turns < 10_000) {
      await new Promise((r) => setImmediate(r));
      if (done) break;
      turns++;
      if (turns === 1) {
        const app = db.appender();
        app.append(0, Labels.fromRecord({ __name__: 'during', i: '0' }), 4 * H, 1);
        await app.commit();
        expect(count(db, 'during')).toEqual({ series: 1, samples: 1 });
      }
    }
    await compaction;
    // at least the turn with the append: a compaction that never yielded would leave none (on a busy
    // machine the append's own commit may outlast the rest of the compaction)
    expect(turns).toBeGreaterThanOrEqual(1);
    expect(db.blockMetas()).toHaveLength(1);
    expect(count(db, 'm').samples).toBe(3000 * 240);
  });

  it('rejects samples older than the newest block after a restart (out of bounds)', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 1, 0, 4 * H, 60_000);
    await db.compact();
    close(db);
    const again = open(dir);
    const app = again.appender();
    expect(() => app.append(0, Labels.fromRecord({ __name__: 'm', i: '0' }), H, 1)).toThrowError(
      'out of bounds',
    );
  });

  it('drops whole blocks beyond time retention, measured from the newest block', async () => {
    const dir = tmp();
    const db = open(dir, { retentionMs: 6 * H });
    await fill(db, 'm', 2, 0, 12 * H, 60_000);
    await db.compact();
    const metas = db.blockMetas();
    const newest = Math.max(...metas.map((m) => m.maxTime));
    for (const m of metas) expect(newest - m.maxTime).toBeLessThan(6 * H);
    expect(metas.length).toBeGreaterThan(0);
  });

  it('drops the oldest blocks beyond size retention', async () => {
    const dir = tmp();
    const db = open(dir, { maxBytes: 1 }); // nothing fits: every block goes
    await fill(db, 'm', 2, 0, 8 * H, 60_000);
    await db.compact();
    expect(db.blockMetas()).toEqual([]);
  });

  it('deletes series by matchers and time range, and clean_tombstones rewrites blocks', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 3, 0, 4 * H, 60_000);
    await db.compact();
    await db.deleteSeries([new Matcher('=', 'i', '1')], 0, 4 * H);
    const q = db.querier(-Infinity, Infinity);
    const left = [...q.select([new Matcher('=', '__name__', 'm')])].filter((s) => s.samples().length > 0);
    q.close();
    expect(left.map((s) => s.labels.get('i'))).toEqual(['0', '2']);
    const before = db.blockMetas().map((m) => m.ulid);
    await db.cleanTombstones();
    const after = db.blockMetas().map((m) => m.ulid);
    expect(after).not.toEqual(before);
    expect(count(db, 'm', 0, 2 * H - 1).series).toBe(2);
  });

  it('keeps a block a querier still reads until the querier closes', async () => {
    const dir = tmp();
    const db = open(dir, { retentionMs: 3 * H });
    await fill(db, 'm', 1, 0, 4 * H, 60_000);
    await db.compact();
    const first = db.blockMetas()[0];
    const q = db.querier(0, H);
    await fill(db, 'm', 1, 4 * H, 20 * H, 60_000);
    await db.compact();
    expect(db.blockMetas().map((m) => m.ulid)).not.toContain(first.ulid);
    expect(fs.existsSync(path.join(dir, first.ulid))).toBe(true);
    const [s] = [...q.select([new Matcher('=', '__name__', 'm')])];
    expect(s.samples().length).toBe(61); // [0, 1h] inclusive, every minute
    q.close();
    expect(fs.existsSync(path.join(dir, first.ulid))).toBe(false);
  });

  it('reports and skips a damaged block instead of failing', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 1, 0, 4 * H, 60_000);
    await db.compact();
    const ulid = db.blockMetas()[0].ulid;
    close(db);
    const file = fs.readdirSync(path.join(dir, ulid)).map((f) => path.join(dir, ulid, f))[0];
    fs.writeFileSync(file, 'garbage');
    logs.length = 0;
    const again = open(dir);
    expect(again.blockMetas()).toEqual([]);
    expect(logs.some((l) => l.includes('Damaged block skipped') && l.includes(ulid))).toBe(true);
  });

  it('logs and counts each damaged block once: one that fails to open, one with a bad chunk', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 2, 0, 7 * H, 60_000);
    await db.compact();
    const [bad, broken] = db.blockMetas().map((m) => m.ulid);
    close(db);
    // a chunk of one block fails its checksum; the other block is garbage
    const file = path.join(dir, bad, 'block.db');
    const sql = new Database(file);
    const row = sql.prepare('SELECT id, data FROM chunks ORDER BY id LIMIT 1').get() as {
      id: number;
      data: Buffer;
    };
    row.data[5] ^= 0xff;
    sql.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    sql.close();
    fs.writeFileSync(path.join(dir, broken, 'block.db'), 'garbage');
    logs.length = 0;
    const registry = new Registry();
    const again = open(dir, { registry });
    again.reloadBlocks();
    again.reloadBlocks();
    for (let i = 0; i < 3; i++) {
      const q = again.querier(0, 7 * H);
      const set = q.select([new Matcher('=', '__name__', 'm')]);
      expect(set.warnings.join('\n')).toMatch(/checksum mismatch/); // every answer still says so
      q.close();
    }
    const value = async (name: string): Promise<number> =>
      ((await registry.getSingleMetric(name)!.get()).values[0]?.value as number) ?? 0;
    expect(await value('promethium_tsdb_damaged_blocks_total')).toBe(2);
    expect(await value('prometheus_tsdb_reloads_failures_total')).toBe(1);
    expect(logs.filter((l) => l.includes('Damaged block skipped') && l.includes(broken))).toHaveLength(1);
    expect(
      logs.filter((l) => l.includes('Damaged block: its unreadable data is skipped') && l.includes(bad)),
    ).toHaveLength(1);
    expect(again.corruptions).toBe(2);
  });

  it('snapshots blocks and the head into a directory another TSDB can open', async () => {
    const dir = tmp();
    const db = open(dir);
    await fill(db, 'm', 2, 0, 4 * H, 60_000);
    await db.compact();
    const snap = path.join(tmp(), 'snap');
    await db.snapshot(snap, true);
    const copy = open(snap, { noLockfile: true });
    expect(count(copy, 'm')).toEqual(count(db, 'm'));
  });

  it('reports head cardinality for /api/v1/status/tsdb', async () => {
    const db = open(tmp());
    await fill(db, 'a', 3, 0, 2000, 1000);
    await fill(db, 'b', 1, 0, 2000, 1000);
    const st = db.status(10);
    expect(st.headStats).toMatchObject({ numSeries: 4, minTime: 0, maxTime: 1000 });
    expect(st.seriesCountByMetricName).toEqual([
      { name: 'a', value: 3 },
      { name: 'b', value: 1 },
    ]);
    expect(st.labelValueCountByLabelName[0]).toEqual({ name: 'i', value: 3 });
  });
});

describe('agent mode', () => {
  it('writes no blocks; truncation keeps what remote write has not sent, at most the maximum WAL time', async () => {
    const dir = tmp();
    let lowestSent = 0;
    const now = 8 * H;
    const agent = {
      truncateFrequencyMs: 2 * H,
      minWalTimeMs: 5 * 60_000,
      maxWalTimeMs: 4 * H,
      lowestSentTimestamp: () => lowestSent,
      now: () => now,
    };
    const db = open(dir, { agent, walSegmentSize: 64 * 1024 });
    await fill(db, 'm', 20, 0, 8 * H, 60_000);
    await db.compact();
    expect(db.blockMetas()).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => /^[0-9A-Z]{26}$/.test(f))).toEqual([]);
    const walBefore = db.size();
    // nothing sent yet: the maximum WAL time bounds what is kept (8h - 4h)
    expect(db.truncateAgent()).toBe(4 * H);
    expect(db.head.minTime).toBeGreaterThanOrEqual(4 * H - 2 * H);
    expect(count(db, 'm', 0, 2 * H - 1).samples).toBe(0);
    expect(db.size()).toBeLessThan(walBefore);
    expect(fs.readdirSync(path.join(dir, 'wal')).some((f) => f.startsWith('checkpoint.'))).toBe(true);
    // the slowest queue has sent up to 6h: kept from 6h - 5m
    lowestSent = 6 * H;
    expect(db.truncateAgent()).toBe(6 * H - 5 * 60_000);
    expect(count(db, 'm', 6 * H, 8 * H).samples).toBe(20 * 120);
  });
});
