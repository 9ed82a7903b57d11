// Real peer programs for end-to-end tests (Debian's Prometheus, Alertmanager): started on 127.0.0.1,
// waited for until /-/ready answers, and stopped with the Promethium servers and temporary folders
// after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { tempDirs } from './scrape-e2e.js';
import { requireBuilt, waitFor, type ServerProcess } from './server-process.js';

export interface PeerOptions {
  /** The program, e.g. /usr/bin/prometheus. */
  binary: string;
  /** The Debian package that installs it, for the error when it is missing. */
  debianPackage: string;
  args: string[];
  /** Its base URL; ready once `${url}/-/ready` answers 200. */
  url: string;
}

export function peerFixtures(prefix: string): {
  dirs: ReturnType<typeof tempDirs>;
  /** Promethium servers to stop after the test. */
  running: ServerProcess[];
  startPeer(o: PeerOptions): Promise<void>;
  /** Stops the peer listening on `port` (SIGTERM) and waits until it has exited. */
  stopPeer(port: number): Promise<void>;
} {
  const dirs = tempDirs(prefix);
  const running: ServerProcess[] = [];
  const children: Array<ChildProcess & { url?: string }> = [];
  beforeAll(() => requireBuilt());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await gone;
      }
    }
    dirs.cleanup();
  });
  async function startPeer(o: PeerOptions): Promise<void> {
    if (!fs.existsSync(o.binary)) {
      throw new Error(
        `${o.binary} is missing: install Debian's ${o.debianPackage} package (apt-get install ${o.debianPackage}; .ci/run does this)`,
      );
    }
    let logs = '';
    const child: ChildProcess & { url?: string } = spawn(o.binary, o.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.url = o.url;
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    children.push(child);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${o.binary} exited:\n${logs}`);
      try {
        return (await fetch(`${o.url}/-/ready`)).ok;
      } catch {
        return false;
      }
    }, 30_000);
  }
  async function stopPeer(port: number): Promise<void> {
    const child = children.find(
      (c) => c.url !== undefined && new URL(c.url).port === String(port) && c.exitCode === null,
    );
    if (child === undefined) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  return { dirs, running, startPeer, stopPeer };
}
