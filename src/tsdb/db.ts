// The TSDB: head + WAL + blocks behind the storage interfaces (DESIGN.md §5). Opening replays the
// WAL; commits reach the WAL before they resolve; the head is persisted into 2h blocks once it spans
// 1.5 chunk ranges; blocks are compacted and dropped by retention as Prometheus's tsdb/db.go does.
import fs from 'node:fs';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import type { Matcher } from '../model/matcher.js';
import type { Appendable, Appender, Queryable, Querier, SelectRequest } from '../storage/interfaces.js';
import { mergeQueriers } from '../storage/merge.js';
import {
  AbortedError,
  Block,
  cleanupTmp,
  compactBlocksAsync,
  rechunkHistograms,
  exponentialBlockRanges,
  planCompaction,
  writeBlockAsync,
  type BlockMeta,
  type BlockSeries,
} from './block/index.js';
import { blocksBeyondRetention } from './block/retention.js';
import { XORChunk } from './chunks/xor.js';
import { Head, dropDeleted, matchingHeadSeries, type Interval } from './head.js';
import { packHeadSeries, type StorageSnapshot } from './snapshot.js';
import { SAMPLES_PER_CHUNK, openClosedChunk, rangeForTimestamp, type MemSeries } from './head-series.js';
import { ENC_XOR2, XOR2Chunk } from './chunks/xor2.js';
import { exportBlock } from './block/prom-block.js';
import { lockDirectory, type DirLock } from './lock.js';
import type { OOOSamples } from './ooo.js';
import { createTSDBMetrics, type TSDBMetrics } from './metrics.js';
import { checkpoint, replay } from './wal/replay.js';
import {
  RecordType,
  decodeSamples,
  ByteInterner,
  decodeSeries,
  decodeTombstones,
  recordType,
  newSampleColumns,
} from './wal/records.js';
import { WAL } from './wal/wal.js';
import { decodeHistogramSamples } from './wal/histogram-records.js';
import { compareLabels } from '../storage/interfaces.js';

export const DEFAULT_BLOCK_DURATION = 2 * 3600 * 1000;
const RELOAD_INTERVAL_MS = 60_000;
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Prometheus's compaction hint of blocks written from out-of-order samples. */
export const HINT_FROM_OOO = 'from-out-of-order';
const WBL_DIR = 'wbl';

function fromOOO(m: BlockMeta): boolean {
  return m.compaction.hints?.includes(HINT_FROM_OOO) === true;
}

export interface TSDBOptions {
  dir: string;
  /** Time retention in ms (0: none). */
  retentionMs: number;
  /** Size retention in bytes (0: none). */
  maxBytes: number;
  minBlockDuration?: number;
  maxBlockDuration?: number;
  noLockfile?: boolean;
  logger: Logger;
  registry?: Registry;
  walSegmentSize?: number;
  /** Run the one-minute reload/compaction loop (servers); tools and tests drive compaction themselves. */
  background?: boolean;
  /** storage.tsdb.out_of_order_time_window in ms (0: off); changed later by setOutOfOrderTimeWindow. */
  outOfOrderTimeWindow?: number;
  /**
   * Agent mode (Prometheus's tsdb/agent): no blocks are written; every `truncateFrequencyMs` the head
   * and the WAL drop what is older than the lowest timestamp remote write has sent minus
   * `minWalTimeMs`, and in any case what is older than `maxWalTimeMs`.
   */
  agent?: AgentOptions;
  /** Told when a block directory is deleted (query workers close their handles on it). */
  onBlockRemoved?: (ulid: string) => void;
  /**
   * st-storage: samples keep their start timestamps in the head (XOR2 and histogram ST chunks) and
   * the WAL; blocks keep values only.
   */
  stStorage?: boolean;
  /**
   * Each block written from the head is also written in Prometheus's format (meta.json, index,
   * chunks/, tombstones) beside its block.db, for the Thanos sidecar's shipper to upload: set when
   * --storage.tsdb.min-block-duration = max-block-duration, the sidecar's requirement.
   */
  prometheusFormatBlocks?: boolean;
}

export interface AgentOptions {
  truncateFrequencyMs: number;
  minWalTimeMs: number;
  maxWalTimeMs: number;
  /** The oldest of the remote write queues' newest sent timestamps (0 without queues). */
  lowestSentTimestamp: () => number;
  now?: () => number;
}

interface LoadedBlock {
  block: Block;
  readers: number;
  deleteWhenFree: boolean;
  /** Bumped when the block's tombstones change (see BlockRef.generation). */
  generation: number;
}

export interface TSDBStatus {
  headStats: {
    numSeries: number;
    numLabelPairs: number;
    chunkCount: number;
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: Array<{ name: string; value: number }>;
  labelValueCountByLabelName: Array<{ name: string; value: number }>;
  memoryInBytesByLabelName: Array<{ name: string; value: number }>;
  seriesCountByLabelValuePair: Array<{ name: string; value: number }>;
}

export class TSDB implements Appendable, Queryable {
  readonly head: Head;
  readonly metrics: TSDBMetrics;
  private blocks: LoadedBlock[] = [];
  /** Blocks already dropped that a querier still reads: deleted when it closes. */
  private readonly doomed = new Map<string, LoadedBlock>();
  private wal!: WAL;
  private readonly lock: DirLock | undefined;
  private readonly ranges: number[];
  private timer: NodeJS.Timeout | undefined;
  private compactScheduled = false;
  /** The compaction under way, if any. */
  private compacting: Promise<void> | undefined;
  private closed = false;
  /** WAL and block corruptions met, for runtimeinfo. */
  corruptions = 0;
  /** Blocks found damaged, each logged and counted once. */
  private readonly damaged = new Set<string>();

  private constructor(
    readonly opts: TSDBOptions,
    lock: DirLock | undefined,
  ) {
    this.lock = lock;
    this.metrics = createTSDBMetrics(opts.registry);
    const minBlock = opts.minBlockDuration ?? DEFAULT_BLOCK_DURATION;
    // As cmd/prometheus: the largest block is 10% of the time retention, at most 31 days.
    const maxBlock =
      opts.maxBlockDuration ??
      (opts.retentionMs > 0 ? Math.min(31 * 86_400_000, opts.retentionMs / 10) : 31 * 86_400_000);
    this.ranges = exponentialBlockRanges(minBlock, 10, 3).filter((r) => r <= Math.max(maxBlock, minBlock));
    this.head = new Head({
      chunkRange: minBlock,
      metrics: this.metrics,
      onCompactable: () => this.scheduleCompaction(),
      stStorage: opts.stStorage === true,
    });
    this.metrics.retentionLimitBytes.set(opts.maxBytes);
    this.metrics.retentionLimitSeconds.set(opts.retentionMs / 1000);
    const head = this.head;
    this.metrics.bind({
      headMinTime: () => head.minTime,
      headMaxTime: () => head.maxTime,
      lowestTimestamp: () => Math.min(this.blocks[0]?.block.meta.minTime ?? Infinity, head.minTime),
      activeAppenders: () => head.activeAppenders,
      headSeries: () => head.numSeries,
      headChunks: () => head.numChunks,
    });
  }

  /** Opens (or creates) the database in `opts.dir`: lock, blocks, WAL replay. */
  static open(opts: TSDBOptions): TSDB {
    fs.mkdirSync(opts.dir, { recursive: true });
    const lock = opts.noLockfile ? undefined : lockDirectory(opts.dir);
    cleanupTmp(opts.dir);
    const db = new TSDB(opts, lock);
    db.metrics.cleanStart.set(lock === undefined ? -1 : lock.replacedStale ? 0 : 1);
    if (lock?.replacedStale) {
      opts.logger.warn('A lockfile from a previous execution already existed. It was replaced', {
        component: 'tsdb',
        file: lock.path,
      });
    }
    db.reloadBlocks();
    // Blocks of out-of-order samples do not bound in-order appends (as Prometheus's inOrderBlocksMaxTime).
    const newest = db.blocks.reduce(
      (m, b) => (fromOOO(b.block.meta) ? m : Math.max(m, b.block.meta.maxTime)),
      -Infinity,
    );
    db.head.minValidTime = newest;
    // Replay (and any repair) happens before the writer opens its fresh segment.
    db.replayWAL();
    db.replayWBL();
    db.wal = WAL.open(path.join(opts.dir, 'wal'), {
      segmentSize: opts.walSegmentSize,
      logger: opts.logger,
      onFsync: (s) => db.metrics.walFsyncDuration.observe(s),
      onSegment: (i) => db.metrics.walSegmentCurrent.set(i),
    });
    db.head.attachWAL(db.wal);
    db.setOutOfOrderTimeWindow(opts.outOfOrderTimeWindow ?? 0);
    db.updateHeadGauges();
    if (opts.background && opts.agent !== undefined) {
      db.timer = setInterval(() => db.truncateAgent(), opts.agent.truncateFrequencyMs);
      db.timer.unref();
    } else if (opts.background) {
      db.timer = setInterval(() => {
        db.reloadBlocks();
        db.scheduleCompaction();
      }, RELOAD_INTERVAL_MS);
      db.timer.unref();
    }
    return db;
  }

  private replayWAL(): void {
    const started = performance.now();
    const cols = newSampleColumns();
    const strings = new ByteInterner();
    const head = this.head;
    // A sample's series is found by the WAL's ref, which is the head's (head.series: pages of an array,
    // two element loads; a probe of a map of every series made the samples' part of replay ~25 % slower)
    const series = head.series;
    let unknownRefs = 0;
    const result = replay(
      path.join(this.opts.dir, 'wal'),
      (rec) => {
        switch (recordType(rec)) {
          case RecordType.Series:
            for (const { ref, labels } of decodeSeries(rec, strings)) head.createWithRef(ref, labels);
            break;
          case RecordType.Samples: {
            const n = decodeSamples(rec, cols);
            for (let i = 0; i < n; i++) {
              const s = series.get(cols.refs[i]);
              if (s === undefined) {
                unknownRefs++;
                continue;
              }
              if (cols.ts[i] < head.minValidTime) continue;
              head.applySample(s, cols.ts[i], cols.vs[i], cols.sts?.[i]);
            }
            break;
          }
          case RecordType.Tombstones:
            for (const t of decodeTombstones(rec)) head.addTombstone(t.ref, { mint: t.mint, maxt: t.maxt });
            break;
          case RecordType.Histograms:
            for (const x of decodeHistogramSamples(rec)) {
              const s = series.get(x.ref);
              if (s === undefined) {
                unknownRefs++;
                continue;
              }
              if (x.t < head.minValidTime) continue;
              head.applyHistogram(s, x.t, x.h, x.fh, x.st);
            }
            break;
        }
      },
      { logger: this.opts.logger },
    );
    if (result.corruptions > 0) {
      this.metrics.walCorruptions.inc(result.corruptions);
      this.corruptions += result.corruptions;
    }
    if (unknownRefs > 0)
      this.opts.logger.warn('Unknown series references in WAL samples', {
        component: 'tsdb',
        samples: unknownRefs,
      });
    this.metrics.replayDuration.set((performance.now() - started) / 1000);
    this.opts.logger.info('WAL replay completed', {
      component: 'tsdb',
      records: result.records,
      series: head.numSeries,
      duration: `${Math.round(performance.now() - started)}ms`,
    });
  }

  /**
   * Sets storage.tsdb.out_of_order_time_window (at start and on config reload, as Prometheus's
   * ApplyConfig): the write-behind log opens when the window is first set, and stays while it holds
   * samples not yet compacted.
   */
  setOutOfOrderTimeWindow(ms: number): void {
    this.head.oooWindow = Math.max(0, ms);
    const dir = path.join(this.opts.dir, WBL_DIR);
    if (this.head.wbl === undefined && (ms > 0 || fs.existsSync(dir))) {
      this.head.wbl = WAL.open(dir, { segmentSize: this.opts.walSegmentSize, logger: this.opts.logger });
    }
  }

  /** Restores the out-of-order samples not yet compacted from the write-behind log. */
  private replayWBL(): void {
    const dir = path.join(this.opts.dir, WBL_DIR);
    if (!fs.existsSync(dir)) return;
    const cols = newSampleColumns();
    const head = this.head;
    let n = 0;
    const result = replay(
      dir,
      (rec) => {
        const type = recordType(rec);
        if (type === RecordType.Histograms) {
          for (const x of decodeHistogramSamples(rec)) {
            const s = head.series.get(x.ref);
            if (s !== undefined && head.applyOOOHistogram(s, x)) n++;
          }
          return;
        }
        if (type !== RecordType.Samples) return;
        const k = decodeSamples(rec, cols);
        for (let i = 0; i < k; i++) {
          const s = head.series.get(cols.refs[i]);
          if (s !== undefined && head.applyOOO(s, cols.ts[i], cols.vs[i])) n++;
        }
      },
      { logger: this.opts.logger },
    );
    if (result.corruptions > 0) {
      this.metrics.walCorruptions.inc(result.corruptions);
      this.corruptions += result.corruptions;
    }
    if (n > 0)
      this.opts.logger.info('WBL replay completed', {
        component: 'tsdb',
        records: result.records,
        samples: n,
      });
  }

  appender(): Appender {
    if (this.closed) throw new Error('db already closed');
    return this.head.appender();
  }

  /**
   * One query's consistent view for a query worker (see snapshot.ts): the blocks overlapping the
   * selects, pinned until `release`, and the head's series for each select packed as chunk bytes.
   */
  querySnapshot(selects: readonly SelectRequest[]): { snapshot: StorageSnapshot; release(): void } {
    let mint = Infinity;
    let maxt = -Infinity;
    for (const s of selects) {
      mint = Math.min(mint, s.mint);
      maxt = Math.max(maxt, s.maxt);
    }
    const used: LoadedBlock[] = [];
    for (const b of this.blocks) {
      const m = b.block.meta;
      if (m.minTime <= maxt && mint < m.maxTime) {
        b.readers++;
        used.push(b);
      }
    }
    const head = this.head;
    const headMin = head.queryMinTime();
    const packed = selects.map((s) =>
      s.maxt >= headMin || headMin === Infinity
        ? packHeadSeries(
            matchingHeadSeries(head, s.matchers, s.mint, s.maxt),
            s.mint,
            s.maxt,
            head.tombstones,
          )
        : null,
    );
    return {
      snapshot: {
        blocks: used.map((b) => ({
          ulid: b.block.meta.ulid,
          dir: b.block.dir,
          minTime: b.block.meta.minTime,
          maxTime: b.block.meta.maxTime,
          generation: b.generation,
        })),
        head: packed,
      },
      release: once(() => {
        for (const b of used) {
          b.readers--;
          if (b.readers === 0 && b.deleteWhenFree) this.removeBlock(b);
        }
      }),
    };
  }

  querier(mint: number, maxt: number): Querier {
    const parts: Querier[] = [];
    const used: LoadedBlock[] = [];
    for (const b of this.blocks) {
      const m = b.block.meta;
      if (m.minTime <= maxt && mint < m.maxTime) {
        b.readers++;
        used.push(b);
        parts.push(b.block.querier(mint, maxt));
      }
    }
    const headMin = this.head.queryMinTime();
    if (maxt >= headMin || headMin === Infinity) parts.push(this.head.querier(mint, maxt));
    const merged = mergeQueriers(parts);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      merged.close();
      for (const b of used) {
        b.readers--;
        if (b.readers === 0 && b.deleteWhenFree) this.removeBlock(b);
      }
    };
    return {
      select: (m, h) => merged.select(m, h),
      labelNames: (m) => merged.labelNames(m),
      labelValues: (n, m) => merged.labelValues(n, m),
      close: release,
    };
  }

  /** Loaded blocks' metas, oldest first. */
  /** The oldest timestamp held (ms), or Infinity when empty: the lowest of the blocks and the head. */
  lowestTimestamp(): number {
    return Math.min(this.blocks[0]?.block.meta.minTime ?? Infinity, this.head.queryMinTime());
  }

  blockMetas(): BlockMeta[] {
    return this.blocks.map((b) => b.block.meta);
  }

  private scheduleCompaction(): void {
    if (this.compactScheduled || this.closed) return;
    this.compactScheduled = true;
    // Off the commit's own turn of the event loop: the appender's caller gets its answer first.
    setImmediate(() => {
      this.compactScheduled = false;
      void this.compact();
    });
  }

  /**
   * Persists the head while compactable, then compacts blocks as planned. The work gives the event
   * loop back between series, so scrapes and queries go on meanwhile; resolves when done (a second
   * call while one runs waits for the same run).
   */
  compact(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.compacting ??= this.runCompaction().finally(() => {
      this.compacting = undefined;
      if (!this.closed) this.updateHeadGauges();
    });
    return this.compacting;
  }

  /**
   * Agent mode's truncation (Prometheus's agent DB.truncate): drops head data and WAL segments older
   * than what remote write still needs, bounded by the maximum WAL time. Returns the cut-off.
   */
  truncateAgent(): number {
    const a = this.opts.agent;
    if (a === undefined || this.closed) return -Infinity;
    let ts = Math.max(a.lowestSentTimestamp() - a.minWalTimeMs, 0);
    const maxTs = (a.now ?? Date.now)() - a.maxWalTimeMs;
    if (ts < maxTs) ts = maxTs;
    this.truncateHead(ts);
    // a fresh segment first, so that little ingestion still lets old segments go
    this.wal.nextSegment();
    this.truncateWAL(ts);
    this.updateHeadGauges();
    return ts;
  }

  private async runCompaction(): Promise<void> {
    // the agent writes no blocks: its head and WAL are truncated by truncateAgent
    if (this.opts.agent !== undefined) return;
    this.metrics.compactionsTriggered.inc();
    try {
      let lastBlockMaxt = -Infinity;
      while (!this.closed && this.head.compactable()) {
        const mint = this.head.minTime;
        const maxt = rangeForTimestamp(mint, this.head.chunkRange);
        // No sample can land in [mint, maxt) meanwhile: appends are bounded below by maxTime - 1h.
        await this.persistHead(mint, maxt);
        if (this.closed) return;
        this.truncateHead(maxt);
        lastBlockMaxt = maxt;
      }
      if (lastBlockMaxt !== -Infinity) {
        this.truncateWAL(lastBlockMaxt);
        // as Prometheus: the out-of-order head is compacted whenever the in-order head was
        await this.compactOOOHead();
      }
      await this.compactBlocks();
    } catch (err) {
      if (err instanceof AbortedError) return;
      this.metrics.compactionsFailed.inc();
      this.opts.logger.error('Compaction failed', { component: 'tsdb', err: (err as Error).message });
    }
  }

  /**
   * Writes the out-of-order samples held into blocks, one per chunk-range window they fall in
   * (Prometheus's compactOOOHead): they overlap the in-order blocks and are merged with them by the
   * next (vertical) compaction. Samples arriving meanwhile go to fresh buffers and a fresh WBL
   * segment; the segments before it are removed once the blocks are loaded.
   */
  async compactOOOHead(): Promise<void> {
    const head = this.head;
    const wbl = head.wbl;
    if (wbl === undefined || head.oooMinTime === Infinity) return;
    const cut = wbl.nextSegment();
    const taken: MemSeries[] = [];
    for (const s of head.series.values()) {
      if (s.ooo === undefined) continue;
      s.oooCompacting = s.ooo;
      s.ooo = undefined;
      taken.push(s);
    }
    taken.sort((a, b) => compareLabels(a.labels, b.labels));
    const written: string[] = [];
    try {
      written.push(...(await this.writeOOOBlocks(this.opts.dir, taken, (s) => s.oooCompacting)));
      if (this.closed) return;
      this.reloadBlocks();
      for (const s of taken) s.oooCompacting = undefined;
      head.updateOOOBounds();
      wbl.truncateBefore(cut);
      this.opts.logger.info('out-of-order compaction completed', {
        component: 'tsdb',
        blocks: written.length,
        series: taken.length,
      });
    } catch (err) {
      // the samples stay queryable and in the WBL; give them back for the next attempt
      for (const s of taken) {
        const o = s.oooCompacting!;
        s.oooCompacting = undefined;
        for (let i = 0; i < o.n; i++) head.applyOOO(s, o.t[i], o.v[i]);
        for (const x of o.hists) head.applyOOOHistogram(s, x);
      }
      for (const u of written) fs.rmSync(path.join(this.opts.dir, u), { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Writes the out-of-order samples `pick` gives for `series` (sorted by labels) into blocks in `dir`,
   * one per chunk-range window; returns their ULIDs.
   */
  private async writeOOOBlocks(
    dir: string,
    series: readonly MemSeries[],
    pick: (s: MemSeries) => OOOSamples | undefined,
  ): Promise<string[]> {
    const range = this.head.chunkRange;
    let mint = Infinity;
    let maxt = -Infinity;
    for (const s of series) {
      const o = pick(s);
      if (o === undefined || o.size === 0) continue;
      mint = Math.min(mint, o.minTime);
      maxt = Math.max(maxt, o.maxTime);
    }
    const written: string[] = [];
    if (mint === Infinity) return written;
    const tombstones = this.head.tombstones;
    for (let t = Math.floor(mint / range) * range; t <= maxt; t += range) {
      const windowMaxt = t + range - 1;
      const inWindow = function* (): Iterable<BlockSeries> {
        for (const s of series) {
          const o = pick(s);
          if (o === undefined) continue;
          const deleted = tombstones.get(s.ref);
          const chunks: BlockSeries['chunks'] = [];
          const c = o.chunk(t, windowMaxt);
          if (c !== undefined) {
            let chunk = c;
            if (deleted !== undefined) {
              const ts = new Float64Array(c.numSamples);
              const vs = new Float64Array(c.numSamples);
              const n = dropDeleted(ts, vs, c.decodeInto(ts, vs, 0, -Infinity, Infinity), deleted);
              chunk = new XORChunk();
              for (let i = 0; i < n; i++) chunk.append(ts[i], vs[i]);
            }
            if (chunk.numSamples > 0) chunks.push(...splitChunk(chunk));
          }
          // out-of-order native histograms, in histogram chunks of their own
          const keep =
            deleted === undefined
              ? undefined
              : (x: number) => !deleted.some((iv) => x >= iv.mint && x <= iv.maxt);
          chunks.push(...o.histogramChunks(t, windowMaxt, keep));
          if (chunks.length === 0) continue;
          chunks.sort((a, b) => a.mint - b.mint);
          yield { labels: s.labels, chunks };
        }
      };
      const meta = await this.timedCompaction(() =>
        writeBlockAsync(
          dir,
          { minTime: t, maxTime: t + range },
          inWindow(),
          { level: 1, sources: [], hints: [HINT_FROM_OOO] },
          {},
          () => this.closed,
        ),
      );
      if (this.closed) break;
      if (meta !== undefined) written.push(meta.ulid);
    }
    return written;
  }

  private truncateHead(mint: number): void {
    this.metrics.headTruncations.inc();
    const started = performance.now();
    try {
      this.head.truncateBefore(mint);
    } catch (err) {
      this.metrics.headTruncationsFailed.inc();
      throw err;
    }
    this.metrics.headGcDuration.observe((performance.now() - started) / 1000);
  }

  /** Writes head data in [mint, maxt) as a level-1 block. */
  private async persistHead(mint: number, maxt: number): Promise<void> {
    const meta = await this.timedCompaction(() =>
      writeBlockAsync(
        this.opts.dir,
        { minTime: mint, maxTime: maxt },
        this.headSeriesFor(mint, maxt - 1),
        undefined,
        // each chunk in its smallest form (DEC, deflate), as compaction writes them: the newest
        // blocks are the last to be compacted, and the bytes are paid until then
        { compress: true },
        () => this.closed,
      ),
    );
    this.metrics.compactions.inc();
    if (meta === undefined) {
      this.opts.logger.info('write block resulted in empty block', { component: 'tsdb', mint, maxt });
    } else {
      this.opts.logger.info('write block', { component: 'tsdb', mint, maxt, ulid: meta.ulid });
      if (this.opts.prometheusFormatBlocks === true) this.writePrometheusFormat(meta.ulid);
    }
    this.reloadBlocks();
  }

  /** The block `ulid` also in Prometheus's format, in its directory (see prometheusFormatBlocks). */
  private writePrometheusFormat(ulid: string): void {
    const dir = path.join(this.opts.dir, ulid);
    try {
      const block = Block.open(dir);
      try {
        exportBlock(block, dir, true);
      } finally {
        block.close();
      }
      this.opts.logger.info('wrote block in Prometheus format', { component: 'tsdb', ulid });
    } catch (err) {
      // the block itself is written: only what a shipper would upload is missing
      this.opts.logger.error('writing block in Prometheus format failed', {
        component: 'tsdb',
        ulid,
        err: (err as Error).message,
      });
    }
  }

  /** Head series with their chunks in [mint, maxt], deleted samples removed, sorted by labels. */
  private *headSeriesFor(mint: number, maxt: number): Iterable<BlockSeries> {
    const all = [...this.head.series.values()].filter((s) => s.minTime <= maxt && s.maxTime >= mint);
    all.sort((a, b) => compareLabels(a.labels, b.labels));
    for (const s of all) {
      const deleted = this.head.tombstones.get(s.ref);
      const chunks: BlockSeries['chunks'] = [];
      const sources = [...s.closed.map(openClosedChunk)];
      if (s.head !== undefined && s.head.numSamples > 0) sources.push(s.head);
      for (const c of sources) {
        if (c.maxTime < mint || c.minTime > maxt) continue;
        // XOR2 chunks (st-storage) go into blocks as they are, start timestamps included
        const xor2 = c instanceof XOR2Chunk;
        if (c.minTime >= mint && c.maxTime <= maxt && !overlaps(deleted, c.minTime, c.maxTime)) {
          const data = c.bytes().slice();
          chunks.push(
            xor2
              ? { mint: c.minTime, maxt: c.maxTime, data, enc: ENC_XOR2 }
              : { mint: c.minTime, maxt: c.maxTime, data },
          );
          continue;
        }
        // Partly in range or partly deleted: re-encode the samples that stay.
        const t = new Float64Array(c.numSamples);
        const v = new Float64Array(c.numSamples);
        const st = new Float64Array(c.numSamples);
        let n = xor2 ? c.decodeInto(t, v, st, 0, mint, maxt) : c.decodeInto(t, v, 0, mint, maxt);
        if (deleted !== undefined) n = dropDeleted(t, v, n, deleted, st);
        if (n === 0) continue;
        if (xor2) {
          const out = new XOR2Chunk();
          for (let i = 0; i < n; i++) out.append(t[i], v[i], st[i]);
          chunks.push({ mint: out.minTime, maxt: out.maxTime, data: out.bytes().slice(), enc: ENC_XOR2 });
          continue;
        }
        const out = new XORChunk();
        for (let i = 0; i < n; i++) out.append(t[i], v[i]);
        chunks.push({ mint: out.minTime, maxt: out.maxTime, data: out.bytes().slice() });
      }
      if (s.hist !== undefined) {
        const hist = rechunkHistograms(
          s.hist
            .chunks()
            .map((chunk) => ({ chunk: { ...chunk, data: chunk.data.slice() }, deleted, priority: 0 })),
          mint,
          maxt,
        );
        if (hist.length > 0) {
          chunks.push(...hist);
          chunks.sort((a, b) => a.mint - b.mint);
        }
      }
      if (chunks.length > 0) yield { labels: s.labels, chunks };
    }
  }

  /** A block write (from the head or compacting blocks), with prometheus_tsdb_compaction_* kept. */
  private async timedCompaction<T>(write: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.metrics.compactionPopulatingBlock.set(1);
    try {
      return await write();
    } finally {
      this.metrics.compactionPopulatingBlock.set(0);
      this.metrics.compactionDuration.observe((performance.now() - started) / 1000);
    }
  }

  private truncateWAL(mint: number): void {
    const segs = this.wal.segments();
    if (segs === undefined) return;
    // As Prometheus: checkpoint the first two thirds of the segments, never the one being written.
    const last = segs.first + Math.floor(((segs.last - segs.first) * 2) / 3);
    if (last < segs.first || last >= segs.last) return;
    const live = this.head.series;
    const m = this.metrics;
    m.walTruncations.inc();
    m.checkpointCreations.inc();
    const started = performance.now();
    try {
      const stats = checkpoint(path.join(this.opts.dir, 'wal'), last, {
        series: (ref) => live.has(ref),
        minTime: mint,
      });
      if (stats.deletedCheckpoints > 0) m.checkpointDeletions.inc(stats.deletedCheckpoints);
    } catch (err) {
      m.checkpointCreationsFailed.inc();
      m.walTruncationsFailed.inc();
      throw err;
    }
    m.walTruncateDuration.observe((performance.now() - started) / 1000);
  }

  private async compactBlocks(): Promise<void> {
    for (;;) {
      if (this.closed || this.head.compactable()) return; // persist the head first, as Prometheus does
      const plan = planCompaction(this.blockMetas(), this.ranges);
      if (plan.length === 0) return;
      const ulids = new Set(plan.map((m) => m.ulid));
      const inputs = this.blocks.filter((b) => ulids.has(b.block.meta.ulid)).map((b) => b.block);
      const overlapping = inputs.some((b, i) => i > 0 && b.meta.minTime < inputs[i - 1].meta.maxTime);
      await this.timedCompaction(() => compactBlocksAsync(this.opts.dir, inputs, {}, () => this.closed));
      if (this.closed) return;
      this.metrics.compactions.inc();
      if (overlapping) this.metrics.verticalCompactions.inc();
      this.reloadBlocks();
    }
  }

  /** Loads new block directories, drops compacted parents and blocks beyond retention. */
  reloadBlocks(): void {
    try {
      const loaded = new Map(this.blocks.map((b) => [b.block.meta.ulid, b]));
      const next: LoadedBlock[] = [];
      const corrupted: string[] = [];
      for (const name of fs.readdirSync(this.opts.dir)) {
        if (!ULID_RE.test(name) || this.doomed.has(name)) continue;
        const have = loaded.get(name);
        if (have !== undefined) {
          next.push(have);
          continue;
        }
        try {
          const block = Block.open(path.join(this.opts.dir, name));
          block.onDamage = (detail) => this.reportDamagedBlock(name, detail, false);
          next.push({ block, readers: 0, deleteWhenFree: false, generation: 0 });
        } catch (err) {
          corrupted.push(name);
          this.reportDamagedBlock(name, (err as Error).message, true);
        }
      }
      next.sort((a, b) => a.block.meta.minTime - b.block.meta.minTime);
      const deletable = new Set<string>();
      for (const b of next) {
        // Parents of a loaded block were compacted into it (also resumes deletions a crash cut short);
        // a block marked deletable was compacted into nothing.
        for (const p of b.block.meta.compaction.parents ?? []) deletable.add(p.ulid);
        if (b.block.meta.compaction.deletable) deletable.add(b.block.meta.ulid);
      }
      const survivors = next.filter((b) => !deletable.has(b.block.meta.ulid));
      const beyond = blocksBeyondRetention(
        survivors.map((b) => b.block.meta),
        {
          retentionMs: this.opts.retentionMs,
          maxBytes: this.opts.maxBytes,
          sizes: new Map(survivors.map((b) => [b.block.meta.ulid, b.block.size()])),
          walAndHeadBytes: this.wal?.size() ?? 0,
        },
      );
      if (beyond.byTime.length > 0) this.metrics.timeRetentions.inc();
      if (beyond.bySize.length > 0) this.metrics.sizeRetentions.inc();
      for (const u of [...beyond.byTime, ...beyond.bySize]) deletable.add(u);
      for (const name of corrupted) {
        if (deletable.has(name)) fs.rmSync(path.join(this.opts.dir, name), { recursive: true, force: true });
      }
      this.blocks = next.filter((b) => !deletable.has(b.block.meta.ulid));
      for (const b of next) if (deletable.has(b.block.meta.ulid)) this.removeBlock(b);
      this.metrics.reloads.inc();
      this.metrics.blocksLoaded.set(this.blocks.length);
      this.metrics.blocksBytes.set(this.blocks.reduce((n, b) => n + b.block.size(), 0));
      this.metrics.lowestTimestamp.set(
        this.blocks.length > 0
          ? this.blocks[0].block.meta.minTime
          : this.head.minTime === Infinity
            ? 0
            : this.head.minTime,
      );
    } catch (err) {
      this.metrics.reloadsFailed.inc();
      this.opts.logger.error('Reloading blocks failed', { component: 'tsdb', err: (err as Error).message });
    }
  }

  /**
   * A damaged block, logged and counted once: one that fails to open (skipped whole, and a failed
   * reload as Prometheus counts it), or whose chunks fail their checksum when read (those are skipped,
   * with a warning in the query's answer).
   */
  /** A block a query worker found damaged while reading it. */
  noteDamagedBlock(ulid: string, detail: string): void {
    this.reportDamagedBlock(ulid, detail, false);
  }

  private reportDamagedBlock(ulid: string, detail: string, atOpen: boolean): void {
    if (this.damaged.has(ulid)) return;
    this.damaged.add(ulid);
    this.corruptions++;
    this.metrics.damagedBlocks.inc();
    if (atOpen) this.metrics.reloadsFailed.inc();
    this.opts.logger.error(
      atOpen ? 'Damaged block skipped' : 'Damaged block: its unreadable data is skipped',
      {
        component: 'tsdb',
        block: ulid,
        err: detail,
      },
    );
  }

  /** Deletes a block now, or when the last querier using it closes. */
  private removeBlock(b: LoadedBlock): void {
    if (b.readers > 0) {
      b.deleteWhenFree = true;
      this.doomed.set(b.block.meta.ulid, b);
      return;
    }
    this.doomed.delete(b.block.meta.ulid);
    b.block.close();
    this.opts.onBlockRemoved?.(b.block.meta.ulid);
    const dir = b.block.dir;
    const doomed = `${dir}.tmp-for-deletion`;
    fs.renameSync(dir, doomed);
    fs.rmSync(doomed, { recursive: true, force: true });
  }

  /** Hides samples in [mint, maxt] of matching series, in the head and in blocks. */
  async deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void> {
    // A compaction under way would copy the blocks without the new tombstones.
    await this.compacting;
    for (const b of this.blocks) {
      const m = b.block.meta;
      if (!(m.minTime <= maxt && mint < m.maxTime)) continue;
      const refs = b.block.seriesRefs(matchers);
      if (refs.length > 0) {
        b.block.addTombstones([...refs].map((ref) => ({ ref, mint, maxt })));
        b.generation++;
      }
    }
    const head = this.head;
    if (head.queryMinTime() <= maxt && mint <= Math.max(head.maxTime, head.oooMaxTime))
      head.deleteRange(matchers, mint, maxt);
  }

  /** Rewrites blocks that have tombstones without the deleted data. */
  async cleanTombstones(): Promise<void> {
    await this.compacting;
    const started = performance.now();
    for (const b of [...this.blocks]) {
      if (this.closed) return;
      if (b.block.tombstoneCount() === 0) continue;
      await compactBlocksAsync(this.opts.dir, [b.block], { cleanTombstones: true }, () => this.closed);
      this.reloadBlocks();
    }
    this.metrics.tombstoneCleanup.observe((performance.now() - started) / 1000);
  }

  /** Copies every block (and unless skipHead, the head as a block) into `dir`. */
  async snapshot(dir: string, withHead: boolean): Promise<void> {
    const abs = path.resolve(dir);
    if (abs === path.resolve(this.opts.dir)) throw new Error('cannot snapshot into base directory');
    if (ULID_RE.test(path.basename(abs))) throw new Error('dir must not be a valid ULID');
    fs.mkdirSync(abs, { recursive: true });
    for (const b of this.blocks) {
      // A copy, not a hard link: tombstones are written into a block's database in place.
      fs.cpSync(b.block.dir, path.join(abs, path.basename(b.block.dir)), { recursive: true });
    }
    if (withHead && this.head.minTime !== Infinity) {
      const range = { minTime: this.head.minTime, maxTime: this.head.maxTime + 1 };
      await writeBlockAsync(
        abs,
        range,
        this.headSeriesFor(range.minTime, range.maxTime - 1),
        undefined,
        {},
        () => this.closed,
      );
    }
    if (withHead && this.head.oooMinTime !== Infinity) {
      const series = [...this.head.series.values()]
        .filter((s) => s.ooo !== undefined || s.oooCompacting !== undefined)
        .sort((a, b) => compareLabels(a.labels, b.labels));
      await this.writeOOOBlocks(abs, series, (s) => s.ooo);
      await this.writeOOOBlocks(abs, series, (s) => s.oooCompacting);
    }
  }

  /** The figures behind /api/v1/status/tsdb. */
  status(limit = 10): TSDBStatus {
    const { byName } = this.head.postings.cardinality();
    const top = (entries: Array<{ name: string; value: number }>) =>
      entries.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1)).slice(0, limit);
    let pairs = 0;
    const valueCounts: Array<{ name: string; value: number }> = [];
    const memory: Array<{ name: string; value: number }> = [];
    const pairCounts: Array<{ name: string; value: number }> = [];
    for (const [name, values] of byName) {
      pairs += values.size;
      valueCounts.push({ name, value: values.size });
      let bytes = 0;
      for (const [value, n] of values) {
        bytes += (name.length + value.length) * n;
        pairCounts.push({ name: `${name}=${value}`, value: n });
      }
      memory.push({ name, value: bytes });
    }
    const byMetric = [...(byName.get('__name__') ?? new Map<string, number>())].map(([name, value]) => ({
      name,
      value,
    }));
    const h = this.head;
    return {
      headStats: {
        numSeries: h.numSeries,
        numLabelPairs: pairs,
        chunkCount: h.chunkCount(),
        minTime: h.minTime === Infinity ? Number.MAX_SAFE_INTEGER : h.minTime,
        maxTime: h.maxTime === -Infinity ? Number.MIN_SAFE_INTEGER : h.maxTime,
      },
      seriesCountByMetricName: top(byMetric),
      labelValueCountByLabelName: top(valueCounts),
      memoryInBytesByLabelName: top(memory),
      seriesCountByLabelValuePair: top(pairCounts),
    };
  }

  private updateHeadGauges(): void {
    const h = this.head;
    if (h.minTime !== Infinity) this.metrics.headMinTime.set(h.minTime);
    if (h.maxTime !== -Infinity) this.metrics.headMaxTime.set(h.maxTime);
    this.metrics.walStorageSize.set(this.wal.size());
  }

  /** Bytes on disk: blocks plus WAL. */
  size(): number {
    return this.blocks.reduce((n, b) => n + b.block.size(), 0) + this.wal.size();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.wal.close();
    this.head.wbl?.close();
    for (const b of this.blocks) b.block.close();
    for (const b of this.doomed.values()) b.block.close();
    this.lock?.release();
  }
}

function overlaps(ivs: readonly Interval[] | undefined, mint: number, maxt: number): boolean {
  return ivs !== undefined && ivs.some((iv) => iv.mint <= maxt && iv.maxt >= mint);
}

/** `fn` made safe to call more than once: only the first call runs it. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** Samples of one chunk re-cut into chunks of at most 120 (as the head cuts them), for a block. */
function splitChunk(c: XORChunk): BlockSeries['chunks'] {
  if (c.numSamples <= SAMPLES_PER_CHUNK)
    return [{ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() }];
  const t = new Float64Array(c.numSamples);
  const v = new Float64Array(c.numSamples);
  const n = c.decodeInto(t, v, 0, -Infinity, Infinity);
  const out: BlockSeries['chunks'] = [];
  for (let i = 0; i < n; i += SAMPLES_PER_CHUNK) {
    const part = new XORChunk();
    for (let k = i; k < Math.min(n, i + SAMPLES_PER_CHUNK); k++) part.append(t[k], v[k]);
    out.push({ mint: part.minTime, maxt: part.maxTime, data: part.bytes().slice() });
  }
  return out;
}
