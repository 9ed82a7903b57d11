import { afterEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from './fake-apiserver.js';
import { makeNode, makePod, makeService } from './fixtures.js';
import { runDiscovery, sdConfig, waitFor, waitForGroup, type RunningDiscovery } from './harness.js';

let server: FakeApiServer;
let run: RunningDiscovery | undefined;

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await server?.stop();
});

function podMeta(name: string, ip: string, ready: string) {
  return {
    __meta_kubernetes_pod_name: name,
    __meta_kubernetes_pod_ip: ip,
    __meta_kubernetes_pod_ready: ready,
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_node_name: 'node-a',
    __meta_kubernetes_pod_host_ip: '192.168.1.10',
    __meta_kubernetes_pod_uid: `uid-${name}`,
    __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
    __meta_kubernetes_pod_controller_name: 'web-5d78f8c8b7',
    __meta_kubernetes_pod_label_app: 'web',
    __meta_kubernetes_pod_labelpresent_app: 'true',
    __meta_kubernetes_pod_label_pod_template_hash: '5d78f8c8b7',
    __meta_kubernetes_pod_labelpresent_pod_template_hash: 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
    __meta_kubernetes_pod_annotationpresent_prometheus_io_scrape: 'true',
  };
}

const nodeA = {
  __meta_kubernetes_node_name: 'node-a',
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
};

const webEndpoints = {
  kind: 'Endpoints',
  apiVersion: 'v1',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  subsets: [
    {
      addresses: [
        {
          ip: '10.244.1.15',
          nodeName: 'node-a',
          targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-a', uid: 'uid-web-a' },
        },
        { ip: '192.0.2.50', hostname: 'legacy-vm' },
      ],
      notReadyAddresses: [
        {
          ip: '10.244.1.16',
          nodeName: 'node-a',
          targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-b', uid: 'uid-web-b' },
        },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
    },
  ],
};

const containerHttp = {
  __meta_kubernetes_pod_container_name: 'web',
  __meta_kubernetes_pod_container_image: 'nginx:1.25',
  __meta_kubernetes_pod_container_port_name: 'http',
  __meta_kubernetes_pod_container_port_number: '8080',
  __meta_kubernetes_pod_container_port_protocol: 'TCP',
};
const containerMetrics = {
  ...containerHttp,
  __meta_kubernetes_pod_container_port_name: 'metrics',
  __meta_kubernetes_pod_container_port_number: '9113',
};

describe('kubernetes_sd_configs role: endpoints', () => {
  it('addresses × ports with ready flags, target kinds, pod, service and node metadata; follows related objects', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('nodes', makeNode('node-a', '10.0.0.11'));
    server.add('services', makeService('shop', 'web'));
    server.add('pods', makePod('shop', 'web-a', { ip: '10.244.1.15' }));
    server.add('pods', makePod('shop', 'web-b', { ip: '10.244.1.16', ready: false }));
    server.add('endpoints', webEndpoints);
    run = runDiscovery(
      sdConfig(
        `      - role: endpoints\n        api_server: ${url}\n        attach_metadata:\n          node: true\n        selectors:\n          - role: service\n            label: app=web\n          - role: endpoints\n            field: metadata.name=web\n`,
      ),
    );
    const g = await waitForGroup(run, 'endpoints/shop/web');
    const endpointLabels = (ready: string) => ({
      __meta_kubernetes_endpoint_port_name: 'http',
      __meta_kubernetes_endpoint_port_protocol: 'TCP',
      __meta_kubernetes_endpoint_port_app_protocol: 'http',
      __meta_kubernetes_endpoint_ready: ready,
    });
    expect(g).toEqual({
      source: 'endpoints/shop/web',
      labels: {
        __meta_kubernetes_namespace: 'shop',
        __meta_kubernetes_endpoints_name: 'web',
        __meta_kubernetes_endpoints_label_app: 'web',
        __meta_kubernetes_endpoints_labelpresent_app: 'true',
        __meta_kubernetes_service_name: 'web',
        __meta_kubernetes_service_label_app: 'web',
        __meta_kubernetes_service_labelpresent_app: 'true',
        __meta_kubernetes_service_annotation_prometheus_io_probe: 'true',
        __meta_kubernetes_service_annotationpresent_prometheus_io_probe: 'true',
      },
      targets: [
        {
          __address__: '10.244.1.15:8080',
          ...endpointLabels('true'),
          __meta_kubernetes_endpoint_address_target_kind: 'Pod',
          __meta_kubernetes_endpoint_address_target_name: 'web-a',
          __meta_kubernetes_endpoint_node_name: 'node-a',
          ...nodeA,
          ...podMeta('web-a', '10.244.1.15', 'true'),
          ...containerHttp,
        },
        {
          __address__: '192.0.2.50:8080',
          ...endpointLabels('true'),
          __meta_kubernetes_endpoint_hostname: 'legacy-vm',
        },
        {
          __address__: '10.244.1.16:8080',
          ...endpointLabels('false'),
          __meta_kubernetes_endpoint_address_target_kind: 'Pod',
          __meta_kubernetes_endpoint_address_target_name: 'web-b',
          __meta_kubernetes_endpoint_node_name: 'node-a',
          ...nodeA,
          ...podMeta('web-b', '10.244.1.16', 'false'),
          ...containerHttp,
        },
        // Container ports no endpoint port covers become targets of their own.
        { __address__: '10.244.1.15:9113', ...containerMetrics, ...podMeta('web-a', '10.244.1.15', 'true') },
        { __address__: '10.244.1.16:9113', ...containerMetrics, ...podMeta('web-b', '10.244.1.16', 'false') },
      ],
    });
    for (const r of server.requestsTo('/api/v1/services'))
      expect(r.query.get('labelSelector')).toBe('app=web');
    for (const r of server.requestsTo('/api/v1/endpoints'))
      expect(r.query.get('fieldSelector')).toBe('metadata.name=web');

    // A pod turning ready re-sends the endpoints group.
    server.update('pods', makePod('shop', 'web-b', { ip: '10.244.1.16', ready: true }));
    await waitForGroup(run, 'endpoints/shop/web', (x) => x.targets[2].__meta_kubernetes_pod_ready === 'true');
    // The service going away drops its labels from the group.
    server.delete('services', 'shop', 'web');
    await waitForGroup(
      run,
      'endpoints/shop/web',
      (x) => x.labels.__meta_kubernetes_service_name === undefined,
    );
    // A node label change reaches the targets on that node.
    server.update('nodes', makeNode('node-a', '10.0.0.11', { labels: { rack: 'r7' } }));
    await waitForGroup(
      run,
      'endpoints/shop/web',
      (x) => x.targets[0].__meta_kubernetes_node_label_rack === 'r7',
    );
    server.delete('endpoints', 'shop', 'web');
    await waitForGroup(run, 'endpoints/shop/web', (x) => x.targets.length === 0);
    expect(run.live()).toEqual([]);
  });
});

const webSlice = {
  kind: 'EndpointSlice',
  apiVersion: 'discovery.k8s.io/v1',
  metadata: {
    name: 'web-x7k2p',
    namespace: 'shop',
    labels: {
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
    annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2024-05-01T10:00:00Z' },
  },
  addressType: 'IPv4',
  endpoints: [
    {
      addresses: ['10.244.1.15'],
      conditions: { ready: true, serving: true, terminating: false },
      hostname: 'web-a',
      nodeName: 'node-a',
      zone: 'eu-west-1a',
      targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-a', uid: 'uid-web-a' },
    },
    {
      addresses: ['10.244.9.9'],
      conditions: { ready: false, serving: false, terminating: true },
      nodeName: 'node-b',
    },
  ],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
};

describe('kubernetes_sd_configs role: endpointslice', () => {
  it('endpoints × ports with conditions, zone, hostname, target kinds, pod and service metadata', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('namespaces', { kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'payments' } } });
    server.add('services', makeService('shop', 'web'));
    server.add('pods', makePod('shop', 'web-a', { ip: '10.244.1.15' }));
    server.add('endpointslices', webSlice);
    run = runDiscovery(
      sdConfig(
        `      - role: endpointslice\n        api_server: ${url}\n        namespaces:\n          names: [shop]\n        attach_metadata:\n          namespace: true\n        selectors:\n          - role: endpointslice\n            label: kubernetes.io/service-name=web\n          - role: pod\n            field: spec.nodeName=node-a\n`,
      ),
    );
    const g = await waitForGroup(run, 'endpointslice/shop/web-x7k2p');
    expect(
      server
        .requestsTo('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices')[0]
        .query.get('labelSelector'),
    ).toBe('kubernetes.io/service-name=web');
    expect(server.requestsTo('/api/v1/namespaces/shop/pods')[0].query.get('fieldSelector')).toBe(
      'spec.nodeName=node-a',
    );
    expect(g.labels).toEqual({
      __meta_kubernetes_namespace: 'shop',
      __meta_kubernetes_namespace_label_team: 'payments',
      __meta_kubernetes_namespace_labelpresent_team: 'true',
      __meta_kubernetes_endpointslice_name: 'web-x7k2p',
      __meta_kubernetes_endpointslice_address_type: 'IPv4',
      __meta_kubernetes_endpointslice_label_kubernetes_io_service_name: 'web',
      __meta_kubernetes_endpointslice_labelpresent_kubernetes_io_service_name: 'true',
      __meta_kubernetes_endpointslice_label_endpointslice_kubernetes_io_managed_by:
        'endpointslice-controller.k8s.io',
      __meta_kubernetes_endpointslice_labelpresent_endpointslice_kubernetes_io_managed_by: 'true',
      __meta_kubernetes_endpointslice_annotation_endpoints_kubernetes_io_last_change_trigger_time:
        '2024-05-01T10:00:00Z',
      __meta_kubernetes_endpointslice_annotationpresent_endpoints_kubernetes_io_last_change_trigger_time:
        'true',
      __meta_kubernetes_service_name: 'web',
      __meta_kubernetes_service_label_app: 'web',
      __meta_kubernetes_service_labelpresent_app: 'true',
      __meta_kubernetes_service_annotation_prometheus_io_probe: 'true',
      __meta_kubernetes_service_annotationpresent_prometheus_io_probe: 'true',
    });
    const slicePort = {
      __meta_kubernetes_endpointslice_port_name: 'http',
      __meta_kubernetes_endpointslice_port_protocol: 'TCP',
      __meta_kubernetes_endpointslice_port: '8080',
      __meta_kubernetes_endpointslice_port_app_protocol: 'http',
    };
    expect(g.targets).toEqual([
      {
        __address__: '10.244.1.15:8080',
        ...slicePort,
        __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
        __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
        __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
        __meta_kubernetes_endpointslice_endpoint_hostname: 'web-a',
        __meta_kubernetes_endpointslice_endpoint_node_name: 'node-a',
        __meta_kubernetes_endpointslice_endpoint_zone: 'eu-west-1a',
        __meta_kubernetes_endpointslice_address_target_kind: 'Pod',
        __meta_kubernetes_endpointslice_address_target_name: 'web-a',
        ...podMeta('web-a', '10.244.1.15', 'true'),
        ...containerHttp,
      },
      {
        __address__: '10.244.9.9:8080',
        ...slicePort,
        __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'false',
        __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'false',
        __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'true',
        __meta_kubernetes_endpointslice_endpoint_node_name: 'node-b',
      },
      { __address__: '10.244.1.15:9113', ...containerMetrics, ...podMeta('web-a', '10.244.1.15', 'true') },
    ]);

    // A service label change reaches the slice's group; deleting the slice removes it.
    server.update('services', {
      ...makeService('shop', 'web'),
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' } },
    });
    await waitForGroup(
      run,
      'endpointslice/shop/web-x7k2p',
      (x) => x.labels.__meta_kubernetes_service_label_tier === 'front',
    );
    server.delete('endpointslices', 'shop', 'web-x7k2p');
    await waitFor(() => run!.live().length === 0);
    expect(run.groups.get('endpointslice/shop/web-x7k2p')).toEqual({
      source: 'endpointslice/shop/web-x7k2p',
      targets: [],
      labels: {},
    });
  });
});
