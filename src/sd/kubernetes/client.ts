// How Promethium reaches the API server: api_server with the job's HTTP client settings, a
// kubeconfig file (through @kubernetes/client-node's KubeConfig), or the pod's service account
// (in-cluster). Credentials are re-read for every request, so rotated tokens and certificates are
// picked up as Prometheus (client-go) does for the service-account token.
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { KubernetesSDConfig } from '../../config/types.js';

/** Where the in-cluster service-account files live (overridable for tests). */
export interface InClusterPaths {
  tokenFile: string;
  caFile: string;
  namespaceFile: string;
}

export const DEFAULT_IN_CLUSTER_PATHS: InClusterPaths = {
  tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
  namespaceFile: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
};

interface RequestSettings {
  headers: Record<string, string>;
  tls: Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
}

/** An HTTP status other than 2xx from the API server. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(
    readonly baseURL: URL,
    private readonly settings: () => Promise<RequestSettings>,
    /** proxy_url: an HTTP proxy (CONNECT tunnel for https API servers). */
    private readonly proxy?: URL,
  ) {}

  /** Opens a GET request; the caller consumes (or destroys) the body. Rejects on non-2xx. */
  async get(path: string, query: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(this.baseURL.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== '') url.searchParams.set(k, v);
    const s = await this.settings();
    const isTLS = url.protocol === 'https:';
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'Promethium',
      ...s.headers,
    };
    const proxy = this.proxy;
    let tunnel: Duplex | undefined;
    if (proxy !== undefined && isTLS) tunnel = await connectTunnel(proxy, url, signal);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      let req: http.ClientRequest;
      if (tunnel !== undefined) {
        const socket = tunnel;
        const servername = s.tls.servername ?? (net.isIP(url.hostname) ? undefined : url.hostname);
        req = https.request(
          url,
          {
            method: 'GET',
            headers,
            // No agent: with one (even agent: false) Node would open its own connection.
            signal,
            createConnection: () => tls.connect({ socket, ...s.tls, servername }),
          },
          resolve,
        );
      } else if (proxy !== undefined) {
        // Plain http through a proxy: absolute-form request line.
        req = http.request(
          {
            host: proxy.hostname,
            port: proxy.port || 80,
            path: url.href,
            method: 'GET',
            signal,
            agent: false,
            headers: { ...headers, Host: url.host, ...proxyAuth(proxy) },
          },
          resolve,
        );
      } else {
        req = (isTLS ? https : http).request(
          url,
          { method: 'GET', headers, agent: false, signal, ...(isTLS ? s.tls : {}) },
          resolve,
        );
      }
      req.on('error', (err) => {
        tunnel?.destroy();
        reject(err);
      });
      req.end();
    });
    if (tunnel !== undefined) {
      // A tunnelled socket is not owned by the request: end it with the response or the abort.
      const t = tunnel;
      const end = (): void => {
        res.destroy();
        t.destroy();
      };
      if (signal.aborted) end();
      signal.addEventListener('abort', end, { once: true });
      res.on('close', () => {
        t.destroy();
        signal.removeEventListener('abort', end);
      });
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const body = await readBody(res).catch(() => '');
      throw new ApiStatusError(
        status,
        `${url.pathname}: server returned HTTP status ${status}: ${statusMessage(body)}`,
      );
    }
    return res;
  }

  /** GET and parse a JSON body. */
  async getJSON<T>(path: string, query: Record<string, string>, signal: AbortSignal): Promise<T> {
    const res = await this.get(path, query, signal);
    return JSON.parse(await readBody(res)) as T;
  }

  /** Builds the client for a kubernetes_sd_config, as Prometheus's kubernetes.New chooses. */
  static async fromConfig(
    cfg: KubernetesSDConfig,
    env: NodeJS.ProcessEnv,
    paths: InClusterPaths,
  ): Promise<ApiClient> {
    if (cfg.kubeconfig_file !== '') return fromKubeconfig(cfg.kubeconfig_file);
    if (cfg.api_server === '') return inCluster(env, paths);
    // Not implemented yet: say so rather than talk to the API server without the credentials.
    if (cfg.oauth2 !== undefined) throw new Error('kubernetes_sd_configs: oauth2 is not supported yet');
    if (cfg.proxy_from_environment) {
      throw new Error('kubernetes_sd_configs: proxy_from_environment is not supported yet');
    }
    const proxy = cfg.proxy_url !== '' ? new URL(cfg.proxy_url) : undefined;
    return new ApiClient(new URL(cfg.api_server), () => httpClientSettings(cfg), proxy);
  }
}

async function fromKubeconfig(file: string): Promise<ApiClient> {
  // Loaded lazily: the client library is large and only kubeconfig users need it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error(`kubeconfig ${file}: no current cluster`);
  return new ApiClient(new URL(cluster.server), async () => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (typeof opts.auth === 'string' && headers.Authorization === undefined) {
      headers.Authorization = 'Basic ' + Buffer.from(opts.auth).toString('base64');
    }
    return {
      headers,
      tls: {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
      },
    };
  });
}

function inCluster(env: NodeJS.ProcessEnv, paths: InClusterPaths): ApiClient {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '') {
    // client-go's rest.ErrNotInCluster.
    throw new Error(
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    );
  }
  const h = host.includes(':') ? `[${host}]` : host;
  return new ApiClient(new URL(`https://${h}:${port}`), async () => {
    const token = (await fs.readFile(paths.tokenFile, 'utf8')).trim();
    const ca = await fs.readFile(paths.caFile, 'utf8').catch(() => undefined);
    return { headers: { Authorization: `Bearer ${token}` }, tls: { ca } };
  });
}

async function httpClientSettings(cfg: KubernetesSDConfig): Promise<RequestSettings> {
  const headers: Record<string, string> = {};
  const a = cfg.authorization;
  if (a !== undefined) {
    const creds =
      a.credentials_file !== ''
        ? (await fs.readFile(a.credentials_file, 'utf8')).trim()
        : a.credentials.value;
    if (creds !== '') headers.Authorization = `${a.type || 'Bearer'} ${creds}`;
  }
  const b = cfg.basic_auth;
  if (b !== undefined) {
    const user = b.username_file !== '' ? (await fs.readFile(b.username_file, 'utf8')).trim() : b.username;
    const pass =
      b.password_file !== '' ? (await fs.readFile(b.password_file, 'utf8')).trim() : b.password.value;
    headers.Authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  }
  for (const [name, h] of Object.entries(cfg.http_headers ?? {})) {
    const values = [...h.values, ...h.secrets.map((s) => s.value)];
    for (const f of h.files) values.push((await fs.readFile(f, 'utf8')).trim());
    if (values.length > 0) headers[name] = values.join(', ');
  }
  const t = cfg.tls_config;
  const read = async (inline: string, file: string): Promise<string | undefined> =>
    inline !== '' ? inline : file !== '' ? fs.readFile(file, 'utf8') : undefined;
  return {
    headers,
    tls: {
      ca: await read(t.ca, t.ca_file),
      cert: await read(t.cert, t.cert_file),
      key: await read(t.key.value, t.key_file),
      rejectUnauthorized: !t.insecure_skip_verify,
      ...(t.server_name !== '' ? { servername: t.server_name } : {}),
    },
  };
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (proxy.username === '') return {};
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': 'Basic ' + Buffer.from(creds).toString('base64') };
}

/** Opens a CONNECT tunnel through `proxy` to the target's host and port. */
function connectTunnel(proxy: URL, target: URL, signal: AbortSignal): Promise<Duplex> {
  const authority = `${target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${target.port || 443}`;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority, ...proxyAuth(proxy) },
      agent: false,
      signal,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy ${proxy.host} refused CONNECT ${authority}: ${res.statusCode}`));
      } else resolve(socket);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The message of a metav1.Status body, or the body itself. */
function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: string };
    if (typeof s.message === 'string') return s.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}
