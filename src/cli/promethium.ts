#!/usr/bin/env -S node --max-semi-space-size=16
// `promethium`: the server. Flags as Prometheus 3.x; see --help.
//
// Node runs it with 16 MiB semi-spaces (the line above; `npm start`, the Dockerfile and the benchmarks
// pass the same flag, and a test keeps them equal): V8's default on a large machine, 32 MiB, makes it
// start a full (incremental) marking of the whole heap every few seconds under steady scraping,
// because the old generation's room must exceed the young generation's; with 16 MiB it marks about
// half as often, and scraping costs 20-30 % less CPU per sample (bench/RESULTS.md, issue 19). The
// flag holds for the query workers too (it overrides a worker's resourceLimits); the dashboard
// queries measured no slower with it.
//
// This entry only makes starting fast, for the restart-to-ready path (bench/RESULTS.md, issue 19):
// - it turns on V8's on-disk compile cache (in the OS temp directory, or NODE_COMPILE_CACHE;
//   NODE_DISABLE_COMPILE_CACHE=1 turns it off) before anything else loads, so the code is not
//   compiled again at every start; static imports would load first, hence the dynamic one;
// - it loads the server as one file, promethium-bundle.js (promethium-main.js and everything it
//   imports, bundled by `npm run build`, see scripts/bundle.mjs), instead of about 700 modules
//   resolved and read one by one.
import module from 'node:module';

module.enableCompileCache?.();
// a URL, not a specifier: the bundle exists only in dist/, after the build
await import(new URL('./promethium-bundle.js', import.meta.url).href);
