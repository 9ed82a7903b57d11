// file_sd_configs against real files in a temporary directory: the targets the consumer (the scrape
// manager) sees after edits, renames, broken files, deletions, globs and late directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scrapeDiscoveryConfigs } from '../../src/sd/discoverers.js';
import { DiscoveryManager } from '../../src/sd/manager.js';
import { RecordingConsumer, Registry, config, eventually, metricValue, testLogger } from './support.js';

let dir: string;
let manager: DiscoveryManager | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-file-sd-'));
});

afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Replaces a file in one step, as config management tools do. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

async function start(files: string[], opts: { refresh?: string; fallbackPollMs?: number } = {}) {
  const registry = new Registry();
  const consumer = new RecordingConsumer();
  const { logger, lines } = testLogger();
  const cfg = config(
    `
scrape_configs:
  - job_name: files
    file_sd_configs:
      - files: ${JSON.stringify(files)}
        refresh_interval: ${opts.refresh ?? '5m'}
`,
    dir,
  );
  manager = new DiscoveryManager({
    logger,
    registry,
    consumer: consumer.consume,
    updateIntervalMs: 20,
    fileFallbackPollMs: opts.fallbackPollMs,
  });
  await manager.applyConfig(scrapeDiscoveryConfigs(cfg));
  return { registry, consumer, lines };
}

describe('file_sd_configs', () => {
  it('reads JSON and YAML files matched by globs, with __meta_filepath and labels', async () => {
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.yml');
    writeAtomic(a, JSON.stringify([{ targets: ['a1:9100', 'a2:9100'], labels: { env: 'prod' } }]));
    writeAtomic(b, '- targets: ["b1:9100"]\n  labels:\n    env: dev\n- targets: ["b2:9100"]\n');
    fs.writeFileSync(path.join(dir, 'ignored.txt'), 'not a target file');
    const { consumer, registry } = await start(['*.json', '*.yml']);

    await eventually(() =>
      expect(consumer.addresses('files')).toEqual(['a1:9100', 'a2:9100', 'b1:9100', 'b2:9100']),
    );
    const groups = consumer.latest.get('files')!;
    expect(groups.map((g) => g.source).sort()).toEqual([`${a}:0`, `${b}:0`, `${b}:1`]);
    expect(
      await metricValue(registry, 'prometheus_sd_discovered_targets', { name: 'scrape', config: 'files' }),
    ).toBe(4);
    expect(consumer.targets('files')).toEqual([
      { __address__: 'a1:9100', __meta_filepath: a, env: 'prod' },
      { __address__: 'a2:9100', __meta_filepath: a, env: 'prod' },
      { __address__: 'b1:9100', __meta_filepath: b, env: 'dev' },
      { __address__: 'b2:9100', __meta_filepath: b },
    ]);
  });

  it('follows edits, renames and deletions through the directory watch', async () => {
    const a = path.join(dir, 'a.json');
    writeAtomic(a, JSON.stringify([{ targets: ['a1:9100'] }, { targets: ['a2:9100'] }]));
    const { consumer } = await start(['*.json']);
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a1:9100', 'a2:9100']));

    // an edit in place (not atomic): a half-written file may be seen and is retried on the next event
    fs.writeFileSync(a, JSON.stringify([{ targets: ['a3:9100'] }]));
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a3:9100']));

    // a new file appears
    const b = path.join(dir, 'b.json');
    writeAtomic(b, JSON.stringify([{ targets: ['b1:9100'] }]));
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a3:9100', 'b1:9100']));

    // renamed out of the glob: its targets go; renamed back in: they return under the new path
    fs.renameSync(b, path.join(dir, 'b.json.disabled'));
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a3:9100']));
    const c = path.join(dir, 'c.json');
    fs.renameSync(path.join(dir, 'b.json.disabled'), c);
    await eventually(() =>
      expect(consumer.targets('files')).toContainEqual({ __address__: 'b1:9100', __meta_filepath: c }),
    );

    // deleted
    fs.unlinkSync(a);
    await eventually(() => expect(consumer.addresses('files')).toEqual(['b1:9100']));
    expect(consumer.latest.get('files')!.map((g) => g.source)).toEqual([`${c}:0`]);
  });

  it('keeps the last good groups of a broken file and says why', async () => {
    const a = path.join(dir, 'a.yaml');
    writeAtomic(a, '- targets: ["a1:9100"]\n');
    const { consumer, registry, lines } = await start(['*.yaml']);
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a1:9100']));

    writeAtomic(a, '- targets: ["a2:9100"]\n  lables: {}\n');
    await eventually(async () =>
      expect(await metricValue(registry, 'prometheus_sd_file_read_errors_total')).toBeGreaterThan(0),
    );
    const logged = lines.find((l) => l.includes('msg="Error reading file"'));
    expect(logged).toContain(`path=${a}`);
    expect(logged).toContain('unknown field');
    expect(logged).toContain('discovery=file');
    expect(logged).toContain('config=files');
    expect(manager!.providerStatus()[0].lastError).toContain(a);
    expect(consumer.addresses('files')).toEqual(['a1:9100']);

    writeAtomic(a, '- targets: ["a2:9100"]\n');
    await eventually(() => expect(consumer.addresses('files')).toEqual(['a2:9100']));
  });

  it('removes the groups a file no longer has', async () => {
    const a = path.join(dir, 'a.json');
    writeAtomic(a, JSON.stringify([{ targets: ['x:1'] }, { targets: ['y:1'] }, { targets: ['z:1'] }]));
    const { consumer } = await start([path.join(dir, 'a.json')]);
    await eventually(() => expect(consumer.addresses('files')).toEqual(['x:1', 'y:1', 'z:1']));
    writeAtomic(a, JSON.stringify([{ targets: ['x:1'] }]));
    await eventually(() => expect(consumer.addresses('files')).toEqual(['x:1']));
    expect(consumer.latest.get('files')!.map((g) => g.source)).toEqual([`${a}:0`]);
  });

  it('polls a directory it cannot watch yet, and watches it once it exists', async () => {
    const late = path.join(dir, 'late');
    const { consumer, lines } = await start(['late/*.json'], { fallbackPollMs: 50 });
    await eventually(() => expect(lines.some((l) => l.includes('msg="Error adding file watch"'))).toBe(true));
    expect(consumer.addresses('files')).toEqual([]);

    fs.mkdirSync(late);
    writeAtomic(path.join(late, 't.json'), JSON.stringify([{ targets: ['late:1'] }]));
    await eventually(() => expect(consumer.addresses('files')).toEqual(['late:1']));
  });

  it('re-reads every refresh_interval as well', async () => {
    const a = path.join(dir, 'A.JSON');
    writeAtomic(a, JSON.stringify([{ targets: ['upper:1'] }]));
    const { consumer, registry } = await start(['*.JSON'], { refresh: '50ms' });
    await eventually(() => expect(consumer.addresses('files')).toEqual(['upper:1']));
    // scans keep happening without any change to the files
    await eventually(async () => {
      const metric = await registry.getSingleMetric('prometheus_sd_file_scan_duration_seconds')!.get();
      const count = metric.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
      expect(count?.value).toBeGreaterThan(3);
    });
    expect(consumer.targets('files')).toEqual([{ __address__: 'upper:1', __meta_filepath: a }]);
  });
});
