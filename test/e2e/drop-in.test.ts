// A Prometheus user's existing command lines and configs start Promethium: the 2.x image's default
// command, Debian's packaged prometheus.yml, the example config Prometheus 3 ships, every 3.14 flag,
// and what the status API says about them (buildinfo's version, flags, targets' globalUrl).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_BIN, serverFixtures, waitFor, type ServerProcess } from '../support/server-process.js';

const DEBIAN_CONFIG = '/etc/prometheus/prometheus.yml';

const { tmp, start } = serverFixtures('promethium-dropin-');

async function json<T>(s: ServerProcess, p: string): Promise<T> {
  return ((await (await s.fetch(p)).json()) as { data: T }).data;
}

/** The structure of documentation/examples/prometheus.yml in Prometheus 3.14, written out here. */
const PROMETHEUS_3_EXAMPLE = `
global:
  scrape_interval: 15s
  evaluation_interval: 15s
alerting:
  alertmanagers:
    - static_configs:
        - targets:
          # - alertmanager:9093
rule_files:
  # - "first_rules.yml"
scrape_configs:
  - job_name: "prometheus"
    static_configs:
      - targets: ["localhost:PORT"]
        labels:
          app: "prometheus"
    scrape_native_histograms: true
`;

describe('drop-in start-up', () => {
  it("starts with the 2.x image's default command line, saying once that the console flags do nothing", async () => {
    const dir = tmp();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, 'scrape_configs: []\n');
    const s = await start([
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.console.libraries=/usr/share/prometheus/console_libraries',
      '--web.console.templates=/usr/share/prometheus/consoles',
    ]);
    const logs = s.logs();
    for (const flag of ['web.console.libraries', 'web.console.templates']) {
      const lines = logs.split('\n').filter((l) => l.includes(`flag=--${flag} `));
      expect(lines, flag).toHaveLength(1);
      expect(lines[0]).toContain('msg="Flag has no effect in Promethium"');
    }
    const flags = await json<Record<string, string>>(s, '/api/v1/status/flags');
    expect(flags['web.console.templates']).toBe('/usr/share/prometheus/consoles');
    // unset, the route prefix shows as it applies, as in Prometheus
    expect(flags['web.route-prefix']).toBe('/');
    expect(flags['rules.alert.resend-delay']).toBe('1m');
    expect(flags['storage.tsdb.min-block-duration']).toBe('2h');
  });

  it("starts with the prometheus.yml Debian's prometheus package installs", async () => {
    if (!fs.existsSync(DEBIAN_CONFIG)) {
      throw new Error(
        `${DEBIAN_CONFIG} is missing: install Debian's prometheus (apt-get install prometheus; .ci/run does)`,
      );
    }
    const dir = tmp();
    const s = await start([
      `--config.file=${DEBIAN_CONFIG}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
    ]);
    // its Alertmanager is discovered (and alerts would go there)
    await waitFor(async () => {
      const ams = await json<{ activeAlertmanagers: Array<{ url: string }> }>(s, '/api/v1/alertmanagers');
      return ams.activeAlertmanagers.some((a) => a.url === 'http://localhost:9093/api/v2/alerts');
    }, 20_000);
    const cfg = await json<{ yaml: string }>(s, '/api/v1/status/config');
    expect(cfg.yaml).toContain('localhost:9093');
    expect(cfg.yaml).toContain('job_name: node');
    const targets = await json<{ activeTargets: Array<{ labels: { job: string }; globalUrl: string }> }>(
      s,
      '/api/v1/targets',
    );
    // localhost is not reachable from elsewhere: globalUrl names this host, as Prometheus's does
    const node = targets.activeTargets.find((t) => t.labels.job === 'node');
    expect(node?.globalUrl).toBe(`http://${os.hostname()}:9100/metrics`);
  });

  it('starts with the example config Prometheus 3 ships, with scrape_native_histograms (protobuf first; this server answers in text)', async () => {
    const dir = tmp();
    const config = path.join(dir, 'prometheus.yml');
    // the job scrapes this server: its port is known once it listens, so the file is rewritten then
    fs.writeFileSync(config, PROMETHEUS_3_EXAMPLE.replace('PORT', '1'));
    const s = await start([
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.enable-lifecycle',
    ]);
    const port = new URL(s.url).port;
    fs.writeFileSync(config, PROMETHEUS_3_EXAMPLE.replace('PORT', port));
    expect((await s.fetch('/-/reload', { method: 'POST' })).status).toBe(200);
    // native histograms are scraped, stored and queried: no warning about them any more
    expect(s.logs()).not.toMatch(/scrape_native_histograms/);
    type Targets = { activeTargets: Array<{ health: string; globalUrl: string; scrapeUrl: string }> };
    await waitFor(
      async () => (await json<Targets>(s, '/api/v1/targets')).activeTargets[0]?.health === 'up',
      20_000,
    );
    const [self] = (await json<Targets>(s, '/api/v1/targets')).activeTargets;
    // this server's own port: scheme and host:port of the external URL (host name and port by default)
    expect(self.scrapeUrl).toBe(`http://localhost:${port}/metrics`);
    expect(self.globalUrl).toBe(`http://${os.hostname()}:${port}/metrics`);
  });

  it("reports the Prometheus version whose API it implements, with its own and Node.js's", async () => {
    const s = await start([`--storage.tsdb.path=${path.join(tmp(), 'data')}`]);
    const build = await json<Record<string, string>>(s, '/api/v1/status/buildinfo');
    expect(build.version).toBe('3.14.0');
    const pkg = JSON.parse(
      fs.readFileSync(path.join(path.dirname(SERVER_BIN), '../../../package.json'), 'utf8'),
    ) as {
      version: string;
    };
    expect(build.promethiumVersion).toBe(pkg.version);
    expect(build.nodeVersion).toBe(process.version);
  });

  it('reloads by itself with --config.auto-reload when the config file changes', async () => {
    const dir = tmp();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, 'scrape_configs:\n  - job_name: before\n');
    const s = await start([
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--config.auto-reload',
      '--config.auto-reload-interval=1s',
    ]);
    expect(s.logs()).toContain('msg="Automatic configuration file reloading enabled" interval=1s');
    fs.writeFileSync(config, 'scrape_configs:\n  - job_name: after\n');
    await waitFor(
      async () => (await json<{ yaml: string }>(s, '/api/v1/status/config')).yaml.includes('after'),
      10_000,
    );
    expect(s.logs()).toContain('Configuration file change detected, reloading the configuration.');
  });

  it('serves --web.user-assets under /user/', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'assets', 'logo.txt'), 'our logo\n');
    const s = await start([
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.user-assets=${path.join(dir, 'assets')}`,
    ]);
    const res = await s.fetch('/user/logo.txt');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('our logo\n');
    expect((await s.fetch('/user/missing.txt')).status).toBe(404);
  });
});

describe('flags Prometheus handles before starting', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [SERVER_BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

  it('prints the flags as Markdown with --write-documentation, hidden ones included', () => {
    const res = run(['--write-documentation']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(
      '| <code class="text-nowrap">--storage.tsdb.min-block-duration=DURATION</code> |',
    );
    expect(res.stdout).toContain('--web.console.templates');
  });

  it('exits 3 on flags of the other mode, as Prometheus does', () => {
    const res = run(['--storage.agent.path=/tmp/x']);
    expect(res.status).toBe(3);
    expect(res.stderr).toBe(
      'The following flag(s) can only be used in agent mode: ["--storage.agent.path"]\n',
    );
  });
});
