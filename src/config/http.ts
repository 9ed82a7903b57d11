// Prometheus common's HTTP client options (config/http_config.go, config/headers.go): the fields
// every HTTP-speaking section inlines, and HTTPClientConfig.Validate's exclusivity rules.
import {
  bool,
  filePath,
  list,
  map,
  object,
  secret,
  str,
  type Field,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { Secret } from './secret.js';
import { fieldError } from './source.js';
import type { Authorization, HTTPClientConfig, TLSConfig } from './types.js';

const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

const set = (s: string | Secret): boolean => (s instanceof Secret ? s.value : s) !== '';
const count = (...xs: boolean[]): number => xs.filter(Boolean).length;

export const tlsSchema: ObjectSchema = {
  type: 'config.TLSConfig',
  fields: [
    { name: 'ca', kind: str },
    { name: 'cert', kind: str },
    { name: 'key', kind: secret },
    { name: 'ca_file', kind: filePath },
    { name: 'cert_file', kind: filePath },
    { name: 'key_file', kind: filePath },
    { name: 'ca_ref', kind: str },
    { name: 'cert_ref', kind: str },
    { name: 'key_ref', kind: str },
    { name: 'server_name', kind: str },
    { name: 'insecure_skip_verify', kind: bool, always: true },
    { name: 'min_version', kind: str },
    { name: 'max_version', kind: str },
    { name: 'next_protos', kind: list(str) },
  ],
  finish(o) {
    const c = o as unknown as TLSConfig;
    for (const v of ['min_version', 'max_version'] as const) {
      if (c[v] !== '' && !TLS_VERSIONS.includes(c[v])) throw fieldError(o, v, `unknown TLS version: ${c[v]}`);
    }
    if (count(set(c.ca), set(c.ca_file), set(c.ca_ref)) > 1) {
      throw fieldError(o, 'ca', 'at most one of ca, ca_file & ca_ref must be configured');
    }
    if (count(set(c.cert), set(c.cert_file), set(c.cert_ref)) > 1) {
      throw fieldError(o, 'cert', 'at most one of cert, cert_file & cert_ref must be configured');
    }
    if (count(set(c.key), set(c.key_file), set(c.key_ref)) > 1) {
      throw fieldError(o, 'key', 'at most one of key and key_file must be configured');
    }
    const usingCert = set(c.cert) || set(c.cert_file) || set(c.cert_ref);
    const usingKey = set(c.key) || set(c.key_file) || set(c.key_ref);
    if (usingCert && !usingKey) {
      throw fieldError(
        o,
        undefined,
        'exactly one of key or key_file must be configured when a client certificate is configured',
      );
    }
    if (usingKey && !usingCert) {
      throw fieldError(
        o,
        undefined,
        'exactly one of cert or cert_file must be configured when a client key is configured',
      );
    }
  },
};

export const proxyFields: Field[] = [
  { name: 'proxy_url', kind: str },
  { name: 'no_proxy', kind: str },
  { name: 'proxy_from_environment', kind: bool },
  { name: 'proxy_connect_header', kind: map(list(secret)) },
];

function validateProxy(o: Obj): void {
  const proxyURL = o.proxy_url as string;
  const headers = o.proxy_connect_header as Record<string, unknown>;
  const fromEnv = o.proxy_from_environment as boolean;
  const noProxy = o.no_proxy as string;
  if (Object.keys(headers).length > 0 && !fromEnv && proxyURL === '') {
    throw fieldError(
      o,
      'proxy_connect_header',
      'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured',
    );
  }
  if (fromEnv && proxyURL !== '') {
    throw fieldError(
      o,
      'proxy_url',
      'if proxy_from_environment is configured, proxy_url must not be configured',
    );
  }
  if (fromEnv && noProxy !== '') {
    throw fieldError(
      o,
      'no_proxy',
      'if proxy_from_environment is configured, no_proxy must not be configured',
    );
  }
  if (proxyURL === '' && noProxy !== '') {
    throw fieldError(o, 'no_proxy', 'if no_proxy is configured, proxy_url must also be configured');
  }
  if (proxyURL !== '') checkURL(o, 'proxy_url', proxyURL);
}

/** Go's url.Parse accepts almost anything; reject what it rejects in practice. */
export function checkURL(o: Obj, field: string, url: string): void {
  if (/^[^/?#]*:/.test(url) && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) {
    throw fieldError(o, field, `parse ${JSON.stringify(url)}: missing protocol scheme`);
  }
  if ([...url].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f || ch === ' ')) {
    throw fieldError(o, field, `parse ${JSON.stringify(url)}: invalid character in URL`);
  }
}

const basicAuthSchema: ObjectSchema = {
  type: 'config.BasicAuth',
  fields: [
    { name: 'username', kind: str, always: true },
    { name: 'username_file', kind: filePath },
    { name: 'username_ref', kind: str },
    { name: 'password', kind: secret },
    { name: 'password_file', kind: filePath },
    { name: 'password_ref', kind: str },
  ],
};

const authorizationSchema: ObjectSchema = {
  type: 'config.Authorization',
  fields: [
    { name: 'type', kind: str },
    { name: 'credentials', kind: secret },
    { name: 'credentials_file', kind: filePath },
    { name: 'credentials_ref', kind: str },
  ],
};

const oauth2Schema: ObjectSchema = {
  type: 'config.OAuth2',
  fields: [
    { name: 'client_id', kind: str, always: true },
    { name: 'client_secret', kind: secret, always: true },
    { name: 'client_secret_file', kind: filePath, always: true },
    { name: 'client_secret_ref', kind: str, always: true },
    { name: 'scopes', kind: list(str) },
    { name: 'token_url', kind: str, always: true },
    { name: 'endpoint_params', kind: map(str) },
    { name: 'tls_config', kind: object(tlsSchema) },
    ...proxyFields,
  ],
  finish: validateProxy,
};

const headerSchema: ObjectSchema = {
  type: 'config.Header',
  fields: [
    { name: 'values', kind: list(str) },
    { name: 'secrets', kind: list(secret) },
    { name: 'files', kind: list(filePath) },
  ],
};

// Headers the HTTP client owns (common/config/headers.go); http_headers may not set them.
const RESERVED_HTTP_HEADERS = new Set(
  [
    'Authorization',
    'Host',
    'Content-Encoding',
    'Content-Length',
    'Content-Type',
    'User-Agent',
    'Connection',
    'Keep-Alive',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Www-Authenticate',
    'Accept-Encoding',
    'X-Prometheus-Remote-Write-Version',
    'X-Prometheus-Remote-Read-Version',
    'X-Prometheus-Scrape-Timeout-Seconds',
    'X-Amz-Date',
    'X-Amz-Security-Token',
    'X-Amz-Content-Sha256',
  ].map((h) => h.toLowerCase()),
);

/** Go's http.CanonicalHeaderKey for ASCII names: "x-foo-bar" → "X-Foo-Bar". */
export function canonicalHeaderKey(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('-');
}

/** The inlined HTTP client fields, in Prometheus's printing order. */
export const httpClientFields: Field[] = [
  { name: 'basic_auth', kind: object(basicAuthSchema), optional: true },
  { name: 'authorization', kind: object(authorizationSchema), optional: true },
  { name: 'oauth2', kind: object(oauth2Schema), optional: true },
  { name: 'bearer_token', kind: secret },
  { name: 'bearer_token_file', kind: filePath },
  { name: 'tls_config', kind: object(tlsSchema) },
  { name: 'follow_redirects', kind: bool, def: () => true, always: true },
  { name: 'enable_http2', kind: bool, def: () => true, always: true },
  ...proxyFields,
  { name: 'http_headers', kind: map(object(headerSchema)), optional: true },
];

/** Authorizations made from a job's bearer_token_file, so that messages can name the field the user wrote. */
const fromBearerTokenFile = new WeakSet<Authorization>();

export function movedBearerTokenFile(auth: Authorization): boolean {
  return fromBearerTokenFile.has(auth);
}

/**
 * HTTPClientConfig.Validate: at most one authentication method, and the deprecated bearer_token /
 * bearer_token_file moved into `authorization` (so printing shows what Prometheus shows).
 */
export function validateHTTPClient(o: Obj): void {
  const c = o as unknown as HTTPClientConfig;
  const bearer = set(c.bearer_token);
  const bearerFile = c.bearer_token_file !== '';
  if (bearer && bearerFile) {
    throw fieldError(o, 'bearer_token', 'at most one of bearer_token & bearer_token_file must be configured');
  }
  if ((c.basic_auth || c.oauth2) && (bearer || bearerFile)) {
    throw fieldError(
      o,
      bearer ? 'bearer_token' : 'bearer_token_file',
      'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    );
  }
  const ba = c.basic_auth;
  if (ba && count(ba.username !== '', ba.username_file !== '', ba.username_ref !== '') > 1) {
    throw fieldError(
      o,
      'basic_auth',
      'at most one of basic_auth username, username_file & username_ref must be configured',
    );
  }
  if (ba && count(set(ba.password), ba.password_file !== '', ba.password_ref !== '') > 1) {
    throw fieldError(
      o,
      'basic_auth',
      'at most one of basic_auth password, password_file & password_ref must be configured',
    );
  }
  if (c.authorization) {
    const a = c.authorization;
    if (bearer || bearerFile) {
      throw fieldError(
        o,
        'authorization',
        'authorization is not compatible with bearer_token & bearer_token_file',
      );
    }
    if (count(set(a.credentials), a.credentials_file !== '', a.credentials_ref !== '') > 1) {
      throw fieldError(
        o,
        'authorization',
        'at most one of authorization credentials & credentials_file must be configured',
      );
    }
    a.type = a.type.trim();
    if (a.type === '') a.type = 'Bearer';
    if (a.type.toLowerCase() === 'basic') {
      throw fieldError(
        o,
        'authorization',
        'authorization type cannot be set to "basic", use "basic_auth" instead',
      );
    }
    if (c.basic_auth || c.oauth2) {
      throw fieldError(
        o,
        'authorization',
        'at most one of basic_auth, oauth2 & authorization must be configured',
      );
    }
  } else if (bearer || bearerFile) {
    const auth: Authorization = {
      type: 'Bearer',
      credentials: bearer ? c.bearer_token : new Secret(''),
      credentials_file: bearer ? '' : c.bearer_token_file,
      credentials_ref: '',
    };
    c.authorization = auth;
    if (bearerFile) fromBearerTokenFile.add(auth);
    c.bearer_token = new Secret('');
    c.bearer_token_file = '';
  }
  if (c.oauth2) {
    if (c.basic_auth) {
      throw fieldError(o, 'oauth2', 'at most one of basic_auth, oauth2 & authorization must be configured');
    }
    if (c.oauth2.client_id === '') throw fieldError(o, 'oauth2', 'oauth2 client_id must be configured');
    if (c.oauth2.token_url === '') throw fieldError(o, 'oauth2', 'oauth2 token_url must be configured');
    const s = c.oauth2;
    if (count(set(s.client_secret), s.client_secret_file !== '', s.client_secret_ref !== '') > 1) {
      throw fieldError(
        o,
        'oauth2',
        'at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured',
      );
    }
  }
  validateProxy(o);
  if (c.http_headers) {
    for (const name of Object.keys(c.http_headers)) {
      if (RESERVED_HTTP_HEADERS.has(name.toLowerCase())) {
        throw fieldError(
          o,
          'http_headers',
          `setting header ${JSON.stringify(canonicalHeaderKey(name))} is not allowed`,
        );
      }
    }
  }
}

/** Go's reflect.DeepEqual(c, DefaultHTTPClientConfig), used by Kubernetes SD. */
export function isDefaultHTTPClient(o: Obj): boolean {
  const c = o as unknown as HTTPClientConfig;
  const tls = c.tls_config;
  const tlsZero =
    !set(tls.ca) &&
    !set(tls.cert) &&
    !set(tls.key) &&
    tls.ca_file === '' &&
    tls.cert_file === '' &&
    tls.key_file === '' &&
    tls.ca_ref === '' &&
    tls.cert_ref === '' &&
    tls.key_ref === '' &&
    tls.server_name === '' &&
    !tls.insecure_skip_verify &&
    tls.min_version === '' &&
    tls.max_version === '' &&
    tls.next_protos.length === 0;
  return (
    c.basic_auth === undefined &&
    c.authorization === undefined &&
    c.oauth2 === undefined &&
    !set(c.bearer_token) &&
    c.bearer_token_file === '' &&
    tlsZero &&
    c.follow_redirects &&
    c.enable_http2 &&
    c.proxy_url === '' &&
    c.no_proxy === '' &&
    !c.proxy_from_environment &&
    Object.keys(c.proxy_connect_header).length === 0 &&
    c.http_headers === undefined
  );
}
