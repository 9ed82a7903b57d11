// --web.config.file at run time. exporter-toolkit reads the file on every request (headers, users) and
// the file plus certificates on every TLS handshake, so edits apply without a restart. We do the same,
// but re-read only when a stat says a file changed. A file that no longer loads fails closed, as there:
// requests get 500 and handshakes fail until it is fixed; the error is logged once per broken version.
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type tls from 'node:tls';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ConfigError } from '../config/errors.js';
import type { Logger } from '../log/logger.js';
import { BasicAuthVerifier, RateLimiter, parseBasicAuth } from './basic-auth.js';
import { buildTlsSettings, clientRejection, tlsEnabled, tlsFiles, type TlsSettings } from './tls-settings.js';
import { readErrorText, readWebConfigFile, validateUsers, type WebConfig } from './web-config.js';

type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

/** A file's identity and version as stat sees them; a changed signature means "read it again". */
function statSignature(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    // A change within the clock's granularity of the last read could go unseen: until the file is
    // older than that, report a fresh signature so it is read again (contents decide what changed).
    const racy = Date.now() - Number(st.mtimeMs) < 2000;
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}${racy ? `:${Math.random()}` : ''}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Server options for node's TLS server shaped like tls.Server's internal fields we set per connection. */
interface MutableTlsServer extends tls.Server {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export class WebConfigRuntime {
  private configSig = '';
  private configText: string;
  private config: Loaded<WebConfig>;
  private tlsKey = '';
  private tlsState: Loaded<TlsSettings> | undefined;
  private appliedTls: TlsSettings | undefined;
  /** The last error logged per kind, so a broken file is reported once, not per request. */
  private readonly loggedErrors = new Map<string, string>();
  private readonly auth = new BasicAuthVerifier();
  private readonly limiter: RateLimiter | undefined;
  /** The listener speaks TLS: decided at startup, as exporter-toolkit does. */
  readonly tls: boolean;

  private constructor(
    readonly file: string,
    initial: WebConfig,
    text: string,
    tlsSettings: TlsSettings | undefined,
    private readonly log: Logger,
  ) {
    this.configText = text;
    this.config = { ok: true, value: initial };
    this.configSig = statSignature(file);
    this.tls = tlsSettings !== undefined;
    if (tlsSettings !== undefined) {
      this.tlsState = { ok: true, value: tlsSettings };
      this.tlsKey = this.tlsSignature(initial);
    }
    // The rate limiter is set up once from the startup config, as in exporter-toolkit.
    const rl = initial.rate_limit;
    if (rl.interval !== 0) this.limiter = new RateLimiter(rl.interval, rl.burst);
  }

  /**
   * exporter-toolkit's Validate: reads the file, checks the users' hashes and, when TLS is configured,
   * loads the certificates. Throws a ConfigError naming the file and field.
   */
  static load(file: string, log: Logger): WebConfigRuntime {
    const { config, text } = readWebConfigFile(file);
    validateUsers(config);
    const settings = tlsEnabled(config.tls_server_config)
      ? buildTlsSettings(config.tls_server_config)
      : undefined;
    return new WebConfigRuntime(file, config, text, settings, log);
  }

  /** Options for Fastify(): an HTTPS server when TLS is configured. */
  fastifyOptions(): { https?: tls.TlsOptions } {
    const state = this.tlsState;
    if (!this.tls || state === undefined || !state.ok) return {};
    this.appliedTls = state.value;
    return {
      https: {
        ...state.value.context,
        requestCert: state.value.requestCert,
        rejectUnauthorized: state.value.rejectUnauthorized,
      },
    };
  }

  /** The config as the file says now, re-read when its stat changed. */
  current(): Loaded<WebConfig> {
    const sig = statSignature(this.file);
    if (sig === this.configSig) return this.config;
    this.configSig = sig;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      this.config = { ok: false, error: `${this.file}: ${readErrorText(this.file, err)}` };
      return this.reportConfig();
    }
    if (text === this.configText && this.config.ok) return this.config;
    this.configText = text;
    try {
      this.config = { ok: true, value: readWebConfigFile(this.file).config };
    } catch (err) {
      this.config = { ok: false, error: errorText(err) };
    }
    return this.reportConfig();
  }

  private reportConfig(): Loaded<WebConfig> {
    if (!this.config.ok) this.logError('Unable to parse configuration', this.config.error);
    else this.loggedErrors.delete('Unable to parse configuration');
    return this.config;
  }

  private logError(msg: string, err: string): void {
    if (this.loggedErrors.get(msg) === err) return;
    this.loggedErrors.set(msg, err);
    this.log.error(msg, { file: this.file, err });
  }

  private tlsSignature(cfg: WebConfig): string {
    return [this.configText, ...tlsFiles(cfg.tls_server_config).map((f) => `${f}=${statSignature(f)}`)].join(
      '\0',
    );
  }

  /** The TLS settings for a new connection: rebuilt when the config or a certificate file changed. */
  currentTls(): Loaded<TlsSettings> {
    const cfg = this.current();
    if (!cfg.ok) return cfg;
    const key = this.tlsSignature(cfg.value);
    if (key === this.tlsKey && this.tlsState !== undefined) return this.tlsState;
    this.tlsKey = key;
    const tlsCfg = cfg.value.tls_server_config;
    try {
      // Go's GetConfigForClient gets errNoTLSConfig here, and the handshake fails.
      if (!tlsEnabled(tlsCfg)) throw new Error('TLS config is not present');
      this.tlsState = { ok: true, value: buildTlsSettings(tlsCfg) };
      this.loggedErrors.delete('Unable to load TLS configuration');
    } catch (err) {
      const text = err instanceof ConfigError ? err.message : errorText(err);
      this.tlsState = { ok: false, error: text };
      this.logError('Unable to load TLS configuration', text);
    }
    return this.tlsState;
  }

  /** Hooks the web config into the app: auth, headers and rate limit per request; TLS per connection. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      const cfg = this.current();
      if (!cfg.ok) return plainError(reply, 500, 'Internal Server Error');
      if (this.limiter !== undefined && !this.limiter.allow()) {
        return plainError(reply, 429, 'Too Many Requests');
      }
      const c = cfg.value;
      for (const [name, value] of Object.entries(c.http_server_config.headers)) reply.header(name, value);
      if (Object.keys(c.basic_auth_users).length === 0) return;
      const creds = parseBasicAuth(req.headers.authorization);
      if (creds !== undefined && (await this.auth.verify(c.basic_auth_users, creds.user, creds.password))) {
        return;
      }
      reply.header('WWW-Authenticate', 'Basic');
      return plainError(reply, 401, 'Unauthorized');
    });

    app.addHook('onListen', async () => {
      const c = this.config.ok ? this.config.value : undefined;
      const addr = app.server.address();
      const address =
        typeof addr === 'object' && addr !== null ? `${addr.address}:${addr.port}` : String(addr);
      // HTTP/2 is not served: http2 is accepted but node's HTTPS server speaks HTTP/1.1.
      this.log.info(this.tls ? 'TLS is enabled.' : 'TLS is disabled.', { http2: false, address });
      if (this.limiter !== undefined && c !== undefined) {
        this.log.info('Rate Limiter is enabled.', {
          burst: c.rate_limit.burst,
          interval: `${c.rate_limit.interval}ms`,
        });
      }
    });

    if (!this.tls) return;
    const server = app.server as unknown as MutableTlsServer;
    // Before node wraps the socket in TLS: bring the secure context up to date for this handshake.
    server.prependListener('connection', (_socket: Socket) => this.refreshServerContext(server));
    // After the handshake: the client certificate policies OpenSSL does not enforce by itself.
    server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      const settings = this.appliedTls;
      const reason =
        settings === undefined ? 'no usable TLS configuration' : clientRejection(settings, socket);
      if (reason === undefined) return;
      // Go's http.Server logs these as "TLS handshake error"; at debug level here, to spare the log.
      this.log.debug('TLS handshake error', { remote: socket.remoteAddress, err: reason });
      socket.destroy();
    });
  }

  private refreshServerContext(server: MutableTlsServer): void {
    const state = this.currentTls();
    if (state.ok) {
      if (state.value === this.appliedTls) return;
      server.setSecureContext(state.value.context);
      server.requestCert = state.value.requestCert;
      server.rejectUnauthorized = state.value.rejectUnauthorized;
      this.appliedTls = state.value;
      return;
    }
    if (this.appliedTls === undefined) return;
    // No usable config: a context without a certificate, so every handshake fails as in Go.
    server.setSecureContext({});
    server.requestCert = false;
    server.rejectUnauthorized = true;
    this.appliedTls = undefined;
  }
}

function plainError(reply: FastifyReply, code: number, text: string): FastifyReply {
  // Go's http.Error: plain text, nosniff, the status text and a newline.
  return reply
    .code(code)
    .header('X-Content-Type-Options', 'nosniff')
    .type('text/plain; charset=utf-8')
    .send(`${text}\n`);
}
