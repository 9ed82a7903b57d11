// One process per data directory, as Prometheus's flock on <data>/lock. Node has no flock, so the
// lock file holds the owner's pid: a lock left by a dead process is taken over, a live owner is an error.
import fs from 'node:fs';
import path from 'node:path';

export class LockError extends Error {}

export interface DirLock {
  readonly path: string;
  /** True when a lock file left by a process that is gone was replaced (Prometheus logs a warning). */
  readonly replacedStale: boolean;
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `dir` if needed and takes its lock file; throws LockError when another live process holds it. */
export function lockDirectory(dir: string): DirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  let replacedStale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      let released = false;
      return {
        path: file,
        replacedStale,
        release() {
          if (released) return;
          released = true;
          fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && processAlive(owner)) {
        throw new LockError(`lock DB directory ${dir}: held by running process ${owner}`);
      }
      fs.rmSync(file, { force: true });
      replacedStale = true;
    }
  }
  throw new LockError(`lock DB directory ${dir}: could not take the lock file`);
}
