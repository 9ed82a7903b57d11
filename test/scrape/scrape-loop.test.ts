// ScrapeLoop against real HTTP targets and a real (in-memory) storage, checked against what
// Prometheus's scrapeLoop stores and reports in each case.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/promql/engine/index.js';
import { parseExpr } from '../../src/promql/parser/index.js';
import { Labels } from '../../src/model/labels.js';
import { PromTextParser, Entry } from '../../src/model/exposition/index.js';
import * as relabelModule from '../../src/model/relabel/relabel.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TSDB } from '../../src/tsdb/db.js';
import { schemaForBucketFactor } from '../../src/model/histogram.js';
import { Matcher } from '../../src/model/matcher.js';
import type { ScrapeLoop } from '../../src/scrape/scrape-loop.js';
import { waitFor } from '../support/server-process.js';
import { encodeMetricFamilies, PROTO_CONTENT_TYPE } from '../support/metrics-proto.js';
import {
  Clock,
  CountingCounters,
  jobConfig,
  silentLogger,
  OPENMETRICS,
  makeLoop,
  points,
  read,
  reportAt,
  startTarget,
  type Target,
} from './scrape-support.js';

// a pass-through spy, to count how often metric relabelling runs
vi.mock('../../src/model/relabel/relabel.js', async (importOriginal) => {
  const orig = await importOriginal<typeof relabelModule>();
  return { ...orig, relabel: vi.fn(orig.relabel) };
});

const T0 = 1_700_000_000_000;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(
  fields: Record<string, unknown> = {},
  extra: Parameters<typeof makeLoop>[3] = {},
): Promise<{
  target: Target;
  storage: MemoryStorage;
  loop: ScrapeLoop;
  clock: Clock;
  counters: CountingCounters;
}> {
  const target = await startTarget();
  const storage = new MemoryStorage();
  const clock = new Clock(T0);
  const counters = new CountingCounters();
  const { loop, fetcher } = makeLoop(target, storage, fields, { now: clock.now, counters, ...extra });
  cleanups.push(
    () => target.close(),
    () => fetcher.close(),
    () => loop.stop(false),
  );
  return { target, storage, loop, clock, counters };
}

/** Scrapes once at the clock's time, then moves the clock on by 15s. */
async function scrape(loop: ScrapeLoop, clock: Clock): Promise<number> {
  const t = clock.t;
  await loop.scrapeOnce(t);
  clock.t += 15_000;
  return t;
}

function report(storage: MemoryStorage, t: number): Record<string, number | 'stale' | undefined> {
  const names = [
    'up',
    'scrape_samples_scraped',
    'scrape_samples_post_metric_relabeling',
    'scrape_series_added',
  ];
  return Object.fromEntries(names.map((n) => [n, reportAt(storage, n, t)]));
}

describe('ScrapeLoop: samples and synthetic series', () => {
  it('stores samples with the target labels and reports up, samples and new series', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('# TYPE a counter\na_total 1\nb{x="1"} 2\nb{x="2"} 3\n');
    const t1 = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(loop.state.lastError).toBe('');
    const inst = target.host;
    expect(read(storage, { job: 'test', instance: inst, __name__: 'b' })).toEqual({
      [`{__name__="b", instance="${inst}", job="test", x="1"}`]: [[t1, 2]],
      [`{__name__="b", instance="${inst}", job="test", x="2"}`]: [[t1, 3]],
    });
    expect(points(storage, 'a_total')).toEqual([[t1, 1]]);
    expect(report(storage, t1)).toEqual({
      up: 1,
      scrape_samples_scraped: 3,
      scrape_samples_post_metric_relabeling: 3,
      scrape_series_added: 3,
    });
    expect(Object.keys(read(storage, { __name__: 'up' }))).toEqual([
      `{__name__="up", instance="${inst}", job="test"}`,
    ]);
    const duration = points(storage, 'scrape_duration_seconds');
    expect(duration).toHaveLength(1);
    expect(duration[0][1]).toBeGreaterThanOrEqual(0);

    // unchanged: no new series; one more: counted once
    const t2 = await scrape(loop, clock);
    expect(reportAt(storage, 'scrape_series_added', t2)).toBe(0);
    target.serve('a_total 2\nb{x="1"} 2\nb{x="2"} 3\nb{x="3"} 4\n');
    const t3 = await scrape(loop, clock);
    expect(report(storage, t3)).toEqual({
      up: 1,
      scrape_samples_scraped: 4,
      scrape_samples_post_metric_relabeling: 4,
      scrape_series_added: 1,
    });
    expect(points(storage, 'a_total')).toEqual([
      [t1, 1],
      [t2, 1],
      [t3, 2],
    ]);
  });

  it('answers PromQL over what it stored', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('requests_total{code="200"} 10\nrequests_total{code="500"} 1\n');
    await scrape(loop, clock);
    target.serve('requests_total{code="200"} 40\nrequests_total{code="500"} 1\n');
    const t2 = await scrape(loop, clock);
    const engine = new Engine({ lookbackDelta: 300_000, timeout: 10_000, maxSamples: 1e6 });
    const r = await engine.instantQuery(
      storage,
      parseExpr('sum by (job) (requests_total) * on(job) group_left up'),
      t2,
    );
    if (r.value.type !== 'vector') throw new Error(r.value.type);
    expect(r.value.samples.map((s) => [s.labels.toString(), s.v])).toEqual([['{job="test"}', 41]]);
  });

  it('stores special float values', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('m{v="nan"} NaN\nm{v="inf"} +Inf\nm{v="ninf"} -Inf\n');
    const t1 = await scrape(loop, clock);
    const got = read(storage, { __name__: 'm' });
    expect(Object.values(got).map((p) => p[0])).toEqual([
      [t1, Infinity],
      [t1, NaN],
      [t1, -Infinity],
    ]);
  });
});

describe('ScrapeLoop: honor_labels', () => {
  it('honor_labels false: target labels win, exposed ones move to exported_*', async () => {
    const { target, storage, loop, clock } = await setup({ honor_labels: false });
    target.serve('m{job="other",instance="x",exported_job="y"} 1\n');
    const t = await scrape(loop, clock);
    expect(read(storage, { __name__: 'm' })).toEqual({
      [`{__name__="m", exported_exported_job="other", exported_instance="x", exported_job="y", instance="${target.host}", job="test"}`]:
        [[t, 1]],
    });
  });

  it('honor_labels false: an exported_* name taken by a target label is skipped (as Prometheus)', async () => {
    const target = await startTarget();
    cleanups.push(() => target.close());
    const storage = new MemoryStorage();
    const clock = new Clock(T0);
    const { loop, fetcher } = makeLoop(
      target,
      storage,
      {},
      {
        now: clock.now,
        targetLabels: Labels.fromRecord({ job: 'test', instance: 'i', exported_job: 'from-target' }),
      },
    );
    cleanups.push(() => fetcher.close());
    target.serve('m{job="exposed"} 1\n');
    const t = await scrape(loop, clock);
    expect(read(storage, { __name__: 'm' })).toEqual({
      '{__name__="m", exported_exported_job="exposed", exported_job="from-target", instance="i", job="test"}':
        [[t, 1]],
    });
  });

  it('honor_labels true: exposed labels win, target labels fill the gaps', async () => {
    const { target, storage, loop, clock } = await setup({ honor_labels: true });
    target.serve('m{job="other"} 1\n');
    const t = await scrape(loop, clock);
    expect(read(storage, { __name__: 'm' })).toEqual({
      [`{__name__="m", instance="${target.host}", job="other"}`]: [[t, 1]],
    });
    // the synthetic series always carry the target's labels
    expect(points(storage, 'up', { job: 'test' })).toEqual([[t, 1]]);
  });
});

describe('ScrapeLoop: timestamps', () => {
  it('honor_timestamps true stores the exposed timestamp', async () => {
    const { target, storage, loop, clock } = await setup({ honor_timestamps: true });
    target.serve(`m 1 ${T0 - 5000}\nn 2\n`);
    const t = await scrape(loop, clock);
    expect(points(storage, 'm')).toEqual([[T0 - 5000, 1]]);
    expect(points(storage, 'n')).toEqual([[t, 2]]);
  });

  it('honor_timestamps false stores the scrape time', async () => {
    const { target, storage, loop, clock } = await setup({ honor_timestamps: false });
    target.serve(`m 1 ${T0 - 5000}\n`);
    const t = await scrape(loop, clock);
    expect(points(storage, 'm')).toEqual([[t, 1]]);
  });

  it('stamps samples with the scheduled time within --scrape.timestamp-tolerance, the start time beyond', async () => {
    const stamp = async (toleranceMs: number | undefined, lateMs: number): Promise<number> => {
      const { target, storage, loop, clock } = await setup(
        {},
        toleranceMs === undefined ? {} : { timestampToleranceMs: toleranceMs },
      );
      target.serve('m 1\n');
      clock.t = T0 + lateMs; // the scrape starts lateMs after its schedule
      await loop.scrapeOnce(T0);
      return points(storage, 'm')[0][0] as number;
    };
    expect(await stamp(undefined, 2)).toBe(T0); // Prometheus's 2 ms
    expect(await stamp(undefined, 3)).toBe(T0 + 3);
    expect(await stamp(10, 10)).toBe(T0);
    expect(await stamp(-1, 1)).toBe(T0 + 1); // --no-scrape.adjust-timestamps
  });

  it('fails a scrape with a sample more than 10m ahead: up 0, the reason as error, nothing stored', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve(`near 2 ${T0 + 9 * 60_000}\nplain 3\n`);
    await scrape(loop, clock);
    target.serve(`far 1 ${T0 + 11 * 60_000}\nnear 2 ${T0 + 9 * 60_000}\nplain 3\n`);
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toMatch(/^sample timestamp .* of far is more than 10m in the future$/);
    expect(points(storage, 'far')).toEqual([]);
    // the previous scrape's series end, as after any failed scrape
    expect(points(storage, 'plain').at(-1)).toEqual([t, 'stale']);
    expect(report(storage, t).up).toBe(0);
  });

  it("fails a scrape with a repeated label name as Prometheus's head does: up 0, nothing stored", async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('ok 1\n');
    await scrape(loop, clock);
    for (const [body, name] of [
      ['ok 1\nm{x="1",x="2"} 1\n', 'x'],
      ['ok 1\nm{b="1",a="1",b="2",a="2"} 1\n', 'a'], // the smallest repeated name, as on sorted labels
      ['ok 1\nm{__name__="m"} 1\n', '__name__'],
      ['ok 1\n{"m","x"="1",x="2"} 1\n', 'x'],
    ] as const) {
      target.serve(body);
      const t = await scrape(loop, clock);
      expect(loop.state.health).toBe('down');
      expect(loop.state.lastError).toBe(`label name "${name}" is not unique: invalid sample`);
      expect(report(storage, t).up).toBe(0);
    }
    expect(points(storage, 'm')).toEqual([]);
    // OpenMetrics the same
    target.serve('m{x="1",x="2"} 1\n# EOF\n', 'application/openmetrics-text; version=1.0.0');
    await scrape(loop, clock);
    expect(loop.state.lastError).toBe('label name "x" is not unique: invalid sample');
  });

  it('keeps a series whose repeated label metric_relabel_configs drops', async () => {
    const { target, storage, loop, clock } = await setup({
      metric_relabel_configs: [{ regex: 'x', action: 'labeldrop' }],
    });
    target.serve('m{x="1",x="2",y="1"} 1\n');
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(points(storage, 'm')).toEqual([[t, 1]]);
  });

  it('counts a repeated series in one body as a duplicate and keeps the first value', async () => {
    const { target, storage, loop, clock, counters } = await setup();
    target.serve('m 1\nm 2\n');
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(points(storage, 'm')).toEqual([[t, 1]]);
    expect(counters.dup).toBe(1);
  });
});

describe('ScrapeLoop: staleness', () => {
  it('marks a series that disappeared stale at the next scrape', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('a 1\nb 2\n');
    const t1 = await scrape(loop, clock);
    target.serve('a 1\n');
    const t2 = await scrape(loop, clock);
    const t3 = await scrape(loop, clock);
    expect(points(storage, 'b')).toEqual([
      [t1, 2],
      [t2, 'stale'],
    ]);
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 1],
      [t3, 1],
    ]);
    // and it comes back as a new series
    target.serve('a 1\nb 5\n');
    const t4 = await scrape(loop, clock);
    expect(points(storage, 'b').at(-1)).toEqual([t4, 5]);
    expect(reportAt(storage, 'scrape_series_added', t4)).toBe(1);
  });

  it('an empty body is an empty scrape: up 1, every series stale', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('a 1\n');
    const t1 = await scrape(loop, clock);
    target.serve('');
    const t2 = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(report(storage, t2)).toEqual({
      up: 1,
      scrape_samples_scraped: 0,
      scrape_samples_post_metric_relabeling: 0,
      scrape_series_added: 0,
    });
  });

  it('does not mark series with explicit timestamps stale', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve(`ts 1 ${T0}\nplain 2\n`);
    const t1 = await scrape(loop, clock);
    target.serve('');
    const t2 = await scrape(loop, clock);
    expect(points(storage, 'ts')).toEqual([[T0, 1]]);
    expect(points(storage, 'plain')).toEqual([
      [t1, 2],
      [t2, 'stale'],
    ]);
  });

  it('marks them stale with track_timestamps_staleness', async () => {
    const { target, storage, loop, clock } = await setup({ track_timestamps_staleness: true });
    target.serve(`ts 1 ${T0}\n`);
    await scrape(loop, clock);
    target.serve('other 1\n');
    const t2 = await scrape(loop, clock);
    expect(points(storage, 'ts')).toEqual([
      [T0, 1],
      [t2, 'stale'],
    ]);
  });

  it('HTTP 500: up 0 with the status, every series stale, report series go on', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('a 1\n');
    const t1 = await scrape(loop, clock);
    target.handler = (_req, res) => {
      res.writeHead(500);
      res.end('oops');
    };
    const t2 = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe('server returned HTTP status 500 Internal Server Error');
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(report(storage, t2)).toEqual({
      up: 0,
      scrape_samples_scraped: 0,
      scrape_samples_post_metric_relabeling: 0,
      scrape_series_added: 0,
    });
    // a second failure writes no second marker; recovery brings the series back
    const t3 = await scrape(loop, clock);
    expect(points(storage, 'a')).toHaveLength(2);
    target.serve('a 2\n');
    const t4 = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(points(storage, 'a').at(-1)).toEqual([t4, 2]);
    expect(points(storage, 'up')).toEqual([
      [t1, 1],
      [t2, 0],
      [t3, 0],
      [t4, 1],
    ]);
  });

  it('connection refused: up 0 with the dial error', async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('a 1\n');
    const t1 = await scrape(loop, clock);
    await target.close();
    const t2 = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toMatch(
      new RegExp(
        `^Get "${target.url}": dial tcp ${target.host.replace(/\./g, '\\.')}: connect: connection refused$`,
      ),
    );
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(reportAt(storage, 'up', t2)).toBe(0);
  });

  it("parse error: up 0 with the parser's message, nothing of the body stored", async () => {
    const { target, storage, loop, clock } = await setup();
    target.serve('a 1\n');
    const t1 = await scrape(loop, clock);
    const bad = 'a 2\nnew 1\nb{ 1\n';
    let expected = '';
    try {
      const p = new PromTextParser(bad);
      while (p.next() !== Entry.EOF);
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).not.toBe('');
    target.serve(bad);
    const t2 = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe(expected);
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(points(storage, 'new')).toEqual([]);
    // as Prometheus: the counts of the failed append are reported
    expect(report(storage, t2)).toEqual({
      up: 0,
      scrape_samples_scraped: 2,
      scrape_samples_post_metric_relabeling: 2,
      scrape_series_added: 1,
    });
  });

  it('stop(true) ends every series and the report series after the next tick', async () => {
    const { target, storage, loop } = await setup(
      { scrape_interval: '100ms', scrape_timeout: '100ms' },
      {
        now: Date.now,
      },
    );
    target.serve('a 1\n');
    loop.start(0);
    await waitFor(() => points(storage, 'a').length >= 2);
    await loop.stop(true);
    const before = points(storage, 'a').at(-1)!;
    await loop.endOfRun();
    const after = points(storage, 'a');
    expect(after.at(-1)![1]).toBe('stale');
    expect(after.at(-1)![0]).toBeGreaterThan(before[0]);
    for (const name of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']) {
      expect(points(storage, name).at(-1)![1]).toBe('stale');
    }
  });

  it('stop(true) writes nothing when the markers are cancelled (shutdown) or never scraped', async () => {
    const { target, storage, loop } = await setup(
      { scrape_interval: '100ms', scrape_timeout: '100ms' },
      {
        now: Date.now,
      },
    );
    target.serve('a 1\n');
    loop.start(0);
    await waitFor(() => points(storage, 'a').length >= 1);
    await loop.stop(true);
    loop.disableEndOfRunStaleness();
    await loop.endOfRun();
    expect(points(storage, 'a').every(([, v]) => v === 1)).toBe(true);
    expect(points(storage, 'up').every(([, v]) => v === 1)).toBe(true);

    const never = await setup({}, { now: Date.now });
    await never.loop.stop(true);
    await never.loop.endOfRun();
    expect(read(never.storage, { job: 'test' })).toEqual({});
  });
});

describe('ScrapeLoop: metric_relabel_configs', () => {
  it('drops and rewrites series, relabelling each series once', async () => {
    const relabelSpy = vi.mocked(relabelModule.relabel);
    const { target, storage, loop, clock } = await setup({
      metric_relabel_configs: [
        { source_labels: ['__name__'], regex: 'drop_.*', action: 'drop' },
        { source_labels: ['x'], regex: '(.*)', target_label: 'y', replacement: 'y-$1' },
      ],
    });
    target.serve('drop_me 1\nkeep{x="1"} 2\nkeep{x="2"} 3\n');
    relabelSpy.mockClear();
    const t1 = await scrape(loop, clock);
    expect(relabelSpy).toHaveBeenCalledTimes(3);
    expect(points(storage, 'drop_me')).toEqual([]);
    expect(read(storage, { __name__: 'keep' })).toEqual({
      [`{__name__="keep", instance="${target.host}", job="test", x="1", y="y-1"}`]: [[t1, 2]],
      [`{__name__="keep", instance="${target.host}", job="test", x="2", y="y-2"}`]: [[t1, 3]],
    });
    expect(report(storage, t1)).toEqual({
      up: 1,
      scrape_samples_scraped: 3,
      scrape_samples_post_metric_relabeling: 2,
      scrape_series_added: 2,
    });

    // the same series again (kept and dropped alike): no relabelling at all
    const t2 = await scrape(loop, clock);
    expect(relabelSpy).toHaveBeenCalledTimes(3);
    expect(points(storage, 'keep', { x: '1' })).toEqual([
      [t1, 2],
      [t2, 2],
    ]);
    // one new series: relabelled once
    target.serve('drop_me 1\nkeep{x="1"} 2\nkeep{x="2"} 3\nkeep{x="3"} 4\n');
    await scrape(loop, clock);
    expect(relabelSpy).toHaveBeenCalledTimes(4);
  });

  it('fails the scrape when relabelling removes the metric name', async () => {
    const { target, storage, loop, clock } = await setup({
      metric_relabel_configs: [{ regex: '__name__', action: 'labeldrop' }],
    });
    target.serve('m 1\n');
    const t = await scrape(loop, clock);
    expect(loop.state.lastError).toBe('missing metric name (__name__ label)');
    expect(reportAt(storage, 'up', t)).toBe(0);
  });
});

describe('ScrapeLoop: limits', () => {
  it('sample_limit fails the whole scrape, stores nothing and counts', async () => {
    const { target, storage, loop, clock, counters } = await setup({
      sample_limit: 2,
      extra_scrape_metrics: true,
    });
    target.serve('a 1\nb 1\n');
    const t1 = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    target.serve('a 2\nb 2\nc 2\n');
    const t2 = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe('sample limit exceeded');
    expect(counters.sampleLimit).toBe(1);
    expect(points(storage, 'a')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(points(storage, 'c')).toEqual([]);
    // Prometheus keeps parsing past the limit so the report tells the whole body
    expect(report(storage, t2)).toEqual({
      up: 0,
      scrape_samples_scraped: 3,
      scrape_samples_post_metric_relabeling: 3,
      scrape_series_added: 0,
    });
    expect(reportAt(storage, 'scrape_sample_limit', t2)).toBe(2);
    // metric relabelling runs before the limit
    target.serve('a 3\nb 3\n');
    const t3 = await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(points(storage, 'a').at(-1)).toEqual([t3, 3]);
  });

  it('sample_limit counts samples after metric relabelling', async () => {
    const { target, loop, clock } = await setup({
      sample_limit: 1,
      metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'noise', action: 'drop' }],
    });
    target.serve('noise 1\nsignal 1\n');
    await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
  });

  const limitCases: Array<[string, Record<string, unknown>, string, string]> = [
    [
      'label_limit',
      { label_limit: 3 },
      'm{a="1",b="2"} 1\n',
      'label_limit exceeded (metric: m, number of labels: 5, limit: 3)',
    ],
    [
      'label_name_length_limit',
      { label_name_length_limit: 8 },
      'm{a_long_name="1"} 1\n',
      'label_name_length_limit exceeded (metric: m, label name: a_long_name, length: 11, limit: 8)',
    ],
    [
      'label_value_length_limit',
      { label_value_length_limit: 16 },
      'm{v="héllo\\nwörld 0123456789"} 1\n',
      'label_value_length_limit exceeded (metric: m, label name: v, value: "héllo\\nwörld 0123456789", length: 24, limit: 16)',
    ],
  ];
  for (const [name, fields, body, message] of limitCases) {
    it(`${name} fails the whole scrape with Prometheus's message`, async () => {
      const { target, storage, loop, clock, counters } = await setup(fields);
      target.serve('ok 1\n');
      const t1 = await scrape(loop, clock);
      target.serve(`ok 2\n${body}`);
      const t2 = await scrape(loop, clock);
      expect(loop.state.health).toBe('down');
      expect(loop.state.lastError).toBe(message);
      expect(counters.labelLimits).toBe(1);
      expect(points(storage, 'ok')).toEqual([
        [t1, 1],
        [t2, 'stale'],
      ]);
      expect(points(storage, 'm')).toEqual([]);
      expect(reportAt(storage, 'up', t2)).toBe(0);
    });
  }

  it('cuts long names and values in the message at 50 characters, as Go does', async () => {
    const { target, loop, clock } = await setup({ label_name_length_limit: 30 });
    target.serve(`m_${'x'.repeat(60)}{${'n'.repeat(60)}="v"} 1\n`);
    await scrape(loop, clock);
    expect(loop.state.lastError).toBe(
      `label_name_length_limit exceeded (metric: m_${'x'.repeat(48)}, label name: ${'n'.repeat(50)}, length: 60, limit: 30)`,
    );
    const long = 'ü'.repeat(60);
    const v = await setup({ label_value_length_limit: 100 });
    v.target.serve(`m{v="${long}"} 1\n`);
    await scrape(v.loop, v.clock);
    expect(v.loop.state.lastError).toBe(
      `label_value_length_limit exceeded (metric: m, label name: v, value: "${'ü'.repeat(50)}", length: 120, limit: 100)`,
    );
  });

  it('body_size_limit: up 0, nothing stored, counted, scrape_body_size_bytes -1', async () => {
    const { target, storage, loop, clock, counters } = await setup({
      body_size_limit: '100B',
      extra_scrape_metrics: true,
    });
    target.serve('small 1\n');
    const t1 = await scrape(loop, clock);
    expect(reportAt(storage, 'scrape_body_size_bytes', t1)).toBe(8);
    target.serve(`small 1\n${'big{x="y"} 1\n'.repeat(20)}`);
    const t2 = await scrape(loop, clock);
    expect(loop.state.lastError).toBe('body size limit exceeded');
    expect(counters.bodySizeLimit).toBe(1);
    expect(points(storage, 'big')).toEqual([]);
    expect(points(storage, 'small')).toEqual([
      [t1, 1],
      [t2, 'stale'],
    ]);
    expect(reportAt(storage, 'scrape_body_size_bytes', t2)).toBe(-1);
    expect(reportAt(storage, 'scrape_timeout_seconds', t2)).toBe(10);
  });
});

describe('ScrapeLoop: hostile targets', () => {
  it('a gzip bomb stops at body_size_limit', async () => {
    const { target, storage, loop, clock } = await setup({ body_size_limit: '1MB' });
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024, 'a'));
    target.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
      res.end(bomb);
    };
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe('body size limit exceeded');
    expect(reportAt(storage, 'up', t)).toBe(0);
  });

  it('an endless body ends at the scrape timeout', async () => {
    const { target, storage, loop, clock } = await setup({
      scrape_interval: '1s',
      scrape_timeout: '300ms',
    });
    let stop = false;
    cleanups.push(() => {
      stop = true;
    });
    target.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const line = Buffer.from('endless{x="y"} 1\n'.repeat(1000));
      const pump = (): void => {
        while (!stop && !res.destroyed && res.write(line));
        if (!stop && !res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => (stop = true));
      pump();
    };
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toMatch(/context deadline exceeded/);
    expect(reportAt(storage, 'up', t)).toBe(0);
    expect(points(storage, 'endless')).toEqual([]);
  });

  it('a slow body ends at the scrape timeout', async () => {
    const { target, storage, loop, clock } = await setup({
      scrape_interval: '1s',
      scrape_timeout: '300ms',
    });
    const timers: NodeJS.Timeout[] = [];
    cleanups.push(() => timers.forEach(clearInterval));
    target.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('slow 1\n');
      timers.push(setInterval(() => !res.destroyed && res.write('# still here\n'), 50));
    };
    const t = await scrape(loop, clock);
    expect(loop.state.lastError).toMatch(/context deadline exceeded/);
    expect(reportAt(storage, 'up', t)).toBe(0);
    expect(points(storage, 'slow')).toEqual([]);
  });

  it('a body that is not UTF-8 fails the scrape', async () => {
    const { target, storage, loop, clock } = await setup();
    target.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(Buffer.concat([Buffer.from('ok 1\nm{x="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 1\n')]));
    };
    const t = await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toMatch(/UTF-8/);
    expect(reportAt(storage, 'up', t)).toBe(0);
    expect(points(storage, 'ok')).toEqual([]);
  });
});

describe('ScrapeLoop: request and metadata', () => {
  it('sends the Accept header from scrape_protocols and the timeout header', async () => {
    const { target, loop, clock } = await setup({
      scrape_protocols: ['OpenMetricsText1.0.0', 'PrometheusText0.0.4'],
      scrape_interval: '30s',
      scrape_timeout: '2500ms',
    });
    target.serve('m 1\n');
    await scrape(loop, clock);
    const h = target.requests[0].headers;
    expect(h.accept).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.4',
    );
    expect(h['x-prometheus-scrape-timeout-seconds']).toBe('2.5');
    expect(h['accept-encoding']).toBe('gzip');
  });

  it('keeps # TYPE, # HELP and # UNIT as the target metadata', async () => {
    const { target, loop, clock } = await setup();
    target.serve(
      [
        '# TYPE req_seconds counter',
        '# UNIT req_seconds seconds',
        '# HELP req_seconds Time spent.',
        'req_seconds_total 1',
        '# TYPE temp gauge',
        'temp 20',
        '# EOF',
        '',
      ].join('\n'),
      OPENMETRICS,
    );
    await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(Object.fromEntries(loop.state.metadata)).toEqual({
      req_seconds: { type: 'counter', help: 'Time spent.', unit: 'seconds' },
      temp: { type: 'gauge', help: '', unit: '' },
    });
  });
});

describe('ScrapeLoop: metadata kept as Prometheus keeps it', () => {
  it('updates a family in place, and drops it after 10 scrapes without its lines', async () => {
    const { target, loop, clock } = await setup();
    target.serve('# HELP a First.\n# TYPE a gauge\na 1\n# TYPE b counter\nb_total 1\n');
    await scrape(loop, clock);
    const a = loop.state.metadata.get('a');
    expect(a).toEqual({ type: 'gauge', help: 'First.', unit: '' });
    // b's lines are gone; a's help changed
    target.serve('# HELP a Second.\n# TYPE a gauge\na 1\nb_total 2\n');
    await scrape(loop, clock);
    expect(loop.state.metadata.get('a')).toBe(a);
    expect(a).toEqual({ type: 'gauge', help: 'Second.', unit: '' });
    for (let i = 2; i <= 11; i++) {
      expect(loop.state.metadata.get('b'), `after ${i} scrapes`).toEqual({
        type: 'counter',
        help: '',
        unit: '',
      });
      await scrape(loop, clock);
    }
    expect(loop.state.health).toBe('up');
    expect([...loop.state.metadata.keys()]).toEqual(['a']);
  });
});

describe('ScrapeLoop: metadata lines unchanged since the previous scrape', () => {
  it('keeps families that every scrape repeats, and follows lines that change, move or fail', async () => {
    const { target, loop, clock } = await setup();
    const body = '# HELP a First.\n# TYPE a gauge\na 1\n# HELP b Bees.\n# TYPE b counter\nb_total 1\n';
    target.serve(body);
    await scrape(loop, clock);
    const a = loop.state.metadata.get('a');
    const b = loop.state.metadata.get('b');
    // the same lines every time: still seen, so kept well past 10 scrapes
    for (let i = 0; i < 15; i++) await scrape(loop, clock);
    expect(loop.state.metadata.get('a')).toBe(a);
    expect(loop.state.metadata.get('b')).toBe(b);
    expect(Object.fromEntries(loop.state.metadata)).toEqual({
      a: { type: 'gauge', help: 'First.', unit: '' },
      b: { type: 'counter', help: 'Bees.', unit: '' },
    });
    // a line changed in place
    target.serve(body.replace('# TYPE b counter', '# TYPE b gauge'));
    await scrape(loop, clock);
    expect(b).toEqual({ type: 'gauge', help: 'Bees.', unit: '' });
    // a family put in front moves every line after it
    target.serve('# HELP c Sea.\n# TYPE c gauge\nc 1\n' + body.replace('First.', 'Again.'));
    await scrape(loop, clock);
    expect(Object.fromEntries(loop.state.metadata)).toEqual({
      a: { type: 'gauge', help: 'Again.', unit: '' },
      b: { type: 'counter', help: 'Bees.', unit: '' },
      c: { type: 'gauge', help: 'Sea.', unit: '' },
    });
    // a scrape failing after its metadata lines, then the previous body again
    target.serve('# HELP a Broken.\n# TYPE a gauge\na 1\nb_total{ 1\n');
    await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    target.serve(body);
    await scrape(loop, clock);
    expect(loop.state.health).toBe('up');
    expect(loop.state.metadata.get('a')).toEqual({ type: 'gauge', help: 'First.', unit: '' });
    // c's lines are gone: dropped after 10 scrapes, while a and b stay
    for (let i = 0; i < 11; i++) await scrape(loop, clock);
    expect([...loop.state.metadata.keys()].sort()).toEqual(['a', 'b']);
  });

  it('recognises OpenMetrics lines, # UNIT included', async () => {
    const { target, loop, clock } = await setup();
    const body = (unit: string): string =>
      `# TYPE req_seconds counter\n# UNIT req_seconds ${unit}\n# HELP req_seconds Time.\nreq_seconds_total 1\n# EOF\n`;
    target.serve(body('seconds'), OPENMETRICS);
    for (let i = 0; i < 12; i++) await scrape(loop, clock);
    expect(Object.fromEntries(loop.state.metadata)).toEqual({
      req_seconds: { type: 'counter', help: 'Time.', unit: 'seconds' },
    });
    target.serve(body(''), OPENMETRICS);
    await scrape(loop, clock);
    expect(loop.state.metadata.get('req_seconds')).toEqual({ type: 'counter', help: 'Time.', unit: '' });
  });
});

describe('ScrapeLoop: out-of-order samples (storage.tsdb.out_of_order_time_window)', () => {
  it('stores a late explicit timestamp inside the window; one older than the window fails the scrape', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-scrape-ooo-'));
    const db = TSDB.open({
      dir,
      retentionMs: 0,
      maxBytes: 0,
      logger: silentLogger,
      outOfOrderTimeWindow: 30 * 60_000,
    });
    cleanups.push(() => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const target = await startTarget();
    const clock = new Clock(T0);
    const storage = new MemoryStorage();
    const { loop, fetcher } = makeLoop(
      target,
      storage,
      { honor_timestamps: true },
      { now: clock.now, appendable: db },
    );
    cleanups.push(
      () => target.close(),
      () => fetcher.close(),
      () => loop.stop(false),
    );
    const stored = (): Array<[number, number]> => {
      const q = db.querier(0, Infinity);
      const [s] = q.select([new Matcher('=', '__name__', 'm')], { start: 0, end: Infinity });
      const b = s.samples();
      q.close();
      return Array.from({ length: b.length }, (_, i) => [b.t[i], b.v[i]]);
    };
    target.serve(`m 1 ${T0}\n`);
    await scrape(loop, clock);
    target.serve(`m 2 ${T0 - 10 * 60_000}\n`);
    await scrape(loop, clock);
    expect(loop.state.lastError).toBe('');
    expect(stored()).toEqual([
      [T0 - 10 * 60_000, 2],
      [T0, 1],
    ]);
    target.serve(`m 3 ${T0 - 60 * 60_000}\n`);
    await scrape(loop, clock);
    // as Prometheus's scrape loop: a too-old sample is not one of the errors it counts and goes on from
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe('too old sample');
    expect(stored()).toHaveLength(2);
  });
});

describe('ScrapeLoop: the protobuf exposition format', () => {
  it('asks for PrometheusProto first and stores what a protobuf body holds, as the same text body would', async () => {
    const families = [
      {
        name: 'jobs_total',
        help: 'Jobs.',
        type: 'COUNTER',
        metric: [{ label: [{ name: 'kind', value: 'x' }], counter: { value: 42 } }],
      },
      {
        name: 'lat_seconds',
        help: 'Latency.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: 4,
              sample_sum: 1.5,
              bucket: [{ upper_bound: 0.5, cumulative_count: 3 }],
            },
          },
        ],
      },
    ];
    const { target, storage, loop, clock } = await setup({
      scrape_protocols: ['PrometheusProto', 'PrometheusText0.0.4'],
    });
    target.serve(encodeMetricFamilies(families), PROTO_CONTENT_TYPE);
    const t = await scrape(loop, clock);
    expect(loop.state.lastError).toBe('');
    expect(target.requests[0].headers.accept).toMatch(
      /^application\/vnd\.google\.protobuf;proto=io\.prometheus\.client\.MetricFamily;encoding=delimited/,
    );
    expect(points(storage, 'jobs_total')).toEqual([[t, 42]]);
    expect(points(storage, 'lat_seconds_count')).toEqual([[t, 4]]);
    expect(Object.keys(read(storage, { __name__: 'lat_seconds_bucket' }))).toEqual([
      `{__name__="lat_seconds_bucket", instance="${target.host}", job="test", le="+Inf"}`,
      `{__name__="lat_seconds_bucket", instance="${target.host}", job="test", le="0.5"}`,
    ]);
    expect(report(storage, t)).toMatchObject({ up: 1, scrape_samples_scraped: 5 });
    // a second scrape goes through the scrape cache
    target.serve(encodeMetricFamilies(families), PROTO_CONTENT_TYPE);
    const t2 = await scrape(loop, clock);
    expect(points(storage, 'jobs_total')).toEqual([
      [t, 42],
      [t2, 42],
    ]);
    // a broken body marks the target down with the parser's message
    target.serve(Uint8Array.from([0x0a, 0x05, 0x0a]), PROTO_CONTENT_TYPE);
    await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toMatch(/protobuf: unexpected end/);
  });
});

describe('ScrapeLoop: native histograms (scrape_native_histograms)', () => {
  async function tsdbSetup(fields: Record<string, unknown>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-scrape-nh-'));
    const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger: silentLogger });
    cleanups.push(() => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const target = await startTarget();
    const clock = new Clock(T0);
    const cfg = jobConfig(fields);
    const { loop, fetcher } = makeLoop(target, new MemoryStorage(), fields, {
      now: clock.now,
      appendable: db,
      nativeHistograms: cfg.scrape_native_histograms
        ? {
            alwaysScrapeClassic: cfg.always_scrape_classic_histograms,
            bucketLimit: cfg.native_histogram_bucket_limit,
            maxSchema:
              cfg.native_histogram_min_bucket_factor > 0
                ? schemaForBucketFactor(cfg.native_histogram_min_bucket_factor)
                : 8,
          }
        : undefined,
    });
    cleanups.push(
      () => target.close(),
      () => fetcher.close(),
      () => loop.stop(false),
    );
    const hists = () => {
      const q = db.querier(0, Infinity);
      const out: Record<string, Array<{ t: number; schema: number; buckets: number }>> = {};
      for (const s of q.select([new Matcher('=~', '__name__', '.+')], { start: 0, end: Infinity })) {
        const hs = s.histograms?.() ?? [];
        if (hs.length > 0)
          out[s.labels.get('__name__')!] = hs.map((x) => ({
            t: x.t,
            schema: x.h!.schema,
            buckets: x.h!.positiveBuckets.length,
          }));
      }
      q.close();
      return out;
    };
    return { target, loop, clock, db, hists };
  }

  const body = (schema: number, buckets: number) =>
    encodeMetricFamilies([
      {
        name: 'nh_seconds',
        help: 'Native.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: buckets,
              sample_sum: 1,
              schema,
              zero_threshold: 2 ** -128,
              positive_span: [{ offset: 0, length: buckets }],
              positive_delta: [1, ...Array(buckets - 1).fill(0)],
            },
          },
        ],
      },
    ]);

  it('asks for protobuf first and stores native histograms; bucket factor and bucket limit reduce the schema', async () => {
    const { target, loop, clock, hists } = await tsdbSetup({
      scrape_native_histograms: true,
      native_histogram_min_bucket_factor: 1.1,
      native_histogram_bucket_limit: 4,
    });
    target.serve(body(3, 8), PROTO_CONTENT_TYPE);
    const t = await scrape(loop, clock);
    expect(loop.state.lastError).toBe('');
    expect(target.requests[0].headers.accept).toMatch(/^application\/vnd\.google\.protobuf/);
    // schema 3 → 2 (factor 1.1), 8 buckets → 4 at schema 2 (indexes 0..7 → 0..4: 5 buckets) → 3 at schema 1
    expect(hists()).toEqual({ nh_seconds: [{ t, schema: 1, buckets: 3 }] });
  });

  it('fails the scrape when the bucket limit cannot be met', async () => {
    const { target, loop, clock, hists } = await tsdbSetup({
      scrape_native_histograms: true,
      native_histogram_bucket_limit: 1,
    });
    target.serve(body(-4, 3), PROTO_CONTENT_TYPE);
    await scrape(loop, clock);
    expect(loop.state.health).toBe('down');
    expect(loop.state.lastError).toBe('histogram bucket limit exceeded');
    expect(hists()).toEqual({});
  });
});
