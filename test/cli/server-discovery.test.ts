// The server wires service discovery into scraping: file_sd targets appear in /api/v1/targets and
// follow file edits and config reloads; the SD metrics are on /metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBuildInfo } from '../../src/cli/build-info.js';
import { parseFlags } from '../../src/cli/flags.js';
import { SERVER_FLAGS, serverOptions } from '../../src/cli/server-flags.js';
import { PromethiumServer } from '../../src/cli/server.js';
import { createLogger } from '../../src/log/logger.js';
import { waitFor } from '../support/server-process.js';

let server: PromethiumServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.shutdown('test done');
  server = undefined;
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

interface ActiveTarget {
  scrapePool: string;
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
}

async function activeTargets(base: string, pool: string): Promise<ActiveTarget[]> {
  const body = (await (await fetch(`${base}/api/v1/targets?state=active`)).json()) as {
    data: { activeTargets: ActiveTarget[] };
  };
  return body.data.activeTargets.filter((t) => t.scrapePool === pool);
}

describe('server with service discovery', () => {
  it('scrapes file_sd targets, follows file edits and drops them on reload', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-server-sd-'));
    const configFile = path.join(dir, 'prometheus.yml');
    const withFiles = `
scrape_configs:
  - job_name: files
    scrape_interval: 1h
    file_sd_configs:
      - files: ['targets/*.json']
`;
    fs.writeFileSync(configFile, withFiles);
    fs.mkdirSync(path.join(dir, 'targets'));
    // there at start: the provider's first groups are sent at once; later changes within 5 s wait
    const file = path.join(dir, 'targets', 'a.json');
    fs.writeFileSync(file, JSON.stringify([{ targets: ['127.0.0.1:1'], labels: { team: 'a' } }]));
    const flags = parseFlags(SERVER_FLAGS, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
    ]);
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'logfmt', write: (l) => lines.push(l) });
    server = new PromethiumServer(serverOptions(flags), flags.asText, readBuildInfo(), log);
    await server.start();
    const base = `http://${server.address()}`;

    await waitFor(async () => (await activeTargets(base, 'files')).length === 1);
    const [target] = await activeTargets(base, 'files');
    expect(target.discoveredLabels).toMatchObject({
      __address__: '127.0.0.1:1',
      __meta_filepath: file,
      team: 'a',
    });
    expect(target.labels).toMatchObject({ instance: '127.0.0.1:1', job: 'files', team: 'a' });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('prometheus_sd_discovered_targets{config="files",name="scrape"} 1');
    expect(metrics).toContain('prometheus_sd_failed_configs{name="scrape"} 0');

    fs.writeFileSync(file, JSON.stringify([{ targets: ['127.0.0.1:2', '127.0.0.1:3'] }]));
    await waitFor(async () => {
      const addrs = (await activeTargets(base, 'files')).map((t) => t.discoveredLabels.__address__).sort();
      return addrs.join(',') === '127.0.0.1:2,127.0.0.1:3';
    });

    // the job loses its file_sd config: its targets go with the reload
    const withStatic = withFiles.replace(
      "file_sd_configs:\n      - files: ['targets/*.json']",
      'static_configs:\n      - targets: [127.0.0.1:4]',
    );
    expect(withStatic).not.toContain('file_sd');
    fs.writeFileSync(configFile, withStatic);
    await server.reload();
    await waitFor(async () => {
      const addrs = (await activeTargets(base, 'files')).map((t) => t.discoveredLabels.__address__);
      return addrs.join(',') === '127.0.0.1:4';
    });
    expect((await activeTargets(base, 'files')).map((t) => t.discoveredLabels.__address__)).toEqual([
      '127.0.0.1:4',
    ]);
  });
});
