import { afterEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from './fake-apiserver.js';
import { makeService } from './fixtures.js';
import { runDiscovery, sdConfig, waitFor, waitForGroup, type RunningDiscovery } from './harness.js';

let server: FakeApiServer;
let run: RunningDiscovery | undefined;

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await server?.stop();
});

describe('kubernetes_sd_configs role: service', () => {
  it('one target per port at <name>.<namespace>.svc:<port>; updates, deletions, selectors', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('services', makeService('shop', 'cart'));
    server.add(
      'services',
      makeService('shop', 'db', {
        type: 'ExternalName',
        externalName: 'db.example.com',
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      }),
    );
    run = runDiscovery(
      sdConfig(
        `      - role: service\n        api_server: ${url}\n        selectors:\n          - role: service\n            label: app\n`,
      ),
    );
    await waitFor(() => run!.live().length === 2);
    expect(run.groups.get('svc/shop/cart')).toEqual({
      source: 'svc/shop/cart',
      labels: {
        __meta_kubernetes_namespace: 'shop',
        __meta_kubernetes_service_name: 'cart',
        __meta_kubernetes_service_label_app: 'cart',
        __meta_kubernetes_service_labelpresent_app: 'true',
        __meta_kubernetes_service_annotation_prometheus_io_probe: 'true',
        __meta_kubernetes_service_annotationpresent_prometheus_io_probe: 'true',
      },
      targets: [
        {
          __address__: 'cart.shop.svc:80',
          __meta_kubernetes_service_port_name: 'http',
          __meta_kubernetes_service_port_number: '80',
          __meta_kubernetes_service_port_protocol: 'TCP',
          __meta_kubernetes_service_type: 'ClusterIP',
          __meta_kubernetes_service_cluster_ip: '10.96.12.34',
        },
        {
          __address__: 'cart.shop.svc:9113',
          __meta_kubernetes_service_port_name: 'metrics',
          __meta_kubernetes_service_port_number: '9113',
          __meta_kubernetes_service_port_protocol: 'TCP',
          __meta_kubernetes_service_type: 'ClusterIP',
          __meta_kubernetes_service_cluster_ip: '10.96.12.34',
        },
      ],
    });
    expect(run.groups.get('svc/shop/db')!.targets).toEqual([
      {
        __address__: 'db.shop.svc:5432',
        __meta_kubernetes_service_port_name: 'pg',
        __meta_kubernetes_service_port_number: '5432',
        __meta_kubernetes_service_port_protocol: 'TCP',
        __meta_kubernetes_service_type: 'ExternalName',
        __meta_kubernetes_service_external_name: 'db.example.com',
      },
    ]);
    for (const r of server.requestsTo('/api/v1/services')) expect(r.query.get('labelSelector')).toBe('app');

    server.update(
      'services',
      makeService('shop', 'cart', {
        type: 'LoadBalancer',
        loadBalancerIP: '198.51.100.7',
        ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
      }),
    );
    await waitForGroup(run, 'svc/shop/cart', (g) => g.targets.length === 1);
    expect(run.groups.get('svc/shop/cart')!.targets[0]).toEqual({
      __address__: 'cart.shop.svc:443',
      __meta_kubernetes_service_port_name: 'https',
      __meta_kubernetes_service_port_number: '443',
      __meta_kubernetes_service_port_protocol: 'TCP',
      __meta_kubernetes_service_type: 'LoadBalancer',
      __meta_kubernetes_service_cluster_ip: '10.96.12.34',
      __meta_kubernetes_service_loadbalancer_ip: '198.51.100.7',
    });
    server.delete('services', 'shop', 'db');
    await waitForGroup(run, 'svc/shop/db', (g) => g.targets.length === 0);
    expect(run.live().map((g) => g.source)).toEqual(['svc/shop/cart']);
  });
});

function makeIngress(namespace: string, name: string, spec: Record<string, unknown>) {
  return {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name, namespace, labels: { app: name }, annotations: { 'kubernetes.io/tls-acme': 'true' } },
    spec,
  };
}

describe('kubernetes_sd_configs role: ingress', () => {
  it('one target per rule host and path; https for TLS hosts (wildcards too); class name', async () => {
    server = new FakeApiServer();
    const url = await server.start();
    server.add('namespaces', { kind: 'Namespace', metadata: { name: 'web', labels: { env: 'prod' } } });
    server.add(
      'ingresses',
      makeIngress('web', 'site', {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['www.example.com', '*.apps.example.com'], secretName: 'site-tls' }],
        rules: [
          {
            host: 'www.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'site', port: { number: 80 } } },
                },
                {
                  path: '/api',
                  pathType: 'Prefix',
                  backend: { service: { name: 'api', port: { number: 80 } } },
                },
              ],
            },
          },
          {
            host: 'shop.apps.example.com',
            http: {
              paths: [
                {
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'shop', port: { number: 80 } } },
                },
              ],
            },
          },
          { host: 'legacy.example.com' },
        ],
      }),
    );
    run = runDiscovery(
      sdConfig(
        `      - role: ingress\n        api_server: ${url}\n        namespaces:\n          names: [web]\n        attach_metadata:\n          namespace: true\n`,
      ),
    );
    const g = await waitForGroup(run, 'ingress/web/site');
    expect(server.requestsTo('/apis/networking.k8s.io/v1/namespaces/web/ingresses').length).toBeGreaterThan(
      0,
    );
    expect(g).toEqual({
      source: 'ingress/web/site',
      labels: {
        __meta_kubernetes_namespace: 'web',
        __meta_kubernetes_namespace_label_env: 'prod',
        __meta_kubernetes_namespace_labelpresent_env: 'true',
        __meta_kubernetes_ingress_name: 'site',
        __meta_kubernetes_ingress_class_name: 'nginx',
        __meta_kubernetes_ingress_label_app: 'site',
        __meta_kubernetes_ingress_labelpresent_app: 'true',
        __meta_kubernetes_ingress_annotation_kubernetes_io_tls_acme: 'true',
        __meta_kubernetes_ingress_annotationpresent_kubernetes_io_tls_acme: 'true',
      },
      targets: [
        {
          __address__: 'www.example.com',
          __meta_kubernetes_ingress_scheme: 'https',
          __meta_kubernetes_ingress_host: 'www.example.com',
          __meta_kubernetes_ingress_path: '/',
        },
        {
          __address__: 'www.example.com',
          __meta_kubernetes_ingress_scheme: 'https',
          __meta_kubernetes_ingress_host: 'www.example.com',
          __meta_kubernetes_ingress_path: '/api',
        },
        {
          __address__: 'shop.apps.example.com',
          __meta_kubernetes_ingress_scheme: 'https',
          __meta_kubernetes_ingress_host: 'shop.apps.example.com',
          __meta_kubernetes_ingress_path: '/',
        },
        {
          __address__: 'legacy.example.com',
          __meta_kubernetes_ingress_scheme: 'http',
          __meta_kubernetes_ingress_host: 'legacy.example.com',
          __meta_kubernetes_ingress_path: '/',
        },
      ],
    });
    server.delete('ingresses', 'web', 'site');
    await waitForGroup(run, 'ingress/web/site', (x) => x.targets.length === 0);
    expect(run.live()).toEqual([]);
  });
});
