// The HTTP client of scraping (and of discovery): prometheus/common's NewClientFromConfig on undici.
// Authentication, custom headers and secret files are applied per request (files re-read each time, so
// rotated tokens work); TLS material follows file changes; proxies are chosen per request URL.
// `fetch` is scrape.go's targetScraper: its headers, 200-only rule, gzip and body_size_limit handling.
import { constants as bufferConstants } from 'node:buffer';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Agent, ProxyAgent, type Dispatcher } from './undici.js';
import { canonicalHeaderKey } from '../config/http.js';
import type { HTTPClientConfig } from '../config/types.js';
import { goQuote } from '../model/goquote.js';
import {
  BODY_SIZE_LIMIT_EXCEEDED,
  CANCELED,
  DEADLINE_EXCEEDED,
  HttpClientError,
  describeGzipError,
  describeTransportError,
} from './http-errors.js';
import { readSecretFile, readTrimmed } from './http-files.js';
import { proxyFunc, type ProxyFunc } from './http-proxy.js';
import { TlsMaterial, type TlsConnectOptions } from './http-tls.js';

export { HttpClientError, BODY_SIZE_LIMIT_EXCEEDED, type HttpErrorKind } from './http-errors.js';

export interface HttpClientOptions {
  /** Default User-Agent, e.g. "Promethium/0.1.0" (Prometheus sends "Prometheus/<version>"). */
  userAgent?: string;
}

export interface ScrapeFetchOptions {
  /** The scrape timeout; also sent as X-Prometheus-Scrape-Timeout-Seconds. 0 = none. */
  timeoutMs: number;
  /** The Accept header, computed from scrape_protocols. */
  accept: string;
  /** enable_compression: Accept-Encoding gzip, else identity. */
  enableCompression: boolean;
  /** body_size_limit in bytes (of the decoded body); 0 = none. */
  bodySizeLimit: number;
  signal?: AbortSignal;
  userAgent?: string;
}

export interface ScrapeResponse {
  /** The body decoded as UTF-8 (invalid bytes become U+FFFD); empty for a protobuf body. */
  body: string;
  /** The body's bytes (uncompressed). */
  raw: Uint8Array;
  contentType: string | undefined;
  status: number;
  /** Bytes of the decoded body (scrape_body_size_bytes). */
  bytes: number;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Whole-request deadline; 0 or unset = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The most body bytes to buffer; more rejects. Default 256 MiB. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Go's resp.Status, e.g. "404 Not Found". */
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  /** The URL that answered, after redirects. */
  url: string;
  body: Buffer;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const DEFAULT_MAX_BODY = 256 * 1024 * 1024;
/** Without a body_size_limit the body still has to fit in one string. */
const MAX_STRING_BYTES = bufferConstants.MAX_STRING_LENGTH;

interface Dispatchers {
  generation: number;
  tls: TlsConnectOptions;
  direct: Agent;
  proxies: Map<string, ProxyAgent>;
}

/** Aborts a request on its deadline or its caller's signal and remembers which came first. */
class Deadline {
  readonly controller = new AbortController();
  reason: 'timeout' | 'canceled' | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#abort('canceled');

  constructor(timeoutMs: number | undefined, signal: AbortSignal | undefined) {
    this.#signal = signal;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.#timer = setTimeout(() => this.#abort('timeout'), timeoutMs);
    }
    if (signal?.aborted) this.#abort('canceled');
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  #abort(reason: 'timeout' | 'canceled'): void {
    this.reason ??= reason;
    this.controller.abort(new Error(reason === 'timeout' ? DEADLINE_EXCEEDED : CANCELED));
  }

  /** The error to report instead of whatever the aborted operation threw. */
  error(): HttpClientError | undefined {
    if (this.reason === 'timeout') return new HttpClientError(DEADLINE_EXCEEDED, 'timeout');
    if (this.reason === 'canceled') return new HttpClientError(CANCELED, 'canceled');
    return undefined;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** Go's resp.Status: the code and the reason phrase (the standard one when the server sent none). */
function statusLine(code: number, reason: string | undefined): string {
  const text = reason !== undefined && reason !== '' ? reason : (http.STATUS_CODES[code] ?? '');
  return text === '' ? String(code) : `${code} ${text}`;
}

/** Go's shouldCopyHeaderOnRedirect: credentials go only to the same host or its subdomains. */
function sameOrSubdomain(dest: string, initial: string): boolean {
  const d = dest.toLowerCase();
  const i = initial.toLowerCase();
  return d === i || (d.endsWith(`.${i}`) && !/^[\d.]+$|:/.test(d));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** An ordered, case-insensitive set of request headers that may repeat. */
class RequestHeaders {
  readonly #m = new Map<string, { name: string; values: string[] }>();

  set(name: string, value: string): void {
    this.#m.set(name.toLowerCase(), { name, values: [value] });
  }

  add(name: string, value: string): void {
    const e = this.#m.get(name.toLowerCase());
    if (e === undefined) this.set(name, value);
    else e.values.push(value);
  }

  has(name: string): boolean {
    return this.#m.has(name.toLowerCase());
  }

  delete(name: string): void {
    this.#m.delete(name.toLowerCase());
  }

  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const { name, values } of this.#m.values()) out[name] = values.length === 1 ? values[0] : values;
    return out;
  }
}

export class HttpClient {
  readonly #cfg: HTTPClientConfig;
  readonly #userAgent: string;
  readonly #tls: TlsMaterial;
  readonly #proxy: ProxyFunc | undefined;
  #dispatchers: Dispatchers | undefined;
  #closed = false;

  constructor(cfg: HTTPClientConfig, opts: HttpClientOptions = {}) {
    this.#cfg = cfg;
    this.#userAgent = opts.userAgent ?? 'Promethium';
    this.#tls = new TlsMaterial(cfg.tls_config);
    this.#proxy = proxyFunc(cfg);
  }

  /** One scrape: GET with Prometheus's headers; resolves only for a 200 with a body within the limit. */
  async fetch(url: string, opts: ScrapeFetchOptions): Promise<ScrapeResponse> {
    const deadline = new Deadline(opts.timeoutMs, opts.signal);
    try {
      const headers = new RequestHeaders();
      headers.set('Accept', opts.accept);
      headers.set('Accept-Encoding', opts.enableCompression ? 'gzip' : 'identity');
      headers.set('User-Agent', opts.userAgent ?? this.#userAgent);
      // strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64): "10", "1.5".
      headers.set('X-Prometheus-Scrape-Timeout-Seconds', String(opts.timeoutMs / 1000));
      const res = await this.#send(url, 'GET', headers, undefined, deadline);
      if (res.statusCode !== 200) {
        discard(res.body);
        const status = statusLine(res.statusCode, res.statusText);
        throw new HttpClientError(`server returned HTTP status ${status}`, 'status', res.statusCode);
      }
      const encoding = headerValue(res.headers['content-encoding']);
      const buf =
        encoding === 'gzip'
          ? await readGzipBody(res.body, opts.bodySizeLimit, deadline)
          : await readPlainBody(res.body, opts.bodySizeLimit, deadline);
      const contentType = headerValue(res.headers['content-type']);
      return {
        // a protobuf body is read from its bytes only
        body: isProtobuf(contentType) ? '' : decodeUTF8(buf),
        raw: buf,
        contentType,
        status: res.statusCode,
        bytes: buf.length,
      };
    } finally {
      deadline.dispose();
    }
  }

  /**
   * A plain request with the configured authentication, TLS, proxy and redirect rules (for discovery
   * clients). Any status resolves; the caller decides what a non-2xx means.
   */
  async request(url: string, init: HttpRequestInit = {}): Promise<HttpResponse> {
    const deadline = new Deadline(init.timeoutMs, init.signal);
    try {
      const headers = new RequestHeaders();
      headers.set('User-Agent', this.#userAgent);
      for (const [k, v] of Object.entries(init.headers ?? {})) headers.set(k, v);
      const res = await this.#send(url, init.method ?? 'GET', headers, init.body, deadline);
      const body = await readLimited(res.body, init.maxBodyBytes ?? DEFAULT_MAX_BODY, deadline, (n) => {
        return new HttpClientError(`response body larger than ${n} bytes`, 'body_size_limit');
      });
      return {
        status: res.statusCode,
        statusText: statusLine(res.statusCode, res.statusText),
        headers: res.headers,
        url: res.url,
        body,
      };
    } finally {
      deadline.dispose();
    }
  }

  /** Closes every connection; requests in flight finish first. */
  async close(): Promise<void> {
    this.#closed = true;
    const d = this.#dispatchers;
    this.#dispatchers = undefined;
    if (d !== undefined) await closeDispatchers(d);
  }

  /** Sends the request and follows redirects; errors read as Go's *url.Error: `Get "<url>": ...`. */
  async #send(
    url: string,
    method: string,
    base: RequestHeaders,
    body: string | Uint8Array | undefined,
    deadline: Deadline,
  ): Promise<Dispatcher.ResponseData & { url: string }> {
    const op = method.charAt(0) + method.slice(1).toLowerCase();
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new HttpClientError(`parse ${goQuote(url)}: invalid URL`, 'request');
    }
    const initialHost = current.hostname;
    for (let hop = 0; ; hop++) {
      // Go prints the URL as given (no added "/"), with any password masked.
      const where = `${op} ${goQuote(hop === 0 && current.password === '' ? url : redactURL(current))}`;
      let res: Dispatcher.ResponseData;
      try {
        if (this.#closed) throw new Error('http client closed');
        const headers = await this.#headers(base, current, sameOrSubdomain(current.hostname, initialHost));
        const dispatcher = await this.#dispatcherFor(current);
        res = await dispatcher.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: method as Dispatcher.HttpMethod,
          headers: headers.toRecord(),
          body,
          signal: deadline.controller.signal,
        });
      } catch (err) {
        const aborted = deadline.error();
        if (aborted !== undefined) throw new HttpClientError(`${where}: ${aborted.message}`, aborted.kind);
        throw new HttpClientError(`${where}: ${describeTransportError(err, false)}`, 'request');
      }
      const location = headerValue(res.headers.location);
      if (!this.#cfg.follow_redirects || !REDIRECT_STATUSES.has(res.statusCode) || location === undefined) {
        return Object.assign(res, { url: current.href });
      }
      discard(res.body);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new HttpClientError(
          `${where}: failed to parse Location header ${goQuote(location)}: invalid URL`,
          'request',
        );
      }
      if (hop + 1 >= MAX_REDIRECTS) {
        throw new HttpClientError(
          `${op} ${goQuote(redactURL(next))}: stopped after ${MAX_REDIRECTS} redirects`,
          'request',
        );
      }
      // Go turns 301/302/303 of anything but GET/HEAD into a GET without a body.
      if (res.statusCode <= 303 && method !== 'GET' && method !== 'HEAD') {
        method = 'GET';
        body = undefined;
      }
      current = next;
    }
  }

  /** Caller headers, then http_headers, then credentials (unless redirected to another host). */
  async #headers(base: RequestHeaders, target: URL, withCredentials: boolean): Promise<RequestHeaders> {
    const cfg = this.#cfg;
    const h = new RequestHeaders();
    for (const [name, v] of Object.entries(base.toRecord())) {
      for (const value of Array.isArray(v) ? v : [v]) h.add(name, value);
    }
    for (const [rawName, spec] of Object.entries(cfg.http_headers ?? {})) {
      const name = canonicalHeaderKey(rawName);
      for (const v of spec.values) h.add(name, v);
      for (const s of spec.secrets) h.add(name, s.value);
      for (const f of spec.files) {
        try {
          h.add(name, await readTrimmed(f));
        } catch (err) {
          throw new Error(`unable to read headers file ${f}: ${(err as Error).message}`);
        }
      }
    }
    if (!withCredentials) {
      // Go drops these on a redirect to another host; we never add the configured credentials there.
      for (const name of ['Authorization', 'Www-Authenticate', 'Cookie', 'Cookie2']) h.delete(name);
      return h;
    }
    if (h.has('Authorization')) return h;
    // Go's client turns URL user info into basic auth before any configured credentials.
    if (target.username !== '') {
      const userinfo = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      h.set('Authorization', `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`);
      return h;
    }
    if (cfg.authorization !== undefined) {
      const a = cfg.authorization;
      let credentials = a.credentials.value;
      if (credentials === '' && a.credentials_file !== '') {
        credentials = await secretOrThrow(a.credentials_file, 'unable to read authorization credentials');
      }
      h.set('Authorization', `${a.type === '' ? 'Bearer' : a.type} ${credentials}`);
    } else if (cfg.basic_auth !== undefined) {
      const b = cfg.basic_auth;
      let username = b.username;
      if (username === '' && b.username_file !== '') {
        username = await secretOrThrow(b.username_file, 'unable to read basic auth username');
      }
      let password = b.password.value;
      if (password === '' && b.password_file !== '') {
        password = await secretOrThrow(b.password_file, 'unable to read basic auth password');
      }
      h.set('Authorization', `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`);
    }
    return h;
  }

  /** The direct agent or the proxy agent for a URL, rebuilt when the TLS files changed. */
  async #dispatcherFor(target: URL): Promise<Dispatcher> {
    const tls = await this.#tls.current();
    if (this.#closed) throw new Error('http client closed');
    let d = this.#dispatchers;
    if (d === undefined || d.generation !== tls.generation) {
      const old = d;
      d = {
        generation: tls.generation,
        tls: tls.options,
        direct: new Agent({
          connect: tls.options,
          allowH2: this.#cfg.enable_http2,
          // idle connections live 5 minutes as in Go's transport for Prometheus (undici's default of
          // 4 s is shorter than most scrape intervals: every scrape would open a new connection)
          keepAliveTimeout: IDLE_CONNECTION_MS,
          keepAliveMaxTimeout: IDLE_CONNECTION_MS,
        }),
        proxies: new Map(),
      };
      this.#dispatchers = d;
      // Requests still running on the old agents finish there.
      if (old !== undefined) void closeDispatchers(old).catch(() => {});
    }
    const proxy = this.#proxy?.(target);
    if (proxy === undefined) return d.direct;
    let agent = d.proxies.get(proxy);
    if (agent === undefined) {
      const connectHeaders: Record<string, string[]> = {};
      for (const [k, vs] of Object.entries(this.#cfg.proxy_connect_header)) {
        connectHeaders[k] = vs.map((s) => s.value);
      }
      const { servername: _servername, ...proxyTls } = d.tls;
      agent = new ProxyAgent({
        uri: proxy,
        headers: connectHeaders,
        requestTls: d.tls,
        proxyTls,
        // Plain-HTTP targets are requested through the proxy with absolute URIs, as Go does;
        // HTTPS targets go through a CONNECT tunnel.
        proxyTunnel: false,
        allowH2: this.#cfg.enable_http2,
        keepAliveTimeout: IDLE_CONNECTION_MS,
        keepAliveMaxTimeout: IDLE_CONNECTION_MS,
      });
      d.proxies.set(proxy, agent);
    }
    return agent;
  }
}

async function secretOrThrow(file: string, what: string): Promise<string> {
  try {
    return await readSecretFile(file);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

function redactURL(u: URL): string {
  if (u.password === '') return u.href;
  const c = new URL(u.href);
  c.password = '***'; // net/http's stripPassword
  return c.href;
}

async function closeDispatchers(d: Dispatchers): Promise<void> {
  await Promise.all([d.direct.close(), ...[...d.proxies.values()].map((p) => p.close())]);
}

/** Drops a body we will not read; the connection is closed rather than drained. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function limitError(): HttpClientError {
  return new HttpClientError(BODY_SIZE_LIMIT_EXCEEDED, 'body_size_limit');
}

function bodyError(err: unknown, deadline: Deadline): HttpClientError {
  if (err instanceof HttpClientError) return err;
  const aborted = deadline.error();
  if (aborted !== undefined) return aborted;
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('Z_')) return new HttpClientError(describeGzipError(err), 'request');
  return new HttpClientError(describeTransportError(err, true), 'request');
}

/**
 * Buffers a body of fewer than `limit` bytes. As scrape.go reads at most limit bytes and fails when it
 * got that many, a body of exactly `limit` bytes fails too.
 */
async function readLimited(
  body: AsyncIterable<Buffer>,
  limit: number,
  deadline: Deadline,
  tooLarge: (limit: number) => HttpClientError,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      total += chunk.length;
      if (total >= limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    throw bodyError(err, deadline);
  }
  return Buffer.concat(chunks, total);
}

function readPlainBody(
  body: AsyncIterable<Buffer>,
  bodySizeLimit: number,
  deadline: Deadline,
): Promise<Buffer> {
  if (bodySizeLimit > 0) return readLimited(body, bodySizeLimit, deadline, limitError);
  return readLimited(body, MAX_STRING_BYTES + 1, deadline, tooLongForString);
}

function tooLongForString(): HttpClientError {
  return new HttpClientError(
    `response body longer than ${MAX_STRING_BYTES} bytes, the most a string can hold`,
    'body_size_limit',
  );
}

/**
 * Streams a gzip body through gunzip, counting decoded bytes against the limit (so a gzip bomb stops
 * within one 16 KiB output chunk of it) and compressed bytes against a ceiling no honest encoding of
 * an acceptable body reaches (so an endless compressed stream that decodes to nothing stops too).
 */
async function readGzipBody(
  body: AsyncIterable<Buffer>,
  bodySizeLimit: number,
  deadline: Deadline,
): Promise<Buffer> {
  const limit = bodySizeLimit > 0 ? bodySizeLimit : MAX_STRING_BYTES + 1;
  const overLimit = bodySizeLimit > 0 ? limitError : tooLongForString;
  const compressedCeiling = bodySizeLimit > 0 ? limit + Math.ceil(limit / 64) + 65536 : Infinity;
  const chunks: Buffer[] = [];
  let compressed = 0;
  let total = 0;
  try {
    await pipeline(
      async function* countCompressed() {
        for await (const chunk of body) {
          compressed += chunk.length;
          if (compressed > compressedCeiling) throw overLimit();
          yield chunk;
        }
        // gzip.NewReader on an empty body fails with io.EOF.
        if (compressed === 0) throw new HttpClientError('EOF', 'request');
      },
      zlib.createGunzip(),
      async function collect(decoded: AsyncIterable<Buffer>) {
        for await (const chunk of decoded) {
          total += chunk.length;
          if (total >= limit) throw overLimit();
          chunks.push(chunk);
        }
      },
    );
  } catch (err) {
    throw bodyError(err, deadline);
  }
  return Buffer.concat(chunks, total);
}

/** How long an idle connection to a target is kept (prometheus/common's IdleConnTimeout). */
const IDLE_CONNECTION_MS = 5 * 60_000;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; invalid UTF-8 fails the scrape instead of turning into replacement characters. */
function decodeUTF8(buf: Buffer): string {
  try {
    return STRICT_UTF8.decode(buf);
  } catch {
    let line = 1;
    // find the line with the first invalid sequence, for the target's error
    const text = buf.toString('utf8');
    const bad = text.indexOf('\uFFFD');
    for (let i = 0; i < bad; i++) if (text.charCodeAt(i) === 10) line++;
    throw new HttpClientError(`invalid UTF-8 in the response body (line ${line})`, 'request');
  }
}

/** Whether a scrape response is in the protobuf exposition format (read from bytes, not text). */
function isProtobuf(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.toLowerCase().startsWith('application/vnd.google.protobuf');
}
