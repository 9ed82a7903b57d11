// The remote_read client (Prometheus's storage/remote read path): a query's selects are also asked of
// each remote_read endpoint (SAMPLES responses), and their series merged with the local ones as
// Prometheus's fanout storage merges them. As Prometheus: an endpoint is asked only when the select
// has every required_matchers pair as an equality matcher; without read_recent only for the time
// before the local storage's oldest sample; with filter_external_labels (the default) the external
// labels are added to the query as matchers and removed from the series that come back.
// Runs where the query evaluates (a query worker): the ingest thread does not wait on remote reads.
import * as snappy from './snappy.js';
import { Secret } from '../config/secret.js';
import type { HTTPClientConfig } from '../config/types.js';
import { Labels } from '../model/labels.js';
import type { Matcher } from '../model/matcher.js';
import { HttpClient } from '../scrape/http-client.js';
import { mergeQueriers } from '../storage/merge.js';
import type {
  Querier,
  Queryable,
  SampleBatch,
  SelectRequest,
  Series,
  SeriesSet,
} from '../storage/interfaces.js';
import { compareLabels } from '../storage/interfaces.js';
import { decodeReadResponse, encodeReadRequest, type MatcherType } from './messages.js';

/** One remote_read entry, as plain data (it travels to the query workers with each job). */
export interface RemoteReadSpec {
  url: string;
  name: string;
  timeoutMs: number;
  headers: Record<string, string>;
  readRecent: boolean;
  requiredMatchers: Record<string, string>;
  /** The external labels to add as matchers and strip from results; empty without filter_external_labels. */
  externalLabels: Record<string, string>;
  http: HTTPClientConfig;
}

interface Fetched {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
}

const clients = new Map<string, HttpClient>();

/**
 * The config as it arrives in a worker: structured cloning turned its Secret objects into plain
 * `{ value }` objects; they become Secrets again.
 */
function reviveSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reviveSecrets);
  if (v === null || typeof v !== 'object' || v instanceof Secret) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'value' && typeof (v as { value: unknown }).value === 'string')
    return new Secret((v as { value: string }).value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reviveSecrets(x)]));
}

function clientFor(spec: RemoteReadSpec): HttpClient {
  const key = `${spec.url}\xff${spec.name}\xff${JSON.stringify(spec.http)}`;
  let c = clients.get(key);
  if (c === undefined) {
    c = new HttpClient(reviveSecrets(spec.http) as HTTPClientConfig, { userAgent: 'Prometheus/3.14.0' });
    clients.set(key, c);
  }
  return c;
}

/** Asks one endpoint for one select; the series come back with the external labels removed. */
export async function remoteSelect(
  spec: RemoteReadSpec,
  matchers: readonly Matcher[],
  mint: number,
  maxt: number,
): Promise<Fetched[]> {
  const ext = Object.entries(spec.externalLabels);
  const query = {
    startMs: mint,
    endMs: maxt,
    matchers: [
      ...matchers.map((m) => ({ type: m.type as MatcherType, name: m.name, value: m.value })),
      ...ext.map(([name, value]) => ({ type: '=' as MatcherType, name, value })),
    ],
  };
  const body = snappy.compressSync(
    Buffer.from(encodeReadRequest({ queries: [query], acceptedResponseTypes: [0] })),
  );
  const res = await clientFor(spec).request(spec.url, {
    method: 'POST',
    headers: {
      ...spec.headers,
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
    },
    body,
    timeoutMs: spec.timeoutMs,
  });
  if (res.status !== 200) {
    throw new Error(
      `remote server ${spec.url} returned HTTP status ${res.statusText}: ${res.body.subarray(0, 512).toString('utf8').trim()}`,
    );
  }
  const results = decodeReadResponse(snappy.uncompressSync(res.body));
  const drop = new Set(ext.map(([k]) => k));
  return (results[0] ?? []).map((s) => {
    const pairs: string[] = [];
    for (let i = 0; i < s.labels.length; i += 2)
      if (!drop.has(s.labels[i])) pairs.push(s.labels[i], s.labels[i + 1]);
    return {
      labels: Labels.fromPairs(pairs),
      t: Float64Array.from(s.samples, (x) => x.t),
      v: Float64Array.from(s.samples, (x) => x.v),
    };
  });
}

/** Whether an endpoint is asked for a select: every required matcher present as an equality matcher. */
function wanted(spec: RemoteReadSpec, matchers: readonly Matcher[]): boolean {
  return Object.entries(spec.requiredMatchers).every(([k, v]) =>
    matchers.some((m) => m.type === '=' && m.name === k && m.value === v),
  );
}

/** The local queryable, with what the remote_read endpoints have merged in. */
export class RemoteReadQueryable implements Queryable {
  /** Per select (by matcher array identity), what the endpoints answered. */
  private readonly fetched = new Map<readonly Matcher[], Fetched[]>();

  constructor(
    private readonly local: Queryable,
    private readonly specs: readonly RemoteReadSpec[],
    /** The local storage's oldest timestamp (ms): without read_recent, only older data is asked for. */
    private readonly localStartMs: number,
  ) {}

  async prepare(selects: readonly SelectRequest[]): Promise<void> {
    await this.local.prepare?.(selects);
    await Promise.all(
      selects.map(async (sel) => {
        const all: Fetched[] = [];
        for (const spec of this.specs) {
          if (!wanted(spec, sel.matchers)) continue;
          const maxt = spec.readRecent ? sel.maxt : Math.min(sel.maxt, this.localStartMs);
          if (maxt < sel.mint) continue;
          all.push(...(await remoteSelect(spec, sel.matchers, sel.mint, maxt)));
        }
        this.fetched.set(sel.matchers, all);
      }),
    );
  }

  querier(mint: number, maxt: number): Querier {
    return mergeQueriers([this.local.querier(mint, maxt), new FetchedQuerier(this.fetched, mint, maxt)]);
  }
}

class FetchedQuerier implements Querier {
  constructor(
    private readonly fetched: Map<readonly Matcher[], Fetched[]>,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(matchers: readonly Matcher[]): SeriesSet {
    const list = this.fetched.get(matchers) ?? [];
    const series: Series[] = [];
    for (const f of list) {
      if (!matchers.every((m) => m.matches(f.labels.get(m.name) ?? ''))) continue;
      let lo = 0;
      while (lo < f.t.length && f.t[lo] < this.mint) lo++;
      let hi = lo;
      while (hi < f.t.length && f.t[hi] <= this.maxt) hi++;
      const batch: SampleBatch = { t: f.t.subarray(lo, hi), v: f.v.subarray(lo, hi), length: hi - lo };
      series.push({ labels: f.labels, samples: () => batch });
    }
    series.sort((a, b) => compareLabels(a.labels, b.labels));
    return Object.assign(series, { warnings: [] as string[] });
  }

  labelNames(): string[] {
    return [];
  }

  labelValues(): string[] {
    return [];
  }

  close(): void {}
}
