// Relabel configs (Prometheus model/relabel): schema, defaults and Config.Validate. The checks that
// depend on the name validation scheme run once the scheme of the owning job is known.
import { isValidLabelName, isWellFormedText, type NameValidationScheme } from '../model/labelname.js';
import { compileAnchored, RegexError } from '../model/regex.js';
import { list, str, uint, type Obj, type ObjectSchema } from './schema.js';
import { fieldError } from './source.js';
import type { RelabelAction, RelabelConfig } from './types.js';

const ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

export const DEFAULT_RELABEL = {
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: 'replace',
} as const;

// A target label or labelmap replacement that may reference capture groups ($1, ${name}).
const RELABEL_TARGET_LEGACY = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

export const relabelSchema: ObjectSchema = {
  type: 'relabel.Config',
  fields: [
    { name: 'source_labels', kind: list(str, true) },
    { name: 'separator', kind: str, def: () => DEFAULT_RELABEL.separator },
    { name: 'regex', kind: str, def: () => DEFAULT_RELABEL.regex, always: true },
    { name: 'modulus', kind: uint },
    { name: 'target_label', kind: str },
    { name: 'replacement', kind: str, def: () => DEFAULT_RELABEL.replacement, always: true },
    { name: 'action', kind: str, def: () => DEFAULT_RELABEL.action, always: true },
  ],
  finish(o) {
    // Action names are case-insensitive in Prometheus and stored lower-cased.
    const action = (o.action as string).toLowerCase();
    if (action !== '' && !ACTIONS.includes(action as RelabelAction)) {
      throw fieldError(o, 'action', `unknown relabel action ${JSON.stringify(o.action)}`);
    }
    o.action = action;
    try {
      compileAnchored(o.regex as string);
    } catch (err) {
      const msg = err instanceof RegexError ? err.message : String(err);
      throw fieldError(
        o,
        'regex',
        msg.startsWith('error parsing regexp') ? msg : `error parsing regexp: ${msg}`,
      );
    }
  },
};

function validTargetWithVars(value: string, scheme: NameValidationScheme): boolean {
  // Under UTF-8 any valid string is allowed (Prometheus cannot tell "$" from a template there).
  return scheme === 'legacy' ? RELABEL_TARGET_LEGACY.test(value) : isWellFormedText(value);
}

/** relabel.Config.Validate(nameValidationScheme). */
export function validateRelabel(o: Obj, scheme: NameValidationScheme): void {
  const c = o as unknown as RelabelConfig;
  const a = c.action;
  if ((a as string) === '') throw fieldError(o, 'action', 'relabel action cannot be empty');
  if (c.modulus === 0 && a === 'hashmod') {
    throw fieldError(o, 'modulus', 'relabel configuration for hashmod requires non-zero modulus');
  }
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(a);
  if (needsTarget && c.target_label === '') {
    throw fieldError(
      o,
      'target_label',
      `relabel configuration for ${a} action requires 'target_label' value`,
    );
  }
  const badTarget = (): never => {
    throw fieldError(
      o,
      'target_label',
      `${JSON.stringify(c.target_label)} is invalid 'target_label' for ${a} action`,
    );
  };
  if (a === 'replace') {
    const hasVar = c.target_label.includes('$');
    if (!hasVar && !isValidLabelName(c.target_label, scheme)) badTarget();
    if (hasVar && !validTargetWithVars(c.target_label, scheme)) badTarget();
  }
  const plainTarget = ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(a);
  if (plainTarget && !isValidLabelName(c.target_label, scheme)) badTarget();
  if (plainTarget && c.replacement !== DEFAULT_RELABEL.replacement) {
    throw fieldError(o, 'replacement', `'replacement' can not be set for ${a} action`);
  }
  if (a === 'labelmap' && !validTargetWithVars(c.replacement, scheme)) {
    throw fieldError(
      o,
      'replacement',
      `${JSON.stringify(c.replacement)} is invalid 'replacement' for ${a} action`,
    );
  }
  if (a === 'hashmod' && !isValidLabelName(c.target_label, scheme)) badTarget();
  if (a === 'keepequal' || a === 'dropequal') {
    if (
      c.regex !== DEFAULT_RELABEL.regex ||
      c.modulus !== 0 ||
      c.separator !== DEFAULT_RELABEL.separator ||
      c.replacement !== DEFAULT_RELABEL.replacement
    ) {
      throw fieldError(
        o,
        undefined,
        `${a} action requires only 'source_labels' and \`target_label\`, and no other fields`,
      );
    }
  }
  if (a === 'labeldrop' || a === 'labelkeep') {
    if (
      c.source_labels.length > 0 ||
      c.target_label !== '' ||
      c.modulus !== 0 ||
      c.separator !== DEFAULT_RELABEL.separator ||
      c.replacement !== DEFAULT_RELABEL.replacement
    ) {
      throw fieldError(o, undefined, `${a} action requires only 'regex', and no other fields`);
    }
  }
}

/** Checks a relabel list: null entries (`- ` with nothing) and each rule. */
export function validateRelabelList(
  owner: Obj,
  key: string,
  scheme: NameValidationScheme,
  nullReason: string,
): void {
  const rules = owner[key] as Array<Obj | null>;
  rules.forEach((r) => {
    if (r === null) throw fieldError(owner, key, nullReason);
  });
  for (const r of rules) validateRelabel(r as Obj, scheme);
}
