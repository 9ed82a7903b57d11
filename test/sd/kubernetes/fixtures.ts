// Realistic API objects (as `kubectl get -o json` shows them, trimmed of fields discovery ignores).
import type { KObject } from './fake-apiserver.js';

export function makeNode(
  name: string,
  internalIP: string,
  extra: Partial<{ labels: Record<string, string> }> = {},
): KObject {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        'node-role.kubernetes.io/worker': '',
        ...extra.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: '10.244.1.0/24', providerID: `aws:///eu-west-1a/i-${name}` },
    status: {
      addresses: [
        { type: 'InternalIP', address: internalIP },
        { type: 'ExternalIP', address: `203.0.113.${internalIP.split('.').pop()}` },
        { type: 'Hostname', address: `${name}.ec2.internal` },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
    },
  };
}

export function makePod(
  namespace: string,
  name: string,
  opts: Partial<{
    ip: string;
    node: string;
    labels: Record<string, string>;
    ready: boolean;
    phase: string;
  }> = {},
): KObject {
  const ip = opts.ip ?? '10.244.1.15';
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'web', 'pod-template-hash': '5d78f8c8b7' },
      annotations: { 'prometheus.io/scrape': 'true' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-5d78f8c8b7',
          uid: 'rs-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: opts.node ?? 'node-a',
      initContainers: [{ name: 'init-config', image: 'busybox:1.36' }],
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9113, protocol: 'TCP' },
          ],
        },
        { name: 'log-shipper', image: 'fluent-bit:2.2' },
      ],
    },
    status: {
      phase: opts.phase ?? 'Running',
      hostIP: '192.168.1.10',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: opts.ready === false ? 'False' : 'True' },
      ],
      initContainerStatuses: [{ name: 'init-config', containerID: 'containerd://init0001', ready: true }],
      containerStatuses: [
        { name: 'web', containerID: 'containerd://web0001', ready: true },
        { name: 'log-shipper', containerID: 'containerd://log0001', ready: true },
      ],
    },
  };
}

export function makeService(namespace: string, name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      uid: `uid-svc-${name}`,
      labels: { app: name },
      annotations: { 'prometheus.io/probe': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.12.34',
      selector: { app: name },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9113, targetPort: 9113, protocol: 'TCP' },
      ],
      ...spec,
    },
  };
}
