// tls_server_config → node TLS settings, following exporter-toolkit's ConfigToTLSConfig: the same
// checks in the same order and the same messages, with Go's crypto/tls choices mapped onto OpenSSL's.
import fs from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from '../config/errors.js';
import { fieldError } from '../config/source.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS, readErrorText, type TLSServerConfig } from './web-config.js';

/** Go's tls.ClientAuthType values. */
export type ClientAuth =
  | 'NoClientCert'
  | 'RequestClientCert'
  | 'RequireAnyClientCert'
  | 'VerifyClientCertIfGiven'
  | 'RequireAndVerifyClientCert';

export interface TlsSettings {
  /** Options for tls.createSecureContext / Server.setSecureContext. */
  context: tls.SecureContextOptions;
  /** node's server options that stand for Go's ClientAuth. */
  requestCert: boolean;
  rejectUnauthorized: boolean;
  clientAuth: ClientAuth;
  /** Go's client_allowed_sans check; undefined when off. */
  allowedSans: string[] | undefined;
}

// The TLS 1.3 suites Go always enables: cipher_suites only governs TLS 1.0-1.2 there.
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** exporter-toolkit's TLSConfig.IsEnabled: any TLS field set means the listener speaks TLS. */
export function tlsEnabled(c: TLSServerConfig): boolean {
  return (
    c.cert_file !== '' ||
    c.cert !== '' ||
    c.key_file !== '' ||
    c.key !== '' ||
    c.client_ca_file !== '' ||
    c.client_ca !== '' ||
    c.client_auth_type !== ''
  );
}

/** The files a TLS config reads on each handshake, for change detection. */
export function tlsFiles(c: TLSServerConfig): string[] {
  return [c.cert_file, c.key_file, c.client_ca_file].filter((f) => f !== '');
}

/**
 * Builds the TLS settings, reading the certificate, key and client CA files now; throws a ConfigError
 * naming the field on a bad config. Callers check tlsEnabled first (Go's errNoTLSConfig).
 */
export function buildTlsSettings(c: TLSServerConfig): TlsSettings {
  if (c.cert_file === '' && c.cert === '') throw fieldError(c, undefined, 'missing one of cert or cert_file');
  if (c.key_file === '' && c.key === '') throw fieldError(c, undefined, 'missing one of key or key_file');

  // Files win over inline PEM, as in exporter-toolkit's loadCert.
  const cert = c.cert_file !== '' ? readPem(c, 'cert_file') : c.cert;
  const key = c.key_file !== '' ? readPem(c, 'key_file') : c.key;
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw fieldError(
      c,
      c.cert_file !== '' ? 'cert_file' : 'cert',
      `failed to load X509KeyPair: ${errText(err)}`,
    );
  }

  const context: tls.SecureContextOptions = {
    cert,
    key,
    honorCipherOrder: c.prefer_server_cipher_suites,
  };
  if (c.min_version !== '') context.minVersion = TLS_VERSIONS.get(c.min_version);
  if (c.max_version !== '') context.maxVersion = TLS_VERSIONS.get(c.max_version);
  if (c.cipher_suites.length > 0) {
    const tls12 = c.cipher_suites.map((s) => CIPHER_SUITES.get(s)).filter((s) => typeof s === 'string');
    // Only TLS 1.3 suites listed: Go then offers no TLS 1.2 suite at all; "!ALL" is OpenSSL's way.
    context.ciphers = `${TLS13_SUITES}:${tls12.length > 0 ? tls12.join(':') : '!ALL'}`;
  }
  if (c.curve_preferences.length > 0) {
    context.ecdhCurve = c.curve_preferences.map((name) => CURVES.get(name)).join(':');
  }

  if (c.client_ca_file !== '') {
    try {
      context.ca = fs.readFileSync(c.client_ca_file, 'utf8');
    } catch (err) {
      throw fieldError(c, 'client_ca_file', readErrorText(c.client_ca_file, err));
    }
  } else if (c.client_ca !== '') {
    context.ca = c.client_ca;
  }

  let clientAuth: ClientAuth;
  switch (c.client_auth_type) {
    case 'RequestClientCert':
    case 'VerifyClientCertIfGiven':
    case 'RequireAndVerifyClientCert':
      clientAuth = c.client_auth_type;
      break;
    case 'RequireAnyClientCert':
    case 'RequireClientCert': // kept by exporter-toolkit for backwards compatibility
      clientAuth = 'RequireAnyClientCert';
      break;
    case '':
    case 'NoClientCert':
      clientAuth = 'NoClientCert';
      break;
    default:
      throw fieldError(c, 'client_auth_type', `invalid ClientAuth: ${c.client_auth_type}`);
  }
  if (context.ca !== undefined && clientAuth === 'NoClientCert') {
    throw fieldError(
      c,
      c.client_ca_file !== '' ? 'client_ca_file' : 'client_ca',
      "client CA's have been configured without a Client Auth Policy",
    );
  }
  if (
    c.client_allowed_sans !== undefined &&
    clientAuth !== 'RequireAnyClientCert' &&
    clientAuth !== 'RequireAndVerifyClientCert'
  ) {
    throw fieldError(
      c,
      'client_allowed_sans',
      'client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert',
    );
  }

  try {
    tls.createSecureContext(context);
  } catch (err) {
    // Versions out of order, or a CA that OpenSSL cannot read.
    throw fieldError(c, undefined, errText(err));
  }
  return {
    context,
    requestCert: clientAuth !== 'NoClientCert',
    // Only full verification can be left to OpenSSL; the other policies are checked once the handshake
    // is done (see acceptClient).
    rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert',
    clientAuth,
    allowedSans: c.client_allowed_sans,
  };
}

/**
 * Whether a finished handshake satisfies the client certificate policy; the reason when not.
 * (Go checks during the handshake; node leaves all but full verification to us.)
 */
export function clientRejection(settings: TlsSettings, socket: tls.TLSSocket): string | undefined {
  if (!settings.requestCert) return undefined;
  const peer = socket.getPeerCertificate();
  const given = peer !== null && Object.keys(peer).length > 0;
  switch (settings.clientAuth) {
    case 'RequireAnyClientCert':
      if (!given) return "client didn't provide a certificate";
      break;
    case 'VerifyClientCertIfGiven':
    case 'RequireAndVerifyClientCert':
      if (settings.clientAuth === 'RequireAndVerifyClientCert' && !given) {
        return "client didn't provide a certificate";
      }
      if (given && !socket.authorized) {
        return `failed to verify certificate: ${String(socket.authorizationError)}`;
      }
      break;
    default:
      break;
  }
  if (settings.allowedSans !== undefined) {
    if (!given) return 'client did not present a certificate to match against client_allowed_sans';
    const sans = subjectAltNames(peer.subjectaltname ?? '');
    if (!sans.some((s) => settings.allowedSans!.includes(s))) {
      return `could not find allowed SANs in client cert, found: [${settings.allowedSans.join(' ')}]`;
    }
  }
  return undefined;
}

/** The values of node's subjectaltname text ("DNS:a, IP Address:1.2.3.4, URI:...", quoted if need be). */
export function subjectAltNames(text: string): string[] {
  const out: string[] = [];
  const re = /(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m !== null && m[0] !== ''; m = re.exec(text)) {
    const v = m[2];
    out.push(v.startsWith('"') ? (JSON.parse(v) as string) : v);
  }
  return out;
}

function readPem(c: TLSServerConfig, field: 'cert_file' | 'key_file'): string {
  try {
    return fs.readFileSync(c[field], 'utf8');
  } catch (err) {
    throw fieldError(c, field, `failed to read ${field} (${c[field]}): ${readErrorText(c[field], err)}`);
  }
}

function errText(err: unknown): string {
  return err instanceof ConfigError ? err.reason : err instanceof Error ? err.message : String(err);
}
