// A small stand-in for the Kubernetes API server: list (with pagination) and watch (newline-
// delimited JSON events from a resourceVersion, bookmarks, 410 Gone for compacted versions) over
// the collections Kubernetes SD reads, cluster-wide and per namespace, with label and field
// selectors applied, optional bearer-token check and HTTPS.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface KObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

interface StoredEvent {
  rv: number;
  plural: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
}

interface Watcher {
  plural: string;
  namespace: string;
  label: string;
  field: string;
  res: http.ServerResponse;
}

export interface RecordedRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

const PATH_RE = /^\/(api\/v1|apis\/[^/]+\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/;

export class FakeApiServer {
  private server: http.Server | https.Server | undefined;
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  /** Watches from a resourceVersion below this get 410 Gone (etcd compaction). */
  compactedBelow = 0;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** Page size the server uses when the client sends a limit (to exercise `continue`). */
  pageSize = 2;
  readonly requests: RecordedRequest[] = [];

  async start(tls?: { certFile: string; keyFile: string }): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = tls
      ? https.createServer(
          { cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) },
          handler,
        )
      : http.createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
    await closed;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Requests to the given collection path (watches and lists). */
  requestsTo(path: string, kind?: 'list' | 'watch'): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.path === path && (kind === undefined || (kind === 'watch') === (r.query.get('watch') === '1')),
    );
  }

  activeWatches(plural?: string): number {
    return [...this.watchers].filter((w) => plural === undefined || w.plural === plural).length;
  }

  add(plural: string, obj: KObject): void {
    this.write(plural, obj, 'ADDED');
  }

  update(plural: string, obj: KObject): void {
    this.write(plural, obj, 'MODIFIED');
  }

  delete(plural: string, namespace: string, name: string): void {
    const key = namespace ? `${namespace}/${name}` : name;
    const old = this.collection(plural).get(key);
    if (old === undefined) throw new Error(`no ${plural} ${key}`);
    this.collection(plural).delete(key);
    const obj = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.publish({ rv: this.rv, plural, type: 'DELETED', object: obj });
  }

  /** Changes stored state without telling any watcher (seen only by a later list). */
  setSilently(plural: string, obj: KObject | undefined, namespace = '', name = ''): void {
    this.rv++;
    if (obj === undefined) this.collection(plural).delete(namespace ? `${namespace}/${name}` : name);
    else {
      const o = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
      this.collection(plural).set(keyOf(o), o);
    }
  }

  /** Cuts every open watch connection (as a load balancer or API server restart would). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watcher; `end` then closes the watches. */
  bookmark(end = false): void {
    for (const w of this.watchers) {
      const kind = w.plural;
      const line = JSON.stringify({
        type: 'BOOKMARK',
        object: { kind, metadata: { resourceVersion: String(this.rv) } },
      });
      if (end) w.res.end(line + '\n');
      else w.res.write(line + '\n');
    }
    if (end) this.watchers.clear();
  }

  /** Sends an ERROR 410 event on every open watch and forgets history up to now. */
  expireWatches(): void {
    this.compactedBelow = this.rv;
    for (const w of this.watchers) {
      w.res.end(
        JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'too old resource version',
            reason: 'Expired',
            code: 410,
          },
        }) + '\n',
      );
    }
    this.watchers.clear();
  }

  private collection(plural: string): Map<string, KObject> {
    let c = this.objects.get(plural);
    if (c === undefined) {
      c = new Map();
      this.objects.set(plural, c);
    }
    return c;
  }

  private write(plural: string, obj: KObject, type: 'ADDED' | 'MODIFIED'): void {
    const o = structuredClone(obj);
    o.metadata.resourceVersion = String(++this.rv);
    this.collection(plural).set(keyOf(o), o);
    this.publish({ rv: this.rv, plural, type, object: o });
  }

  private publish(ev: StoredEvent): void {
    this.history.push(ev);
    for (const w of this.watchers) if (matches(w, ev.plural, ev.object)) send(w.res, ev);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return status(res, 401, 'Unauthorized');
    }
    const m = PATH_RE.exec(url.pathname);
    if (m === null) return status(res, 404, `the server could not find the requested resource`);
    const namespace = m[2] ?? '';
    const plural = m[3];
    const q = url.searchParams;
    const sel = {
      plural,
      namespace,
      label: q.get('labelSelector') ?? '',
      field: q.get('fieldSelector') ?? '',
    };
    if (q.get('watch') === '1') {
      const from = Number(q.get('resourceVersion') ?? '0');
      if (from < this.compactedBelow) return status(res, 410, 'too old resource version');
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      for (const ev of this.history) if (ev.rv > from && matches(sel, ev.plural, ev.object)) send(res, ev);
      const w: Watcher = { ...sel, res };
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    const items = [...this.collection(plural).values()].filter((o) => matches(sel, plural, o));
    items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const limit = Number(q.get('limit') ?? '0');
    const start = Number(q.get('continue') || '0');
    const size = limit > 0 ? this.pageSize : items.length;
    const page = items.slice(start, start + size);
    const next = start + size < items.length ? String(start + size) : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
        items: page,
      }),
    );
  }
}

function keyOf(o: KObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function send(res: http.ServerResponse, ev: StoredEvent): void {
  res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
}

function status(res: http.ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }));
}

function matches(
  sel: { plural: string; namespace: string; label: string; field: string },
  plural: string,
  o: KObject,
): boolean {
  if (sel.plural !== plural) return false;
  if (sel.namespace !== '' && o.metadata.namespace !== sel.namespace) return false;
  for (const term of sel.label.split(',').filter((t) => t !== '')) {
    const [k, v] = term.split(/!?=/);
    const actual = o.metadata.labels?.[k];
    if (term.includes('!=') ? actual === v : v === undefined ? actual === undefined : actual !== v)
      return false;
  }
  for (const term of sel.field.split(',').filter((t) => t !== '')) {
    const [k, v] = term.split(/!?=/);
    let cur: unknown = o;
    for (const part of k.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
    if (term.includes('!=') ? cur === v : (cur ?? '') !== v) return false;
  }
  return true;
}
