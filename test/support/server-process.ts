// Starts the built `promethium` binary as a child process on 127.0.0.1:0 and learns its port from
// the "Listening on" log line, so end-to-end tests exercise the real program.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Agent, Headers, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { afterEach, beforeAll } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_BIN = path.join(REPO_ROOT, 'dist/src/cli/promethium.js');
export const TOOL_BIN = path.join(REPO_ROOT, 'dist/src/cli/promethium-tool.js');

/** How to reach a server started with --web.config.file: its CA (https) and/or credentials. */
export interface ClientOptions {
  /** PEM CA the server certificate is checked against; set means https. */
  ca?: string;
  /** PEM client certificate and key, for client_auth_type. */
  cert?: string;
  key?: string;
  basicAuth?: { username: string; password: string };
}

export interface ServerProcess {
  child: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:40123 (https://... when started with `client.ca`) */
  url: string;
  /** fetch() of `url + path` with the CA, client certificate and credentials the server was started with. */
  fetch(path: string, init?: UndiciRequestInit): ReturnType<typeof undiciFetch>;
  /** Everything the server logged so far. */
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Waits until a log line matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

export function requireBuilt(): void {
  if (!fs.existsSync(SERVER_BIN)) {
    throw new Error(`${SERVER_BIN} is missing: run the tests with \`npm test\`, which builds first`);
  }
}

export async function startServer(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; client?: ClientOptions; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  requireBuilt();
  const hasListen = args.some((a) => a.startsWith('--web.listen-address'));
  const child = spawn(
    process.execPath,
    [SERVER_BIN, ...(hasListen ? [] : ['--web.listen-address=127.0.0.1:0']), ...args],
    {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
    },
  );
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      for (const w of waiters.splice(0)) w();
      resolve(code);
    });
  });

  const waitForLog = (re: RegExp, timeoutMs = 20_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${re} in server output:\n${output}`)),
        timeoutMs,
      );
      const check = (): void => {
        const m = re.exec(output);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[0]);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`server exited with ${child.exitCode} before ${re}:\n${output}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  // logfmt or JSON, whichever --log.format chose
  const line = await waitForLog(
    /msg="Listening on" component=web address=\S+|"msg":"Listening on","component":"web","address":"[^"]+"/,
    opts.timeoutMs,
  );
  const address = line.replace(/.*address["=:]+/, '').replace(/"$/, '');
  const client = opts.client ?? {};
  const url = `${client.ca !== undefined ? 'https' : 'http'}://${address}`;
  const dispatcher =
    client.ca !== undefined
      ? new Agent({ connect: { ca: client.ca, cert: client.cert, key: client.key } })
      : undefined;
  const authHeader =
    client.basicAuth === undefined
      ? undefined
      : 'Basic ' +
        Buffer.from(`${client.basicAuth.username}:${client.basicAuth.password}`).toString('base64');
  const clientFetch = (p: string, init: UndiciRequestInit = {}): ReturnType<typeof undiciFetch> => {
    const headers = new Headers(init.headers);
    if (authHeader !== undefined && !headers.has('authorization')) headers.set('authorization', authHeader);
    return undiciFetch(`${url}${p}`, { ...init, headers, ...(dispatcher ? { dispatcher } : {}) });
  };
  const proc: ServerProcess = {
    child,
    url,
    fetch: clientFetch,
    logs: () => output,
    exited,
    waitForLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      // stop() may be called more than once; the agent closes once.
      await dispatcher?.close().catch(() => undefined);
      return code;
    },
  };
  const prefixArg = args.find((a) => a.startsWith('--web.route-prefix='));
  const prefix = prefixArg === undefined ? '' : '/' + prefixArg.split('=')[1].replace(/^\/+|\/+$/g, '');
  await waitFor(
    async () => (await clientFetch(`${prefix === '/' ? '' : prefix}/-/ready`)).status === 200,
    opts.timeoutMs,
  );
  return proc;
}

/** Polls `cond` every 50 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet: the condition may throw while the server starts
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Servers and temporary folders for the tests of one file: `start` and `tmp` register them, and both
 * are stopped and removed after each test.
 */
export function serverFixtures(prefix: string): {
  tmp(): string;
  start(args: string[], cwd?: string, env?: Record<string, string>): Promise<ServerProcess>;
} {
  const running: ServerProcess[] = [];
  const dirs: string[] = [];
  beforeAll(() => requireBuilt());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    tmp() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    async start(args, cwd, env) {
      const s = await startServer(args, { cwd, env });
      running.push(s);
      return s;
    },
  };
}
