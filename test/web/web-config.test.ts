import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { createLogger } from '../../src/log/logger.js';
import { BasicAuthVerifier, RateLimiter, parseBasicAuth } from '../../src/web/basic-auth.js';
import { buildTlsSettings, subjectAltNames, tlsEnabled } from '../../src/web/tls-settings.js';
import { WebConfigRuntime } from '../../src/web/web-config-runtime.js';
import { parseGoDuration, parseWebConfig, validateUsers } from '../../src/web/web-config.js';
import { makeTestPki, type TestPki } from '../support/tls-certs.js';

const FILE = '/etc/prom/web.yml';
const parse = (text: string) => parseWebConfig(text, FILE, '/etc/prom');

function parseError(text: string): ConfigError {
  try {
    const cfg = parse(text);
    validateUsers(cfg);
    if (tlsEnabled(cfg.tls_server_config)) buildTlsSettings(cfg.tls_server_config);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected an error');
}

describe('web config parsing', () => {
  it('applies exporter-toolkit defaults to an empty file', () => {
    const cfg = parse('');
    expect(cfg.tls_server_config.min_version).toBe('TLS12');
    expect(cfg.tls_server_config.max_version).toBe('TLS13');
    expect(cfg.tls_server_config.prefer_server_cipher_suites).toBe(true);
    expect(cfg.tls_server_config.client_allowed_sans).toBeUndefined();
    expect(cfg.http_server_config).toEqual({ http2: true, headers: {} });
    expect(cfg.rate_limit).toEqual({ burst: 0, interval: 0 });
    expect(cfg.basic_auth_users).toEqual({});
    expect(tlsEnabled(cfg.tls_server_config)).toBe(false);
  });

  it('reads every field and resolves relative paths against the file directory', () => {
    const cfg = parse(`
tls_server_config:
  cert_file: certs/server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
  client_allowed_sans: [client.example]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
rate_limit:
  interval: 1m30s
  burst: 5
basic_auth_users:
  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
`);
    const t = cfg.tls_server_config;
    expect(t.cert_file).toBe('/etc/prom/certs/server.crt');
    expect(t.key_file).toBe('/abs/server.key');
    expect(t.client_ca_file).toBe('/etc/prom/ca.crt');
    expect(t.min_version).toBe('TLS13');
    expect(t.cipher_suites).toEqual(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
    expect(t.curve_preferences).toEqual(['X25519', 'CurveP256']);
    expect(t.prefer_server_cipher_suites).toBe(false);
    expect(t.client_allowed_sans).toEqual(['client.example']);
    expect(cfg.http_server_config).toEqual({
      http2: false,
      headers: { 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' },
    });
    expect(cfg.rate_limit).toEqual({ interval: 90_000, burst: 5 });
    expect(Object.keys(cfg.basic_auth_users)).toEqual(['alice']);
    expect(() => validateUsers(cfg)).not.toThrow();
  });

  it.each([
    ['foo: 1\n', '/etc/prom/web.yml:1:1: foo: field foo not found in type web.Config'],
    [
      'tls_server_config:\n  cert_fil: x\n',
      '/etc/prom/web.yml:2:3: tls_server_config.cert_fil: field cert_fil not found in type web.TLSConfig',
    ],
    [
      'http_server_config:\n  http3: true\n',
      '/etc/prom/web.yml:2:3: http_server_config.http3: field http3 not found in type web.HTTPConfig',
    ],
    [
      'tls_server_config:\n  min_version: TLS14\n',
      '/etc/prom/web.yml:2:3: tls_server_config.min_version: unknown TLS version: TLS14',
    ],
    [
      'tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n',
      'tls_server_config.cipher_suites: unknown cipher: TLS_RSA_WITH_RC4_128_SHA',
    ],
    ['tls_server_config:\n  curve_preferences: [P256]\n', 'unknown curve: P256'],
    [
      'http_server_config:\n  headers:\n    X-Powered-By: me\n',
      '/etc/prom/web.yml:2:3: http_server_config.headers.X-Powered-By: HTTP header "X-Powered-By" can not be configured',
    ],
    [
      'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      'invalid value for X-Frame-Options. Expected one of: ["deny" "sameorigin"], but got: "allow"',
    ],
    ['http_server_config:\n  http2: maybe\n', 'cannot unmarshal !!str `maybe` into bool'],
    ['rate_limit:\n  interval: 5\n', ''], // 5 ns is valid
    ['rate_limit:\n  interval: 5x\n', 'rate_limit.interval: time: unknown unit "x" in duration "5x"'],
    ['basic_auth_users: [a]\n', 'cannot unmarshal !!seq into map[string]string'],
    [
      'basic_auth_users:\n  alice: plain\n',
      '/etc/prom/web.yml:1:1: basic_auth_users.alice: crypto/bcrypt: hashedSecret too short to be a bcrypted password',
    ],
    [
      `basic_auth_users:\n  bob: "$2y$99$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze"\n`,
      'crypto/bcrypt: cost 99 is outside allowed range (4,31)',
    ],
    ['tls_server_config:\n  key_file: k\n', 'tls_server_config: missing one of cert or cert_file'],
    ['tls_server_config:\n  cert: x\n', 'tls_server_config: missing one of key or key_file'],
    [
      'tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n',
      'tls_server_config.cert_file: failed to read cert_file (/etc/prom/nope.crt): open /etc/prom/nope.crt: no such file or directory',
    ],
    ['a: [\n', '/etc/prom/web.yml:'],
  ])('rejects %j', (text, message) => {
    if (message === '') {
      expect(parse(text).rate_limit.interval).toBeCloseTo(5e-6);
      return;
    }
    expect(parseError(text).message).toContain(message);
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('1.5us')).toBeCloseTo(0.0015);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('1d')).toThrow('unknown unit "d"');
    expect(() => parseGoDuration('10')).toThrow('missing unit');
    expect(() => parseGoDuration('')).toThrow('invalid duration');
  });
});

describe('TLS settings', () => {
  let pki: TestPki;
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webcfg-unit-'));
    pki = makeTestPki(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const tlsConfig = (extra: string) =>
    parseWebConfig(
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`,
      path.join(dir, 'web.yml'),
      dir,
    ).tls_server_config;

  it('maps the config onto node options', () => {
    const s = buildTlsSettings(
      tlsConfig(
        '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n' +
          '  curve_preferences: [CurveP384, X25519]\n  min_version: TLS13\n',
      ),
    );
    expect(s.context.minVersion).toBe('TLSv1.3');
    expect(s.context.maxVersion).toBe('TLSv1.3');
    expect(s.context.ciphers).toBe(
      'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256',
    );
    expect(s.context.ecdhCurve).toBe('P-384:X25519');
    expect(s.context.honorCipherOrder).toBe(true);
    expect(s).toMatchObject({ clientAuth: 'NoClientCert', requestCert: false, rejectUnauthorized: false });
  });

  it.each([
    ['RequestClientCert', 'RequestClientCert', false],
    ['RequireClientCert', 'RequireAnyClientCert', false],
    ['RequireAnyClientCert', 'RequireAnyClientCert', false],
    ['VerifyClientCertIfGiven', 'VerifyClientCertIfGiven', false],
    ['RequireAndVerifyClientCert', 'RequireAndVerifyClientCert', true],
  ])('client_auth_type %s', (type, clientAuth, reject) => {
    const s = buildTlsSettings(tlsConfig(`  client_auth_type: ${type}\n  client_ca_file: ca.crt\n`));
    expect(s).toMatchObject({ clientAuth, requestCert: true, rejectUnauthorized: reject });
    expect(s.context.ca).toBe(pki.caCert);
  });

  it.each([
    ['  client_auth_type: Always\n', 'tls_server_config.client_auth_type: invalid ClientAuth: Always'],
    ['  client_ca_file: ca.crt\n', "client CA's have been configured without a Client Auth Policy"],
    [
      '  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n',
      'client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert',
    ],
    ['  client_auth_type: RequestClientCert\n  client_ca_file: none.crt\n', 'none.crt: no such file'],
  ])('rejects %j', (extra, message) => {
    expect(() => buildTlsSettings(tlsConfig(extra))).toThrowError(message);
  });

  it('rejects a key that does not belong to the certificate', () => {
    const cfg = parseWebConfig(
      'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n',
      path.join(dir, 'web.yml'),
      dir,
    ).tls_server_config;
    expect(() => buildTlsSettings(cfg)).toThrowError('failed to load X509KeyPair');
  });

  it('reads subjectAltName text', () => {
    expect(subjectAltNames('DNS:a.example, IP Address:127.0.0.1, URI:"spiffe://x,y", email:a@b')).toEqual([
      'a.example',
      '127.0.0.1',
      'spiffe://x,y',
      'a@b',
    ]);
  });

  it('validates the whole file at startup like exporter-toolkit Validate', () => {
    const log = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });
    expect(() => WebConfigRuntime.load(path.join(dir, 'missing.yml'), log)).toThrowError(
      `${path.join(dir, 'missing.yml')}: open ${path.join(dir, 'missing.yml')}: no such file or directory`,
    );
    const file = path.join(dir, 'web-ok.yml');
    fs.writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const rt = WebConfigRuntime.load(file, log);
    expect(rt.tls).toBe(true);
    expect(rt.fastifyOptions().https).toMatchObject({ requestCert: false, minVersion: 'TLSv1.2' });
    fs.writeFileSync(file, 'basic_auth_users: {}\n');
    const plain = WebConfigRuntime.load(file, log);
    expect(plain.tls).toBe(false);
    expect(plain.fastifyOptions()).toEqual({});
  });
});

describe('basic auth', () => {
  it('parses the Authorization header like Go', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(parseBasicAuth(`Basic ${b64('alice:pa:ss')}`)).toEqual({ user: 'alice', password: 'pa:ss' });
    expect(parseBasicAuth(`bAsIc ${b64('a:')}`)).toEqual({ user: 'a', password: '' });
    expect(parseBasicAuth(`Basic ${b64('nocolon')}`)).toBeUndefined();
    expect(parseBasicAuth('Basic !!!!')).toBeUndefined();
    expect(parseBasicAuth(`Bearer ${b64('a:b')}`)).toBeUndefined();
    expect(parseBasicAuth(undefined)).toBeUndefined();
  });

  it('checks bcrypt hashes, unknown users against a dummy hash, and caches verdicts', async () => {
    const users = { alice: bcrypt.hashSync('secret', 4), constructor: 'x' };
    const v = new BasicAuthVerifier();
    const compare = vi.spyOn(bcrypt, 'compare');
    try {
      expect(await v.verify(users, 'alice', 'secret')).toBe(true);
      expect(await v.verify(users, 'alice', 'wrong')).toBe(false);
      expect(await v.verify(users, 'mallory', 'fakepassword')).toBe(false);
      expect(await v.verify(users, 'toString', 'x')).toBe(false);
      expect(compare).toHaveBeenCalledTimes(4);
      // The unknown user ran bcrypt against exporter-toolkit's fixed hash.
      expect(compare.mock.calls[2][1]).toMatch(/^\$2y\$10\$/);
      // Repeats are answered from the cache, successes and failures alike.
      expect(await v.verify(users, 'alice', 'secret')).toBe(true);
      expect(await v.verify(users, 'alice', 'wrong')).toBe(false);
      expect(compare).toHaveBeenCalledTimes(4);
      // A changed hash is a new cache key.
      expect(await v.verify({ alice: bcrypt.hashSync('other', 4) }, 'alice', 'secret')).toBe(false);
      expect(compare).toHaveBeenCalledTimes(5);
    } finally {
      compare.mockRestore();
    }
  });

  it('keeps the cache bounded', async () => {
    const users = { alice: bcrypt.hashSync('secret', 4) };
    const v = new BasicAuthVerifier();
    for (let i = 0; i < 150; i++) await v.verify(users, 'alice', `wrong${i}`);
    expect(v.cacheSize).toBeLessThanOrEqual(100);
  });

  it('limits the request rate with a token bucket', () => {
    let now = 0;
    const rl = new RateLimiter(1000, 2, () => now);
    expect([rl.allow(), rl.allow(), rl.allow()]).toEqual([true, true, false]);
    now = 999;
    expect(rl.allow()).toBe(false);
    now = 2000;
    expect(rl.allow()).toBe(true);
    expect(new RateLimiter(1000, 0, () => 0).allow()).toBe(false);
  });
});
