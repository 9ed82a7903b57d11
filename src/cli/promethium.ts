#!/usr/bin/env node
// `promethium`: the server. Flags as Prometheus 3.x; see --help.
//
// This entry only turns on V8's on-disk compile cache before anything else loads: about 700 modules
// (ours and fastify, undici, chevrotain, yaml, ...) are compiled at every start, and the cache (in
// the OS temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off) takes that
// off the restart-to-ready path (bench/RESULTS.md, issue 19). Static imports would load first, hence
// the dynamic one.
import module from 'node:module';

module.enableCompileCache?.();
await import('./promethium-main.js');
