// --web.config.file against the real server process: HTTPS with a test CA, TLS versions, basic auth,
// custom headers, edits applied without a restart, and client certificates.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import bcrypt from 'bcryptjs';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERVER_BIN,
  startServer,
  waitFor,
  type ClientOptions,
  type ServerProcess,
} from '../support/server-process.js';
import { makeTestPki, type TestPki } from '../support/tls-certs.js';

let dir: string;
let pki: TestPki;
const servers: ServerProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webcfg-e2e-'));
  pki = makeTestPki(dir);
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Replaces a file atomically, as config management tools do. */
function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

const ALICE = bcrypt.hashSync('alice-pw', 4);
const BOB = bcrypt.hashSync('bob-pw', 4);

function webConfig(
  opts: { users?: Record<string, string>; extraTls?: string; headers?: boolean } = {},
): string {
  let text = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' + (opts.extraTls ?? '');
  if (opts.headers !== false) {
    text +=
      'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Content-Security-Policy: "default-src \'self\'"\n';
  }
  const users = opts.users ?? {};
  if (Object.keys(users).length > 0) {
    text +=
      'basic_auth_users:\n' +
      Object.entries(users)
        .map(([u, h]) => `  ${u}: ${h}\n`)
        .join('');
  }
  return text;
}

async function start(name: string, text: string, client: ClientOptions) {
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, text);
  const s = await startServer(
    [`--web.config.file=${file}`, `--storage.tsdb.path=${path.join(dir, `data-${name}`)}`],
    { cwd: dir, client },
  );
  servers.push(s);
  return { s, file };
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** Opens a raw TLS connection; resolves with the negotiated protocol or rejects. */
function handshake(url: string, options: tls.ConnectionOptions): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca: pki.caCert, ...options }, () => {
      const proto = socket.getProtocol();
      socket.end();
      resolve(proto);
    });
    socket.on('error', reject);
  });
}

describe('--web.config.file with TLS and basic auth', () => {
  let s: ServerProcess;
  let file: string;
  beforeAll(async () => {
    ({ s, file } = await start('auth', webConfig({ users: { alice: ALICE } }), {
      ca: pki.caCert,
      basicAuth: { username: 'alice', password: 'alice-pw' },
    }));
  });

  it('serves HTTPS with the configured certificate and logs it', async () => {
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await s.fetch('/-/healthy');
    expect(res.status).toBe(200);
    await res.text();
    expect(s.logs()).toMatch(/msg="TLS is enabled\." component=web http2=false address=127\.0\.0\.1:\d+/);
  });

  it('negotiates TLS 1.2 and 1.3 and refuses TLS 1.1', async () => {
    expect(await handshake(s.url, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake(s.url, {})).toBe('TLSv1.3');
    // The client side is allowed TLS 1.1 (SECLEVEL=0); the server's minimum, TLS 1.2, refuses it.
    await expect(
      handshake(s.url, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    ).rejects.toThrow();
  });

  it('refuses clients that do not trust the server certificate', async () => {
    await expect(fetch(`${s.url}/-/healthy`)).rejects.toThrow();
  });

  it('requires basic auth on every route, with the configured headers', async () => {
    for (const p of ['/-/healthy', '/-/ready', '/metrics', '/api/v1/status/buildinfo', '/nope']) {
      const none = await s.fetch(p, { headers: { authorization: '' } });
      expect(none.status, p).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Basic');
      expect(none.headers.get('x-frame-options')).toBe('deny');
      expect(await none.text()).toBe('Unauthorized\n');
    }
    const ok = await s.fetch('/metrics');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-frame-options')).toBe('deny');
    expect(ok.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(await ok.text()).toContain('# TYPE ');
  });

  it('answers 401 to a wrong password and to an unknown user', async () => {
    for (const auth of [
      basic('alice', 'nope'),
      basic('mallory', 'alice-pw'),
      basic('alice', ''),
      'Basic !!',
    ]) {
      const res = await s.fetch('/-/healthy', { headers: { authorization: auth } });
      expect(res.status, auth).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic');
      await res.text();
    }
  });

  it('applies edits without a restart, and fails closed on a broken file until fixed', async () => {
    const asBob = { headers: { authorization: basic('bob', 'bob-pw') } };
    const bobStatus = async () => {
      const res = await s.fetch('/-/healthy', asBob);
      await res.text();
      return res.status;
    };
    expect(await bobStatus()).toBe(401);
    writeAtomically(file, webConfig({ users: { alice: ALICE, bob: BOB }, headers: false }));
    await waitFor(async () => (await bobStatus()) === 200);
    const res = await s.fetch('/-/healthy');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBeNull();
    await res.text();

    // As exporter-toolkit: a file that does not parse means 500 for requests and failed handshakes.
    writeAtomically(file, webConfig({ users: { alice: ALICE } }) + 'unknown_field: 1\n');
    await waitFor(async () => {
      const r = await s.fetch('/-/healthy').catch(() => undefined);
      await r?.text();
      return r === undefined || r.status === 500;
    });
    await s.waitForLog(
      /level=ERROR msg="Unable to parse configuration" component=web .*field unknown_field not found/,
    );
    await expect(handshake(s.url, {})).rejects.toThrow();

    writeAtomically(file, webConfig({ users: { alice: ALICE } }));
    await waitFor(async () => {
      const r = await s.fetch('/-/healthy');
      await r.text();
      return r.status === 200;
    });
    expect(await bobStatus()).toBe(401);
  });

  it('picks up a replaced certificate on the next handshake', async () => {
    // Move to a second certificate for the same names, then check the server presents it.
    const other = fs.mkdtempSync(path.join(dir, 'rotate-'));
    const second = makeTestPki(other);
    fs.copyFileSync(path.join(other, 'server.key'), path.join(dir, 'server.key.new'));
    fs.copyFileSync(second.serverCertFile, path.join(dir, 'server.crt.new'));
    writeAtomically(
      file,
      webConfig({ users: { alice: ALICE } })
        .replace('server.crt', 'server.crt.new')
        .replace('server.key', 'server.key.new'),
    );
    await waitFor(() => handshake(s.url, { ca: second.caCert }).then(() => true));
    await expect(handshake(s.url, { ca: pki.caCert })).rejects.toThrow();
    writeAtomically(file, webConfig({ users: { alice: ALICE } }));
    await waitFor(() => handshake(s.url, { ca: pki.caCert }).then(() => true));
  });
});

describe('--web.config.file with client certificates', () => {
  it('RequireAndVerifyClientCert admits only certificates from the client CA', async () => {
    const { s } = await start(
      'mtls',
      webConfig({ extraTls: '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n' }),
      { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey },
    );
    const res = await s.fetch('/-/healthy');
    expect(res.status).toBe(200);
    await res.text();

    const without = new Agent({ connect: { ca: pki.caCert } });
    const stranger = new Agent({ connect: { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey } });
    try {
      await expect(fetch(`${s.url}/-/healthy`, { dispatcher: without })).rejects.toThrow();
      await expect(fetch(`${s.url}/-/healthy`, { dispatcher: stranger })).rejects.toThrow();
    } finally {
      await without.close();
      await stranger.close();
    }
    // A graceful shutdown closes the HTTPS listener as it does the plain one.
    expect(await s.stop()).toBe(0);
  });

  it('RequireAnyClientCert with client_allowed_sans checks the SAN, not the issuer', async () => {
    const { s } = await start(
      'anycert',
      webConfig({
        extraTls: '  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [stranger.example]\n',
      }),
      { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey },
    );
    const res = await s.fetch('/-/healthy');
    expect(res.status).toBe(200);
    await res.text();
    const wrongSan = new Agent({ connect: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey } });
    const none = new Agent({ connect: { ca: pki.caCert } });
    try {
      await expect(fetch(`${s.url}/-/healthy`, { dispatcher: wrongSan })).rejects.toThrow();
      await expect(fetch(`${s.url}/-/healthy`, { dispatcher: none })).rejects.toThrow();
    } finally {
      await wrongSan.close();
      await none.close();
    }
  });
});

describe('--web.config.file without TLS', () => {
  it('serves plain HTTP with basic auth', async () => {
    const { s } = await start('plain', `basic_auth_users:\n  alice: ${ALICE}\n`, {
      basicAuth: { username: 'alice', password: 'alice-pw' },
    });
    expect(s.url).toMatch(/^http:\/\//);
    const res = await s.fetch('/-/healthy');
    expect(res.status).toBe(200);
    await res.text();
    const denied = await fetch(`${s.url}/-/healthy`);
    expect(denied.status).toBe(401);
    await denied.text();
    expect(s.logs()).toContain('msg="TLS is disabled."');
  });

  it.each([
    [
      'tls_server_config:\n  cert_file: server.crt\n  key_fil: server.key\n',
      'field key_fil not found in type web.TLSConfig',
    ],
    [
      'basic_auth_users:\n  alice: plaintext\n',
      'basic_auth_users.alice: crypto/bcrypt: hashedSecret too short',
    ],
    ['tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n', 'failed to read cert_file'],
  ])('refuses to start with %j', (text, message) => {
    const file = path.join(dir, 'bad.yml');
    fs.writeFileSync(file, text);
    const res = spawnSync(
      process.execPath,
      [
        SERVER_BIN,
        `--web.config.file=${file}`,
        '--web.listen-address=127.0.0.1:0',
        `--storage.tsdb.path=${path.join(dir, 'data-bad')}`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 30_000 },
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('msg="Unable to validate web configuration file"');
    expect(res.stderr).toContain(file);
    expect(res.stderr).toContain(message);
    expect(res.stderr).not.toContain('Listening on');
  });
});
