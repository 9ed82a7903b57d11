import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki } from '../../support/tls-certs.js';
import { FakeApiServer } from './fake-apiserver.js';
import { makeNode, makePod } from './fixtures.js';
import { runDiscovery, sdConfig, waitFor, waitForGroup, type RunningDiscovery } from './harness.js';

let server: FakeApiServer;
let run: RunningDiscovery | undefined;

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await server?.stop();
});

async function start(): Promise<string> {
  server = new FakeApiServer();
  return server.start();
}

const webPodLabels = {
  __meta_kubernetes_namespace: 'default',
  __meta_kubernetes_pod_name: 'web-5d78f8c8b7-x2x9k',
  __meta_kubernetes_pod_ip: '10.244.1.15',
  __meta_kubernetes_pod_ready: 'true',
  __meta_kubernetes_pod_phase: 'Running',
  __meta_kubernetes_pod_node_name: 'node-a',
  __meta_kubernetes_pod_host_ip: '192.168.1.10',
  __meta_kubernetes_pod_uid: 'uid-web-5d78f8c8b7-x2x9k',
  __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
  __meta_kubernetes_pod_controller_name: 'web-5d78f8c8b7',
  __meta_kubernetes_pod_label_app: 'web',
  __meta_kubernetes_pod_labelpresent_app: 'true',
  __meta_kubernetes_pod_label_pod_template_hash: '5d78f8c8b7',
  __meta_kubernetes_pod_labelpresent_pod_template_hash: 'true',
  __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
  __meta_kubernetes_pod_annotationpresent_prometheus_io_scrape: 'true',
};

const webPodTargets = [
  {
    __address__: '10.244.1.15:8080',
    __meta_kubernetes_pod_container_name: 'web',
    __meta_kubernetes_pod_container_id: 'containerd://web0001',
    __meta_kubernetes_pod_container_image: 'nginx:1.25',
    __meta_kubernetes_pod_container_init: 'false',
    __meta_kubernetes_pod_container_port_name: 'http',
    __meta_kubernetes_pod_container_port_number: '8080',
    __meta_kubernetes_pod_container_port_protocol: 'TCP',
  },
  {
    __address__: '10.244.1.15:9113',
    __meta_kubernetes_pod_container_name: 'web',
    __meta_kubernetes_pod_container_id: 'containerd://web0001',
    __meta_kubernetes_pod_container_image: 'nginx:1.25',
    __meta_kubernetes_pod_container_init: 'false',
    __meta_kubernetes_pod_container_port_name: 'metrics',
    __meta_kubernetes_pod_container_port_number: '9113',
    __meta_kubernetes_pod_container_port_protocol: 'TCP',
  },
  {
    __address__: '10.244.1.15',
    __meta_kubernetes_pod_container_name: 'log-shipper',
    __meta_kubernetes_pod_container_id: 'containerd://log0001',
    __meta_kubernetes_pod_container_image: 'fluent-bit:2.2',
    __meta_kubernetes_pod_container_init: 'false',
  },
  {
    __address__: '10.244.1.15',
    __meta_kubernetes_pod_container_name: 'init-config',
    __meta_kubernetes_pod_container_id: 'containerd://init0001',
    __meta_kubernetes_pod_container_image: 'busybox:1.36',
    __meta_kubernetes_pod_container_init: 'true',
  },
];

describe('kubernetes_sd_configs role: pod', () => {
  it('one target per container port, per port-less container and per init container; adds, updates, deletions', async () => {
    const url = await start();
    server.add('pods', makePod('default', 'web-5d78f8c8b7-x2x9k'));
    run = runDiscovery(sdConfig(`      - role: pod\n        api_server: ${url}\n`));
    const g = await waitForGroup(run, 'pod/default/web-5d78f8c8b7-x2x9k');
    expect(g).toEqual({
      source: 'pod/default/web-5d78f8c8b7-x2x9k',
      labels: webPodLabels,
      targets: webPodTargets,
    });

    server.add(
      'pods',
      makePod('default', 'web-5d78f8c8b7-abcde', { ip: '10.244.2.7', ready: false, phase: 'Pending' }),
    );
    const g2 = await waitForGroup(run, 'pod/default/web-5d78f8c8b7-abcde');
    expect(g2.labels.__meta_kubernetes_pod_ready).toBe('false');
    expect(g2.labels.__meta_kubernetes_pod_phase).toBe('Pending');
    expect(g2.targets[0].__address__).toBe('10.244.2.7:8080');

    // Evicted: no pod IP, so no targets.
    const evicted = makePod('default', 'web-5d78f8c8b7-abcde', { ip: '', phase: 'Failed' });
    server.update('pods', evicted);
    await waitForGroup(run, 'pod/default/web-5d78f8c8b7-abcde', (x) => x.targets.length === 0);

    server.delete('pods', 'default', 'web-5d78f8c8b7-x2x9k');
    await waitForGroup(run, 'pod/default/web-5d78f8c8b7-x2x9k', (x) => x.targets.length === 0);
    expect(run.groups.get('pod/default/web-5d78f8c8b7-x2x9k')).toEqual({
      source: 'pod/default/web-5d78f8c8b7-x2x9k',
      targets: [],
      labels: {},
    });
    expect(run.live()).toEqual([]);
  });

  it('watches only the configured namespaces, with pod and node selectors and attached node and namespace metadata', async () => {
    const url = await start();
    server.add('namespaces', {
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { team: 'payments' }, annotations: { owner: 'alice' } },
    });
    server.add('namespaces', { kind: 'Namespace', metadata: { name: 'blog', labels: { team: 'content' } } });
    server.add('nodes', makeNode('node-a', '10.0.0.11', { labels: { pool: 'gpu' } }));
    server.add('pods', makePod('shop', 'cart-0', { labels: { app: 'cart' } }));
    server.add('pods', makePod('blog', 'wp-0', { labels: { app: 'wp' }, ip: '10.244.3.3' }));
    server.add('pods', makePod('other', 'x-0', { labels: { app: 'x' } }));
    run = runDiscovery(
      sdConfig(
        `      - role: pod
        api_server: ${url}
        namespaces:
          names: [shop, blog]
        selectors:
          - role: pod
            label: app!=debug
            field: status.phase=Running
          - role: node
            label: pool=gpu
        attach_metadata:
          node: true
          namespace: true
`,
      ),
    );
    await waitFor(() => run!.live().length === 2);
    expect(run.live().map((g) => g.source)).toEqual(['pod/blog/wp-0', 'pod/shop/cart-0']);
    for (const p of ['/api/v1/namespaces/shop/pods', '/api/v1/namespaces/blog/pods']) {
      // the list, then the watch (which may start a moment after the targets are known)
      await waitFor(() => server.requestsTo(p).length >= 2);
      const reqs = server.requestsTo(p);
      for (const r of reqs) {
        expect(r.query.get('labelSelector')).toBe('app!=debug');
        expect(r.query.get('fieldSelector')).toBe('status.phase=Running');
      }
    }
    expect(server.requestsTo('/api/v1/pods')).toEqual([]);
    expect(server.requestsTo('/api/v1/nodes')[0].query.get('labelSelector')).toBe('pool=gpu');

    const cart = run.groups.get('pod/shop/cart-0')!;
    const attached = Object.fromEntries(
      Object.entries(cart.labels).filter(
        ([k]) => k.startsWith('__meta_kubernetes_node_') || k.startsWith('__meta_kubernetes_namespace'),
      ),
    );
    expect(attached).toEqual({
      __meta_kubernetes_namespace: 'shop',
      __meta_kubernetes_namespace_label_team: 'payments',
      __meta_kubernetes_namespace_labelpresent_team: 'true',
      __meta_kubernetes_namespace_annotation_owner: 'alice',
      __meta_kubernetes_namespace_annotationpresent_owner: 'true',
      __meta_kubernetes_node_name: 'node-a',
      __meta_kubernetes_node_label_beta_kubernetes_io_arch: 'amd64',
      __meta_kubernetes_node_labelpresent_beta_kubernetes_io_arch: 'true',
      __meta_kubernetes_node_label_beta_kubernetes_io_os: 'linux',
      __meta_kubernetes_node_labelpresent_beta_kubernetes_io_os: 'true',
      __meta_kubernetes_node_label_kubernetes_io_hostname: 'node-a',
      __meta_kubernetes_node_labelpresent_kubernetes_io_hostname: 'true',
      __meta_kubernetes_node_label_node_role_kubernetes_io_worker: '',
      __meta_kubernetes_node_labelpresent_node_role_kubernetes_io_worker: 'true',
      __meta_kubernetes_node_label_pool: 'gpu',
      __meta_kubernetes_node_labelpresent_pool: 'true',
      __meta_kubernetes_node_annotation_node_alpha_kubernetes_io_ttl: '0',
      __meta_kubernetes_node_annotationpresent_node_alpha_kubernetes_io_ttl: 'true',
      __meta_kubernetes_node_annotation_volumes_kubernetes_io_controller_managed_attach_detach: 'true',
      __meta_kubernetes_node_annotationpresent_volumes_kubernetes_io_controller_managed_attach_detach: 'true',
    });

    // A node or namespace change re-sends the pods it affects.
    server.update('nodes', makeNode('node-a', '10.0.0.11', { labels: { pool: 'gpu', rack: 'r7' } }));
    await waitForGroup(run, 'pod/shop/cart-0', (g) => g.labels.__meta_kubernetes_node_label_rack === 'r7');
    server.update('namespaces', {
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { team: 'checkout' } },
    });
    await waitForGroup(
      run,
      'pod/shop/cart-0',
      (g) => g.labels.__meta_kubernetes_namespace_label_team === 'checkout',
    );
    expect(
      run.groups.get('pod/shop/cart-0')!.labels.__meta_kubernetes_namespace_annotation_owner,
    ).toBeUndefined();
    expect(run.groups.get('pod/blog/wp-0')!.labels.__meta_kubernetes_namespace_label_team).toBe('content');
  });

  it('own_namespace (in-cluster) reads the service account namespace file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sd-pod-'));
    const pki = makeTestPki(dir);
    server = new FakeApiServer();
    server.token = 'tok';
    const url = new URL(await server.start({ certFile: pki.serverCertFile, keyFile: pki.serverKeyFile }));
    fs.writeFileSync(path.join(dir, 'token'), 'tok');
    fs.writeFileSync(path.join(dir, 'ca.crt'), pki.caCert);
    fs.writeFileSync(path.join(dir, 'namespace'), 'monitoring');
    server.add('pods', makePod('monitoring', 'prom-0'));
    server.add('pods', makePod('default', 'web-0'));
    run = runDiscovery(sdConfig(`      - role: pod\n        namespaces:\n          own_namespace: true\n`), {
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: url.port },
      inClusterPaths: {
        tokenFile: path.join(dir, 'token'),
        caFile: path.join(dir, 'ca.crt'),
        namespaceFile: path.join(dir, 'namespace'),
      },
    });
    await waitForGroup(run, 'pod/monitoring/prom-0');
    expect(run.live().map((g) => g.source)).toEqual(['pod/monitoring/prom-0']);
    expect(new Set(server.requests.map((r) => r.path))).toEqual(
      new Set(['/api/v1/namespaces/monitoring/pods']),
    );
  });

  it('reports a missing in-cluster environment as a failure', async () => {
    run = runDiscovery(sdConfig(`      - role: pod\n`), { env: {} });
    await waitFor(() => run!.errors.length > 0);
    expect(run.errors[0].message).toBe(
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    );
    await run.stop();
    run = undefined;
    server = new FakeApiServer(); // nothing to stop but keep afterEach uniform
    await server.start();
  });
});
