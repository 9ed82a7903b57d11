// TLS settings for the HTTP client from a tls_config section. prometheus/common re-reads the CA,
// certificate and key files on every request and builds a new transport when their contents change;
// we stat the files per request and read them only when the stat changes, which finds rotated
// certificates just as well without reading a CA bundle for every scrape.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import tls from 'node:tls';
import type { TLSConfig } from '../config/types.js';
import { fileError } from './http-files.js';

/** Options for undici's connector (passed on to tls.connect). */
export interface TlsConnectOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
  minVersion: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

const VERSIONS: Record<string, tls.SecureVersion> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** One of ca / cert / key: inline text, a file, or nothing. */
interface Source {
  inline?: string;
  file?: string;
  /** What Prometheus calls the source in messages: "inline" or "file <path>". */
  description: string;
  stamp?: string;
  content?: string;
}

function source(inline: string, file: string): Source | undefined {
  if (inline !== '') return { inline, content: inline, description: 'inline' };
  if (file !== '') return { file, description: `file ${file}` };
  return undefined;
}

/** The current TLS connect options; `generation` changes whenever the material changes. */
export interface TlsState {
  options: TlsConnectOptions;
  generation: number;
}

export class TlsMaterial {
  readonly #cfg: TLSConfig;
  readonly #ca: Source | undefined;
  readonly #cert: Source | undefined;
  readonly #key: Source | undefined;
  #generation = 0;
  #state: TlsState | undefined;
  #error: Error | undefined;
  #loading: Promise<TlsState> | undefined;

  constructor(cfg: TLSConfig) {
    this.#cfg = cfg;
    this.#ca = source(cfg.ca, cfg.ca_file);
    this.#cert = source(cfg.cert, cfg.cert_file);
    this.#key = source(cfg.key.value, cfg.key_file);
  }

  /** True when no file is involved, so the options never change. */
  get immutable(): boolean {
    return [this.#ca, this.#cert, this.#key].every((s) => s === undefined || s.file === undefined);
  }

  /** The current options, re-reading files whose stat changed; rejects with Prometheus's wording. */
  current(): Promise<TlsState> {
    if (this.#state !== undefined && this.immutable) return Promise.resolve(this.#state);
    // Concurrent requests share one check of the files.
    this.#loading ??= this.#refresh().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #refresh(): Promise<TlsState> {
    const changed = [
      await refreshSource(this.#ca, 'unable to read CA cert'),
      await refreshSource(this.#cert, 'unable to read client cert'),
      await refreshSource(this.#key, 'unable to read client key'),
    ].some(Boolean);
    if (this.#state === undefined && this.#error === undefined) {
      this.#build();
    } else if (changed) {
      this.#build();
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#state!;
  }

  #build(): void {
    try {
      this.#state = { options: this.#options(), generation: ++this.#generation };
      this.#error = undefined;
    } catch (err) {
      this.#error = err as Error;
    }
  }

  #options(): TlsConnectOptions {
    const c = this.#cfg;
    const min = c.min_version === '' ? 'TLS12' : c.min_version;
    if (c.max_version !== '' && c.min_version !== '' && c.max_version < c.min_version) {
      throw new Error(
        'tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified',
      );
    }
    const opts: TlsConnectOptions = {
      rejectUnauthorized: !c.insecure_skip_verify,
      minVersion: VERSIONS[min],
    };
    if (c.max_version !== '') opts.maxVersion = VERSIONS[c.max_version];
    // OpenSSL 3's default security level refuses TLS 1.0/1.1 even when allowed; Go speaks them when asked.
    if (min === 'TLS10' || min === 'TLS11') opts.ciphers = 'DEFAULT:@SECLEVEL=0';
    if (c.server_name !== '') opts.servername = c.server_name;
    if (this.#ca !== undefined) {
      const certs = parseCertificates(this.#ca.content ?? '');
      if (certs.length === 0) throw new Error(`unable to use specified CA cert ${this.#ca.description}`);
      opts.ca = certs;
    }
    if (this.#cert !== undefined && this.#key !== undefined) {
      const cert = this.#cert.content ?? '';
      const key = this.#key.content ?? '';
      try {
        tls.createSecureContext({ cert, key });
      } catch (err) {
        throw new Error(
          `unable to use specified client cert (${this.#cert.description}) & key (${this.#key.description}): ${(err as Error).message}`,
        );
      }
      opts.cert = cert;
      opts.key = key;
    }
    return opts;
  }
}

/** Re-reads a file source when its stat changed; true when its content changed. */
async function refreshSource(s: Source | undefined, what: string): Promise<boolean> {
  if (s?.file === undefined) return false;
  let stamp: string;
  let content: string;
  try {
    const st = await fs.stat(s.file);
    stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    if (stamp === s.stamp) return false;
    content = (await fs.readFile(s.file, 'utf8')).trim();
  } catch (err) {
    s.stamp = undefined;
    throw new Error(`${what}: ${fileError(s.file, err)}`);
  }
  s.stamp = stamp;
  if (content === s.content) return false;
  s.content = content;
  return true;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Go's CertPool.AppendCertsFromPEM: the certificates that parse; others are skipped. */
function parseCertificates(pem: string): string[] {
  const out: string[] = [];
  for (const block of pem.match(PEM_CERT) ?? []) {
    try {
      new crypto.X509Certificate(block);
      out.push(block);
    } catch {
      // skipped, as Go skips blocks it cannot parse
    }
  }
  return out;
}
