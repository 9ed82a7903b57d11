// The --web.config.file format of Prometheus's exporter-toolkit (docs/web-configuration.md): TLS for the
// listener, extra response headers, a request rate limit and bcrypt basic-auth users. Read with the same
// strict YAML engine as prometheus.yml, so errors name the file, line, column and field.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { readYaml } from '../config/config.js';
import {
  bool,
  filePath,
  int,
  list,
  map,
  object,
  parseRoot,
  raw,
  str,
  type ObjectSchema,
} from '../config/schema.js';
import { fieldError, joinPath, metaOf } from '../config/source.js';

export interface TLSServerConfig {
  cert: string;
  key: string;
  client_ca: string;
  cert_file: string;
  key_file: string;
  client_auth_type: string;
  client_ca_file: string;
  /** Go cipher suite names (crypto/tls.CipherSuites()), checked when read. */
  cipher_suites: string[];
  /** Go curve names: CurveP256, CurveP384, CurveP521, X25519. */
  curve_preferences: string[];
  /** TLS10..TLS13. */
  min_version: string;
  max_version: string;
  prefer_server_cipher_suites: boolean;
  /** Undefined when not set (Go: a nil slice turns the SAN check off). */
  client_allowed_sans: string[] | undefined;
}

export interface WebHTTPConfig {
  http2: boolean;
  headers: Record<string, string>;
}

export interface RateLimiterConfig {
  burst: number;
  /** Milliseconds between two requests; 0 turns the limiter off. */
  interval: number;
}

export interface WebConfig {
  tls_server_config: TLSServerConfig;
  http_server_config: WebHTTPConfig;
  rate_limit: RateLimiterConfig;
  /** User name → bcrypt hash. */
  basic_auth_users: Record<string, string>;
}

/** Go's crypto/tls.CipherSuites() names → OpenSSL names; TLS 1.3 suites are not configurable in Go. */
export const CIPHER_SUITES: ReadonlyMap<string, string | null> = new Map([
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_AES_128_GCM_SHA256', null],
  ['TLS_AES_256_GCM_SHA384', null],
  ['TLS_CHACHA20_POLY1305_SHA256', null],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
]);

/** exporter-toolkit's curve names → OpenSSL group names. */
export const CURVES: ReadonlyMap<string, string> = new Map([
  ['CurveP256', 'P-256'],
  ['CurveP384', 'P-384'],
  ['CurveP521', 'P-521'],
  ['X25519', 'X25519'],
]);

/** exporter-toolkit's version names → node's. */
export const TLS_VERSIONS: ReadonlyMap<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = new Map([
  ['TLS10', 'TLSv1'],
  ['TLS11', 'TLSv1.1'],
  ['TLS12', 'TLSv1.2'],
  ['TLS13', 'TLSv1.3'],
] as const);

/** The only headers http_server_config.headers may set, with their allowed values where enumerable. */
const EXTRA_HTTP_HEADERS: ReadonlyMap<string, readonly string[] | null> = new Map([
  ['Strict-Transport-Security', null],
  ['X-Content-Type-Options', ['nosniff']],
  ['X-Frame-Options', ['deny', 'sameorigin']],
  ['X-XSS-Protection', null],
  ['Content-Security-Policy', null],
]);

const tlsServerSchema: ObjectSchema = {
  type: 'web.TLSConfig',
  fields: [
    { name: 'cert', kind: str },
    { name: 'key', kind: str },
    { name: 'client_ca', kind: str },
    { name: 'cert_file', kind: filePath },
    { name: 'key_file', kind: filePath },
    { name: 'client_auth_type', kind: str },
    { name: 'client_ca_file', kind: filePath },
    { name: 'cipher_suites', kind: list(str) },
    { name: 'curve_preferences', kind: list(str) },
    { name: 'min_version', kind: str, def: () => 'TLS12' },
    { name: 'max_version', kind: str, def: () => 'TLS13' },
    { name: 'prefer_server_cipher_suites', kind: bool, def: () => true },
    { name: 'client_allowed_sans', kind: list(str), optional: true },
  ],
  finish(o) {
    // Go's UnmarshalYAML of Cipher, Curve and TLSVersion: unknown names fail the whole file.
    for (const c of o.cipher_suites as string[]) {
      if (!CIPHER_SUITES.has(c)) throw fieldError(o, 'cipher_suites', `unknown cipher: ${c}`);
    }
    for (const c of o.curve_preferences as string[]) {
      if (!CURVES.has(c)) throw fieldError(o, 'curve_preferences', `unknown curve: ${c}`);
    }
    for (const v of ['min_version', 'max_version']) {
      const name = o[v] as string;
      // An explicit null leaves Go's zero version, which crypto/tls reads as its default.
      if (name !== '' && !TLS_VERSIONS.has(name)) throw fieldError(o, v, `unknown TLS version: ${name}`);
    }
  },
};

const httpServerSchema: ObjectSchema = {
  type: 'web.HTTPConfig',
  fields: [
    { name: 'http2', kind: bool, def: () => true },
    { name: 'headers', kind: map(str) },
  ],
  finish(o) {
    for (const [name, value] of Object.entries(o.headers as Record<string, string>)) {
      const allowed = EXTRA_HTTP_HEADERS.get(name);
      if (allowed === undefined)
        throw entryError(o, 'headers', name, `HTTP header "${name}" can not be configured`);
      if (allowed !== null && !allowed.includes(value)) {
        throw entryError(
          o,
          'headers',
          name,
          `invalid value for ${name}. Expected one of: [${allowed.map((a) => JSON.stringify(a)).join(' ')}], but got: ${JSON.stringify(value)}`,
        );
      }
    }
  },
};

const rateLimitSchema: ObjectSchema = {
  type: 'web.RateLimiterConfig',
  fields: [
    { name: 'burst', kind: int },
    // A Go time.Duration: "1s", "1m30s", "250ms"; a bare integer counts nanoseconds (yaml.v2).
    { name: 'interval', kind: raw, def: () => 0 },
  ],
  finish(o) {
    const v = o.interval;
    if (typeof v === 'number' && Number.isInteger(v)) o.interval = v / 1e6;
    else if (typeof v === 'string') {
      try {
        o.interval = parseGoDuration(v);
      } catch (err) {
        throw fieldError(o, 'interval', (err as Error).message);
      }
    } else if (v === null || v === undefined) o.interval = 0;
    else throw fieldError(o, 'interval', `cannot unmarshal ${JSON.stringify(v)} into time.Duration`);
  },
};

const webConfigSchema: ObjectSchema = {
  type: 'web.Config',
  fields: [
    { name: 'tls_server_config', kind: object(tlsServerSchema) },
    { name: 'http_server_config', kind: object(httpServerSchema) },
    { name: 'rate_limit', kind: object(rateLimitSchema) },
    { name: 'basic_auth_users', kind: map(str) },
  ],
};

/**
 * Parses a web config file's text (exporter-toolkit's getConfig: strict YAML plus the header check).
 * Relative file paths resolve against `dir`, the web config file's directory.
 */
export function parseWebConfig(text: string, file: string, dir: string): WebConfig {
  const { src, doc } = readYaml(text, file, dir, []);
  return parseRoot(webConfigSchema, doc.contents as never, { src }) as unknown as WebConfig;
}

/** Reads and parses the file at `file`; a missing or unreadable file is a ConfigError naming it. */
export function readWebConfigFile(file: string): { config: WebConfig; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError({ file, field: '' }, readErrorText(file, err));
  }
  return { config: parseWebConfig(text, file, path.dirname(path.resolve(file))), text };
}

/** An fs error in Go's wording: "open /x: no such file or directory". */
export function readErrorText(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (code === 'EACCES') return `open ${file}: permission denied`;
  if (code === 'EISDIR') return `read ${file}: is a directory`;
  return (err as Error).message;
}

/**
 * exporter-toolkit's validateUsers: every password must be a bcrypt hash (golang.org/x/crypto/bcrypt
 * Cost's checks and messages). Checked at startup only, as exporter-toolkit does.
 */
export function validateUsers(cfg: WebConfig): void {
  for (const [user, hash] of Object.entries(cfg.basic_auth_users)) {
    const reason = bcryptHashProblem(hash);
    if (reason === undefined) continue;
    throw entryError(cfg, 'basic_auth_users', user, reason);
  }
}

/** An error about one entry of the map at `key` of `obj`, pointing at the map's key line. */
function entryError(obj: object, key: string, entry: string, reason: string): ConfigError {
  const meta = metaOf(obj);
  if (meta === undefined)
    return new ConfigError({ file: '<web config>', field: joinPath(key, entry) }, reason);
  return meta.src.error(joinPath(joinPath(meta.path, key), entry), meta.keys.get(key), reason);
}

function bcryptHashProblem(hash: string): string | undefined {
  if (hash.length < 59) return 'crypto/bcrypt: hashedSecret too short to be a bcrypted password';
  if (hash[0] !== '$') {
    return `crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '${hash[0]}'`;
  }
  if (hash[1] > '2') {
    return `crypto/bcrypt: bcrypt algorithm version '${hash[1]}' requested is newer than current version '2'`;
  }
  const rest = hash.slice(hash[2] === '$' ? 3 : 4);
  const cost = /^\d\d/.exec(rest) === null ? NaN : Number(rest.slice(0, 2));
  if (Number.isNaN(cost)) return `strconv.Atoi: parsing ${JSON.stringify(rest.slice(0, 2))}: invalid syntax`;
  if (cost < 4 || cost > 31) return `crypto/bcrypt: cost ${cost} is outside allowed range (4,31)`;
  return undefined;
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  const re = /^(\d*)(?:\.(\d*))?([a-zµμ]*)/;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    const unitName = m[3];
    if (unitName === '') throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unit = GO_UNITS[unitName];
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(text)}`);
    }
    total += Number(`${m[1] === '' ? '0' : m[1]}.${m[2] ?? '0'}`) * unit;
    s = s.slice(m[0].length);
  }
  return sign * total;
}
