// The web UI in a real browser: Debian's Chromium driven by playwright-core, headless, against the built
// `promethium` program over a data directory filled through the TSDB first. Needs `npm run build` (the
// UI in dist/ui) and /usr/bin/chromium; a missing browser fails the test rather than skipping it.
// PROMETHIUM_UI_SCREENSHOTS=docs writes the screenshots kept in docs/ (otherwise to a temporary dir).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type uPlot from 'uplot';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { TSDB } from '../../src/tsdb/db.js';
import { REPO_ROOT, startServer, waitFor, type ServerProcess } from '../support/server-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const XSS = '<img src=x onerror=alert(1)>';
/** 2015-07-01T20:10:00Z: the data's first sample; samples every 15 s for ten minutes. */
const T0 = 1435781400000;
const END_INPUT = '2015-07-01 20:20:00';

let dir: string;
let server: ServerProcess;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const shotDir =
  process.env.PROMETHIUM_UI_SCREENSHOTS === 'docs'
    ? path.join(REPO_ROOT, 'docs')
    : fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-shots-'));

async function fillData(dataDir: string): Promise<void> {
  const db = TSDB.open({
    dir: dataDir,
    retentionMs: 0,
    maxBytes: 0,
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
  });
  const app = db.appender();
  const series: Array<[Record<string, string>, (i: number) => number]> = [
    [{ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, () => 1],
    [{ __name__: 'up', job: 'node', instance: 'localhost:9100' }, () => 0],
    [{ __name__: 'http_requests_total', job: 'api', code: '200' }, (i) => i * 10 + (i % 7) * 3],
    [{ __name__: 'http_requests_total', job: 'api', code: '500' }, (i) => i * 2],
    [{ __name__: 'xss_probe', payload: XSS }, () => 42],
  ];
  for (const [labels, f] of series) {
    let ref = 0;
    for (let i = 0; i <= 40; i++) ref = app.append(ref, Labels.fromRecord(labels), T0 + i * 15_000, f(i));
  }
  // a native histogram: buckets (0.5,1], (1,2], (2,4] growing by 1, 2 and 3 per sample
  let href = 0;
  for (let i = 0; i <= 40; i++) {
    href = app.appendHistogram!(
      href,
      Labels.fromRecord({ __name__: 'request_seconds', job: 'api' }),
      T0 + i * 15_000,
      {
        counterResetHint: 0,
        schema: 0,
        zeroThreshold: 0.001,
        zeroCount: 0,
        count: 6 * (i + 1),
        sum: 10 * (i + 1),
        positiveSpans: [{ offset: 0, length: 3 }],
        positiveBuckets: [i + 1, i + 1, i + 1], // deltas: 1, 2, 3 times (i + 1)
        negativeSpans: [],
        negativeBuckets: [],
      },
      undefined,
    );
  }
  await app.commit();
  db.close();
}

/** A port free right now, so the config can name the server's own address before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function typeExpression(expr: string, panel = 0): Promise<void> {
  const content = page.locator(`#panel-${panel} .expression .cm-content`);
  await content.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Backspace');
  await content.pressSequentially(expr);
  await page.keyboard.press('Escape'); // close a completion list, if one opened
}

/** Set when the browser or the server could not start: every test then fails with it (none is skipped). */
let setupError: Error | undefined;

/** A test that first fails with the setup's error, so a missing Chromium shows as failures, not skips. */
function uiTest(name: string, fn: () => Promise<void> | void): void {
  it(name, async () => {
    if (setupError !== undefined) throw setupError;
    await fn();
  });
}

describe('web UI in Chromium', () => {
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
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-'));
    const dataDir = path.join(dir, 'data');
    await fillData(dataDir);
    // For the targets page: the server itself (up) and a target that cannot be scraped (port 1), with a
    // hostile label value.
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 500ms',
        '  evaluation_interval: 1s',
        'rule_files: [rules.yml]',
        // for the remote write page: a queue whose receiver is never there (port 1 refuses)
        'remote_write:',
        '  - url: http://127.0.0.1:1/api/v1/write',
        '    name: nowhere',
        '    queue_config: {batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 200ms}',
        'scrape_configs:',
        '  - job_name: promethium',
        '    metrics_path: /prom/metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
        '  - job_name: broken',
        '    static_configs:',
        "      - targets: ['127.0.0.1:1']",
        '        labels:',
        `          payload: ${JSON.stringify(XSS)}`,
        '',
      ].join('\n'),
    );
    // For the alerts page: one alerting rule that fires (its annotation hostile) and one that never does.
    fs.writeFileSync(
      path.join(dir, 'rules.yml'),
      [
        'groups:',
        '  - name: ui',
        '    rules:',
        '      - alert: AlwaysFiring',
        '        expr: vector(1)',
        '        annotations:',
        `          summary: ${JSON.stringify(XSS)}`,
        '      - alert: NeverFiring',
        '        expr: vector(1) == 0',
        '',
      ].join('\n'),
    );
    server = await startServer(
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${dataDir}`,
        '--web.route-prefix=/prom',
        `--web.listen-address=127.0.0.1:${port}`,
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

  uiTest(
    'shows alerting rules by state with their counts, a state filter and the alerts as text',
    async () => {
      // once the rules have been evaluated
      await waitFor(async () =>
        (await (await server.fetch('/prom/api/v1/alerts')).text()).includes('firing'),
      );
      await page.goto(`${server.url}/prom/alerts`);
      await page.waitForSelector('.state-filter');
      expect(await page.locator('.state-filter').innerText()).toMatch(
        /Inactive \(1\)\s+Pending \(0\)\s+Firing \(1\)/,
      );
      const firing = page.locator('details.alert-rule[data-state="firing"]');
      await firing.locator('summary').click();
      expect(await firing.locator('summary').innerText()).toBe('AlwaysFiring (FIRING, 1 active)');
      expect(await firing.locator('.annotation').innerText()).toBe(`summary: ${XSS}`);
      expect(dialogs).toEqual([]);
      await page.locator('input[data-state="firing"]').uncheck();
      expect(await firing.isHidden()).toBe(true);
      expect(await page.locator('details.alert-rule[data-state="inactive"]').isVisible()).toBe(true);
    },
  );

  uiTest('shows the remote write queues with their shards, backlog and last error', async () => {
    // once the queue has tried to send
    await waitFor(async () =>
      (await (await server.fetch('/prom/api/v1/status/remote_write')).text()).includes('lastError'),
    );
    await page.goto(`${server.url}/prom/remote-write`);
    await page.waitForSelector('#remote-write-queues');
    const cells = await page.locator('#remote-write-queues tbody tr td').allInnerTexts();
    expect(cells.slice(0, 3)).toEqual([
      'nowhere',
      'http://127.0.0.1:1/api/v1/write',
      'prometheus.WriteRequest',
    ]);
    expect(cells[3]).toMatch(/^1 \(desired \d+, 1–50\)$/);
    expect(cells[8]).toMatch(/connect ECONNREFUSED|connection refused/i);
    expect(await page.locator('nav a[data-page="remote-write"]').getAttribute('class')).toContain('active');
  });

  uiTest('runs a query into the table, keeping label values as text', async () => {
    await page.goto(`${server.url}/prom/`);
    expect(new URL(page.url()).pathname).toBe('/prom/query');
    await page.fill('#panel-0 .end-time', END_INPUT);
    await typeExpression('up');
    await page.click('#panel-0 .execute');
    const rows = page.locator('#panel-0 .result-table tr');
    await expect.poll(() => rows.count()).toBe(2);
    const text = await page.locator('#panel-0 .result-table').innerText();
    expect(text).toContain('up{instance="localhost:9090", job="prometheus"}');
    expect(text).toContain('up{instance="localhost:9100", job="node"}');
    expect(new URL(page.url()).searchParams.get('g0.expr')).toBe('up');
    expect(new URL(page.url()).searchParams.get('g0.tab')).toBe('table');

    await typeExpression('xss_probe');
    await page.click('#panel-0 .execute');
    await expect.poll(() => page.locator('#panel-0 .result-table').innerText()).toContain(XSS);
    expect(await page.locator('#panel-0 .output img').count()).toBe(0);
    expect(await page.locator('#panel-0 .result-table .value').innerText()).toBe('42');

    await typeExpression('sum by (code) (rate(http_requests_total[1m]))');
    await page.click('#panel-0 .execute');
    await expect.poll(() => rows.count()).toBe(2);
    await page.screenshot({ path: path.join(shotDir, 'ui-query-table.png') });
  });

  uiTest('draws a range query on the Graph tab with a legend', async () => {
    await page.click('#panel-0 .tab-graph');
    await page.fill('#panel-0 .range', '15m');
    await page.click('#panel-0 .execute');
    const canvas = page.locator('#panel-0 .graph canvas');
    await canvas.waitFor();
    await expect.poll(() => page.locator('#panel-0 .legend li').count()).toBe(2);
    expect(await page.locator('#panel-0 .legend').innerText()).toContain('{code="500"}');
    // The canvas has drawn pixels, not just a blank surface.
    // Structural types: this file is type-checked without the DOM library.
    interface Canvas {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    }
    const painted = await canvas.evaluate((el) => {
      const c = el as unknown as Canvas;
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(1000);
    expect(new URL(page.url()).searchParams.get('g0.tab')).toBe('graph');
    await page.screenshot({ path: path.join(shotDir, 'ui-query-graph.png') });
  });

  uiTest('shows a native histogram in the table with its buckets, and graphs its count', async () => {
    await page.goto(
      `${server.url}/prom/query?g0.expr=request_seconds&g0.tab=table&g0.end_input=${encodeURIComponent(END_INPUT)}`,
    );
    const buckets = page.locator('#panel-0 .result-table .histogram-bucket');
    await expect.poll(() => buckets.count()).toBe(3);
    // at 20:10:00 + 40 × 15 s: 41 observations in (0.5,1], 82 in (1,2], 123 in (2,4]
    expect(await buckets.locator('.bucket-range').allInnerTexts()).toEqual(['(0.5, 1]', '(1, 2]', '(2, 4]']);
    expect(await buckets.locator('.bucket-count').allInnerTexts()).toEqual(['41', '82', '123']);
    expect(await page.locator('#panel-0 .histogram-summary').innerText()).toBe('count 246, sum 410');
    // the largest bucket has the longest bar
    const widths = await buckets
      .locator('.bar')
      .evaluateAll((els) => els.map((e) => (e as unknown as { offsetWidth: number }).offsetWidth));
    expect(widths[2]).toBeGreaterThan(widths[0]);

    await page.goto(
      `${server.url}/prom/query?g0.expr=request_seconds&g0.tab=graph&g0.range_input=10m` +
        `&g0.end_input=${encodeURIComponent(END_INPUT)}`,
    );
    await page.locator('#panel-0 .graph canvas').waitFor();
    await expect
      .poll(() => page.locator('#panel-0 .legend').innerText())
      .toContain('request_seconds{job="api"} (histogram count)');
    const data = await page
      .locator('#panel-0 .graph')
      .evaluate((el) => (el as unknown as { uplot: { data: Array<Array<number | null>> } }).uplot.data[1]);
    expect(data.filter((v) => v !== null).length).toBeGreaterThan(10);
    expect(Math.max(...data.filter((v): v is number => v !== null))).toBe(246);
    expect(pageErrors).toEqual([]);
  });

  uiTest('shows a parse error as text with its position', async () => {
    await page.click('#panel-0 .tab-table');
    await typeExpression('sum(up) +');
    await page.click('#panel-0 .execute');
    const error = page.locator('#panel-0 .error');
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toMatch(/^Error executing query: .*1:10: parse error: unexpected end of input/);
    // The expression's line, then a caret under column 10.
    expect(text.split('\n').slice(-2)).toEqual(['sum(up) +', `${' '.repeat(9)}^`]);
  });

  uiTest('completes PromQL functions and metric names in the editor', async () => {
    const content = page.locator('#panel-0 .expression .cm-content');
    await content.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await content.pressSequentially('histogram_qua');
    const options = page.locator('.cm-tooltip-autocomplete');
    await expect.poll(() => options.innerText()).toContain('histogram_quantile');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await content.pressSequentially('xss_pr');
    await expect.poll(() => options.innerText()).toContain('xss_probe');
    await page.keyboard.press('Escape');
  });

  uiTest('opens old /graph links on the query page with their expression', async () => {
    await page.goto(
      `${server.url}/prom/graph?g0.expr=${encodeURIComponent('up == 0')}&g0.tab=1&g0.end_input=${encodeURIComponent(END_INPUT)}`,
    );
    expect(new URL(page.url()).pathname).toBe('/prom/query');
    await expect.poll(() => page.locator('#panel-0 .result-table tr').count()).toBe(1);
    expect(await page.locator('#panel-0 .result-table').innerText()).toContain('job="node"');
  });

  uiTest(
    'opens several panels from g0/g1 links, adds and removes panels, keeping them in the URL',
    async () => {
      const end = encodeURIComponent(END_INPUT);
      await page.goto(
        `${server.url}/prom/graph?g0.expr=up&g0.tab=1&g0.end_input=${end}` +
          `&g1.expr=http_requests_total&g1.tab=0&g1.range_input=15m&g1.end_input=${end}`,
      );
      expect(new URL(page.url()).pathname).toBe('/prom/query');
      await expect.poll(() => page.locator('.panel').count()).toBe(2);
      await expect.poll(() => page.locator('#panel-0 .result-table tr').count()).toBe(2);
      await page.locator('#panel-1 .graph canvas').waitFor();
      await expect.poll(() => page.locator('#panel-1 .legend li').count()).toBe(2);
      expect(await page.locator('#panel-1 .tab-graph').getAttribute('aria-selected')).toBe('true');

      await page.click('#add-panel');
      await expect.poll(() => page.locator('.panel').count()).toBe(3);
      await expect.poll(() => new URL(page.url()).searchParams.get('g2.expr')).toBe('');
      await page.fill('#panel-2 .end-time', END_INPUT);
      await typeExpression('up == 0', 2);
      await page.click('#panel-2 .execute');
      await expect.poll(() => page.locator('#panel-2 .result-table tr').count()).toBe(1);
      let params = new URL(page.url()).searchParams;
      expect(params.get('g0.expr')).toBe('up');
      expect(params.get('g1.expr')).toBe('http_requests_total');
      expect(params.get('g1.tab')).toBe('graph');
      expect(params.get('g1.range_input')).toBe('15m');
      expect(params.get('g2.expr')).toBe('up == 0');
      expect(params.get('g2.tab')).toBe('table');

      // Removing the middle panel renumbers the rest, in the page and in the URL.
      await page.click('#panel-1 .remove-panel');
      await expect.poll(() => page.locator('.panel').count()).toBe(2);
      params = new URL(page.url()).searchParams;
      expect(params.get('g0.expr')).toBe('up');
      expect(params.get('g1.expr')).toBe('up == 0');
      expect(params.has('g2.expr')).toBe(false);
      expect(await page.locator('#panel-1 .result-table').innerText()).toContain('job="node"');
      await page.screenshot({ path: path.join(shotDir, 'ui-query-panels.png') });
    },
  );

  async function openGraph(extra = ''): Promise<void> {
    await page.goto(
      `${server.url}/prom/query?g0.expr=http_requests_total&g0.tab=graph&g0.range_input=10m` +
        `&g0.end_input=${encodeURIComponent(END_INPUT)}${extra}`,
    );
    await page.locator('#panel-0 .graph canvas').waitFor();
  }

  /** Moves the mouse over the middle of the plotting area and returns the read-out's values. */
  async function hoverValues(): Promise<string[]> {
    const over = page.locator('#panel-0 .graph .u-over');
    const box = await over.boundingBox();
    if (box === null) throw new Error('no plotting area');
    await page.mouse.move(box.x + 5, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('#panel-0 .hover-series').count()).toBe(2);
    return page.locator('#panel-0 .hover-value').allInnerTexts();
  }

  uiTest('shows the time and each series value under the graph cursor', async () => {
    await openGraph();
    const values = await hoverValues();
    for (const v of values) expect(v).toMatch(/^\d+(\.\d+)?$/);
    const text = await page.locator('#panel-0 .hover').innerText();
    expect(text).toMatch(/^2015-07-01 20:1\d:\d\d UTC/);
    expect(text).toContain('http_requests_total{code="200", job="api"}');
    expect(text).toContain('http_requests_total{code="500", job="api"}');
    // The 500s grow by 2 per 15 s sample: i * 2 at the hovered time.
    const [, time] = /^2015-07-01 (\d\d:\d\d:\d\d)/.exec(text) ?? [];
    // The latest sample at or before the hovered time (samples every 15 s from T0).
    const i = Math.floor((Date.parse(`2015-07-01T${time}Z`) - T0) / 15_000);
    expect(values).toContain(String(i * 2));
  });

  uiTest('toggles stacked display, keeping it in the URL and the hover values unstacked', async () => {
    await openGraph();
    const lines = await hoverValues();
    expect(new URL(page.url()).searchParams.get('g0.display_mode')).toBe('lines');
    expect(await page.locator('#panel-0 .output').getAttribute('data-stacked')).toBe('false');
    await page.click('#panel-0 .stacked');
    await expect.poll(() => new URL(page.url()).searchParams.get('g0.display_mode')).toBe('stacked');
    await expect.poll(() => page.locator('#panel-0 .output').getAttribute('data-stacked')).toBe('true');
    await page.locator('#panel-0 .graph canvas').waitFor();
    expect(await hoverValues()).toEqual(lines);
    await page.click('#panel-0 .stacked');
    await expect.poll(() => new URL(page.url()).searchParams.get('g0.display_mode')).toBe('lines');
    // Prometheus 2 links said g0.stacked=1.
    await openGraph('&g0.stacked=1');
    expect(await page.locator('#panel-0 .stacked').isChecked()).toBe(true);
    expect(await page.locator('#panel-0 .output').getAttribute('data-stacked')).toBe('true');
  });

  uiTest('sends the typed resolution as the query_range step, and automatic when empty', async () => {
    const steps: string[] = [];
    const onRequest = (req: { url(): string }): void => {
      const url = new URL(req.url());
      if (url.pathname.endsWith('/api/v1/query_range')) steps.push(url.searchParams.get('step') ?? '');
    };
    page.on('request', onRequest);
    try {
      await openGraph();
      await expect.poll(() => steps.at(-1)).toBe('3'); // 10m / 250, rounded up to whole seconds
      await page.fill('#panel-0 .step', '30');
      await page.press('#panel-0 .step', 'Enter');
      await expect.poll(() => steps.at(-1)).toBe('30');
      expect(new URL(page.url()).searchParams.get('g0.step_input')).toBe('30');
      await expect.poll(() => page.locator('#panel-0 .status').innerText()).toContain('resolution 30s');
      await page.fill('#panel-0 .step', '1m');
      await page.click('#panel-0 .execute');
      await expect.poll(() => steps.at(-1)).toBe('60');
      // A reload keeps the resolution from the URL.
      await page.reload();
      await expect.poll(() => steps.at(-1)).toBe('60');
      expect(await page.locator('#panel-0 .step').inputValue()).toBe('1m');
      await page.fill('#panel-0 .step', '');
      await page.click('#panel-0 .execute');
      await expect.poll(() => steps.at(-1)).toBe('3');
      expect(new URL(page.url()).searchParams.has('g0.step_input')).toBe(false);
    } finally {
      page.off('request', onRequest);
    }
  });

  uiTest('resizes the graph with the window', async () => {
    await openGraph();
    const canvas = page.locator('#panel-0 .graph canvas');
    const wide = (await canvas.boundingBox())?.width ?? 0;
    expect(wide).toBeGreaterThan(900);
    await page.setViewportSize({ width: 700, height: 800 });
    try {
      await expect.poll(async () => (await canvas.boundingBox())?.width ?? 0).toBeLessThan(700);
    } finally {
      await page.setViewportSize({ width: 1200, height: 800 });
    }
    await expect.poll(async () => (await canvas.boundingBox())?.width ?? 0).toBe(wide);
  });

  uiTest('draws x-axis tick labels that never overlap, at any width and range', async () => {
    const overlaps: string[] = [];
    try {
      for (const width of [1200, 700, 420]) {
        await page.setViewportSize({ width, height: 800 });
        for (const range of ['30s', '10m', '1h', '12h', '1d', '1w', '8w']) {
          await page.goto(
            `${server.url}/prom/query?g0.expr=vector(1)&g0.tab=graph&g0.range_input=${range}` +
              `&g0.end_input=${encodeURIComponent(END_INPUT)}`,
          );
          await page.locator('#panel-0 .graph canvas').waitFor();
          // Each label's box from uPlot's own ticks: centred on its position, as wide as its widest line.
          const boxes = await page.locator('#panel-0 .graph').evaluate((el) => {
            const u = (el as unknown as { uplot?: uPlot }).uplot;
            if (u === undefined) throw new Error('no uPlot instance on the chart');
            const axis = u.axes[0] as uPlot.Axis & { _splits: number[]; _values: string[]; font: [string] };
            u.ctx.font = axis.font[0];
            return axis._values.map((text, i) => {
              const w = Math.max(
                ...String(text)
                  .split('\n')
                  .map((l) => u.ctx.measureText(l).width),
              );
              const x = u.valToPos(axis._splits[i], 'x', true);
              return { text: String(text), left: x - w / 2, right: x + w / 2 };
            });
          });
          expect(boxes.length).toBeGreaterThan(0);
          for (let i = 1; i < boxes.length; i++) {
            if (boxes[i - 1].right > boxes[i].left)
              overlaps.push(
                `${width}px ${range}: ${JSON.stringify(boxes[i - 1].text)} / ${JSON.stringify(boxes[i].text)}`,
              );
          }
        }
      }
    } finally {
      await page.setViewportSize({ width: 1200, height: 800 });
    }
    expect(overlaps).toEqual([]);
  });

  uiTest('lists the targets by pool with their state, error and labels as text', async () => {
    await page.goto(`${server.url}/prom/targets`);
    // The page reads the targets once; reload until both have been scraped.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.locator('#targets .health').first().waitFor();
          return page.locator('#targets .health').allInnerTexts();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toEqual(['DOWN', 'UP']);
    const text = await page.locator('#targets').innerText();
    expect(text).toContain('broken (0/1 up)');
    expect(text).toContain('promethium (1/1 up)');
    expect(text).toContain('connection refused');
    expect(text).toContain('http://127.0.0.1:1/metrics');
    expect(text).toContain(`payload="${XSS}"`);
    expect(await page.locator('#targets img').count()).toBe(0);
    await page.screenshot({ path: path.join(shotDir, 'ui-targets.png') });
  });

  uiTest('never ran script from the data and threw no page errors', () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
