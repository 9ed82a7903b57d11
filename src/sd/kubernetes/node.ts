// role: node — one target per node at its preferred address and the kubelet port.
import type { TargetGroup } from '../../model/target-group.js';
import {
  addObjectMetaLabels,
  joinHostPort,
  META_PREFIX,
  sanitizeLabelName,
  type LabelSet,
  type Node,
} from './objects.js';
import type { RoleContext, RoleDiscovery } from './role.js';

// Prometheus's nodeAddress order (after k8s.io/kubernetes/pkg/util/node).
const ADDRESS_PREFERENCE = [
  'InternalIP',
  'InternalDNS',
  'ExternalIP',
  'ExternalDNS',
  'LegacyHostIP',
  'Hostname',
];

/** The preferred address and the first address of each type. */
export function nodeAddress(node: Node): { address: string | undefined; byType: Map<string, string> } {
  const byType = new Map<string, string>();
  for (const a of node.status?.addresses ?? []) if (!byType.has(a.type)) byType.set(a.type, a.address);
  for (const t of ADDRESS_PREFERENCE) {
    const a = byType.get(t);
    if (a !== undefined) return { address: a, byType };
  }
  return { address: undefined, byType };
}

export function buildNode(node: Node): TargetGroup | undefined {
  const labels: LabelSet = { [META_PREFIX + 'node_provider_id']: node.spec?.providerID ?? '' };
  addObjectMetaLabels(labels, node.metadata, 'node');
  const { address, byType } = nodeAddress(node);
  if (address === undefined) return undefined; // "No node address found": Prometheus sends nothing
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  const target: LabelSet = { __address__: joinHostPort(address, port), instance: node.metadata.name };
  for (const [t, a] of byType) target[sanitizeLabelName(META_PREFIX + 'node_address_' + t)] = a;
  return { source: 'node/' + node.metadata.name, targets: [target], labels };
}

export function setupNode(ctx: RoleContext): RoleDiscovery<Node> {
  return { primary: ctx.resource<Node>('node'), sourcePrefix: 'node', build: buildNode };
}
