// Killing the process with SIGKILL at any moment loses no committed sample: a child appends and
// prints each commit once it resolved; it is killed mid-ingestion many times and restarted; every
// printed commit must be there at the end.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuilt } from '../support/server-process.js';

const CHILD = path.join(REPO_ROOT, 'test/support/tsdb-crash-child.mjs');
let dir: string;
beforeAll(() => {
  requireBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-crash-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it printed `commits` commits (plus whatever it did in between), then SIGKILLs it. */
function writeThenKill(start: number, commits: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'write', dir, String(start)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seen: number[] = [];
    let buf = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('C ')) seen.push(Number(line.slice(2)));
        if (seen.length === commits) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
      else resolve(seen);
    });
  });
}

describe('crash safety', () => {
  it('keeps every committed sample across repeated SIGKILLs', async () => {
    const committed: number[] = [];
    let next = Date.now();
    for (let round = 0; round < 12; round++) {
      // vary where in the ingestion the kill lands
      const seen = await writeThenKill(next, 1 + ((round * 7) % 23));
      expect(seen.length).toBeGreaterThan(0);
      committed.push(...seen);
      next = seen[seen.length - 1] + 10_000;
    }
    const res = spawnSync(process.execPath, [CHILD, 'verify', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(res.status, res.stderr).toBe(0);
    const stored = JSON.parse(res.stdout) as Record<string, number[]>;
    expect(Object.keys(stored)).toHaveLength(50);
    for (const [series, ts] of Object.entries(stored)) {
      const have = new Set(ts);
      const missing = committed.filter((t) => !have.has(t));
      expect(missing, `series ${series} lost committed samples`).toEqual([]);
      // in order, no duplicates
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
    }
  });
});
