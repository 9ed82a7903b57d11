// kubernetes_sd_configs (Prometheus's discovery/kubernetes): list+watch the API server for the
// configured role and turn each object into a target group named "<kind>/<namespace>/<name>".
// Differences from Prometheus: JSON rather than protobuf on the wire; endpointslice and ingress use
// discovery.k8s.io/v1 and networking.k8s.io/v1 only (no v1beta1 fallback for pre-1.21 clusters);
// attach_metadata.namespace watches all namespaces; no prometheus_sd_kubernetes_* metrics.
import fs from 'node:fs/promises';
import type { KubernetesSDConfig, KubernetesRole } from '../../config/types.js';
import type { TargetGroup } from '../../model/target-group.js';
import type { Discoverer, DiscovererOptions } from '../discoverer.js';
import { ApiClient, DEFAULT_IN_CLUSTER_PATHS, type InClusterPaths } from './client.js';
import { DEFAULT_BACKOFF, Informer, Resource, sleep, type Backoff } from './informer.js';
import type { KubeObject, Namespace, Node } from './objects.js';
import {
  NAMESPACE_METADATA_ROLES,
  NODE_METADATA_ROLES,
  type ResourceKind,
  type RoleContext,
  type RoleDiscovery,
  type RoleSetup,
} from './role.js';
import { setupNode } from './node.js';
import { setupPod } from './pod.js';
import { setupService } from './service.js';
import { setupIngress } from './ingress.js';
import { setupEndpoints } from './endpoints.js';
import { setupEndpointSlice } from './endpointslice.js';

export { DEFAULT_IN_CLUSTER_PATHS, type InClusterPaths } from './client.js';
export type { Backoff } from './informer.js';

export interface KubernetesDiscovererOptions extends DiscovererOptions {
  /** Environment for in-cluster mode (KUBERNETES_SERVICE_HOST/PORT); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Service-account file locations for in-cluster mode. */
  inClusterPaths?: Partial<InClusterPaths>;
  /** Retry backoff after list/watch failures. */
  backoff?: Partial<Backoff>;
  /** prometheus_sd_kubernetes_events_total{role, event}. */
  metrics?: {
    kubernetesEvents: { inc(labels: { role: string; event: string }): void };
    kubernetesFailures: { inc(): void };
  };
}

const ROLE_SETUP: Partial<Record<KubernetesRole, RoleSetup>> = {
  node: setupNode as RoleSetup,
  pod: setupPod as RoleSetup,
  service: setupService as RoleSetup,
  ingress: setupIngress as RoleSetup,
  endpoints: setupEndpoints as RoleSetup,
  endpointslice: setupEndpointSlice as RoleSetup,
};

const COLLECTIONS: Record<ResourceKind, { group: string; plural: string; namespaced: boolean }> = {
  node: { group: '/api/v1', plural: 'nodes', namespaced: false },
  namespace: { group: '/api/v1', plural: 'namespaces', namespaced: false },
  pod: { group: '/api/v1', plural: 'pods', namespaced: true },
  service: { group: '/api/v1', plural: 'services', namespaced: true },
  endpoints: { group: '/api/v1', plural: 'endpoints', namespaced: true },
  endpointslice: { group: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  ingress: { group: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
};

/** Creates the discoverer for one kubernetes_sd_config. */
export function createKubernetesDiscoverer(
  cfg: KubernetesSDConfig,
  opts: KubernetesDiscovererOptions,
): Discoverer {
  return new KubernetesDiscoverer(cfg, opts);
}

class KubernetesDiscoverer implements Discoverer {
  private readonly paths: InClusterPaths;
  private readonly backoff: Backoff;

  constructor(
    private readonly cfg: KubernetesSDConfig,
    private readonly opts: KubernetesDiscovererOptions,
  ) {
    this.paths = { ...DEFAULT_IN_CLUSTER_PATHS, ...opts.inClusterPaths };
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  }

  async run(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
  ): Promise<void> {
    const logger = this.opts.logger.with({ discovery: 'kubernetes', role: this.cfg.role });
    // Setting up can fail (no in-cluster environment, unreadable kubeconfig): report and retry.
    let setup: { client: ApiClient; namespaces: string[] } | undefined;
    for (let attempt = 1; setup === undefined && !signal.aborted; attempt++) {
      try {
        setup = await this.connect();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        logger.error('Cannot create Kubernetes discovery', { err: e.message });
        failed(e);
        await sleep(Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (attempt - 1)), signal);
      }
    }
    if (setup === undefined) return;
    const { client, namespaces } = setup;

    const selector = (role: KubernetesRole): { label: string; field: string } => {
      const s = this.cfg.selectors.find((x) => x.role === role);
      return { label: s?.label ?? '', field: s?.field ?? '' };
    };
    const all: Informer[] = [];
    const cache = new Map<ResourceKind, Resource>();
    const resource = <T extends KubeObject>(kind: ResourceKind): Resource<T> => {
      let r = cache.get(kind);
      if (r === undefined) {
        const c = COLLECTIONS[kind];
        const sel = kind === 'namespace' ? { label: '', field: '' } : selector(kind);
        const scopes = c.namespaced ? namespaces : [''];
        const infs = scopes.map(
          (ns) =>
            new Informer({
              client,
              path:
                ns === ''
                  ? `${c.group}/${c.plural}`
                  : `${c.group}/namespaces/${encodeURIComponent(ns)}/${c.plural}`,
              labelSelector: sel.label,
              fieldSelector: sel.field,
              logger,
              backoff: this.backoff,
              failed,
              onFailure: () => this.opts.metrics?.kubernetesFailures.inc(),
              onEvent:
                kind === 'namespace'
                  ? undefined
                  : (event) => this.opts.metrics?.kubernetesEvents.inc({ role: kind, event }),
            }),
        );
        all.push(...infs);
        r = new Resource(infs);
        cache.set(kind, r);
      }
      return r as unknown as Resource<T>;
    };

    let live = false;
    const queue = new Set<string>();
    let flushScheduled = false;
    const flush = (): void => {
      flushScheduled = false;
      if (signal.aborted) return;
      const groups: TargetGroup[] = [];
      for (const key of queue) {
        const obj = role.primary.get(key);
        if (obj === undefined)
          groups.push({ source: `${role.sourcePrefix}/${key}`, targets: [], labels: {} });
        else {
          const g = role.build(obj);
          if (g !== undefined) groups.push(g);
        }
      }
      queue.clear();
      if (groups.length > 0) update(groups);
    };
    const ctx: RoleContext = {
      resource,
      nodes:
        this.cfg.attach_metadata.node && NODE_METADATA_ROLES.includes(this.cfg.role)
          ? resource<Node>('node')
          : undefined,
      namespaces:
        this.cfg.attach_metadata.namespace && NAMESPACE_METADATA_ROLES.includes(this.cfg.role)
          ? resource<Namespace>('namespace')
          : undefined,
      enqueue: (key) => {
        if (!live) return; // before the caches are synced, the initial full send covers it
        queue.add(key);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      },
    };
    const setupRole = ROLE_SETUP[this.cfg.role];
    if (setupRole === undefined) {
      failed(new Error(`unknown Kubernetes discovery kind ${JSON.stringify(this.cfg.role)}`));
      return;
    }
    const role: RoleDiscovery = setupRole(ctx);
    const primary = role.primary;
    primary.on((_ev, obj) => ctx.enqueue(keyOf(obj)));

    const running = all.map((inf) => inf.run(signal));
    await Promise.all(all.map((inf) => inf.waitSynced(signal)));
    if (!signal.aborted) {
      const groups: TargetGroup[] = [];
      for (const obj of primary.values()) {
        const g = role.build(obj);
        if (g !== undefined) groups.push(g);
      }
      live = true;
      update(groups);
    }
    await Promise.all(running);
  }

  private async connect(): Promise<{ client: ApiClient; namespaces: string[] }> {
    const env = this.opts.env ?? process.env;
    const client = await ApiClient.fromConfig(this.cfg, env, this.paths);
    const ns = this.cfg.namespaces;
    // Prometheus's getNamespaces: all namespaces unless names or own_namespace are given.
    let namespaces = [...ns.names];
    if (ns.own_namespace && this.cfg.api_server === '' && this.cfg.kubeconfig_file === '') {
      const own = (await fs.readFile(this.paths.namespaceFile, 'utf8').catch((err: Error) => {
        throw new Error(`could not determine the pod's namespace: ${err.message}`);
      })) as string;
      if (own === '') throw new Error('could not read own namespace name (empty file)');
      namespaces.push(own);
    }
    if (ns.names.length === 0 && !ns.own_namespace) namespaces = [''];
    return { client, namespaces };
  }
}

function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}
