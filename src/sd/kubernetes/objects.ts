// The parts of the Kubernetes API objects that discovery reads (JSON as the API server sends it),
// and the label helpers every role shares (Prometheus's addObjectMetaLabels and friends).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
}

export interface KubeObject {
  metadata: ObjectMeta;
}

export interface ObjectReference {
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface Node extends KubeObject {
  spec?: { providerID?: string };
  status?: {
    addresses?: Array<{ type: string; address: string }>;
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
}

export interface ContainerStatus {
  name: string;
  containerID?: string;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    loadBalancerIP?: string;
    ports?: Array<{ name?: string; port: number; protocol?: string }>;
  };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface Endpoints extends KubeObject {
  subsets?: Array<{
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: EndpointPort[];
  }>;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    hostname?: string;
    nodeName?: string;
    zone?: string;
    targetRef?: ObjectReference;
    deprecatedTopology?: Record<string, string>;
  }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string; appProtocol?: string }>;
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    tls?: Array<{ hosts?: string[] }>;
    rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string }> } }>;
  };
}

export type Namespace = KubeObject;

export type LabelSet = Record<string, string>;

export const META_PREFIX = '__meta_kubernetes_';
export const NAMESPACE_LABEL = META_PREFIX + 'namespace';

/** Prometheus's strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes "_". */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * The labels every role derives from an object's metadata: `<role>_name`, and per label and
 * annotation `<role>_label_<k>`, `<role>_labelpresent_<k>`, `<role>_annotation_<k>`,
 * `<role>_annotationpresent_<k>`.
 */
export function addObjectMetaLabels(ls: LabelSet, meta: ObjectMeta, role: string): void {
  const p = META_PREFIX + role;
  ls[p + '_name'] = meta.name;
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    const n = sanitizeLabelName(k);
    ls[`${p}_label_${n}`] = v;
    ls[`${p}_labelpresent_${n}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    const n = sanitizeLabelName(k);
    ls[`${p}_annotation_${n}`] = v;
    ls[`${p}_annotationpresent_${n}`] = 'true';
  }
}

/** attach_metadata.node: the node's name, labels and annotations (when the node is known). */
export function addNodeLabels(ls: LabelSet, node: Node | undefined): LabelSet {
  if (node === undefined) return ls;
  const out = { ...ls };
  addObjectMetaLabels(out, node.metadata, 'node');
  return out;
}

/** attach_metadata.namespace: the namespace's labels and annotations, without its name. */
export function addNamespaceLabels(ls: LabelSet, ns: Namespace | undefined): LabelSet {
  if (ns === undefined) return ls;
  const out = { ...ls };
  addObjectMetaLabels(out, ns.metadata, 'namespace');
  delete out[META_PREFIX + 'namespace_name'];
  return out;
}

/** Go's net.JoinHostPort: IPv6 literals get brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function objectKey(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** The queue key of a namespaced object. */
export function enqueueKey(o: KubeObject): string {
  return objectKey(o.metadata);
}
