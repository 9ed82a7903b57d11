// The remote_write queues of the running config (Prometheus's storage/remote.WriteStorage): one queue
// per remote_write entry, named by `name` or by a hash of its config; a reload keeps a queue whose
// config did not change, stops (with a flush) the ones removed or changed and starts the new ones.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Config, RemoteWriteConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { compileRelabels } from '../model/relabel/relabel.js';
import { HttpClient } from '../scrape/http-client.js';
import type { WireMetadata } from './messages.js';
import { remoteWriteMetrics, type RemoteWriteMetrics } from './metrics.js';
import { QueueManager, type QueueStatus } from './queue-manager.js';

export interface RemoteStorageOptions {
  /** The TSDB's data directory: its wal/ is read, remote/ keeps the queues' positions. */
  dataDir: string;
  logger: Logger;
  registry?: Registry;
  userAgent: string;
  /** --storage.remote.flush-deadline */
  flushDeadlineMs: number;
  /** The scrape targets' metric metadata, for metadata_config. */
  metadata?: () => WireMetadata[];
}

interface Queue {
  hash: string;
  manager: QueueManager;
  client: HttpClient;
}

function configHash(rw: RemoteWriteConfig, external: Record<string, string>): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([rw, external]))
    .digest('hex')
    .slice(0, 6);
}

export class RemoteStorage {
  private queues = new Map<string, Queue>();
  private readonly metrics: RemoteWriteMetrics | undefined;

  constructor(private readonly o: RemoteStorageOptions) {
    this.metrics = o.registry === undefined ? undefined : remoteWriteMetrics(o.registry);
  }

  async applyConfig(cfg: Config): Promise<void> {
    const external = cfg.global.external_labels;
    const next = new Map<string, Queue>();
    const stops: Array<Promise<void>> = [];
    for (const rw of cfg.remote_write) {
      const hash = configHash(rw, external);
      const name = rw.name !== '' ? rw.name : hash;
      const old = this.queues.get(name);
      if (old !== undefined && old.hash === hash) {
        next.set(name, old);
        continue;
      }
      if (old !== undefined)
        stops.push(old.manager.stop(this.o.flushDeadlineMs).then(() => old.client.close()));
      const q = rw.queue_config as Record<string, number | boolean>;
      const client = new HttpClient(rw, { userAgent: this.o.userAgent });
      const manager = new QueueManager({
        name,
        url: rw.url,
        client,
        timeoutMs: rw.remote_timeout as number,
        headers: (rw.headers as Record<string, string>) ?? {},
        relabel: compileRelabels((rw.write_relabel_configs as never) ?? []),
        externalLabels: external,
        message: rw.protobuf_message as string,
        capacity: q.capacity as number,
        minShards: q.min_shards as number,
        maxShards: q.max_shards as number,
        maxSamplesPerSend: q.max_samples_per_send as number,
        batchSendDeadlineMs: q.batch_send_deadline as number,
        minBackoffMs: q.min_backoff as number,
        maxBackoffMs: q.max_backoff as number,
        retryOn429: q.retry_on_http_429 as boolean,
        sendNativeHistograms: rw.send_native_histograms === true,
        walDir: path.join(this.o.dataDir, 'wal'),
        metadata:
          this.o.metadata === undefined
            ? undefined
            : {
                send: (rw.metadata_config as { send: boolean }).send,
                intervalMs: (rw.metadata_config as { send_interval: number }).send_interval,
                maxPerSend:
                  (rw.metadata_config as { max_samples_per_send: number }).max_samples_per_send || 2000,
                source: this.o.metadata,
              },
        stateFile: path.join(this.o.dataDir, 'remote', `${name.replace(/[^\w.-]/g, '_')}.json`),
        logger: this.o.logger.with({ remote_name: name }),
        metrics: this.metrics,
        userAgent: this.o.userAgent,
      });
      // started after the old one with the same name has stopped: they share the position file
      const start = old !== undefined ? stops[stops.length - 1] : Promise.resolve();
      void start.then(() => manager.start());
      next.set(name, { hash, manager, client });
    }
    for (const [name, q] of this.queues)
      if (!next.has(name)) stops.push(q.manager.stop(this.o.flushDeadlineMs).then(() => q.client.close()));
    this.queues = next;
    await Promise.all(stops);
  }

  /** Queue names and their state, for /api/v1/status and tests. */
  /**
   * The oldest of the queues' newest sent sample timestamps (Prometheus's LowestSentTimestamp): what
   * the agent's WAL must still hold. 0 without queues.
   */
  lowestSentTimestamp(): number {
    let lowest = Infinity;
    for (const q of this.queues.values())
      lowest = Math.min(lowest, q.manager.status().highestSentTimestampMs);
    return lowest === Infinity ? 0 : lowest;
  }

  list(): Array<{ name: string } & QueueStatus> {
    return [...this.queues.entries()].map(([name, q]) => ({ name, ...q.manager.status() }));
  }

  /** Stops every queue, flushing for up to `flushMs` (the flush deadline by default). */
  async stop(flushMs = this.o.flushDeadlineMs): Promise<void> {
    await Promise.all(
      [...this.queues.values()].map((q) => q.manager.stop(flushMs).then(() => q.client.close())),
    );
    this.queues.clear();
  }
}
