// `promethium-tool check rules`: what `promtool check rules` does — each file read and validated as the
// server reads it, the rule count or every error, and the duplicate-rules lint (same metric and
// labels), with promtool's exit codes: 0, 1 for errors, 3 for lint problems under --lint-fatal.
import type { NameValidationScheme } from '../model/labelname.js';
import { parseRuleFile, type RuleGroupSpec } from '../rules/rulefmt.js';
import type { CheckOutput } from './check-config.js';

export interface RulesLint {
  /** --lint: "all", "duplicate-rules" or "none" (comma separated). */
  lint: string;
  fatal: boolean;
  ignoreUnknownFields: boolean;
  scheme: NameValidationScheme;
}

export const DEFAULT_RULES_LINT: RulesLint = {
  lint: 'duplicate-rules',
  fatal: false,
  ignoreUnknownFields: false,
  scheme: 'utf8',
};

/** promtool's checkDuplicates: rules with the same metric (record or alert name) and labels. */
function duplicateRules(groups: RuleGroupSpec[]): Array<{ metric: string; labels: Array<[string, string]> }> {
  const rules = groups.flatMap((g) =>
    g.rules.map((r) => ({
      metric: r.alert !== '' ? r.alert : r.record,
      labels: Object.entries({ ...g.labels, ...r.labels }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    })),
  );
  const key = (r: (typeof rules)[number]): string => JSON.stringify([r.metric, r.labels]);
  rules.sort((a, b) => {
    if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
    const x = a.labels.flat().join('\xff');
    const y = b.labels.flat().join('\xff');
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const dups: typeof rules = [];
  for (let i = 1; i < rules.length; i++) {
    if (
      key(rules[i - 1]) === key(rules[i]) &&
      (dups.length === 0 || key(dups[dups.length - 1]) !== key(rules[i]))
    )
      dups.push(rules[i]);
  }
  return dups;
}

/** Checks rule files as promtool's checkRules; returns whether any failed, and whether with errors (not lint). */
export function checkRuleFiles(
  files: readonly string[],
  ls: RulesLint,
  io: CheckOutput,
): { failed: boolean; hasErrors: boolean } {
  const settings = new Set(ls.lint.split(',').filter((s) => s !== ''));
  for (const s of settings)
    if (s !== 'all' && s !== 'duplicate-rules' && s !== 'none')
      io.out(`WARNING: unknown lint option: ${JSON.stringify(s)}`);
  const lintDuplicates = settings.has('all') || settings.has('duplicate-rules');
  let failed = false;
  let hasErrors = false;
  for (const f of files) {
    io.out(`Checking ${f}`);
    const parsed = parseRuleFile(f, { scheme: ls.scheme, ignoreUnknownFields: ls.ignoreUnknownFields });
    if (parsed.errors.length > 0) {
      failed = true;
      hasErrors = true;
      io.err('  FAILED:');
      for (const e of parsed.errors) io.err(e);
      continue;
    }
    const n = parsed.groups.reduce((sum, g) => sum + g.rules.length, 0);
    const dups = lintDuplicates ? duplicateRules(parsed.groups) : [];
    if (dups.length > 0) {
      failed = true;
      let msg = `lint error ${dups.length} duplicate rule(s) found.\n`;
      for (const d of dups) {
        msg += `Metric: ${d.metric}\nLabel(s):\n`;
        for (const [k, v] of d.labels) msg += `\t${k}: ${v}\n`;
      }
      msg += 'Might cause inconsistency while recording expressions';
      io.err('  FAILED:');
      io.err(msg);
    } else io.out(`  SUCCESS: ${n} rules found`);
    io.out('');
  }
  return { failed, hasErrors };
}

/** promtool's exit code for check rules. */
export function rulesExitCode(r: { failed: boolean; hasErrors: boolean }, fatal: boolean): number {
  if (r.failed && r.hasErrors) return 1;
  if (r.failed && fatal) return 3;
  return 0;
}
