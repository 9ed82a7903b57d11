// dns_sd_configs against a real DNS server on 127.0.0.1 (a small UDP server built with dns-packet):
// SRV, A, AAAA, MX and NS records, changes, failures that keep the last groups, and NXDOMAIN.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import dnsPacket, { type Answer } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { scrapeDiscoveryConfigs } from '../../src/sd/discoverers.js';
import { DiscoveryManager } from '../../src/sd/manager.js';
import { RecordingConsumer, Registry, config, eventually, metricValue, testLogger } from './support.js';

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };

/** An authoritative-looking server for a zone the test edits: `${type} ${name}` → answers. */
class TestDnsServer {
  readonly records = new Map<string, Answer[]>();
  /** Names answered with SERVFAIL. */
  readonly failing = new Set<string>();
  queries = 0;
  private readonly socket = dgram.createSocket('udp4');

  async start(): Promise<string> {
    this.socket.on('message', (msg, rinfo) => {
      let query;
      try {
        query = dnsPacket.decode(msg);
      } catch {
        return;
      }
      this.queries++;
      const q = query.questions?.[0];
      if (q === undefined) return;
      const name = q.name.replace(/\.$/, '').toLowerCase();
      const answers = this.records.get(`${q.type} ${name}`);
      const known = [...this.records.keys()].some((k) => k.endsWith(` ${name}`));
      const rcode = this.failing.has(name)
        ? RCODE.SERVFAIL
        : answers !== undefined || known
          ? RCODE.NOERROR
          : RCODE.NXDOMAIN;
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
        questions: query.questions,
        answers: rcode === RCODE.NOERROR ? (answers ?? []) : [],
      });
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }

  set(type: string, name: string, answers: Answer[]): void {
    this.records.set(`${type} ${name}`, answers);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

// TTL 0: nothing in the resolver may cache the answers between refreshes
const srv = (name: string, target: string, port: number): Answer => ({
  type: 'SRV',
  name,
  ttl: 0,
  data: { target, port, priority: 10, weight: 5 },
});
const a = (name: string, ip: string): Answer => ({ type: 'A', name, ttl: 0, data: ip });
const aaaa = (name: string, ip: string): Answer => ({ type: 'AAAA', name, ttl: 0, data: ip });

let dns: TestDnsServer | undefined;
let manager: DiscoveryManager | undefined;

afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  await dns?.close();
  dns = undefined;
});

async function start(sdYaml: string, setup: (s: TestDnsServer) => void) {
  dns = new TestDnsServer();
  setup(dns);
  const server = await dns.start();
  const registry = new Registry();
  const consumer = new RecordingConsumer();
  const { logger, lines } = testLogger();
  manager = new DiscoveryManager({
    logger,
    registry,
    consumer: consumer.consume,
    updateIntervalMs: 20,
    dnsServers: [server],
  });
  await manager.applyConfig(scrapeDiscoveryConfigs(config(`scrape_configs:\n${sdYaml}`)));
  return { registry, consumer, lines };
}

describe('dns_sd_configs', () => {
  it('turns SRV records into targets with the SRV meta labels, and follows changes', async () => {
    const name = '_node._tcp.example.test';
    const { consumer, registry } = await start(
      `
  - job_name: srv
    dns_sd_configs:
      - names: [${name}]
        refresh_interval: 50ms
`,
      (s) => s.set('SRV', name, [srv(name, 'a.example.test', 9100), srv(name, 'b.example.test', 9200)]),
    );
    await eventually(() =>
      expect(consumer.addresses('srv')).toEqual(['a.example.test:9100', 'b.example.test:9200']),
    );
    expect(consumer.targets('srv')[0]).toEqual({
      __address__: 'a.example.test:9100',
      __meta_dns_name: name,
      __meta_dns_srv_record_target: 'a.example.test.',
      __meta_dns_srv_record_port: '9100',
    });
    expect(consumer.latest.get('srv')!.map((g) => g.source)).toEqual([name]);
    expect(await metricValue(registry, 'prometheus_sd_dns_lookups_total')).toBeGreaterThan(0);

    dns!.set('SRV', name, [srv(name, 'c.example.test', 9300)]);
    await eventually(() => expect(consumer.addresses('srv')).toEqual(['c.example.test:9300']));
  });

  it('resolves A and AAAA records with the configured port', async () => {
    const { consumer } = await start(
      `
  - job_name: v4
    dns_sd_configs:
      - names: [hosts.example.test]
        type: A
        port: 9100
  - job_name: v6
    dns_sd_configs:
      - names: [hosts.example.test]
        type: AAAA
        port: 9100
`,
      (s) => {
        s.set('A', 'hosts.example.test', [
          a('hosts.example.test', '10.0.0.1'),
          a('hosts.example.test', '10.0.0.2'),
        ]);
        s.set('AAAA', 'hosts.example.test', [aaaa('hosts.example.test', '2001:db8::1')]);
      },
    );
    await eventually(() => expect(consumer.addresses('v4')).toEqual(['10.0.0.1:9100', '10.0.0.2:9100']));
    await eventually(() => expect(consumer.addresses('v6')).toEqual(['[2001:db8::1]:9100']));
    expect(consumer.targets('v6')).toEqual([
      { __address__: '[2001:db8::1]:9100', __meta_dns_name: 'hosts.example.test' },
    ]);
  });

  it('resolves MX and NS records with their meta labels', async () => {
    const { consumer } = await start(
      `
  - job_name: mx
    dns_sd_configs:
      - names: [example.test]
        type: MX
        port: 25
  - job_name: ns
    dns_sd_configs:
      - names: [example.test]
        type: NS
        port: 53
`,
      (s) => {
        s.set('MX', 'example.test', [
          {
            type: 'MX',
            name: 'example.test',
            ttl: 0,
            data: { preference: 10, exchange: 'mail.example.test' },
          },
        ]);
        s.set('NS', 'example.test', [{ type: 'NS', name: 'example.test', ttl: 0, data: 'ns1.example.test' }]);
      },
    );
    await eventually(() =>
      expect(consumer.targets('mx')).toEqual([
        {
          __address__: 'mail.example.test:25',
          __meta_dns_name: 'example.test',
          __meta_dns_mx_record_target: 'mail.example.test.',
        },
      ]),
    );
    await eventually(() =>
      expect(consumer.targets('ns')).toEqual([
        {
          __address__: 'ns1.example.test:53',
          __meta_dns_name: 'example.test',
          __meta_dns_ns_record_target: 'ns1.example.test.',
        },
      ]),
    );
  });

  it('keeps the last group of a name whose lookup fails, and drops it on NXDOMAIN', async () => {
    const good = 'good.example.test';
    const flaky = 'flaky.example.test';
    const { consumer, registry, lines } = await start(
      `
  - job_name: a
    dns_sd_configs:
      - names: [${good}, ${flaky}]
        type: A
        port: 80
        refresh_interval: 50ms
`,
      (s) => {
        s.set('A', good, [a(good, '10.0.0.1')]);
        s.set('A', flaky, [a(flaky, '10.0.0.2')]);
      },
    );
    await eventually(() => expect(consumer.addresses('a')).toEqual(['10.0.0.1:80', '10.0.0.2:80']));

    dns!.failing.add(flaky);
    dns!.set('A', good, [a(good, '10.0.0.3')]);
    await eventually(async () =>
      expect(await metricValue(registry, 'prometheus_sd_dns_lookup_failures_total')).toBeGreaterThan(0),
    );
    await eventually(() => expect(consumer.addresses('a')).toEqual(['10.0.0.2:80', '10.0.0.3:80']));
    expect(lines.some((l) => l.includes('msg="Error refreshing DNS targets"') && l.includes(flaky))).toBe(
      true,
    );

    // the name is gone for good: NXDOMAIN is an answer, and its group goes
    dns!.failing.delete(flaky);
    dns!.records.delete(`A ${flaky}`);
    await eventually(() => expect(consumer.addresses('a')).toEqual(['10.0.0.3:80']));
  });
});
