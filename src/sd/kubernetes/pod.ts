// role: pod — one target per declared container port, or one per container without ports (address
// = pod IP alone); init containers included and marked; pod-level metadata on the group.
import type { TargetGroup } from '../../model/target-group.js';
import {
  addNamespaceLabels,
  addNodeLabels,
  addObjectMetaLabels,
  enqueueKey,
  joinHostPort,
  META_PREFIX,
  NAMESPACE_LABEL,
  type LabelSet,
  type Namespace,
  type Node,
  type Pod,
} from './objects.js';
import type { Resource } from './informer.js';
import { enqueueOnNamespaceChange, type RoleContext, type RoleDiscovery } from './role.js';

const P = META_PREFIX + 'pod_';
export const POD_CONTAINER_NAME = P + 'container_name';
export const POD_CONTAINER_IMAGE = P + 'container_image';
export const POD_CONTAINER_PORT_NAME = P + 'container_port_name';
export const POD_CONTAINER_PORT_NUMBER = P + 'container_port_number';
export const POD_CONTAINER_PORT_PROTOCOL = P + 'container_port_protocol';
export const POD_CONTAINER_INIT = P + 'container_init';
const POD_CONTAINER_ID = P + 'container_id';

/** The pod-level labels (Prometheus's podLabels), shared with the endpoints roles. */
export function podLabels(pod: Pod): LabelSet {
  const ls: LabelSet = {
    [P + 'ip']: pod.status?.podIP ?? '',
    [P + 'ready']: podReady(pod),
    [P + 'phase']: pod.status?.phase ?? '',
    [P + 'node_name']: pod.spec?.nodeName ?? '',
    [P + 'host_ip']: pod.status?.hostIP ?? '',
    [P + 'uid']: pod.metadata.uid ?? '',
  };
  addObjectMetaLabels(ls, pod.metadata, 'pod');
  const ctl = pod.metadata.ownerReferences?.find((r) => r.controller === true);
  if (ctl !== undefined) {
    if (ctl.kind) ls[P + 'controller_kind'] = ctl.kind;
    if (ctl.name) ls[P + 'controller_name'] = ctl.name;
  }
  return ls;
}

/** The Ready condition's status in lower case, "unknown" without one. */
function podReady(pod: Pod): string {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  return (c?.status ?? 'Unknown').toLowerCase();
}

export function buildPod(pod: Pod, node: Node | undefined, ns: Namespace | undefined): TargetGroup {
  const source = `pod/${pod.metadata.namespace}/${pod.metadata.name}`;
  const ip = pod.status?.podIP ?? '';
  // The pod IP is empty while a pod starts or after eviction: no targets.
  if (ip === '') return { source, targets: [], labels: {} };
  let labels = podLabels(pod);
  labels[NAMESPACE_LABEL] = pod.metadata.namespace ?? '';
  labels = addNodeLabels(labels, node);
  labels = addNamespaceLabels(labels, ns);

  const targets: LabelSet[] = [];
  const regular = pod.spec?.containers ?? [];
  const all = [...regular, ...(pod.spec?.initContainers ?? [])];
  all.forEach((c, i) => {
    const init = i >= regular.length;
    const statuses = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
    const base: LabelSet = {
      [POD_CONTAINER_NAME]: c.name,
      [POD_CONTAINER_ID]: statuses.find((s) => s.name === c.name)?.containerID ?? '',
      [POD_CONTAINER_IMAGE]: c.image ?? '',
      [POD_CONTAINER_INIT]: String(init),
    };
    const ports = c.ports ?? [];
    if (ports.length === 0) {
      targets.push({ __address__: ip, ...base });
      return;
    }
    for (const p of ports) {
      targets.push({
        __address__: joinHostPort(ip, p.containerPort),
        ...base,
        [POD_CONTAINER_PORT_NAME]: p.name ?? '',
        [POD_CONTAINER_PORT_NUMBER]: String(p.containerPort),
        [POD_CONTAINER_PORT_PROTOCOL]: p.protocol ?? '',
      });
    }
  });
  return { source, targets, labels };
}

export function setupPod(ctx: RoleContext): RoleDiscovery<Pod> {
  const pods = ctx.resource<Pod>('pod');
  ctx.nodes?.on((_ev, node) => {
    for (const p of pods.values()) if (p.spec?.nodeName === node.metadata.name) ctx.enqueue(enqueueKey(p));
  });
  enqueueOnNamespaceChange(ctx, pods as Resource);
  return {
    primary: pods,
    sourcePrefix: 'pod',
    build: (pod) =>
      buildPod(pod, lookupNode(ctx, pod.spec?.nodeName), lookupNamespace(ctx, pod.metadata.namespace)),
  };
}

export function lookupNode(ctx: RoleContext, name: string | undefined): Node | undefined {
  return name === undefined || name === '' ? undefined : ctx.nodes?.get(name);
}

export function lookupNamespace(ctx: RoleContext, name: string | undefined): Namespace | undefined {
  return name === undefined ? undefined : ctx.namespaces?.get(name);
}
