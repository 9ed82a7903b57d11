// `promethium-tool tsdb export-blocks`: Promethium's blocks in Prometheus's format, read by Debian's
// promtool 2.42 (`tsdb list`, `tsdb dump`), which must dump exactly the samples Promethium serves.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { exportBlocks } from '../../src/cli/export-blocks.js';
import { analyze, DEFAULT_DUMP_MATCH, dump, dumpOpenMetrics, list } from '../../src/cli/tsdb-tools.js';
import { createLogger } from '../../src/log/logger.js';
import { CounterResetHint, type Histogram } from '../../src/model/histogram.js';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { formatGoFloat } from '../../src/model/exposition/writer.js';
import { STALE_NAN } from '../../src/model/value.js';
import { TSDB } from '../../src/tsdb/db.js';
import { peerFixtures } from '../support/peers.js';
import { startServer, TOOL_BIN } from '../support/server-process.js';
import { freePort } from '../support/scrape-e2e.js';

const PROMTOOL = '/usr/bin/promtool';
const H = 3600_000;
const M = 60_000;
const dirs: string[] = [];
const { startPeer, running } = peerFixtures('promethium-export-peer-');
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-export-'));
  dirs.push(d);
  return d;
}

function promtool(...args: string[]): string {
  if (!fs.existsSync(PROMTOOL))
    throw new Error(`${PROMTOOL} is missing: install Debian's prometheus package (.ci/run does this)`);
  try {
    return execFileSync(PROMTOOL, args, {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(`promtool ${args.join(' ')}: ${String((err as { stderr?: string }).stderr)}`, {
      cause: err,
    });
  }
}

/** promtool's dump line of a sample: `{labels} value timestamp`. */
function dumpLine(ls: Labels, v: number, t: number): string {
  const pairs: string[] = [];
  for (let i = 0; i < ls.pairs.length; i += 2)
    pairs.push(`${ls.pairs[i]}=${JSON.stringify(ls.pairs[i + 1])}`);
  return `{${pairs.join(', ')}} ${formatGoFloat(v)} ${t}`;
}

describe('promethium-tool tsdb export-blocks', () => {
  it('writes blocks promtool 2.42 lists and dumps with the samples Promethium serves', async () => {
    const src = tmp();
    const db = TSDB.open({
      dir: src,
      retentionMs: 0,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
      registry: new Registry(),
    });
    const h: Histogram = {
      counterResetHint: CounterResetHint.Unknown,
      schema: 1,
      zeroThreshold: 0.001,
      zeroCount: 1,
      count: 4,
      sum: 2.5,
      positiveSpans: [{ offset: 0, length: 2 }],
      negativeSpans: [],
      positiveBuckets: [1, 1],
      negativeBuckets: [],
    };
    // 9 h of data every 30 s: several 2 h blocks, compacted into a larger one; decimal values,
    // a stale marker, label values that need escaping, a deleted range and native histograms
    for (let t = 0; t <= 9 * H; t += 30 * M) {
      const app = db.appender();
      for (let u = t; u < Math.min(t + 30 * M, 9 * H + 1); u += 30_000) {
        app.append(0, Labels.fromRecord({ __name__: 'up', job: 'a', instance: 'x:1' }), u, 1);
        app.append(0, Labels.fromRecord({ __name__: 'temp', room: 'k"\\\\' }), u, 20 + (u % 7) / 10);
        app.append(0, Labels.fromRecord({ __name__: 'req_total', code: '200' }), u, u / 1000);
        app.appendHistogram!(
          0,
          Labels.fromRecord({ __name__: 'lat' }),
          u,
          { ...h, count: 4 + u / 30_000, zeroCount: 1 + u / 30_000 },
          undefined,
        );
      }
      if (t === 4 * H) app.append(0, Labels.fromRecord({ __name__: 'gone' }), t, STALE_NAN);
      await app.commit();
    }
    await db.compact();
    await db.deleteSeries([new Matcher('=', '__name__', 'up')], 5 * H, 5 * H + 10 * M);
    const metas = db.blockMetas();
    expect(metas.length).toBeGreaterThan(1);
    // what Promethium serves from its blocks (the head's data is not exported)
    const maxt = metas[metas.length - 1].maxTime - 1;
    const q = db.querier(metas[0].minTime, maxt);
    const want: string[] = [];
    for (const s of q.select([new Matcher('=~', '__name__', 'up|temp|req_total|gone')])) {
      const b = s.samples();
      for (let i = 0; i < b.length; i++) want.push(dumpLine(s.labels, b.v[i], b.t[i]));
    }
    q.close();
    db.close();

    const out = path.join(tmp(), 'exported');
    const exported = exportBlocks(src, out);
    expect(exported.map((m) => m.ulid).sort()).toEqual(metas.map((m) => m.ulid).sort());

    const list = promtool('tsdb', 'list', out);
    for (const m of exported) {
      const row = list.split('\n').find((l) => l.startsWith(m.ulid));
      expect(row, list).toBeDefined();
      expect(row!.split(/\s+/).slice(1, 6)).toEqual([
        String(m.minTime),
        String(m.maxTime),
        expect.any(String),
        String(m.stats.numSamples),
        String(m.stats.numChunks),
      ]);
    }
    const dump = promtool('tsdb', 'dump', `--min-time=${metas[0].minTime}`, `--max-time=${maxt}`, out)
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('{__name__="lat"'));
    // stale markers dump as NaN in both
    expect(dump.sort()).toEqual(want.sort());
    // 2.42's dump leaves histograms out: Prometheus 2.42 itself, started on the exported blocks,
    // answers queries over them (and the floats) as Promethium does
    const port = await freePort();
    const prom = `http://127.0.0.1:${port}`;
    const cfg = path.join(tmp(), 'prometheus.yml');
    fs.writeFileSync(cfg, 'global: {}\n');
    await startPeer({
      binary: '/usr/bin/prometheus',
      debianPackage: 'prometheus',
      args: [
        `--config.file=${cfg}`,
        `--storage.tsdb.path=${out}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=native-histograms',
      ],
      url: prom,
    });
    const at = 3 * H + 45 * 60_000;
    const query = async (q: string): Promise<string[]> => {
      const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}&time=${at / 1000}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.map((r) => r.value[1]);
    };
    expect(await query('histogram_count(lat)')).toEqual([String(4 + at / 30_000)]);
    expect(await query('histogram_sum(lat)')).toEqual(['2.5']);
    expect(await query('req_total')).toEqual([String(at / 1000)]);

    // Promethium on its own directory and Prometheus 2.42 on the export give the same answers
    const ours = await startServer([`--config.file=${cfg}`, `--storage.tsdb.path=${src}`]);
    running.push(ours);
    const result = async (base: string, q: string, t: number): Promise<unknown> => {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${t / 1000}`);
      const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
      return body.data.result.sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1));
    };
    for (const t of [H + 7 * M, 3 * H + 45 * M, 5 * H + 5 * M, maxt - M]) {
      for (const q of [
        'up',
        'req_total',
        'rate(req_total[5m])',
        'sum by (job) (up)',
        'max_over_time(temp[1h])',
        'count_over_time(gone[2h])',
        'histogram_count(rate(lat[5m]))',
        'histogram_quantile(0.9, rate(lat[10m]))',
        'lat',
      ])
        expect([q, t, await result(ours.url, q, t)]).toEqual([q, t, await result(prom, q, t)]);
    }
  }, 120_000);

  it('with min = max block duration, writes each block from the head in Prometheus format beside its block.db', async () => {
    const dir = tmp();
    const open = (): TSDB =>
      TSDB.open({
        dir,
        retentionMs: 0,
        maxBytes: 0,
        logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
        registry: new Registry(),
        minBlockDuration: 2 * H,
        maxBlockDuration: 2 * H,
        prometheusFormatBlocks: true,
      });
    const db = open();
    for (let t = 0; t <= 7 * H; t += 30 * M) {
      const app = db.appender();
      for (let u = t; u < Math.min(t + 30 * M, 7 * H + 1); u += 60_000)
        app.append(0, Labels.fromRecord({ __name__: 'm', i: String((u / 60_000) % 3) }), u, u);
      await app.commit();
    }
    await db.compact();
    const metas = db.blockMetas();
    db.close();
    // no compaction beyond 2 h blocks
    expect(metas.map((m) => [m.minTime, m.maxTime])).toEqual([
      [0, 2 * H],
      [2 * H, 4 * H],
    ]);
    for (const m of metas)
      expect(fs.readdirSync(path.join(dir, m.ulid)).sort()).toEqual([
        'block.db',
        'chunks',
        'index',
        'meta.json',
        'tombstones',
      ]);
    // promtool reads the data directory as Prometheus's, the head's WAL aside
    const list = promtool('tsdb', 'list', dir);
    for (const m of metas) expect(list).toContain(m.ulid);
    const dump = promtool('tsdb', 'dump', '--min-time=0', `--max-time=${4 * H - 1}`, dir)
      .split('\n')
      .filter((l) => l !== '');
    expect(dump).toHaveLength(4 * 60);
    // Promethium opens its directory as before
    const again = open();
    expect(again.blockMetas().map((m) => m.ulid)).toEqual(metas.map((m) => m.ulid));
    again.close();
  }, 60_000);

  it("tsdb list, analyze, dump and dump-openmetrics read a Promethium directory (blocks and the WAL) as promtool reads Prometheus's", async () => {
    const dir = tmp();
    const db = TSDB.open({
      dir,
      retentionMs: 0,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => {} }),
      registry: new Registry(),
    });
    for (let t = 0; t <= 5 * H; t += 30 * M) {
      const app = db.appender();
      for (let u = t; u < Math.min(t + 30 * M, 5 * H + 1); u += 60_000) {
        app.append(0, Labels.fromRecord({ __name__: 'm', i: String((u / 60_000) % 2) }), u, u / 7);
        app.append(0, Labels.fromRecord({ __name__: 'n', q: 'a "quoted"\tvalue' }), u, -u);
      }
      await app.commit();
    }
    await db.compact(); // a block of [0, 2h); the rest stays in the head and its WAL
    await db.deleteSeries([new Matcher('=', 'i', '1')], 4 * H, 4 * H + 30 * M);
    const want: string[] = [];
    const q = db.querier(-Infinity, Infinity);
    for (const s of q.select([new Matcher('=~', '__name__', '.+')])) {
      const b = s.samples();
      for (let i = 0; i < b.length; i++) want.push(dumpLine(s.labels, b.v[i], b.t[i]));
    }
    q.close();
    const metas = db.blockMetas();
    expect(metas).toHaveLength(1);
    db.close();

    const lines: string[] = [];
    dump(
      dir,
      {
        mint: Number.MIN_SAFE_INTEGER,
        maxt: Number.MAX_SAFE_INTEGER,
        match: [DEFAULT_DUMP_MATCH],
        format: 'prom',
      },
      (l) => lines.push(l),
    );
    expect(lines).toEqual(want);
    const series: string[] = [];
    dump(dir, { mint: 0, maxt: 10 * H, match: ['n'], format: 'seriesjson' }, (l) => series.push(l));
    expect(series).toEqual([JSON.stringify({ __name__: 'n', q: 'a "quoted"\tvalue' })]);
    const om: string[] = [];
    dumpOpenMetrics(dir, { mint: 0, maxt: 60_000, match: ['m'] }, (l) => om.push(l));
    expect(om).toEqual(['m{i="0"} 0 0.000', 'm{i="1"} 8571.42857142857 60.000', '# EOF']);

    // promtool's table for the same block, exported: the same columns (SIZE aside)
    const out = path.join(tmp(), 'exported');
    exportBlocks(dir, out);
    const theirs = promtool('tsdb', 'list', out).trimEnd().split('\n');
    const mine: string[] = [];
    list(dir, false, (l) => mine.push(l));
    expect(mine).toHaveLength(theirs.length);
    const cut = (l: string): string => l.slice(0, l.lastIndexOf(' ', l.trimEnd().length - 1)).trimEnd();
    expect(mine.map(cut)).toEqual(theirs.map(cut));
    expect(mine[0]).toBe(theirs[0]);

    // tsdb analyze: promtool's report for the same block (lines of equal count in any order)
    const sections = (text: string): string[][] =>
      text
        .trimEnd()
        .split('\n\n')
        .map((sec, i) => (i === 0 ? sec.split('\n') : sec.split('\n').sort()));
    const report: string[] = [];
    analyze(dir, { limit: 1000 }, (l) => report.push(l));
    // 2.42 says "Series:" where 3.14 (our model) says "Total Series:"
    const theirReport = promtool('tsdb', 'analyze', '--limit=1000', out, metas[0].ulid).replace(
      /^Series:/m,
      'Total Series:',
    );
    expect(sections(report.join('\n'))).toEqual(sections(theirReport));
    // --match (3.x; 2.42 has none): the report of the matching series only
    const matched: string[] = [];
    analyze(dir, { limit: 1000, match: 'm' }, (l) => matched.push(l));
    expect(matched).toEqual(expect.arrayContaining(['Matcher: m', 'Matched series: 2', 'Label names: 2']));
    expect(matched.slice(matched.indexOf('Highest cardinality metric names:') + 1)).toEqual(['2 m']);

    // the commands, as a user runs them
    const tool = (...args: string[]): string =>
      execFileSync(process.execPath, [TOOL_BIN, 'tsdb', ...args], { encoding: 'utf8' });
    expect(tool('list', dir).trimEnd().split('\n')).toEqual(mine);
    expect(tool('dump', '--match=n', '--min-time=0', '--max-time=60000', dir)).toBe(
      [0, 60_000]
        .map((t) => dumpLine(Labels.fromRecord({ __name__: 'n', q: 'a "quoted"\tvalue' }), -t, t))
        .join('\n') + '\n',
    );
    expect(tool('dump-openmetrics', '--match', 'm', '--max-time', '0', dir)).toBe(
      'm{i="0"} 0 0.000\n# EOF\n',
    );
  });
});
