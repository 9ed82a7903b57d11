// role: endpointslice (discovery.k8s.io/v1) — one target per endpoint address and port, with
// conditions, topology and the backing pod's and service's (kubernetes.io/service-name) metadata.
import type { TargetGroup } from '../../model/target-group.js';
import {
  addNamespaceLabels,
  addNodeLabels,
  addObjectMetaLabels,
  enqueueKey,
  joinHostPort,
  META_PREFIX,
  NAMESPACE_LABEL,
  sanitizeLabelName,
  type EndpointSlice,
  type LabelSet,
  type Service,
} from './objects.js';
import { resolvePod, SeenPods, wireDependencies } from './endpoints.js';
import { lookupNamespace, lookupNode } from './pod.js';
import type { RoleContext, RoleDiscovery } from './role.js';
import { serviceLabels } from './service.js';

const ES = META_PREFIX + 'endpointslice_';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function buildEndpointSlice(ctx: RoleContext, eps: EndpointSlice): TargetGroup {
  const ns = eps.metadata.namespace ?? '';
  let labels: LabelSet = { [NAMESPACE_LABEL]: ns, [ES + 'address_type']: eps.addressType ?? '' };
  addObjectMetaLabels(labels, eps.metadata, 'endpointslice');
  const svcName = eps.metadata.labels?.[SERVICE_NAME_LABEL];
  const svc = svcName === undefined ? undefined : ctx.resource<Service>('service').get(`${ns}/${svcName}`);
  if (svc !== undefined) labels = { ...labels, ...serviceLabels(svc) };
  labels = addNamespaceLabels(labels, lookupNamespace(ctx, ns));

  const targets: LabelSet[] = [];
  const seen = new SeenPods();
  for (const ep of eps.endpoints ?? []) {
    for (const port of eps.ports ?? []) {
      for (const addr of ep.addresses ?? []) {
        let t: LabelSet = { __address__: port.port != null ? joinHostPort(addr, port.port) : addr };
        if (port.name != null) t[ES + 'port_name'] = port.name;
        if (port.protocol != null) t[ES + 'port_protocol'] = port.protocol;
        if (port.port != null) t[ES + 'port'] = String(port.port);
        if (port.appProtocol != null) t[ES + 'port_app_protocol'] = port.appProtocol;
        const c = ep.conditions ?? {};
        if (c.ready != null) t[ES + 'endpoint_conditions_ready'] = String(c.ready);
        if (c.serving != null) t[ES + 'endpoint_conditions_serving'] = String(c.serving);
        if (c.terminating != null) t[ES + 'endpoint_conditions_terminating'] = String(c.terminating);
        if (ep.hostname != null) t[ES + 'endpoint_hostname'] = ep.hostname;
        if (ep.targetRef != null) {
          t[ES + 'address_target_kind'] = ep.targetRef.kind ?? '';
          t[ES + 'address_target_name'] = ep.targetRef.name ?? '';
        }
        if (ep.nodeName != null) t[ES + 'endpoint_node_name'] = ep.nodeName;
        if (ep.zone != null) t[ES + 'endpoint_zone'] = ep.zone;
        for (const [k, v] of Object.entries(ep.deprecatedTopology ?? {})) {
          const n = sanitizeLabelName(k);
          t[ES + 'endpoint_topology_' + n] = v;
          t[ES + 'endpoint_topology_present_' + n] = 'true';
        }
        if (ctx.nodes !== undefined) {
          const nodeName = ep.targetRef?.kind === 'Node' ? ep.targetRef.name : ep.nodeName;
          t = addNodeLabels(t, lookupNode(ctx, nodeName));
        }
        const pod = resolvePod(ctx, ep.targetRef, ns);
        if (pod !== undefined) t = seen.attach(t, pod, port.port ?? undefined, (cproto) => cproto);
        targets.push(t);
      }
    }
  }
  targets.push(...seen.remaining());
  return { source: `endpointslice/${ns}/${eps.metadata.name}`, targets, labels };
}

export function setupEndpointSlice(ctx: RoleContext): RoleDiscovery<EndpointSlice> {
  const slices = ctx.resource<EndpointSlice>('endpointslice');
  ctx.resource<Service>('service').on((_ev, svc) => {
    for (const s of slices.values()) {
      if (
        s.metadata.namespace === svc.metadata.namespace &&
        s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name
      ) {
        ctx.enqueue(enqueueKey(s));
      }
    }
  });
  wireDependencies(ctx, slices, (s) => {
    const pods: string[] = [];
    const nodes: string[] = [];
    for (const ep of s.endpoints ?? []) {
      if (ep.targetRef?.kind === 'Pod')
        pods.push(`${ep.targetRef.namespace || s.metadata.namespace}/${ep.targetRef.name}`);
      if (ep.targetRef?.kind === 'Node' && ep.targetRef.name) nodes.push(ep.targetRef.name);
      if (ep.nodeName != null) nodes.push(ep.nodeName);
    }
    return { pods, nodes };
  });
  return { primary: slices, sourcePrefix: 'endpointslice', build: (s) => buildEndpointSlice(ctx, s) };
}
