// storage.tsdb.out_of_order_time_window on a running server: the remote write receiver takes samples
// older than a series' newest inside the window (and refuses older ones with 400, "too old sample"),
// queries see them merged, a restart keeps them (write-behind log), and a reload changes the window.
import fs from 'node:fs';
import path from 'node:path';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { encodeWriteV1 } from '../../src/remote/messages.js';
import { serverFixtures, type ServerProcess } from '../support/server-process.js';

const { tmp, start } = serverFixtures('promethium-ooo-e2e-');
const M = 60_000;

function write(s: ServerProcess, samples: Array<[number, number]>) {
  const body = snappy.compressSync(
    Buffer.from(
      encodeWriteV1({
        series: [
          {
            labels: ['__name__', 'late_metric', 'job', 'backfill'],
            samples: samples.map(([t, v]) => ({ t, v })),
            exemplars: [],
            histograms: [],
            startTimestamp: 0,
          },
        ],
        metadata: [],
      }),
    ),
  );
  return s.fetch('/api/v1/write', {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
  });
}

async function samples(s: ServerProcess, from: number, to: number): Promise<Array<[number, string]>> {
  const q = new URLSearchParams({ query: 'late_metric[2h]', time: String(to / 1000) });
  const body = (await (await s.fetch(`/api/v1/query?${q}`)).json()) as {
    data: { result: Array<{ values: Array<[number, string]> }> };
  };
  return (body.data.result[0]?.values ?? []).filter(([t]) => t * 1000 >= from);
}

function config(dir: string, window: string): string {
  const file = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(file, `storage:\n  tsdb:\n    out_of_order_time_window: ${window}\nscrape_configs: []\n`);
  return file;
}

describe('out-of-order ingestion on a server', () => {
  it('takes late samples through remote write, keeps them over a restart, follows a reload', async () => {
    const dir = tmp();
    const args = [
      `--config.file=${config(dir, '30m')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
    ];
    let s = await start(args);
    const now = Math.floor(Date.now() / 1000) * 1000;
    expect((await write(s, [[now, 3]])).status).toBe(204);
    // 10 and 20 minutes late: inside the window; 40 minutes late: too old
    expect(
      (
        await write(s, [
          [now - 20 * M, 1],
          [now - 10 * M, 2],
        ])
      ).status,
    ).toBe(204);
    const old = await write(s, [[now - 40 * M, 0]]);
    expect(old.status).toBe(400);
    expect(await old.text()).toContain('too old sample');
    const want = [
      [(now - 20 * M) / 1000, '1'],
      [(now - 10 * M) / 1000, '2'],
      [now / 1000, '3'],
    ];
    expect(await samples(s, now - 60 * M, now)).toEqual(want);
    const metrics = await (await s.fetch('/metrics')).text();
    expect(metrics).toContain('prometheus_tsdb_head_out_of_order_samples_appended_total{type="float"} 2');
    expect(metrics).toContain('prometheus_tsdb_too_old_samples_total{type="float"} 1');

    await s.stop();
    s = await start(args);
    expect(await samples(s, now - 60 * M, now)).toEqual(want);

    // the window closed by a reload: late samples are out of order again
    config(dir, '0s');
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
    const late = await write(s, [[now - 5 * M, 9]]);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('out of order sample');
    expect(await samples(s, now - 60 * M, now)).toEqual(want);
  });
});
