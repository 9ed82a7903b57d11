// prometheus/compliance's remote write sender suite (remotewrite/sender/*_test.go, commit 67b8327),
// ported to run against Promethium's own sender: the remote_write config is parsed as prometheus.yml
// would be, RemoteStorage starts its queue over a real TSDB's WAL, and a receiver on 127.0.0.1 captures
// what arrives, decoded with protobufjs from Prometheus's .proto definitions (as the Go suite's
// MockReceiver unmarshals into prompb types), independently of our own codec.
//
// The Go suite forks a Prometheus that scrapes a target every second and checks the last request the
// receiver got. Here a "scrape" is the target's exposition text parsed with our text parser and
// appended, with the job's target labels, at the scrape time (or the line's own timestamp), which is
// what the scrape loop hands the TSDB. Each Go case keeps its name; where a Go validator only logs or
// asserts `true`, the port asserts what the case's description says (exact values, exactly one
// delivery, no retry before the next batch). Cases run for prometheus.WriteRequest (v1) and
// io.prometheus.write.v2.Request (v2) wherever the Go case applies to both.
//
// Not ported here (no case tables of the kind asked for): TestBatchingBehavior,
// TestConcurrentRequests, TestBackoffBehavior, TestErrorHandling, TestNetworkErrors,
// TestContentTypeNegotiation, TestRobustnessUnderLoad, TestCombinedFeatures.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { Entry, PromTextParser } from '../../src/model/exposition/index.js';
import type { FloatHistogram, Histogram } from '../../src/model/histogram.js';
import { Labels } from '../../src/model/labels.js';
import { STALE_NAN } from '../../src/model/value.js';
import { metricTypeOf, type WireMetadata } from '../../src/remote/messages.js';
import { RemoteStorage } from '../../src/remote/storage.js';
import { TSDB } from '../../src/tsdb/db.js';
import { waitFor } from '../support/server-process.js';

// every case starts its own TSDB, queue and receiver; they wait on I/O, so many run at once
vi.setConfig({ maxConcurrency: 16 });

type Version = 'v1' | 'v2';
const VERSIONS: Version[] = ['v1', 'v2'];
const MESSAGE: Record<Version, string> = {
  v1: 'prometheus.WriteRequest',
  v2: 'io.prometheus.write.v2.Request',
};
const USER_AGENT = 'Prometheus/3.14.0';
/** The Go suite's scrape job ("test") and a target address: the labels the scrape loop adds. */
const TARGET = { job: 'test', instance: '127.0.0.1:9100' };

// prompb/types.proto + prompb/remote.proto, and prompb/io/prometheus/write/v2/types.proto (1.0
// exemplars only counted, as bytes). Histogram and BucketSpan are the same in both but for 2.0's
// start_timestamp.
const histogramProto = (hints: string, v2: boolean): string => `
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  enum ResetHint { ${hints} }
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  ResetHint reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16;
  ${v2 ? 'int64 start_timestamp = 17;' : ''}
}
`;
const V1_PROTO = `
syntax = "proto3";
package prometheus;
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated bytes exemplars = 3; repeated Histogram histograms = 4; }
${histogramProto('UNKNOWN = 0; YES = 1; NO = 2; GAUGE = 3;', false)}
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
`;
const V2_PROTO = `
syntax = "proto3";
package io.prometheus.write.v2;
message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3; repeated Exemplar exemplars = 4; Metadata metadata = 5; }
${histogramProto('RESET_HINT_UNSPECIFIED = 0; RESET_HINT_YES = 1; RESET_HINT_NO = 2; RESET_HINT_GAUGE = 3;', true)}
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Sample { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
message Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
`;
const V1Request = protobuf.parse(V1_PROTO, { keepCase: true }).root.lookupType('prometheus.WriteRequest');
const V2Request = protobuf
  .parse(V2_PROTO, { keepCase: true })
  .root.lookupType('io.prometheus.write.v2.Request');

interface SampleView {
  value: number;
  timestamp: number;
  /** v2 only; 0 when unset (and always 0 in v1, which has no such field). */
  startTimestamp: number;
}

/** A Histogram as protobufjs decodes it (oneof members only when set; 2.0's start_timestamp). */
interface HistogramView {
  count_int?: number;
  count_float?: number;
  sum: number;
  schema: number;
  zero_threshold: number;
  zero_count_int?: number;
  zero_count_float?: number;
  negative_spans: Array<{ offset: number; length: number }>;
  negative_deltas: number[];
  negative_counts: number[];
  positive_spans: Array<{ offset: number; length: number }>;
  positive_deltas: number[];
  positive_counts: number[];
  reset_hint: number;
  timestamp: number;
  custom_values: number[];
  start_timestamp?: number;
}

interface SeriesView {
  /** Label names and values in wire order. */
  pairs: string[];
  labels: Record<string, string>;
  /** v2 labels_refs ([] in v1). */
  refs: number[];
  samples: SampleView[];
  histograms: HistogramView[];
  exemplars: number;
}

interface Captured {
  n: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The body as sent (snappy). */
  body: Buffer;
  /** The body decompressed. */
  raw: Buffer;
  /** By the request's Content-Type, as a receiver decides it. */
  version: Version;
  /** v2 symbol table ([] in v1). */
  symbols: string[];
  series: SeriesView[];
  /** v1 metadata entries. */
  metadata: Array<{ type: number; metric_family_name: string; help: string; unit: string }>;
  at: number;
  /** Why the receiver could not decode the request, if it could not. */
  error?: string;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** X-Prometheus-Remote-Write-*-Written on a 2xx: counted from the request unless given. */
  written?: { samples: number; exemplars: number; histograms: number };
}

type Decoded = Pick<Captured, 'symbols' | 'series' | 'metadata'>;

function decode(version: Version, raw: Buffer): Decoded {
  const opts = { longs: Number, arrays: true, defaults: true };
  if (version === 'v1') {
    const m = V1Request.toObject(V1Request.decode(raw), opts) as {
      timeseries: Array<{
        labels: Array<{ name: string; value: string }>;
        samples: Array<{ value: number; timestamp: number }>;
        exemplars: Uint8Array[];
        histograms: HistogramView[];
      }>;
      metadata: Captured['metadata'];
    };
    return {
      symbols: [],
      metadata: m.metadata,
      series: m.timeseries.map((ts) => ({
        pairs: ts.labels.flatMap((l) => [l.name, l.value]),
        labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
        refs: [],
        samples: ts.samples.map((s) => ({ value: s.value, timestamp: s.timestamp, startTimestamp: 0 })),
        histograms: ts.histograms,
        exemplars: ts.exemplars.length,
      })),
    };
  }
  const m = V2Request.toObject(V2Request.decode(raw), opts) as {
    symbols: string[];
    timeseries: Array<{
      labels_refs: number[];
      samples: Array<{ value: number; timestamp: number; start_timestamp: number }>;
      histograms: HistogramView[];
      exemplars: unknown[];
    }>;
  };
  return {
    symbols: m.symbols,
    metadata: [],
    series: m.timeseries.map((ts) => {
      // extractLabels: refs out of range are left out (labels_refs_valid_indices checks them)
      const pairs = ts.labels_refs.map((r) => m.symbols[r] ?? '<out of range>');
      const labels: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) labels[pairs[i]] = pairs[i + 1];
      return {
        pairs,
        labels,
        refs: ts.labels_refs,
        samples: ts.samples.map((s) => ({
          value: s.value,
          timestamp: s.timestamp,
          startTimestamp: s.start_timestamp,
        })),
        histograms: ts.histograms,
        exemplars: ts.exemplars.length,
      };
    }),
  };
}

/** The Go suite's MockReceiver: captures each request and answers `answer(request)`. */
async function receiver(answer: (c: Captured) => Answer) {
  const got: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const version: Version = (req.headers['content-type'] ?? '').includes(MESSAGE.v2) ? 'v2' : 'v1';
      const c: Captured = {
        n: got.length,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        raw: Buffer.alloc(0),
        version,
        symbols: [],
        series: [],
        metadata: [],
        at: Date.now(),
      };
      try {
        c.raw = req.headers['content-encoding'] === 'snappy' ? (snappy.uncompressSync(body) as Buffer) : body;
        Object.assign(c, decode(version, c.raw));
      } catch (err) {
        c.error = (err as Error).message;
      }
      got.push(c);
      if (c.error !== undefined) {
        res.writeHead(400).end(`Failed to decode request: ${c.error}`);
        return;
      }
      const a = answer(c);
      const headers: Record<string, string> = { ...a.headers };
      if (a.status >= 200 && a.status < 300) {
        const w = a.written ?? {
          samples: c.series.reduce((x, s) => x + s.samples.length, 0),
          exemplars: c.series.reduce((x, s) => x + s.exemplars, 0),
          histograms: c.series.reduce((x, s) => x + s.histograms.length, 0),
        };
        headers['X-Prometheus-Remote-Write-Samples-Written'] = String(w.samples);
        headers['X-Prometheus-Remote-Write-Exemplars-Written'] = String(w.exemplars);
        headers['X-Prometheus-Remote-Write-Histograms-Written'] = String(w.histograms);
      }
      res.writeHead(a.status, headers).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface SenderOptions {
  /** protobuf_message; undefined leaves it out of the config (its default). */
  version: Version | undefined;
  answer?: (c: Captured) => Answer;
  /** Extra queue_config entries, or other values for the defaults. */
  queue?: Record<string, string | number | boolean>;
  /** Hand the queue the scraped metadata (metadata_config). */
  metadata?: boolean;
  /** send_native_histograms: true. */
  nativeHistograms?: boolean;
  /** The TSDB keeps start timestamps (st-storage). */
  stStorage?: boolean;
}

interface Sender {
  /** Every request the receiver got. */
  got: Captured[];
  /** Requests carrying series (metadata-only requests left out). */
  data(): Captured[];
  /** The sender's log lines (JSON). */
  logs: Array<Record<string, unknown>>;
  /** Appends a scrape of `text` at `at`; returns how many samples it appended. */
  scrape(text: string, at?: number): Promise<number>;
  append(labels: Record<string, string>, t: number, v: number): Promise<void>;
  /**
   * Appends, in one commit, to the target's series `labels`: native histogram samples (integer `h` or
   * float `fh`) and float samples (`v`).
   */
  appendAll(
    items: Array<{
      labels: Record<string, string>;
      t: number;
      v?: number;
      h?: Histogram;
      fh?: FloatHistogram;
      /** Start timestamp (kept with `stStorage`). */
      st?: number;
    }>,
  ): Promise<void>;
  /** Samples of the series named `name`, in the order they arrived, with their request's index. */
  samplesOf(name: string): Array<SampleView & { request: number }>;
  until(cond: () => boolean): Promise<void>;
  lastError(): string | undefined;
  /** The newest sample timestamp the queue counts as delivered. */
  highestSent(): number; /** The protobuf message the queue sends now (it changes on a fallback). */
  message(): string | undefined;
}

const samplesIn = (reqs: Captured[]): number =>
  reqs.reduce((n, r) => n + r.series.reduce((m, s) => m + s.samples.length, 0), 0);

/** Metric names of each request carrying series. */
const namesOf = (reqs: Captured[]): string[][] =>
  reqs.filter((r) => r.series.length > 0).map((r) => r.series.map((s) => s.labels.__name__));

/**
 * A TSDB in a temp dir, a receiver, and RemoteStorage with a remote_write entry like the Go suite's
 * target config (targets/prometheus.go), with a fast queue: one shard, 20 ms batch deadline, 10-50 ms
 * backoff. Everything is stopped and removed when `fn` ends.
 */
async function withSender(o: SenderOptions, fn: (s: Sender) => Promise<void>): Promise<void> {
  const rx = await receiver(o.answer ?? (() => ({ status: 204 })));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-sender-compliance-'));
  const quiet = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger: quiet, stStorage: o.stStorage === true });
  const logs: Array<Record<string, unknown>> = [];
  const families = new Map<string, WireMetadata>();
  const remote = new RemoteStorage({
    dataDir: dir,
    logger: createLogger({
      level: 'info',
      format: 'json',
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
    userAgent: USER_AGENT,
    flushDeadlineMs: 100,
    metadata: o.metadata === true ? () => [...families.values()] : undefined,
  });
  try {
    const yaml = [
      'remote_write:',
      `  - url: ${rx.url}`,
      ...(o.version === undefined ? [] : [`    protobuf_message: ${MESSAGE[o.version]}`]),
      '    send_exemplars: true',
      ...(o.nativeHistograms === true ? ['    send_native_histograms: true'] : []),
      '    metadata_config:',
      '      send: true',
      '      send_interval: 100ms',
      '    queue_config:',
      ...Object.entries({
        max_shards: 1,
        batch_send_deadline: '20ms',
        min_backoff: '10ms',
        max_backoff: '50ms',
        ...o.queue,
      }).map(([k, v]) => `      ${k}: ${String(v)}`),
      '',
    ].join('\n');
    await remote.applyConfig(parseConfig(yaml, path.join(dir, 'prometheus.yml'), dir));
    // the queue reads the WAL from its end on: wait until it has its position before appending
    await waitFor(() => remote.list()[0]?.position !== undefined, 10_000);
    const s: Sender = {
      got: rx.got,
      data: () => rx.got.filter((r) => r.series.length > 0),
      logs,
      async scrape(text, at = Date.now()) {
        const p = new PromTextParser(text);
        const app = db.appender();
        const seen = new Set<string>();
        let n = 0;
        for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
          if (e === Entry.Type || e === Entry.Help) {
            const m = families.get(p.family()) ?? { type: 'unknown', family: p.family(), help: '', unit: '' };
            if (e === Entry.Type) m.type = metricTypeOf(p.metricType());
            else m.help = p.help();
            families.set(p.family(), m);
          }
          if (e !== Entry.Series) continue;
          // a series repeated in one scrape is a duplicate sample for its timestamp: the scrape loop
          // keeps the first
          if (seen.has(p.seriesText())) continue;
          seen.add(p.seriesText());
          const ls = Labels.fromPairs([...p.labels().pairs, 'instance', TARGET.instance, 'job', TARGET.job]);
          app.append(0, ls, p.timestamp() ?? at, p.value());
          n++;
        }
        await app.commit();
        return n;
      },
      async append(labels, t, v) {
        const app = db.appender();
        app.append(0, Labels.fromRecord({ ...labels, ...TARGET }), t, v);
        await app.commit();
      },
      async appendAll(items) {
        const app = db.appender();
        for (const x of items) {
          const ls = Labels.fromRecord({ ...x.labels, ...TARGET });
          if (x.v !== undefined) app.append(0, ls, x.t, x.v, x.st);
          else app.appendHistogram!(0, ls, x.t, x.h, x.fh, x.st);
        }
        await app.commit();
      },
      samplesOf: (name) =>
        rx.got.flatMap((r) =>
          r.series
            .filter((x) => x.labels.__name__ === name)
            .flatMap((x) => x.samples.map((v) => ({ ...v, request: r.n }))),
        ),
      until: (cond) => waitFor(cond, 10_000),
      lastError: () => remote.list()[0]?.lastError?.message,
      highestSent: () => remote.list()[0]?.highestSentTimestampMs ?? 0,
      message: () => remote.list()[0]?.protobufMessage,
    };
    await fn(s);
  } finally {
    await remote.stop(100);
    db.close();
    await rx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The series named `name` in `req` (requireTimeseriesByMetricName). */
function series(req: Captured, name: string): SeriesView {
  const s = req.series.find((x) => x.labels.__name__ === name);
  if (s === undefined) throw new Error(`no series named ${name} in request ${req.n}`);
  expect(s.samples.length).toBeGreaterThan(0);
  return s;
}

const firstValue = (req: Captured, name: string): number => series(req, name).samples[0].value;

/** Whether the (decompressed) body holds a Sample value field (tag 0x09) with exactly these bits. */
function hasValueBits(raw: Buffer, hi: number, lo: number): boolean {
  const pattern = Buffer.alloc(9);
  pattern[0] = 0x09;
  pattern.writeUInt32LE(lo, 1);
  pattern.writeUInt32LE(hi, 5);
  return raw.includes(pattern);
}

/** Field numbers in a protobuf message: at its top level, or inside the fields `nested` leads through. */
function fieldNumbers(buf: Uint8Array, nested: number[] = []): Set<number> {
  const out = new Set<number>();
  const walk = (b: Uint8Array, depth: number): void => {
    const r = protobuf.Reader.create(b);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (depth < nested.length && field === nested[depth] && (tag & 7) === 2) walk(r.bytes(), depth + 1);
      else {
        if (depth === nested.length) out.add(field);
        r.skipType(tag & 7);
      }
    }
  };
  walk(buf, 0);
  return out;
}

const isSortedByName = (pairs: string[]): boolean => {
  for (let i = 2; i < pairs.length; i += 2) if (!(pairs[i - 2] < pairs[i])) return false;
  return true;
};

interface ScrapeCase {
  name: string;
  /** Versions the case applies to (both by default). */
  versions?: Version[];
  scrape: string | ((now: number) => string);
  /** Checks the last request carrying series once all the scrape's samples arrived (runSenderTest). */
  check: (req: Captured, at: number) => void;
}

type Row<T> = T & { version: Version };
const rows = <T extends object>(cases: T[]): Array<Row<T>> =>
  cases.flatMap((c) =>
    ((c as { versions?: Version[] }).versions ?? VERSIONS).map((version) => ({ ...c, version })),
  );

/** runTestCases: one scrape, then the validator on the last request. */
async function runScrapeCase(c: Row<ScrapeCase>): Promise<void> {
  await withSender({ version: c.version }, async (s) => {
    const at = Date.now();
    const n = await s.scrape(typeof c.scrape === 'string' ? c.scrape : c.scrape(at), at);
    expect(n).toBeGreaterThan(0);
    await s.until(() => samplesIn(s.data()) >= n);
    const reqs = s.data();
    for (const r of reqs) expect(r.error).toBeUndefined();
    expect(reqs[reqs.length - 1].version).toBe(c.version);
    c.check(reqs[reqs.length - 1], at);
  });
}

const FRAMED_SNAPPY_MAGIC = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x50, 0x59]);

describe.concurrent('remote write sender compliance (prometheus/compliance remotewrite/sender)', () => {
  describe('TestProtocolCompliance', () => {
    const cases: ScrapeCase[] = [
      {
        name: 'content_type_protobuf',
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['content-type']).toContain('application/x-protobuf'),
      },
      {
        name: 'content_type_with_proto_param',
        versions: ['v2'],
        scrape: 'test_metric 42\n',
        check: (r) =>
          expect(r.headers['content-type']).toBe(
            'application/x-protobuf;proto=io.prometheus.write.v2.Request',
          ),
      },
      {
        name: 'content_encoding_snappy',
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['content-encoding']).toBe('snappy'),
      },
      {
        name: 'version_header_present',
        scrape: 'test_metric 42\n',
        check: (r) =>
          expect(r.headers['x-prometheus-remote-write-version']).toBe(r.version === 'v2' ? '2.0.0' : '0.1.0'),
      },
      {
        name: 'version_header_value',
        versions: ['v2'],
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['x-prometheus-remote-write-version']).toMatch(/^2\.0/),
      },
      {
        name: 'user_agent_present',
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['user-agent']).toBe(USER_AGENT),
      },
      {
        name: 'snappy_block_format',
        scrape: 'test_metric 42\n',
        check: (r) => {
          expect(r.body.length).toBeGreaterThan(0);
          expect(r.body.subarray(0, 10).equals(FRAMED_SNAPPY_MAGIC)).toBe(false);
          // a block-format body starts with the uncompressed length as a varint
          expect(snappy.uncompressSync(r.body)).toEqual(r.raw);
        },
      },
      {
        name: 'protobuf_parseable',
        scrape: 'test_metric 42\n',
        check: (r) => {
          expect(r.error).toBeUndefined();
          expect(r.series.length).toBeGreaterThan(0);
          if (r.version === 'v2') expect(r.symbols.length).toBeGreaterThan(0);
        },
      },
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);
  });

  describe('TestHTTPMethod', () => {
    it.each(VERSIONS)('POST to the configured URL (%s)', async (version) => {
      await withSender({ version }, async (s) => {
        await s.scrape('test_metric 42\n');
        await s.until(() => s.data().length >= 1);
        expect(s.got[0].method).toBe('POST');
        expect(s.got[0].url).toBe('/api/v1/write');
      });
    });
  });

  describe('TestSampleEncoding', () => {
    const cases: ScrapeCase[] = [
      {
        name: 'float_value_encoding',
        scrape: 'test_metric 123.45\n',
        check: (r) => expect(firstValue(r, 'test_metric')).toBe(123.45),
      },
      {
        name: 'integer_value_encoding',
        scrape: 'test_counter_total 42\n',
        check: (r) => expect(firstValue(r, 'test_counter_total')).toBe(42),
      },
      {
        name: 'zero_value_encoding',
        scrape: 'test_gauge 0\n',
        check: (r) => expect(Object.is(firstValue(r, 'test_gauge'), 0)).toBe(true),
      },
      {
        name: 'negative_value_encoding',
        scrape: 'temperature_celsius -15.5\n',
        check: (r) => expect(firstValue(r, 'temperature_celsius')).toBe(-15.5),
      },
      {
        name: 'positive_infinity_encoding',
        scrape: 'test_gauge +Inf\n',
        check: (r) => expect(firstValue(r, 'test_gauge')).toBe(Infinity),
      },
      {
        name: 'negative_infinity_encoding',
        scrape: 'test_gauge -Inf\n',
        check: (r) => expect(firstValue(r, 'test_gauge')).toBe(-Infinity),
      },
      {
        name: 'nan_encoding',
        scrape: 'test_gauge NaN\n',
        check: (r) => {
          expect(firstValue(r, 'test_gauge')).toBeNaN();
          // a NaN, not the stale marker (0x7ff0000000000002)
          expect(hasValueBits(r.raw, 0x7ff00000, 2)).toBe(false);
        },
      },
      {
        name: 'timestamp_milliseconds_format',
        scrape: 'test_metric 42\n',
        check: (r, at) => {
          const t = series(r, 'test_metric').samples[0].timestamp;
          expect(t).toBeGreaterThan(1e12);
          expect(t).toBeLessThan(1e16);
          expect(t).toBe(at);
        },
      },
      {
        name: 'timestamp_recent',
        scrape: 'test_metric 42\n',
        check: (r) =>
          expect(Math.abs(Date.now() - series(r, 'test_metric').samples[0].timestamp)).toBeLessThan(
            5 * 60 * 1000,
          ),
      },
      {
        name: 'large_float_values',
        scrape: 'test_large 1.7976931348623157e+308\n',
        check: (r) => expect(firstValue(r, 'test_large')).toBe(Number.MAX_VALUE),
      },
      {
        name: 'small_float_values',
        scrape: 'test_small 2.2250738585072014e-308\n',
        check: (r) => expect(firstValue(r, 'test_small')).toBe(2.2250738585072014e-308),
      },
      {
        name: 'scientific_notation',
        scrape: 'test_scientific 1.23e-4\n',
        check: (r) => expect(firstValue(r, 'test_scientific')).toBe(0.000123),
      },
      {
        name: 'precision_preservation',
        scrape: 'test_precision 0.123456789012345\n',
        check: (r) => expect(firstValue(r, 'test_precision')).toBe(0.123456789012345),
      },
      {
        name: 'job_instance_labels_present',
        scrape: 'test_metric 42\n',
        check: (r) =>
          expect(series(r, 'test_metric').labels).toMatchObject({
            job: TARGET.job,
            instance: TARGET.instance,
          }),
      },
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);

    // the Go case scrapes the same series every second; here two scrapes a second apart
    it.each(VERSIONS)('multiple_samples_same_series (%s)', async (version) => {
      await withSender({ version }, async (s) => {
        const at = Date.now();
        await s.scrape('test_counter_total 100\n', at);
        await s.scrape('test_counter_total 101\n', at + 1000);
        await s.until(() => s.samplesOf('test_counter_total').length >= 2);
        expect(s.samplesOf('test_counter_total').map((x) => [x.timestamp, x.value])).toEqual([
          [at, 100],
          [at + 1000, 101],
        ]);
      });
    });
  });

  /** Three scrapes a second apart; every series' samples arrive oldest first, in and across requests. */
  async function orderingCase(version: Version): Promise<void> {
    await withSender({ version }, async (s) => {
      const at = Date.now();
      for (let i = 0; i < 3; i++)
        await s.scrape(
          `# Multiple metrics\nmetric_a ${1 + i}\nmetric_b ${2 + i}\nmetric_c ${3 + i}\n`,
          at + i * 1000,
        );
      await s.until(() => samplesIn(s.data()) >= 9);
      for (const r of s.data())
        for (const ts of r.series)
          for (let i = 1; i < ts.samples.length; i++)
            expect(ts.samples[i - 1].timestamp).toBeLessThanOrEqual(ts.samples[i].timestamp);
      for (const name of ['metric_a', 'metric_b', 'metric_c'])
        expect(s.samplesOf(name).map((x) => x.timestamp)).toEqual([at, at + 1000, at + 2000]);
    });
  }

  describe('TestSampleOrdering', () => {
    it.each(VERSIONS)('samples of a series oldest first (%s)', orderingCase);
  });

  describe('TestLabelValidation', () => {
    const everySeries = (r: Captured, f: (s: SeriesView) => void): void => {
      expect(r.series.length).toBeGreaterThan(0);
      for (const s of r.series) f(s);
    };
    const cases: ScrapeCase[] = [
      {
        name: 'label_lexicographic_ordering',
        scrape: 'test_metric{aaa="1",bbb="2",zzz="3"} 42\n',
        check: (r) => {
          const s = series(r, 'test_metric');
          expect(isSortedByName(s.pairs)).toBe(true);
          expect(s.pairs.filter((_, i) => i % 2 === 0)).toEqual([
            '__name__',
            'aaa',
            'bbb',
            'instance',
            'job',
            'zzz',
          ]);
        },
      },
      {
        name: 'metric_name_label_present',
        scrape: 'test_metric 42\n',
        check: (r) => everySeries(r, (s) => expect(s.labels.__name__).toBeTruthy()),
      },
      {
        name: 'metric_name_format_valid',
        scrape: 'valid_metric_name:subsystem_total 42\n',
        check: (r) => {
          everySeries(r, (s) => expect(s.labels.__name__).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/));
          series(r, 'valid_metric_name:subsystem_total');
        },
      },
      {
        name: 'label_name_format_valid',
        scrape: 'test_metric{valid_label="value",another_1="val2"} 42',
        check: (r) =>
          everySeries(r, (s) => {
            for (const name of Object.keys(s.labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
            expect(s.labels).toMatchObject({ valid_label: 'value', another_1: 'val2' });
          }),
      },
      {
        name: 'no_duplicate_label_names',
        scrape: 'test_metric{foo="bar",baz="qux"} 42',
        check: (r) => everySeries(r, (s) => expect(Object.keys(s.labels).length).toBe(s.pairs.length / 2)),
      },
      {
        name: 'label_names_not_empty',
        scrape: 'test_metric{label="value"} 42',
        check: (r) =>
          everySeries(r, (s) => {
            for (let i = 0; i < s.pairs.length; i += 2) expect(s.pairs[i]).not.toBe('');
          }),
      },
      {
        // an empty label value is the same as no label (Prometheus drops it before the WAL): the series
        // goes out without it
        name: 'label_values_may_be_empty',
        scrape: 'test_metric{empty=""} 42',
        check: (r) => expect(series(r, 'test_metric').labels).not.toHaveProperty('empty'),
      },
      {
        name: 'reserved_label_prefix',
        scrape: 'test_metric{normal="value"} 42',
        check: (r) =>
          everySeries(r, (s) => {
            for (const name of Object.keys(s.labels))
              if (name !== '__name__') expect(name).not.toMatch(/^__/);
          }),
      },
      {
        name: 'unicode_in_label_values',
        scrape: 'test_metric{emoji="🚀",chinese="测试"} 42',
        check: (r) => expect(series(r, 'test_metric').labels).toMatchObject({ emoji: '🚀', chinese: '测试' }),
      },
      {
        name: 'special_chars_in_label_values',
        scrape: 'test_metric{path="/api/v1/users",query="foo=bar&baz=qux"} 42',
        check: (r) =>
          expect(series(r, 'test_metric').labels).toMatchObject({
            path: '/api/v1/users',
            query: 'foo=bar&baz=qux',
          }),
      },
      {
        name: 'very_long_label_names',
        scrape: 'test_metric{very_long_label_name_that_exceeds_normal_length_but_is_still_valid="value"} 42',
        check: (r) =>
          expect(series(r, 'test_metric').labels).toHaveProperty(
            'very_long_label_name_that_exceeds_normal_length_but_is_still_valid',
            'value',
          ),
      },
      {
        name: 'very_long_label_values',
        scrape:
          'test_metric{description="This is a very long label value that contains a lot of text to test how senders handle long strings in label values which might be common in real-world scenarios"} 42',
        check: (r) =>
          expect(series(r, 'test_metric').labels.description).toBe(
            'This is a very long label value that contains a lot of text to test how senders handle long strings in label values which might be common in real-world scenarios',
          ),
      },
      {
        name: 'many_labels_per_series',
        scrape:
          'test_metric{l1="v1",l2="v2",l3="v3",l4="v4",l5="v5",l6="v6",l7="v7",l8="v8",l9="v9",l10="v10"} 42',
        check: (r) => {
          const s = series(r, 'test_metric');
          // 10 labels, the name, job and instance
          expect(Object.keys(s.labels)).toHaveLength(13);
          for (let i = 1; i <= 10; i++) expect(s.labels[`l${i}`]).toBe(`v${i}`);
        },
      },
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);
  });

  describe('TestSymbolTable', () => {
    const cases: ScrapeCase[] = [
      {
        name: 'empty_string_at_index_zero',
        scrape: 'test_metric 42\n',
        check: (r) => {
          expect(r.symbols.length).toBeGreaterThan(0);
          expect(r.symbols[0]).toBe('');
        },
      },
      {
        name: 'string_deduplication',
        scrape:
          '# Multiple metrics with same label keys/values\n' +
          'test_metric{foo="bar",baz="qux"} 1\n' +
          'test_metric{foo="bar",baz="qux"} 2\n' +
          'another_metric{foo="bar"} 3\n',
        check: (r) => {
          expect(new Set(r.symbols).size).toBe(r.symbols.length);
          expect(r.symbols.filter((x) => x === 'foo' || x === 'bar')).toHaveLength(2);
          expect(r.series.map((s) => s.labels.__name__).sort()).toEqual(['another_metric', 'test_metric']);
        },
      },
      {
        name: 'labels_refs_valid_indices',
        scrape: 'test_metric{label="value"} 42\n',
        check: (r) => {
          expect(r.series.length).toBeGreaterThan(0);
          for (const s of r.series) for (const ref of s.refs) expect(ref).toBeLessThan(r.symbols.length);
          expect(series(r, 'test_metric').labels.label).toBe('value');
        },
      },
      {
        name: 'labels_refs_even_length',
        scrape: 'test_metric{label="value"} 42\n',
        check: (r) => {
          expect(r.series.length).toBeGreaterThan(0);
          for (const s of r.series) expect(s.refs.length % 2).toBe(0);
        },
      },
    ];
    it.each(rows(cases.map((c) => ({ ...c, versions: ['v2' as Version] }))))(
      '$name ($version)',
      runScrapeCase,
    );
  });

  describe('TestSymbolTableEfficiency', () => {
    it('each string once in the symbol table (v2)', () =>
      runScrapeCase({
        name: 'efficiency',
        version: 'v2',
        scrape:
          'http_requests_total{method="GET",status="200",handler="/api/v1"} 100\n' +
          'http_requests_total{method="POST",status="200",handler="/api/v1"} 50\n' +
          'http_requests_total{method="GET",status="404",handler="/api/v1"} 10\n' +
          'http_requests_total{method="GET",status="200",handler="/api/v2"} 75\n',
        check: (r) => {
          // "", the name, __name__/method/status/handler/job/instance, GET/POST, 200/404, two handlers,
          // and the job's and instance's values
          expect(r.symbols).toHaveLength(16);
          expect(new Set(r.symbols).size).toBe(r.symbols.length);
        },
      }));
  });

  describe('TestTimestampEncoding', () => {
    const cases: ScrapeCase[] = [
      {
        name: 'timestamp_int64_milliseconds',
        scrape: 'test_counter_total 42\n',
        check: (r, at) => {
          const t = series(r, 'test_counter_total').samples[0].timestamp;
          expect(t).toBeGreaterThan(1e12);
          expect(t).toBeLessThan(1e16);
          expect(t).toBe(at);
        },
      },
      {
        name: 'start_timestamp_zero_handling',
        versions: ['v2'],
        scrape: '# TYPE test_counter counter\ntest_counter_total 50\n',
        check: (r) => {
          for (const s of r.series)
            for (const x of s.samples)
              if (x.startTimestamp !== 0) expect(x.startTimestamp).toBeGreaterThan(1e12);
          // unset is left out of the message, not written as 0
          expect(fieldNumbers(r.raw, [5, 2]).has(3)).toBe(false);
        },
      },
      {
        name: 'timestamp_precision',
        scrape: 'test_metric 42\n',
        check: (r, at) => {
          const t = series(r, 'test_metric').samples[0].timestamp;
          expect(Math.abs(Date.now() - t)).toBeLessThan(10 * 60 * 1000);
          // the scrape time to the millisecond, not rounded to seconds
          expect(t).toBe(at);
        },
      },
      {
        // clock skew: a sample two minutes ahead goes out as it is
        name: 'timestamp_future_values',
        scrape: (now) => `test_metric 42 ${now + 2 * 60 * 1000}\n`,
        check: (r, at) => expect(series(r, 'test_metric').samples[0].timestamp).toBe(at + 2 * 60 * 1000),
      },
      {
        name: 'start_timestamp_before_sample_timestamp',
        versions: ['v2'],
        scrape: '# TYPE test_counter counter\ntest_counter_total 100\n',
        check: (r) => {
          for (const s of r.series)
            for (const x of s.samples)
              if (x.startTimestamp !== 0) expect(x.startTimestamp).toBeLessThanOrEqual(x.timestamp);
        },
      },
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);
    it.each(VERSIONS)('timestamp_ordering_within_series (%s)', orderingCase);
    // With st-storage, the start (created) timestamps a scrape or a 2.0 sender gave go out with each
    // 2.0 sample and native histogram; 1.0 has no field for them.
    it.each(VERSIONS)('start_timestamp_for_counters, start_timestamp_for_histograms (%s)', (version) =>
      withSender({ version, nativeHistograms: true, stStorage: true }, async (s) => {
        const at = Date.now();
        const created = at - 3_600_000;
        const h: Histogram = {
          counterResetHint: 0,
          schema: 0,
          zeroThreshold: 0,
          zeroCount: 0,
          count: 3,
          sum: 3,
          positiveSpans: [{ offset: 0, length: 1 }],
          negativeSpans: [],
          positiveBuckets: [3],
          negativeBuckets: [],
        };
        await s.appendAll([
          { labels: { __name__: 'test_counter_total' }, t: at, v: 5, st: created },
          { labels: { __name__: 'test_counter_total' }, t: at + 1000, v: 7, st: created },
          { labels: { __name__: 'test_hist' }, t: at, h, st: created + 1 },
        ]);
        await s.until(() => s.data().some((r) => r.series.some((x) => x.histograms.length > 0)));
        const all = s.data();
        const counter = all.flatMap((r) =>
          r.series.filter((x) => x.labels.__name__ === 'test_counter_total'),
        );
        const samples = counter.flatMap((x) => x.samples);
        expect(samples.map((x) => x.timestamp)).toEqual([at, at + 1000]);
        const hist = all.flatMap((r) => r.series.filter((x) => x.labels.__name__ === 'test_hist'))[0];
        if (version === 'v2') {
          expect(samples.map((x) => x.startTimestamp)).toEqual([created, created]);
          expect(hist.histograms[0].start_timestamp).toBe(created + 1);
        } else {
          expect(samples.every((x) => !x.startTimestamp)).toBe(true);
          expect(hist.histograms[0].start_timestamp).toBeUndefined();
        }
      }),
    );
  });

  describe('TestHistogramEncoding', () => {
    // The Go cases scrape classic histograms (text exposition has no native ones), which go out as
    // _bucket/_count/_sum series like any other; each port checks those as its validator does. With
    // send_native_histograms on, the native histogram a protobuf scrape of the same family would give
    // (what the case's description is about) is appended too, at the scrape time, to the series named
    // after the family: it must arrive in a TimeSeries of its own, exactly as Prometheus's
    // FromIntHistogram / FromFloatHistogram put it on the wire. A scrape's floats and its histogram
    // may go out in one request or two, so the checks see every series that arrived.
    interface HistogramCase {
      name: string;
      scrape: string;
      /** The family's native histogram: integer `h` or float `fh`. */
      native: { name: string; h?: Histogram; fh?: FloatHistogram };
      /** A float sample of the native histogram's series this long before it, in the same commit. */
      floatBeforeMs?: number;
      /** `all`: the series of every request (`reqs`) carrying series. */
      check: (all: SeriesView[], native: HistogramView, at: number, reqs: Captured[]) => void;
    }

    const exponential = (count: number, sum: number, rest: Partial<Histogram> = {}): Histogram => ({
      counterResetHint: 0,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count,
      sum,
      positiveSpans: [],
      positiveBuckets: [],
      negativeSpans: [],
      negativeBuckets: [],
      ...rest,
    });
    /** A classic histogram's buckets as a native custom-buckets one (schema -53) has them. */
    const customBuckets = (bounds: number[], cumulative: number[], sum: number): Histogram =>
      exponential(cumulative[cumulative.length - 1], sum, {
        schema: -53,
        customValues: bounds,
        positiveSpans: [{ offset: 0, length: cumulative.length }],
        // per-bucket counts, then as deltas
        positiveBuckets: cumulative
          .map((c, i) => c - (cumulative[i - 1] ?? 0))
          .map((c, i, a) => c - (a[i - 1] ?? 0)),
      });

    /** The float sample of the series named `name` (the target's labels only). */
    const classic = (all: SeriesView[], name: string, le?: string): SampleView => {
      const found = all.filter(
        (x) =>
          x.labels.__name__ === name &&
          (le === undefined || Number(x.labels.le.replace('+Inf', 'Infinity')) === Number(le)),
      );
      expect(found, `${name}${le ?? ''}`).toHaveLength(1);
      expect(found[0].samples).toHaveLength(1);
      return found[0].samples[0];
    };
    /** A custom-buckets histogram's cumulative counts by upper bound (one span from 0: the bounds, +Inf). */
    const cumulativeOf = (x: HistogramView): Array<[number, number]> => {
      let bucket = 0;
      let total = 0;
      return x.positive_deltas.map((d, i) => {
        bucket += d;
        total += bucket;
        return [x.custom_values[i] ?? Infinity, total];
      });
    };

    const cases: HistogramCase[] = [
      {
        name: 'native_histogram_structure',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 10\ntest_histogram_sum 25.5\n' +
          'test_histogram_bucket{le="1"} 2\ntest_histogram_bucket{le="5"} 7\ntest_histogram_bucket{le="+Inf"} 10\n',
        native: { name: 'test_histogram', h: customBuckets([1, 5], [2, 7, 10], 25.5) },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_count').value).toBe(10);
          expect(classic(all, 'test_histogram_sum').value).toBe(25.5);
          const buckets: Array<[number, number]> = [1, 5, Infinity].map((le) => [
            le,
            classic(all, 'test_histogram_bucket', String(le)).value,
          ]);
          expect(buckets).toEqual([
            [1, 2],
            [5, 7],
            [Infinity, 10],
          ]);
          // the native form holds the same buckets
          expect(cumulativeOf(native)).toEqual(buckets);
        },
      },
      {
        name: 'histogram_count_present',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 250.5\n' +
          'test_histogram_bucket{le="+Inf"} 100\n',
        native: {
          name: 'test_histogram',
          h: exponential(100, 250.5, { positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [100] }),
        },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_count').value).toBe(100);
          expect(native.count_int).toBe(100);
        },
      },
      {
        name: 'histogram_sum_present',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 250.5\n' +
          'test_histogram_bucket{le="+Inf"} 100\n',
        native: {
          name: 'test_histogram',
          fh: exponential(100, 250.5, {
            positiveSpans: [{ offset: 0, length: 2 }],
            positiveBuckets: [60, 40],
          }),
        },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_sum').value).toBe(250.5);
          expect(native.sum).toBe(250.5);
          expect(native.count_float).toBe(100);
        },
      },
      {
        name: 'histogram_buckets_ordered',
        scrape:
          '# TYPE request_duration histogram\nrequest_duration_bucket{le="0.1"} 10\n' +
          'request_duration_bucket{le="0.5"} 50\nrequest_duration_bucket{le="1.0"} 100\n' +
          'request_duration_bucket{le="5.0"} 200\nrequest_duration_bucket{le="+Inf"} 250\n' +
          'request_duration_sum 500.0\nrequest_duration_count 250\n',
        native: {
          name: 'request_duration',
          h: customBuckets([0.1, 0.5, 1, 5], [10, 50, 100, 200, 250], 500),
        },
        check: (all, native) => {
          // bounds increasing, spans in order: the buckets go out lowest first
          for (let i = 1; i < native.custom_values.length; i++)
            expect(native.custom_values[i]).toBeGreaterThan(native.custom_values[i - 1]);
          for (const sp of native.positive_spans) expect(sp.offset).toBeGreaterThanOrEqual(0);
          expect(cumulativeOf(native)).toEqual(
            [0.1, 0.5, 1, 5, Infinity].map((le) => [
              le,
              classic(all, 'request_duration_bucket', String(le)).value,
            ]),
          );
        },
      },
      {
        name: 'histogram_positive_buckets',
        scrape:
          '# TYPE test_native_histogram histogram\ntest_native_histogram_count 100\ntest_native_histogram_sum 250.0\n',
        native: {
          name: 'test_native_histogram',
          h: exponential(100, 250, {
            positiveSpans: [
              { offset: 0, length: 2 },
              { offset: 1, length: 1 },
            ],
            positiveBuckets: [30, 10, -10],
          }),
        },
        check: (all, native) => {
          expect(classic(all, 'test_native_histogram_count').value).toBe(100);
          expect(native.positive_spans.length).toBeGreaterThan(0);
        },
      },
      {
        name: 'histogram_negative_buckets',
        scrape: '# TYPE test_histogram histogram\ntest_histogram_count 50\ntest_histogram_sum -25.0\n',
        native: {
          name: 'test_histogram',
          // a negative first offset (sint32 on the wire)
          fh: exponential(50, -25, {
            schema: 1,
            negativeSpans: [{ offset: -1, length: 2 }],
            negativeBuckets: [20, 30],
          }),
        },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_sum').value).toBe(-25);
          expect(native.negative_spans).toEqual([{ offset: -1, length: 2 }]);
          expect(native.negative_counts).toEqual([20, 30]);
        },
      },
      {
        name: 'histogram_zero_bucket',
        scrape: '# TYPE test_histogram histogram\ntest_histogram_count 10\ntest_histogram_sum 0.0\n',
        native: { name: 'test_histogram', h: exponential(10, 0, { zeroThreshold: 0.001, zeroCount: 10 }) },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_count').value).toBe(10);
          expect(native.zero_count_int).toBe(10);
          expect(native.zero_threshold).toBe(0.001);
        },
      },
      {
        name: 'histogram_schema',
        scrape: '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 500.0\n',
        native: {
          name: 'test_histogram',
          h: exponential(100, 500, {
            schema: 3,
            positiveSpans: [{ offset: 5, length: 2 }],
            positiveBuckets: [60, -20],
          }),
        },
        check: (_all, native) => expect(native.schema).toBe(3),
      },
      {
        name: 'histogram_timestamp',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 250.0\n' +
          'test_histogram_bucket{le="+Inf"} 100\n',
        native: {
          name: 'test_histogram',
          h: exponential(100, 250, { positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [100] }),
        },
        check: (all, native, at) => {
          expect(classic(all, 'test_histogram_count').timestamp).toBe(at);
          expect(native.timestamp).toBeGreaterThan(0);
          expect(native.timestamp).toBe(at);
        },
      },
      {
        // the series was a float one a second before (a gauge turned native histogram): both samples
        // are in one batch, and still go out as two TimeSeries, oldest first
        name: 'histogram_no_mixed_with_samples',
        scrape: '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 250.0\n',
        native: {
          name: 'test_histogram',
          h: exponential(100, 250, { positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [100] }),
        },
        floatBeforeMs: 1000,
        check: (all, _native, at, reqs) => {
          // one commit, so one batch: the case is about that request
          expect(
            reqs.filter((r) => r.series.some((x) => x.labels.__name__ === 'test_histogram')),
          ).toHaveLength(1);
          for (const x of all) expect(x.samples.length === 0 || x.histograms.length === 0).toBe(true);
          expect(
            all
              .filter((x) => x.labels.__name__ === 'test_histogram')
              .map((x) => [
                x.samples.map((v) => [v.timestamp, v.value]),
                x.histograms.map((h) => h.timestamp),
              ]),
          ).toEqual([
            [[[at - 1000, 7]], []],
            [[], [at]],
          ]);
        },
      },
      {
        name: 'histogram_empty_buckets',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 0\ntest_histogram_sum 0\n' +
          'test_histogram_bucket{le="+Inf"} 0\n',
        native: { name: 'test_histogram', h: exponential(0, 0) },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_count').value).toBe(0);
          // no observations: the count still goes out (0), no spans
          expect(native.count_int).toBe(0);
          expect([...native.positive_spans, ...native.negative_spans]).toEqual([]);
        },
      },
      {
        name: 'histogram_large_counts',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 1000000000\ntest_histogram_sum 5000000000.0\n' +
          'test_histogram_bucket{le="+Inf"} 1000000000\n',
        native: {
          name: 'test_histogram',
          h: exponential(1e9, 5e9, { positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1e9] }),
        },
        check: (all, native) => {
          expect(classic(all, 'test_histogram_count').value).toBe(1e9);
          expect(native.count_int).toBe(1e9);
          expect(native.positive_deltas).toEqual([1e9]);
        },
      },
    ];

    /** What Prometheus's FromIntHistogram / FromFloatHistogram send for `x` at `t`, decoded. */
    const onTheWire = (version: Version, t: number, h?: Histogram, fh?: FloatHistogram): HistogramView => {
      const x = (h ?? fh)!;
      return {
        ...(h !== undefined
          ? { count_int: h.count, zero_count_int: h.zeroCount }
          : { count_float: x.count, zero_count_float: x.zeroCount }),
        sum: x.sum,
        schema: x.schema,
        zero_threshold: x.zeroThreshold,
        negative_spans: x.negativeSpans,
        negative_deltas: h?.negativeBuckets ?? [],
        negative_counts: fh?.negativeBuckets ?? [],
        positive_spans: x.positiveSpans,
        positive_deltas: h?.positiveBuckets ?? [],
        positive_counts: fh?.positiveBuckets ?? [],
        reset_hint: x.counterResetHint,
        timestamp: t,
        custom_values: x.customValues ?? [],
        // not kept, so not sent (start_timestamp_for_histograms below)
        ...(version === 'v2' ? { start_timestamp: 0 } : {}),
      };
    };

    it.each(rows(cases))('$name ($version)', async (c) => {
      await withSender({ version: c.version, nativeHistograms: true }, async (s) => {
        const at = Date.now();
        const n = await s.scrape(c.scrape, at);
        const labels = { __name__: c.native.name };
        await s.appendAll([
          ...(c.floatBeforeMs === undefined ? [] : [{ labels, t: at - c.floatBeforeMs, v: 7 }]),
          { labels, t: at, h: c.native.h, fh: c.native.fh },
        ]);
        const floats = n + (c.floatBeforeMs === undefined ? 0 : 1);
        const histogramsIn = (): number =>
          s.data().reduce((a, r) => a + r.series.reduce((b, x) => b + x.histograms.length, 0), 0);
        await s.until(() => samplesIn(s.data()) >= floats && histogramsIn() >= 1);
        const reqs = s.data();
        for (const r of reqs) {
          expect(r.error).toBeUndefined();
          expect(r.version).toBe(c.version);
        }
        const all = reqs.flatMap((r) => r.series);
        const natives = all.filter((x) => x.histograms.length > 0);
        expect(natives.map((x) => x.labels)).toEqual([{ ...labels, ...TARGET }]);
        expect(natives[0].samples).toEqual([]);
        expect(natives[0].histograms).toEqual([onTheWire(c.version, at, c.native.h, c.native.fh)]);
        c.check(all, natives[0].histograms[0], at, reqs);
      });
    });
  });

  describe('TestExemplarEncoding', () => {
    it.todo(
      'exemplar cases: exemplar_with_trace_id, exemplar_with_span_id, exemplar_value_valid, exemplar_timestamp_valid, exemplar_labels_valid_refs, exemplar_custom_labels, exemplar_on_histogram, exemplar_labels_even_length, multiple_exemplars_per_series (arrive with exemplar storage and send_exemplars)',
    );
  });

  describe('TestMetadataEncoding', () => {
    it.todo(
      '2.0 per-series metadata cases: metadata_type_counter, metadata_type_gauge, metadata_type_histogram, metadata_type_summary, metadata_help_text, metadata_unit, metadata_help_with_newlines, metadata_help_with_special_chars, metadata_help_refs_valid, metadata_consistent_across_series, metadata_empty_help_allowed (the 2.0 sender does not attach metadata to series yet)',
    );
  });

  describe('TestRetryBehavior', () => {
    // A dropped batch is sent once: the next scrape's batch is the next request. A retried one comes
    // again (same samples) until the receiver takes it, before anything newer.
    const noRetry = [
      { name: 'no_retry_on_400', status: 400, body: 'Bad request' },
      { name: 'no_retry_on_401', status: 401, body: 'Unauthorized' },
      { name: 'no_retry_on_404', status: 404, body: 'Not found' },
      { name: 'no_retry_on_413', status: 413, body: 'Payload too large' },
      // Prometheus's default: retry_on_http_429 false, a 429 is dropped like any 4xx
      { name: 'may_retry_on_429', status: 429, body: 'Too many requests', headers: { 'Retry-After': '1' } },
    ];
    it.each(rows(noRetry))('$name ($version): sent once, dropped', async (c) => {
      await withSender(
        { version: c.version, answer: () => ({ status: c.status, body: c.body, headers: c.headers }) },
        async (s) => {
          await s.scrape('test_metric 42\n');
          await s.until(() => s.got.length >= 1);
          await s.scrape('after_metric 1\n');
          await s.until(() => s.got.length >= 2);
          expect(namesOf(s.got)).toEqual([['test_metric'], ['after_metric']]);
          expect(s.got.map((r) => r.version)).toEqual([c.version, c.version]);
          expect(s.lastError()).toContain(c.body);
        },
      );
    });

    it.each(VERSIONS)(
      'may_retry_on_429 (%s): retried after Retry-After with retry_on_http_429',
      async (version) => {
        await withSender(
          {
            version,
            queue: { retry_on_http_429: true },
            answer: (c) =>
              c.n === 0
                ? { status: 429, body: 'Too many requests', headers: { 'Retry-After': '1' } }
                : { status: 204 },
          },
          async (s) => {
            await s.scrape('test_metric 42\n');
            await s.until(() => s.got.length >= 2);
            await s.scrape('after_metric 1\n');
            await s.until(() => s.got.length >= 3);
            expect(namesOf(s.got)).toEqual([['test_metric'], ['test_metric'], ['after_metric']]);
            expect(s.got[1].raw).toEqual(s.got[0].raw);
            // Retry-After: 1 s, not the 10 ms min_backoff
            expect(s.got[1].at - s.got[0].at).toBeGreaterThanOrEqual(900);
          },
        );
      },
    );

    const retry = [
      { name: 'retry_on_500', status: 500, body: 'Internal server error' },
      { name: 'retry_on_503', status: 503, body: 'Service unavailable' },
      { name: 'retry_on_502', status: 502, body: 'Bad gateway' },
      { name: 'retry_on_504', status: 504, body: 'Gateway timeout' },
    ];
    it.each(rows(retry))('$name ($version): retried until accepted', async (c) => {
      await withSender(
        {
          version: c.version,
          answer: (r) => (r.n < 2 ? { status: c.status, body: c.body } : { status: 204 }),
        },
        async (s) => {
          await s.scrape('test_metric 42\n');
          await s.until(() => s.got.length >= 3);
          await s.scrape('after_metric 1\n');
          await s.until(() => s.got.length >= 4);
          expect(namesOf(s.got)).toEqual([
            ['test_metric'],
            ['test_metric'],
            ['test_metric'],
            ['after_metric'],
          ]);
          expect(s.got[1].raw).toEqual(s.got[0].raw);
          expect(s.got[2].raw).toEqual(s.got[0].raw);
          expect(s.got.map((r) => r.version)).toEqual([c.version, c.version, c.version, c.version]);
        },
      );
    });
  });

  describe('TestFallbackBehavior', () => {
    // The receiver refuses the first 2.0 request with 415, then takes everything (Written headers
    // set); three scrapes go out.
    const fallbackRun = async (check: (got: Captured[]) => void): Promise<void> => {
      await withSender(
        {
          version: 'v2',
          answer: (c) =>
            c.n === 0 && String(c.headers['x-prometheus-remote-write-version']).startsWith('2.0')
              ? { status: 415, body: 'RW 2.0 not supported, please use RW 1.0' }
              : { status: 204, written: { samples: 1, exemplars: 0, histograms: 0 } },
        },
        async (s) => {
          const start = Date.now();
          for (const [i, name] of ['test_metric', 'second_metric', 'third_metric'].entries()) {
            // a second apart: each batch's newest timestamp tells when it was delivered
            const at = start + i * 1000;
            await s.scrape(`${name} 42\n`, at);
            await s.until(() => s.highestSent() >= at);
          }
          check(s.got);
          // the queue keeps the version it fell back to
          expect(s.message()).toBe(MESSAGE.v1);
        },
      );
    };
    const version = (r: Captured): string => String(r.headers['x-prometheus-remote-write-version']);
    const cases = [
      {
        name: 'fallback_on_415_unsupported_media_type',
        check: (got: Captured[]) => {
          expect(version(got[0])).toBe('2.0.0');
          expect(got.slice(1).map(version)).toContain('0.1.0');
        },
      },
      {
        name: 'retry_with_different_version',
        check: (got: Captured[]) => {
          // the refused batch itself goes again, as 1.0
          expect(version(got[1])).toBe('0.1.0');
          expect(got[1].version).toBe('v1');
          expect(got[1].series.map((s) => [s.labels.__name__, s.samples.map((x) => x.value)])).toEqual([
            ['test_metric', [42]],
          ]);
        },
      },
      {
        name: 'fallback_header_changes',
        check: (got: Captured[]) => {
          expect(got[0].headers['content-type']).toBe(
            'application/x-protobuf;proto=io.prometheus.write.v2.Request',
          );
          expect(got[1].headers['content-type']).toBe('application/x-protobuf');
        },
      },
      {
        name: 'accept_success_after_fallback',
        check: (got: Captured[]) =>
          // each batch once after the fallback: the 2xx answers were taken as delivered
          expect(namesOf(got)).toEqual([
            ['test_metric'],
            ['test_metric'],
            ['second_metric'],
            ['third_metric'],
          ]),
      },
      {
        name: 'persistent_fallback_choice',
        check: (got: Captured[]) => expect(got.slice(1).map(version)).toEqual(['0.1.0', '0.1.0', '0.1.0']),
      },
    ];
    it.each(cases)('$name (v2)', (c) => fallbackRun(c.check));
  });

  describe('TestNoFallbackOn2xx', () => {
    it.each([200, 204])('2.0 stays 2.0 on %i answers', async (status) => {
      await withSender(
        { version: 'v2', answer: () => ({ status, written: { samples: 1, exemplars: 0, histograms: 0 } }) },
        async (s) => {
          const start = Date.now();
          for (const [i, name] of ['test_metric', 'second_metric', 'third_metric'].entries()) {
            // a second apart: each batch's newest timestamp tells when it was delivered
            const at = start + i * 1000;
            await s.scrape(`${name} 42\n`, at);
            // delivered: the answer was taken in
            await s.until(() => s.highestSent() >= at);
          }
          expect(s.message()).toBe(MESSAGE.v2);
          expect(s.got.map((r) => r.headers['x-prometheus-remote-write-version'])).toEqual([
            '2.0.0',
            '2.0.0',
            '2.0.0',
          ]);
          expect(s.got.map((r) => r.version)).toEqual(['v2', 'v2', 'v2']);
        },
      );
    });
  });

  describe('TestResponseProcessing', () => {
    const largeError = 'Error details: ' + 'detailed error information; '.repeat(1000);
    const written = (samples: number) => ({ samples, exemplars: 0, histograms: 0 });
    const cases: Array<{
      name: string;
      scrape: string;
      answer: Answer;
      /** 2xx: delivered; otherwise dropped with the receiver's words as the error. */
      check?: (s: Sender) => void;
    }> = [
      {
        name: 'ignore_response_body_on_success',
        scrape: 'test_metric 42\n',
        answer: { status: 204, body: 'This body should be ignored', written: written(1) },
      },
      {
        name: 'process_written_count_headers',
        scrape:
          '# Multiple samples\ntest_counter_total{label="a"} 100\ntest_counter_total{label="b"} 200\ntest_gauge{label="c"} 50\n',
        answer: { status: 204, written: written(3) },
      },
      {
        // some data accepted: a 400 is not retried, whatever the Written headers say
        name: 'handle_partial_write_response',
        scrape: '# Multiple samples\nsample_1 1\nsample_2 2\nsample_3 3\n',
        answer: {
          status: 400,
          body: 'Rejected 1 sample',
          headers: { 'X-Prometheus-Remote-Write-Samples-Written': '2' },
        },
      },
      {
        name: 'handle_missing_written_headers',
        scrape: 'test_metric 42\n',
        answer: { status: 400, body: 'Bad request' },
      },
      {
        name: 'log_error_messages_verbatim',
        scrape: 'test_metric 42\n',
        answer: { status: 400, body: "Error: Invalid label name '__invalid__'" },
        check: (s) => {
          const logged = s.logs.filter((l) => l.level === 'ERROR').map((l) => l.err);
          expect(logged).toContain(
            "server returned HTTP status 400 Bad Request: Error: Invalid label name '__invalid__'",
          );
        },
      },
      {
        name: 'handle_large_error_body',
        scrape: 'test_metric 42\n',
        answer: { status: 400, body: largeError },
        check: (s) => {
          // Prometheus reads at most 1 KiB of an error body (maxErrMsgLen)
          const logged = s.logs.find((l) => l.level === 'ERROR')?.err as string;
          expect(logged).toBe(`server returned HTTP status 400 Bad Request: ${largeError.slice(0, 1024)}`);
        },
      },
      {
        name: 'handle_204_no_content',
        scrape: 'test_metric 42\n',
        answer: { status: 204, written: written(1) },
      },
      {
        name: 'handle_200_ok',
        scrape: 'test_metric 42\n',
        answer: { status: 200, body: 'OK', written: written(1) },
      },
    ];
    it.each(rows(cases))('$name ($version)', async (c) => {
      await withSender({ version: c.version, answer: () => c.answer }, async (s) => {
        const ok = c.answer.status < 300;
        const errors = () => s.logs.filter((l) => l.level === 'ERROR');
        const n = await s.scrape(c.scrape);
        await s.until(() => s.got.length >= 1);
        const after = Date.now() + 1000;
        await s.scrape('after_metric 1\n', after);
        // the sender is done with the second batch: delivered (2xx) or dropped and logged
        await s.until(() =>
          ok ? s.highestSent() >= after : s.samplesOf('after_metric').length >= 1 && errors().length >= 2,
        );
        // sent once (no retry either way), in the configured version, then the next batch
        expect(s.got).toHaveLength(2);
        expect(samplesIn(s.got.slice(0, 1))).toBe(n);
        expect(namesOf(s.got)[1]).toEqual(['after_metric']);
        expect(s.got.map((r) => r.version)).toEqual([c.version, c.version]);
        if (ok) expect(s.lastError()).toBeUndefined();
        else expect(s.lastError()).toContain(c.answer.body?.slice(0, 1000));
        expect(errors()).toHaveLength(ok ? 0 : 2);
        c.check?.(s);
      });
    });
  });

  describe('TestEdgeCases', () => {
    const cases: ScrapeCase[] = [
      {
        name: 'huge_label_values',
        scrape: `test_metric{large_label="${'x'.repeat(10000)}"} 42\n`,
        check: (r) => expect(series(r, 'test_metric').labels.large_label).toBe('x'.repeat(10000)),
      },
      {
        name: 'unicode_in_labels',
        scrape: 'test_metric{emoji="🚀",chinese="测试",arabic="مرحبا",vietnamese="tôi yêu việt nam"} 42\n',
        check: (r) =>
          expect(series(r, 'test_metric').labels).toMatchObject({
            emoji: '🚀',
            chinese: '测试',
            arabic: 'مرحبا',
            vietnamese: 'tôi yêu việt nam',
          }),
      },
      {
        // the Go generator's rune arithmetic aside, the case is 100 distinct series in one scrape
        name: 'many_timeseries',
        scrape: Array.from({ length: 100 }, (_, i) => `metric_${String(i).padStart(3, '0')} ${i}\n`).join(''),
        check: (r) => {
          expect(r.series).toHaveLength(100);
          if (r.version === 'v2') expect(r.symbols.length).toBeGreaterThan(0);
          expect(firstValue(r, 'metric_099')).toBe(99);
        },
      },
      {
        name: 'high_cardinality',
        scrape: Array.from(
          { length: 50 },
          (_, i) =>
            `http_requests{path="/api/v1/endpoint_${String(i).padStart(2, '0')}",method="GET"} ${i}\n`,
        ).join(''),
        check: (r) => {
          expect(r.series).toHaveLength(50);
          if (r.version === 'v2') {
            expect(new Set(r.symbols).size).toBe(r.symbols.length);
            // "", 50 paths, http_requests, GET, job and instance values, __name__/path/method/job/instance
            expect(r.symbols).toHaveLength(1 + 50 + 4 + 5);
          }
        },
      },
      {
        name: 'very_long_metric_name',
        scrape: `metric_${'very_long_name_'.repeat(50)} 42\n`,
        check: (r) => series(r, `metric_${'very_long_name_'.repeat(50)}`),
      },
      {
        name: 'special_float_combinations',
        scrape:
          'special_values{type="nan"} NaN\nspecial_values{type="inf"} +Inf\nspecial_values{type="ninf"} -Inf\n' +
          'special_values{type="zero"} 0\nspecial_values{type="negative"} -123.45\n',
        check: (r) => {
          const byType = Object.fromEntries(
            r.series
              .filter((s) => s.labels.__name__ === 'special_values')
              .map((s) => [s.labels.type, s.samples[0].value]),
          );
          expect(byType).toEqual({ nan: NaN, inf: Infinity, ninf: -Infinity, zero: 0, negative: -123.45 });
        },
      },
      {
        // a sample's own timestamp 0 (1970): kept as it is
        name: 'zero_timestamp',
        scrape: 'test_metric 42 0\n',
        check: (r) => expect(series(r, 'test_metric').samples[0].timestamp).toBe(0),
      },
      {
        name: 'future_timestamp',
        scrape: (now) => `test_metric 42 ${now + 24 * 3600 * 1000}\n`,
        check: (r, at) => expect(series(r, 'test_metric').samples[0].timestamp).toBe(at + 24 * 3600 * 1000),
      },
      {
        name: 'metric_name_with_colons',
        scrape: 'http:request:duration:seconds 0.5\n',
        check: (r) => expect(firstValue(r, 'http:request:duration:seconds')).toBe(0.5),
      },
      {
        name: 'mixed_sample_and_histogram_families',
        scrape: `# Counter
requests_total 100

# Gauge
temperature_celsius 22.5

# Histogram
response_time_bucket{le="0.1"} 50
response_time_bucket{le="+Inf"} 100
response_time_sum 10.5
response_time_count 100

# Summary
rpc_duration{quantile="0.5"} 0.05
rpc_duration{quantile="0.9"} 0.1
rpc_duration_sum 50.0
rpc_duration_count 1000
`,
        check: (r) =>
          expect(r.series.map((s) => s.labels.__name__).sort()).toEqual([
            'requests_total',
            'response_time_bucket',
            'response_time_bucket',
            'response_time_count',
            'response_time_sum',
            'rpc_duration',
            'rpc_duration',
            'rpc_duration_count',
            'rpc_duration_sum',
            'temperature_celsius',
          ]),
      },
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);

    it.each(VERSIONS)(
      'empty_scrape (%s): nothing sent for it, the next scrape goes out alone',
      async (version) => {
        await withSender({ version }, async (s) => {
          expect(await s.scrape('# No metrics\n')).toBe(0);
          await s.scrape('test_metric 42\n');
          await s.until(() => s.got.length >= 1);
          expect(namesOf(s.got)).toEqual([['test_metric']]);
          expect(s.got.every((r) => r.series.length > 0)).toBe(true);
        });
      },
    );

    // "StaleNaN" is no exposition syntax (the Go case's scrape fails to parse); the stale marker is
    // what the scrape loop writes when a series disappears, and it must reach the receiver bit for bit
    it.each(VERSIONS)('stale_marker (%s)', async (version) => {
      await withSender({ version }, async (s) => {
        const at = Date.now();
        await s.scrape('test_metric 42\n', at);
        await s.append({ __name__: 'test_metric' }, at + 1000, STALE_NAN);
        await s.until(() => s.samplesOf('test_metric').length >= 2);
        const [first, stale] = s.samplesOf('test_metric');
        expect(first.value).toBe(42);
        expect(stale.value).toBeNaN();
        expect(stale.timestamp).toBe(at + 1000);
        expect(hasValueBits(s.got[stale.request].raw, 0x7ff00000, 2)).toBe(true);
      });
    });
  });

  describe('TestRemoteWrite1Compatibility', () => {
    const v1 = (c: ScrapeCase): ScrapeCase => ({ ...c, versions: ['v1'] });
    const cases: ScrapeCase[] = [
      v1({
        name: 'rw1_version_header',
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['x-prometheus-remote-write-version']).toBe('0.1.0'),
      }),
      v1({
        name: 'rw1_content_type',
        scrape: 'test_metric 42\n',
        check: (r) => expect(r.headers['content-type']).toBe('application/x-protobuf'),
      }),
      v1({
        name: 'rw1_samples_encoding',
        scrape: 'test_counter_total 100\n',
        check: (r, at) =>
          expect(series(r, 'test_counter_total').samples).toEqual([
            { value: 100, timestamp: at, startTimestamp: 0 },
          ]),
      }),
      v1({
        name: 'rw1_labels_encoding',
        scrape: 'test_metric{label="value"} 42',
        check: (r) =>
          expect(series(r, 'test_metric').pairs).toEqual([
            '__name__',
            'test_metric',
            'instance',
            TARGET.instance,
            'job',
            TARGET.job,
            'label',
            'value',
          ]),
      }),
      v1({
        name: 'rw1_no_native_histograms',
        scrape:
          '# TYPE test_histogram histogram\ntest_histogram_count 100\ntest_histogram_sum 250.0\ntest_histogram_bucket{le="+Inf"} 100\n',
        check: (r) => {
          for (const s of r.series) expect(s.histograms).toEqual([]);
          expect(r.series.map((s) => s.labels.__name__).sort()).toEqual([
            'test_histogram_bucket',
            'test_histogram_count',
            'test_histogram_sum',
          ]);
        },
      }),
      v1({
        // 1.0 Samples have value and timestamp only
        name: 'rw1_no_start_timestamp',
        scrape: '# TYPE test_counter counter\ntest_counter_total 100\n',
        check: (r) => {
          const fields = fieldNumbers(r.raw, [1, 2]);
          expect(fields.has(3)).toBe(false);
        },
      }),
      v1({
        // labels inline in each TimeSeries: no symbols (2.0 field 4) and no 2.0 timeseries (field 5)
        name: 'rw1_symbol_table_not_used',
        scrape:
          'http_requests{method="GET",status="200"} 100\nhttp_requests{method="POST",status="200"} 50\n',
        check: (r) => {
          expect([...fieldNumbers(r.raw)]).toEqual([1]);
          expect(r.series.map((s) => s.labels.method).sort()).toEqual(['GET', 'POST']);
        },
      }),
    ];
    it.each(rows(cases))('$name ($version)', runScrapeCase);

    // metadata goes separately in 1.0: its own requests from the metadata watcher
    it('rw1_metadata_handling (v1)', async () => {
      await withSender({ version: 'v1', metadata: true }, async (s) => {
        await s.scrape(
          '# HELP test_metric Test metric description\n# TYPE test_metric counter\ntest_metric 42\n',
        );
        await s.until(
          () => s.got.some((r) => r.metadata.length > 0) && s.samplesOf('test_metric').length >= 1,
        );
        const md = s.got.find((r) => r.metadata.length > 0)!;
        expect(md.series).toEqual([]);
        expect(md.metadata).toEqual([
          { type: 1, metric_family_name: 'test_metric', help: 'Test metric description', unit: '' },
        ]);
        expect(md.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
      });
    });
  });

  describe('TestRemoteWrite1Configuration', () => {
    it('without protobuf_message the sender speaks 1.0', async () => {
      await withSender({ version: undefined }, async (s) => {
        await s.scrape('test_metric 42\n');
        await s.until(() => s.got.length >= 1);
        expect(s.got[0].headers['x-prometheus-remote-write-version']).toBe('0.1.0');
        expect(s.got[0].version).toBe('v1');
        expect(firstValue(s.got[0], 'test_metric')).toBe(42);
      });
    });
  });
});
