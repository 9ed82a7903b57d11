import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import type { HTTPClientConfig } from '../../src/config/types.js';
import { HttpClient, HttpClientError, type ScrapeFetchOptions } from '../../src/scrape/http-client.js';
import { proxyFunc } from '../../src/scrape/http-proxy.js';
import { makeScrapePki, type ScrapePki } from '../support/scrape-pki.js';

let dir: string;
let pki: ScrapePki;
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'http-client-'));
  pki = makeScrapePki(dir);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** The HTTP client fields of a scrape config, loaded as prometheus.yml would load them. */
function config(fields: Record<string, unknown> = {}): HTTPClientConfig {
  const text = YAML.stringify({ scrape_configs: [{ job_name: 'test', ...fields }] });
  return parseConfig(text, path.join(dir, 'prometheus.yml'), dir).scrape_configs[0];
}

function client(fields: Record<string, unknown> = {}): HttpClient {
  const c = new HttpClient(config(fields), { userAgent: 'Promethium/test' });
  closers.push(() => c.close());
  return c;
}

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function serve(handler: Handler, host = '127.0.0.1'): Promise<string> {
  const port = await listen(http.createServer(handler), host);
  return `http://${host}:${port}`;
}

async function serveTls(options: https.ServerOptions, handler: Handler): Promise<string> {
  const port = await listen(https.createServer(options, handler));
  return `https://127.0.0.1:${port}`;
}

const read = (f: string): string => fs.readFileSync(f, 'utf8');

const scrape = (over: Partial<ScrapeFetchOptions> = {}): ScrapeFetchOptions => ({
  timeoutMs: 10_000,
  accept: 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  enableCompression: false,
  bodySizeLimit: 0,
  ...over,
});

const metrics = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  res.end('up 1\n');
};

/** Resolves when the response's connection is gone (the client gave up on it). */
function closed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => res.on('close', () => resolve()));
}

/** Writes `chunk` forever, honouring backpressure, until the client goes away. */
function writeForever(res: http.ServerResponse, chunk: Buffer): void {
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

async function rejection(p: Promise<unknown>): Promise<HttpClientError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpClientError);
  return err as HttpClientError;
}

describe('HttpClient.fetch', () => {
  it("sends Prometheus's scrape headers and returns the body", async () => {
    let seen: http.IncomingHttpHeaders = {};
    const base = await serve((req, res) => {
      seen = req.headers;
      metrics(req, res);
    });
    const res = await client().fetch(`${base}/metrics`, scrape({ timeoutMs: 1500 }));
    expect(res).toEqual({
      body: 'up 1\n',
      raw: Buffer.from('up 1\n'),
      contentType: 'text/plain; version=0.0.4',
      status: 200,
      bytes: 5,
    });
    expect(seen.accept).toBe('text/plain;version=0.0.4;q=0.5,*/*;q=0.1');
    expect(seen['accept-encoding']).toBe('identity');
    expect(seen['user-agent']).toBe('Promethium/test');
    expect(seen['x-prometheus-scrape-timeout-seconds']).toBe('1.5');
    expect(seen.authorization).toBeUndefined();
  });

  it('sends whole seconds without a fraction, and a per-fetch User-Agent', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const base = await serve((req, res) => {
      seen = req.headers;
      metrics(req, res);
    });
    await client().fetch(`${base}/metrics`, scrape({ timeoutMs: 10_000, userAgent: 'Other/1' }));
    expect(seen['x-prometheus-scrape-timeout-seconds']).toBe('10');
    expect(seen['user-agent']).toBe('Other/1');
  });

  it('sends basic auth with the password read from a file', async () => {
    let auth: string | undefined;
    const base = await serve((req, res) => {
      auth = req.headers.authorization;
      metrics(req, res);
    });
    const passwordFile = write('password', 's3cret\n');
    await client({ basic_auth: { username: 'prom', password_file: passwordFile } }).fetch(base, scrape());
    expect(auth).toBe(`Basic ${Buffer.from('prom:s3cret').toString('base64')}`);
  });

  it('re-reads a bearer token file for every request, so rotated tokens are used', async () => {
    const seen: Array<string | undefined> = [];
    const base = await serve((req, res) => {
      seen.push(req.headers.authorization);
      metrics(req, res);
    });
    const tokenFile = write('token', 'first-token\n');
    const c = client({ bearer_token_file: tokenFile });
    await c.fetch(base, scrape());
    fs.writeFileSync(tokenFile, 'second-token');
    await c.fetch(base, scrape());
    expect(seen).toEqual(['Bearer first-token', 'Bearer second-token']);
  });

  it('sends authorization with a custom type, and fails clearly when the credentials file is gone', async () => {
    let auth: string | undefined;
    const base = await serve((req, res) => {
      auth = req.headers.authorization;
      metrics(req, res);
    });
    await client({ authorization: { type: 'Token', credentials: 'abc' } }).fetch(base, scrape());
    expect(auth).toBe('Token abc');

    const missing = path.join(dir, 'no-such-token');
    const err = await rejection(
      client({ authorization: { credentials_file: missing } }).fetch(`${base}/m`, scrape()),
    );
    expect(err.message).toBe(
      `Get "${base}/m": unable to read authorization credentials: unable to read file ${missing}: open ${missing}: no such file or directory`,
    );
  });

  it('turns URL user info into basic auth and masks the password in errors', async () => {
    let auth: string | undefined;
    const base = await serve((req, res) => {
      auth = req.headers.authorization;
      if (req.url === '/fail') res.destroy();
      else metrics(req, res);
    });
    const withUser = base.replace('http://', 'http://user:pw@');
    const c = client({ basic_auth: { username: 'config', password: 'other' } });
    await c.fetch(`${withUser}/metrics`, scrape());
    expect(auth).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    const err = await rejection(c.fetch(`${withUser}/fail`, scrape()));
    expect(err.message).toBe(`Get "${base.replace('http://', 'http://user:***@')}/fail": EOF`);
  });

  it('adds http_headers from values, secrets and files', async () => {
    let seen: string[] = [];
    const base = await serve((req, res) => {
      seen = req.headersDistinct['x-custom'] ?? [];
      metrics(req, res);
    });
    const file = write('header-value', ' from-file \n');
    await client({
      http_headers: { 'x-custom': { values: ['v1'], secrets: ['s1'], files: [file] } },
    }).fetch(base, scrape());
    expect(seen).toEqual(['v1', 's1', 'from-file']);
  });

  it("reports a non-200 status with Go's resp.Status wording", async () => {
    const base = await serve((req, res) => {
      if (req.url === '/500') res.writeHead(500).end('oops');
      else if (req.url === '/204') res.writeHead(204).end();
      else res.writeHead(503, 'Try Later').end();
    });
    const c = client();
    const e500 = await rejection(c.fetch(`${base}/500`, scrape()));
    expect(e500.message).toBe('server returned HTTP status 500 Internal Server Error');
    expect(e500.kind).toBe('status');
    expect(e500.status).toBe(500);
    expect((await rejection(c.fetch(`${base}/204`, scrape()))).message).toBe(
      'server returned HTTP status 204 No Content',
    );
    expect((await rejection(c.fetch(`${base}/503`, scrape()))).message).toBe(
      'server returned HTTP status 503 Try Later',
    );
  });

  it('asks for gzip when compression is enabled and decodes a gzip body', async () => {
    let encoding: string | undefined;
    const text = 'metric_a 1\n'.repeat(1000);
    const base = await serve((req, res) => {
      encoding = req.headers['accept-encoding'];
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' });
      res.end(zlib.gzipSync(text));
    });
    const res = await client().fetch(base, scrape({ enableCompression: true, bodySizeLimit: 1 << 20 }));
    expect(encoding).toBe('gzip');
    expect(res.body).toBe(text);
    expect(res.bytes).toBe(text.length);
  });

  it('fails when the body reaches body_size_limit, as scrape.go does (a body of exactly the limit fails)', async () => {
    const base = await serve((_req, res) => res.writeHead(200).end('x'.repeat(100)));
    const c = client();
    expect((await c.fetch(base, scrape({ bodySizeLimit: 101 }))).bytes).toBe(100);
    const err = await rejection(c.fetch(base, scrape({ bodySizeLimit: 100 })));
    expect(err.message).toBe('body size limit exceeded');
    expect(err.kind).toBe('body_size_limit');
  });

  it('stops reading an endless body at the limit and drops the connection', async () => {
    let gone: Promise<void> | undefined;
    const base = await serve((_req, res) => {
      gone = closed(res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      writeForever(res, Buffer.alloc(64 * 1024, 'a'));
    });
    const err = await rejection(client().fetch(base, scrape({ bodySizeLimit: 1 << 20 })));
    expect(err.message).toBe('body size limit exceeded');
    await gone;
  });

  it('stops a gzip bomb at the decoded limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end(bomb);
    });
    const err = await rejection(
      client().fetch(base, scrape({ enableCompression: true, bodySizeLimit: 1 << 20 })),
    );
    expect(err.message).toBe('body size limit exceeded');
  });

  it('stops an endless gzip stream, and one that decodes to nothing', async () => {
    let gone: Promise<void> | undefined;
    const base = await serve((req, res) => {
      gone = closed(res);
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      if (req.url === '/empty-members') {
        // Endless empty gzip members: no decoded bytes ever, only compressed ones.
        writeForever(res, Buffer.concat(Array.from({ length: 1000 }, () => zlib.gzipSync(''))));
      } else {
        const gz = zlib.createGzip();
        gz.pipe(res);
        const zeros = Buffer.alloc(64 * 1024);
        const pump = (): void => {
          while (!res.destroyed && gz.write(zeros));
          if (!res.destroyed) gz.once('drain', pump);
        };
        res.on('close', () => gz.destroy());
        pump();
      }
    });
    const c = client();
    const opts = scrape({ enableCompression: true, bodySizeLimit: 1 << 16 });
    expect((await rejection(c.fetch(`${base}/zeros`, opts))).message).toBe('body size limit exceeded');
    await gone;
    expect((await rejection(c.fetch(`${base}/empty-members`, opts))).message).toBe(
      'body size limit exceeded',
    );
    await gone;
  });

  it("reports damaged gzip bodies as Go's compress/gzip does", async () => {
    const good = zlib.gzipSync('up 1\n');
    const base = await serve((req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      if (req.url === '/plain') res.end('up 1\n');
      else if (req.url === '/truncated') res.end(good.subarray(0, good.length - 6));
      else res.end();
    });
    const c = client();
    expect((await rejection(c.fetch(`${base}/plain`, scrape()))).message).toBe('gzip: invalid header');
    expect((await rejection(c.fetch(`${base}/truncated`, scrape()))).message).toBe('unexpected EOF');
    expect((await rejection(c.fetch(`${base}/empty`, scrape()))).message).toBe('EOF');
  });

  it('times out a slow body with "context deadline exceeded"', async () => {
    let gone: Promise<void> | undefined;
    const base = await serve((_req, res) => {
      gone = closed(res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('up 1\n'); // and nothing more
    });
    const err = await rejection(client().fetch(base, scrape({ timeoutMs: 200 })));
    expect(err.message).toBe('context deadline exceeded');
    expect(err.kind).toBe('timeout');
    await gone;
  });

  it('times out a server that never answers, as a *url.Error', async () => {
    const base = await serve(() => {});
    const err = await rejection(client().fetch(`${base}/metrics`, scrape({ timeoutMs: 200 })));
    expect(err.message).toBe(`Get "${base}/metrics": context deadline exceeded`);
  });

  it('is cancelled by its signal', async () => {
    const ac = new AbortController();
    const base = await serve(() => ac.abort());
    const err = await rejection(client().fetch(`${base}/metrics`, scrape({ signal: ac.signal })));
    expect(err.message).toBe(`Get "${base}/metrics": context canceled`);
    expect(err.kind).toBe('canceled');
  });

  it('survives a connection reset in the middle of the body', async () => {
    const base = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('up 1\n', () => req.socket.destroy());
    });
    expect((await rejection(client().fetch(base, scrape()))).message).toBe('unexpected EOF');
  });

  it('words a refused connection as Go does', async () => {
    const server = http.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await rejection(client().fetch(`http://127.0.0.1:${port}/metrics`, scrape()));
    expect(err.message).toBe(
      `Get "http://127.0.0.1:${port}/metrics": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it('rejects requests after close()', async () => {
    const base = await serve(metrics);
    const c = client();
    await c.fetch(base, scrape());
    await c.close();
    expect((await rejection(c.fetch(base, scrape()))).message).toBe(`Get "${base}": http client closed`);
  });
});

describe('HttpClient redirects', () => {
  it('follows redirects on the same host with credentials, and never sends them to another host', async () => {
    const otherAuth: Array<string | undefined> = [];
    const other = await serve((req, res) => {
      otherAuth.push(req.headers.authorization);
      metrics(req, res);
    }, 'localhost');
    const sameAuth: Array<string | undefined> = [];
    const base = await serve((req, res) => {
      if (req.url === '/start') res.writeHead(302, { Location: '/final' }).end();
      else if (req.url === '/away') res.writeHead(301, { Location: `${other}/metrics` }).end();
      else {
        sameAuth.push(req.headers.authorization);
        metrics(req, res);
      }
    });
    const c = client({ authorization: { credentials: 'tok' } });
    expect((await c.fetch(`${base}/start`, scrape())).body).toBe('up 1\n');
    expect(sameAuth).toEqual(['Bearer tok']);
    expect((await c.fetch(`${base}/away`, scrape())).body).toBe('up 1\n');
    expect(otherAuth).toEqual([undefined]);
  });

  it('does not follow redirects when follow_redirects is false', async () => {
    const base = await serve((req, res) => {
      if (req.url === '/start') res.writeHead(302, { Location: '/final' }).end();
      else metrics(req, res);
    });
    const err = await rejection(client({ follow_redirects: false }).fetch(`${base}/start`, scrape()));
    expect(err.message).toBe('server returned HTTP status 302 Found');
  });

  it('gives up after 10 redirects', async () => {
    const base = await serve((req, res) => {
      const n = Number(req.url!.slice(1));
      res.writeHead(302, { Location: `/${n + 1}` }).end();
    });
    const err = await rejection(client().fetch(`${base}/0`, scrape()));
    expect(err.message).toBe(`Get "${base}/10": stopped after 10 redirects`);
  });
});

describe('HttpClient TLS', () => {
  const tlsServer = (cert: string, key: string, extra: https.ServerOptions = {}): Promise<string> =>
    serveTls({ cert: read(cert), key: read(key), ...extra }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200).end(peer?.subject?.CN ?? 'anonymous');
    });

  it('verifies the server with ca_file and server_name', async () => {
    const base = await tlsServer(pki.namedCert, pki.namedKey);
    const withoutName = await rejection(
      client({ tls_config: { ca_file: pki.caFile } }).fetch(base, scrape()),
    );
    expect(withoutName.message).toBe(
      `Get "${base}": tls: failed to verify certificate: x509: certificate is valid for scrape.test, not 127.0.0.1`,
    );
    const ok = await client({ tls_config: { ca_file: pki.caFile, server_name: 'scrape.test' } }).fetch(
      base,
      scrape(),
    );
    expect(ok.status).toBe(200);
  });

  it('accepts an inline CA', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey);
    expect((await client({ tls_config: { ca: read(pki.caFile) } }).fetch(base, scrape())).status).toBe(200);
  });

  it('rejects an unknown authority unless insecure_skip_verify', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey);
    const err = await rejection(client().fetch(base, scrape()));
    expect(err.message).toBe(
      `Get "${base}": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    );
    const res = await client({ tls_config: { insecure_skip_verify: true } }).fetch(base, scrape());
    expect(res.status).toBe(200);
  });

  it('presents a client certificate', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey, {
      ca: read(pki.caFile),
      requestCert: true,
      rejectUnauthorized: true,
    });
    await rejection(client({ tls_config: { ca_file: pki.caFile } }).fetch(base, scrape()));
    const res = await client({
      tls_config: { ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile },
    }).fetch(base, scrape());
    expect(res.body).toBe('client');
  });

  it('refuses a server below min_version', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey, { maxVersion: 'TLSv1.2' });
    const ok = await client({ tls_config: { ca_file: pki.caFile } }).fetch(base, scrape());
    expect(ok.status).toBe(200);
    const err = await rejection(
      client({ tls_config: { ca_file: pki.caFile, min_version: 'TLS13' } }).fetch(base, scrape()),
    );
    expect(err.message).toMatch(/^Get "https:\/\/127\.0\.0\.1:\d+": .*tls: protocol version not supported$/);
  });

  it('speaks TLS 1.0 when min_version allows it', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    await rejection(client({ tls_config: { ca_file: pki.caFile } }).fetch(base, scrape()));
    const res = await client({ tls_config: { ca_file: pki.caFile, min_version: 'TLS10' } }).fetch(
      base,
      scrape(),
    );
    expect(res.status).toBe(200);
  });

  it('picks up a rotated CA file', async () => {
    const base = await tlsServer(pki.serverCert, pki.serverKey);
    const caFile = write('rotating-ca.crt', read(pki.otherCaFile));
    const c = client({ tls_config: { ca_file: caFile } });
    await rejection(c.fetch(base, scrape()));
    fs.writeFileSync(caFile, read(pki.caFile));
    expect((await c.fetch(base, scrape())).status).toBe(200);
  });

  it('reports an unusable CA file', async () => {
    const caFile = write('not-a-ca.crt', 'hello');
    const err = await rejection(
      client({ tls_config: { ca_file: caFile } }).fetch('https://127.0.0.1:1/metrics', scrape()),
    );
    expect(err.message).toBe(
      `Get "https://127.0.0.1:1/metrics": unable to use specified CA cert file ${caFile}`,
    );
  });

  it('speaks HTTP/2 only when enable_http2', async () => {
    const server = http2.createSecureServer(
      { cert: read(pki.serverCert), key: read(pki.serverKey), allowHTTP1: true },
      (req, res) => res.writeHead(200).end(req.httpVersion),
    );
    const base = `https://127.0.0.1:${await listen(server)}`;
    const tls_config = { ca_file: pki.caFile };
    expect((await client({ tls_config }).fetch(base, scrape())).body).toBe('2.0');
    expect((await client({ tls_config, enable_http2: false }).fetch(base, scrape())).body).toBe('1.1');
  });
});

describe('HttpClient proxies', () => {
  interface Proxy {
    url: string;
    requests: string[];
    connects: Array<{ target: string; headers: http.IncomingHttpHeaders }>;
  }

  async function startProxy(): Promise<Proxy> {
    const p: Proxy = { url: '', requests: [], connects: [] };
    const server = http.createServer((req, res) => {
      p.requests.push(req.url!);
      const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      p.connects.push({ target: req.url!, headers: req.headers });
      const [host, port] = req.url!.split(':');
      const up = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    p.url = `http://127.0.0.1:${await listen(server)}`;
    return p;
  }

  it('sends plain HTTP requests through proxy_url with absolute URIs', async () => {
    const proxy = await startProxy();
    const base = await serve(metrics);
    const res = await client({ proxy_url: proxy.url }).fetch(`${base}/metrics`, scrape());
    expect(res.body).toBe('up 1\n');
    expect(proxy.requests).toEqual([`${base}/metrics`]);
  });

  it('tunnels HTTPS through proxy_url with proxy_connect_header', async () => {
    const proxy = await startProxy();
    const base = await serveTls({ cert: read(pki.serverCert), key: read(pki.serverKey) }, metrics);
    const res = await client({
      proxy_url: proxy.url,
      proxy_connect_header: { 'X-Proxy-Token': ['pt'] },
      tls_config: { ca_file: pki.caFile },
    }).fetch(`${base}/metrics`, scrape());
    expect(res.body).toBe('up 1\n');
    expect(proxy.connects.map((c) => c.target)).toEqual([base.slice('https://'.length)]);
    expect(proxy.connects[0].headers['x-proxy-token']).toBe('pt');
  });

  it('bypasses the proxy for loopback targets once no_proxy is set, as httpproxy does', async () => {
    const proxy = await startProxy();
    const base = await serve(metrics);
    await client({ proxy_url: proxy.url, no_proxy: 'example.com' }).fetch(`${base}/metrics`, scrape());
    expect(proxy.requests).toEqual([]);
  });

  it('chooses proxies by NO_PROXY rules and the environment', () => {
    const cfg = config({
      proxy_url: 'http://proxy:3128',
      no_proxy: 'example.com,10.0.0.0/8,.internal,1.2.3.4:80',
    });
    const f = proxyFunc(cfg)!;
    const via = (u: string): string | undefined => f(new URL(u));
    expect(via('http://example.com/')).toBeUndefined();
    expect(via('http://sub.example.com/')).toBeUndefined();
    expect(via('http://notexample.com/')).toBe('http://proxy:3128/');
    expect(via('http://10.1.2.3:9100/')).toBeUndefined();
    expect(via('http://a.internal/')).toBeUndefined();
    expect(via('http://internal/')).toBe('http://proxy:3128/');
    expect(via('http://1.2.3.4/')).toBeUndefined();
    expect(via('http://1.2.3.4:81/')).toBe('http://proxy:3128/');
    expect(via('https://target:9100/')).toBe('http://proxy:3128/');
    expect(via('http://localhost:9100/')).toBeUndefined();

    const always = proxyFunc(config({ proxy_url: 'http://proxy:3128' }))!;
    expect(always(new URL('http://127.0.0.1:9100/'))).toBe('http://proxy:3128');

    const env = proxyFunc(config({ proxy_from_environment: true }), {
      HTTP_PROXY: 'proxy:8080',
      https_proxy: 'https://secure:8443',
      NO_PROXY: '*.skip.me',
    })!;
    expect(env(new URL('http://target/'))).toBe('http://proxy:8080/');
    expect(env(new URL('https://target/'))).toBe('https://secure:8443/');
    expect(env(new URL('http://a.skip.me/'))).toBeUndefined();
    expect(proxyFunc(config({ proxy_from_environment: true }), {})!(new URL('http://x/'))).toBeUndefined();
    expect(proxyFunc(config())).toBeUndefined();
  });
});

describe('HttpClient.request', () => {
  it('performs a JSON GET with the configured auth and returns any status', async () => {
    let auth: string | undefined;
    const base = await serve((req, res) => {
      auth = req.headers.authorization;
      if (req.url === '/targets') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"targets":["a:1"]}]');
      } else res.writeHead(404).end('nope');
    });
    const c = client({ basic_auth: { username: 'u', password: 'p' } });
    const ok = await c.request(`${base}/targets`, {
      headers: { Accept: 'application/json' },
      timeoutMs: 5000,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString('utf8'))).toEqual([{ targets: ['a:1'] }]);
    expect(auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const missing = await c.request(`${base}/other`);
    expect(missing.status).toBe(404);
    expect(missing.statusText).toBe('404 Not Found');
    expect(missing.url).toBe(`${base}/other`);
  });
});
