import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeTestPki, type TestPki } from '../../support/tls-certs.js';
import { FakeApiServer } from './fake-apiserver.js';
import { makeNode } from './fixtures.js';
import { runDiscovery, sdConfig, waitFor, waitForGroup, type RunningDiscovery } from './harness.js';

let server: FakeApiServer;
let run: RunningDiscovery | undefined;
let pki: TestPki;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sd-conn-'));
  pki = makeTestPki(dir);
  makeCa(dir, 'unrelated-ca');
  fs.writeFileSync(path.join(dir, 'token'), 'api-token\n');
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await server?.stop();
});

async function startTls(): Promise<string> {
  server = new FakeApiServer();
  server.token = 'api-token';
  const url = await server.start({ certFile: pki.serverCertFile, keyFile: pki.serverKeyFile });
  server.add('nodes', makeNode('node-a', '10.0.0.11'));
  return url;
}

describe('kubernetes_sd_configs: reaching the API server', () => {
  it('api_server over https with tls_config.ca_file and bearer_token_file', async () => {
    const url = await startTls();
    run = runDiscovery(
      sdConfig(
        `      - role: node\n        api_server: ${url}\n        bearer_token_file: ${dir}/token\n        tls_config:\n          ca_file: ${dir}/ca.crt\n`,
      ),
    );
    await waitForGroup(run, 'node/node-a');
    expect(run.errors).toEqual([]);
    expect(server.requests.every((r) => r.authorization === 'Bearer api-token')).toBe(true);
  });

  it('rejects a server certificate from another CA, unless insecure_skip_verify', async () => {
    const url = await startTls();
    run = runDiscovery(
      sdConfig(
        `      - role: node\n        api_server: ${url}\n        bearer_token_file: ${dir}/token\n        tls_config:\n          ca_file: ${dir}/unrelated-ca.crt\n`,
      ),
    );
    await waitFor(() => run!.errors.length > 0);
    expect(run.errors[0].message).toMatch(/certificate/);
    expect(server.requests).toEqual([]);
    await run.stop();

    run = runDiscovery(
      sdConfig(
        `      - role: node\n        api_server: ${url}\n        bearer_token_file: ${dir}/token\n        tls_config:\n          insecure_skip_verify: true\n`,
      ),
    );
    await waitForGroup(run, 'node/node-a');
  });

  it('kubeconfig_file: server, CA data and token of the current context', async () => {
    const url = await startTls();
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    fs.writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: ${url}
      certificate-authority-data: ${Buffer.from(pki.caCert).toString('base64')}
users:
  - name: prom
    user:
      token: api-token
contexts:
  - name: test
    context: { cluster: test, user: prom }
current-context: test
`,
    );
    run = runDiscovery(sdConfig(`      - role: node\n        kubeconfig_file: ${kubeconfig}\n`));
    await waitForGroup(run, 'node/node-a');
    expect(run.errors).toEqual([]);
    expect(server.requests[0].authorization).toBe('Bearer api-token');
  });

  it('proxy_url: tunnels to an https API server with CONNECT', async () => {
    const url = new URL(await startTls());
    const connects: string[] = [];
    const proxy = http.createServer();
    const tunnels = new Set<net.Socket>();
    proxy.on('connect', (req, client: net.Socket, head: Buffer) => {
      tunnels.add(client);
      connects.push(`${req.url} ${req.headers['proxy-authorization'] ?? ''}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        tunnels.add(upstream);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    try {
      run = runDiscovery(
        sdConfig(
          `      - role: node\n        api_server: ${url.href}\n        proxy_url: http://user:pw@127.0.0.1:${proxyPort}\n        bearer_token_file: ${dir}/token\n        tls_config:\n          ca_file: ${dir}/ca.crt\n`,
        ),
      );
      await waitForGroup(run, 'node/node-a');
      expect(connects[0]).toBe(`127.0.0.1:${url.port} Basic ${Buffer.from('user:pw').toString('base64')}`);
      await run.stop();
      run = undefined;
    } finally {
      for (const t of tunnels) t.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});
