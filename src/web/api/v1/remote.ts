// /api/v1/write (the remote write receiver, --web.enable-remote-write-receiver) and /api/v1/read (remote
// read) as Prometheus 3.14 serves them (storage/remote/write_handler.go, read_handler.go):
// - write: 1.0 and 2.0 messages by Content-Type, snappy block encoding only (415 otherwise); 1.0 is
//   all-or-nothing per request, out of order / out of bounds / duplicate / too old → 400, series
//   without a name or with invalid or repeated labels skipped and counted; 2.0 appends what it can and
//   answers the X-Prometheus-Remote-Write-*-Written headers, 400 with every problem when any; 204 when
//   all went in; samples more than 10 minutes ahead are out of bounds.
// - read: SAMPLES (a snappy ReadResponse) or STREAMED_XOR_CHUNKS (frames of uvarint length, CRC-32C and a
//   ChunkedReadResponse with Prometheus's XOR chunks), external labels added to every series and equality
//   matchers on them rewritten to match the label's absence, the sample limit and a concurrency limit.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import * as snappy from '../../../remote/snappy.js';
import type { Logger } from '../../../log/logger.js';
import { Labels, METRIC_NAME } from '../../../model/labels.js';
import { isValidLabelName, isValidLabelValue } from '../../../model/labelname.js';
import { Matcher } from '../../../model/matcher.js';
import {
  decodeReadRequest,
  decodeWriteV1,
  decodeWriteV2,
  encodeChunkedReadResponse,
  encodeReadResponse,
  MESSAGE_V1,
  MESSAGE_V2,
  type ReadSeries,
  type WireChunk,
  type WireHistogram,
  type WriteRequest,
} from '../../../remote/messages.js';
import { StorageError, errOutOfBounds } from '../../../storage/errors.js';
import type { Appendable, Appender, HistogramSample, Queryable } from '../../../storage/interfaces.js';
import { crc32c } from '../../../tsdb/chunks/crc32c.js';
import { XORChunk } from '../../../tsdb/chunks/xor.js';
import { CounterResetHeader, FloatHistogramChunk, HistogramChunk } from '../../../tsdb/chunks/histogram.js';
import { CounterResetHint } from '../../../model/histogram.js';

/** Samples further ahead than this are out of bounds (Prometheus's maxAheadTime). */
const MAX_AHEAD_MS = 10 * 60_000;
/** Decoded request bodies are capped, as Prometheus's decodeReadLimit. */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;

export interface RemoteWriteOptions {
  enabled: boolean;
  acceptedMessages: readonly string[];
  appendable: () => Appendable | undefined;
  logger: Logger;
  registry?: Registry;
}

export interface RemoteReadOptions {
  queryable: () => Queryable | undefined;
  externalLabels: () => Record<string, string>;
  sampleLimit: number;
  concurrentLimit: number;
  maxBytesInFrame: number;
  logger: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message a Content-Type asks for, or an HttpError 415. */
function messageOf(contentType: string | undefined, accepted: readonly string[]): string {
  const ct = (contentType ?? '').trim();
  let msg = MESSAGE_V1;
  if (ct !== '') {
    const [media, ...params] = ct.split(';').map((p) => p.trim());
    if (media.toLowerCase() !== 'application/x-protobuf')
      throw new HttpError(
        415,
        `expected application/x-protobuf as the first (media) part, got ${ct} content-type`,
      );
    for (const p of params) {
      const [k, v] = p.split('=').map((x) => x.trim());
      if (k.toLowerCase() === 'proto') msg = v;
    }
  }
  if (msg !== MESSAGE_V1 && msg !== MESSAGE_V2)
    throw new HttpError(415, `got ${msg} content type; only ${accepted.join(', ')} are supported`);
  if (!accepted.includes(msg))
    throw new HttpError(
      415,
      `${msg} protobuf message is not accepted by this server; accepted ${accepted.join(', ')}`,
    );
  return msg;
}

function decompress(body: Buffer, encoding: string | undefined): Uint8Array {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc !== '' && enc !== 'snappy')
    throw new HttpError(
      415,
      `${enc} encoding (compression) is not accepted by this server; only snappy is acceptable`,
    );
  let out: Buffer;
  try {
    out = snappy.uncompressSync(body);
  } catch (err) {
    throw new HttpError(400, `snappy: corrupt input: ${(err as Error).message}`);
  }
  if (out.length > MAX_DECODED_BYTES) throw new HttpError(400, 'decoded body too large');
  return out;
}

/** Go's labels String(), for messages. */
function labelsText(pairs: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) parts.push(`${pairs[i]}=${JSON.stringify(pairs[i + 1])}`);
  return `{${parts.join(', ')}}`;
}

/** The series' labels when valid (named, valid names and values, no name twice), else the reason. */
function checkLabels(pairs: readonly string[]): Labels | string {
  const sorted: Array<[string, string]> = [];
  for (let i = 0; i < pairs.length; i += 2) sorted.push([pairs[i], pairs[i + 1]]);
  sorted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let named = false;
  for (let i = 0; i < sorted.length; i++) {
    const [n, v] = sorted[i];
    if (n === METRIC_NAME && v !== '') named = true;
    if (!isValidLabelName(n) || !isValidLabelValue(v))
      return `invalid metric name or labels, got ${labelsText(pairs)}`;
    if (i > 0 && sorted[i - 1][0] === n)
      return `invalid labels for series, labels ${labelsText(pairs)}, duplicated label ${n}`;
  }
  if (!named) return `invalid metric name or labels, got ${labelsText(pairs)}`;
  return Labels.fromPairs(sorted.flat());
}

const APPEND_400 = new Set(['out_of_order', 'out_of_bounds', 'duplicate', 'too_old', 'invalid_sample']);

/** A histogram sample through the appender (a storage without native histograms refuses it). */
function appendHistogram(app: Appender, ref: number, ls: Labels, x: WireHistogram): number {
  if (app.appendHistogram === undefined)
    throw new StorageError('invalid_sample', 'native histograms are not supported by this storage');
  return app.appendHistogram(ref, ls, x.t, x.h, x.fh, x.st);
}

export function registerRemoteRoutes(
  app: FastifyInstance,
  w: RemoteWriteOptions,
  r: RemoteReadOptions,
): void {
  const invalid = new Counter({
    name: 'prometheus_api_remote_write_invalid_labels_samples_total',
    help: 'The total number of received remote write samples and histogram samples which were rejected due to invalid labels.',
    registers: w.registry === undefined ? [] : [w.registry],
  });
  // every body is the raw bytes here: the handlers judge the Content-Type themselves
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_DECODED_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.post('/api/v1/write', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!w.enabled)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n');
    const appendable = w.appendable();
    if (appendable === undefined) return reply.code(503).send('Service Unavailable\n');
    try {
      // Content-Encoding and the snappy body are judged before the Content-Type, as Prometheus 3.14's
      // handler does (client_golang's SnappyDecodeMiddleware runs first): a corrupt body is a 400
      // even when the Content-Type is unsupported.
      const raw = decompress(req.body as Buffer, req.headers['content-encoding'] as string | undefined);
      const msg = messageOf(req.headers['content-type'], w.acceptedMessages);
      let decoded: WriteRequest;
      try {
        decoded = msg === MESSAGE_V1 ? decodeWriteV1(raw) : decodeWriteV2(raw);
      } catch (err) {
        throw new HttpError(
          400,
          `decoding ${msg === MESSAGE_V1 ? 'v1' : 'v2'} remote write request: ${(err as Error).message}`,
        );
      }
      const maxT = Date.now() + MAX_AHEAD_MS;
      if (msg === MESSAGE_V1) {
        // all or nothing: the first append error rolls the request back
        const app = appendable.appender();
        let skipped = 0;
        try {
          for (const s of decoded.series) {
            const ls = checkLabels(s.labels);
            if (typeof ls === 'string') {
              w.logger.warn('Invalid metric names or labels', { got: labelsText(s.labels) });
              skipped++;
              continue;
            }
            let ref = 0;
            for (const x of s.samples) {
              if (x.t > maxT) throw errOutOfBounds();
              ref = app.append(ref, ls, x.t, x.v);
            }
            for (const x of s.histograms) {
              if (x.t > maxT) throw errOutOfBounds();
              ref = appendHistogram(app, ref, ls, x);
            }
          }
        } catch (err) {
          app.rollback();
          if (err instanceof StorageError && APPEND_400.has(err.kind)) throw new HttpError(400, err.message);
          throw new HttpError(500, (err as Error).message);
        }
        await app.commit();
        if (skipped > 0) invalid.inc(skipped);
        return reply.code(204).send();
      }
      // 2.0: what can be appended is; every problem is reported, with the counts written
      const app = appendable.appender();
      const problems: string[] = [];
      let samples = 0;
      let histograms = 0;
      let exemplars = 0;
      let skipped = 0;
      for (const s of decoded.series) {
        const ls = checkLabels(s.labels);
        if (typeof ls === 'string') {
          problems.push(ls);
          skipped += s.samples.length + s.histograms.length;
          continue;
        }
        if (s.samples.length === 0 && s.histograms.length === 0) {
          problems.push(
            `TimeSeries must contain at least one sample or histogram for series ${ls.toString()}`,
          );
          continue;
        }
        let ref = 0;
        for (const x of s.samples) {
          try {
            if (x.t > maxT) throw errOutOfBounds();
            // 2.0's start timestamps are kept by a storage with st-storage
            ref = app.append(ref, ls, x.t, x.v, x.st);
            samples++;
          } catch (err) {
            if (err instanceof StorageError && APPEND_400.has(err.kind)) {
              problems.push(`${err.message} for series ${ls.toString()}`);
              continue;
            }
            app.rollback();
            throw new HttpError(500, (err as Error).message);
          }
        }
        for (const x of s.histograms) {
          try {
            if (x.t > maxT) throw errOutOfBounds();
            ref = appendHistogram(app, ref, ls, x);
            histograms++;
          } catch (err) {
            if (err instanceof StorageError && APPEND_400.has(err.kind)) {
              problems.push(`${err.message} for series ${ls.toString()}`);
              continue;
            }
            app.rollback();
            throw new HttpError(500, (err as Error).message);
          }
        }
        // Exemplars are not stored yet. Prometheus 3.14 without --enable-feature=exemplar-storage drops
        // them too (the head's AppendExemplar returns no error) and counts them as written, except those
        // too far ahead, which its remoteWriteAppender refuses (logged, not a request error).
        for (const e of s.exemplars) if (e.t <= maxT) exemplars++;
      }
      await app.commit();
      if (skipped > 0) invalid.inc(skipped);
      reply.header('X-Prometheus-Remote-Write-Samples-Written', String(samples));
      reply.header('X-Prometheus-Remote-Write-Histograms-Written', String(histograms));
      reply.header('X-Prometheus-Remote-Write-Exemplars-Written', String(exemplars));
      if (problems.length > 0)
        return reply
          .code(400)
          .type('text/plain; charset=utf-8')
          .send(problems.join('; ') + '\n');
      return reply.code(204).send();
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status >= 500) w.logger.error('Error appending remote write', { err: err.message });
        return reply
          .code(err.status)
          .type('text/plain; charset=utf-8')
          .send(err.message + '\n');
      }
      throw err;
    }
  });

  let inFlight = 0;
  const waiting: Array<() => void> = [];
  app.post('/api/v1/read', async (req: FastifyRequest, reply: FastifyReply) => {
    const queryable = r.queryable();
    if (queryable === undefined) return reply.code(503).send('Service Unavailable\n');
    if (r.concurrentLimit > 0 && inFlight >= r.concurrentLimit)
      await new Promise<void>((res) => waiting.push(res));
    inFlight++;
    try {
      return await read(req, reply, queryable);
    } catch (err) {
      if (err instanceof HttpError)
        return reply
          .code(err.status)
          .type('text/plain; charset=utf-8')
          .send(err.message + '\n');
      throw err;
    } finally {
      inFlight--;
      waiting.shift()?.();
    }
  });

  async function read(req: FastifyRequest, reply: FastifyReply, queryable: Queryable): Promise<FastifyReply> {
    const raw = decompress(req.body as Buffer, undefined);
    let rr;
    try {
      rr = decodeReadRequest(raw);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    const ext = r.externalLabels();
    const extPairs = Object.entries(ext).sort(([a], [b]) => (a < b ? -1 : 1));
    const select = (
      q: (typeof rr.queries)[number],
    ): Array<{ labels: string[]; t: Float64Array; v: Float64Array; h: HistogramSample[] }> => {
      // an equality matcher on an external label with its value matches the label's absence here
      const matchers = q.matchers.map((m) => {
        try {
          return m.type === '=' && ext[m.name] === m.value
            ? new Matcher('=', m.name, '')
            : new Matcher(m.type, m.name, m.value);
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
      });
      const querier = queryable.querier(q.startMs, q.endMs);
      try {
        const out = [];
        for (const s of querier.select(matchers)) {
          const b = s.samples();
          const pairs = [...s.labels.pairs];
          for (const [k, v] of extPairs) if (!s.labels.has(k)) pairs.push(k, v);
          const merged = Labels.fromPairs(pairs).pairs.slice();
          out.push({
            labels: merged,
            t: b.t.subarray(0, b.length),
            v: b.v.subarray(0, b.length),
            h: s.histograms?.() ?? [],
          });
        }
        return out;
      } finally {
        querier.close();
      }
    };
    const streamed = rr.acceptedResponseTypes.includes(1);
    if (!streamed) {
      let total = 0;
      const results: ReadSeries[][] = rr.queries.map((q) =>
        select(q).map((s) => {
          total += s.t.length + s.h.length;
          if (r.sampleLimit > 0 && total > r.sampleLimit)
            throw new HttpError(400, `exceeded sample limit (${r.sampleLimit})`);
          const samples = Array.from(s.t, (t, i) => ({ t, v: s.v[i] }));
          return s.h.length > 0
            ? { labels: s.labels, samples, histograms: s.h }
            : { labels: s.labels, samples };
        }),
      );
      return reply
        .code(200)
        .header('Content-Type', 'application/x-protobuf')
        .header('Content-Encoding', 'snappy')
        .send(snappy.compressSync(Buffer.from(encodeReadResponse(results))));
    }
    // STREAMED_XOR_CHUNKS: whole series, in frames of at most maxBytesInFrame (one series may exceed it)
    const frames: Buffer[] = [];
    rr.queries.forEach((q, qi) => {
      let batch: Array<{ labels: string[]; chunks: WireChunk[] }> = [];
      let size = 0;
      const flush = (): void => {
        if (batch.length === 0) return;
        const data = encodeChunkedReadResponse(batch, qi);
        frames.push(frame(data));
        batch = [];
        size = 0;
      };
      for (const s of select(q)) {
        const chunks = xorChunks(s.t, s.v);
        if (s.h.length > 0) {
          chunks.push(...histogramChunks(s.h));
          chunks.sort((a, b) => a.minTimeMs - b.minTimeMs);
        }
        batch.push({ labels: s.labels, chunks });
        size +=
          chunks.reduce((n, c) => n + c.data.length + 24, 0) + s.labels.reduce((n, l) => n + l.length + 4, 0);
        if (size >= r.maxBytesInFrame) flush();
      }
      flush();
    });
    return reply
      .code(200)
      .header('Content-Type', 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse')
      .send(Buffer.concat(frames));
  }
}

/** A frame: uvarint length, big-endian CRC-32C (Castagnoli) of the data, the data. */
function frame(data: Uint8Array): Buffer {
  const len: number[] = [];
  let n = data.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(data) >>> 0);
  return Buffer.concat([Buffer.from(len), crc, data]);
}

/** Prometheus's XOR chunks of at most 120 samples, as its head cuts them. */
function xorChunks(t: Float64Array, v: Float64Array): WireChunk[] {
  const out: WireChunk[] = [];
  for (let i = 0; i < t.length; i += 120) {
    const c = new XORChunk();
    const end = Math.min(t.length, i + 120);
    for (let j = i; j < end; j++) c.append(t[j], v[j]);
    out.push({ minTimeMs: t[i], maxTimeMs: t[end - 1], type: 1, data: c.bytes().slice() });
  }
  return out;
}

/**
 * Histogram samples as Prometheus-layout histogram chunks (type 2 integer, 3 float): a new chunk at
 * 120 samples, a change of kind or bucket layout, or after a stale marker.
 */
function histogramChunks(samples: readonly HistogramSample[]): WireChunk[] {
  const out: WireChunk[] = [];
  let c: HistogramChunk | FloatHistogramChunk | undefined;
  const close = (): void => {
    if (c !== undefined && c.numSamples > 0)
      out.push({ minTimeMs: c.minTime, maxTimeMs: c.maxTime, type: c.encoding, data: c.bytes().slice() });
    c = undefined;
  };
  for (const x of samples) {
    const h = (x.h ?? x.fh)!;
    const isFloat = x.h === undefined;
    if (
      c === undefined ||
      c instanceof FloatHistogramChunk !== isFloat ||
      c.numSamples >= 120 ||
      !c.fits(h)
    ) {
      close();
      c = isFloat ? new FloatHistogramChunk() : new HistogramChunk();
      if (h.counterResetHint === CounterResetHint.Gauge) c.counterResetHeader = CounterResetHeader.Gauge;
    }
    if (isFloat) (c as FloatHistogramChunk).append(x.t, x.fh!);
    else (c as HistogramChunk).append(x.t, x.h!);
  }
  close();
  return out;
}
