// What a role is to the discoverer: its primary resource, how a group's source is named, and how
// an object becomes a target group. Roles also watch related resources (services, pods, nodes,
// namespaces) and re-enqueue the primary objects those affect.
import type { KubernetesRole } from '../../config/types.js';
import type { TargetGroup } from '../../model/target-group.js';
import type { Resource } from './informer.js';
import type { KubeObject, Namespace, Node } from './objects.js';

export type ResourceKind =
  'node' | 'pod' | 'service' | 'endpoints' | 'endpointslice' | 'ingress' | 'namespace';

export interface RoleContext {
  resource<T extends KubeObject>(kind: ResourceKind): Resource<T>;
  /** attach_metadata.node (for the roles that support it). */
  nodes: Resource<Node> | undefined;
  /** attach_metadata.namespace. */
  namespaces: Resource<Namespace> | undefined;
  /** Rebuilds the primary object with this key ("namespace/name", or "name" for nodes). */
  enqueue(key: string): void;
}

export interface RoleDiscovery<T extends KubeObject = KubeObject> {
  primary: Resource<T>;
  /** Source prefix: "node", "pod", "svc", "endpoints", "endpointslice", "ingress". */
  sourcePrefix: string;
  /** The group for an object, or undefined to send nothing (Prometheus skips such objects). */
  build(obj: T): TargetGroup | undefined;
}

export type RoleSetup = (ctx: RoleContext) => RoleDiscovery;

export const NODE_METADATA_ROLES: readonly KubernetesRole[] = ['pod', 'endpoints', 'endpointslice'];
export const NAMESPACE_METADATA_ROLES: readonly KubernetesRole[] = [
  'pod',
  'service',
  'endpoints',
  'endpointslice',
  'ingress',
];

/** Re-enqueues every primary object in `namespace` when the namespace's metadata changes. */
export function enqueueOnNamespaceChange(ctx: RoleContext, primary: Resource): void {
  ctx.namespaces?.on((_ev, ns) => {
    for (const o of primary.values()) {
      if (o.metadata.namespace === ns.metadata.name)
        ctx.enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
    }
  });
}
