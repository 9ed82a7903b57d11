// What --config.auto-reload compares, as Prometheus's config.GenerateChecksum: a SHA-256 over the config
// file, then each rule file and scrape config file its globs match (path and content, tagged "r" or
// "s"). A file that cannot be read or parsed throws; the caller logs it and tries again later.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { glob } from './glob.js';

export function configChecksum(configFile: string): string {
  const hash = createHash('sha256');
  const text = fs.readFileSync(configFile);
  hash.update(text);
  const doc = (parse(text.toString('utf8')) ?? {}) as { rule_files?: unknown; scrape_config_files?: unknown };
  const dir = path.dirname(configFile);
  const patterns = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.filter((p): p is string => typeof p === 'string').map((p) => path.resolve(dir, p))
      : [];
  for (const [tag, list] of [
    ['r', patterns(doc.rule_files)],
    ['s', patterns(doc.scrape_config_files)],
  ] as const) {
    for (const pattern of list) {
      for (const file of glob(pattern)) {
        hash.update(`${tag}\0${file}\0`);
        hash.update(fs.readFileSync(file));
        hash.update('\0');
      }
    }
  }
  return hash.digest('hex');
}
