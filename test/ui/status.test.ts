// The status pages in a real browser: Debian's Chromium driven by playwright-core, headless, against the
// built `promethium` program (route prefix /prom) over a data directory filled through the TSDB first.
// Needs `npm run build` and /usr/bin/chromium; a missing browser fails the tests rather than skipping them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { TSDB } from '../../src/tsdb/db.js';
import { REPO_ROOT, startServer, type ServerProcess } from '../support/server-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const XSS = '<img src=x onerror=alert(1)>';
const T0 = Date.now() - 10 * 60_000;

let dir: string;
let dataDir: string;
let server: ServerProcess;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

async function fillData(into: string): Promise<void> {
  const db = TSDB.open({
    dir: into,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
  });
  const app = db.appender();
  const series: Array<Record<string, string>> = [
    { __name__: 'cardinality_probe_total', job: 'api', code: '200' },
    { __name__: 'cardinality_probe_total', job: 'api', code: '500' },
    { __name__: 'cardinality_probe_total', job: 'api', code: '503' },
    { __name__: 'up', job: 'node' },
  ];
  for (const labels of series) {
    let ref = 0;
    for (let i = 0; i <= 20; i++) ref = app.append(ref, Labels.fromRecord(labels), T0 + i * 15_000, i);
  }
  await app.commit();
  db.close();
}

let setupError: Error | undefined;

/** A test that first fails with the setup's error, so a missing Chromium shows as failures, not skips. */
function uiTest(name: string, fn: () => Promise<void> | void): void {
  it(name, async () => {
    if (setupError !== undefined) throw setupError;
    await fn();
  });
}

async function open(p: string, ready: string): Promise<string> {
  await page.goto(`${server.url}/prom/${p}`);
  await page.locator(ready).first().waitFor();
  return page.locator('#app').innerText();
}

describe('web UI status pages in Chromium', () => {
  beforeAll(async () => {
    try {
      await setup();
    } catch (err) {
      setupError = err instanceof Error ? err : new Error(String(err));
    }
  });

  async function setup(): Promise<void> {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`,
      );
    }
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist/ui/index.html'))) {
      throw new Error('dist/ui is missing: run `npm run build` first');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-status-'));
    dataDir = path.join(dir, 'data');
    await fillData(dataDir);
    // Two static targets that cannot be scraped: one kept with a hostile label, one dropped by relabeling.
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1m',
        '  external_labels:',
        '    site: status-page-test',
        'scrape_configs:',
        '  - job_name: sd-probe',
        '    static_configs:',
        "      - targets: ['127.0.0.1:1']",
        '        labels:',
        `          payload: ${JSON.stringify(XSS)}`,
        '          discovered_marker: seen',
        "      - targets: ['127.0.0.1:2']",
        '        labels:',
        '          drop_me: "yes"',
        '    relabel_configs:',
        '      - source_labels: [drop_me]',
        '        regex: "yes"',
        '        action: drop',
        '',
      ].join('\n'),
    );
    server = await startServer(
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${dataDir}`,
        '--web.route-prefix=/prom',
        '--storage.tsdb.retention.time=3w',
      ],
      { cwd: dir },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  uiTest('reaches every status page from the Status menu', async () => {
    await page.goto(`${server.url}/prom/query`);
    await page.click('#status-menu summary');
    await page.click('#status-menu a[data-page="flags"]');
    await page.locator('#flags-table').waitFor();
    expect(new URL(page.url()).pathname).toBe('/prom/flags');
    expect(await page.title()).toBe('Command-line flags - Promethium');
    const links = await page
      .locator('#status-menu a')
      .evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    expect(links).toEqual(
      expect.arrayContaining([
        './status',
        './tsdb-status',
        './flags',
        './config',
        './rules',
        './targets',
        './service-discovery',
      ]),
    );
  });

  uiTest('shows the flags with their values and filters them', async () => {
    await open('flags', '#flags-table td');
    const table = page.locator('#flags-table');
    expect(await table.innerText()).toContain('storage.tsdb.retention.time\t3w');
    await page.fill('#flags-filter', 'retention.time');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tbody').innerText()).toContain('3w');
  });

  uiTest('shows the loaded configuration as YAML', async () => {
    await open('config', '#config-yaml:not(:empty)');
    const yaml = await page.locator('#config-yaml').innerText();
    expect(yaml).toContain('job_name: sd-probe');
    expect(yaml).toContain('site: status-page-test');
  });

  uiTest('shows runtime and build information', async () => {
    await open('status', '#runtime-table td');
    await page.locator('#build-table td').first().waitFor();
    const runtime = await page.locator('#runtime-table').innerText();
    expect(runtime).toContain(`Working directory\t${fs.realpathSync(dir)}`);
    expect(runtime).toContain('Storage retention\t3w');
    expect(runtime).toContain('Configuration reload\tSuccessful');
    expect(runtime).toMatch(/Start time\t\d{4}-\d\d-\d\dT/);
    const build = await page.locator('#build-table').innerText();
    expect(build).toContain('Prometheus API version\t3.14.0');
    expect(build).toMatch(/Promethium version\t\d+\.\d+\.\d+/);
    expect(build).toContain(`Node.js version\t${process.version}`);
    expect(build.match(/Node\.js version/g)).toHaveLength(1); // goVersion, its duplicate, is not shown
  });

  uiTest('shows head statistics and the cardinality tables', async () => {
    await open('tsdb-status', '#series-count-by-metric-name td');
    expect(await page.locator('#head-stats tbody td').first().innerText()).toMatch(/^\d+$/);
    expect(await page.locator('#series-count-by-metric-name').innerText()).toContain(
      'cardinality_probe_total\t3',
    );
    expect(await page.locator('#label-value-count-by-label-name').innerText()).toContain('code\t3');
    expect(await page.locator('#series-count-by-label-pair').innerText()).toContain('job=api\t3');
    expect(await page.locator('#memory-by-label-name tbody tr').count()).toBeGreaterThan(0);
  });

  uiTest('shows discovered and target labels per pool, dropped targets, label values as text', async () => {
    const text = await open('service-discovery', '#service-discovery section');
    expect(text).toContain('sd-probe (1 / 2 active targets)');
    expect(text).toContain('__address__="127.0.0.1:1"');
    expect(text).toContain('discovered_marker="seen"');
    expect(text).toContain('instance="127.0.0.1:1"');
    expect(text).toContain('drop_me="yes"');
    expect(text).toContain('Dropped');
    expect(text).toContain(`payload="${XSS}"`);
    expect(await page.locator('#service-discovery img').count()).toBe(0);
  });

  uiTest('says so when there are no rules or alerts', async () => {
    expect(await open('rules', '#rules p.empty')).toContain('No rules');
    expect(await open('alerts', '#alerts p.empty')).toContain('No alerts');
  });

  uiTest('never ran script from the data and threw no page errors', () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
