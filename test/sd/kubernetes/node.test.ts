import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileRelabels } from '../../../src/model/relabel/relabel.js';
import { populateLabels } from '../../../src/scrape/target.js';
import { makeTestPki, type TestPki } from '../../support/tls-certs.js';
import { FakeApiServer } from './fake-apiserver.js';
import { makeNode } from './fixtures.js';
import {
  runDiscovery,
  scrapeConfig,
  sdConfig,
  waitFor,
  waitForGroup,
  type RunningDiscovery,
} from './harness.js';

let server: FakeApiServer;
let run: RunningDiscovery | undefined;
let pki: TestPki;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sd-node-'));
  pki = makeTestPki(dir);
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await server?.stop();
});

const nodeAGroup = {
  source: 'node/node-a',
  labels: {
    __meta_kubernetes_node_name: 'node-a',
    __meta_kubernetes_node_provider_id: 'aws:///eu-west-1a/i-node-a',
    __meta_kubernetes_node_label_beta_kubernetes_io_arch: 'amd64',
    __meta_kubernetes_node_labelpresent_beta_kubernetes_io_arch: 'true',
    __meta_kubernetes_node_label_beta_kubernetes_io_os: 'linux',
    __meta_kubernetes_node_labelpresent_beta_kubernetes_io_os: 'true',
    __meta_kubernetes_node_label_kubernetes_io_hostname: 'node-a',
    __meta_kubernetes_node_labelpresent_kubernetes_io_hostname: 'true',
    __meta_kubernetes_node_label_node_role_kubernetes_io_worker: '',
    __meta_kubernetes_node_labelpresent_node_role_kubernetes_io_worker: 'true',
    __meta_kubernetes_node_annotation_node_alpha_kubernetes_io_ttl: '0',
    __meta_kubernetes_node_annotationpresent_node_alpha_kubernetes_io_ttl: 'true',
    __meta_kubernetes_node_annotation_volumes_kubernetes_io_controller_managed_attach_detach: 'true',
    __meta_kubernetes_node_annotationpresent_volumes_kubernetes_io_controller_managed_attach_detach: 'true',
  },
  targets: [
    {
      __address__: '10.0.0.11:10250',
      instance: 'node-a',
      __meta_kubernetes_node_address_InternalIP: '10.0.0.11',
      __meta_kubernetes_node_address_ExternalIP: '203.0.113.11',
      __meta_kubernetes_node_address_Hostname: 'node-a.ec2.internal',
    },
  ],
};

describe('kubernetes_sd_configs role: node', () => {
  it('acceptance: the classic kubernetes-nodes job (in-cluster, bearer token + CA) yields Prometheus’s targets', async () => {
    server = new FakeApiServer();
    server.token = 'sa-token-1';
    const url = new URL(await server.start({ certFile: pki.serverCertFile, keyFile: pki.serverKeyFile }));
    server.add('nodes', makeNode('node-a', '10.0.0.11'));
    server.add(
      'nodes',
      makeNode('node-b', '10.0.0.12', { labels: { 'topology.kubernetes.io/zone': 'eu-west-1b' } }),
    );

    const sa = path.join(dir, 'serviceaccount');
    fs.mkdirSync(sa, { recursive: true });
    fs.writeFileSync(path.join(sa, 'token'), 'sa-token-1\n');
    fs.writeFileSync(path.join(sa, 'ca.crt'), pki.caCert);
    fs.writeFileSync(path.join(sa, 'namespace'), 'monitoring');

    const cfg = scrapeConfig(
      `
scrape_configs:
  - job_name: kubernetes-nodes
    scheme: https
    tls_config:
      ca_file: ${sa}/ca.crt
    bearer_token_file: ${sa}/token
    kubernetes_sd_configs:
      - role: node
    relabel_configs:
      - action: labelmap
        regex: __meta_kubernetes_node_label_(.+)
      - target_label: __address__
        replacement: kubernetes.default.svc:443
      - source_labels: [__meta_kubernetes_node_name]
        regex: (.+)
        target_label: __metrics_path__
        replacement: /api/v1/nodes/\${1}/proxy/metrics
`,
      dir,
    );
    run = runDiscovery(cfg.kubernetes_sd_configs[0], {
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: url.port },
      inClusterPaths: {
        tokenFile: path.join(sa, 'token'),
        caFile: path.join(sa, 'ca.crt'),
        namespaceFile: path.join(sa, 'namespace'),
      },
    });
    await waitFor(() => run!.live().length === 2);

    // Every request carried the service-account token over TLS verified against the CA.
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.authorization === 'Bearer sa-token-1')).toBe(true);
    expect(server.requestsTo('/api/v1/nodes', 'list').length).toBeGreaterThan(0);
    expect(run.groups.get('node/node-a')).toEqual(nodeAGroup);

    const rules = compileRelabels(cfg.relabel_configs);
    const final = run.live().flatMap((g) =>
      g.targets.map((t) => {
        const r = populateLabels(cfg, rules, t, g.labels);
        if (r.kind !== 'active') throw new Error(`unexpected ${r.kind}`);
        return r.labels.toRecord();
      }),
    );
    const common = {
      __address__: 'kubernetes.default.svc:443',
      __scheme__: 'https',
      __scrape_interval__: '1m',
      __scrape_timeout__: '10s',
      job: 'kubernetes-nodes',
      beta_kubernetes_io_arch: 'amd64',
      beta_kubernetes_io_os: 'linux',
      // node-role.kubernetes.io/worker="" maps to an empty value, which is no label at all.
    };
    expect(final).toEqual([
      {
        ...common,
        __metrics_path__: '/api/v1/nodes/node-a/proxy/metrics',
        instance: 'node-a',
        kubernetes_io_hostname: 'node-a',
      },
      {
        ...common,
        __metrics_path__: '/api/v1/nodes/node-b/proxy/metrics',
        instance: 'node-b',
        kubernetes_io_hostname: 'node-b',
        topology_kubernetes_io_zone: 'eu-west-1b',
      },
    ]);

    // A rotated token is picked up by the next request (Prometheus re-reads the file).
    server.token = 'sa-token-2';
    fs.writeFileSync(path.join(sa, 'token'), 'sa-token-2\n');
    server.dropWatches();
    server.add('nodes', makeNode('node-c', '10.0.0.13'));
    await waitForGroup(run, 'node/node-c');
    expect(server.requests.at(-1)!.authorization).toBe('Bearer sa-token-2');
  });

  it('follows adds, updates and deletions', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('nodes', makeNode('node-a', '10.0.0.11'));
    const events: string[] = [];
    run = runDiscovery(sdConfig(`      - role: node\n        api_server: ${url}\n`), {
      metrics: {
        kubernetesEvents: { inc: (l) => events.push(`${l.role}/${l.event}`) },
        kubernetesFailures: { inc: () => events.push('failure') },
      },
    });
    await waitForGroup(run, 'node/node-a');
    expect(run.updates[0]).toEqual([nodeAGroup]);

    server.add('nodes', makeNode('node-b', '10.0.0.12'));
    await waitForGroup(run, 'node/node-b');

    const updated = makeNode('node-a', '10.0.0.11');
    (updated.status as { addresses: unknown[] }).addresses = [{ type: 'Hostname', address: 'node-a.local' }];
    server.update('nodes', updated);
    await waitForGroup(run, 'node/node-a', (g) => g.targets[0].__address__ === 'node-a.local:10250');
    expect(run.groups.get('node/node-a')!.targets).toEqual([
      {
        __address__: 'node-a.local:10250',
        instance: 'node-a',
        __meta_kubernetes_node_address_Hostname: 'node-a.local',
      },
    ]);

    server.delete('nodes', '', 'node-b');
    await waitForGroup(run, 'node/node-b', (g) => g.targets.length === 0);
    expect(run.groups.get('node/node-b')).toEqual({ source: 'node/node-b', targets: [], labels: {} });
    expect(run.live().map((g) => g.source)).toEqual(['node/node-a']);
    // prometheus_sd_kubernetes_events_total{role, event}
    expect(events).toEqual(['node/add', 'node/add', 'node/update', 'node/delete']);
  });

  it('prefers InternalIP, then InternalDNS, ExternalIP, ExternalDNS, LegacyHostIP, Hostname', async () => {
    const { nodeAddress } = await import('../../../src/sd/kubernetes/node.js');
    const n = (types: string[]) => ({
      metadata: { name: 'n' },
      status: { addresses: types.map((t, i) => ({ type: t, address: `${t}-${i}` })) },
    });
    expect(nodeAddress(n(['Hostname', 'ExternalIP', 'InternalIP'])).address).toBe('InternalIP-2');
    expect(nodeAddress(n(['Hostname', 'ExternalIP', 'InternalDNS'])).address).toBe('InternalDNS-2');
    expect(nodeAddress(n(['Hostname', 'ExternalDNS', 'ExternalIP'])).address).toBe('ExternalIP-2');
    expect(nodeAddress(n(['Hostname', 'ExternalDNS'])).address).toBe('ExternalDNS-1');
    expect(nodeAddress(n(['Hostname', 'LegacyHostIP'])).address).toBe('LegacyHostIP-1');
    expect(nodeAddress(n(['Hostname'])).address).toBe('Hostname-0');
    expect(nodeAddress(n([])).address).toBeUndefined();
  });

  it('resumes a dropped watch from its resourceVersion, relists after 410 Gone, and follows bookmarks', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('nodes', makeNode('node-a', '10.0.0.11'));
    server.add('nodes', makeNode('node-b', '10.0.0.12'));
    server.add('nodes', makeNode('node-c', '10.0.0.13'));
    run = runDiscovery(sdConfig(`      - role: node\n        api_server: ${url}\n`));
    await waitFor(() => run!.live().length === 3 && server.activeWatches('nodes') === 1);
    // The list was paged (the server pages by 2 when asked for a limit) and the watch started at its version.
    const lists = server.requestsTo('/api/v1/nodes', 'list');
    expect(lists.map((r) => r.query.get('continue') ?? '')).toEqual(['', '2']);
    const firstWatch = server.requestsTo('/api/v1/nodes', 'watch')[0];
    expect(firstWatch.query.get('resourceVersion')).toBe(String(server.resourceVersion));
    expect(firstWatch.query.get('allowWatchBookmarks')).toBe('true');

    // Dropped watch: it resumes from the last event's version (not the list's), and the event
    // made while disconnected arrives through the resumed watch.
    server.add('nodes', makeNode('node-d', '10.0.0.14'));
    await waitForGroup(run, 'node/node-d');
    const rvAtDrop = server.resourceVersion;
    server.dropWatches();
    server.add('nodes', makeNode('node-f', '10.0.0.16'));
    await waitForGroup(run, 'node/node-f');
    const watches = server.requestsTo('/api/v1/nodes', 'watch');
    expect(watches.at(-1)!.query.get('resourceVersion')).toBe(String(rvAtDrop));
    expect(server.requestsTo('/api/v1/nodes', 'list')).toHaveLength(2); // no relist

    // Bookmark: the next watch resumes from the bookmark's version.
    await waitFor(() => server.activeWatches('nodes') === 1);
    server.setSilently('nodes', undefined, '', 'nothing'); // bumps the version without an event
    server.bookmark(true); // then the server ends the watch, as at its timeout
    const bookmarkRv = String(server.resourceVersion);
    await waitFor(() =>
      server.requestsTo('/api/v1/nodes', 'watch').some((r) => r.query.get('resourceVersion') === bookmarkRv),
    );

    // 410 Gone: changes made meanwhile (not seen by any watch) come from a relist, as a diff.
    await waitFor(() => server.activeWatches('nodes') === 1);
    server.setSilently('nodes', undefined, '', 'node-b');
    server.setSilently('nodes', makeNode('node-e', '10.0.0.15'));
    server.expireWatches();
    await waitForGroup(run, 'node/node-b', (g) => g.targets.length === 0);
    await waitForGroup(run, 'node/node-e');
    expect(run.live().map((g) => g.source)).toEqual([
      'node/node-a',
      'node/node-c',
      'node/node-d',
      'node/node-e',
      'node/node-f',
    ]);
    expect(server.requestsTo('/api/v1/nodes', 'list').length).toBeGreaterThanOrEqual(4);

    // 410 as the HTTP status of the watch request itself (the version was compacted while the
    // client was disconnected) also forces a relist.
    await waitFor(() => server.activeWatches('nodes') === 1);
    const listsBefore = server.requestsTo('/api/v1/nodes', 'list').length;
    server.setSilently('nodes', makeNode('node-g', '10.0.0.17'));
    server.compactedBelow = server.resourceVersion + 1;
    server.dropWatches();
    await waitForGroup(run, 'node/node-g');
    expect(server.requestsTo('/api/v1/nodes', 'list').length).toBeGreaterThan(listsBefore);
    expect(run.errors.every((e) => !e.message.includes('410'))).toBe(true);
  });

  it('reconnects with backoff while the API server is down and reports the failures', async () => {
    server = new FakeApiServer();
    server.token = 'right';
    const url = await server.start();
    server.add('nodes', makeNode('node-a', '10.0.0.11'));
    const tokenFile = path.join(dir, 'wrong-token');
    fs.writeFileSync(tokenFile, 'wrong');
    let failures = 0;
    run = runDiscovery(
      sdConfig(
        `      - role: node\n        api_server: ${url}\n        authorization:\n          credentials_file: ${tokenFile}\n`,
      ),
      { metrics: { kubernetesEvents: { inc: () => 0 }, kubernetesFailures: { inc: () => failures++ } } },
    );
    await waitFor(() => run!.errors.length >= 2);
    expect(run.errors[0].message).toContain('401');
    // prometheus_sd_kubernetes_failures_total: every failed list counts
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(run.groups.size).toBe(0);
    fs.writeFileSync(tokenFile, 'right');
    await waitForGroup(run, 'node/node-a');
    expect(run.live()).toEqual([nodeAGroup]);
  });

  it('passes the node selectors to list and watch', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('nodes', makeNode('node-a', '10.0.0.11', { labels: { pool: 'gpu' } }));
    server.add('nodes', makeNode('node-b', '10.0.0.12', { labels: { pool: 'cpu' } }));
    run = runDiscovery(
      sdConfig(
        `      - role: node\n        api_server: ${url}\n        selectors:\n          - role: node\n            label: pool=gpu\n            field: metadata.name=node-a\n`,
      ),
    );
    await waitFor(() => server.activeWatches('nodes') === 1);
    for (const r of server.requestsTo('/api/v1/nodes')) {
      expect(r.query.get('labelSelector')).toBe('pool=gpu');
      expect(r.query.get('fieldSelector')).toBe('metadata.name=node-a');
    }
    await waitForGroup(run, 'node/node-a');
    expect(run.live().map((g) => g.source)).toEqual(['node/node-a']);
  });
});
