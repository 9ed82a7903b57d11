// Service discovery sections shared by scrape configs and alertmanager configs: the ones Promethium
// implements (static, file, kubernetes, dns, http) with Prometheus's defaults and checks, and every
// other Prometheus `*_sd_configs` key, which is recognised only to be rejected as not supported yet.
import { isValidLabelName, isValidLabelValue } from '../model/labelname.js';
import {
  duration,
  int,
  joinDir,
  list,
  map,
  object,
  str,
  type Field,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { checkURL, httpClientFields, validateHTTPClient } from './http.js';
import { kubernetesSchema } from './kubernetes.js';
import { fieldError } from './source.js';

const MINUTE = 60_000;

const staticSchema: ObjectSchema = {
  type: 'targetgroup.Group',
  fields: [
    { name: 'targets', kind: list(str), always: true },
    { name: 'labels', kind: map(str) },
  ],
  finish(o) {
    for (const [name, value] of Object.entries(o.labels as Record<string, string>)) {
      // Target group labels are checked under UTF-8 rules whatever the job's scheme (model.LabelSet).
      if (!isValidLabelName(name))
        throw fieldError(o, 'labels', `${JSON.stringify(name)} is not a valid label name`);
      if (!isValidLabelValue(value)) {
        throw fieldError(o, 'labels', `${JSON.stringify(value)} is not a valid label value`);
      }
    }
  },
};

// File SD reads only these extensions; the `*` wildcard is allowed in the last path segment only.
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

const fileSchema: ObjectSchema = {
  type: 'file.SDConfig',
  fields: [
    { name: 'files', kind: list(str), always: true },
    { name: 'refresh_interval', kind: duration, def: () => 5 * MINUTE },
  ],
  finish(o, ctx) {
    const files = o.files as string[];
    if (files.length === 0) {
      throw fieldError(o, 'files', 'file service discovery config must contain at least one path name');
    }
    files.forEach((name, i) => {
      if (!FILE_SD_NAME.test(name)) {
        throw fieldError(o, 'files', `path name ${JSON.stringify(name)} is not valid for file discovery`);
      }
      // Checked as written, then resolved like every other path (SetDirectory).
      files[i] = joinDir(ctx.src.dir, name);
    });
  },
};

const dnsSchema: ObjectSchema = {
  type: 'dns.SDConfig',
  fields: [
    { name: 'names', kind: list(str), always: true },
    { name: 'refresh_interval', kind: duration, def: () => 30_000 },
    { name: 'type', kind: str, def: () => 'SRV', always: true },
    { name: 'port', kind: int, always: true },
  ],
  finish(o) {
    if ((o.names as string[]).length === 0) {
      throw fieldError(o, 'names', 'DNS-SD config must contain at least one SRV record name');
    }
    const type = (o.type as string).toUpperCase();
    if (type === 'A' || type === 'AAAA' || type === 'MX' || type === 'NS') {
      if (o.port === 0) {
        throw fieldError(o, 'port', 'a port is required in DNS-SD configs for all record types except SRV');
      }
    } else if (type !== 'SRV') {
      throw fieldError(o, 'type', `invalid DNS-SD records type ${o.type as string}`);
    }
  },
};

const httpSDSchema: ObjectSchema = {
  type: 'http.SDConfig',
  fields: [
    ...httpClientFields,
    { name: 'refresh_interval', kind: duration, def: () => MINUTE },
    { name: 'url', kind: str, always: true },
  ],
  finish(o) {
    const url = o.url as string;
    if (url === '') throw fieldError(o, 'url', 'URL is missing');
    checkURL(o, 'url', url);
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?/.exec(url);
    const scheme = m ? m[1].toLowerCase() : '';
    if (scheme !== 'http' && scheme !== 'https')
      throw fieldError(o, 'url', "URL scheme must be 'http' or 'https'");
    const host = (m?.[3] ?? '').replace(/^[^@]*@/, '');
    if (host === '') throw fieldError(o, 'url', 'host is missing in URL');
    validateHTTPClient(o);
  },
};

/** Prometheus 3 service discoveries Promethium does not implement (yet). */
export const UNSUPPORTED_SD = [
  'aws',
  'azure',
  'consul',
  'digitalocean',
  'docker',
  'dockerswarm',
  'ec2',
  'ecs',
  'elasticache',
  'eureka',
  'gce',
  'hetzner',
  'ionos',
  'kuma',
  'lightsail',
  'linode',
  'marathon',
  'msk',
  'nerve',
  'nomad',
  'oci',
  'openstack',
  'outscale',
  'ovhcloud',
  'puppetdb',
  'rds',
  'scaleway',
  'serverset',
  'stackit',
  'triton',
  'uyuni',
  'vultr',
];

/** The SD fields of scrape and alertmanager configs (Go's discovery.Configs, inlined). */
export const discoveryFields: Field[] = [
  { name: 'static_configs', kind: list(object(staticSchema)) },
  { name: 'file_sd_configs', kind: list(object(fileSchema)) },
  { name: 'kubernetes_sd_configs', kind: list(object(kubernetesSchema)) },
  { name: 'dns_sd_configs', kind: list(object(dnsSchema)) },
  { name: 'http_sd_configs', kind: list(object(httpSDSchema)) },
  ...UNSUPPORTED_SD.map((sd): Field => ({
    name: `${sd}_sd_configs`,
    kind: { k: 'unsupported', what: `${sd}_sd_configs` },
  })),
];

const SD_KEYS = [
  'static_configs',
  'file_sd_configs',
  'kubernetes_sd_configs',
  'dns_sd_configs',
  'http_sd_configs',
];

/** Null entries in SD lists are errors, as in discovery.UnmarshalYAMLWithInlineConfigs. */
export function checkDiscoveryNulls(o: Obj): void {
  for (const key of SD_KEYS) {
    if ((o[key] as unknown[]).some((x) => x === null)) {
      throw fieldError(o, key, `empty or null section in ${key}`);
    }
  }
}

/** Users putting URLs in static targets (only checked when no relabelling could fix them up). */
export function checkStaticTargets(o: Obj): void {
  for (const group of o.static_configs as Array<{ targets: string[] }>) {
    for (const t of group.targets) {
      if (t.includes('/')) throw fieldError(group, 'targets', `${JSON.stringify(t)} is not a valid hostname`);
    }
  }
}
