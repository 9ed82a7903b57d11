// Shared pieces of the scraper tests: real HTTP targets on 127.0.0.1, a job config loaded as
// prometheus.yml would load it, loops built the way the pool builds them, and storage read-back.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import type { Config, ScrapeConfig } from '../../src/config/types.js';
import { acceptHeader } from '../../src/model/exposition/index.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { compileRelabels } from '../../src/model/relabel/relabel.js';
import { isStaleNaN } from '../../src/model/value.js';
import type { Logger } from '../../src/log/logger.js';
import { HttpClient } from '../../src/scrape/http-client.js';
import { ScrapeLoop, type ScrapeCounters, type ScrapeLoopOptions } from '../../src/scrape/scrape-loop.js';
import type { MemoryStorage } from '../../src/storage/memory.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A scrape target: a node:http server whose answer each test controls; it records every request. */
export interface Target {
  readonly host: string;
  readonly url: string;
  readonly requests: http.IncomingMessage[];
  handler: Handler;
  /** Serves `body` (text format 0.0.4 unless `contentType` says otherwise). */
  serve(body: string | Uint8Array, contentType?: string): void;
  close(): Promise<void>;
}

export const TEXT_004 = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export async function startTarget(): Promise<Target> {
  const requests: http.IncomingMessage[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const t = {
    handler: ((_req, res) => res.end('')) as Handler,
    serve(body: string | Uint8Array, contentType = TEXT_004) {
      t.handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': contentType });
        res.end(body);
      };
    },
  };
  const server = http.createServer((req, res) => {
    requests.push(req);
    t.handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(t, {
    host,
    url: `http://${host}/metrics`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A whole prometheus.yml from an object. */
export function loadConfig(doc: Record<string, unknown>): Config {
  return parseConfig(YAML.stringify(doc), '/tmp/prometheus.yml', '/tmp');
}

/** One job's config from its fields, with Prometheus's defaults. */
export function jobConfig(fields: Record<string, unknown> = {}): ScrapeConfig {
  return loadConfig({ scrape_configs: [{ job_name: 'test', ...fields }] }).scrape_configs[0];
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  with: () => silentLogger,
};

/** ScrapeCounters that count. */
export class CountingCounters implements ScrapeCounters {
  sampleLimit = 0;
  bodySizeLimit = 0;
  labelLimits = 0;
  ooo = 0;
  dup = 0;
  oob = 0;
  exceededSampleLimit(): void {
    this.sampleLimit++;
  }
  exceededBodySizeLimit(): void {
    this.bodySizeLimit++;
  }
  exceededLabelLimits(): void {
    this.labelLimits++;
  }
  outOfOrder(n: number): void {
    this.ooo += n;
  }
  duplicate(n: number): void {
    this.dup += n;
  }
  outOfBounds(n: number): void {
    this.oob += n;
  }
  intervalLength(): void {}
}

/** A fake clock: scrapes driven with scrapeOnce(clock.t) get exactly that timestamp. */
export class Clock {
  constructor(public t: number) {}
  readonly now = (): number => this.t;
}

/** A loop for `target` with the job's settings, built as ScrapePool.newLoop builds it. */
export function makeLoop(
  target: Target,
  storage: MemoryStorage,
  fields: Record<string, unknown> = {},
  extra: Partial<ScrapeLoopOptions> = {},
): { loop: ScrapeLoop; fetcher: HttpClient; cfg: ScrapeConfig } {
  const c = jobConfig(fields);
  const fetcher = new HttpClient(c);
  const loop = new ScrapeLoop({
    url: target.url,
    targetLabels: Labels.fromRecord({ instance: target.host, job: c.job_name }),
    intervalMs: c.scrape_interval,
    timeoutMs: c.scrape_timeout,
    honorLabels: c.honor_labels,
    honorTimestamps: c.honor_timestamps,
    trackTimestampsStaleness: c.track_timestamps_staleness,
    metricRelabel: compileRelabels(c.metric_relabel_configs),
    limits: {
      sampleLimit: c.sample_limit,
      labelLimit: c.label_limit,
      labelNameLengthLimit: c.label_name_length_limit,
      labelValueLengthLimit: c.label_value_length_limit,
    },
    accept: acceptHeader(c.scrape_protocols, c.metric_name_escaping_scheme),
    fallbackProtocol: c.fallback_scrape_protocol === '' ? undefined : c.fallback_scrape_protocol,
    enableCompression: c.enable_compression,
    bodySizeLimit: c.body_size_limit,
    extraMetrics: c.extra_scrape_metrics,
    appendable: storage,
    fetcher,
    logger: silentLogger,
    ...extra,
  });
  return { loop, fetcher, cfg: c };
}

export type Point = [number, number | 'stale'];

/** Every series matching `sel` (name → value, `=` matchers), as label text → points. */
export function read(storage: MemoryStorage, sel: Record<string, string>): Record<string, Point[]> {
  const q = storage.querier(-Infinity, Infinity);
  try {
    const out: Record<string, Point[]> = {};
    const matchers = Object.entries(sel).map(([n, v]) => new Matcher('=', n, v));
    for (const s of q.select(matchers)) {
      const b = s.samples();
      const pts: Point[] = [];
      for (let i = 0; i < b.length; i++) pts.push([b.t[i], isStaleNaN(b.v[i]) ? 'stale' : b.v[i]]);
      out[labelText(s.labels)] = pts;
    }
    return out;
  } finally {
    q.close();
  }
}

/** `{a="1", b="2"}`: every label, `__name__` included, in the labels' order. */
export function labelText(l: Labels): string {
  const parts: string[] = [];
  l.forEach((n, v) => parts.push(`${n}=${JSON.stringify(v)}`));
  return `{${parts.join(', ')}}`;
}

/** The points of the one series named `name` (with more matchers optional); [] when there is none. */
export function points(storage: MemoryStorage, name: string, sel: Record<string, string> = {}): Point[] {
  const all = Object.values(read(storage, { __name__: name, ...sel }));
  if (all.length > 1) throw new Error(`${all.length} series for ${name}`);
  return all[0] ?? [];
}

/** The latest value of the synthetic series `name` at time t. */
export function reportAt(storage: MemoryStorage, name: string, t: number): number | 'stale' | undefined {
  return points(storage, name).find(([pt]) => pt === t)?.[1];
}
