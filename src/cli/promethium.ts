#!/usr/bin/env -S node --max-semi-space-size=16 --heap-growing-percent=50
// `promethium`: the server. Flags as Prometheus 3.x; see --help.
//
// Node runs it with two V8 options (the line above; `npm start`, the Dockerfile and the benchmarks
// pass the same, and a test keeps them equal), both about how often V8 marks the whole heap, which
// with a head of 100k series is a third of what scraping costs (bench/RESULTS.md, issue 19):
// - 16 MiB semi-spaces: V8's default on a large machine, 32 MiB, makes it start a full
//   (incremental) marking every few seconds under steady scraping, because the old generation's
//   room must exceed the young generation's; with 16 MiB it marks about half as often, and scraping
//   costs 20-30 % less CPU per sample.
// - a heap growing factor of 1.5: after a full marking V8 let the old generation grow by only ~1.2×
//   its live size, less room than the young generation takes, so it marked again after a few MB had
//   been promoted, every ~6 s; with 1.5× it marks about once a minute, and scraping costs ~20 % less
//   CPU per sample for ~0-40 MB more RSS at 100k series. Go's collector, Prometheus's, lets its heap
//   grow to 2× (GOGC=100).
// The options hold for the query workers too (the semi-space size overrides a worker's
// resourceLimits); the dashboard queries measured no slower with them.
//
// This entry only makes starting fast, for the restart-to-ready path (bench/RESULTS.md, issue 19):
// - it loads the server as one file, promethium-bundle.cjs (promethium-main.js and everything it
//   imports, bundled by `npm run build`, see scripts/bundle.mjs), instead of about 700 modules
//   resolved and read one by one;
// - it runs the bundle with a V8 code cache made after a start (code-cache.ts), so the functions a
//   start calls are not compiled again at every start, and turns on Node's compile cache (in the
//   OS temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns both off) for the
//   modules loaded apart from the bundle (the native addons' wrappers, the query workers).
import module from 'node:module';
import { runBundle } from './code-cache.js';
import type { run } from './promethium-main.js';

module.enableCompileCache?.();
const bundle = runBundle<{ run: typeof run }>(
  new URL('./promethium-bundle.cjs', import.meta.url),
  module.getCompileCacheDir?.(),
);
bundle.exports.run(process.argv.slice(2), () => bundle.saveCache());
