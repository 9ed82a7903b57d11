// Relabelling as Prometheus's model/relabel does it: every action, fully anchored RE2 regexes, Go's
// template expansion ($1, ${1}, $name, ${name}, $$) for target labels and replacements.
import { createHash } from 'node:crypto';
import type { RelabelConfig } from '../../config/types.js';
import { Labels } from '../labels.js';
import { isValidLabelName, type NameValidationScheme } from '../labelname.js';
import { compileAnchored, type AnchoredRegex } from '../regex.js';

/** A relabel rule with its regex compiled once. */
export interface CompiledRelabel {
  readonly cfg: RelabelConfig;
  readonly regex: AnchoredRegex;
  /** Group name → index, for ${name} in templates. */
  readonly groupNames: ReadonlyMap<string, number>;
}

export function compileRelabel(cfg: RelabelConfig): CompiledRelabel {
  const regex = compileAnchored(cfg.regex);
  const named = regex.re.namedGroups() as Record<string, number>;
  return { cfg, regex, groupNames: new Map(Object.entries(named)) };
}

export function compileRelabels(cfgs: readonly RelabelConfig[]): CompiledRelabel[] {
  return cfgs.map(compileRelabel);
}

/** Mutable label set used while a rule list runs (Prometheus's labels.Builder). */
class Builder {
  private readonly m: Map<string, string>;
  constructor(ls: Labels) {
    this.m = new Map();
    ls.forEach((n, v) => this.m.set(n, v));
  }
  get(name: string): string {
    return this.m.get(name) ?? '';
  }
  set(name: string, value: string): void {
    if (value === '') this.m.delete(name);
    else this.m.set(name, value);
  }
  del(name: string): void {
    this.m.delete(name);
  }
  names(): string[] {
    return [...this.m.keys()];
  }
  entries(): Array<[string, string]> {
    return [...this.m.entries()];
  }
  labels(): Labels {
    return Labels.fromPairs(this.entries().flat());
  }
}

/**
 * Applies the rules in order; undefined when a rule drops the set. Target label names are checked
 * with the job's validation scheme ('utf8' in Prometheus 3 unless configured otherwise).
 */
export function relabel(
  ls: Labels,
  rules: readonly CompiledRelabel[],
  scheme: NameValidationScheme = 'utf8',
): Labels | undefined {
  if (rules.length === 0) return ls;
  const b = new Builder(ls);
  for (const r of rules) if (!apply(b, r, scheme)) return undefined;
  return b.labels();
}

function apply(b: Builder, r: CompiledRelabel, scheme: NameValidationScheme): boolean {
  const c = r.cfg;
  let val = '';
  if (c.source_labels.length > 0) {
    val = c.source_labels.map((n) => b.get(n)).join(c.separator);
  }
  switch (c.action) {
    case 'drop':
      return !r.regex.matches(val);
    case 'keep':
      return r.regex.matches(val);
    case 'dropequal':
      return b.get(c.target_label) !== val;
    case 'keepequal':
      return b.get(c.target_label) === val;
    case 'replace': {
      const m = r.regex.re.matcher(val);
      if (!m.matches()) return true;
      const groups = groupsOf(m);
      const target = expand(c.target_label, groups, r.groupNames);
      if (!isValidLabelName(target, scheme)) return true;
      const res = expand(c.replacement, groups, r.groupNames);
      b.set(target, res);
      return true;
    }
    case 'lowercase':
      b.set(c.target_label, val.toLowerCase());
      return true;
    case 'uppercase':
      b.set(c.target_label, val.toUpperCase());
      return true;
    case 'hashmod': {
      // Prometheus: the low 8 bytes of the MD5 sum, big-endian, modulo the modulus
      const sum = createHash('md5').update(val).digest();
      const mod = sum.readBigUInt64BE(8) % BigInt(c.modulus);
      b.set(c.target_label, mod.toString());
      return true;
    }
    case 'labelmap':
      for (const [name, value] of b.entries()) {
        const m = r.regex.re.matcher(name);
        if (!m.matches()) continue;
        b.set(expand(c.replacement, groupsOf(m), r.groupNames), value);
      }
      return true;
    case 'labeldrop':
      for (const name of b.names()) if (r.regex.matches(name)) b.del(name);
      return true;
    case 'labelkeep':
      for (const name of b.names()) if (!r.regex.matches(name)) b.del(name);
      return true;
  }
}

interface MatcherLike {
  groupCount(): number;
  group(i: number): string | null;
}

/** Captured text per group (undefined where a group did not take part in the match). */
function groupsOf(m: MatcherLike): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  const n = m.groupCount();
  for (let i = 0; i <= n; i++) out.push(m.group(i) ?? undefined);
  return out;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go's Regexp.Expand: `$$` is a dollar; `$name`/`${name}` a group by number or name (the longest
 * run of letters, digits and `_` after `$`), empty when there is no such group; a malformed `$`
 * stays as it is.
 */
export function expand(
  template: string,
  groups: ReadonlyArray<string | undefined>,
  names: ReadonlyMap<string, number>,
): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const start = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      continue;
    }
    i = brace ? j + 1 : j;
    const num = groupNumber(name);
    const idx = num >= 0 ? num : (names.get(name) ?? -1);
    if (idx >= 0 && idx < groups.length) out += groups[idx] ?? '';
  }
  return out + template.slice(i);
}

/** The group number a name denotes, or -1 (Go: decimal digits only, no leading zero, below 1e8). */
function groupNumber(name: string): number {
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) return -1;
    num = num * 10 + (c - 48);
  }
  if (name.length > 1 && name[0] === '0') return -1;
  return num;
}
