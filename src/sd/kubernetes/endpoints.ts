// role: endpoints — one target per address and port of an Endpoints object (ready and not ready),
// with the backing pod's and service's metadata; plus a target for every container port of a seen
// pod that no endpoint port covers. The pod bookkeeping is shared with role: endpointslice.
import type { TargetGroup } from '../../model/target-group.js';
import type { Resource } from './informer.js';
import {
  addNamespaceLabels,
  addNodeLabels,
  addObjectMetaLabels,
  enqueueKey,
  joinHostPort,
  META_PREFIX,
  NAMESPACE_LABEL,
  type Endpoints,
  type KubeObject,
  type LabelSet,
  type ObjectReference,
  type Pod,
  type Service,
} from './objects.js';
import {
  podLabels,
  POD_CONTAINER_IMAGE,
  POD_CONTAINER_NAME,
  POD_CONTAINER_PORT_NAME,
  POD_CONTAINER_PORT_NUMBER,
  POD_CONTAINER_PORT_PROTOCOL,
  lookupNamespace,
  lookupNode,
} from './pod.js';
import { enqueueOnNamespaceChange, type RoleContext, type RoleDiscovery } from './role.js';
import { serviceLabels } from './service.js';

const E = META_PREFIX + 'endpoint_';

/** Pods met while building one group, and the endpoint ports already turned into targets. */
export class SeenPods {
  private readonly seen = new Map<string, { pod: Pod; ports: number[] }>();

  /** Merges the pod's labels into `target` and, for a matching container port, its container labels. */
  attach(
    target: LabelSet,
    pod: Pod,
    port: number | undefined,
    protocol: (cport: string) => string,
  ): LabelSet {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    let entry = this.seen.get(key);
    if (entry === undefined) {
      entry = { pod, ports: [] };
      this.seen.set(key, entry);
    }
    const out = { ...target, ...podLabels(pod) };
    if (port !== undefined) {
      outer: for (const c of pod.spec?.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (cp.containerPort !== port) continue;
          out[POD_CONTAINER_NAME] = c.name;
          out[POD_CONTAINER_IMAGE] = c.image ?? '';
          out[POD_CONTAINER_PORT_NAME] = cp.name ?? '';
          out[POD_CONTAINER_PORT_NUMBER] = String(port);
          out[POD_CONTAINER_PORT_PROTOCOL] = protocol(cp.protocol ?? '');
          break outer;
        }
      }
      entry.ports.push(port);
    }
    return out;
  }

  /** Targets for container ports of seen pods that no endpoint port covered. */
  remaining(): LabelSet[] {
    const out: LabelSet[] = [];
    for (const { pod, ports } of this.seen.values()) {
      const ip = pod.status?.podIP ?? '';
      if (ip === '') continue; // starting or evicted
      for (const c of pod.spec?.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (ports.includes(cp.containerPort)) continue;
          out.push({
            __address__: joinHostPort(ip, cp.containerPort),
            [POD_CONTAINER_NAME]: c.name,
            [POD_CONTAINER_IMAGE]: c.image ?? '',
            [POD_CONTAINER_PORT_NAME]: cp.name ?? '',
            [POD_CONTAINER_PORT_NUMBER]: String(cp.containerPort),
            [POD_CONTAINER_PORT_PROTOCOL]: cp.protocol ?? '',
            ...podLabels(pod),
          });
        }
      }
    }
    return out;
  }
}

export function resolvePod(
  ctx: RoleContext,
  ref: ObjectReference | undefined,
  namespace: string,
): Pod | undefined {
  if (ref?.kind !== 'Pod' || !ref.name) return undefined;
  return ctx.resource<Pod>('pod').get(`${ref.namespace || namespace}/${ref.name}`);
}

function buildEndpoints(ctx: RoleContext, eps: Endpoints): TargetGroup {
  const ns = eps.metadata.namespace ?? '';
  let labels: LabelSet = { [NAMESPACE_LABEL]: ns };
  addObjectMetaLabels(labels, eps.metadata, 'endpoints');
  const svc = ctx.resource<Service>('service').get(`${ns}/${eps.metadata.name}`);
  if (svc !== undefined) labels = { ...labels, ...serviceLabels(svc) };
  labels = addNamespaceLabels(labels, lookupNamespace(ctx, ns));

  const targets: LabelSet[] = [];
  const seen = new SeenPods();
  for (const ss of eps.subsets ?? []) {
    for (const port of ss.ports ?? []) {
      const each = (addrs: typeof ss.addresses, ready: string): void => {
        for (const addr of addrs ?? []) {
          let t: LabelSet = {
            __address__: joinHostPort(addr.ip, port.port),
            [E + 'port_name']: port.name ?? '',
            [E + 'port_protocol']: port.protocol ?? '',
            [E + 'ready']: ready,
          };
          if (port.appProtocol !== undefined) t[E + 'port_app_protocol'] = port.appProtocol;
          if (addr.targetRef !== undefined) {
            t[E + 'address_target_kind'] = addr.targetRef.kind ?? '';
            t[E + 'address_target_name'] = addr.targetRef.name ?? '';
          }
          if (addr.nodeName !== undefined) t[E + 'node_name'] = addr.nodeName;
          if (addr.hostname) t[E + 'hostname'] = addr.hostname;
          if (ctx.nodes !== undefined) {
            const nodeName =
              addr.nodeName ?? (addr.targetRef?.kind === 'Node' ? addr.targetRef.name : undefined);
            t = addNodeLabels(t, lookupNode(ctx, nodeName));
          }
          const pod = resolvePod(ctx, addr.targetRef, ns);
          if (pod !== undefined) t = seen.attach(t, pod, port.port, () => port.protocol ?? '');
          targets.push(t);
        }
      };
      each(ss.addresses, 'true');
      each(ss.notReadyAddresses, 'false');
    }
  }
  targets.push(...seen.remaining());
  return { source: `endpoints/${ns}/${eps.metadata.name}`, targets, labels };
}

/** Re-enqueues primary objects when a pod, node or namespace they refer to changes. */
export function wireDependencies<T extends KubeObject>(
  ctx: RoleContext,
  primary: Resource<T>,
  refs: (o: T) => { pods: string[]; nodes: string[] },
): void {
  ctx.resource<Pod>('pod').on((_ev, pod) => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    for (const o of primary.values()) if (refs(o).pods.includes(key)) ctx.enqueue(enqueueKey(o));
  });
  ctx.nodes?.on((_ev, node) => {
    for (const o of primary.values())
      if (refs(o).nodes.includes(node.metadata.name)) ctx.enqueue(enqueueKey(o));
  });
  enqueueOnNamespaceChange(ctx, primary as unknown as Resource);
}

export function setupEndpoints(ctx: RoleContext): RoleDiscovery<Endpoints> {
  const endpoints = ctx.resource<Endpoints>('endpoints');
  ctx.resource<Service>('service').on((_ev, svc) => {
    const key = enqueueKey(svc);
    if (endpoints.get(key) !== undefined) ctx.enqueue(key);
  });
  wireDependencies(ctx, endpoints, (eps) => {
    const pods: string[] = [];
    const nodes: string[] = [];
    for (const ss of eps.subsets ?? []) {
      for (const a of [...(ss.addresses ?? []), ...(ss.notReadyAddresses ?? [])]) {
        if (a.targetRef?.kind === 'Pod')
          pods.push(`${a.targetRef.namespace || eps.metadata.namespace}/${a.targetRef.name}`);
        if (a.nodeName !== undefined) nodes.push(a.nodeName);
        if (a.targetRef?.kind === 'Node' && a.targetRef.name) nodes.push(a.targetRef.name);
      }
    }
    return { pods, nodes };
  });
  return { primary: endpoints, sourcePrefix: 'endpoints', build: (eps) => buildEndpoints(ctx, eps) };
}
