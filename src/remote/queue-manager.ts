// One remote_write queue (Prometheus's storage/remote/queue_manager.go): samples from the WAL watcher,
// relabelled with write_relabel_configs and given the external labels they lack, go to shards by series
// (so each series stays in order); a shard sends a batch when it has max_samples_per_send samples or
// batch_send_deadline has passed; network errors, 5xx and (with retry_on_http_429) 429 are retried
// forever with exponential backoff between min_backoff and max_backoff (Retry-After honoured), other
// 4xx drop the batch. The number of shards follows the load between min_shards and max_shards, as
// Prometheus computes it. The queue's position in the WAL is saved once every sample before it was
// delivered (or dropped), so a restart or an outage resumes there and loses nothing the log still holds.
import fs from 'node:fs';
import path from 'node:path';
import * as snappy from './snappy.js';
import type { Logger } from '../log/logger.js';
import { Labels } from '../model/labels.js';
import { relabel, type CompiledRelabel } from '../model/relabel/relabel.js';
import type { HttpClient } from '../scrape/http-client.js';
import {
  encodeLabelFields,
  encodeWriteV1,
  encodeWriteV1Columns,
  encodeWriteV2,
  MESSAGE_V1,
  MESSAGE_V2,
  type WireMetadata,
  type WireHistogram,
  type WireSeries,
} from './messages.js';
import type { RemoteWriteMetrics } from './metrics.js';
import { WalWatcher, type WalPosition, type WatchedSamples } from './wal-watcher.js';

export { MESSAGE_V1, MESSAGE_V2 } from './messages.js';

export interface QueueOptions {
  name: string;
  url: string;
  client: HttpClient;
  timeoutMs: number;
  headers: Record<string, string>;
  relabel: CompiledRelabel[];
  externalLabels: Record<string, string>;
  message: string;
  capacity: number;
  minShards: number;
  maxShards: number;
  maxSamplesPerSend: number;
  batchSendDeadlineMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  retryOn429: boolean;
  /** send_native_histograms: histogram samples are sent too (else they stay behind). */
  sendNativeHistograms?: boolean;
  walDir: string;
  /** metadata_config: metric metadata from the scrape targets, sent every interval (1.0 messages only). */
  metadata?: { send: boolean; intervalMs: number; maxPerSend: number; source: () => WireMetadata[] };
  /** Where the queue's WAL position is kept. */
  stateFile: string;
  logger: Logger;
  metrics?: RemoteWriteMetrics;
  userAgent: string;
}

/** A WAL record's samples still on their way. */
interface RecordMark {
  end: WalPosition;
  pending: number;
}

interface QueuedSample {
  ref: number;
  t: number;
  v: number;
  /** A native histogram sample instead of `v`. */
  hist?: WireHistogram;
  /** The sample's start timestamp (st-storage; sent by remote write 2.0), 0 or absent when unknown. */
  st?: number;
  mark: RecordMark;
}

const SHARD_UPDATE_MS = 10_000;
const SAVE_EVERY_MS = 1000;
const POLL_MS = 100;

class RecoverableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After in seconds or as an HTTP date, in ms. */
function retryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

export interface QueueStatus {
  url: string;
  protobufMessage: string;
  shards: number;
  desired: number;
  minShards: number;
  maxShards: number;
  /** Samples read from the WAL and not yet sent. */
  pending: number;
  highestSentTimestampMs: number;
  highestQueuedTimestampMs: number;
  /** The WAL position saved: a restart resumes there. */
  position: WalPosition | undefined;
  lastError: { message: string; atMs: number } | undefined;
}

export class QueueManager {
  private watcher: WalWatcher | undefined;
  private shards: Shard[] = [];
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private reshardTimer: NodeJS.Timeout | undefined;
  private readonly marks: RecordMark[] = [];
  private saved: WalPosition | undefined;
  private toSave: WalPosition | undefined;
  private savedAt = 0;
  private message: string;
  private readonly labelCache = new Map<number, Labels | null>();
  // resharding inputs (EWMA rates, as Prometheus)
  private samplesIn = 0;
  private samplesOut = 0;
  private sendSeconds = 0;
  private rateIn = 0;
  private rateOut = 0;
  private timePerSample = 0;
  private lastRecoverable = 0;
  private desired = 1;
  private highestIn = 0;
  private highestSent = 0;
  private highestQueued = 0;

  constructor(readonly o: QueueOptions) {
    this.message = o.message;
  }

  private labelsOf(ref: number): Labels | null {
    let ls = this.labelCache.get(ref);
    if (ls !== undefined) return ls;
    const raw = this.watcher?.series.get(ref);
    if (raw === undefined) return null;
    const pairs = [...raw.pairs];
    for (const [k, v] of Object.entries(this.o.externalLabels)) if (!raw.has(k)) pairs.push(k, v);
    ls = relabel(Labels.fromPairs(pairs), this.o.relabel) ?? null;
    this.labelCache.set(ref, ls);
    return ls;
  }

  private readState(): WalPosition | undefined {
    try {
      const s = JSON.parse(fs.readFileSync(this.o.stateFile, 'utf8')) as { segment: number; offset: number };
      return Number.isInteger(s.segment) && Number.isInteger(s.offset) ? s : undefined;
    } catch {
      return undefined;
    }
  }

  private saveState(pos: WalPosition): void {
    if (this.saved !== undefined && this.saved.segment === pos.segment && this.saved.offset === pos.offset)
      return;
    const tmp = this.o.stateFile + '.tmp';
    fs.mkdirSync(path.dirname(this.o.stateFile), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(pos));
    fs.renameSync(tmp, this.o.stateFile);
    this.saved = pos;
  }

  start(): void {
    const start = this.readState();
    this.watcher = new WalWatcher({
      walDir: this.o.walDir,
      start,
      onSkipped: (from, to) =>
        this.o.logger.warn('WAL segments were removed before they were sent: samples in them are lost', {
          remote_name: this.o.name,
          from: `${from.segment}:${from.offset}`,
          to: `${to.segment}:${to.offset}`,
        }),
    });
    if (start === undefined) this.saveState(this.watcher.position);
    this.o.logger.info('Starting WAL watcher', {
      remote_name: this.o.name,
      url: this.o.url,
      start: JSON.stringify(this.watcher.position),
    });
    const m = this.o.metrics;
    const l = this.labels();
    m?.shardsMin.set(l, this.o.minShards);
    m?.shardsMax.set(l, this.o.maxShards);
    m?.shardCapacity.set(l, this.o.capacity);
    this.startShards(this.o.minShards);
    const poll = (): void => {
      if (this.stopped) return;
      this.pump();
      this.pollTimer = setTimeout(poll, POLL_MS);
    };
    poll();
    this.reshardTimer = setInterval(() => this.updateShards(), SHARD_UPDATE_MS);
    const md = this.o.metadata;
    if (md !== undefined && md.send && md.intervalMs > 0)
      this.metadataTimer = setInterval(() => void this.sendMetadata(), md.intervalMs);
  }

  private metadataTimer: NodeJS.Timeout | undefined;
  private sendingMetadata = false;

  /**
   * Prometheus's metadata watcher: the targets' metric metadata in 1.0 requests of at most
   * max_samples_per_send entries, retried like samples until delivered or dropped. 2.0 carries
   * metadata per series instead (not sent yet).
   */
  private async sendMetadata(): Promise<void> {
    const md = this.o.metadata;
    if (md === undefined || this.sendingMetadata || this.message !== MESSAGE_V1 || this.stopped) return;
    this.sendingMetadata = true;
    try {
      const all = md.source();
      for (let i = 0; i < all.length && !this.stopped; i += md.maxPerSend) {
        const body = snappy.compressSync(
          Buffer.from(encodeWriteV1({ series: [], metadata: all.slice(i, i + md.maxPerSend) })),
        );
        let backoff = this.o.minBackoffMs;
        for (let attempt = 0; !this.stopped; attempt++) {
          try {
            await this.post(body, attempt);
            break;
          } catch (err) {
            if (!(err instanceof RecoverableError)) {
              this.o.logger.error('non-recoverable error while sending metadata', {
                remote_name: this.o.name,
                err: (err as Error).message,
              });
              break;
            }
            await new Promise((r) => setTimeout(r, err.retryAfterMs ?? backoff));
            backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
          }
        }
      }
    } finally {
      this.sendingMetadata = false;
    }
  }

  private labels(): { remote_name: string; url: string } {
    return { remote_name: this.o.name, url: this.o.url };
  }

  /** Moves what the watcher has into the shards, until they are full. */
  private pump(): void {
    const w = this.watcher;
    if (w === undefined) return;
    w.poll((s) => this.enqueue(s));
    this.o.metrics?.watcherSegment.set({ consumer: this.o.name }, w.currentSegment);
    this.advance();
  }

  private enqueue(s: WatchedSamples): boolean {
    const n = this.shards.length;
    // while resharding, and until every shard has room, the watcher waits
    if (this.resharding || n === 0) return false;
    for (const sh of this.shards)
      if (sh.queue.length >= this.o.capacity) {
        this.o.metrics?.enqueueRetries.inc(this.labels());
        return false;
      }
    const mark: RecordMark = { end: s.end, pending: 0 };
    this.marks.push(mark);
    if (s.histograms !== undefined && this.o.sendNativeHistograms === true) {
      for (const x of s.histograms) {
        const ls = this.labelsOf(x.ref);
        this.samplesIn++;
        if (ls === null) {
          this.o.metrics?.samplesDropped.inc({ ...this.labels(), reason: 'dropped_series' });
          continue;
        }
        mark.pending++;
        this.shards[x.ref % n].queue.push({
          ref: x.ref,
          t: x.t,
          v: 0,
          hist: x.st !== undefined ? { t: x.t, h: x.h, fh: x.fh, st: x.st } : { t: x.t, h: x.h, fh: x.fh },
          mark,
        });
      }
    }
    for (let i = 0; i < s.length; i++) {
      const ref = s.refs[i];
      const t = s.ts[i];
      this.samplesIn++;
      this.o.metrics?.samplesIn.inc();
      if (t > this.highestIn) {
        this.highestIn = t;
        this.o.metrics?.highestTimestamp.set(t / 1000);
      }
      const ls = this.labelsOf(ref);
      if (ls === null) {
        this.o.metrics?.samplesDropped.inc({ ...this.labels(), reason: 'dropped_series' });
        continue;
      }
      if (t > this.highestQueued) {
        this.highestQueued = t;
        this.o.metrics?.highestQueued.set(this.labels(), t / 1000);
      }
      mark.pending++;
      const st = s.sts?.[i] ?? 0;
      this.shards[ref % n].queue.push(
        st !== 0 ? { ref, t, v: s.vs[i], st, mark } : { ref, t, v: s.vs[i], mark },
      );
    }
    for (const sh of this.shards) if (sh.queue.length >= this.o.maxSamplesPerSend) sh.wake?.();
    return true;
  }

  /** Saves the position after the last record whose samples were all delivered. */
  private advance(): void {
    let last: WalPosition | undefined;
    while (this.marks.length > 0 && this.marks[0].pending === 0) last = this.marks.shift()!.end;
    // the position file is written at most once a second (and at stop): a restart re-sends at most
    // that second's samples, which receivers accept again as duplicates of equal value
    if (last !== undefined) this.toSave = last;
    if (this.toSave !== undefined && Date.now() - this.savedAt >= SAVE_EVERY_MS) {
      this.saveState(this.toSave);
      this.savedAt = Date.now();
      this.toSave = undefined;
    }
    const pending = this.shards.reduce((a, sh) => a + sh.queue.length, 0);
    this.o.metrics?.samplesPending.set(this.labels(), pending);
  }

  private startShards(n: number): void {
    this.shards = Array.from({ length: n }, () => new Shard());
    for (const sh of this.shards) sh.done = this.runShard(sh);
    this.o.metrics?.shards.set(this.labels(), n);
  }

  /**
   * One shard's loop: a batch when it holds max_samples_per_send samples or when the deadline passes,
   * sent until delivered or dropped. A closing shard sends what it holds and ends (unless shutdown
   * gave up: the WAL position then keeps those samples for the next start).
   */
  private async runShard(sh: Shard): Promise<void> {
    for (;;) {
      if (sh.queue.length < this.o.maxSamplesPerSend && !sh.closing) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.o.batchSendDeadlineMs);
          sh.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        sh.wake = undefined;
      }
      const batch = sh.queue.splice(0, this.o.maxSamplesPerSend);
      if (batch.length > 0) {
        const delivered = await this.sendBatch(batch);
        if (!delivered) {
          // abandoned at shutdown: back in front, for the position to stay before them
          sh.queue.unshift(...batch);
          return;
        }
        for (const x of batch) x.mark.pending--;
        this.advance();
      }
      if (sh.closing && (sh.queue.length === 0 || this.abandon)) return;
    }
  }

  /** Sends a batch until it is delivered or dropped (true), or shutdown gives up on it (false). */
  private async sendBatch(batch: QueuedSample[]): Promise<boolean> {
    // the batch's samples grouped by series, in order, as columns. A TimeSeries never holds both
    // float samples and histograms (the 2.0 spec's MUST; Prometheus sends one TimeSeries per sample):
    // where a series switches kind within the batch, the rest goes in a new TimeSeries of its own.
    type Column = {
      labelFields: Uint8Array;
      pairs: string[];
      t: number[];
      v: number[];
      /** Start timestamps, from the first sample that has one (st-storage). */
      st?: number[];
      n: number;
      h: WireHistogram[];
    };
    const groups = new Map<number, Column>();
    const columns: Column[] = [];
    for (const s of batch) {
      let g = groups.get(s.ref);
      if (g === undefined || (s.hist !== undefined ? g.n > 0 : g.h.length > 0)) {
        let labelFields = g?.labelFields;
        let pairs = g?.pairs;
        if (labelFields === undefined || pairs === undefined) {
          const ls = this.labelsOf(s.ref);
          if (ls === null) continue;
          labelFields = this.labelFieldsOf(s.ref, ls);
          pairs = ls.pairs as string[];
        }
        g = { labelFields, pairs, t: [], v: [], n: 0, h: [] };
        groups.set(s.ref, g);
        columns.push(g);
      }
      if (s.hist !== undefined) {
        g.h.push(s.hist);
        continue;
      }
      if (s.st !== undefined && g.st === undefined) g.st = new Array<number>(g.n).fill(0);
      g.st?.push(s.st ?? 0);
      g.t.push(s.t);
      g.v.push(s.v);
      g.n++;
    }
    let backoff = this.o.minBackoffMs;
    let attempt = 0;
    const l = this.labels();
    const m = this.o.metrics;
    for (;;) {
      if (this.abandon) return false;
      const t0 = performance.now();
      try {
        const body = this.encode(columns);
        await this.post(body, attempt);
        const secs = (performance.now() - t0) / 1000;
        m?.sentBatchDuration.observe(l, secs);
        m?.samplesTotal.inc(l, batch.length);
        m?.bytesTotal.inc(l, body.length);
        this.samplesOut += batch.length;
        this.sendSeconds += secs;
        const maxT = batch.reduce((a, s) => Math.max(a, s.t), 0);
        if (maxT > this.highestSent) {
          this.highestSent = maxT;
          m?.highestSent.set(l, maxT / 1000);
        }
        return true;
      } catch (err) {
        if (err instanceof FallbackError) {
          this.o.logger.warn('Remote write 2.0 refused by the receiver; falling back to 1.0', {
            remote_name: this.o.name,
            reason: err.message,
          });
          this.message = MESSAGE_V1;
          continue;
        }
        if (!(err instanceof RecoverableError)) {
          m?.samplesFailed.inc(l, batch.length);
          this.lastError = { message: (err as Error).message, atMs: Date.now() };
          this.o.logger.error('non-recoverable error', {
            remote_name: this.o.name,
            url: this.o.url,
            count: batch.length,
            err: (err as Error).message,
          });
          return true;
        }
        m?.samplesRetried.inc(l, batch.length);
        this.lastRecoverable = Date.now();
        this.lastError = { message: err.message, atMs: Date.now() };
        attempt++;
        const sleep = err.retryAfterMs ?? backoff;
        if (attempt === 1 || attempt % 10 === 0)
          this.o.logger.warn('Failed to send batch, retrying', {
            remote_name: this.o.name,
            url: this.o.url,
            err: err.message,
          });
        await new Promise((r) => setTimeout(r, sleep));
        if (this.abandon) return false;
        backoff = Math.min(sleep * 2, this.o.maxBackoffMs);
      }
    }
  }

  /** Set at shutdown once the flush deadline passed: retries stop (the WAL position keeps the rest). */
  private abandon = false;

  private encode(
    columns: Array<{
      labelFields: Uint8Array;
      pairs: string[];
      t: number[];
      v: number[];
      st?: number[];
      n: number;
      h: WireHistogram[];
    }>,
  ): Buffer {
    // the columns fast path carries float samples only; a batch with histograms goes the general way
    if (this.message === MESSAGE_V2 || columns.some((c) => c.h.length > 0)) {
      const series: WireSeries[] = columns.map((c) => ({
        labels: c.pairs,
        samples: c.t.map((t, i) =>
          c.st !== undefined && c.st[i] !== 0 ? { t, v: c.v[i], st: c.st[i] } : { t, v: c.v[i] },
        ),
        exemplars: [],
        histograms: c.h,
        startTimestamp: 0,
      }));
      const req = { series, metadata: [] };
      return snappy.compressSync(
        Buffer.from(this.message === MESSAGE_V2 ? encodeWriteV2(req) : encodeWriteV1(req)),
      );
    }
    return snappy.compressSync(Buffer.from(encodeWriteV1Columns(columns)));
  }

  /** Each series' encoded Label fields, computed once (cleared with the label cache). */
  private readonly labelFields = new Map<number, Uint8Array>();

  private labelFieldsOf(ref: number, ls: Labels): Uint8Array {
    let f = this.labelFields.get(ref);
    if (f === undefined) {
      f = encodeLabelFields(ls.pairs);
      this.labelFields.set(ref, f);
    }
    return f;
  }

  private async post(body: Buffer, attempt: number): Promise<void> {
    const v2 = this.message === MESSAGE_V2;
    const headers: Record<string, string> = {
      ...this.o.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': v2 ? `application/x-protobuf;proto=${MESSAGE_V2}` : 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': v2 ? '2.0.0' : '0.1.0',
    };
    if (attempt > 0) headers['Retry-Attempt'] = String(attempt);
    let res;
    try {
      res = await this.o.client.request(this.o.url, {
        method: 'POST',
        headers,
        body,
        timeoutMs: this.o.timeoutMs,
      });
    } catch (err) {
      throw new RecoverableError((err as Error).message);
    }
    const text = res.body.subarray(0, 1024).toString('utf8').trim();
    if (res.status >= 200 && res.status < 300) {
      // a 1.0 receiver answering a 2.0 request decodes nothing and says nothing (the spec: treat as 415)
      if (v2 && res.headers['x-prometheus-remote-write-samples-written'] === undefined)
        throw new FallbackError('no X-Prometheus-Remote-Write-Samples-Written header in the answer');
      return;
    }
    const msg = `server returned HTTP status ${res.statusText}: ${text}`;
    if (v2 && res.status === 415) throw new FallbackError(msg);
    if (res.status >= 500 || (res.status === 429 && this.o.retryOn429))
      throw new RecoverableError(msg, retryAfter(res.headers['retry-after']));
    throw new Error(msg);
  }

  /** Prometheus's calculateDesiredShards, every 10 s. */
  private updateShards(): void {
    const alpha = 0.2;
    const secs = SHARD_UPDATE_MS / 1000;
    const inRate = this.samplesIn / secs;
    const outRate = this.samplesOut / secs;
    const tps = this.samplesOut > 0 ? this.sendSeconds / this.samplesOut : this.timePerSample;
    this.rateIn = this.rateIn === 0 ? inRate : alpha * inRate + (1 - alpha) * this.rateIn;
    this.rateOut = this.rateOut === 0 ? outRate : alpha * outRate + (1 - alpha) * this.rateOut;
    this.timePerSample = this.timePerSample === 0 ? tps : alpha * tps + (1 - alpha) * this.timePerSample;
    this.samplesIn = 0;
    this.samplesOut = 0;
    this.sendSeconds = 0;
    const backlog = (this.highestIn - this.highestSent) / 1000;
    const current = this.shards.length;
    let desired = Math.ceil(this.timePerSample * (this.rateIn + 0.05 * backlog * this.rateIn));
    desired = Math.min(this.o.maxShards, Math.max(this.o.minShards, desired));
    this.o.metrics?.shardsDesired.set(this.labels(), desired);
    this.desired = desired;
    // within ±30 % of the current count, after a recoverable error, or behind: no change
    if (desired > current * 0.7 && desired < current * 1.3) return;
    if (Date.now() - this.lastRecoverable < 2 * this.o.maxBackoffMs) return;
    if (desired < current && backlog > 10) return;
    void this.reshard(desired);
  }

  private resharding = false;

  private async reshard(n: number): Promise<void> {
    if (this.resharding || this.stopped) return;
    this.resharding = true;
    try {
      this.o.logger.info('Remote storage resharding', {
        remote_name: this.o.name,
        from: this.shards.length,
        to: n,
      });
      // the running shards send what they hold and end, then the new ones start: series stay in order
      for (const sh of this.shards) {
        sh.closing = true;
        sh.wake?.();
      }
      await Promise.all(this.shards.map((sh) => sh.done));
      if (!this.stopped) this.startShards(n);
    } finally {
      this.resharding = false;
    }
  }

  /** Stops reading; queued samples are sent for up to `flushMs`, the rest stays in the WAL for next time. */
  async stop(flushMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.reshardTimer);
    clearInterval(this.metadataTimer);
    const deadline = setTimeout(() => {
      this.abandon = true;
      for (const sh of this.shards) sh.wake?.();
    }, flushMs);
    for (const sh of this.shards) {
      sh.closing = true;
      sh.wake?.();
    }
    await Promise.all(this.shards.map((sh) => sh.done));
    clearTimeout(deadline);
    this.advance();
    if (this.toSave !== undefined) this.saveState(this.toSave);
    this.toSave = undefined;
  }

  /** For tests and the status page: the shards now, the desired count, the saved position. */
  status(): QueueStatus {
    return {
      url: this.o.url,
      protobufMessage: this.message,
      shards: this.shards.length,
      desired: this.desired,
      minShards: this.o.minShards,
      maxShards: this.o.maxShards,
      pending: this.shards.reduce((a, sh) => a + sh.queue.length, 0),
      highestSentTimestampMs: this.highestSent,
      highestQueuedTimestampMs: this.highestQueued,
      position: this.saved,
      lastError: this.lastError,
    };
  }

  /** The last send error (and when), shown on the status page. */
  private lastError: { message: string; atMs: number } | undefined;
}

class FallbackError extends Error {}

class Shard {
  queue: QueuedSample[] = [];
  closing = false;
  wake: (() => void) | undefined;
  done: Promise<void> = Promise.resolve();
}
