// An https target with a CA made at test time that wants a bearer token, scraped with tls_config.ca_file
// and the token from a file (bearer_token_file, and authorization.credentials_file). The files are read
// per scrape, so rotating the token (file and target together) keeps the scrapes going.
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeScrapePki } from '../support/scrape-pki.js';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import {
  eventually,
  queryRaw,
  queryVector,
  scrapeConfigYaml,
  startTarget,
  targetOf,
  tempDirs,
  writeFileAtomic,
  type TestTarget,
} from '../support/scrape-e2e.js';

const dirs = tempDirs('promethium-scrape-https-');
const running: ServerProcess[] = [];
const targets: TestTarget[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
  dirs.cleanup();
});

describe('scraping an https target with a bearer token file', () => {
  it('verifies the target against ca_file, sends the token, and re-reads the token file after rotation', async () => {
    const dir = dirs.make();
    const pki = makeScrapePki(dirs.make());
    let token = 'first-token-3f9a';
    /** Requests that carried the token the target expected at that moment, per job (User-Agent aside). */
    const accepted: string[] = [];
    const target = await startTarget(
      { body: '# TYPE secured_requests_total counter\nsecured_requests_total{path="/x"} 42\n' },
      {
        tls: { cert: fs.readFileSync(pki.serverCert, 'utf8'), key: fs.readFileSync(pki.serverKey, 'utf8') },
        authorize: (req) => {
          const ok = req.headers.authorization === `Bearer ${token}`;
          if (ok) accepted.push(token);
          return ok;
        },
      },
    );
    targets.push(target);
    const bearerFile = path.join(dir, 'bearer-token');
    const credentialsFile = path.join(dir, 'credentials');
    writeFileAtomic(bearerFile, `${token}\n`);
    writeFileAtomic(credentialsFile, token);
    const cfg = path.join(dir, 'prometheus.yml');
    const job = (name: string, auth: string, ca = pki.caFile): string =>
      `  - job_name: ${name}\n    scheme: https\n    tls_config:\n      ca_file: ${ca}\n${auth}` +
      `    static_configs:\n      - targets: ['${target.address}']\n`;
    fs.writeFileSync(
      cfg,
      scrapeConfigYaml(
        job('bearer', `    bearer_token_file: ${bearerFile}\n`) +
          job(
            'credentials',
            `    authorization:\n      type: Bearer\n      credentials_file: ${credentialsFile}\n`,
          ) +
          job('wrong-ca', `    bearer_token_file: ${bearerFile}\n`, pki.otherCaFile),
      ),
    );
    const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
    running.push(s);

    // the latest raw sample of up (an instant vector would show the evaluation time, not the sample's)
    const upOf = async (jobName: string): Promise<Array<[number, string]>> =>
      (await queryRaw(s, `up{job="${jobName}"}[1m]`)).map((r) => r.values[r.values.length - 1]);
    for (const name of ['bearer', 'credentials']) {
      await eventually(
        s,
        `up{job="${name}"} == 1`,
        () => upOf(name),
        (v) => v.length === 1 && v[0][1] === '1',
      );
      const t = await targetOf(s, name);
      expect(t.health).toBe('up');
      expect(t.scrapeUrl).toBe(`https://${target.address}/metrics`);
      const series = await queryVector(s, `secured_requests_total{job="${name}"}`);
      expect(series).toEqual([
        {
          metric: { __name__: 'secured_requests_total', job: name, instance: target.address, path: '/x' },
          value: [expect.any(Number), '42'],
        },
      ]);
    }
    // a server certificate from a CA the job does not trust fails the TLS handshake
    const wrongCa = await eventually(
      s,
      'the wrong-ca target down',
      () => targetOf(s, 'wrong-ca'),
      (t) => t.health === 'down',
    );
    expect(wrongCa.lastError).toContain('x509: certificate signed by unknown authority');
    await eventually(
      s,
      'up{job="wrong-ca"} == 0',
      () => upOf('wrong-ca'),
      (v) => v.length === 1 && v[0][1] === '0',
    );
    expect(await queryVector(s, 'secured_requests_total{job="wrong-ca"}')).toEqual([]);

    // rotate: the target wants the new token from now on, and the files hold it
    const rotatedAt = Date.now() / 1000;
    token = 'second-token-c71e';
    writeFileAtomic(bearerFile, `${token}\n`);
    writeFileAtomic(credentialsFile, token);
    for (const name of ['bearer', 'credentials']) {
      // a scrape that started after the rotation succeeded, so it sent the new token
      await eventually(
        s,
        `up{job="${name}"} == 1 from a scrape after the rotation`,
        () => upOf(name),
        (v) => v.length === 1 && v[0][1] === '1' && v[0][0] > rotatedAt,
      );
      expect((await targetOf(s, name)).health).toBe('up');
      const series = await queryRaw(s, `secured_requests_total{job="${name}"}[1m]`);
      expect(series[0].values[series[0].values.length - 1][0]).toBeGreaterThan(rotatedAt);
    }
    // both jobs got through with the new token (the target refuses the old one now)
    expect(accepted.filter((t) => t === token).length).toBeGreaterThanOrEqual(2);
  });
});

describe('scraping an https target that speaks only HTTP/2', () => {
  it('scrapes it over HTTP/2 (enable_http2, on by default, as in Prometheus)', async () => {
    // the server's bundle loads node:http2 and undici's HTTP/2 client only when a target needs them
    const dir = dirs.make();
    const pki = makeScrapePki(dirs.make());
    const versions: string[] = [];
    const target = http2.createSecureServer(
      { cert: fs.readFileSync(pki.serverCert), key: fs.readFileSync(pki.serverKey), allowHTTP1: false },
      (req, res) => {
        versions.push(req.httpVersion);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end('# TYPE h2_requests_total counter\nh2_requests_total 7\n');
      },
    );
    const sessions = new Set<http2.ServerHttp2Session>();
    target.on('session', (session) => sessions.add(session));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    try {
      const cfg = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(
        cfg,
        scrapeConfigYaml(
          `  - job_name: h2\n    scheme: https\n    tls_config:\n      ca_file: ${pki.caFile}\n` +
            `    static_configs:\n      - targets: ['${address}']\n`,
        ),
      );
      const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
      running.push(s);
      await eventually(
        s,
        'h2_requests_total scraped',
        () => queryVector(s, 'h2_requests_total{job="h2"}'),
        (v) => v.length === 1 && v[0].value[1] === '7',
      );
      expect((await targetOf(s, 'h2')).health).toBe('up');
      expect(versions[0]).toBe('2.0');
    } finally {
      for (const session of sessions) session.destroy();
      target.close();
    }
  });
});
