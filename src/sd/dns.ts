// dns_sd_configs (Prometheus's discovery/dns): every refresh_interval, look up each name's SRV, A, AAAA,
// MX or NS records and make one target group per name (source = the name). A name whose lookup fails
// keeps its last good group; a name that does not exist (NXDOMAIN) or has no such records has none.
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import type { DNSSDConfig } from '../config/types.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Discoverer, DiscovererOptions } from './discoverer.js';
import type { SDMechanismMetrics } from './metrics.js';
import { runRefreshLoop } from './refresh.js';

export const DNS_NAME_LABEL = '__meta_dns_name';
export const DNS_SRV_RECORD_TARGET_LABEL = '__meta_dns_srv_record_target';
export const DNS_SRV_RECORD_PORT_LABEL = '__meta_dns_srv_record_port';
export const DNS_MX_RECORD_TARGET_LABEL = '__meta_dns_mx_record_target';
export const DNS_NS_RECORD_TARGET_LABEL = '__meta_dns_ns_record_target';

/** Answers that mean "no such records" rather than "could not find out" (Prometheus's outcome 2). */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

/** miekg/dns's client timeout. */
const LOOKUP_TIMEOUT_MS = 2_000;

export interface DnsDiscovererOptions extends DiscovererOptions {
  metrics: SDMechanismMetrics;
  /** DNS servers ("127.0.0.1:5353", "[::1]:53"); default: the system's (/etc/resolv.conf). */
  servers?: string[];
}

type Target = Record<string, string>;

export class DnsDiscoverer implements Discoverer {
  private readonly type: string;

  constructor(
    private readonly cfg: DNSSDConfig,
    private readonly opts: DnsDiscovererOptions,
  ) {
    this.type = cfg.type.toUpperCase();
  }

  run(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
  ): Promise<void> {
    return runRefreshLoop(
      {
        mechanism: 'dns',
        job: this.opts.job,
        intervalMs: this.cfg.refresh_interval,
        logger: this.opts.logger,
        metrics: this.opts.metrics,
        refresh: (s) => this.refresh(s),
      },
      signal,
      update,
      failed,
    );
  }

  /** One group per name that answered; a name that failed sends nothing, keeping its last group. */
  async refresh(signal: AbortSignal): Promise<{ groups: TargetGroup[]; errors: Error[] }> {
    const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: 2 });
    if (this.opts.servers !== undefined && this.opts.servers.length > 0)
      resolver.setServers(this.opts.servers);
    const cancel = (): void => resolver.cancel();
    const errors: Error[] = [];
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const groups = await Promise.all(
        this.cfg.names.map(async (name): Promise<TargetGroup | undefined> => {
          this.opts.metrics.dnsLookups.inc();
          try {
            return { source: name, targets: await this.lookup(resolver, name), labels: {} };
          } catch (err) {
            if (signal.aborted) return undefined;
            this.opts.metrics.dnsLookupFailures.inc();
            const e = new Error(`could not resolve ${JSON.stringify(name)}: ${describe(err)}`);
            this.opts.logger.error('Error refreshing DNS targets', { err: e.message });
            errors.push(e);
            return undefined;
          }
        }),
      );
      return { groups: groups.filter((g): g is TargetGroup => g !== undefined), errors };
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  private async lookup(resolver: Resolver, name: string): Promise<Target[]> {
    const port = this.cfg.port;
    try {
      switch (this.type) {
        case 'A':
          return (await resolver.resolve4(name)).map((ip) => ({
            __address__: hostPort(ip, port),
            [DNS_NAME_LABEL]: name,
          }));
        case 'AAAA':
          return (await resolver.resolve6(name)).map((ip) => ({
            __address__: hostPort(ip, port),
            [DNS_NAME_LABEL]: name,
          }));
        case 'MX':
          return (await resolver.resolveMx(name)).map((mx) => ({
            __address__: hostPort(mx.exchange, port),
            [DNS_NAME_LABEL]: name,
            [DNS_MX_RECORD_TARGET_LABEL]: rooted(mx.exchange),
          }));
        case 'NS':
          return (await resolver.resolveNs(name)).map((ns) => ({
            __address__: hostPort(ns, port),
            [DNS_NAME_LABEL]: name,
            [DNS_NS_RECORD_TARGET_LABEL]: rooted(ns),
          }));
        default:
          return (await resolver.resolveSrv(name)).map((srv) => ({
            __address__: hostPort(srv.name, srv.port),
            [DNS_NAME_LABEL]: name,
            [DNS_SRV_RECORD_TARGET_LABEL]: rooted(srv.name),
            [DNS_SRV_RECORD_PORT_LABEL]: String(srv.port),
          }));
      }
    } catch (err) {
      if (NO_RECORDS.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw err;
    }
  }
}

/** Go's net.JoinHostPort; a rooted name loses its final dot, as Prometheus trims it. */
function hostPort(host: string, port: number): string {
  const h = host.replace(/\.+$/, '');
  return net.isIPv6(h) ? `[${h}]:${port}` : `${h}:${port}`;
}

/** The record target as Prometheus's labels show it: a fully qualified name with its final dot. */
function rooted(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code} (${e.message})` : String(err);
}
