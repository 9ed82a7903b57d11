// ScrapePool: targets from groups, real loops on their schedule against real HTTP targets, and
// what Prometheus's scrapePool does when targets go away, exceed target_limit or are dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/scrape/http-client.js';
import { ScrapePool, reusableCache, scrapeOffset, type PoolDeps } from '../../src/scrape/pool.js';
import type { TargetGroup } from '../../src/model/target-group.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { waitFor } from '../support/server-process.js';
import {
  CountingCounters,
  jobConfig,
  points,
  silentLogger,
  startTarget,
  type Target,
} from './scrape-support.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function deps(storage: MemoryStorage): PoolDeps {
  return {
    appendable: storage,
    fetcher: (cfg) => new HttpClient(cfg),
    logger: silentLogger,
    counters: new CountingCounters(),
    offsetSeed: 'test-host',
  };
}

async function targets(n: number): Promise<Target[]> {
  const out: Target[] = [];
  for (let i = 0; i < n; i++) {
    const t = await startTarget();
    t.serve(`m{n="${i}"} ${i}\n`);
    cleanups.push(() => t.close());
    out.push(t);
  }
  return out;
}

function pool(storage: MemoryStorage, fields: Record<string, unknown> = {}): ScrapePool {
  const p = new ScrapePool(
    jobConfig({ scrape_interval: '100ms', scrape_timeout: '100ms', ...fields }),
    deps(storage),
  );
  cleanups.push(() => p.stop(false));
  return p;
}

function group(ts: Target[], labels: Record<string, string> = {}, source = 'g'): TargetGroup {
  return { source, targets: ts.map((t) => ({ __address__: t.host })), labels };
}

describe('ScrapePool', () => {
  it('scrapes every target of the groups on its schedule, with target and group labels', async () => {
    const storage = new MemoryStorage();
    const ts = await targets(2);
    const p = pool(storage);
    p.sync([group(ts, { env: 'prod' })]);
    await waitFor(() => ts.every((t) => points(storage, 'up', { instance: t.host }).length >= 3));
    for (const [i, t] of ts.entries()) {
      const got = points(storage, 'm', { instance: t.host, job: 'test', env: 'prod', n: String(i) });
      expect(got.length).toBeGreaterThanOrEqual(2);
      expect(got.every(([, v]) => v === i)).toBe(true);
    }
    const active = p.activeTargets();
    expect(active.map((a) => a.url).sort()).toEqual(ts.map((t) => t.url).sort());
    expect(active.every((a) => a.state.health === 'up' && a.intervalMs === 100)).toBe(true);
    expect(active[0].labels.get('env')).toBe('prod');
  });

  it('adds the extra synthetic series for every job with the extra-scrape-metrics feature', async () => {
    const storage = new MemoryStorage();
    const ts = await targets(1);
    const p = new ScrapePool(jobConfig({ scrape_interval: '100ms', scrape_timeout: '100ms' }), {
      ...deps(storage),
      extraMetrics: true,
    });
    cleanups.push(() => p.stop(false));
    p.sync([group(ts)]);
    await waitFor(() => points(storage, 'scrape_timeout_seconds').length >= 1);
    expect(points(storage, 'scrape_timeout_seconds')[0][1]).toBe(0.1);
    expect(points(storage, 'scrape_sample_limit')[0][1]).toBe(0);
  });

  it('a target gone from the groups ends its series with stale markers; the others go on', async () => {
    const storage = new MemoryStorage();
    const ts = await targets(2);
    const p = pool(storage);
    p.sync([group(ts)]);
    await waitFor(() => ts.every((t) => points(storage, 'm', { instance: t.host }).length >= 1));
    p.sync([group([ts[0]])]);
    expect(p.activeTargets().map((a) => a.url)).toEqual([ts[0].url]);
    await p.endOfRun();
    expect(points(storage, 'm', { instance: ts[1].host }).at(-1)![1]).toBe('stale');
    expect(points(storage, 'up', { instance: ts[1].host }).at(-1)![1]).toBe('stale');
    const kept = points(storage, 'm', { instance: ts[0].host }).length;
    await waitFor(() => points(storage, 'm', { instance: ts[0].host }).length > kept);
    expect(points(storage, 'm', { instance: ts[0].host }).every(([, v]) => v === 0)).toBe(true);
  });

  it('target_limit exceeded: every target down with the message and up 0, until back under', async () => {
    const storage = new MemoryStorage();
    const ts = await targets(3);
    const p = pool(storage, { target_limit: 2 });
    p.sync([group(ts)]);
    const msg = 'target_limit exceeded (number of targets: 3, limit: 2)';
    await waitFor(() =>
      p.activeTargets().every((a) => a.state.health === 'down' && a.state.lastError === msg),
    );
    expect(p.activeTargets()).toHaveLength(3);
    await waitFor(() => ts.every((t) => points(storage, 'up', { instance: t.host }).length >= 1));
    for (const t of ts) {
      expect(points(storage, 'up', { instance: t.host }).every(([, v]) => v === 0)).toBe(true);
      expect(points(storage, 'm', { instance: t.host })).toEqual([]);
      expect(t.requests).toHaveLength(0);
    }

    p.sync([group(ts.slice(0, 2))]);
    await waitFor(() => p.activeTargets().every((a) => a.state.health === 'up'));
    await waitFor(() => ts.slice(0, 2).every((t) => points(storage, 'm', { instance: t.host }).length >= 1));
  });

  it('keeps keep_dropped_targets dropped targets and counts them all', async () => {
    const storage = new MemoryStorage();
    const p = pool(storage, {
      keep_dropped_targets: 2,
      relabel_configs: [{ source_labels: ['__address__'], regex: 'drop.*', action: 'drop' }],
    });
    const ts = await targets(1);
    p.sync([
      {
        source: 'g',
        targets: [
          { __address__: 'drop1:1' },
          { __address__: 'drop2:1' },
          { __address__: 'drop3:1' },
          { __address__: ts[0].host },
        ],
        labels: {},
      },
    ]);
    expect(p.droppedTargetCount()).toBe(3);
    expect(p.droppedTargets().map((l) => l.get('__address__'))).toEqual(['drop1:1', 'drop2:1']);
    expect(p.droppedTargets()[0].get('job')).toBe('test');
    expect(p.activeTargets()).toHaveLength(1);

    const all = pool(storage, {
      relabel_configs: [{ source_labels: ['__address__'], regex: 'drop.*', action: 'drop' }],
    });
    all.sync([
      { source: 'g', targets: [{ __address__: 'drop1:1' }, { __address__: 'drop2:1' }], labels: {} },
    ]);
    expect(all.droppedTargets()).toHaveLength(2);
  });

  it('reload restarts the loops with the new settings, keeping the series going', async () => {
    const storage = new MemoryStorage();
    const ts = await targets(1);
    const p = pool(storage);
    p.sync([group(ts)]);
    await waitFor(() => points(storage, 'm').length >= 2);
    const before = p.activeTargets()[0].state;
    await p.reload(jobConfig({ scrape_interval: '100ms', scrape_timeout: '50ms' }));
    expect(p.activeTargets()[0].state).not.toBe(before);
    expect(p.activeTargets()[0].timeoutMs).toBe(50);
    const n = points(storage, 'm').length;
    await waitFor(() => points(storage, 'm').length >= n + 2);
    await p.endOfRun();
    expect(points(storage, 'm').map(([, v]) => v)).not.toContain('stale');
    await waitFor(() => ts[0].requests.at(-1)!.headers['x-prometheus-scrape-timeout-seconds'] === '0.05');
  });
});

describe('reusableCache', () => {
  it('ignores timing, sample_limit and HTTP client settings, not relabelling or labels', () => {
    const base = jobConfig();
    expect(
      reusableCache(base, jobConfig({ scrape_interval: '5s', scrape_timeout: '1s', sample_limit: 5 })),
    ).toBe(true);
    expect(reusableCache(base, jobConfig({ basic_auth: { username: 'u', password: 'p' } }))).toBe(true);
    expect(reusableCache(base, jobConfig({ honor_labels: true }))).toBe(false);
    expect(
      reusableCache(base, jobConfig({ metric_relabel_configs: [{ regex: 'x', action: 'labeldrop' }] })),
    ).toBe(false);
  });
});

describe('scrapeOffset', () => {
  const iv = 15_000;
  it('is the same for the same target and time, and pinned to absolute time', () => {
    const now = 1_700_000_123_456;
    const a = scrapeOffset('seed', 'target-a', iv, now);
    expect(scrapeOffset('seed', 'target-a', iv, now)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThanOrEqual(iv);
    // whenever it is computed, the next scrape falls on the same phase of the interval
    for (const later of [now + 1, now + 7_321, now + iv, now + 10 * iv + 42]) {
      const o = scrapeOffset('seed', 'target-a', iv, later);
      expect((later + o) % iv).toBe((now + a) % iv);
    }
  });

  it('differs between targets and seeds', () => {
    const now = 1_700_000_000_000;
    const offsets = new Set(
      Array.from({ length: 20 }, (_, i) => scrapeOffset('seed', `target-${i}`, iv, now)),
    );
    expect(offsets.size).toBeGreaterThan(15);
    expect(scrapeOffset('other-host', 'target-1', iv, now)).not.toBe(
      scrapeOffset('seed', 'target-1', iv, now),
    );
  });
});
