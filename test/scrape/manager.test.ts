// ScrapeManager.applyConfig as Prometheus's Manager.ApplyConfig: unchanged jobs keep scraping with
// the very same loops, changed jobs restart, removed jobs end their series with stale markers.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/scrape/http-client.js';
import { ScrapeManager } from '../../src/scrape/manager.js';
import type { Config } from '../../src/config/types.js';
import { staticTargetGroups } from '../../src/sd/static.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { waitFor } from '../support/server-process.js';
import { OPENMETRICS, loadConfig, points, silentLogger, startTarget, type Target } from './scrape-support.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(): Promise<{ storage: MemoryStorage; manager: ScrapeManager; a: Target; b: Target }> {
  const storage = new MemoryStorage();
  const manager = new ScrapeManager({
    appendable: storage,
    fetcher: (cfg) => new HttpClient(cfg),
    logger: silentLogger,
    offsetSeed: 'test',
  });
  const a = await startTarget();
  const b = await startTarget();
  a.serve('a_metric 1\n');
  b.serve('b_metric 2\n');
  cleanups.push(
    () => a.close(),
    () => b.close(),
    () => manager.stop(),
  );
  return { storage, manager, a, b };
}

/** A config applied as the server does: jobs from the config, their static targets from discovery. */
async function apply(manager: ScrapeManager, cfg: Config): Promise<void> {
  await manager.applyConfig(cfg);
  for (const sc of cfg.scrape_configs)
    manager.updateTargets(sc.job_name, staticTargetGroups(sc.static_configs));
}

function config(jobs: Array<Record<string, unknown>>) {
  return loadConfig({ global: { scrape_interval: '100ms', scrape_timeout: '100ms' }, scrape_configs: jobs });
}

const jobA = (a: Target, extra: Record<string, unknown> = {}) => ({
  job_name: 'a',
  static_configs: [{ targets: [a.host], labels: { team: 'x' } }],
  ...extra,
});
const jobB = (b: Target) => ({ job_name: 'b', static_configs: [{ targets: [b.host] }] });

describe('ScrapeManager.applyConfig', () => {
  it('starts a pool per job from static_configs', async () => {
    const { storage, manager, a, b } = await setup();
    await apply(manager, config([jobA(a), jobB(b)]));
    expect(manager.scrapePools()).toEqual(['a', 'b']);
    await waitFor(() => points(storage, 'a_metric').length >= 1 && points(storage, 'b_metric').length >= 1);
    expect(points(storage, 'a_metric', { job: 'a', team: 'x', instance: a.host }).length).toBeGreaterThan(0);
    const active = manager.activeTargets();
    expect(active.get('a')!.map((t) => t.url)).toEqual([a.url]);
    expect(active.get('b')!.map((t) => t.url)).toEqual([b.url]);
    expect(manager.droppedTargetCounts()).toEqual({ a: 0, b: 0 });
  });

  it('an unchanged job keeps the very same loop scraping: no gap, no stale marker', async () => {
    const { storage, manager, a, b } = await setup();
    await apply(manager, config([jobA(a), jobB(b)]));
    await waitFor(() => points(storage, 'a_metric').length >= 2);
    const state = manager.activeTargets().get('a')![0].state;
    // a freshly loaded but equal config, with job b changed
    await apply(manager, config([jobA(a), { ...jobB(b), honor_labels: true }]));
    expect(manager.activeTargets().get('a')![0].state).toBe(state);
    expect(manager.activeTargets().get('b')![0].state).not.toBe(undefined);
    const n = points(storage, 'a_metric').length;
    await waitFor(() => points(storage, 'a_metric').length >= n + 3);
    await manager.endOfRun();
    const pts = points(storage, 'a_metric');
    expect(pts.map(([, v]) => v)).not.toContain('stale');
    expect(points(storage, 'up', { job: 'a' }).map(([, v]) => v)).not.toContain('stale');
    // one loop writing: timestamps strictly increasing
    for (let i = 1; i < pts.length; i++) expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
  });

  it('a changed job restarts its loops with the new settings', async () => {
    const { storage, manager, a } = await setup();
    a.serve('a_metric 1\nnoise 1\n');
    await apply(manager, config([jobA(a)]));
    await waitFor(() => points(storage, 'noise').length >= 1);
    const state = manager.activeTargets().get('a')![0].state;
    await apply(
      manager,
      config([
        jobA(a, {
          metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'noise', action: 'drop' }],
        }),
      ]),
    );
    expect(manager.activeTargets().get('a')![0].state).not.toBe(state);
    // the dropped series ends with the old loop's end-of-run stale marker
    await manager.endOfRun();
    await waitFor(() => points(storage, 'noise').at(-1)![1] === 'stale');
    const n = points(storage, 'a_metric').length;
    await waitFor(() => points(storage, 'a_metric').length > n);
    expect(points(storage, 'a_metric').at(-1)![1]).toBe(1);
  });

  it('a removed job ends its series and synthetic series with stale markers', async () => {
    const { storage, manager, a, b } = await setup();
    await apply(manager, config([jobA(a), jobB(b)]));
    await waitFor(() => points(storage, 'b_metric').length >= 1);
    await apply(manager, config([jobA(a)]));
    expect(manager.scrapePools()).toEqual(['a']);
    expect(manager.activeTargets().has('b')).toBe(false);
    await manager.endOfRun();
    expect(points(storage, 'b_metric').at(-1)![1]).toBe('stale');
    expect(points(storage, 'up', { job: 'b' }).at(-1)![1]).toBe('stale');
    expect(points(storage, 'scrape_duration_seconds', { job: 'b' }).at(-1)![1]).toBe('stale');
    const requests = b.requests.length;
    await waitFor(() => points(storage, 'a_metric').length >= 3);
    expect(b.requests.length).toBe(requests);
  });

  it('a removed target of a kept job ends with stale markers', async () => {
    const { storage, manager, a, b } = await setup();
    const both = { job_name: 'a', static_configs: [{ targets: [a.host, b.host] }] };
    await apply(manager, config([both]));
    await waitFor(() => points(storage, 'b_metric').length >= 1);
    const aState = manager
      .activeTargets()
      .get('a')!
      .find((t) => t.url === a.url)!.state;
    await apply(manager, config([{ job_name: 'a', static_configs: [{ targets: [a.host] }] }]));
    expect(
      manager
        .activeTargets()
        .get('a')!
        .map((t) => t.url),
    ).toEqual([a.url]);
    expect(manager.activeTargets().get('a')![0].state).toBe(aState);
    await manager.endOfRun();
    expect(points(storage, 'b_metric').at(-1)![1]).toBe('stale');
    expect(points(storage, 'a_metric').map(([, v]) => v)).not.toContain('stale');
  });

  it('stop() (shutdown) writes no stale markers, also not for a job removed just before', async () => {
    const { storage, manager, a, b } = await setup();
    await apply(manager, config([jobA(a), jobB(b)]));
    await waitFor(() => points(storage, 'a_metric').length >= 1 && points(storage, 'b_metric').length >= 1);
    await apply(manager, config([jobA(a)]));
    await manager.stop();
    await manager.endOfRun();
    expect(points(storage, 'a_metric').map(([, v]) => v)).not.toContain('stale');
    expect(points(storage, 'b_metric').map(([, v]) => v)).not.toContain('stale');
    expect(points(storage, 'up', { job: 'b' }).map(([, v]) => v)).not.toContain('stale');
  });

  it('collects metadata from # TYPE, # HELP and # UNIT', async () => {
    const { manager, a, b } = await setup();
    const body = [
      '# TYPE build_info gauge',
      '# HELP build_info Build information.',
      'build_info{version="1"} 1',
      '# TYPE uptime_seconds counter',
      '# UNIT uptime_seconds seconds',
      'uptime_seconds_total 5',
      '# EOF',
      '',
    ].join('\n');
    a.serve(body, OPENMETRICS);
    b.serve('# HELP build_info Other help.\n# TYPE build_info gauge\nbuild_info 1\n');
    await apply(manager, config([jobA(a), jobB(b)]));
    await waitFor(() => [...manager.metadataList()].length >= 3);
    const list = [...manager.metadataList()].sort((x, y) =>
      (x.metric + x.help).localeCompare(y.metric + y.help),
    );
    expect(list).toEqual([
      { metric: 'build_info', type: 'gauge', help: 'Build information.', unit: '' },
      { metric: 'build_info', type: 'gauge', help: 'Other help.', unit: '' },
      { metric: 'uptime_seconds', type: 'counter', help: '', unit: 'seconds' },
    ]);
    expect([...manager.metadataList('uptime_seconds')]).toHaveLength(1);
    expect(manager.metadata().get('build_info')).toHaveLength(2);
  });
});
