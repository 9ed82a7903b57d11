// The server's bundle run with a code cache made after the start (src/cli/code-cache.ts). Each run is
// a Node process of its own, as a start is: within one, V8 would find the script in its memory.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../support/scrape-e2e.js';
import { REPO_ROOT, requireBuilt } from '../support/server-process.js';

interface Run {
  accepted: boolean;
  mode: string;
  file: string;
  joined: string;
  work: number | undefined;
}

const LOADER = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'code-cache.js');

/** runBundle(file, cacheDir) in a new process; `work`: call the bundle's work() before saveCache(). */
function runBundle(file: string, cacheDir: string | undefined, work = false): Run {
  requireBuilt();
  const script = `import { runBundle } from ${JSON.stringify(LOADER)};
const b = runBundle(${JSON.stringify(file)}, ${JSON.stringify(cacheDir)});
const w = ${work} ? b.exports.work(3) : undefined;
b.saveCache();
console.log(JSON.stringify({ accepted: b.cacheAccepted, mode: b.exports.mode, file: b.exports.file, joined: b.exports.joined, work: w }));`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Run;
}

const dirs = tempDirs('promethium-code-cache-');
afterEach(() => dirs.cleanup());
const tmp = (): string => dirs.make();

/** A bundle as scripts/bundle.mjs writes it (`stamp` false: without its first line's hash). */
function writeBundle(dir: string, body: string, stamp = true): string {
  const file = path.join(dir, 'bundle.cjs');
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 32);
  fs.writeFileSync(
    file,
    stamp ? `'use strict';/* promethium-bundle ${hash} */\n${body}` : `'use strict';\n${body}`,
  );
  return file;
}

// `work` has a large body, compiled only when first called
const BODY = `exports.mode = (function () { return this === undefined ? 'strict' : 'sloppy'; })();
exports.file = __filename;
exports.joined = require('node:path').join('a', 'b');
exports.work = function (n) {
  let s = 0;
${Array.from({ length: 300 }, (_, i) => `  s += (n * ${i + 1}) % ${i + 7};`).join('\n')}
  return s;
};
`;

const cacheFiles = (dir: string): string[] =>
  fs.existsSync(dir)
    ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.bin'))
    : [];

describe('runBundle', () => {
  it('runs a bundle as a strict CommonJS module, then takes the code cache it wrote', () => {
    const dir = tmp();
    const cache = path.join(dir, 'cache');
    const file = writeBundle(dir, BODY);
    const first = runBundle(file, cache, true);
    expect(first).toEqual({
      accepted: false,
      mode: 'strict',
      file,
      joined: path.join('a', 'b'),
      work: first.work,
    });
    expect(typeof first.work).toBe('number');
    expect(cacheFiles(cache)).toHaveLength(1);
    const second = runBundle(file, cache, true);
    expect(second).toEqual({ ...first, accepted: true });
  });

  it('keeps the functions the start compiled in the cache, not only the top level', () => {
    const dir = tmp();
    const file = writeBundle(dir, BODY);
    const [before, after] = [path.join(dir, 'before'), path.join(dir, 'after')];
    runBundle(file, before);
    runBundle(file, after, true);
    const size = (d: string) => fs.statSync(path.join(d, cacheFiles(d)[0]!)).size;
    // work() was compiled: its bytecode is in the second cache
    expect(size(after)).toBeGreaterThan(size(before) + 1000);
  });

  it('runs without a cache V8 rejects, and writes a good one in its place', () => {
    const dir = tmp();
    const cache = path.join(dir, 'cache');
    const file = writeBundle(dir, BODY);
    const good = runBundle(file, cache, true);
    const bin = path.join(cache, cacheFiles(cache)[0]!);
    fs.writeFileSync(bin, Buffer.alloc(fs.statSync(bin).size, 7));
    expect(runBundle(file, cache, true)).toEqual({ ...good, accepted: false });
    expect(runBundle(file, cache, true)).toEqual({ ...good, accepted: true });
  });

  it("writes no cache without a directory or without the bundle's content hash", () => {
    const dir = tmp();
    const cache = path.join(dir, 'cache');
    expect(runBundle(writeBundle(dir, BODY, false), cache).mode).toBe('strict');
    expect(fs.existsSync(cache)).toBe(false);
    expect(runBundle(writeBundle(dir, BODY), undefined).accepted).toBe(false);
    expect(fs.existsSync(cache)).toBe(false);
  });

  it('keeps the caches of this build and the three newest others for the same Node and flags', () => {
    const dir = tmp();
    const cache = path.join(dir, 'cache');
    const written: string[] = [];
    for (let build = 0; build < 6; build++) {
      // a build of its own (its content hash), its cache dated `build` seconds after the first
      runBundle(writeBundle(dir, `${BODY}exports.build = ${build};\n`), cache);
      const file = cacheFiles(cache).find((f) => !written.includes(f))!;
      written.push(file);
      fs.utimesSync(path.join(cache, file), 1_000 + build, 1_000 + build);
    }
    // the fifth build's removed the first, the sixth's the second
    expect(cacheFiles(cache).sort()).toEqual(written.slice(2).sort());
  });
});
