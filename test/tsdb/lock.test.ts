import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LockError, lockDirectory } from '../../src/tsdb/lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-lock-'));
  dirs.push(d);
  return d;
};

describe('data directory lock', () => {
  it('creates the directory and a lock file holding our pid, removed on release', () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const lock = lockDirectory(dir);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('refuses a directory locked by another live process', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'lock'), `${process.ppid}\n`); // our parent process is alive
    expect(() => lockDirectory(dir)).toThrowError(LockError);
    expect(() => lockDirectory(dir)).toThrowError(`held by running process ${process.ppid}`);
  });

  it('takes over a lock left by a dead process', () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    fs.writeFileSync(path.join(dir, 'lock'), `${dead.stdout}\n`);
    const lock = lockDirectory(dir);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
