// Errors of the HTTP client, worded as Go's net/http and crypto/tls print them where Prometheus users
// see them (a target's "Error" column): connection refused, TLS verification, EOF, gzip damage.

/** What went wrong, for callers that count failures by cause (e.g. body size limit hits). */
export type HttpErrorKind = 'timeout' | 'canceled' | 'body_size_limit' | 'status' | 'request';

export class HttpClientError extends Error {
  constructor(
    message: string,
    readonly kind: HttpErrorKind,
    /** The HTTP status for kind "status". */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpClientError';
  }
}

/** scrape.go's errBodySizeLimit. */
export const BODY_SIZE_LIMIT_EXCEEDED = 'body size limit exceeded';
export const DEADLINE_EXCEEDED = 'context deadline exceeded';
export const CANCELED = 'context canceled';

interface NodeishError extends Error {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  host?: string;
  cert?: { subjectaltname?: string };
  cause?: unknown;
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

const TLS_ALERTS: Record<string, string> = {
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'remote error: tls: protocol version not supported',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'tls: protocol version not supported',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'tls: protocol version not supported',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls: first record does not look like a TLS handshake',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'remote error: tls: certificate required',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'remote error: tls: bad certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'remote error: tls: unknown certificate authority',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'remote error: tls: handshake failure',
};

/** The innermost error with a code, since undici wraps socket errors. */
function rootCause(err: unknown): NodeishError {
  let e = err as NodeishError;
  for (let i = 0; i < 5 && e.cause instanceof Error && e.code === undefined; i++) e = e.cause as NodeishError;
  return e;
}

function dialAddr(e: NodeishError): string {
  if (e.address === undefined) return '';
  const host = e.address.includes(':') ? `[${e.address}]` : e.address;
  return e.port !== undefined ? ` ${host}:${e.port}` : ` ${host}`;
}

/**
 * A transport failure as Go would word it; `inBody` distinguishes a connection lost while reading the
 * body ("unexpected EOF") from one lost before the response ("EOF").
 */
export function describeTransportError(err: unknown, inBody: boolean): string {
  if (!(err instanceof Error)) return String(err);
  const e = rootCause(err);
  const code = e.code ?? '';
  if (UNKNOWN_AUTHORITY.has(code)) {
    return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `tls: failed to verify certificate: x509: certificate has expired or is not yet valid: ${e.message}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (e.cert?.subjectaltname ?? '')
      .split(', ')
      .map((n) => n.replace(/^(DNS|IP Address):/, ''))
      .filter((n) => n !== '');
    const host = e.host ?? '';
    return names.length > 0
      ? `tls: failed to verify certificate: x509: certificate is valid for ${names.join(', ')}, not ${host}`
      : `tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match ${host}`;
  }
  const alert = TLS_ALERTS[code];
  if (alert !== undefined) return alert;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp${dialAddr(e)}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp${dialAddr(e)}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp${dialAddr(e)}: connect: network is unreachable`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp${dialAddr(e)}: i/o timeout`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${e.hostname ?? ''}: no such host`;
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${e.hostname ?? ''}: temporary failure in name resolution`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'EPIPE':
      return 'write: broken pipe';
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return inBody ? 'unexpected EOF' : 'EOF';
  }
  return e.message !== '' ? e.message : err.message;
}

/** A gzip decoding failure as Go's compress/gzip reports it. */
export function describeGzipError(err: unknown): string {
  const e = err as NodeishError;
  if (e.code === 'Z_BUF_ERROR') return 'unexpected EOF';
  if (e.code === 'Z_DATA_ERROR') {
    if (e.message === 'incorrect header check') return 'gzip: invalid header';
    if (e.message === 'incorrect data check' || e.message === 'incorrect length check') {
      return 'gzip: invalid checksum';
    }
    return `flate: corrupt input (${e.message})`;
  }
  return e.message;
}
