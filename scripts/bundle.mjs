// Part of `npm run build`: the server's code and its dependencies in one file,
// dist/src/cli/promethium-bundle.cjs, which `promethium` runs (src/cli/code-cache.ts). Loading ~700
// modules one by one (resolving, reading and compiling each) took about 250 ms of every start, which a
// restart after a crash waits on before replaying the WAL (bench/RESULTS.md, issue 19). The bundle
// sits beside the modules it replaces, so the paths the server finds from its own location (the
// query worker, the UI, build-info.json) are the same. The query worker and the tools stay separate
// modules.
//
// Left out and loaded from node_modules as usual: native addons (better-sqlite3; snappy, on first use,
// see src/remote/snappy.ts) and the Kubernetes client (large, and only imported when
// kubernetes_sd_configs is used). Of undici only the dispatchers scraping uses are taken
// (src/scrape/undici.ts).
//
// It is a CommonJS file, not an ES module, so that it can be run as a vm.Script, whose code cache can
// be made after the start and so hold the functions the start compiled (src/cli/code-cache.ts). Its
// first line is `'use strict';` (the ES modules it is made of are strict) and a comment with a hash
// of its content, which names its code cache.
//
// Three more things make the file cheaper to load (main-thread CPU to ready, empty storage,
// ~525 -> ~450 ms; bench/RESULTS.md):
// - Node's built-in modules are taken with require() instead of import. An import of a built-in
//   makes Node build an ES module facade over it, which reads every export once; for node:http that
//   runs the lazy getters of WebSocket, CloseEvent and MessageEvent, which load Node's own copy of
//   undici: ~40 ms of every start for nothing the server uses.
// - Whitespace and comments are dropped (names are kept, so stack traces still read): 5.4 -> 4.1 MB
//   for Node to read and decode.
// - Non-ASCII characters are escaped: a source with any of them becomes a two-byte string in V8,
//   twice the memory and about twice the time to decode.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import { rolldown } from 'rolldown';

const EXTERNAL = [/^better-sqlite3(\/|$)/, /^snappy(\/|$)/, /^@napi-rs\//, /^@kubernetes\/client-node(\/|$)/];

/** Each built-in module (but node:module, which the bundle's own require comes from) as a CommonJS
 * module of one line that requires it; the bundler links imports of it as of any CommonJS module. */
const BY_REQUIRE = '\0builtin-by-require:';
const builtinsByRequire = {
  name: 'builtins-by-require',
  resolveId(id, importer) {
    if (!isBuiltin(id) || id === 'node:module' || id === 'module') return null;
    if (importer?.startsWith(BY_REQUIRE)) return { id, external: true };
    return { id: BY_REQUIRE + id };
  },
  load(id) {
    if (!id.startsWith(BY_REQUIRE)) return null;
    return {
      code: `module.exports = require(${JSON.stringify(id.slice(BY_REQUIRE.length))});`,
      moduleType: 'js',
    };
  },
};

/**
 * node:http2 loaded only when used: fastify requires it at its load for an option the server never
 * sets (`http2`), and undici's client at its load requires its HTTP/2 client, which reads http2's
 * constants at once, for `allowH2`, off by default. Node compiles node:http2 when it is first
 * required: 15-20 ms of every start. Each require is moved into the function that uses it; a test
 * checks that a start does not load node:http2, so a dependency whose lines changed is noticed.
 */
const LAZY = [
  {
    file: '/node_modules/fastify/lib/server.js',
    from: "const http2 = require('node:http2')",
    to:
      "const http2 = { createServer: (...a) => require('node:http2').createServer(...a), " +
      "createSecureServer: (...a) => require('node:http2').createSecureServer(...a) }",
  },
  {
    file: '/node_modules/undici/lib/dispatcher/client.js',
    from: "const connectH2 = require('./client-h2.js')",
    to: "const connectH2 = (client, socket) => require('./client-h2.js')(client, socket)",
  },
];
const lazyHttp2 = {
  name: 'lazy-http2',
  transform(code, id) {
    const lazy = LAZY.find((l) => id.endsWith(l.file));
    if (lazy === undefined) return null;
    if (!code.includes(lazy.from)) {
      console.warn(`bundle: ${lazy.file} no longer has \`${lazy.from}\`: node:http2 loads at every start`);
      return null;
    }
    return { code: code.replace(lazy.from, lazy.to) };
  },
};

const OUT = 'dist/src/cli/promethium-bundle.cjs';
// the ES module bundle of earlier builds
fs.rmSync('dist/src/cli/promethium-bundle.js', { force: true });

const bundle = await rolldown({
  input: 'dist/src/cli/promethium-main.js',
  platform: 'node',
  external: EXTERNAL,
  plugins: [builtinsByRequire, lazyHttp2],
  logLevel: 'warn',
});
await bundle.write({
  file: OUT,
  format: 'cjs',
  codeSplitting: false,
  sourcemap: false,
  minify: { compress: false, mangle: false, codegen: { removeWhitespace: true } },
  charset: 'ascii',
});
await bundle.close();

// The bundler escapes strings, templates, regular expressions and names, not the comments it keeps
// (the dependencies' licences), where an escape is only text: escaped here so that the file is ASCII
// (code-cache.ts reads it as Latin-1). Anything else (a tagged template, whose raw text an escape
// would change) fails the build.
const text = fs.readFileSync(OUT, 'utf8');
const ascii = text.replace(/[^\0-\x7f]/g, (ch, at) => {
  const open = text.lastIndexOf('/*', at);
  if (open < 0 || text.lastIndexOf('*/', at) > open) {
    throw new Error(
      `bundle: a non-ASCII character outside a comment (${JSON.stringify(text.slice(at - 40, at + 10))})`,
    );
  }
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
});
const hash = crypto.createHash('sha256').update(ascii).digest('hex').slice(0, 32);
fs.writeFileSync(OUT, `'use strict';/* promethium-bundle ${hash} */\n${ascii}`);
