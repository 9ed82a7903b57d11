// The embedded default config (no --config.file, no ./prometheus.yml) scrapes the server itself every
// 15 s at a phase derived from a hash, so the first scrape may take up to one interval to come.
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import { eventually, queryValue, queryVector, targetOf, tempDirs } from '../support/scrape-e2e.js';

const dirs = tempDirs('promethium-scrape-self-');
const running: ServerProcess[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  dirs.cleanup();
});

describe('self-scrape with the embedded default config', () => {
  it('scrapes its own /metrics: up is 1 in the query API and the target is healthy', async () => {
    const cwd = dirs.make();
    const s = await startServer(['--storage.tsdb.path', path.join(cwd, 'data')], { cwd });
    running.push(s);
    const port = new URL(s.url).port;
    const instance = `localhost:${port}`;

    // one 15 s interval for the phase, one more for slack on a loaded machine
    const up = await eventually(
      s,
      'up{job="prometheus"} == 1',
      () => queryVector(s, 'up'),
      (r) => r.length === 1 && r[0].value[1] === '1',
      40_000,
    );
    expect(up[0].metric).toEqual({ __name__: 'up', job: 'prometheus', instance });

    const t = await targetOf(s, 'prometheus');
    expect(t.health).toBe('up');
    expect(t.lastError).toBe('');
    expect(t.labels).toEqual({ job: 'prometheus', instance });
    expect(t.scrapeUrl).toBe(`http://${instance}/metrics`);
    expect(t.scrapeInterval).toBe('15s');
    expect(Date.parse(t.lastScrape)).toBeGreaterThan(0);

    // the server's own metrics came back through the scrape, with the target's labels
    expect(await queryValue(s, `prometheus_ready{job="prometheus",instance="${instance}"}`)).toBe(1);
    const build = await queryVector(s, 'promethium_build_info');
    expect(build).toHaveLength(1);
    expect(build[0].metric).toMatchObject({ job: 'prometheus', instance });
    expect(await queryValue(s, 'scrape_samples_scraped{job="prometheus"} > 10')).toBeGreaterThan(10);
  });
});
