import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { ScrapeConfig } from '../../src/config/types.js';
import { compileRelabels } from '../../src/model/relabel/relabel.js';
import { populateLabels, publicLabels, targetURL } from '../../src/scrape/target.js';

function job(yaml: string): ScrapeConfig {
  const cfg = parseConfig(`scrape_configs:\n${yaml}`, 'prometheus.yml', '/tmp');
  return cfg.scrape_configs[0];
}

function populate(cfg: ScrapeConfig, target: Record<string, string>, group: Record<string, string> = {}) {
  return populateLabels(cfg, compileRelabels(cfg.relabel_configs), target, group);
}

describe('populateLabels', () => {
  it('adds the job defaults, drops __meta_* and defaults instance to the address', () => {
    const cfg = job(`  - job_name: node\n    scrape_interval: 30s\n    params: {module: [a, b]}\n`);
    const r = populate(cfg, { __address__: 'h:9100', __meta_x: 'y' }, { env: 'prod' });
    expect(r.kind).toBe('active');
    if (r.kind !== 'active') return;
    expect(r.discovered.toRecord()).toEqual({
      __address__: 'h:9100',
      __meta_x: 'y',
      __metrics_path__: '/metrics',
      __param_module: 'a',
      __scheme__: 'http',
      __scrape_interval__: '30s',
      __scrape_timeout__: '10s',
      env: 'prod',
      job: 'node',
    });
    expect(publicLabels(r.labels).toRecord()).toEqual({ env: 'prod', instance: 'h:9100', job: 'node' });
    expect(targetURL(cfg, r.labels)).toBe('http://h:9100/metrics?module=a&module=b');
  });

  it('lets target labels win over group labels and relabelling change everything', () => {
    const cfg = job(
      [
        '  - job_name: k',
        '    relabel_configs:',
        '      - {source_labels: [__meta_node], regex: (.+), target_label: __metrics_path__, replacement: /api/v1/nodes/$1/proxy/metrics}',
        '      - {target_label: __address__, replacement: kubernetes.default.svc:443}',
        '      - {target_label: __scheme__, replacement: https}',
        '      - {target_label: __param_x, replacement: "1"}',
        '',
      ].join('\n'),
    );
    const r = populate(cfg, { __address__: '10.0.0.1:10250', __meta_node: 'n1', zone: 't' }, { zone: 'g' });
    if (r.kind !== 'active') throw new Error(JSON.stringify(r));
    expect(publicLabels(r.labels).toRecord()).toEqual({
      instance: 'kubernetes.default.svc:443',
      job: 'k',
      zone: 't',
    });
    expect(targetURL(cfg, r.labels)).toBe(
      'https://kubernetes.default.svc:443/api/v1/nodes/n1/proxy/metrics?x=1',
    );
  });

  it('reports dropped targets and errors as Prometheus words them', () => {
    const drop = job(
      `  - job_name: d\n    relabel_configs: [{source_labels: [a], regex: x, action: drop}]\n`,
    );
    expect(populate(drop, { __address__: 'h:1', a: 'x' }).kind).toBe('dropped');
    const noAddr = job(`  - job_name: n\n    relabel_configs: [{regex: __address__, action: labeldrop}]\n`);
    expect(populate(noAddr, { __address__: 'h:1' })).toMatchObject({ kind: 'error', error: 'no address' });
    const j = job(`  - job_name: j\n`);
    expect(populate(j, { __address__: 'h:1/x' })).toMatchObject({
      kind: 'error',
      error: '"h:1/x" is not a valid hostname',
    });
    expect(populate(j, { __address__: 'h:1', __scrape_timeout__: '2m' })).toMatchObject({
      kind: 'error',
      error: 'scrape timeout cannot be greater than scrape interval ("2m" > "1m")',
    });
    expect(populate(j, { __address__: 'h:1', __scrape_interval__: 'soon' })).toMatchObject({
      kind: 'error',
      error: 'error parsing scrape interval: not a valid duration string: "soon"',
    });
  });
});
