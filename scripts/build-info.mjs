// Writes dist/build-info.json (version, revision, branch, build user and date) after `tsc`, so
// promethium_build_info and /api/v1/status/buildinfo report what was built. BUILD_REVISION and
// BUILD_BRANCH override git (container builds have no .git); without either: "unknown".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const git = (...args) => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const info = {
  version: pkg.version,
  revision: process.env.BUILD_REVISION || git('rev-parse', 'HEAD'),
  branch: process.env.BUILD_BRANCH || git('rev-parse', '--abbrev-ref', 'HEAD'),
  buildUser: `${os.userInfo().username}@${os.hostname()}`,
  buildDate: new Date().toISOString().replace(/^(\d+)-(\d+)-(\d+)T([\d:]+)\..*$/, '$1$2$3-$4'),
};
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/build-info.json', JSON.stringify(info, null, 2) + '\n');
