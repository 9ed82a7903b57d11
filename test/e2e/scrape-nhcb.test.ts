// convert_classic_histograms_to_nhcb end to end: a server scraping a text target's classic histogram
// stores it as a native histogram with custom buckets (histogram_count, histogram_quantile over it),
// without its classic series unless always_scrape_classic_histograms keeps them.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import {
  eventually,
  queryRaw,
  queryVector,
  scrapeConfigYaml,
  startTarget,
  tempDirs,
  type TestTarget,
} from '../support/scrape-e2e.js';

const dirs = tempDirs('promethium-scrape-nhcb-');
const running: ServerProcess[] = [];
const targets: TestTarget[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
  dirs.cleanup();
});

const BODY = `# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.1"} 2
rpc_seconds_bucket{le="0.5"} 6
rpc_seconds_bucket{le="1"} 8
rpc_seconds_bucket{le="+Inf"} 10
rpc_seconds_sum 4.2
rpc_seconds_count 10
`;

async function serve(extra: string): Promise<{ s: ServerProcess; target: TestTarget }> {
  const target = await startTarget({ body: BODY });
  targets.push(target);
  const dir = dirs.make();
  const cfg = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    cfg,
    scrapeConfigYaml(
      `  - job_name: nhcb\n${extra}    static_configs:\n      - targets: ['${target.address}']\n`,
    ),
  );
  const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
  running.push(s);
  return { s, target };
}

describe('convert_classic_histograms_to_nhcb', () => {
  it('stores a classic histogram as one custom-bucket histogram, without its classic series', async () => {
    const { s } = await serve('    convert_classic_histograms_to_nhcb: true\n');
    const count = await eventually(
      s,
      'histogram_count of the converted histogram',
      () => queryVector(s, 'histogram_count(rpc_seconds{job="nhcb"})'),
      (v) => v.length === 1,
    );
    expect(count[0].value[1]).toBe('10');
    const raw = await queryRaw(s, 'rpc_seconds{job="nhcb"}[1m]');
    const hist = (
      raw[0] as unknown as { histograms: Array<[number, { count: string; sum: string; buckets: unknown[] }]> }
    ).histograms;
    expect(hist.length).toBeGreaterThan(0);
    expect(hist[0][1]).toEqual({
      count: '10',
      sum: '4.2',
      buckets: [
        [3, '-Inf', '0.1', '2'],
        [0, '0.1', '0.5', '4'],
        [0, '0.5', '1', '2'],
        [0, '1', '+Inf', '2'],
      ],
    });
    // median: rank 5 of 10 falls 3/4 into (0.1, 0.5]
    const q = await queryVector(s, 'histogram_quantile(0.5, rpc_seconds{job="nhcb"})');
    expect(Number(q[0].value[1])).toBeCloseTo(0.4, 12);
    expect(await queryVector(s, '{__name__=~"rpc_seconds_.+", job="nhcb"}')).toEqual([]);
  });

  it('keeps the classic series beside it with always_scrape_classic_histograms', async () => {
    const { s } = await serve(
      '    convert_classic_histograms_to_nhcb: true\n    always_scrape_classic_histograms: true\n',
    );
    await eventually(
      s,
      'both forms',
      async () => [
        (await queryVector(s, 'histogram_count(rpc_seconds{job="nhcb"})')).length,
        (await queryVector(s, '{__name__=~"rpc_seconds_.+", job="nhcb"}')).length,
      ],
      ([h, c]) => h === 1 && c === 6,
    );
  });
});
