// The storage as a query worker sees it (see snapshot.ts): once the engine has announced its selects
// (Queryable.prepare), one snapshot is fetched from the ingest thread; the head's series come packed
// in it, the blocks it names are opened here (kept open across queries, reopened when their
// tombstones changed) and read directly. Queriers merge the two as the TSDB's own querier does.
import type { Matcher } from '../model/matcher.js';
import {
  compareLabels,
  type Querier,
  type Queryable,
  type SampleBatch,
  type SelectRequest,
  type Series,
  type SeriesSet,
} from '../storage/interfaces.js';
import { mergeQueriers } from '../storage/merge.js';
import { Block } from './block/reader.js';
import { XORChunk } from './chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from './chunks/xor2.js';
import { dropDeleted, dropDeletedHistograms } from './head.js';
import { histogramSamples } from './head-histograms.js';
import { sortSamples } from './ooo.js';
import { SampleArena } from './sample-arena.js';
import {
  selectSpecs,
  unpackHeadSeries,
  type BlockRef,
  type SelectSpec,
  type StorageSnapshot,
  type UnpackedSeries,
} from './snapshot.js';

/** The blocks a worker has open, by ULID. */
export class BlockCache {
  private readonly open = new Map<string, { block: Block; generation: number }>();

  constructor(
    /** Told when a block's data turns out damaged while read here. */
    private readonly onDamage?: (ulid: string, detail: string) => void,
  ) {}

  get(ref: BlockRef): Block {
    const have = this.open.get(ref.ulid);
    if (have !== undefined && have.generation === ref.generation) return have.block;
    have?.block.close();
    const block = Block.open(ref.dir);
    block.onDamage = (detail) => this.onDamage?.(ref.ulid, detail);
    this.open.set(ref.ulid, { block, generation: ref.generation });
    return block;
  }

  /** Closes a block the ingest thread deleted (or is about to). */
  drop(ulid: string): void {
    this.open.get(ulid)?.block.close();
    this.open.delete(ulid);
  }

  closeAll(): void {
    for (const { block } of this.open.values()) block.close();
    this.open.clear();
  }
}

interface HeadPart {
  select: SelectRequest;
  /** null: the select's range ends before the head. */
  series: UnpackedSeries[] | null;
}

export class SnapshotQueryable implements Queryable {
  private blocks: Array<{ ref: BlockRef; block: Block }> | undefined;
  private readonly heads = new Map<readonly Matcher[], HeadPart[]>();

  constructor(
    /** Asks the ingest thread for the snapshot of these selects. */
    private readonly fetch: (selects: SelectSpec[]) => Promise<StorageSnapshot>,
    private readonly cache: BlockCache,
    private readonly intern: (s: string) => string = (s) => s,
  ) {}

  async prepare(selects: readonly SelectRequest[]): Promise<void> {
    const snap = await this.fetch(selectSpecs(selects));
    this.blocks = snap.blocks.map((ref) => ({ ref, block: this.cache.get(ref) }));
    selects.forEach((select, i) => {
      const packed = snap.head[i];
      const series = packed === null ? null : unpackHeadSeries(packed, this.intern);
      series?.sort((a, b) => compareLabels(a.labels, b.labels));
      const parts = this.heads.get(select.matchers) ?? [];
      parts.push({ select, series });
      this.heads.set(select.matchers, parts);
    });
  }

  querier(mint: number, maxt: number): Querier {
    if (this.blocks === undefined) throw new Error('query snapshot used before prepare()');
    const parts: Querier[] = [];
    for (const { ref, block } of this.blocks) {
      if (ref.minTime <= maxt && mint < ref.maxTime) parts.push(block.querier(mint, maxt));
    }
    parts.push(new HeadSnapshotQuerier(this.heads, mint, maxt));
    return mergeQueriers(parts);
  }
}

const EMPTY: SampleBatch = { t: new Float64Array(0), v: new Float64Array(0), length: 0 };

/** The head's part of a snapshot: answers exactly the selects announced to prepare(). */
class HeadSnapshotQuerier implements Querier {
  constructor(
    private readonly heads: ReadonlyMap<readonly Matcher[], HeadPart[]>,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(matchers: readonly Matcher[]): SeriesSet {
    const part = this.heads
      .get(matchers)
      ?.find((p) => p.select.mint <= this.mint && p.select.maxt >= this.maxt);
    if (part === undefined) throw new Error('select not announced to the query snapshot');
    const { mint, maxt } = this;
    const series: Series[] = [];
    const arena = new SampleArena();
    for (const s of part.series ?? []) {
      const inRange = (c: { mint: number; maxt: number }): boolean => c.maxt >= mint && c.mint <= maxt;
      const hist = s.histograms.some(inRange);
      if (!s.chunks.some(inRange) && !hist) continue;
      const x: Series = { labels: s.labels, samples: () => decode(s, mint, maxt, arena) };
      if (hist)
        x.histograms = () => dropDeletedHistograms(histogramSamples(s.histograms, mint, maxt), s.deleted);
      series.push(x);
    }
    return Object.assign(series, { warnings: [] as string[] });
  }

  labelNames(): string[] {
    throw new Error('label names are not part of a query snapshot');
  }

  labelValues(): string[] {
    throw new Error('label values are not part of a query snapshot');
  }

  close(): void {}
}

function decode(s: UnpackedSeries, mint: number, maxt: number, arena: SampleArena): SampleBatch {
  const chunks = s.chunks
    .filter((c) => c.maxt >= mint && c.mint <= maxt)
    .map((c) => (c.enc === ENC_XOR2 ? XOR2Chunk.fromBytes(c.data) : XORChunk.fromBytes(c.data)));
  let cap = 0;
  for (const c of chunks) cap += c.numSamples;
  if (cap === 0) return EMPTY;
  const { t, v } = arena.room(cap);
  // start timestamps when a chunk has them (0 for the samples of those that do not)
  const st = chunks.some((c) => c instanceof XOR2Chunk && c.hasST) ? new Float64Array(cap) : undefined;
  let n = 0;
  for (const c of chunks)
    n +=
      c instanceof XOR2Chunk
        ? c.decodeInto(t, v, st ?? new Float64Array(cap), n, mint, maxt)
        : c.decodeInto(t, v, n, mint, maxt);
  // out-of-order chunks overlap the in-order ones (a sorted run costs one pass)
  n = sortSamples(t, v, n, st);
  if (s.deleted.length > 0) n = dropDeleted(t, v, n, s.deleted, st);
  return st === undefined ? { ...arena.take(n), length: n } : { ...arena.take(n), length: n, st };
}
