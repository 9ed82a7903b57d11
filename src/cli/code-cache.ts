// Runs the server's bundle (promethium-bundle.cjs, see scripts/bundle.mjs) with a V8 code cache of
// its own, for the restart-to-ready path (bench/RESULTS.md, issue 19).
//
// Node's compile cache keeps what V8 compiled when the file was loaded: the top level only. Every
// function is compiled lazily at its first call, and a start calls a few thousand of them (flags,
// config, fastify's boot, the storage, the WAL replay), each compiled again at every start. A cache
// made from the script after the start (vm.Script#createCachedData) holds those too. Measured on
// this machine, 16 interleaved starts each, against the ES module bundle under Node's cache: to
// ready on an empty storage 461 -> 398 ms median, after a WAL of 100k series 1,201 -> 1,134 ms.
//
// - The cache is written once the server is ready (saveCache), when the start found none or V8
//   rejected it (another Node, other V8 flags). It sits in the directory of Node's compile cache,
//   so NODE_COMPILE_CACHE moves it and NODE_DISABLE_COMPILE_CACHE=1 turns it off; NODE_DEBUG=
//   promethium_code_cache says what happened.
// - Its name holds the bundle's content hash, which the build writes on the bundle's first line (V8
//   checks only the source's length), and a hash of Node's version and flags. Writing it removes the
//   caches of other builds for the same Node and flags but the newest three.
import module from 'node:module';

// Built-in modules by require(): an import builds an ES module facade over each, which reads every
// export once, and node:fs's ReadStream getter alone loads Node's streams (~15 ms of every start)
const require = module.createRequire(import.meta.url);
const fs = require('node:fs') as typeof import('node:fs');
const path = require('node:path') as typeof import('node:path');
const { debuglog } = require('node:util') as typeof import('node:util');
const { fileURLToPath } = require('node:url') as typeof import('node:url');
const vm = require('node:vm') as typeof import('node:vm');
const zlib = require('node:zlib') as typeof import('node:zlib');

const debug = debuglog('promethium_code_cache');

/** Caches kept per Node version and flags: this build's and the newest ones of others. */
const KEEP_BUILDS = 4;

/** The bundle's first line, as scripts/bundle.mjs writes it: its content hash. */
const STAMP = /^'use strict';\/\* promethium-bundle ([0-9a-f]{16,64}) \*\//;

/** A loaded bundle. */
export interface Bundle<T> {
  /** The bundle's module.exports. */
  readonly exports: T;
  /** Whether V8 took the code cache found at the start. */
  readonly cacheAccepted: boolean;
  /** Writes the code cache, unless the one found at the start was taken; call once started. */
  saveCache(): void;
}

/**
 * Runs a CommonJS bundle (a file: its path or URL) as Node would require it (strict, its own
 * require, __filename), with the code cache from `cacheDir` (undefined: no cache).
 */
export function runBundle<T>(url: URL | string, cacheDir: string | undefined): Bundle<T> {
  const file = typeof url === 'string' ? url : fileURLToPath(url);
  // ASCII (the build checks), so one byte per character: Latin-1 decodes in half the time of UTF-8
  const source = fs.readFileSync(file, 'latin1');
  const stamp = STAMP.exec(source)?.[1];
  let cacheFile: string | undefined;
  let envKey = '';
  if (cacheDir !== undefined && stamp !== undefined) {
    const env = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(
      ' ',
    );
    envKey = zlib.crc32(env).toString(16).padStart(8, '0');
    cacheFile = path.join(cacheDir, 'promethium', `${stamp.slice(0, 16)}-${envKey}.bin`);
  } else if (cacheDir !== undefined) {
    debug('no code cache: %s has no content hash on its first line', file);
  } else {
    debug('code cache off');
  }
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      debug('no code cache at %s', cacheFile);
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cacheAccepted = cachedData !== undefined && script.cachedDataRejected !== true;
  if (cachedData !== undefined)
    debug('code cache %s: %s', cacheAccepted ? 'accepted' : 'rejected', cacheFile);
  const mod = { exports: {} as T };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, module.createRequire(file), mod, file, path.dirname(file));
  return {
    exports: mod.exports,
    cacheAccepted,
    saveCache() {
      if (cacheFile === undefined || cacheAccepted) return;
      try {
        const data = script.createCachedData();
        const dir = path.dirname(cacheFile);
        fs.mkdirSync(dir, { recursive: true });
        // written whole or not at all: another start may be reading it
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, data);
        fs.renameSync(tmp, cacheFile);
        debug('code cache written: %s (%d bytes)', cacheFile, data.length);
        // the newest few builds' caches stay (two builds started in turn keep theirs), older ones go
        const others = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(`-${envKey}.bin`))
          .map((f) => path.join(dir, f))
          .filter((f) => f !== cacheFile)
          .map((file) => ({ file, at: fs.statSync(file).mtimeMs }))
          .sort((a, b) => b.at - a.at);
        for (const c of others.slice(KEEP_BUILDS - 1)) fs.rmSync(c.file, { force: true });
      } catch (err) {
        debug('code cache not written: %s', err);
      }
    },
  };
}
