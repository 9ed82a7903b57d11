// Stale markers end series in query results: a series that leaves a target's body, and every series
// of a target removed from the config (reload), stop answering instant queries at once instead of
// lingering for the 5 m lookback, while range queries still show their samples from before.
// Times come from the API (sample timestamps), not from the test's clock.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import {
  eventually,
  queryRange,
  queryRaw,
  queryVector,
  scrapeConfigYaml,
  startTarget,
  targetOf,
  tempDirs,
  TEXT_FORMAT,
  type MatrixSeries,
  type TestTarget,
} from '../support/scrape-e2e.js';

const dirs = tempDirs('promethium-scrape-stale-');
const running: ServerProcess[] = [];
const targets: TestTarget[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
  dirs.cleanup();
});

const config = (addresses: string[]): string =>
  scrapeConfigYaml(
    `  - job_name: stale\n    static_configs:\n      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]\n`,
  );

/** Raw sample timestamps (unix seconds) of one series, from a range selector over the last minutes. */
function timestamps(series: MatrixSeries[]): number[] {
  expect(series).toHaveLength(1);
  return series[0].values.map(([t]) => t);
}

describe('stale markers in query results', () => {
  it('end a series that left the body, and every series of a target removed by a reload', async () => {
    const leaving = await startTarget({ body: 'a 1\nb 2\n' });
    const staying = await startTarget({ body: 'a 10\n' });
    targets.push(leaving, staying);
    const dir = dirs.make();
    const cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(cfg, config([leaving.address, staying.address]));
    const s = await startServer([
      '--config.file',
      cfg,
      '--storage.tsdb.path',
      path.join(dir, 'data'),
      '--web.enable-lifecycle',
    ]);
    running.push(s);
    const sel = (name: string, t: TestTarget): string => `${name}{job="stale",instance="${t.address}"}`;

    // two scrapes with b, so the range query has samples of it to show
    await eventually(
      s,
      'two samples of b',
      () => queryRaw(s, `${sel('b', leaving)}[1m]`),
      (r) => r.length === 1 && r[0].values.length >= 2,
    );

    // b leaves the body: it ends at the first scrape without it
    leaving.reply.body = 'a 1\n';
    await eventually(
      s,
      'b gone from an instant query',
      () => queryVector(s, sel('b', leaving)),
      (r) => r.length === 0,
    );
    const bTimes = timestamps(await queryRaw(s, `${sel('b', leaving)}[5m]`));
    const lastB = bTimes[bTimes.length - 1];
    // the scrape that wrote the stale marker: the first one after b's last sample, seen through `a`
    await eventually(
      s,
      'a scraped after b ended',
      () => queryRaw(s, `${sel('a', leaving)}[5m]`),
      (r) => timestamps(r).some((t) => t > lastB),
    );
    const aTimes = timestamps(await queryRaw(s, `${sel('a', leaving)}[5m]`));
    const staleAt = aTimes.find((t) => t > lastB)!;
    expect(aTimes).toContain(lastB); // a and b came from the same scrapes

    // at b's last sample it is there; from the stale marker on it is not, though the lookback is 5 m
    expect(await queryVector(s, sel('b', leaving), lastB)).toEqual([
      { metric: { __name__: 'b', job: 'stale', instance: leaving.address }, value: [lastB, '2'] },
    ]);
    expect(await queryVector(s, sel('b', leaving), staleAt)).toEqual([]);
    expect(await queryVector(s, sel('b', leaving), staleAt + 60)).toEqual([]);
    expect(await queryVector(s, sel('a', leaving), staleAt)).toHaveLength(1);
    // a range query over the change: b's points stop at its last sample
    const start = bTimes[0];
    const end = aTimes[aTimes.length - 1];
    const bRange = await queryRange(s, sel('b', leaving), start, end, 0.1);
    expect(bRange).toHaveLength(1);
    const bPoints = bRange[0].values.map(([t]) => t);
    expect(bPoints[0]).toBe(start);
    expect(Math.max(...bPoints)).toBeLessThan(staleAt);
    expect(bPoints.filter((t) => t >= lastB).length).toBeGreaterThanOrEqual(1);

    // the leaving target is removed from the config: all its series end, the other target's go on
    fs.writeFileSync(cfg, config([staying.address]));
    const reload = await s.fetch('/-/reload', { method: 'POST' });
    expect(reload.status).toBe(200);
    const leavingSeries = `{job="stale",instance="${leaving.address}"}`;
    await eventually(
      s,
      'every series of the removed target gone from an instant query',
      () => queryVector(s, leavingSeries),
      (r) => r.length === 0,
    );
    // the server's clock when they were seen gone: the stale markers are at or before it
    const [now] = await queryVector(s, 'vector(time())');
    const goneAt = now.value[0];
    const upTimes = timestamps(await queryRaw(s, `${sel('up', leaving)}[5m]`, goneAt));
    const aLeft = timestamps(await queryRaw(s, `${sel('a', leaving)}[5m]`, goneAt));
    const lastA = aLeft[aLeft.length - 1];
    expect(upTimes[upTimes.length - 1]).toBe(lastA); // a and up come from the same last scrape
    // at its last scrape the target's series were all there (a, up, scrape_*) ...
    const atLast = await queryVector(s, leavingSeries, lastA);
    expect(atLast.map((r) => r.metric.__name__).sort()).toEqual([
      'a',
      'scrape_duration_seconds',
      'scrape_samples_post_metric_relabeling',
      'scrape_samples_scraped',
      'scrape_series_added',
      'up',
    ]);
    // ... and none answers afterwards, well within the 5 m lookback of those samples
    expect(await queryVector(s, leavingSeries, goneAt + 60)).toEqual([]);
    const aRange = await queryRange(s, sel('a', leaving), start, goneAt + 60, 0.1);
    expect(aRange).toHaveLength(1);
    const aPoints = aRange[0].values.map(([t]) => t);
    expect(Math.max(...aPoints)).toBeGreaterThanOrEqual(lastA);
    expect(Math.max(...aPoints)).toBeLessThanOrEqual(goneAt);
    // the other target of the job goes on scraping
    await eventually(
      s,
      'the staying target scraped after the removal',
      () => queryRaw(s, `${sel('a', staying)}[5m]`),
      (r) => timestamps(r).some((t) => t > goneAt),
    );
    expect(await queryVector(s, sel('a', staying))).toHaveLength(1);
    const targetsNow = await (await s.fetch('/api/v1/targets')).text();
    expect(targetsNow).not.toContain(leaving.address);
    expect(targetsNow).toContain(staying.address);
  });
  it('end every series of a job removed from the config on SIGHUP', async () => {
    const gone = await startTarget({ body: 'x 1\n' });
    const kept = await startTarget({ body: 'y 1\n' });
    targets.push(gone, kept);
    const dir = dirs.make();
    const cfg = path.join(dir, 'prometheus.yml');
    const job = (name: string, t: TestTarget): string =>
      `  - job_name: ${name}\n    static_configs:\n      - targets: ['${t.address}']\n`;
    fs.writeFileSync(cfg, scrapeConfigYaml(job('gone', gone) + job('kept', kept)));
    const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
    running.push(s);
    await eventually(
      s,
      'both jobs scraped',
      () => queryVector(s, 'up == 1'),
      (r) => r.length === 2,
    );

    fs.writeFileSync(cfg, scrapeConfigYaml(job('kept', kept)));
    s.child.kill('SIGHUP');
    await eventually(
      s,
      'every series of the removed job gone from an instant query',
      () => queryVector(s, '{job="gone"}'),
      (r) => r.length === 0,
    );
    const [now] = await queryVector(s, 'vector(time())');
    const goneAt = now.value[0];
    const xTimes = timestamps(await queryRaw(s, 'x{job="gone"}[5m]', goneAt));
    const lastX = xTimes[xTimes.length - 1];
    expect(await queryVector(s, 'x', lastX)).toHaveLength(1);
    expect(await queryVector(s, '{job="gone"}', goneAt + 60)).toEqual([]);
    const pools = (await (await s.fetch('/api/v1/scrape_pools')).json()) as {
      data: { scrapePools: string[] };
    };
    expect(pools.data.scrapePools).toEqual(['kept']);
    await eventually(
      s,
      'the kept job scraped after the reload',
      () => queryRaw(s, 'y{job="kept"}[5m]'),
      (r) => timestamps(r).some((t) => t > goneAt),
    );
    expect(await queryVector(s, 'up{job="kept"}')).toHaveLength(1);
  });
  it('end a series that leaves the body at the first scrape after a reload changed its job', async () => {
    // Prometheus hands a loop's scrape cache to the new loop when a reload changes only the interval,
    // timeout, sample_limit or HTTP client settings (reusableCache), so a series that is missing from
    // the first scrape after the reload still gets its stale marker. The target tells the loops
    // apart by the X-Prometheus-Scrape-Timeout-Seconds header: b only for the old one.
    const withB = { status: 200, body: 'a 1\nb 2\n', contentType: TEXT_FORMAT };
    const target = await startTarget(
      { body: 'a 1\n' },
      { replyFor: (req) => (req.headers['x-prometheus-scrape-timeout-seconds'] === '1' ? withB : undefined) },
    );
    targets.push(target);
    const dir = dirs.make();
    const cfg = path.join(dir, 'prometheus.yml');
    const job = (timeout: string): string =>
      `  - job_name: reloaded\n    scrape_timeout: ${timeout}\n` +
      `    static_configs:\n      - targets: ['${target.address}']\n`;
    fs.writeFileSync(cfg, scrapeConfigYaml(job('1s')));
    const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
    running.push(s);
    await eventually(
      s,
      'b scraped',
      () => queryVector(s, 'b{job="reloaded"}'),
      (r) => r.length === 1,
    );

    fs.writeFileSync(cfg, scrapeConfigYaml(job('900ms')));
    s.child.kill('SIGHUP');
    await eventually(
      s,
      'the new scrape timeout in /api/v1/targets',
      async () => (await targetOf(s, 'reloaded')).scrapeTimeout,
      (t) => t === '900ms',
    );
    const bTimes = timestamps(await queryRaw(s, 'b{job="reloaded"}[5m]'));
    const lastB = bTimes[bTimes.length - 1];
    await eventually(
      s,
      'b gone from an instant query',
      () => queryVector(s, 'b{job="reloaded"}'),
      (r) => r.length === 0,
    );
    // a went on through the reload, and b was there up to its last sample
    expect(await queryVector(s, 'a{job="reloaded"}')).toHaveLength(1);
    expect(await queryVector(s, 'b{job="reloaded"}', lastB)).toHaveLength(1);
  });
});
