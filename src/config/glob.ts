// Go's filepath.Glob: `*`, `?` and `[...]` classes within one path segment (no `**`), results sorted
// per directory, a pattern without wildcards returns itself when the file exists, and I/O errors
// are ignored. Used for rule_files and scrape_config_files.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class GlobPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

const hasMeta = (p: string): boolean => /[*?[\\]/.test(p);

/** Compiles one path segment pattern (Go's path.Match syntax) to an anchored RegExp. */
function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) throw new GlobPatternError();
      re += escapeChar(pattern[i]);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      for (;;) {
        if (j >= pattern.length) throw new GlobPatternError();
        if (pattern[j] === ']' && !first) break;
        first = false;
        let lo = pattern[j];
        if (lo === '\\') {
          j++;
          if (j >= pattern.length) throw new GlobPatternError();
          lo = pattern[j];
        } else if (lo === '-' || lo === ']') {
          throw new GlobPatternError();
        }
        j++;
        cls += escapeClassChar(lo);
        if (pattern[j] === '-' && pattern[j + 1] !== ']') {
          j++;
          let hi = pattern[j];
          if (hi === undefined) throw new GlobPatternError();
          if (hi === '\\') {
            j++;
            hi = pattern[j];
            if (hi === undefined) throw new GlobPatternError();
          }
          if (hi < lo) throw new GlobPatternError();
          j++;
          cls += '-' + escapeClassChar(hi);
        }
      }
      // A negated class still never matches the separator.
      re += cls.startsWith('^') ? `[${cls}/]` : `[${cls}]`;
      i = j;
    } else re += escapeChar(c);
  }
  return new RegExp(`^${re}$`, 's');
}

const escapeChar = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const escapeClassChar = (c: string): string => c.replace(/[\]\\^-]/g, '\\$&');

/** Throws GlobPatternError when `pattern` is malformed (Go: filepath.ErrBadPattern). */
export function checkGlobPattern(pattern: string): void {
  for (const seg of pattern.split('/')) segmentRegExp(seg);
}

export function glob(pattern: string): string[] {
  checkGlobPattern(pattern);
  if (!hasMeta(pattern)) {
    try {
      fs.lstatSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  let dir = path.dirname(pattern);
  const file = path.basename(pattern);
  // path.basename drops a trailing slash; Go's Split would leave an empty file pattern.
  if (pattern.endsWith('/')) return [];
  if (dir === pattern) dir = '.';
  const dirs = hasMeta(dir) ? glob(dir) : [dir];
  const re = segmentRegExp(file);
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      if (!fs.statSync(d).isDirectory()) continue;
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    names.sort();
    for (const n of names) if (re.test(n)) out.push(path.join(d, n));
  }
  return out;
}
