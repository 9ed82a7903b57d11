// The discovery manager with controllable providers: the update throttle, providers kept or replaced
// across applyConfig, failures, shared configs, static groups; each test ends with what the consumer
// (the scrape manager) sees.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FileSDConfig } from '../../src/config/types.js';
import type { TargetGroup } from '../../src/model/target-group.js';
import type { Discoverer } from '../../src/sd/discoverer.js';
import { scrapeDiscoveryConfigs, type SDConfig } from '../../src/sd/discoverers.js';
import { DiscoveryManager } from '../../src/sd/manager.js';
import { RecordingConsumer, Registry, config, eventually, metricValue, testLogger } from './support.js';

/** A provider the test drives: `send` and `fail` reach the manager while it runs. */
class FakeDiscoverer implements Discoverer {
  update: ((groups: TargetGroup[]) => void) | undefined;
  failed: ((err: Error) => void) | undefined;
  stopped = false;
  constructor(readonly cfg: SDConfig) {}

  run(signal: AbortSignal, update: (g: TargetGroup[]) => void, failed: (e: Error) => void): Promise<void> {
    this.update = update;
    this.failed = failed;
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        this.stopped = true;
        resolve();
      }),
    );
  }

  send(...groups: Array<[source: string, ...addresses: string[]]>): void {
    this.update!(
      groups.map(([source, ...addrs]) => ({
        source,
        targets: addrs.map((x) => ({ __address__: x })),
        labels: {},
      })),
    );
  }
}

const fileCfg = (file: string): SDConfig => ({
  type: 'file',
  config: { files: [file], refresh_interval: 300_000 } satisfies FileSDConfig,
});

let manager: DiscoveryManager | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await manager?.stop();
  manager = undefined;
});

function setup(opts: { updateIntervalMs?: number; failOn?: (cfg: SDConfig) => boolean } = {}) {
  const registry = new Registry();
  const consumer = new RecordingConsumer();
  const { logger, lines } = testLogger();
  const created: FakeDiscoverer[] = [];
  manager = new DiscoveryManager({
    logger,
    registry,
    consumer: consumer.consume,
    updateIntervalMs: opts.updateIntervalMs ?? 20,
    factory: (cfg) => {
      if (opts.failOn?.(cfg)) throw new Error('cannot build it');
      const d = new FakeDiscoverer(cfg);
      created.push(d);
      return d;
    },
  });
  const running = (file: string) =>
    created.find((d) => !d.stopped && JSON.stringify(d.cfg) === JSON.stringify(fileCfg(file)))!;
  return { registry, consumer, lines, created, running, manager };
}

describe('DiscoveryManager', () => {
  it('sends promptly at start, then at most once per update interval (5 s by default)', async () => {
    vi.useFakeTimers();
    const registry = new Registry();
    const consumer = new RecordingConsumer();
    let fake!: FakeDiscoverer;
    manager = new DiscoveryManager({
      logger: testLogger().logger,
      registry,
      consumer: consumer.consume,
      factory: (cfg) => (fake = new FakeDiscoverer(cfg)),
    });
    await manager.applyConfig(new Map([['job', [fileCfg('a.json')]]]));
    expect(consumer.calls).toBe(1); // the full state right after applyConfig: no targets yet
    expect(consumer.addresses('job')).toEqual([]);

    fake.send(['s0', 'a:1']); // the provider's initial groups go out at once
    await vi.advanceTimersByTimeAsync(0);
    expect(consumer.addresses('job')).toEqual(['a:1']);
    const afterInitial = consumer.calls;

    fake.send(['s0', 'b:1']);
    fake.send(['s1', 'c:1']);
    await vi.advanceTimersByTimeAsync(4_990);
    expect(consumer.calls).toBe(afterInitial); // throttled
    await vi.advanceTimersByTimeAsync(10);
    expect(consumer.calls).toBe(afterInitial + 1); // both updates in one send
    expect(await metricValue(registry, 'prometheus_sd_received_updates_total', { name: 'scrape' })).toBe(3);
    expect(await metricValue(registry, 'prometheus_sd_updates_total', { name: 'scrape' })).toBe(3);
    expect(await metricValue(registry, 'prometheus_sd_updates_delayed_total', { name: 'scrape' })).toBe(0);
    expect(consumer.addresses('job')).toEqual(['b:1', 'c:1']);
  });

  it('coalesces a burst of updates with a short interval', async () => {
    const t = setup({ updateIntervalMs: 30 });
    await t.manager.applyConfig(new Map([['job', [fileCfg('a.json')]]]));
    t.running('a.json').send(['s', 'a:1']);
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:1']));
    const before = t.consumer.calls;
    for (let i = 2; i <= 50; i++) t.running('a.json').send(['s', `a:${i}`]);
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:50']));
    expect(t.consumer.calls).toBe(before + 1);
    expect(t.consumer.addresses('job')).toEqual(['a:50']);
  });

  it('keeps an unchanged provider running across applyConfig and replaces a changed one', async () => {
    const t = setup();
    await t.manager.applyConfig(new Map([['job', [fileCfg('a.json'), fileCfg('b.json')]]]));
    const a = t.running('a.json');
    const b = t.running('b.json');
    a.send(['a', 'a:1']);
    b.send(['b', 'b:1']);
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:1', 'b:1']));

    // a stays, b is replaced by c: a's groups are sent again straight away, b's are gone
    await t.manager.applyConfig(new Map([['job', [fileCfg('a.json'), fileCfg('c.json')]]]));
    expect(t.created).toHaveLength(3);
    expect(a.stopped).toBe(false);
    expect(b.stopped).toBe(true);
    expect(t.running('a.json')).toBe(a);
    expect(t.consumer.addresses('job')).toEqual(['a:1']);
    expect(t.manager.providerStatus().map((p) => p.name)).toEqual(['file/0', 'file/2']);

    t.running('c.json').send(['c', 'c:1']);
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:1', 'c:1']));
  });

  it('shares one provider between jobs with the same config, and drops a removed job', async () => {
    const t = setup();
    await t.manager.applyConfig(
      new Map([
        ['one', [fileCfg('a.json')]],
        ['two', [fileCfg('a.json')]],
      ]),
    );
    expect(t.created).toHaveLength(1);
    t.created[0].send(['a', 'a:1']);
    await eventually(() => {
      expect(t.consumer.addresses('one')).toEqual(['a:1']);
      expect(t.consumer.addresses('two')).toEqual(['a:1']);
    });
    expect(
      await metricValue(t.registry, 'prometheus_sd_discovered_targets', { name: 'scrape', config: 'two' }),
    ).toBe(1);

    await t.manager.applyConfig(new Map([['one', [fileCfg('a.json')]]]));
    expect(t.created[0].stopped).toBe(false);
    expect(
      await metricValue(t.registry, 'prometheus_sd_discovered_targets', { name: 'scrape', config: 'two' }),
    ).toBe(undefined);
    expect(t.manager.providerStatus()).toEqual([{ name: 'file/0', type: 'file', jobs: ['one'], groups: 1 }]);

    await t.manager.applyConfig(new Map());
    expect(t.created[0].stopped).toBe(true);
    expect(t.consumer.addresses('one')).toEqual(['a:1']); // a removed job is not sent again: its pool goes
  });

  it('keeps the last groups of a failing provider', async () => {
    const t = setup();
    await t.manager.applyConfig(new Map([['job', [fileCfg('a.json')]]]));
    const a = t.running('a.json');
    a.send(['s0', 'a:1'], ['s1', 'a:2']);
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:1', 'a:2']));
    a.failed!(new Error('endpoint down'));
    expect(t.manager.providerStatus()[0].lastError).toBe('endpoint down');
    a.send(['s1']); // an empty group removes only its own source
    await eventually(() => expect(t.consumer.addresses('job')).toEqual(['a:1']));
    expect(t.manager.providerStatus()[0].lastError).toBe(undefined);
  });

  it('counts configs that cannot start a provider in prometheus_sd_failed_configs', async () => {
    const t = setup({ failOn: (cfg) => cfg.type === 'file' && cfg.config.files[0] === 'bad.json' });
    await t.manager.applyConfig(
      new Map([
        ['good', [fileCfg('a.json')]],
        ['bad', [fileCfg('bad.json')]],
      ]),
    );
    expect(await metricValue(t.registry, 'prometheus_sd_failed_configs', { name: 'scrape' })).toBe(1);
    expect(
      t.lines.some((l) => l.includes('msg="Cannot create service discovery"') && l.includes('config=bad')),
    ).toBe(true);
    t.running('a.json').send(['s', 'a:1']);
    await eventually(() => expect(t.consumer.addresses('good')).toEqual(['a:1']));
    // the failed job still gets an (empty) list, so targets it had are dropped
    expect(t.consumer.latest.get('bad')).toEqual([]);

    await t.manager.applyConfig(new Map([['good', [fileCfg('a.json')]]]));
    expect(await metricValue(t.registry, 'prometheus_sd_failed_configs', { name: 'scrape' })).toBe(0);
    expect(t.consumer.addresses('good')).toEqual(['a:1']);
  });

  it('serves static_configs as one provider with index sources, and jobs without discovery as empty', async () => {
    const registry = new Registry();
    const consumer = new RecordingConsumer();
    manager = new DiscoveryManager({
      logger: testLogger().logger,
      registry,
      consumer: consumer.consume,
      updateIntervalMs: 20,
    });
    const cfg = config(`
scrape_configs:
  - job_name: static
    static_configs:
      - targets: [a:1, b:1]
        labels: {env: prod}
      - targets: []
      - targets: [c:1]
  - job_name: nothing
`);
    await manager.applyConfig(scrapeDiscoveryConfigs(cfg));
    await eventually(() => expect(consumer.addresses('static')).toEqual(['a:1', 'b:1', 'c:1']));
    expect(consumer.latest.get('static')!.map((g) => g.source)).toEqual(['0', '2']);
    expect(consumer.latest.get('nothing')).toEqual([]);
    expect(consumer.targets('static')).toEqual([
      { __address__: 'a:1', env: 'prod' },
      { __address__: 'b:1', env: 'prod' },
      { __address__: 'c:1' },
    ]);
  });
});
