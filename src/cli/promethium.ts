#!/usr/bin/env node
// `promethium`: the server. Flags as Prometheus 3.x; see --help.
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
