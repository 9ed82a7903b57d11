// A job's service discovery configs as separate providers (Prometheus's discovery.Configs): all of its
// static_configs form one provider, every other *_sd_configs entry is a provider of its own. The
// manager compares these configs to decide which providers keep running across a reload.
import type {
  Config,
  DNSSDConfig,
  FileSDConfig,
  HTTPSDConfig,
  KubernetesSDConfig,
  ScrapeConfig,
  StaticConfig,
} from '../config/types.js';
import { createKubernetesDiscoverer } from './kubernetes/index.js';
import type { Discoverer, DiscovererOptions } from './discoverer.js';
import { DnsDiscoverer } from './dns.js';
import { FileDiscoverer } from './file.js';
import { HttpDiscoverer, type SDHttpClientFactory } from './http.js';
import type { SDMechanismMetrics } from './metrics.js';
import { StaticDiscoverer } from './static.js';

export type SDConfig =
  | { type: 'static'; config: StaticConfig[] }
  | { type: 'file'; config: FileSDConfig }
  | { type: 'http'; config: HTTPSDConfig }
  | { type: 'dns'; config: DNSSDConfig }
  | { type: 'kubernetes'; config: KubernetesSDConfig };

export type SDType = SDConfig['type'];

/** What providers need besides their config. */
export interface DiscovererFactoryOptions extends DiscovererOptions {
  metrics: SDMechanismMetrics;
  /** Builds the HTTP client of http_sd_configs (from cli/: scrape's HttpClient). */
  httpClient?: SDHttpClientFactory;
  /** User-Agent of discovery HTTP requests. */
  userAgent?: string;
  /** DNS servers for dns_sd_configs ("127.0.0.1:5353"); default: the system's. */
  dnsServers?: string[];
  /** file_sd's re-read interval while a directory cannot be watched (tests). */
  fileFallbackPollMs?: number;
  /** Builds kubernetes_sd_configs providers; default: src/sd/kubernetes (tests may replace it). */
  kubernetes?: (cfg: KubernetesSDConfig, opts: DiscovererFactoryOptions) => Discoverer;
}

/** The discovery configs of one scrape job, in Prometheus's order. */
export function sdConfigsOf(sc: ScrapeConfig): SDConfig[] {
  const out: SDConfig[] = [];
  if (sc.static_configs.length > 0) out.push({ type: 'static', config: sc.static_configs });
  for (const c of sc.file_sd_configs) out.push({ type: 'file', config: c });
  for (const c of sc.kubernetes_sd_configs) out.push({ type: 'kubernetes', config: c });
  for (const c of sc.dns_sd_configs) out.push({ type: 'dns', config: c });
  for (const c of sc.http_sd_configs) out.push({ type: 'http', config: c });
  return out;
}

/** Every scrape job's discovery configs, for DiscoveryManager.applyConfig. */
export function scrapeDiscoveryConfigs(cfg: Config): Map<string, SDConfig[]> {
  return new Map(cfg.scrape_configs.map((sc) => [sc.job_name, sdConfigsOf(sc)]));
}

/** A provider for one config; throws when it cannot be created (counted as a failed config). */
export function createDiscoverer(cfg: SDConfig, opts: DiscovererFactoryOptions): Discoverer {
  switch (cfg.type) {
    case 'static':
      return new StaticDiscoverer(cfg.config);
    case 'file':
      return new FileDiscoverer(cfg.config, { ...opts, fallbackPollMs: opts.fileFallbackPollMs });
    case 'dns':
      return new DnsDiscoverer(cfg.config, { ...opts, servers: opts.dnsServers });
    case 'http': {
      if (opts.httpClient === undefined) throw new Error('no HTTP client for http_sd_configs');
      return new HttpDiscoverer(cfg.config, {
        ...opts,
        client: opts.httpClient(cfg.config),
        userAgent: opts.userAgent ?? 'Promethium',
      });
    }
    case 'kubernetes':
      return (opts.kubernetes ?? createKubernetesDiscoverer)(cfg.config, opts);
  }
}

/** The providers of a scrape job. */
export function createDiscoverers(sc: ScrapeConfig, opts: DiscovererFactoryOptions): Discoverer[] {
  return sdConfigsOf(sc).map((c) => createDiscoverer(c, opts));
}
