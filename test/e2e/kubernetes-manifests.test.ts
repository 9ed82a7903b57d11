// Checks the deployment files a prom/prometheus user would reach for: the Kubernetes manifests under
// deploy/kubernetes/, the Dockerfile, and — since neither Docker nor a cluster runs here — that the real
// server starts with the Deployment's exact container arguments and the ConfigMap's prometheus.yml.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifestDir = path.join(repoRoot, 'deploy/kubernetes');

// Just the fields these tests read; the manifests themselves are plain YAML.
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: VolumeMount[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  emptyDir?: object;
  hostPath?: { path: string };
}
interface PodSpec {
  serviceAccountName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
    runAsNonRoot?: boolean;
  };
  tolerations?: { key?: string; operator?: string; effect?: string }[];
  containers: Container[];
  volumes?: Volume[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    clusterIP?: string;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
  };
  rules?: { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}
interface RelabelConfig {
  action?: string;
  source_labels?: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
}
interface ScrapeConfig {
  job_name: string;
  scheme?: string;
  tls_config?: { ca_file?: string };
  bearer_token_file?: string;
  kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[];
  static_configs?: { targets: string[] }[];
  relabel_configs?: RelabelConfig[];
  [key: string]: unknown;
}
interface PrometheusConfig {
  global?: { scrape_interval?: string; evaluation_interval?: string };
  scrape_configs: ScrapeConfig[];
}

interface ManifestDocument {
  file: string;
  errors: string[];
  value: unknown;
}

function loadManifests(): ManifestDocument[] {
  const files = fs
    .readdirSync(manifestDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(manifestDir, file), 'utf8')).map((doc) => ({
      file,
      errors: doc.errors.map((e) => e.message),
      value: doc.toJS() as unknown,
    })),
  );
}

const manifests = loadManifests();
const objects = manifests.map((m) => m.value as K8sObject);

function find(kind: string, name: string): K8sObject {
  const found = objects.find((o) => o?.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} under deploy/kubernetes/`);
  return found;
}

function podSpec(kind: string, name: string): PodSpec {
  const spec = find(kind, name).spec?.template?.spec;
  if (!spec) throw new Error(`${kind} ${name} has no pod template`);
  return spec;
}

function prometheusConfig(): PrometheusConfig {
  const text = find('ConfigMap', 'prometheus-config').data?.['prometheus.yml'];
  if (text === undefined) throw new Error('ConfigMap prometheus-config has no prometheus.yml');
  return parse(text) as PrometheusConfig;
}

function job(config: PrometheusConfig, name: string): ScrapeConfig {
  const found = config.scrape_configs.find((j) => j.job_name === name);
  if (!found) throw new Error(`no scrape job ${name}`);
  return found;
}

// Kubernetes SD turns label names into meta label suffixes this way (strutil.SanitizeLabelName).
const sanitizeLabelName = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_');
// Relabel regexes are fully anchored, as in Prometheus.
const fullMatch = (regex: string, value: string): boolean => new RegExp(`^(?:${regex})$`).test(value);

describe('Kubernetes manifests', () => {
  it('parses every file into objects with apiVersion, kind and metadata.name', () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of manifests) {
      expect(m.errors, m.file).toEqual([]);
      const o = m.value as K8sObject;
      expect(o, m.file).toBeTypeOf('object');
      expect(o.apiVersion, m.file).toBeTypeOf('string');
      expect(o.kind, m.file).toBeTypeOf('string');
      expect(o.metadata?.name, m.file).toBeTypeOf('string');
      expect(o.metadata.name.length, m.file).toBeGreaterThan(0);
    }
  });

  it('holds the expected objects, namespaced ones in monitoring', () => {
    const kinds = objects.map((o) => o.kind);
    for (const kind of [
      'Namespace',
      'ConfigMap',
      'Deployment',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(kinds.filter((k) => k === 'Service')).toHaveLength(2);

    for (const [kind, name] of [
      ['Namespace', 'monitoring'],
      ['ConfigMap', 'prometheus-config'],
      ['Deployment', 'prometheus'],
      ['Service', 'prometheus'],
      ['Service', 'node-exporter'],
      ['ServiceAccount', 'prometheus'],
      ['ClusterRole', 'prometheus'],
      ['ClusterRoleBinding', 'prometheus'],
      ['DaemonSet', 'node-exporter'],
    ]) {
      const o = find(kind, name);
      const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(kind);
      expect(o.metadata.namespace, `${kind} ${name}`).toBe(clusterScoped ? undefined : 'monitoring');
    }
  });

  it('runs the prometheus Deployment like prom/prometheus', () => {
    const deployment = find('Deployment', 'prometheus');
    expect(deployment.spec?.replicas).toBe(1);
    const pod = podSpec('Deployment', 'prometheus');
    expect(pod.serviceAccountName).toBe('prometheus');
    expect(pod.securityContext).toMatchObject({
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      runAsNonRoot: true,
    });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe('promethium:latest');
    expect(c.args).toEqual([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/storage/prometheus/',
    ]);
    expect(c.ports).toEqual([{ name: 'web', containerPort: 9090 }]);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/-/ready', port: 'web' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/-/healthy', port: 'web' });

    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes[mounts['/etc/prometheus']]?.configMap?.name).toBe('prometheus-config');
    expect(volumes[mounts['/storage/prometheus/']]?.emptyDir).toBeDefined();
  });

  it('wires Services, the service account and the node-exporter DaemonSet together', () => {
    const deployment = find('Deployment', 'prometheus');
    const service = find('Service', 'prometheus');
    expect(service.spec?.ports?.map((p) => p.port)).toEqual([9090]);
    expect(deployment.spec?.template?.metadata.labels).toMatchObject(
      service.spec?.selector ?? { missing: 'selector' },
    );

    const daemonSet = find('DaemonSet', 'node-exporter');
    const nodeService = find('Service', 'node-exporter');
    expect(nodeService.spec?.clusterIP).toBe('None');
    expect(nodeService.spec?.ports?.map((p) => p.port)).toEqual([9100]);
    expect(daemonSet.spec?.template?.metadata.labels).toMatchObject(
      nodeService.spec?.selector ?? { missing: 'selector' },
    );

    const nodePod = podSpec('DaemonSet', 'node-exporter');
    expect(nodePod.hostNetwork).toBe(true);
    expect(nodePod.hostPID).toBe(true);
    expect(nodePod.tolerations?.map((t) => t.key)).toContain('node-role.kubernetes.io/control-plane');
    const exporter = nodePod.containers[0];
    expect(exporter.image.startsWith('quay.io/prometheus/node-exporter')).toBe(true);
    expect(exporter.args).toContain('--path.rootfs=/host');
    expect(exporter.ports?.map((p) => p.containerPort)).toContain(9100);
    const rootMount = exporter.volumeMounts?.find((m) => m.mountPath === '/host');
    expect(rootMount?.readOnly).toBe(true);
    expect(nodePod.volumes?.find((v) => v.name === rootMount?.name)?.hostPath?.path).toBe('/');

    const binding = find('ClusterRoleBinding', 'prometheus');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'prometheus',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
    ]);
  });

  it('grants the ClusterRole what Kubernetes service discovery needs', () => {
    const rules = find('ClusterRole', 'prometheus').rules ?? [];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some(
        (r) => r.apiGroups?.includes(group) && r.resources?.includes(resource) && r.verbs.includes(verb),
      );
    for (const resource of ['nodes', 'nodes/metrics', 'nodes/proxy', 'services', 'endpoints', 'pods']) {
      for (const verb of ['get', 'list', 'watch'])
        expect(allows('', resource, verb), `${resource} ${verb}`).toBe(true);
    }
    for (const verb of ['get', 'list', 'watch']) {
      expect(allows('discovery.k8s.io', 'endpointslices', verb)).toBe(true);
      expect(allows('networking.k8s.io', 'ingresses', verb)).toBe(true);
    }
    expect(allows('', 'configmaps', 'get')).toBe(true);
    expect(rules.some((r) => r.nonResourceURLs?.includes('/metrics') && r.verbs.includes('get'))).toBe(true);
  });
});

describe('ConfigMap prometheus.yml', () => {
  it('scrapes every 15s and uses no service discovery but Kubernetes', () => {
    const config = prometheusConfig();
    expect(config.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s' });
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      'prometheus',
      'kubernetes-nodes',
      'node-exporter',
    ]);
    expect(job(config, 'prometheus').static_configs).toEqual([{ targets: ['localhost:9090'] }]);
    for (const j of config.scrape_configs) {
      const sdKeys = Object.keys(j).filter((k) => k.endsWith('_sd_configs'));
      expect(
        sdKeys.filter((k) => k !== 'kubernetes_sd_configs'),
        j.job_name,
      ).toEqual([]);
    }
  });

  it('has the classic kubernetes-nodes job (kubelets through the API server proxy)', () => {
    const nodes = job(prometheusConfig(), 'kubernetes-nodes');
    expect(nodes.scheme).toBe('https');
    expect(nodes.tls_config).toEqual({ ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' });
    expect(nodes.bearer_token_file).toBe('/var/run/secrets/kubernetes.io/serviceaccount/token');
    expect(nodes.kubernetes_sd_configs).toEqual([{ role: 'node' }]);
    expect(nodes.relabel_configs).toEqual([
      { action: 'labelmap', regex: '__meta_kubernetes_node_label_(.+)' },
      { target_label: '__address__', replacement: 'kubernetes.default.svc:443' },
      {
        source_labels: ['__meta_kubernetes_node_name'],
        regex: '(.+)',
        target_label: '__metrics_path__',
        replacement: '/api/v1/nodes/${1}/proxy/metrics',
      },
    ]);
  });

  it('has a node-exporter job that keeps the node-exporter Service endpoints and labels the node', () => {
    const exporterJob = job(prometheusConfig(), 'node-exporter');
    expect(exporterJob.kubernetes_sd_configs?.map((sd) => sd.role)).toEqual(['endpoints']);
    const service = find('Service', 'node-exporter');
    const keeps = (exporterJob.relabel_configs ?? []).filter((r) => r.action === 'keep');
    expect(keeps.length).toBeGreaterThan(0);

    // Meta labels Kubernetes SD gives an endpoint of a Service (the ones the keep rules may look at).
    const endpointMeta = (svc: K8sObject): Record<string, string> => {
      const meta: Record<string, string> = {
        __meta_kubernetes_namespace: svc.metadata.namespace ?? '',
        __meta_kubernetes_service_name: svc.metadata.name,
        __meta_kubernetes_endpoint_port_name: svc.spec?.ports?.[0]?.name ?? '',
      };
      for (const [name, value] of Object.entries(svc.metadata.labels ?? {})) {
        meta[`__meta_kubernetes_service_label_${sanitizeLabelName(name)}`] = value;
      }
      return meta;
    };
    const kept = (svc: K8sObject): boolean => {
      const meta = endpointMeta(svc);
      return keeps.every((rule) =>
        fullMatch(rule.regex ?? '(.*)', (rule.source_labels ?? []).map((l) => meta[l] ?? '').join(';')),
      );
    };
    expect(kept(service)).toBe(true);
    expect(kept(find('Service', 'prometheus'))).toBe(false);

    expect(exporterJob.relabel_configs).toContainEqual({
      source_labels: ['__meta_kubernetes_endpoint_node_name'],
      target_label: 'node',
    });
  });
});

describe('Dockerfile', () => {
  // Instructions with line continuations joined and comments dropped.
  const instructions = fs
    .readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [, keyword, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [line, line, ''];
      return { keyword: keyword.toUpperCase(), rest: rest.replace(/\s+/g, ' ').trim() };
    });
  const all = (keyword: string): string[] =>
    instructions.filter((i) => i.keyword === keyword).map((i) => i.rest);
  const last = (keyword: string): string | undefined => all(keyword).at(-1);

  it('builds and runs on the same Node.js LTS slim image', () => {
    const froms = all('FROM').map((f) => f.split(' ')[0]);
    expect(froms).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    // the image's Node.js satisfies package.json's engines
    const engines = (
      JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
        engines: { node: string };
      }
    ).engines.node;
    const [, min] = /^>=(\d+)\./.exec(engines) ?? [];
    expect(Number(/^node:(\d+)-/.exec(froms[1])?.[1])).toBeGreaterThanOrEqual(Number(min));
  });

  it('runs as nobody on port 9090 with the data volume at /prometheus', () => {
    expect(last('USER')).toMatch(/^65534(:65534)?$/);
    expect(all('EXPOSE')).toContain('9090');
    expect(JSON.parse(last('VOLUME') ?? 'null')).toEqual(['/prometheus']);
    expect(last('WORKDIR')).toBe('/prometheus');
  });

  it('starts the built server with the prom/prometheus default flags', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    // with the Node.js option the server always runs with (see src/cli/promethium.ts)
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual([
      'node',
      '--max-semi-space-size=16',
      '--heap-growing-percent=50',
      `/app/${pkg.bin.promethium}`,
    ]);
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
    ]);
    expect(all('COPY')).toContain('deploy/docker/prometheus.yml /etc/prometheus/prometheus.yml');
  });

  it('ships the standard self-scrape config and keeps host build output out of the context', () => {
    const config = parse(
      fs.readFileSync(path.join(repoRoot, 'deploy/docker/prometheus.yml'), 'utf8'),
    ) as PrometheusConfig;
    expect(config).toEqual({
      global: { scrape_interval: '15s', evaluation_interval: '15s' },
      scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] }],
    });
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

describe('the Deployment container args against the real server', () => {
  const serverScript = path.join(repoRoot, 'dist/src/cli/promethium.js');
  let tmp = '';
  let child: ChildProcess | undefined;
  let exited: Promise<Exit> = new Promise<Exit>(() => {});
  let output = '';
  let baseUrl = '';
  let storageDir = '';
  let readyPath = '';
  let healthyPath = '';

  const failure = (message: string): Error =>
    new Error(`${message}\n--- server output (last 8 KiB) ---\n${output.slice(-8192)}`);

  beforeAll(async () => {
    if (!fs.existsSync(serverScript)) {
      throw new Error(`${serverScript} does not exist: build first (npm test runs npm run build)`);
    }
    const pod = podSpec('Deployment', 'prometheus');
    const container = pod.containers[0];
    readyPath = container.readinessProbe?.httpGet?.path ?? '';
    healthyPath = container.livenessProbe?.httpGet?.path ?? '';

    // The pod's filesystem, mapped into a fresh temp dir: each volume mount becomes <tmp><mountPath>,
    // and the configMap volume is filled with the ConfigMap's files, as the kubelet would.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-k8s-'));
    const mounts = (container.volumeMounts ?? []).map((m) => ({
      mountPath: m.mountPath.replace(/\/+$/, ''),
      volume: pod.volumes?.find((v) => v.name === m.name),
    }));
    for (const m of mounts) {
      if (!m.volume?.configMap) continue;
      const dir = path.join(tmp, m.mountPath);
      fs.mkdirSync(dir, { recursive: true });
      for (const [key, text] of Object.entries(find('ConfigMap', m.volume.configMap.name).data ?? {})) {
        fs.writeFileSync(path.join(dir, key), text);
      }
    }
    // The emptyDir is deliberately not created: like Prometheus, the server must create its data dir.
    const mapPath = (value: string): string => {
      for (const { mountPath } of mounts) {
        if (value === mountPath || value.startsWith(`${mountPath}/`)) {
          return path.join(tmp, mountPath) + value.slice(mountPath.length);
        }
      }
      return value;
    };
    const args = (container.args ?? []).map((arg) => {
      const eq = arg.indexOf('=');
      if (eq < 0) return arg;
      const value = mapPath(arg.slice(eq + 1));
      // Never let the test touch real /etc or /storage paths on this machine.
      if (path.isAbsolute(value) && !value.startsWith(tmp)) throw new Error(`unmapped path in ${arg}`);
      return `${arg.slice(0, eq + 1)}${value}`;
    });
    storageDir = mapPath('/storage/prometheus/');

    // The only argument added to the Deployment's: tests listen on loopback only, on a free port
    // (the server does not report a port-0 address yet).
    const port = await freeLoopbackPort();
    args.push(`--web.listen-address=127.0.0.1:${port}`);
    baseUrl = `http://127.0.0.1:${port}`;

    // Run as outside any cluster, even if this test itself runs in a pod: in-cluster discovery
    // would otherwise talk to that cluster's API server.
    const env = { ...process.env };
    delete env.KUBERNETES_SERVICE_HOST;
    delete env.KUBERNETES_SERVICE_PORT;

    const proc = spawn(process.execPath, [serverScript, ...args], {
      cwd: tmp,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-65536);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);

    // Wait on the readiness probe's condition, as the kubelet does: poll every 100 ms, up to 20 s.
    const deadline = Date.now() + 20_000;
    while (true) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw failure(`server exited early (code ${proc.exitCode}, signal ${proc.signalCode})`);
      }
      try {
        const res = await fetch(`${baseUrl}${readyPath}`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw failure(`GET ${readyPath} did not return 200 within 20 s`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
    }
    if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers the readiness and liveness probes', async () => {
    for (const probePath of [readyPath, healthyPath]) {
      const res = await fetch(`${baseUrl}${probePath}`);
      await res.arrayBuffer();
      expect(res.status, probePath).toBe(200);
    }
  });

  it('serves the ConfigMap configuration on /api/v1/status/config', async () => {
    const res = await fetch(`${baseUrl}/api/v1/status/config`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; data: { yaml: string } };
    expect(body.status).toBe('success');
    expect(body.data.yaml).toBeTypeOf('string');
    expect(body.data.yaml).toContain('kubernetes-nodes');
    const served = parse(body.data.yaml) as PrometheusConfig;
    expect(served.scrape_configs.map((j) => j.job_name)).toEqual(
      prometheusConfig().scrape_configs.map((j) => j.job_name),
    );
  });

  it('creates its storage directory', () => {
    expect(fs.statSync(storageDir).isDirectory()).toBe(true);
  });

  it('exits 0 within 10 s of SIGTERM', async () => {
    child?.kill('SIGTERM');
    const result = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    if (result === 'timeout') throw failure('server still running 10 s after SIGTERM');
    expect(result, output.slice(-8192)).toEqual({ code: 0, signal: null });
  });
});
