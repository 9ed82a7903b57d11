// `npm run build`: TypeScript (server, tools, benchmarks) into dist/, the server bundled into one file
// (scripts/bundle.mjs), the web UI through Vite into dist/ui, then dist/build-info.json. With --if-changed (what `npm install`, `npm start` and `npm test`
// use) it builds only when dist/ is missing or a build input changed since the last build, as make
// would: each build writes dist/.build-stamp holding the time it started, so an edit made during a
// build still counts as newer. Without the sources (a dependency-only install, such as a container's
// first layer) --if-changed does nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const STAMP = 'dist/.build-stamp';
const INPUTS = [
  'src',
  'bench',
  'scripts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.ui.json',
  'vite.config.ts',
];
const STEPS = [
  ['tsc', '-p', 'tsconfig.json'],
  ['node', 'scripts/bundle.mjs'],
  ['tsc', '-p', 'tsconfig.ui.json'],
  ['vite', 'build'],
  ['node', 'scripts/build-info.mjs'],
];

/** The newest modification time under `p` (a file or a folder), or 0 when absent. */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return p.endsWith('.md') ? 0 : st.mtimeMs;
  let max = st.mtimeMs; // a deleted file changes its folder's time
  for (const e of fs.readdirSync(p)) {
    if (p === 'bench' && e === 'results') continue; // benchmark output, not input
    max = Math.max(max, newest(path.join(p, e)));
  }
  return max;
}

function lastBuild() {
  try {
    return Number(fs.readFileSync(STAMP, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

if (process.argv.includes('--if-changed')) {
  if (!fs.existsSync('src') || !fs.existsSync('tsconfig.json')) process.exit(0);
  const last = lastBuild();
  if (last > 0 && Math.max(...INPUTS.map(newest)) < last) process.exit(0);
  console.error(
    last > 0 ? 'promethium: sources changed since the last build, building…' : 'promethium: building…',
  );
}

const started = Date.now();
const env = {
  ...process.env,
  PATH: `${path.resolve('node_modules/.bin')}${path.delimiter}${process.env.PATH}`,
};
for (const [cmd, ...args] of STEPS) {
  const run = spawnSync(cmd === 'node' ? process.execPath : cmd, args, { stdio: 'inherit', env });
  if (run.status !== 0) {
    console.error(`promethium: build failed at: ${cmd} ${args.join(' ')}`);
    process.exit(run.status ?? 1);
  }
}
fs.writeFileSync(STAMP, String(started));
