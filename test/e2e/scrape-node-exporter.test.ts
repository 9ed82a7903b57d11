// A real exporter: Debian's prometheus-node-exporter (installed by .ci/run), started by the test on a
// free port of 127.0.0.1 and scraped every second; what it exposes comes back through the query API.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, waitFor, type ServerProcess } from '../support/server-process.js';
import {
  eventually,
  freePort,
  queryValue,
  queryVector,
  scrapeConfigYaml,
  targetOf,
  tempDirs,
} from '../support/scrape-e2e.js';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

const dirs = tempDirs('promethium-scrape-node-');
const running: ServerProcess[] = [];
const exporters: ChildProcess[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  for (const e of exporters.splice(0)) {
    if (e.exitCode === null && e.signalCode === null) {
      const gone = new Promise((r) => e.once('exit', r));
      e.kill('SIGTERM');
      await gone;
    }
  }
  dirs.cleanup();
});

/** Starts the exporter on a free port and waits until it answers; returns its host:port. */
async function startNodeExporter(): Promise<{ address: string; logs: () => string }> {
  if (!fs.existsSync(NODE_EXPORTER)) {
    throw new Error(
      `${NODE_EXPORTER} is missing: install Debian's prometheus-node-exporter package ` +
        '(apt-get install prometheus-node-exporter; .ci/run does this)',
    );
  }
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(NODE_EXPORTER, [`--web.listen-address=${address}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exporters.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`node exporter exited with ${child.exitCode}:\n${output}`);
    return (await fetch(`http://${address}/metrics`)).status === 200;
  }, 15_000).catch((err: unknown) => {
    throw new Error(`node exporter on ${address} did not answer: ${String(err)}\n${output}`);
  });
  return { address, logs: () => output };
}

/** Metric names and HELP texts of an exposition in the text format. */
function exposition(text: string): { names: Set<string>; help: Map<string, string>; samples: number } {
  const names = new Set<string>();
  const help = new Map<string, string>();
  let samples = 0;
  for (const line of text.split('\n')) {
    const m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m !== null) help.set(m[1], m[2].replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
    if (line === '' || line.startsWith('#')) continue;
    names.add(/^[^{ ]+/.exec(line)![0]);
    samples++;
  }
  return { names, help, samples };
}

describe('scraping a real node exporter', () => {
  it('stores what prometheus-node-exporter exposes, with up{job="node"} == 1', async () => {
    const exporter = await startNodeExporter();
    const dir = dirs.make();
    const cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      cfg,
      scrapeConfigYaml(`  - job_name: node\n    static_configs:\n      - targets: ['${exporter.address}']\n`),
    );
    const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
    running.push(s);

    await eventually(
      s,
      'up{job="node"} == 1',
      () => queryValue(s, 'up{job="node"}'),
      (v) => v === 1,
    );
    const t = await targetOf(s, 'node');
    expect(t.health).toBe('up');
    expect(t.lastError).toBe('');
    expect(t.labels).toEqual({ job: 'node', instance: exporter.address });
    expect(t.scrapeUrl).toBe(`http://${exporter.address}/metrics`);
    expect(t.scrapeInterval).toBe('1s');

    const build = await queryVector(s, 'node_exporter_build_info');
    expect(build).toHaveLength(1);
    expect(build[0].metric).toMatchObject({ job: 'node', instance: exporter.address });
    expect(build[0].metric.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(build[0].value[1]).toBe('1');

    const idle = await queryVector(s, 'node_cpu_seconds_total{job="node",mode="idle"}');
    expect(idle.length).toBeGreaterThanOrEqual(1);
    for (const r of idle) {
      expect(r.metric.cpu).toMatch(/^\d+$/);
      expect(Number(r.value[1])).toBeGreaterThan(0);
    }
    expect(await queryValue(s, 'scrape_samples_scraped{job="node"}')).toBeGreaterThan(100);

    // every metric the exporter exposes arrives under its name, and its metadata with it
    const direct = exposition(await (await fetch(`http://${exporter.address}/metrics`)).text());
    expect(direct.samples).toBeGreaterThan(100);
    await eventually(
      s,
      'every node exporter metric name stored',
      async () => {
        const res = await s.fetch(
          `/api/v1/label/__name__/values?match[]=${encodeURIComponent('{job="node"}')}`,
        );
        const stored = new Set(((await res.json()) as { data: string[] }).data);
        return [...direct.names].filter((n) => !stored.has(n));
      },
      (missing) => missing.length === 0,
    );
    const md = (await (await s.fetch('/api/v1/metadata?metric=node_cpu_seconds_total')).json()) as {
      data: Record<string, Array<{ type: string; help: string; unit: string }>>;
    };
    expect(md.data).toEqual({
      node_cpu_seconds_total: [
        { type: 'counter', help: direct.help.get('node_cpu_seconds_total'), unit: '' },
      ],
    });
    // a rate over the 1 s scrapes: the CPU counters advance
    await eventually(
      s,
      'a rate of the cpu counters',
      () => queryVector(s, 'sum(rate(node_cpu_seconds_total{job="node"}[5s]))'),
      (r) => r.length === 1 && Number(r[0].value[1]) > 0,
    );
  });
});
