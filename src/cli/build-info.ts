// Reads dist/build-info.json written at build time; falls back to package.json when run from sources.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildInfo } from '../web/api/v1/status.js';

function readJson(url: URL): Record<string, string> | undefined {
  try {
    return JSON.parse(fs.readFileSync(fileURLToPath(url), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
}

export function readBuildInfo(): BuildInfo {
  // dist/src/cli/build-info.js → dist/build-info.json; src/cli/build-info.ts → package.json two levels up.
  const built = readJson(new URL('../../build-info.json', import.meta.url));
  const pkg =
    readJson(new URL('../../package.json', import.meta.url)) ??
    readJson(new URL('../../../package.json', import.meta.url));
  return {
    version: built?.version ?? pkg?.version ?? 'unknown',
    revision: built?.revision ?? 'unknown',
    branch: built?.branch ?? 'unknown',
    buildUser: built?.buildUser ?? 'unknown',
    buildDate: built?.buildDate ?? 'unknown',
    runtimeVersion: process.version,
  };
}
