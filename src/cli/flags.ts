// Command-line flags with Prometheus 3.x names, meanings and defaults, parsed the way kingpin does:
// `--flag=value` and `--flag value`, booleans as `--flag`, `--flag=false` or `--no-flag`, repeatable
// flags collect every value. Each flag's value is checked when parsed so a bad value fails at start.
import { parseDuration, formatDuration, DurationError } from '../model/duration.js';
import { parseByteSize, formatByteSize, ByteSizeError } from '../model/bytesize.js';
import { compileAnchored, RegexError } from '../model/regex.js';

export type FlagKind =
  'string' | 'bool' | 'duration' | 'bytes' | 'int' | 'float' | 'enum' | 'regex' | 'url' | 'list';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  /** Default as the user would type it; undefined means unset. */
  readonly default?: string;
  readonly placeholder?: string;
  readonly values?: readonly string[];
  /** Shown as the default in --help and /api/v1/status/flags, when it differs from `default`. */
  readonly shownDefault?: string;
  /** Left out of --help, as Prometheus hides it (still accepted). */
  readonly hidden?: boolean;
  /** Why the flag has no effect in Promethium; said in --help and logged once when it is given. */
  readonly noEffect?: string;
  /** Prometheus's server-only or agent-only flags. */
  readonly mode?: 'server' | 'agent';
}

export type FlagValue = string | boolean | number | string[];

export interface ParsedFlags {
  /** Every flag by name with its value (defaults applied): durations and sizes in ms/bytes. */
  readonly values: ReadonlyMap<string, FlagValue>;
  /** The flags given on the command line. */
  readonly explicit: ReadonlySet<string>;
  /** Flag name → value as text, as Prometheus shows it in /api/v1/status/flags. */
  readonly asText: Record<string, string>;
  readonly help: boolean;
  readonly version: boolean;
}

export class FlagError extends Error {}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const raw = new Map<string, string[]>();
  const explicit = new Set<string>();
  let help = false;
  let version = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new FlagError(
        arg.startsWith('-') ? `unknown short flag '${arg}'` : `unexpected argument '${arg}'`,
      );
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = byName.get(name);
    if (spec === undefined && name.startsWith('no-') && byName.get(name.slice(3))?.kind === 'bool') {
      if (value !== undefined) throw new FlagError(`flag '--${name}' does not take a value`);
      name = name.slice(3);
      spec = byName.get(name)!;
      value = 'false';
    }
    if (spec === undefined) throw new FlagError(`unknown long flag '--${name}'`);
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new FlagError(`expected argument for flag '--${name}'`);
    }
    explicit.add(name);
    const list = raw.get(name) ?? [];
    if (spec.kind === 'list') list.push(value);
    else list.splice(0, list.length, value);
    raw.set(name, list);
  }

  const values = new Map<string, FlagValue>();
  const asText: Record<string, string> = {};
  for (const spec of specs) {
    const given = raw.get(spec.name);
    if (spec.kind === 'list') {
      // Prometheus splits repeatable feature-style flags on commas too.
      const items = (given ?? (spec.default !== undefined ? [spec.default] : []))
        .flatMap((v) => v.split(','))
        .filter((v) => v !== '');
      for (const item of items) {
        if (spec.values !== undefined && !spec.values.includes(item)) {
          throw new FlagError(
            `invalid value "${item}" for flag '--${spec.name}': expected one of ${spec.values.join(', ')}`,
          );
        }
      }
      values.set(spec.name, items);
      asText[spec.name] = items.join(',');
      continue;
    }
    const text = given !== undefined ? given[0] : spec.default;
    if (text === undefined) {
      asText[spec.name] = spec.shownDefault ?? '';
      continue;
    }
    const value = convert(spec, text);
    values.set(spec.name, value);
    asText[spec.name] = display(spec, value);
  }
  return { values, explicit, asText, help, version };
}

function convert(spec: FlagSpec, text: string): FlagValue {
  const bad = (why: string): never => {
    throw new FlagError(`invalid value "${text}" for flag '--${spec.name}': ${why}`);
  };
  try {
    switch (spec.kind) {
      case 'string':
        return text;
      case 'bool':
        if (text === 'true') return true;
        if (text === 'false') return false;
        return bad('expected true or false');
      case 'duration':
        return parseDuration(text);
      case 'bytes':
        return parseByteSize(text);
      case 'int': {
        if (!/^-?\d+$/.test(text)) return bad('expected an integer');
        return Number(text);
      }
      case 'float': {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n)) return bad('expected a number');
        return n;
      }
      case 'enum':
        if (!spec.values!.includes(text)) return bad(`expected one of ${spec.values!.join(', ')}`);
        return text;
      case 'regex':
        compileAnchored(text);
        return text;
      case 'url': {
        if (text === '') return text;
        let u: URL;
        try {
          u = new URL(text);
        } catch {
          return bad('not a valid URL');
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('scheme must be http or https');
        return text;
      }
      case 'list':
        return [text];
    }
  } catch (err) {
    if (err instanceof DurationError || err instanceof ByteSizeError || err instanceof RegexError) {
      return bad(err.message);
    }
    throw err;
  }
}

function display(spec: FlagSpec, value: FlagValue): string {
  if (spec.kind === 'duration') return formatDuration(value as number);
  if (spec.kind === 'bytes') return formatByteSize(value as number);
  return String(value);
}

/** Usage text in kingpin's layout: one block per flag with its default; hidden flags left out. */
export function formatHelp(program: string, summary: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: ${program} [<flags>]`, '', summary, '', 'Flags:'];
  const shown = specs.filter((s) => s.hidden !== true);
  const head = ['-h, --[no-]help', '--[no-]version', ...shown.map(flagHead)];
  const helps = ['Show context-sensitive help.', 'Show application version.', ...shown.map(describe)];
  const width = Math.min(Math.max(...head.map((h) => h.length)) + 2, 52);
  head.forEach((h, i) => {
    const pad = h.length + 2 <= width ? ' '.repeat(width - h.length) : '\n' + ' '.repeat(width + 2);
    lines.push(`  ${h}${pad}${helps[i]}`);
  });
  return lines.join('\n') + '\n';
}

/** Markdown documentation of every flag (hidden ones too), as `--write-documentation` prints it. */
export function formatMarkdown(program: string, summary: string, specs: readonly FlagSpec[]): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = [
    `# ${program}`,
    '',
    summary,
    '',
    '## Flags',
    '',
    '| Flag | Description | Default |',
    '| --- | --- | --- |',
  ];
  for (const s of specs) {
    const def = s.shownDefault ?? s.default ?? '';
    lines.push(
      `| <code class="text-nowrap">${flagHead(s)}</code> | ${cell(describeOnly(s))} | ${def === '' ? '' : `\`${cell(def)}\``} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function flagHead(s: FlagSpec): string {
  if (s.kind === 'bool') return `--[no-]${s.name}`;
  return `--${s.name}=${s.placeholder ?? s.kind.toUpperCase()}${s.kind === 'list' ? ' ...' : ''}`;
}

/** The help text with the mode and no-effect notes, without values and default. */
function describeOnly(spec: FlagSpec): string {
  let text = spec.help;
  if (spec.mode !== undefined) text += ` Use with ${spec.mode} mode only.`;
  if (spec.noEffect !== undefined) text += ` [No effect in Promethium: ${spec.noEffect}.]`;
  return text;
}

function describe(spec: FlagSpec): string {
  let text = describeOnly(spec);
  if (spec.values !== undefined) text += ` One of: [${spec.values.join(', ')}]`;
  const def = spec.shownDefault ?? spec.default;
  if (def !== undefined && def !== '' && spec.kind !== 'bool') text += ` (default: ${def})`;
  return text;
}
