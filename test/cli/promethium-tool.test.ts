// `promethium-tool check config` against promtool's own fixtures and files made here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceFixtures } from '../support/conformance.js';
import { requireBuilt, TOOL_BIN } from '../support/server-process.js';

const fixtures = conformanceFixtures('promtool', 'promethium-tool check config (promtool fixtures)');
const PROMTOOL = fixtures.dir;
const CONFIG = path.join(PROMTOOL, '../config');
let dir: string;

beforeAll(() => {
  requireBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-tool-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tool = (...args: string[]) =>
  spawnSync(process.execPath, [TOOL_BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};

describe.skipIf(!fixtures.present)('promethium-tool check config', () => {
  it("passes a valid config and prints promtool's lines", () => {
    const file = path.join(PROMTOOL, 'prometheus-config.good.yml');
    const res = tool('check', 'config', file);
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(`Checking ${file}\n SUCCESS: ${file} is valid prometheus config file syntax\n\n`);
  });

  it('fails an invalid config with exit 1 and the reason', () => {
    const res = tool('check', 'config', path.join(PROMTOOL, 'prometheus-config.bad.yml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/ {2}FAILED: .*prometheus-config\.bad\.yml:1:1: .*not-prometheus/);
  });

  it('checks every file and fails when any fails', () => {
    const good = path.join(PROMTOOL, 'prometheus-config.good.yml');
    const res = tool('check', 'config', good, path.join(CONFIG, 'jobname_dup.bad.yml'));
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(` SUCCESS: ${good} is valid`);
    expect(res.stderr).toContain('FAILED');
  });

  it('requires rule files named without a wildcard to exist', () => {
    const res = tool('check', 'config', path.join(PROMTOOL, 'config_with_rule_files.yml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('non-existent-file.yml" does not point to an existing file');
    // --syntax-only skips the file checks
    expect(
      tool('check', 'config', '--syntax-only', path.join(PROMTOOL, 'config_with_rule_files.yml')).status,
    ).toBe(0);
  });

  it('counts rule files found through globs', () => {
    write('rules/a.yml', 'groups: []\n');
    write('rules/b.yml', 'groups: []\n');
    const cfg = write('with-rules.yml', 'rule_files: ["rules/*.yml", "rules/a.yml"]\n');
    const res = tool('check', 'config', cfg);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('  SUCCESS: 3 rule files found');
  });

  it('checks TLS client files exist and come in pairs', () => {
    const res = tool('check', 'config', path.join(PROMTOOL, 'config_with_tls_files.yml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('nonexistent_cert_file.yml: no such file or directory');
    write('cert.pem', 'x');
    const unpaired = write(
      'unpaired.yml',
      'scrape_configs:\n  - job_name: a\n    tls_config:\n      cert_file: cert.pem\n',
    );
    const r2 = tool('check', 'config', unpaired);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(
      'unpaired.yml:4:7: scrape_configs[0].tls_config: exactly one of key or key_file must be configured',
    );
  });

  it('checks credential files', () => {
    expect(
      tool('check', 'config', path.join(PROMTOOL, 'authorization_credentials_file.good.yml')).status,
    ).toBe(0);
    const bad = tool('check', 'config', path.join(PROMTOOL, 'authorization_credentials_file.bad.yml'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('/random/file/which/does/not/exist.yml');
  });

  it('checks the files promtool checks, and names the field as written', () => {
    // promtool leaves CA files, basic_auth and OAuth2 secrets and SD client credentials to the server
    const unchecked = write(
      'unchecked.yml',
      'scrape_configs:\n  - job_name: a\n    tls_config:\n      ca_file: /nonexistent/ca.pem\n' +
        '    basic_auth:\n      username: u\n      password_file: /nonexistent/password\n' +
        '    http_sd_configs:\n      - url: http://sd.example/\n        bearer_token_file: /nonexistent/sd-token\n',
    );
    const ok = tool('check', 'config', unchecked);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const bearer = write(
      'bearer.yml',
      'scrape_configs:\n  - job_name: a\n    bearer_token_file: /nonexistent/token\n',
    );
    const res = tool('check', 'config', bearer);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      '  FAILED: scrape_configs[0].bearer_token_file: error checking authorization credentials or bearer token file "/nonexistent/token": stat /nonexistent/token: no such file or directory\n',
    );
    const k8s = write(
      'k8s.yml',
      'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - role: pod\n        api_server: https://k8s.example\n' +
        '        tls_config:\n          cert_file: /nonexistent/c.pem\n          key_file: /nonexistent/k.pem\n',
    );
    expect(tool('check', 'config', k8s).stderr).toBe(
      '  FAILED: scrape_configs[0].kubernetes_sd_configs[0].tls_config.cert_file: error checking client cert file "/nonexistent/c.pem": stat /nonexistent/c.pem: no such file or directory\n',
    );
  });

  it('parses file_sd files, warns about missing ones, and fails on a broken one', () => {
    const good = write(
      'sd-good.yml',
      `scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [${JSON.stringify(path.join(PROMTOOL, 'good-sd-file.json'))}, ${JSON.stringify(path.join(PROMTOOL, 'good-sd-file.yml'))}, missing/*.json]\n`,
    );
    const res = tool('check', 'config', good);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(
      `  WARNING: file "${path.join(dir, 'missing/*.json')}" for file_sd in scrape job "a" does not exist\n`,
    );
    const broken = write(
      'sd-bad.yml',
      `scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [${JSON.stringify(path.join(PROMTOOL, 'bad-sd-file-format.yml'))}]\n`,
    );
    const r2 = tool('check', 'config', broken);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('unknown field "targats"');
  });

  it('reports usage errors with exit 1', () => {
    const res = tool('check', 'config');
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("required argument 'config-files' not provided");
    expect(tool('frobnicate').status).toBe(1);
    expect(tool('--help').status).toBe(0);
  });
});

describe.skipIf(!fixtures.present)('promethium-tool check rules', () => {
  it('counts the rules of a good file (rules.yml) and exits 0', () => {
    const res = tool('check', 'rules', path.join(PROMTOOL, 'rules.yml'));
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Checking .*rules\.yml\n {2}SUCCESS: \d+ rules found\n\n$/);
  });

  it('lists every error of a bad file and exits 1 (rules-bad.yml)', () => {
    const res = tool('check', 'rules', path.join(PROMTOOL, 'rules-bad.yml'));
    expect(res.status).toBe(1);
    expect(res.stderr.startsWith('  FAILED:\n')).toBe(true);
    expect(res.stderr).toContain(`${path.join(PROMTOOL, 'rules-bad.yml')}: `);
  });

  it('reports duplicate rules as a lint problem: exit 0, or 3 with --lint-fatal; none disables it', () => {
    const file = path.join(PROMTOOL, 'prometheus-rules.lint.yml');
    const res = tool('check', 'rules', file);
    expect(res.status).toBe(0);
    expect(res.stderr).toContain(
      'lint error 1 duplicate rule(s) found.\nMetric: HighRequestLatency\nLabel(s):\n\tseverity: page\nMight cause inconsistency while recording expressions',
    );
    expect(tool('check', 'rules', '--lint-fatal', file).status).toBe(3);
    expect(tool('check', 'rules', '--lint=none', '--lint-fatal', file).status).toBe(0);
  });

  it('finds the duplicate across groups (rules_duplicates.yml)', () => {
    const res = tool('check', 'rules', path.join(PROMTOOL, 'rules_duplicates.yml'));
    expect(res.stderr).toContain('Metric: job:test:count_over_time1m\nLabel(s):\nMight cause inconsistency');
  });

  it('check config now checks the contents of the rule files it names', () => {
    // prometheus-config.lint.yml names prometheus-rules.lint.yml, whose rules are duplicates
    const lint = path.join(PROMTOOL, 'prometheus-config.lint.yml');
    const linted = tool('check', 'config', lint);
    expect(linted.status).toBe(0);
    expect(linted.stdout).toContain('Checking ' + path.join(PROMTOOL, 'prometheus-rules.lint.yml'));
    expect(linted.stderr).toContain('lint error 1 duplicate rule(s) found.');
    expect(tool('check', 'config', '--lint-fatal', lint).status).toBe(3);
    expect(tool('check', 'rules', path.join(PROMTOOL, 'prometheus-config.rules.good.yml')).stdout).toContain(
      '  SUCCESS: 0 rules found',
    );
    write('bad-rules/r.yml', 'groups:\n- name: g\n  rules:\n  - record: x\n');
    const cfg = write('bad-rules/prometheus.yml', 'rule_files: ["r.yml"]\n');
    const bad = tool('check', 'config', cfg);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`field 'expr' must be set in rule`);
  });
});
