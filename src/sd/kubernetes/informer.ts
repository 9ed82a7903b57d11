// List+watch of one resource collection, kept in a local store (client-go's reflector + store):
// list, then watch from the list's resourceVersion with bookmarks; a dropped or ended watch
// resumes from the last resourceVersion seen; "410 Gone" (as HTTP status or as an ERROR event)
// forces a fresh list, whose difference with the store becomes add/update/delete events.
// Failures are reported and retried with exponential backoff.
import type { Logger } from '../../log/logger.js';
import { ApiStatusError, type ApiClient } from './client.js';
import { objectKey, type KubeObject } from './objects.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 800, maxMs: 30_000 };

export interface InformerOptions {
  client: ApiClient;
  /** The collection path, e.g. /api/v1/namespaces/default/pods or /api/v1/nodes. */
  path: string;
  labelSelector: string;
  fieldSelector: string;
  logger: Logger;
  backoff: Backoff;
  failed: (err: Error) => void;
  /** Called for every add, update and delete (prometheus_sd_kubernetes_events_total). */
  onEvent?: (event: InformerEvent) => void;
  /** Called for every failed list or watch (prometheus_sd_kubernetes_failures_total). */
  onFailure?: () => void;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

const LIST_PAGE_SIZE = '500';

class GoneError extends Error {}

export class Informer<T extends KubeObject = KubeObject> {
  readonly store = new Map<string, T>();
  private handlers: Array<(ev: InformerEvent, obj: T) => void> = [];
  private syncedFlag = false;
  private syncWaiters: Array<() => void> = [];
  /** The last resourceVersion seen (list, event or bookmark): where a new watch starts. */
  private rv = '';
  private eventsSeen = 0;

  constructor(private readonly opts: InformerOptions) {}

  get path(): string {
    return this.opts.path;
  }

  get synced(): boolean {
    return this.syncedFlag;
  }

  on(handler: (ev: InformerEvent, obj: T) => void): void {
    this.handlers.push(handler);
  }

  /** Resolves after the first successful list (or when `signal` aborts). */
  waitSynced(signal: AbortSignal): Promise<void> {
    if (this.syncedFlag || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      const before = this.eventsSeen;
      try {
        if (needList) {
          this.rv = await this.list(signal);
          needList = false;
          this.markSynced();
        }
        await this.watch(signal);
        if (this.eventsSeen > before) failures = 0;
        else await sleep(this.opts.backoff.initialMs, signal); // a quiet watch that ended: don't spin
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError || (err instanceof ApiStatusError && err.status === 410)) {
          this.opts.logger.debug('resource version too old, relisting', { path: this.opts.path });
          needList = true;
          continue;
        }
        const e = err instanceof Error ? err : new Error(String(err));
        this.opts.logger.warn('Kubernetes list/watch failed', { path: this.opts.path, err: e.message });
        this.opts.onFailure?.();
        this.opts.failed(e);
        // A watch that delivered events before it broke starts the backoff afresh.
        failures = this.eventsSeen > before ? 1 : failures + 1;
        const delay = Math.min(this.opts.backoff.maxMs, this.opts.backoff.initialMs * 2 ** (failures - 1));
        await sleep(delay, signal);
      }
    }
  }

  private selectors(): Record<string, string> {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  /** Lists every page and replaces the store; returns the list's resourceVersion. */
  private async list(signal: AbortSignal): Promise<string> {
    const items = new Map<string, T>();
    let cont = '';
    let rv: string;
    do {
      const page = await this.opts.client.getJSON<{
        metadata?: { resourceVersion?: string; continue?: string };
        items?: T[];
      }>(this.opts.path, { ...this.selectors(), limit: LIST_PAGE_SIZE, continue: cont }, signal);
      for (const item of page.items ?? []) items.set(objectKey(item.metadata), item);
      rv = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?.continue ?? '';
    } while (cont !== '');
    for (const [key, old] of this.store) {
      if (!items.has(key)) {
        this.store.delete(key);
        this.emit('delete', old);
      }
    }
    for (const [key, obj] of items) {
      const old = this.store.get(key);
      this.store.set(key, obj);
      if (old === undefined) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj);
    }
    return rv;
  }

  /** Watches from the last resourceVersion until the stream ends or breaks. */
  private async watch(signal: AbortSignal): Promise<void> {
    const timeout = String(300 + Math.floor(Math.random() * 300)); // as client-go: 5-10 minutes
    const res = await this.opts.client.get(
      this.opts.path,
      {
        ...this.selectors(),
        watch: '1',
        resourceVersion: this.rv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: timeout,
      },
      signal,
    );
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          this.apply(JSON.parse(line) as WatchEvent);
          this.eventsSeen++;
        }
      }
    } finally {
      res.destroy();
    }
  }

  private apply(ev: WatchEvent): void {
    if (ev.type === 'ERROR') {
      if (ev.object.code === 410) throw new GoneError(ev.object.message ?? 'resource version too old');
      throw new Error(`watch error: ${ev.object.message ?? JSON.stringify(ev.object)}`);
    }
    const obj = ev.object as unknown as T;
    this.rv = obj.metadata?.resourceVersion ?? this.rv;
    if (ev.type === 'BOOKMARK') return;
    const key = objectKey(obj.metadata);
    if (ev.type === 'DELETED') {
      if (this.store.delete(key)) this.emit('delete', obj);
    } else {
      const had = this.store.has(key);
      this.store.set(key, obj);
      this.emit(had ? 'update' : 'add', obj);
    }
  }

  private emit(ev: InformerEvent, obj: T): void {
    this.opts.onEvent?.(ev);
    for (const h of this.handlers) h(ev, obj);
  }

  private markSynced(): void {
    if (this.syncedFlag) return;
    this.syncedFlag = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One resource kind across the configured namespaces (one informer per namespace, or one for all),
 * looked up by "namespace/name" (or "name" for cluster-scoped kinds).
 */
export class Resource<T extends KubeObject = KubeObject> {
  constructor(readonly informers: Array<Informer<T>>) {}

  get(key: string): T | undefined {
    for (const inf of this.informers) {
      const o = inf.store.get(key);
      if (o !== undefined) return o;
    }
    return undefined;
  }

  *values(): IterableIterator<T> {
    for (const inf of this.informers) yield* inf.store.values();
  }

  on(handler: (ev: InformerEvent, obj: T) => void): void {
    for (const inf of this.informers) inf.on(handler);
  }
}
