// role: ingress — one target per rule host and path; https when the host is covered by a TLS entry.
import type { TargetGroup } from '../../model/target-group.js';
import {
  addNamespaceLabels,
  addObjectMetaLabels,
  META_PREFIX,
  NAMESPACE_LABEL,
  type Ingress,
  type LabelSet,
  type Namespace,
} from './objects.js';
import type { Resource } from './informer.js';
import { lookupNamespace } from './pod.js';
import { enqueueOnNamespaceChange, type RoleContext, type RoleDiscovery } from './role.js';

const I = META_PREFIX + 'ingress_';

/** A TLS host entry covers a rule host exactly or as a leading-label wildcard ("*.example.com"). */
export function matchesHostnamePattern(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const p = pattern.split('.');
  const h = host.split('.');
  if (p.length !== h.length || p[0] !== '*') return false;
  for (let i = 1; i < p.length; i++) if (p[i] !== h[i]) return false;
  return true;
}

export function buildIngress(ing: Ingress, ns: Namespace | undefined): TargetGroup {
  let labels: LabelSet = { [NAMESPACE_LABEL]: ing.metadata.namespace ?? '' };
  addObjectMetaLabels(labels, ing.metadata, 'ingress');
  if (ing.spec?.ingressClassName !== undefined) labels[I + 'class_name'] = ing.spec.ingressClassName;
  labels = addNamespaceLabels(labels, ns);
  const tlsHosts = (ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []);
  const targets: LabelSet[] = [];
  for (const rule of ing.spec?.rules ?? []) {
    const host = rule.host ?? '';
    const scheme = tlsHosts.some((p) => matchesHostnamePattern(p, host)) ? 'https' : 'http';
    const paths = rule.http === undefined ? ['/'] : (rule.http.paths ?? []).map((p) => p.path || '/');
    for (const path of paths) {
      targets.push({ __address__: host, [I + 'scheme']: scheme, [I + 'host']: host, [I + 'path']: path });
    }
  }
  return { source: `ingress/${ing.metadata.namespace}/${ing.metadata.name}`, targets, labels };
}

export function setupIngress(ctx: RoleContext): RoleDiscovery<Ingress> {
  const ingresses = ctx.resource<Ingress>('ingress');
  enqueueOnNamespaceChange(ctx, ingresses as Resource);
  return {
    primary: ingresses,
    sourcePrefix: 'ingress',
    build: (ing) => buildIngress(ing, lookupNamespace(ctx, ing.metadata.namespace)),
  };
}
