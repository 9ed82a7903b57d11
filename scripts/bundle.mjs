// Part of `npm run build`: the server's code and its dependencies in one file,
// dist/src/cli/promethium-bundle.js, which `promethium` loads. Loading ~700 modules one by one
// (resolving, reading and compiling each) took about 250 ms of every start, which a restart after a
// crash waits on before replaying the WAL (bench/RESULTS.md, issue 19). The bundle sits beside the
// modules it replaces, so the paths the server finds from its own location (the query worker, the
// UI, build-info.json) are the same. The query worker and the tools stay separate modules.
//
// Left out and loaded from node_modules as usual: native addons (better-sqlite3, snappy) and the
// Kubernetes client (large, and only imported when kubernetes_sd_configs is used).
import { rolldown } from 'rolldown';

const EXTERNAL = [/^better-sqlite3(\/|$)/, /^snappy(\/|$)/, /^@napi-rs\//, /^@kubernetes\/client-node(\/|$)/];

const bundle = await rolldown({
  input: 'dist/src/cli/promethium-main.js',
  platform: 'node',
  external: EXTERNAL,
  logLevel: 'warn',
});
await bundle.write({
  file: 'dist/src/cli/promethium-bundle.js',
  format: 'esm',
  codeSplitting: false,
  sourcemap: false,
});
await bundle.close();
