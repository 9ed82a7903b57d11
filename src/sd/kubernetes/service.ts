// role: service — one target per service port at <name>.<namespace>.svc:<port>.
import type { TargetGroup } from '../../model/target-group.js';
import {
  addNamespaceLabels,
  addObjectMetaLabels,
  joinHostPort,
  META_PREFIX,
  NAMESPACE_LABEL,
  type LabelSet,
  type Namespace,
  type Service,
} from './objects.js';
import type { Resource } from './informer.js';
import { lookupNamespace } from './pod.js';
import { enqueueOnNamespaceChange, type RoleContext, type RoleDiscovery } from './role.js';

const S = META_PREFIX + 'service_';

/** The service's group labels (Prometheus's serviceLabels), shared with the endpoints roles. */
export function serviceLabels(svc: Service): LabelSet {
  const ls: LabelSet = { [NAMESPACE_LABEL]: svc.metadata.namespace ?? '' };
  addObjectMetaLabels(ls, svc.metadata, 'service');
  return ls;
}

export function buildService(svc: Service, ns: Namespace | undefined): TargetGroup {
  const labels = addNamespaceLabels(serviceLabels(svc), ns);
  const type = svc.spec?.type ?? '';
  const targets = (svc.spec?.ports ?? []).map((p) => {
    const t: LabelSet = {
      __address__: joinHostPort(`${svc.metadata.name}.${svc.metadata.namespace}.svc`, p.port),
      [S + 'port_name']: p.name ?? '',
      [S + 'port_number']: String(p.port),
      [S + 'port_protocol']: p.protocol ?? '',
      [S + 'type']: type,
    };
    if (type === 'ExternalName') t[S + 'external_name'] = svc.spec?.externalName ?? '';
    else t[S + 'cluster_ip'] = svc.spec?.clusterIP ?? '';
    if (type === 'LoadBalancer') t[S + 'loadbalancer_ip'] = svc.spec?.loadBalancerIP ?? '';
    return t;
  });
  return { source: `svc/${svc.metadata.namespace}/${svc.metadata.name}`, targets, labels };
}

export function setupService(ctx: RoleContext): RoleDiscovery<Service> {
  const services = ctx.resource<Service>('service');
  enqueueOnNamespaceChange(ctx, services as Resource);
  return {
    primary: services,
    sourcePrefix: 'svc',
    build: (svc) => buildService(svc, lookupNamespace(ctx, svc.metadata.namespace)),
  };
}
