import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { createSelfMetrics, renderSelfMetrics } from '../../src/cli/self-metrics.js';
import { TEXT_CONTENT_TYPE } from '../../src/model/exposition/writer.js';

const BUILD = {
  version: '0.1.0',
  revision: 'abc123',
  branch: 'main',
  buildUser: 'ci',
  buildDate: '20240101-00:00:00',
  runtimeVersion: 'v20.0.0',
};

/** Just enough of the text format for these tests: series key → value, metadata lines by name. */
function parse(body: string): { samples: Map<string, number>; order: string[]; meta: Map<string, string[]> } {
  const samples = new Map<string, number>();
  const order: string[] = [];
  const meta = new Map<string, string[]>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (m) {
      meta.set(`${m[1]} ${m[2]}`, [m[3]]);
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!head) throw new Error(`unparsable line ${JSON.stringify(line)}`);
    const labels: string[] = [];
    const lre = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    const inner = head[3] ?? '';
    let end = 0;
    for (let lm = lre.exec(inner); lm !== null; lm = lre.exec(inner)) {
      labels.push(`${lm[1]}=${lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))}`);
      end = lre.lastIndex;
    }
    if (end !== inner.length) throw new Error(`bad labels in ${line}`);
    const key = `${head[1]}{${labels.sort().join(',')}}`;
    samples.set(key, Number(head[4].replace(/^Nan$/, 'NaN')));
    order.push(key);
  }
  return { samples, order, meta };
}

describe('renderSelfMetrics', () => {
  it('renders the server registry as Prometheus text', async () => {
    const self = createSelfMetrics(BUILD);
    self.configReloadSuccessful.set(1);
    const { contentType, body } = await renderSelfMetrics(self.registry);
    expect(contentType).toBe(TEXT_CONTENT_TYPE);
    expect(body).toMatch(/^# HELP process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(body).toMatch(/^process_resident_memory_bytes \S+$/m);
    expect(body).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    expect(body).toMatch(/^nodejs_version_info\{.*version="v\d+/m);
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    expect(body).toContain(
      `promethium_build_info{branch="main",goarch="${arch}",goos="${process.platform}",nodeversion="v20.0.0",revision="abc123",version="0.1.0"} 1\n`,
    );
    expect(body).toContain(
      '# TYPE prometheus_config_last_reload_successful gauge\nprometheus_config_last_reload_successful 1\n',
    );
    expect(body.endsWith('\n')).toBe(true);

    // nodejs_gc_duration_seconds is a histogram: buckets ascending, ending in +Inf, then _sum and _count.
    const gc = body.split('\n').filter((l) => l.startsWith('nodejs_gc_duration_seconds'));
    const kinds = new Set(gc.map((l) => /kind="(\w+)"/.exec(l)?.[1]));
    for (const kind of kinds) {
      const lines = gc.filter((l) => l.includes(`kind="${kind}"`));
      const les = lines.filter((l) => l.includes('_bucket')).map((l) => /le="([^"]+)"/.exec(l)?.[1]);
      expect(les.at(-1)).toBe('+Inf');
      const bounds = les.map(Number);
      expect([...bounds].sort((a, b) => a - b)).toEqual(bounds);
      expect(lines.at(-2)).toMatch(/^nodejs_gc_duration_seconds_sum\{/);
      expect(lines.at(-1)).toMatch(/^nodejs_gc_duration_seconds_count\{/);
    }
    // every family prom-client renders is in ours too
    const theirs = parse(await self.registry.metrics());
    const ours = parse(body);
    expect([...ours.meta.keys()].sort()).toEqual([...theirs.meta.keys()].sort());
  });

  it('is parse-equivalent to prom-client’s own output for stable values', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'jobs_total',
      help: 'Jobs "done"\nso far \\ ok',
      labelNames: ['queue'],
      registers: [registry],
    });
    c.inc({ queue: 'a' }, 3);
    c.inc({ queue: 'b"\\\n' }, 1e6);
    const g = new Gauge({ name: 'temperature', help: 'Temp.', registers: [registry] });
    g.set(-0.000012);
    const h = new Histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      buckets: [0.005, 0.1, 1, 2.5],
      registers: [registry],
    });
    h.observe({ route: '/x' }, 0.05);
    h.observe({ route: '/x' }, 2);
    h.observe({ route: '/x' }, 7);
    h.observe({ route: '/y' }, 0.001);
    const s = new Summary({ name: 'sizes', help: 'Sizes.', percentiles: [0.5, 0.9], registers: [registry] });
    s.observe(10);
    s.observe(20);
    registry.setDefaultLabels({ instance: 'self' });

    const { body } = await renderSelfMetrics(registry);
    const ours = parse(body);
    const theirs = parse(await registry.metrics());
    expect([...ours.samples.keys()].sort()).toEqual([...theirs.samples.keys()].sort());
    for (const [k, v] of theirs.samples) expect(ours.samples.get(k), k).toBe(v);
    expect(ours.order).toEqual(theirs.order);
    expect(ours.meta).toEqual(theirs.meta);

    expect(body).toContain('# HELP jobs_total Jobs "done"\\nso far \\\\ ok\n# TYPE jobs_total counter\n');
    expect(body).toContain('jobs_total{instance="self",queue="b\\"\\\\\\n"} 1e+06\n');
    expect(body).toContain('temperature{instance="self"} -1.2e-05\n');
    expect(body).toContain(
      [
        'latency_seconds_bucket{instance="self",le="0.005",route="/x"} 0',
        'latency_seconds_bucket{instance="self",le="0.1",route="/x"} 1',
        'latency_seconds_bucket{instance="self",le="1",route="/x"} 1',
        'latency_seconds_bucket{instance="self",le="2.5",route="/x"} 2',
        'latency_seconds_bucket{instance="self",le="+Inf",route="/x"} 3',
        'latency_seconds_sum{instance="self",route="/x"} 9.05',
        'latency_seconds_count{instance="self",route="/x"} 3',
      ].join('\n'),
    );
    expect(body).toContain('# TYPE sizes summary\nsizes{instance="self",quantile="0.5"} 15\n');
  });
});
