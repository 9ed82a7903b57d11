// Go's regexp (RE2) for the template functions match and reReplaceAll: unanchored, `$1`/`${name}` in
// replacements.
import { RE2JS } from 're2js';

export interface GoRegexp {
  test(s: string): boolean;
  replaceAll(s: string, repl: string): string;
}

const cache = new Map<string, RE2JS>();

export function goRegexp(pattern: string): GoRegexp {
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      throw new Error(`error parsing regexp: ${(err as Error).message}`, { cause: err });
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  const compiled = re;
  return {
    test: (s) => compiled.matcher(s).find(),
    replaceAll: (s, repl) => compiled.matcher(s).replaceAll(repl),
  };
}
