// A target that fails: an HTTP error status, then a body the parser rejects. The targets API shows it
// down with the error, `up` is 0, nothing of a rejected body is stored, and it recovers when fixed.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import {
  eventually,
  queryValue,
  queryVector,
  scrapeConfigYaml,
  startTarget,
  targetOf,
  tempDirs,
  type TestTarget,
} from '../support/scrape-e2e.js';

const dirs = tempDirs('promethium-scrape-fail-');
const running: ServerProcess[] = [];
const targets: TestTarget[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
  dirs.cleanup();
});

describe('failing scrape targets', () => {
  it('reports an HTTP 500 and then a malformed body as down with lastError, and up == 0', async () => {
    const target = await startTarget({ body: 'metric_a 1\n' });
    targets.push(target);
    const dir = dirs.make();
    const cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      cfg,
      scrapeConfigYaml(
        `  - job_name: failing\n    static_configs:\n      - targets: ['${target.address}']\n`,
      ),
    );
    const s = await startServer(['--config.file', cfg, '--storage.tsdb.path', path.join(dir, 'data')]);
    running.push(s);
    await eventually(
      s,
      'metric_a scraped',
      () => queryValue(s, 'metric_a{job="failing"}'),
      (v) => v === 1,
    );

    target.reply = { status: 500, body: 'oops\n', contentType: 'text/plain' };
    const http500 = await eventually(
      s,
      'target down with the HTTP status',
      () => targetOf(s, 'failing'),
      (t) => t.health === 'down',
    );
    expect(http500.lastError).toBe('server returned HTTP status 500 Internal Server Error');
    expect(http500.scrapeUrl).toBe(`http://${target.address}/metrics`);
    await eventually(
      s,
      'up == 0',
      () => queryValue(s, 'up{job="failing"}'),
      (v) => v === 0,
    );
    expect(await queryValue(s, 'scrape_samples_scraped{job="failing"}')).toBe(0);
    // a failed scrape ends the series of the previous one (stale markers), as Prometheus does
    expect(await queryVector(s, 'metric_a')).toEqual([]);

    // a body that starts well and breaks on line 2: the scrape fails as a whole
    target.reply = {
      status: 200,
      body: 'metric_a 1\nmetric_b{job="x" 2\n',
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    };
    const malformed = await eventually(
      s,
      'target down with the parser error',
      () => targetOf(s, 'failing'),
      (t) => t.health === 'down' && t.lastError !== http500.lastError,
    );
    expect(malformed.lastError).toContain('expected label name, got "2"');
    expect(malformed.lastError).toContain('metric_b{job=\\"x\\" 2');
    // wait for a scrape after the one that failed, so the up sample of the failed one is committed
    await target.served(2);
    expect(await queryValue(s, 'up{job="failing"}')).toBe(0);
    // nothing of the rejected body is stored: metric_a of its line 1 was rolled back
    expect(await queryVector(s, 'metric_a')).toEqual([]);

    // fixed: up again, the error clears, the samples arrive
    target.reply = { ...target.reply, body: '# TYPE metric_a gauge\nmetric_a 1\n' };
    await eventually(
      s,
      'up == 1 after the fix',
      () => queryValue(s, 'up{job="failing"}'),
      (v) => v === 1,
    );
    const fixed = await targetOf(s, 'failing');
    expect(fixed.health).toBe('up');
    expect(fixed.lastError).toBe('');
    expect(await queryValue(s, `metric_a{job="failing",instance="${target.address}"}`)).toBe(1);
  });
});
