// prometheus/compliance's remote write receiver suite (remotewrite/receiver/*_test.go, at 67b8327),
// ported case for case and run against a real server with --web.enable-remote-write-receiver.
// Each request is built as the suite's generateRequest builds it (one TimeSeries per sample or native
// histogram, exemplars attached to the sample or histogram with the same labels, metadata by metric
// name, leftovers as series of their own). Each answer must be Prometheus 3.14's: the status, and the
// X-Prometheus-Remote-Write-*-Written headers its appendV2 counts (storage/remote/write_handler.go). It
// must also pass the suite's own validateResponse, and what was accepted must be stored, exactly, under
// the labels sent (checked with /api/v1/query, and with remote read where stale markers are involved,
// which PromQL does not show, and for native histograms, which must read back as sent).
// Cases follow the suite's order against one server per Go file, as the suite runs against one
// receiver: a series that several cases write collects all their samples, and the model below holds
// what the server must have for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CounterResetHint,
  CUSTOM_BUCKETS_SCHEMA,
  type Histogram,
  type Span,
} from '../../src/model/histogram.js';
import { isStaleNaN, NORMAL_NAN, STALE_NAN } from '../../src/model/value.js';
import {
  decodeReadResponse,
  encodeReadRequest,
  encodeWriteV1,
  encodeWriteV2,
  type MetricType,
  type ReadSeries,
  type WireExemplar,
  type WireHistogram,
  type WireMetadata,
  type WireSeries,
} from '../../src/remote/messages.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

type LabelMap = Record<string, string>;
type Answer = Awaited<ReturnType<ServerProcess['fetch']>>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Prometheus's maxAheadTime: samples and exemplars further ahead are refused. */
const MAX_AHEAD_MS = 10 * MINUTE;

const V2_HEADERS = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
  'X-Prometheus-Remote-Write-Version': '2.0.0',
};
// generateRW1Request: 1.0 clients send no version header
const V1_HEADERS = { 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf' };

// --- the suite's request builder (helpers_test.go) ---

interface SampleSpec {
  labels: LabelMap;
  value: number;
  offsetMs?: number;
  /** The created (start) timestamp, relative to the request's time. */
  createdOffsetMs?: number;
}

/** HistogramWithLabels: a native histogram sample (the suite sends integer histograms only). */
interface HistogramSpec {
  labels: LabelMap;
  histogram: Histogram;
  offsetMs?: number;
  /** The created (start) timestamp, relative to the request's time. */
  createdOffsetMs?: number;
}

interface ExemplarSpec {
  labels: LabelMap;
  exemplarLabels: LabelMap;
  value: number;
  offsetMs?: number;
}

interface MetadataSpec {
  labels: LabelMap;
  type: MetricType;
  help: string;
  unit: string;
}

interface RequestOpts {
  samples?: SampleSpec[];
  histograms?: HistogramSpec[];
  exemplars?: ExemplarSpec[];
  metadata?: MetadataSpec[];
  /** UnsafeRequest: skip the builder's sanity checks, keep metadata with an empty name. */
  unsafe?: boolean;
}

const basicMetric = (name: string): LabelMap => ({ __name__: name });
const testJobInstanceLabels = (): LabelMap => ({
  __name__: 'up',
  job: 'testjob',
  instance: 'localhost:9090',
});
const traceExemplar = (id: string): LabelMap => ({ trace_id: id });

/**
 * The suite's histogram(): exponential schema 0 (or custom buckets, schema -53), positive buckets
 * [1, 3, 4, 7, 8] as deltas [1, 2, 1, 3, 1] in spans {0,3} {2,2}, negative [1, 2] in {0,2}, a zero
 * bucket of 1, and the count that adds them up (99 with badCount). A zero bucket left out is 0 here,
 * as Prometheus reads an unset zero_count.
 */
function histogram(
  sum: number,
  includePositive: boolean,
  includeNegative: boolean,
  includeZero: boolean,
  useCustomBuckets: boolean,
  badCount: boolean,
): Histogram {
  let positiveSpans: Span[] = [];
  let positiveBuckets: number[] = [];
  let negativeSpans: Span[] = [];
  let negativeBuckets: number[] = [];
  let count = 0;
  if (includePositive) {
    positiveSpans = [
      { offset: 0, length: 3 },
      { offset: 2, length: 2 },
    ];
    positiveBuckets = [1, 2, 1, 3, 1];
    count += 23;
  }
  if (includeNegative) {
    negativeSpans = [{ offset: 0, length: 2 }];
    negativeBuckets = [1, 1];
    count += 3;
  }
  if (includeZero) count += 1;
  if (useCustomBuckets) {
    // six custom buckets [2, 3, 5, 8, 7, 5], 30 in all, replacing the exponential ones
    positiveSpans = [{ offset: 0, length: 6 }];
    positiveBuckets = [2, 1, 2, 3, -1, -2];
    count = 30;
  }
  if (badCount) count = 99;
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: useCustomBuckets ? CUSTOM_BUCKETS_SCHEMA : 0,
    zeroThreshold: 0,
    zeroCount: includeZero ? 1 : 0,
    count,
    sum,
    positiveSpans,
    positiveBuckets,
    negativeSpans,
    negativeBuckets,
    ...(useCustomBuckets ? { customValues: [0.1, 0.5, 1.0, 2.5, 5.0, 10.0] } : {}),
  };
}

const nameOf = (l: LabelMap): string => l.__name__ ?? '';
const pairsOf = (l: LabelMap): string[] => Object.entries(l).flat();
const keyOf = (l: LabelMap): string => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

function sameLabels(a: LabelMap, b: LabelMap): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/** Distinct, increasing request times, as the suite's 10 ms ticker gives. */
let lastNow = 0;
function tick(): number {
  lastNow = Math.max(Date.now(), lastNow + 1);
  return lastNow;
}

/**
 * generateRequest's TimeSeries for `opts` at `now`: samples, then histograms, then exemplars and
 * metadata left over. Labels keep the order given (the suite's is a Go map's).
 */
function buildSeries(opts: RequestOpts, now: number): WireSeries[] {
  const samples = opts.samples ?? [];
  const histograms = opts.histograms ?? [];
  const exemplars = opts.exemplars ?? [];
  const metadata = opts.metadata ?? [];
  const unsafe = opts.unsafe ?? false;
  const points: Array<{ labels: LabelMap }> = [...samples, ...histograms];
  if (!unsafe) {
    if (samples.length > 0 && histograms.length > 0)
      throw new Error('cannot have both Samples and Histograms in the same request');
    for (const e of exemplars)
      if (!points.some((p) => sameLabels(p.labels, e.labels)))
        throw new Error('exemplar has no matching sample or histogram with same label set');
    for (const m of metadata)
      if (!points.some((p) => nameOf(p.labels) === nameOf(m.labels)))
        throw new Error('metadata has no matching sample or histogram with same metric name');
  }
  const wireMetadata = (m: MetadataSpec): WireMetadata => ({
    type: m.type,
    family: '',
    help: m.help,
    unit: m.unit,
  });
  const byName = new Map<string, WireMetadata>();
  for (const m of metadata)
    if (nameOf(m.labels) !== '' || unsafe) byName.set(nameOf(m.labels), wireMetadata(m));
  const wireExemplar = (e: ExemplarSpec): WireExemplar => ({
    labels: pairsOf(e.exemplarLabels),
    v: e.value,
    t: now + (e.offsetMs ?? 0),
  });

  const used = new Set<number>();
  const out: WireSeries[] = [];
  /** One TimeSeries per sample (or histogram), with its exemplars and its name's metadata. */
  const emit = <P extends SampleSpec | HistogramSpec>(
    list: P[],
    data: (p: P, t: number) => Pick<WireSeries, 'samples' | 'histograms'>,
  ): void => {
    const lastOfSeries = new Map<string, number>();
    list.forEach((p, i) => lastOfSeries.set(keyOf(p.labels), i));
    list.forEach((p, i) => {
      const isLast = lastOfSeries.get(keyOf(p.labels)) === i;
      const attached: WireExemplar[] = [];
      for (const [ei, e] of exemplars.entries()) {
        if (used.has(ei) || !sameLabels(p.labels, e.labels)) continue;
        attached.push(wireExemplar(e));
        used.add(ei);
        // a sample that is not its series' last takes one exemplar; the last takes the rest
        if (!isLast) break;
      }
      const name = nameOf(p.labels);
      const meta = name !== '' || unsafe ? byName.get(name) : undefined;
      out.push({
        labels: pairsOf(p.labels),
        ...data(p, now + (p.offsetMs ?? 0)),
        exemplars: attached,
        ...(meta === undefined ? {} : { metadata: meta }),
        // the suite (Prometheus v0.306 types) sends TimeSeries.created_timestamp; 3.14 reads
        // Sample.start_timestamp and Histogram.start_timestamp
        startTimestamp: p.createdOffsetMs === undefined ? 0 : now + p.createdOffsetMs,
      });
    });
  };
  emit(samples, (s, t) => ({ samples: [{ t, v: s.value }], histograms: [] }));
  emit(histograms, (h, t) => ({ samples: [], histograms: [{ t, h: h.histogram }] }));
  // exemplars and metadata without a sample or histogram go out as series of their own
  exemplars.forEach((e, i) => {
    if (used.has(i) || points.some((p) => sameLabels(p.labels, e.labels))) return;
    out.push({
      labels: pairsOf(e.labels),
      samples: [],
      exemplars: [wireExemplar(e)],
      histograms: [],
      startTimestamp: 0,
    });
  });
  for (const m of metadata) {
    const name = nameOf(m.labels);
    if (name === '' || points.some((p) => nameOf(p.labels) === name)) continue;
    out.push({
      labels: pairsOf(m.labels),
      samples: [],
      exemplars: [],
      histograms: [],
      metadata: wireMetadata(m),
      startTimestamp: 0,
    });
  }
  return out;
}

const v2Body = (series: WireSeries[]): Buffer =>
  snappy.compressSync(Buffer.from(encodeWriteV2({ series, metadata: [] })));

// --- the suite's verdict (validateResponse in helpers_test.go) ---

/** requestParams, with runComplianceTest's success and strict folded in. */
interface SuiteParams {
  samples?: number;
  exemplars?: number;
  histograms?: number;
  success: boolean;
  /** The SHOULD variant: a 2xx must be 204. */
  strict?: boolean;
  exactCode?: number;
}

function writtenHeader(res: Answer, kind: string): number {
  // "Senders CAN assume that any missing X-Prometheus-Remote-Write-*-Written response header means
  // no element from this category (e.g. Sample) was written"
  return Number(res.headers.get(`x-prometheus-remote-write-${kind}-written`) ?? '0');
}

function expectSuiteVerdict(p: SuiteParams, res: Answer): void {
  const want = { samples: p.samples ?? 0, exemplars: p.exemplars ?? 0, histograms: p.histograms ?? 0 };
  const got = {
    samples: writtenHeader(res, 'samples'),
    exemplars: writtenHeader(res, 'exemplars'),
    histograms: writtenHeader(res, 'histograms'),
  };
  if (p.exactCode !== undefined) expect(res.status).toBe(p.exactCode);
  switch (Math.floor(res.status / 100)) {
    case 2:
      expect(p.success, `answered ${res.status}, the suite expects a failure`).toBe(true);
      expect(got).toEqual(want);
      if (p.strict === true) expect(res.status).toBe(204);
      break;
    case 4:
      if (p.exactCode === undefined) expect(res.status).toBe(400);
      expect(got.samples).toBeLessThanOrEqual(want.samples);
      expect(got.exemplars).toBeLessThanOrEqual(want.exemplars);
      expect(got.histograms).toBeLessThanOrEqual(want.histograms);
      break;
    default:
      // a 5xx needs `retryable`, which no case of the suite sets
      expect.fail(`answered ${res.status}, which the suite does not accept here`);
  }
}

// --- the server, and what it must hold ---

interface Acceptance {
  samples: number;
  histograms: number;
  exemplars: number;
  /** Series that got samples or histograms, and series refused for their labels. */
  stored: LabelMap[];
  refused: LabelMap[];
}

interface SeriesModel {
  labels: LabelMap;
  /** Float samples, in time order. */
  samples: Array<[number, number]>;
  /** Histogram samples as sent, in time order, and the counter-reset hints each may read back with. */
  histograms: WireHistogram[];
  hints: CounterResetHint[][];
  /** The newest timestamp of either kind: nothing older or equal goes in. */
  maxT: number;
}

const CHUNK_RANGE_MS = 2 * HOUR;

/**
 * Prometheus's Histogram.Validate on the suite's histograms (integer, sum not NaN): the buckets and
 * the zero bucket must add up to the count exactly (ErrHistogramCountMismatch otherwise).
 */
function countAddsUp(h: Histogram): boolean {
  let total = h.zeroCount;
  for (const deltas of [h.positiveBuckets, h.negativeBuckets]) {
    let c = 0;
    for (const d of deltas) total += c += d;
  }
  return total === h.count;
}

/**
 * The hint a histogram reads back with, as Prometheus's head chunks give it (chunkenc's
 * counterResetHint): "unknown" for the first sample of a chunk, "not a reset" for the rest. A chunk
 * starts with the series, on a counter reset (the count or the zero bucket going down), and on a
 * schema, zero threshold or custom bounds change (the only changes these cases' sequences make). It
 * also starts at a 2h chunk range boundary, where Promethium, which does not cut histogram chunks by
 * time, keeps "not a reset": a run straddling one accepts both.
 */
function readBackHints(prev: WireHistogram | undefined, x: WireHistogram): CounterResetHint[] {
  const p = prev?.h;
  const h = x.h!;
  if (
    p === undefined ||
    h.count < p.count ||
    h.zeroCount < p.zeroCount ||
    h.schema !== p.schema ||
    h.zeroThreshold !== p.zeroThreshold ||
    JSON.stringify(h.customValues) !== JSON.stringify(p.customValues)
  )
    return [CounterResetHint.Unknown];
  if (Math.floor(x.t / CHUNK_RANGE_MS) !== Math.floor(prev!.t / CHUNK_RANGE_MS))
    return [CounterResetHint.Unknown, CounterResetHint.NotCounterReset];
  return [CounterResetHint.NotCounterReset];
}

class Receiver {
  server!: ServerProcess;
  private dir = '';
  /** Per series: what the server must hold. */
  private readonly model = new Map<string, SeriesModel>();

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-rw-compliance-'));
    this.server = await startServer([
      `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
      '--web.enable-remote-write-receiver',
    ]);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * What Prometheus 3.14 appends of these series (writeV2/appendV2, and write for 1.0 when every
   * sample is in order): series without a metric name are refused; series without samples or
   * histograms append nothing, exemplars included; a sample or histogram not newer than its series'
   * last is out of order; a histogram whose buckets do not add up to its count is invalid; exemplars
   * of appended series count as written (exemplar storage is off by default).
   */
  accept(series: WireSeries[], now: number): Acceptance {
    const out: Acceptance = { samples: 0, histograms: 0, exemplars: 0, stored: [], refused: [] };
    for (const s of series) {
      const labels: LabelMap = {};
      for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]] = s.labels[i + 1];
      if (nameOf(labels) === '') {
        out.refused.push(labels);
        continue;
      }
      if (s.samples.length === 0 && s.histograms.length === 0) continue;
      const key = keyOf(labels);
      let entry = this.model.get(key);
      const modelOf = (): SeriesModel => {
        if (entry === undefined) {
          entry = { labels, samples: [], histograms: [], hints: [], maxT: -Infinity };
          this.model.set(key, entry);
        }
        return entry;
      };
      for (const x of s.samples) {
        if (entry !== undefined && x.t <= entry.maxT) continue;
        const e = modelOf();
        e.samples.push([x.t, x.v]);
        e.maxT = x.t;
        out.samples++;
      }
      for (const x of s.histograms) {
        if ((entry !== undefined && x.t <= entry.maxT) || !countAddsUp(x.h!)) continue;
        const e = modelOf();
        e.hints.push(readBackHints(e.histograms[e.histograms.length - 1], x));
        e.histograms.push(x);
        e.maxT = x.t;
        out.histograms++;
      }
      out.exemplars += s.exemplars.filter((e) => e.t <= now + MAX_AHEAD_MS).length;
      if (entry !== undefined) out.stored.push(labels);
    }
    return out;
  }

  /** Every series `acc` touched holds exactly the model's samples; refused series hold nothing. */
  async expectStored(acc: Pick<Acceptance, 'stored' | 'refused'>): Promise<void> {
    const seen = new Set<string>();
    for (const labels of acc.stored) {
      const key = keyOf(labels);
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = this.model.get(key)!;
      const want = entry.samples;
      if (entry.histograms.length > 0) {
        // native histograms: read back through remote read, as sent, with the hints chunks give
        const from = Math.min(want[0]?.[0] ?? Infinity, entry.histograms[0].t);
        const read = await this.remoteRead(labels, from, entry.maxT);
        expect(read.samples.map(({ t, v }) => tagStale([t, v]))).toEqual(want.map(tagStale));
        const got = read.histograms ?? [];
        expect(got, JSON.stringify(labels)).toEqual(
          entry.histograms.map((x, i) => {
            const hint = got[i]?.h?.counterResetHint;
            const allowed = entry.hints[i];
            return {
              t: x.t,
              h: {
                ...x.h!,
                counterResetHint: hint !== undefined && allowed.includes(hint) ? hint : allowed[0],
              },
            };
          }),
        );
        continue;
      }
      const last = want[want.length - 1][0];
      const result = await this.rangeQuery(labels, last);
      // PromQL does not show stale markers; remote read shows them, with their bits
      const visible = want.filter(([, v]) => !isStaleNaN(v));
      expect(result, JSON.stringify(labels)).toEqual(visible.length === 0 ? [] : [visible]);
      if (want.some(([, v]) => isStaleNaN(v)))
        expect(
          (await this.remoteRead(labels, want[0][0], last)).samples.map(({ t, v }) => tagStale([t, v])),
        ).toEqual(want.map(tagStale));
    }
    for (const labels of acc.refused) {
      // a selector needs one matcher that does not match the empty string
      if (Object.values(labels).every((v) => v === '')) continue;
      expect(await this.rangeQuery(labels, tick()), JSON.stringify(labels)).toEqual([]);
    }
  }

  /** The samples of the series with exactly these labels, by `{...}[3h]` at `atMs`. */
  private async rangeQuery(labels: LabelMap, atMs: number): Promise<Array<Array<[number, number]>>> {
    const matchers = Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`);
    if (!Object.hasOwn(labels, '__name__')) matchers.push('"__name__"=""');
    const q = `{${matchers.join(',')}}[3h]`;
    const res = await this.server.fetch(`/api/v1/query?query=${encodeURIComponent(q)}&time=${atMs / 1000}`);
    const body = (await res.json()) as {
      status: string;
      data: { resultType: string; result: Array<{ metric: LabelMap; values: Array<[number, string]> }> };
    };
    expect(body.status, JSON.stringify(body)).toBe('success');
    expect(body.data.resultType).toBe('matrix');
    return body.data.result
      .filter((r) => sameLabels(r.metric, labels))
      .map((r) => r.values.map(([t, v]): [number, number] => [Math.round(t * 1000), promValue(v)]));
  }

  private async remoteRead(labels: LabelMap, startMs: number, endMs: number): Promise<ReadSeries> {
    const req = encodeReadRequest({
      queries: [
        {
          startMs,
          endMs,
          matchers: Object.entries(labels).map(([name, value]) => ({ type: '=' as const, name, value })),
        },
      ],
      acceptedResponseTypes: [0],
    });
    const res = await this.server.fetch('/api/v1/read', {
      method: 'POST',
      body: snappy.compressSync(Buffer.from(req)),
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    expect(res.status).toBe(200);
    const [series] = decodeReadResponse(
      snappy.uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer,
    );
    const mine = series.filter((s) => {
      const l: LabelMap = {};
      for (let i = 0; i < s.labels.length; i += 2) l[s.labels[i]] = s.labels[i + 1];
      return sameLabels(l, labels);
    });
    expect(mine).toHaveLength(1);
    return mine[0];
  }
}

const tagStale = ([t, v]: [number, number]): [number, unknown] => [t, isStaleNaN(v) ? 'StaleNaN' : v];

function promValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return s === 'NaN' ? NaN : Number(s);
}

/** One server for the cases of a describe block, in order. */
function receiverFixture(): Receiver {
  const rcv = new Receiver();
  beforeAll(() => rcv.start());
  afterAll(() => rcv.stop());
  return rcv;
}

// --- the cases ---

interface Case {
  /** The Go subtest's name. */
  name: string;
  opts: RequestOpts;
  params: SuiteParams;
  /** Prometheus 3.14's status for this request, in the suite's order against one receiver. */
  status: number;
}

/**
 * runComplianceTest: a case expected to succeed runs twice, "<name> returns 204" (SHOULD: strictly
 * 204) and "<name>" (MUST); one expected to fail runs once. `status` is Prometheus's answer, per run
 * when they differ.
 */
function compliance(
  name: string,
  opts: RequestOpts,
  counts: Omit<SuiteParams, 'success' | 'strict' | 'exactCode'>,
  expectSuccess: boolean,
  status: number | [number, number],
): Case[] {
  const [strictStatus, mustStatus] = typeof status === 'number' ? [status, status] : status;
  const must: Case = {
    name: name === '' ? 'MUST' : name,
    opts,
    params: { ...counts, success: expectSuccess },
    status: mustStatus,
  };
  if (!expectSuccess) return [must];
  return [
    {
      name: name === '' ? 'returns 204' : `${name} returns 204`,
      opts,
      params: { ...counts, success: true, strict: true },
      status: strictStatus,
    },
    must,
  ];
}

/** Sends a case's 2.0 request; checks the status, the Written headers, the suite's verdict, the storage. */
async function run(rcv: Receiver, c: Case): Promise<void> {
  const now = tick();
  const series = buildSeries(c.opts, now);
  const acc = rcv.accept(series, now);
  const res = await rcv.server.fetch('/api/v1/write', {
    method: 'POST',
    body: v2Body(series),
    headers: V2_HEADERS,
  });
  const text = await res.text();
  expect(res.status, text).toBe(c.status);
  // Prometheus answers the three headers on every 2.0 request its storage saw, 204 or 400
  expect({
    samples: res.headers.get('x-prometheus-remote-write-samples-written'),
    exemplars: res.headers.get('x-prometheus-remote-write-exemplars-written'),
    histograms: res.headers.get('x-prometheus-remote-write-histograms-written'),
  }).toEqual({
    samples: String(acc.samples),
    exemplars: String(acc.exemplars),
    histograms: String(acc.histograms),
  });
  expectSuiteVerdict(c.params, res);
  await rcv.expectStored(acc);
}

const VALUES: Array<[string, number]> = [
  ['1.0', 1.0],
  ['StaleNaN', STALE_NAN],
  ['NaN', NORMAL_NAN],
  ['Inf', Infinity],
  ['-Inf', -Infinity],
];

describe('metric_test.go', () => {
  const rcv = receiverFixture();

  const single: Case[] = VALUES.flatMap(([k, v]) =>
    (
      [
        ['simple metric', basicMetric('up'), true],
        ['simple metric with multiple labels', testJobInstanceLabels(), true],
        [
          'simple metric with newlines',
          { __name__: 'up', job: 'test\njob\n', instance: 'localhost:9090' },
          true,
        ],
        [
          'simple metric with dots',
          { __name__: 'resource.cpu.usage', 'job.name': 'testjob', 'instance.name': 'localhost:9090' },
          true,
        ],
        [
          'simple metric with spaces',
          { __name__: 'resource cpu usage', 'job name': 'testjob', 'instance name': 'localhost:9090' },
          true,
        ],
        ['simple metric without name label', { job: 'testjob', instance: 'localhost:9090' }, false],
        ['empty metric', {}, false],
      ] as Array<[string, LabelMap, boolean]>
    ).flatMap(([name, labels, ok]) =>
      compliance(`${k}/${name}`, { samples: [{ labels, value: v }] }, { samples: 1 }, ok, ok ? 204 : 400),
    ),
  );
  describe('TestSingleMetric', () => {
    it.each(single)('$name', (c) => run(rcv, c));
  });

  describe('TestCounterWithCreatedTimestamp', () => {
    const sample: SampleSpec = {
      labels: { __name__: 'http_requests_total', job: 'api' },
      value: 100,
      createdOffsetMs: -HOUR,
    };
    // created-timestamp-zero-ingestion is off by default: no zero sample at the created timestamp
    it.each(compliance('', { samples: [sample] }, { samples: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  const multiple: Case[] = VALUES.flatMap(([k, v]) => {
    const up = (instance: string, named = true): SampleSpec => ({
      labels: named ? { __name__: 'up', job: 'testjob', instance } : { job: 'testjob', instance },
      value: v,
    });
    const ports = ['9090', '9091', '9092', '9093'].map((p) => `localhost:${p}`);
    return [
      // all of them go in
      ...compliance(`${k}/multiple metrics`, { samples: ports.map((i) => up(i)) }, { samples: 4 }, true, 204),
      // 2.0 refuses the nameless series with 400 and writes the rest
      ...compliance(
        `${k}/multiple metrics, without name label`,
        { samples: ports.map((i) => up(i, false)) },
        { samples: 0 },
        false,
        400,
      ),
      ...compliance(
        `${k}/multiple metrics, 1 without name label`,
        { samples: ports.map((i, n) => up(i, n !== 0)) },
        { samples: 3 },
        false,
        400,
      ),
    ];
  });
  describe('TestMultipleMetrics', () => {
    it.each(multiple)('$name', (c) => run(rcv, c));
  });
});

describe('request_test.go', () => {
  const rcv = receiverFixture();

  /** The suite's request for up=1, its body's first byte set to `first` (corruptRequestBody: '0'). */
  function corrupted(first: number): Buffer {
    const body = v2Body(buildSeries({ samples: [{ labels: basicMetric('up'), value: 1 }] }, tick()));
    // the first byte is the decoded length's varint: '0' (48) makes it wrong, so the body is corrupt
    expect(body[0]).not.toBe(first);
    body[0] = first;
    return body;
  }

  // Prometheus 3.14 decodes the snappy body before it looks at the Content-Type (client_golang's
  // SnappyDecodeMiddleware wraps the handler), so the suite's corrupted body is a 400 there, where the
  // suite wants exactly 415: Prometheus itself fails this case. An intact body gets the 415.
  describe('TestBadContentTypes', () => {
    it.each(['application/json', 'image/png'])('%s', async (contentType) => {
      const headers = { ...V2_HEADERS, 'Content-Type': contentType };
      const res = await rcv.server.fetch('/api/v1/write', { method: 'POST', body: corrupted(48), headers });
      expect(res.status, await res.text()).toBe(400);
      expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBeNull();
      const intact = v2Body(buildSeries({ samples: [{ labels: basicMetric('up'), value: 1 }] }, tick()));
      const again = await rcv.server.fetch('/api/v1/write', { method: 'POST', body: intact, headers });
      expect(again.status, await again.text()).toBe(415);
      await rcv.expectStored({ stored: [], refused: [basicMetric('up')] });
    });
  });

  describe('TestBadContentEncodings', () => {
    it.each(['gzip', 'deflate'])('%s', async (encoding) => {
      const headers = { ...V2_HEADERS, 'Content-Encoding': encoding };
      const res = await rcv.server.fetch('/api/v1/write', { method: 'POST', body: corrupted(48), headers });
      expect(res.status, await res.text()).toBe(415);
      expectSuiteVerdict({ exactCode: 415, success: false }, res);
      await rcv.expectStored({ stored: [], refused: [basicMetric('up')] });
    });
  });

  describe('TestCorruptRequestBody', () => {
    it('TestCorruptRequestBody', async () => {
      const res = await rcv.server.fetch('/api/v1/write', {
        method: 'POST',
        body: corrupted(48),
        headers: V2_HEADERS,
      });
      expect(res.status, await res.text()).toBe(400);
      expectSuiteVerdict({ success: false }, res);
      await rcv.expectStored({ stored: [], refused: [basicMetric('up')] });
    });
  });
});

describe('metadata_test.go', () => {
  const rcv = receiverFixture();

  const metadataCases: Array<[string, LabelMap, MetricType, string, string]> = [
    [
      'counter_metadata',
      basicMetric('http_requests_total'),
      'counter',
      'Total number of HTTP requests',
      'requests',
    ],
    ['gauge_metadata', basicMetric('cpu_usage_percent'), 'gauge', 'Current CPU usage percentage', 'percent'],
    [
      'histogram_metadata',
      basicMetric('request_duration_seconds'),
      'histogram',
      'Request duration in seconds',
      'seconds',
    ],
    ['metadata_no_help_no_unit', basicMetric('simple_counter'), 'counter', '', ''],
    [
      'metadata_with_special_chars',
      { __name__: 'test_metric', job: 'test' },
      'gauge',
      'Test metric with\nnewlines and "quotes"',
      'bytes/sec',
    ],
    ['unspecified_metadata_type', basicMetric('unknown_metric'), 'unknown', 'Unknown metric type', ''],
    ['info_metadata_type', basicMetric('build_info'), 'info', 'Build information', ''],
    ['stateset_metadata_type', basicMetric('node_state'), 'stateset', 'Node state information', ''],
    [
      'summary_metadata_type',
      basicMetric('request_latency_summary'),
      'summary',
      'Request latency summary',
      'seconds',
    ],
    [
      'gauge_histogram_metadata_type',
      basicMetric('temperature_histogram'),
      'gaugehistogram',
      'Temperature distribution gauge histogram',
      'celsius',
    ],
  ];
  describe('TestMetadata', () => {
    it.each(
      metadataCases.flatMap(([name, labels, type, help, unit]) =>
        // HISTOGRAM metadata goes with a histogram, the others with a sample
        type === 'histogram'
          ? compliance(
              name,
              {
                metadata: [{ labels, type, help, unit }],
                histograms: [{ labels, histogram: histogram(1.0, true, true, true, false, false) }],
              },
              { histograms: 1 },
              true,
              204,
            )
          : compliance(
              name,
              { metadata: [{ labels, type, help, unit }], samples: [{ labels, value: 1 }] },
              { samples: 1 },
              true,
              204,
            ),
      ),
    )('$name', (c) => run(rcv, c));
  });

  describe('TestCounterMetadataWithCreatedTimestamp', () => {
    const opts: RequestOpts = {
      samples: [
        { labels: { __name__: 'http_requests_total', job: 'api' }, value: 150, createdOffsetMs: -HOUR },
      ],
      metadata: [
        {
          labels: basicMetric('http_requests_total'),
          type: 'counter',
          help: 'Total HTTP requests',
          unit: 'requests',
        },
      ],
    };
    it.each(compliance('', opts, { samples: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMetadataWithSamples', () => {
    const opts: RequestOpts = {
      samples: [{ labels: { __name__: 'http_requests_total', job: 'test' }, value: 42 }],
      metadata: [
        {
          labels: basicMetric('http_requests_total'),
          type: 'counter',
          help: 'Total HTTP requests',
          unit: 'requests',
        },
      ],
    };
    it.each(compliance('', opts, { samples: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleMetadata', () => {
    const disk = { __name__: 'disk_usage', device: 'sda1' };
    const opts: RequestOpts = {
      samples: [
        { labels: basicMetric('cpu_usage'), value: 85.5 },
        { labels: basicMetric('memory_usage'), value: 4096000000 },
        { labels: disk, value: 75.2 },
      ],
      metadata: [
        { labels: basicMetric('cpu_usage'), type: 'gauge', help: 'CPU usage percentage', unit: 'percent' },
        { labels: basicMetric('memory_usage'), type: 'gauge', help: 'Memory usage in bytes', unit: 'bytes' },
        { labels: disk, type: 'gauge', help: 'Disk usage percentage', unit: 'percent' },
      ],
    };
    it.each(compliance('', opts, { samples: 3 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMetadataWithComplexLabels', () => {
    const labels = {
      __name__: 'http_request_duration_seconds',
      job: 'api-server',
      instance: 'localhost:8080',
      method: 'GET',
      status: '200',
      endpoint: '/api/v1/users',
    };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(0.25, true, true, true, false, false) }],
      metadata: [{ labels, type: 'histogram', help: 'HTTP request duration in seconds', unit: 'seconds' }],
    };
    it.each(compliance('', opts, { histograms: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMetadataValidation', () => {
    // runRequest, not runComplianceTest: one run each
    const cases: Case[] = (
      [
        ['metadata_without_name_label', { job: 'test' }, 'counter', false, false],
        // unsafe keeps the metadata of the empty name attached
        ['metadata_with_empty_name', { __name__: '' }, 'gauge', false, true],
        ['metadata_with_valid_name', basicMetric('valid_metric_name'), 'counter', true, false],
      ] as Array<[string, LabelMap, MetricType, boolean, boolean]>
    ).map(([name, labels, type, success, unsafe]) => ({
      name,
      opts: {
        metadata: [{ labels, type, help: 'Test help', unit: 'unit' }],
        samples: [{ labels, value: 1 }],
        unsafe,
      },
      params: { samples: 1, success },
      status: success ? 204 : 400,
    }));
    it.each(cases)('$name', (c) => run(rcv, c));
  });
});

describe('exemplar_test.go', () => {
  const rcv = receiverFixture();

  const exemplarCases: Array<[string, LabelMap, LabelMap, number]> = [
    ['basic_exemplar', { __name__: 'http_requests_total', job: 'api' }, traceExemplar('abc123def456'), 1.0],
    [
      'exemplar_with_span_id',
      { __name__: 'request_duration_seconds', method: 'GET' },
      { trace_id: 'xyz789', span_id: 'span123' },
      0.125,
    ],
    ['exemplar_without_trace_id', { __name__: 'cpu_usage', instance: 'host1' }, { user_id: 'user123' }, 0.85],
    [
      'exemplar_with_multiple_labels',
      { __name__: 'request_latency', service: 'auth' },
      { trace_id: 'trace456', user: 'admin', endpoint: '/login' },
      0.05,
    ],
    ['exemplar_no_labels', basicMetric('simple_counter'), {}, 1.0],
    [
      'exemplar_with_special_chars',
      basicMetric('test_metric'),
      traceExemplar('trace-with-dashes_and_underscores.123'),
      42.0,
    ],
    [
      'exemplar_with_unicode',
      { __name__: 'unicode_test', region: '🌍' },
      traceExemplar('unicode_trace_测试'),
      100.0,
    ],
  ];
  describe('TestExemplars', () => {
    it.each(
      exemplarCases.flatMap(([name, labels, exemplarLabels, value]) =>
        compliance(
          name,
          { samples: [{ labels, value }], exemplars: [{ labels, exemplarLabels, value }] },
          { samples: 1, exemplars: 1 },
          true,
          204,
        ),
      ),
    )('$name', (c) => run(rcv, c));
  });

  describe('TestExemplarWithCreatedTimestamp', () => {
    const labels = { __name__: 'http_requests_total', job: 'api' };
    const opts: RequestOpts = {
      samples: [{ labels, value: 250, createdOffsetMs: -2 * HOUR }],
      exemplars: [{ labels, exemplarLabels: { trace_id: 'abc123', span_id: 'span456' }, value: 250 }],
    };
    it.each(compliance('', opts, { samples: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleExemplars', () => {
    const get = { __name__: 'request_duration', method: 'GET' };
    const post = { __name__: 'request_duration', method: 'POST' };
    const errors = { __name__: 'error_count', service: 'payment' };
    const opts: RequestOpts = {
      samples: [
        { labels: get, value: 0.1 },
        { labels: post, value: 0.25 },
        { labels: errors, value: 1.0 },
      ],
      exemplars: [
        { labels: get, exemplarLabels: { trace_id: 'trace1', span_id: 'span1' }, value: 0.1 },
        { labels: post, exemplarLabels: { trace_id: 'trace2', span_id: 'span2' }, value: 0.25 },
        { labels: errors, exemplarLabels: { trace_id: 'trace3', user: 'test_user' }, value: 1.0 },
      ],
    };
    it.each(compliance('', opts, { samples: 3, exemplars: 3 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestExemplarTimestamps', () => {
    const labels = basicMetric('latency_hist');
    const opts: RequestOpts = {
      samples: [
        { labels, value: 0.05, offsetMs: -HOUR },
        { labels, value: 0.15, offsetMs: -MINUTE },
        { labels, value: 0.08 },
      ],
      exemplars: [
        { labels, exemplarLabels: { trace_id: 'old_trace' }, value: 0.05, offsetMs: -HOUR },
        { labels, exemplarLabels: { trace_id: 'recent_trace' }, value: 0.15, offsetMs: -MINUTE },
        { labels, exemplarLabels: { trace_id: 'current_trace' }, value: 0.08 },
      ],
    };
    // The second run's samples an hour and a minute back are older than the first run's newest sample
    // of the same series: out of order, so Prometheus answers 400 having written 1 sample (and the 3
    // exemplars), which the suite accepts as a 4xx.
    it.each(compliance('', opts, { samples: 3, exemplars: 3 }, true, [204, 400]))('$name', (c) =>
      run(rcv, c),
    );
  });

  describe('TestExemplarValidation', () => {
    const cases: Case[] = (
      [
        ['exemplar_without_name_label', { job: 'test' }, false],
        ['exemplar_with_empty_name', { __name__: '' }, false],
        ['exemplar_with_valid_name', basicMetric('valid_metric'), true],
      ] as Array<[string, LabelMap, boolean]>
    ).map(([name, labels, success]) => ({
      name,
      opts: {
        samples: [{ labels, value: 1 }],
        exemplars: [{ labels, exemplarLabels: { trace_id: 'test_trace' }, value: 1 }],
      },
      params: { samples: 1, exemplars: 1, success },
      status: success ? 204 : 400,
    }));
    it.each(cases)('$name', (c) => run(rcv, c));
  });

  describe('TestExemplarSpecialValues', () => {
    const values: Array<[string, number]> = [
      ['zero_value', 0],
      ['negative_value', -123.456],
      ['large_value', 1e10],
      ['small_value', 1e-10],
      ['nan_value', NORMAL_NAN],
      ['inf_value', Infinity],
      ['-inf_value', -Infinity],
    ];
    const labels = basicMetric('test_metric');
    it.each(
      values.flatMap(([name, value]) =>
        compliance(
          name,
          {
            samples: [{ labels, value }],
            exemplars: [{ labels, exemplarLabels: traceExemplar('special_value_trace'), value }],
          },
          { samples: 1, exemplars: 1 },
          true,
          204,
        ),
      ),
    )('$name', (c) => run(rcv, c));
  });
});

describe('histograms_test.go', () => {
  const rcv = receiverFixture();

  describe('TestHistograms', () => {
    // name, labels, positive, negative, zero, custom buckets, expected to succeed, bad count
    const cases: Array<[string, LabelMap, boolean, boolean, boolean, boolean, boolean, boolean]> = [
      ['basic_histogram', basicMetric('test_histogram'), true, true, true, false, true, false],
      ['custom_buckets_histogram', basicMetric('test_histogram'), true, false, false, true, true, false],
      [
        'positive_only_histogram',
        { __name__: 'test_histogram', job: 'test' },
        true,
        false,
        true,
        false,
        true,
        false,
      ],
      [
        'negative_only_histogram',
        { __name__: 'test_histogram', instance: 'localhost' },
        false,
        true,
        false,
        false,
        true,
        false,
      ],
      ['minimal_histogram', basicMetric('minimal_hist'), false, false, true, false, true, false],
      // 99 where the buckets add up to 23: Prometheus's Validate refuses it (count mismatch), a 400
      // with nothing written
      ['bad_count_histogram', basicMetric('minimal_hist'), true, false, false, false, false, true],
    ];
    it.each(
      cases.flatMap(([name, labels, pos, neg, zero, custom, ok, badCount]) =>
        compliance(
          name,
          { histograms: [{ labels, histogram: histogram(1.0, pos, neg, zero, custom, badCount) }] },
          { histograms: 1 },
          ok,
          ok ? 204 : 400,
        ),
      ),
    )('$name', (c) => run(rcv, c));
  });

  describe('TestHistogramWithCreatedTimestamp', () => {
    const opts: RequestOpts = {
      histograms: [
        {
          labels: { __name__: 'request_duration_seconds', job: 'api' },
          histogram: histogram(1.5, true, true, true, false, false),
          createdOffsetMs: -30 * MINUTE,
        },
      ],
    };
    // created-timestamp-zero-ingestion is off by default: no zero histogram at the created timestamp
    it.each(compliance('', opts, { histograms: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleHistograms', () => {
    const opts: RequestOpts = {
      histograms: [
        {
          labels: { __name__: 'hist1', job: 'test' },
          histogram: histogram(10.5, true, false, true, false, false),
        },
        {
          labels: { __name__: 'hist2', job: 'test' },
          histogram: histogram(5.2, false, true, false, false, false),
        },
      ],
    };
    it.each(compliance('', opts, { histograms: 2 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestEmptyHistogram', () => {
    const opts: RequestOpts = {
      histograms: [
        { labels: basicMetric('empty_hist'), histogram: histogram(0, false, false, false, false, false) },
      ],
    };
    it.each(compliance('', opts, { histograms: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestHistogramWithMetadata', () => {
    // the series TestHistogramWithCreatedTimestamp wrote, with another sum
    const opts: RequestOpts = {
      histograms: [
        {
          labels: { __name__: 'request_duration_seconds', job: 'api' },
          histogram: histogram(2.5, true, true, true, false, false),
        },
      ],
      metadata: [
        {
          labels: basicMetric('request_duration_seconds'),
          type: 'histogram',
          help: 'HTTP request duration in seconds',
          unit: 'seconds',
        },
      ],
    };
    it.each(compliance('', opts, { histograms: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestHistogramWithExemplar', () => {
    const labels = { __name__: 'http_request_duration_seconds', method: 'GET' };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(1.23, true, false, true, false, false) }],
      exemplars: [{ labels, exemplarLabels: { trace_id: 'abc123def456', span_id: 'span789' }, value: 1.23 }],
    };
    it.each(compliance('', opts, { histograms: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestHistogramWithMetadataAndExemplar', () => {
    const labels = { __name__: 'response_size_bytes', service: 'upload' };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(10485760, true, true, true, false, false) }],
      metadata: [
        {
          labels: basicMetric('response_size_bytes'),
          type: 'histogram',
          help: 'HTTP response size in bytes',
          unit: 'bytes',
        },
      ],
      exemplars: [
        {
          labels,
          exemplarLabels: { trace_id: 'large_upload_trace', user_id: 'user456' },
          value: 10485760,
        },
      ],
    };
    it.each(compliance('', opts, { histograms: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleHistogramsWithMetadata', () => {
    const opts: RequestOpts = {
      histograms: [
        {
          labels: { __name__: 'cpu_usage_histogram', instance: 'server1' },
          histogram: histogram(0.75, true, false, true, false, false),
        },
        {
          labels: { __name__: 'memory_usage_histogram', instance: 'server1' },
          histogram: histogram(8589934592, true, true, false, false, false),
        },
      ],
      metadata: [
        {
          labels: basicMetric('cpu_usage_histogram'),
          type: 'histogram',
          help: 'CPU usage distribution',
          unit: 'ratio',
        },
        {
          labels: basicMetric('memory_usage_histogram'),
          type: 'histogram',
          help: 'Memory usage distribution',
          unit: 'bytes',
        },
      ],
    };
    it.each(compliance('', opts, { histograms: 2 }, true, 204))('$name', (c) => run(rcv, c));
  });
});

describe('combined_test.go', () => {
  const rcv = receiverFixture();

  describe('TestSamplesWithMetadataAndExemplars', () => {
    const labels = { __name__: 'http_requests_total', job: 'api', method: 'POST' };
    const opts: RequestOpts = {
      samples: [{ labels, value: 1 }],
      metadata: [{ labels, type: 'counter', help: 'Total number of HTTP requests', unit: 'requests' }],
      exemplars: [
        { labels, exemplarLabels: { trace_id: 'request_trace_123', user_id: 'user789' }, value: 1 },
      ],
    };
    it.each(compliance('', opts, { samples: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestHistogramsWithMetadataAndExemplars', () => {
    const labels = { __name__: 'request_duration_seconds', service: 'auth' };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(0.456, true, true, true, false, false) }],
      metadata: [
        {
          labels: basicMetric('request_duration_seconds'),
          type: 'histogram',
          help: 'HTTP request duration distribution',
          unit: 'seconds',
        },
      ],
      exemplars: [
        { labels, exemplarLabels: { trace_id: 'slow_request_trace', endpoint: '/login' }, value: 0.456 },
      ],
    };
    it.each(compliance('', opts, { histograms: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestComplexSamplesRequest', () => {
    const cpu = { __name__: 'cpu_usage', instance: 'server1' };
    const opts: RequestOpts = {
      samples: [
        { labels: cpu, value: 0.85 },
        { labels: { __name__: 'memory_usage', instance: 'server1' }, value: 8589934592 },
      ],
      metadata: [
        { labels: basicMetric('cpu_usage'), type: 'gauge', help: 'CPU usage ratio', unit: 'ratio' },
        { labels: basicMetric('memory_usage'), type: 'gauge', help: 'Memory usage in bytes', unit: 'bytes' },
      ],
      exemplars: [
        { labels: cpu, exemplarLabels: { trace_id: 'high_cpu_trace', process: 'worker' }, value: 0.85 },
      ],
    };
    it.each(compliance('', opts, { samples: 2, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestComplexHistogramsRequest', () => {
    const responseTime = { __name__: 'response_time_hist', endpoint: '/api/v1/users' };
    const opts: RequestOpts = {
      histograms: [
        { labels: responseTime, histogram: histogram(0.125, true, false, true, false, false) },
        {
          labels: { __name__: 'request_size_hist', method: 'POST' },
          histogram: histogram(1024, false, true, true, false, false),
        },
      ],
      metadata: [
        {
          labels: basicMetric('response_time_hist'),
          type: 'histogram',
          help: 'Response time distribution',
          unit: 'seconds',
        },
        {
          labels: basicMetric('request_size_hist'),
          type: 'histogram',
          help: 'Request size distribution',
          unit: 'bytes',
        },
      ],
      exemplars: [
        {
          labels: responseTime,
          exemplarLabels: { trace_id: 'fast_response', user: 'premium' },
          value: 0.125,
        },
      ],
    };
    it.each(compliance('', opts, { histograms: 2, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleMetricFamiliesSamples', () => {
    const counter = { __name__: 'http_requests_total', status: '200' };
    const opts: RequestOpts = {
      samples: [
        { labels: counter, value: 1000 },
        { labels: { __name__: 'temperature_celsius', location: 'datacenter1' }, value: 23.5 },
      ],
      metadata: [
        {
          labels: basicMetric('http_requests_total'),
          type: 'counter',
          help: 'Total HTTP requests',
          unit: 'requests',
        },
        {
          labels: basicMetric('temperature_celsius'),
          type: 'gauge',
          help: 'Temperature in Celsius',
          unit: 'celsius',
        },
      ],
      exemplars: [{ labels: counter, exemplarLabels: { trace_id: 'successful_request' }, value: 1000 }],
    };
    it.each(compliance('', opts, { samples: 2, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestMultipleMetricFamiliesHistograms', () => {
    const labels = { __name__: 'request_duration_seconds', handler: '/metrics' };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(0.003, true, false, true, false, false) }],
      metadata: [
        {
          labels: basicMetric('request_duration_seconds'),
          type: 'histogram',
          help: 'Request duration in seconds',
          unit: 'seconds',
        },
      ],
      exemplars: [
        { labels, exemplarLabels: { trace_id: 'metrics_scrape', scraper: 'prometheus' }, value: 0.003 },
      ],
    };
    it.each(compliance('', opts, { histograms: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestEdgeCaseCombinations', () => {
    const cases: Case[] = [
      {
        // a series without samples: Prometheus answers 400 ("TimeSeries must contain at least one
        // sample or histogram"), which the suite accepts as a 4xx
        name: 'metadata_without_data',
        opts: {
          metadata: [
            {
              labels: basicMetric('orphan_metric'),
              type: 'counter',
              help: 'Orphaned metric metadata',
              unit: 'count',
            },
          ],
          unsafe: true,
        },
        params: { success: true },
        status: 400,
      },
      {
        // the same, and its exemplar is not written
        name: 'exemplars_without_data',
        opts: {
          exemplars: [
            { labels: basicMetric('orphan_metric'), exemplarLabels: { trace_id: 'orphan_trace' }, value: 42 },
          ],
          unsafe: true,
        },
        params: { exemplars: 1, success: true },
        status: 400,
      },
      {
        name: 'mixed_timestamp_data',
        opts: {
          samples: [
            { labels: basicMetric('old_metric'), value: 1, offsetMs: -HOUR },
            { labels: basicMetric('new_metric'), value: 2 },
          ],
          exemplars: [
            {
              labels: basicMetric('old_metric'),
              exemplarLabels: { trace_id: 'old_trace' },
              value: 1,
              offsetMs: -30 * MINUTE,
            },
          ],
        },
        params: { samples: 2, exemplars: 1, success: true },
        status: 204,
      },
    ];
    it.each(cases)('$name', (c) => run(rcv, c));
  });

  describe('TestManySamples', () => {
    const opts: RequestOpts = { samples: [], metadata: [], exemplars: [] };
    for (let i = 0; i < 50; i++) {
      const labels = { __name__: `counter_metric_${i}`, series: `series_${i}` };
      opts.samples!.push({ labels, value: i * 100 });
      opts.metadata!.push({
        labels: basicMetric(`counter_metric_${i}`),
        type: 'counter',
        help: `Counter metric number ${i}`,
        unit: 'count',
      });
      opts.exemplars!.push({ labels, exemplarLabels: { trace_id: `trace_${i}` }, value: i * 100 });
    }
    it.each(compliance('', opts, { samples: 50, exemplars: 50 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestManyHistograms', () => {
    const opts: RequestOpts = { histograms: [], metadata: [], exemplars: [] };
    for (let i = 0; i < 50; i++) {
      const labels = { __name__: `histogram_metric_${i}`, bucket: `bucket_${i}` };
      opts.histograms!.push({ labels, histogram: histogram(i / 10, true, i % 2 === 0, true, false, false) });
      opts.metadata!.push({
        labels: basicMetric(`histogram_metric_${i}`),
        type: 'histogram',
        help: `Histogram metric number ${i}`,
        unit: 'seconds',
      });
      opts.exemplars!.push({ labels, exemplarLabels: { trace_id: `trace_${i}` }, value: i / 10 });
    }
    it.each(compliance('', opts, { histograms: 50, exemplars: 50 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestSpecialCharactersCombined', () => {
    const labels = {
      __name__: 'test_metric',
      job: 'test-job_with.special@chars',
      instance: 'localhost:9090',
      environment: 'test🚀',
    };
    const opts: RequestOpts = {
      samples: [{ labels, value: 42 }],
      metadata: [
        {
          labels: basicMetric('test_metric'),
          type: 'gauge',
          help: 'Test metric with special characters: äöü, newlines\nand "quotes"',
          unit: 'special/units',
        },
      ],
      exemplars: [
        {
          labels,
          exemplarLabels: { trace_id: 'special_trace_äöü-123', span_id: 'span_with.dots-and_underscores' },
          value: 42,
        },
      ],
    };
    it.each(compliance('', opts, { samples: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });

  describe('TestCustomBucketsHistogramWithExemplar', () => {
    const labels = { __name__: 'custom_latency_hist', version: 'v2' };
    const opts: RequestOpts = {
      histograms: [{ labels, histogram: histogram(0.05, false, false, false, true, false) }],
      exemplars: [
        { labels, exemplarLabels: { trace_id: 'custom_bucket_trace', bucket: '0.1' }, value: 0.05 },
      ],
    };
    it.each(compliance('', opts, { histograms: 1, exemplars: 1 }, true, 204))('$name', (c) => run(rcv, c));
  });
});

describe('rw1_compat_test.go', () => {
  const rcv = receiverFixture();

  /** generateRW1Request: a 1.0 WriteRequest, one TimeSeries per sample. */
  function rw1Body(samples: SampleSpec[], now: number): { body: Buffer; series: WireSeries[] } {
    const series = buildSeries({ samples }, now);
    return { body: snappy.compressSync(Buffer.from(encodeWriteV1({ series, metadata: [] }))), series };
  }

  it('TestRW1BasicCompatibility', async () => {
    const now = tick();
    const { body, series } = rw1Body(
      [
        { labels: testJobInstanceLabels(), value: 1 },
        { labels: basicMetric('http_requests_total'), value: 100 },
      ],
      now,
    );
    const acc = rcv.accept(series, now);
    const res = await rcv.server.fetch('/api/v1/write', { method: 'POST', body, headers: V1_HEADERS });
    expect(res.status, await res.text()).toBe(204);
    // no Written headers on 1.0 requests (client_golang writeHeaders skips them for prometheus.WriteRequest)
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBeNull();
    expectSuiteVerdict({ samples: 0, success: true }, res);
    await rcv.expectStored(acc);
  });

  it('TestRW1ErrorHandling', async () => {
    const { body } = rw1Body([{ labels: basicMetric('error_test'), value: 1 }], tick());
    body[0] = 0xff; // corrupt snappy header
    const res = await rcv.server.fetch('/api/v1/write', { method: 'POST', body, headers: V1_HEADERS });
    expect(res.status, await res.text()).toBe(400);
    expectSuiteVerdict({ success: false }, res);
    await rcv.expectStored({ stored: [], refused: [basicMetric('error_test')] });
  });
});
