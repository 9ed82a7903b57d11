// kubernetes_sd_configs (Prometheus discovery/kubernetes): roles, namespaces, selectors, and the
// rules tying api_server, kubeconfig_file and custom HTTP client options together.
import { bool, list, object, str, filePath, type ObjectSchema } from './schema.js';
import { checkURL, httpClientFields, isDefaultHTTPClient, validateHTTPClient } from './http.js';
import { fieldError } from './source.js';
import type { KubernetesRole, KubernetesSDConfig } from './types.js';

const ROLES: readonly KubernetesRole[] = ['pod', 'service', 'endpoints', 'endpointslice', 'node', 'ingress'];

const ALLOWED_SELECTORS: Record<KubernetesRole, KubernetesRole[]> = {
  pod: ['pod', 'node'],
  service: ['service'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  endpoints: ['pod', 'service', 'endpoints'],
  node: ['node'],
  ingress: ['ingress'],
};

const selectorSchema: ObjectSchema = {
  type: 'kubernetes.SelectorConfig',
  fields: [
    { name: 'role', kind: str },
    { name: 'label', kind: str },
    { name: 'field', kind: str },
  ],
  finish(o) {
    if (!ROLES.includes(o.role as KubernetesRole)) {
      throw fieldError(o, 'role', `unknown Kubernetes SD role ${JSON.stringify(o.role)}`);
    }
    const fieldErr = parseFieldSelector(o.field as string);
    if (fieldErr) throw fieldError(o, 'field', fieldErr);
    const labelErr = parseLabelSelector(o.label as string);
    if (labelErr) throw fieldError(o, 'label', labelErr);
  },
};

export const kubernetesSchema: ObjectSchema = {
  type: 'kubernetes.SDConfig',
  fields: [
    { name: 'api_server', kind: str },
    { name: 'role', kind: str, always: true },
    { name: 'kubeconfig_file', kind: filePath, always: true },
    ...httpClientFields,
    {
      name: 'namespaces',
      kind: object({
        type: 'kubernetes.NamespaceDiscovery',
        fields: [
          { name: 'own_namespace', kind: bool, always: true },
          { name: 'names', kind: list(str), always: true },
        ],
      }),
    },
    { name: 'selectors', kind: list(object(selectorSchema)) },
    {
      name: 'attach_metadata',
      kind: object({
        type: 'kubernetes.AttachMetadataConfig',
        fields: [
          { name: 'node', kind: bool, always: true },
          { name: 'namespace', kind: bool, always: true },
        ],
      }),
    },
  ],
  finish(o) {
    const c = o as unknown as KubernetesSDConfig;
    if ((c.role as string) === '') {
      throw fieldError(
        o,
        'role',
        'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)',
      );
    }
    if (!ROLES.includes(c.role))
      throw fieldError(o, 'role', `unknown Kubernetes SD role ${JSON.stringify(c.role)}`);
    validateHTTPClient(o);
    if (c.api_server !== '') checkURL(o, 'api_server', c.api_server);
    if (c.api_server !== '' && c.kubeconfig_file !== '') {
      throw fieldError(o, 'kubeconfig_file', "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
    }
    const customHTTP = !isDefaultHTTPClient(o);
    if (c.kubeconfig_file !== '' && customHTTP) {
      throw fieldError(
        o,
        'kubeconfig_file',
        "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
      );
    }
    if (c.api_server === '' && customHTTP) {
      throw fieldError(
        o,
        undefined,
        "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
      );
    }
    if (c.api_server !== '' && c.namespaces.own_namespace) {
      throw fieldError(
        o,
        'namespaces',
        "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
      );
    }
    if (c.kubeconfig_file !== '' && c.namespaces.own_namespace) {
      throw fieldError(
        o,
        'namespaces',
        "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
      );
    }
    const seen = new Set<string>();
    for (const sel of c.selectors) {
      if (seen.has(sel.role)) throw fieldError(o, 'selectors', `duplicated selector role: ${sel.role}`);
      seen.add(sel.role);
      const allowed = ALLOWED_SELECTORS[c.role];
      if (!allowed.includes(sel.role)) {
        throw fieldError(o, 'selectors', `${c.role} role supports only ${allowed.join(', ')} selectors`);
      }
    }
  },
};

// Kubernetes field selectors: comma-separated `key=value`, `key==value` or `key!=value` terms.
function parseFieldSelector(sel: string): string | undefined {
  if (sel.trim() === '') return undefined;
  for (const term of sel.split(',')) {
    if (!/^\s*[^=!\s,]+\s*(==|=|!=)\s*[^=!,]*\s*$/.test(term)) {
      return `invalid selector: '${sel}'; can't understand '${term}'`;
    }
  }
  return undefined;
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

// Kubernetes label selectors (apimachinery labels.Parse): `k`, `!k`, `k=v`, `k==v`, `k!=v`,
// `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`, joined by commas outside parentheses.
function parseLabelSelector(sel: string): string | undefined {
  if (sel.trim() === '') return undefined;
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  for (const raw of terms) {
    const t = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^!?\s*([^\s!=<>()]+)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1])) return `unable to parse requirement: invalid label key "${m[1]}"`;
    } else if ((m = /^([^\s!=<>()]+)\s*(==|=|!=)\s*([^\s!=<>(),]*)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1])) return `unable to parse requirement: invalid label key "${m[1]}"`;
      if (!LABEL_VALUE.test(m[3])) return `unable to parse requirement: invalid label value: "${m[3]}"`;
    } else if ((m = /^([^\s!=<>()]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1])) return `unable to parse requirement: invalid label key "${m[1]}"`;
      for (const v of m[3].split(',').map((x) => x.trim())) {
        if (!LABEL_VALUE.test(v)) return `unable to parse requirement: invalid label value: "${v}"`;
      }
    } else if ((m = /^([^\s!=<>()]+)\s*(<|>)\s*(-?\d+)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1])) return `unable to parse requirement: invalid label key "${m[1]}"`;
    } else {
      return `unable to parse requirement: found '${t}', expected: label selector term`;
    }
  }
  return undefined;
}
