// The real `promethium` binary: flags, embedded default config, lifecycle, reload, shutdown, lock.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryNodeFlags } from '../../bench/harness.js';
import { REPO_ROOT, SERVER_BIN, serverFixtures, waitFor } from '../support/server-process.js';

const { tmp, start } = serverFixtures('promethium-e2e-');

const run = (args: string[], cwd?: string) =>
  spawnSync(process.execPath, [SERVER_BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const GOOD = `global:\n  scrape_interval: 30s\nscrape_configs:\n  - job_name: first\n    static_configs:\n      - targets: ['localhost:9100']\n`;

describe('promethium command line', () => {
  it('prints --help with every Prometheus flag and exits 0', () => {
    const res = run(['--help']);
    expect(res.status).toBe(0);
    for (const flag of [
      '--config.file',
      '--web.listen-address',
      '--web.external-url',
      '--web.route-prefix',
      '--[no-]web.enable-lifecycle',
      '--[no-]web.enable-admin-api',
      '--[no-]web.enable-remote-write-receiver',
      '--web.config.file',
      '--web.cors.origin',
      '--storage.tsdb.path',
      '--storage.tsdb.retention.time',
      '--storage.tsdb.retention.size',
      '--query.timeout',
      '--query.max-samples',
      '--query.lookback-delta',
      '--query.max-concurrency',
      '--enable-feature',
      '--log.level',
      '--log.format',
    ]) {
      expect(res.stdout).toContain(flag);
    }
  });

  it('fails with a clear error and exit 1 on an unknown flag or a bad value', () => {
    const unknown = run(['--web.listen-adress=:9090']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(
      "promethium: error: unknown long flag '--web.listen-adress', try --help",
    );
    const bad = run(['--query.timeout', 'soon']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('invalid value "soon" for flag \'--query.timeout\'');
  });

  it("keeps V8's compiled code in an on-disk cache for the next start (the OS temp directory)", () => {
    const cache = tmp();
    // (NODE_COMPILE_CACHE would turn the cache on by itself: the server must do it)
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: cache };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const res = spawnSync(process.execPath, [SERVER_BIN, '--version'], {
      encoding: 'utf8',
      timeout: 20_000,
      env,
    });
    expect(res.status, res.stderr).toBe(0);
    // the server's code was loaded through the cache, which now holds it
    const files = fs.readdirSync(path.join(cache, 'node-compile-cache'), { recursive: true }) as string[];
    expect(files.length).toBeGreaterThan(0);
  });

  it('writes a code cache of its start once ready, which a restart after kill -9 takes', async () => {
    const cache = tmp();
    const dir = tmp();
    const env = { NODE_COMPILE_CACHE: cache, NODE_DEBUG: 'promethium_code_cache' };
    const first = await start(['--storage.tsdb.path=data'], dir, env);
    await first.waitForLog(/code cache written/);
    first.child.kill('SIGKILL');
    await first.exited;
    // the bundle's (code-cache.ts) and Node's own for the other modules, which Node itself writes
    // only at a clean exit
    const files = (fs.readdirSync(cache, { recursive: true }) as string[]).filter((f) =>
      fs.statSync(path.join(cache, f)).isFile(),
    );
    expect(files.filter((f) => f.includes('promethium'))).toHaveLength(1);
    expect(files.length).toBeGreaterThan(1);
    const second = await start(['--storage.tsdb.path=data'], dir, env);
    await second.waitForLog(/code cache accepted/);
    await waitFor(async () => (await second.fetch('/-/ready')).status === 200);
  });

  it('keeps no code cache with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const cache = tmp();
    const s = await start(['--storage.tsdb.path=data'], tmp(), {
      NODE_DISABLE_COMPILE_CACHE: '1',
      NODE_DEBUG: 'promethium_code_cache',
      TMPDIR: cache,
    });
    await s.waitForLog(/code cache off/);
    await waitFor(async () => (await s.fetch('/-/ready')).status === 200);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it('runs with the same Node.js flags however it is started: its #! line, npm start, the Dockerfile', () => {
    const flags = entryNodeFlags(fs.readFileSync(SERVER_BIN, 'utf8'));
    // the young generation's size and the heap's growing factor (see promethium.ts); `env -S` splits
    // the #! line's words
    expect(flags).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=50']);
    expect(fs.readFileSync(SERVER_BIN, 'utf8')).toMatch(/^#!\/usr\/bin\/env -S node /);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toContain(`node ${flags.join(' ')} dist/src/cli/promethium.js`);
    const docker = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(docker).toContain(
      `ENTRYPOINT ${JSON.stringify(['node', ...flags, '/app/dist/src/cli/promethium.js']).replaceAll(',', ', ')}`,
    );
  });

  /** `promethium --version` with a module preloaded before the server (`source`); its stderr. */
  function versionWithHook(source: string): string {
    const hook = path.join(tmp(), 'hook.mjs');
    fs.writeFileSync(hook, source);
    const res = spawnSync(process.execPath, ['--import', hook, SERVER_BIN, '--version'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^promethium, version/);
    return res.stderr;
  }

  it('loads the server as one bundled file, not its modules one by one', () => {
    // counts the modules of dist/src that Node loads, through a module hook preloaded before the server
    const stderr = versionWithHook(`import module from 'node:module';
const seen = new Set();
module.registerHooks({ load(url, context, next) { if (url.includes('/dist/src/')) seen.add(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...seen].map((u) => u.replace(/.*\\/dist\\/src\\//, ''))) + '\\n'));
`);
    const loaded = JSON.parse(/LOADED (.*)/.exec(stderr)![1]!) as string[];
    // the bundle is run by code-cache.js as a script, not loaded as a module
    expect(loaded.sort()).toEqual(['cli/code-cache.js', 'cli/promethium.js']);
  });

  it('starts without the snappy addon and without the parts of undici that scraping does not use', () => {
    // the packages of node_modules that Node loads at a start (to --version: everything the server's
    // modules load at their evaluation)
    const stderr = versionWithHook(`import module from 'node:module';
const seen = new Set();
module.registerHooks({ load(url, context, next) { const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url); if (m) seen.add(m[1]); return next(url, context); } });
process.on('exit', () => process.stderr.write('PACKAGES ' + JSON.stringify([...seen]) + '\\n'));
`);
    const packages = JSON.parse(/PACKAGES (.*)/.exec(stderr)![1]!) as string[];
    expect(packages).toContain('better-sqlite3');
    expect(packages).not.toContain('snappy');
    // undici is bundled: its fetch, WebSocket, EventSource and mocks are left out of the bundle
    const bundle = fs.readFileSync(path.join(path.dirname(SERVER_BIN), 'promethium-bundle.cjs'), 'utf8');
    expect(bundle).toContain('var require_agent');
    for (const part of ['require_fetch', 'require_websocket', 'require_eventsource', 'require_mock_agent']) {
      expect(bundle).not.toContain(`var ${part}=`);
    }
  });

  it('loads a bundle that is ASCII and takes built-in modules without ES module facades', () => {
    // non-ASCII source would be a two-byte string, slower to decode at every start
    const bundle = fs.readFileSync(path.join(path.dirname(SERVER_BIN), 'promethium-bundle.cjs'));
    expect(bundle.findIndex((b) => b > 0x7f)).toBe(-1);
    // an import of node:http builds a facade that reads its lazy WebSocket getter, which loads Node's
    // own undici (~40 ms of every start); the server never uses it
    const stderr = versionWithHook(
      `process.on('exit', () => process.stderr.write('UNDICI ' + process.moduleLoadList.some((m) => m.includes('internal/deps/undici')) + '\\n'));\n` +
        `process.on('exit', () => process.stderr.write('HTTP2 ' + process.moduleLoadList.some((m) => m.includes('http2')) + '\\n'));\n`,
    );
    expect(stderr).toContain('UNDICI false');
    // nor node:http2, which fastify and undici require at their load for what the server does not use
    // (scripts/bundle.mjs; ~15-20 ms)
    expect(stderr).toContain('HTTP2 false');
  });

  it('fails at start on a bad config, naming file, line and field', () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      'global:\n  scrape_interval: 15s\n  scrape_timeout: 20s\n',
    );
    const res = run(['--config.file=prometheus.yml', '--web.listen-address=127.0.0.1:0'], dir);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/prometheus\.yml:\d+:\d+: global\.scrape_timeout/);
  });
});

describe('promethium server', () => {
  it('starts with the embedded default config in ./data when no prometheus.yml exists', async () => {
    const cwd = tmp();
    const s = await start([], cwd);
    expect(fs.existsSync(path.join(cwd, 'data', 'lock'))).toBe(true);
    expect(fs.existsSync(path.join(cwd, 'data', 'wal'))).toBe(true);
    const tsdb = (await (await fetch(`${s.url}/api/v1/status/tsdb`)).json()) as {
      status: string;
      data: { headStats: { numSeries: number } };
    };
    expect(tsdb.status).toBe('success');
    expect(tsdb.data.headStats.numSeries).toBe(0);
    const bad = await fetch(`${s.url}/api/v1/status/tsdb?limit=0`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'limit must be a positive number',
    });
    const body = (await (await fetch(`${s.url}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    const port = new URL(s.url).port;
    expect(body.data.yaml).toContain('job_name: prometheus');
    expect(body.data.yaml).toContain(`localhost:${port}`);
    expect(body.data.yaml).toContain('scrape_interval: 15s');
    const flags = (await (await fetch(`${s.url}/api/v1/status/flags`)).json()) as {
      data: Record<string, string>;
    };
    expect(flags.data['storage.tsdb.path']).toBe('data/');
    expect(flags.data['web.listen-address']).toBe('127.0.0.1:0');
    // durations as Go's model.Duration prints them: the default retention reads "15d", not "2w1d"
    expect(flags.data['storage.tsdb.retention.time']).toBe('0s'); // unset, as Prometheus shows it
    const runtime = (await (await fetch(`${s.url}/api/v1/status/runtimeinfo`)).json()) as {
      data: { storageRetention: string };
    };
    expect(runtime.data.storageRetention).toBe('15d');
  });

  it('exposes self-metrics: process, Node.js runtime, build info and reload state', async () => {
    const s = await start(['--storage.tsdb.path', path.join(tmp(), 'data')]);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'promethium_build_info{',
      'prometheus_config_last_reload_successful 1',
      'prometheus_ready 1',
    ]) {
      expect(text).toContain(name);
    }
    const build = (await (await fetch(`${s.url}/api/v1/status/buildinfo`)).json()) as {
      data: Record<string, string>;
    };
    expect(build.data.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(text).toContain(`version="${build.data.promethiumVersion}"`);
  });

  it('keeps the old config on a bad reload, reports it, and takes a good one on SIGHUP', async () => {
    const dir = tmp();
    const file = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(file, GOOD);
    const s = await start([
      `--config.file=${file}`,
      '--web.enable-lifecycle',
      `--storage.tsdb.path=${dir}/data`,
    ]);
    const configYaml = async () =>
      ((await (await fetch(`${s.url}/api/v1/status/config`)).json()) as { data: { yaml: string } }).data.yaml;
    expect(await configYaml()).toContain('job_name: first');

    fs.writeFileSync(file, GOOD + '  - job_name: first\n');
    const res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(
      /failed to reload config: .*prometheus\.yml:\d+:\d+: scrape_configs\[1\]/,
    );
    expect(await metric(s.url, 'prometheus_config_last_reload_successful')).toBe(0);
    await s.waitForLog(/level=ERROR msg="Error reloading config"/);
    expect(await configYaml()).toContain('job_name: first');
    const runtime = (await (await fetch(`${s.url}/api/v1/status/runtimeinfo`)).json()) as {
      data: { reloadConfigSuccess: boolean };
    };
    expect(runtime.data.reloadConfigSuccess).toBe(false);

    fs.writeFileSync(file, GOOD.replace('first', 'second'));
    s.child.kill('SIGHUP');
    await waitFor(async () => (await metric(s.url, 'prometheus_config_last_reload_successful')) === 1);
    expect(await configYaml()).toContain('job_name: second');
  });

  it('refuses the lifecycle API by default and quits on POST /-/quit when enabled', async () => {
    const dir = tmp();
    const locked = await start([`--storage.tsdb.path=${dir}/a`]);
    expect((await fetch(`${locked.url}/-/quit`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${locked.url}/-/reload`, { method: 'POST' })).status).toBe(403);

    const s = await start(['--web.enable-lifecycle', `--storage.tsdb.path=${dir}/b`]);
    const res = await fetch(`${s.url}/-/quit`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await s.exited).toBe(0);
    expect(fs.existsSync(path.join(dir, 'b', 'lock'))).toBe(false);
  });

  it('shuts down gracefully on SIGTERM within 10 s and releases the data directory', async () => {
    const dir = tmp();
    const s = await start([`--storage.tsdb.path=${dir}/data`]);
    const t0 = Date.now();
    expect(await s.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.logs()).toContain('See you next time!');
    expect(fs.existsSync(path.join(dir, 'data', 'lock'))).toBe(false);
  });

  it('keeps a second server off a data directory in use', async () => {
    const dir = tmp();
    await start([`--storage.tsdb.path=${dir}/data`]);
    const second = run([`--storage.tsdb.path=${dir}/data`, '--web.listen-address=127.0.0.1:0']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('lock DB directory');
  });

  it('serves under --web.route-prefix and logs JSON with --log.format=json', async () => {
    const s = await start(
      ['--web.route-prefix=/prom', '--log.format=json', `--storage.tsdb.path=${tmp()}/data`].filter(Boolean),
    );
    expect((await fetch(`${s.url}/prom/-/healthy`)).status).toBe(200);
    expect((await fetch(`${s.url}/prom/api/v1/status/runtimeinfo`)).status).toBe(200);
    const first = s.logs().split('\n')[0];
    expect(JSON.parse(first)).toMatchObject({ level: 'INFO', msg: 'Starting Promethium Server' });
  });
});
