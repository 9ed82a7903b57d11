// The rule files a configuration points at.
import { glob } from './glob.js';
import type { Config } from './types.js';

/** rule_files expanded to the files that exist (Go's filepath.Glob; no `**`), in order, deduplicated. */
export function expandRuleFiles(cfg: Config): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pattern of cfg.rule_files) {
    for (const f of glob(pattern)) {
      if (!seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}
