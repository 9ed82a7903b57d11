// The promqltest script format (Prometheus's promql/promqltest): `load`, `clear`, `eval` commands with
// their indented series and `expect` lines. Parsing is forgiving: a malformed command becomes an
// `invalid` command (a failing case with its line) and parsing resumes at the next blank line.
import { Labels, METRIC_NAME } from '../../model/labels.js';
import { parseDuration } from '../../model/duration.js';
import { STALE_NAN } from '../../model/value.js';

/** One position of a series: a float, a missing sample (`_`), or a native histogram (`{{...}}`, kept as text). */
export type SeqValue =
  | { kind: 'float'; v: number }
  | { kind: 'omitted' }
  /** `text` is the whole series item; `index` the position within its expansion. */
  | { kind: 'histogram'; text: string; index: number };

export interface SeriesDef {
  labels: Labels;
  values: SeqValue[];
  line: number;
  /**
   * From the series' `metric@st` line: each value's start timestamp as an offset (ms) from its own
   * timestamp, aligned with `values` (undefined: no start timestamp).
   */
  st?: Array<number | undefined>;
}

export interface LoadCommand {
  kind: 'load';
  line: number;
  stepMs: number;
  /** `load_with_nhcb`: classic histogram series are also loaded as native histograms with custom buckets. */
  withNHCB: boolean;
  series: SeriesDef[];
}

export interface ClearCommand {
  kind: 'clear';
  line: number;
}

export type ExpectType = 'fail' | 'warn' | 'info' | 'no_warn' | 'no_info' | 'ordered';

/** An `expect` line: without msg/regex it matches anything. */
export interface Expectation {
  type: ExpectType;
  message?: string;
  regex?: RegExp;
}

export interface ExpectedSeries {
  labels: Labels;
  /** 1-based position among the expected series (for `expect ordered`). */
  pos: number;
  values: SeqValue[];
}

export interface EvalCommand {
  kind: 'eval';
  line: number;
  expr: string;
  instant: boolean;
  /** Evaluation time of an instant query (for `expect range vector`, the range's end). */
  evalMs: number;
  /** Range queries and `expect range vector`: the expected points' start, end and step. */
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Deprecated `eval_fail|eval_warn|eval_info|eval_ordered` forms. */
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage?: string;
  expectedFailRegexp?: RegExp;
  expects: Expectation[];
  expectScalar: boolean;
  /** Expected series keyed by labelsKey(); the scalar expectation under key ''. */
  expected: Map<string, ExpectedSeries>;
  expectedString: string;
  expectRangeVector: boolean;
  /** Instant evals not also checked in range mode (`expect range vector`, `expect string`). */
  excludeFromRangeQuery: boolean;
}

/** A command the script parser could not read: counts as one failed case. */
export interface InvalidCommand {
  kind: 'invalid';
  line: number;
  text: string;
  message: string;
}

export type Command = LoadCommand | ClearCommand | EvalCommand | InvalidCommand;

export class ScriptSyntaxError extends Error {}

/** A stable key for a label set (exact names and values). */
export function labelsKey(l: Labels): string {
  return JSON.stringify(l.pairs);
}

const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const RANGE_VECTOR_PREFIX = 'expect range vector';
const PAT_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const EXPECT_STRING_PREFIX = 'expect string';

/** Parses a whole script. Lines are 1-based, as in Prometheus's messages. */
export function parseScript(input: string): Command[] {
  // Prometheus trims every line and blanks comments; a blank line ends a command's block.
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0].toLowerCase();
    try {
      if (word === 'clear') {
        cmds.push({ kind: 'clear', line: i + 1 });
      } else if (word.startsWith('load')) {
        const [next, cmd] = parseLoad(lines, i);
        cmds.push(cmd);
        i = next;
      } else if (word.startsWith('eval')) {
        const [next, cmd] = parseEval(lines, i);
        cmds.push(cmd);
        i = next;
      } else {
        throw new ScriptSyntaxError(`invalid command "${l}"`);
      }
    } catch (err) {
      if (!(err instanceof ScriptSyntaxError)) throw err;
      cmds.push({ kind: 'invalid', line: i + 1, text: l, message: err.message });
      while (i + 1 < lines.length && lines[i + 1] !== '') i++;
    }
  }
  return cmds;
}

function duration(s: string, what: string): number {
  try {
    return parseDuration(s);
  } catch (err) {
    throw new ScriptSyntaxError(`invalid ${what} definition "${s}": ${(err as Error).message}`);
  }
}

function parseLoad(lines: string[], i: number): [number, LoadCommand] {
  const m = PAT_LOAD.exec(lines[i]);
  if (m === null) throw new ScriptSyntaxError('invalid load command. (load[_with_nhcb] <step:duration>)');
  const cmd: LoadCommand = {
    kind: 'load',
    line: i + 1,
    stepMs: duration(m[2], 'step'),
    withNHCB: m[1] === 'with_nhcb',
    series: [],
  };
  // a `metric@st` line gives the start timestamps of the sample line right after it
  let pending: { labels: Labels; st: Array<number | undefined>; line: number } | undefined;
  const byKey = new Map<string, number>();
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const def = lines[i].trim();
    const sp = def.search(/[ \t]/);
    if (sp > 0 && def.slice(0, sp).endsWith('@st')) {
      if (pending !== undefined)
        throw new ScriptSyntaxError(`line ${pending.line}: @st line has no following sample line`);
      const metric = def.slice(0, sp - 3);
      const labels = parseSeriesDesc(metric + ' _').labels;
      pending = { labels, st: parseSTSequence(def.slice(sp + 1)), line: i + 1 };
      continue;
    }
    const { labels, values } = parseSeriesDesc(def);
    const s: SeriesDef = { labels, values, line: i + 1 };
    if (pending !== undefined) {
      if (!pending.labels.equals(labels))
        throw new ScriptSyntaxError(
          `line ${pending.line}: @st metric does not match the following sample line metric`,
        );
      if (pending.st.length !== values.length)
        throw new ScriptSyntaxError(
          `line ${pending.line}: @st line has ${pending.st.length} values but sample line has ${values.length}`,
        );
      s.st = pending.st;
      pending = undefined;
    }
    // Go keys the series by label hash: a later line for the same series replaces the earlier one.
    const key = labelsKey(labels);
    const prev = byKey.get(key);
    if (prev === undefined) {
      byKey.set(key, cmd.series.length);
      cmd.series.push(s);
    } else cmd.series[prev] = s;
  }
  if (pending !== undefined)
    throw new ScriptSyntaxError(`line ${pending.line}: @st line has no following sample line`);
  return [i, cmd];
}

/**
 * A `metric@st` line's values (promqltest's parseSTSequence): `_`, `_xN`, `<dur>`, `<dur>xN`,
 * `<dur>+<dur>xN` and `<dur>-<dur>xN`, durations with an optional sign; offsets in ms.
 */
export function parseSTSequence(input: string): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  for (const item of input.trim().split(/[ \t]+/)) {
    if (item === '') continue;
    const bad = (why: string): never => {
      throw new ScriptSyntaxError(`invalid @st sequence: invalid ST item "${item}": ${why}`);
    };
    if (item === '_') {
      out.push(undefined);
      continue;
    }
    if (item.startsWith('_x')) {
      const n = /^\d+$/.test(item.slice(2)) ? Number(item.slice(2)) : 0;
      if (n === 0) bad('invalid repeat count');
      for (let k = 0; k < n; k++) out.push(undefined);
      continue;
    }
    const [base, rest] = durationPrefix(item, bad);
    if (rest === '') {
      out.push(base);
      continue;
    }
    if (rest[0] === 'x') {
      if (!/^\d+$/.test(rest.slice(1))) bad('invalid repeat count');
      for (let k = 0; k <= Number(rest.slice(1)); k++) out.push(base);
      continue;
    }
    if (rest[0] !== '+' && rest[0] !== '-') bad(`unexpected character '${rest[0]}' after duration`);
    const [step, rest2] = durationPrefix(rest.slice(1), bad);
    const delta = rest[0] === '-' ? -step : step;
    if (rest2 === '' || rest2[0] !== 'x') bad("expected 'x<count>' after step duration");
    if (!/^\d+$/.test(rest2.slice(1))) bad('invalid repeat count');
    let offset = base;
    for (let k = 0; k <= Number(rest2.slice(1)); k++) {
      out.push(offset);
      offset += delta;
    }
  }
  return out;
}

/** A signed duration at the start of s (its unit ends before an `x`), in ms, and the rest of s. */
function durationPrefix(s: string, bad: (why: string) => never): [number, string] {
  const m = /^([+-]?)(\d+[a-wyzA-Z]*)/.exec(s);
  if (m === null) return bad(`expected digits in duration "${s}"`);
  let ms: number;
  try {
    ms = parseDuration(m[2]);
  } catch {
    return bad(`invalid duration "${m[2]}"`);
  }
  return [m[1] === '-' ? -ms : ms, s.slice(m[0].length)];
}

function parseEval(lines: string[], i: number): [number, EvalCommand] {
  const inst = PAT_EVAL_INSTANT.exec(lines[i]);
  const rng = inst === null ? PAT_EVAL_RANGE.exec(lines[i]) : null;
  if (inst === null && rng === null) {
    throw new ScriptSyntaxError(
      "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'",
    );
  }
  const line = i + 1;
  let cmd: EvalCommand;
  const base = {
    kind: 'eval' as const,
    line,
    fail: false,
    warn: false,
    info: false,
    ordered: false,
    expects: [],
    expectScalar: false,
    expected: new Map<string, ExpectedSeries>(),
    expectedString: '',
    expectRangeVector: false,
    excludeFromRangeQuery: false,
  };
  let mod: string | undefined;
  if (inst !== null) {
    mod = inst[1];
    const at = duration(inst[2] ?? '', 'timestamp');
    cmd = { ...base, expr: inst[3], instant: true, evalMs: at, startMs: at, endMs: at, stepMs: 0 };
  } else {
    const r = rng!;
    mod = r[1];
    const from = duration(r[2], 'start timestamp');
    const to = duration(r[3], 'end timestamp');
    if (to < from) {
      throw new ScriptSyntaxError(
        `invalid test definition, end timestamp (${r[3]}) is before start timestamp (${r[2]})`,
      );
    }
    const step = duration(r[4], 'step');
    cmd = { ...base, expr: r[5], instant: false, evalMs: to, startMs: from, endMs: to, stepMs: step };
  }
  if (mod === 'fail') cmd.fail = true;
  else if (mod === 'warn') cmd.warn = true;
  else if (mod === 'info') cmd.info = true;
  else if (mod === 'ordered') cmd.ordered = true;

  for (let j = 1; i + 1 < lines.length; j++) {
    i++;
    const def = lines[i];
    if (def === '') {
      i--;
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.expectedFailRegexp = compileRegex(def.slice('expected_fail_regexp'.length).trim());
      break;
    }
    if (def.startsWith(RANGE_VECTOR_PREFIX)) {
      const m = PAT_EXPECT_RANGE.exec(def);
      if (m === null) throw new ScriptSyntaxError(`invalid range vector definition "${def}"`);
      const from = duration(m[1], 'start timestamp');
      const to = duration(m[2], 'end timestamp');
      if (to < from) {
        throw new ScriptSyntaxError(
          `invalid test definition, end timestamp (${m[2]}) is before start timestamp (${m[1]})`,
        );
      }
      cmd.startMs = from;
      cmd.endMs = to;
      cmd.stepMs = duration(m[3], 'step');
      cmd.evalMs = to;
      cmd.expectRangeVector = true;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.startsWith(EXPECT_STRING_PREFIX)) {
      cmd.expectedString = parseStringExpectation(def);
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    // A metric named `expect` can still be written `expect{}`.
    if (def.split(' ')[0] === 'expect') {
      cmd.expects.push(parseExpect(def));
      j--;
      validateExpects(cmd.expects);
      continue;
    }
    const n = parseGoNumber(def);
    if (n !== undefined) {
      cmd.expectScalar = true;
      cmd.expected.set('', { labels: Labels.EMPTY, pos: 0, values: [{ kind: 'float', v: n }] });
      break;
    }
    const { labels, values } = parseSeriesDesc(def);
    if (values.length > 1 && cmd.instant && !cmd.expectRangeVector) {
      throw new ScriptSyntaxError(
        "expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query",
      );
    }
    cmd.expectScalar = false;
    cmd.expected.set(labelsKey(labels), { labels, pos: j, values });
  }
  return [i, cmd];
}

function compileRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      throw new ScriptSyntaxError(`invalid regex ${pattern}`);
    }
  }
}

function parseExpect(def: string): Expectation {
  const m = PAT_EXPECT.exec(def.trim());
  if (m === null) {
    throw new ScriptSyntaxError(
      'invalid expect statement, must match `expect <type> <match_type>: <string>` format',
    );
  }
  const type = m[1] as ExpectType;
  if (m[2] === 'msg') return { type, message: m[3].trim() };
  if (m[2] === 'regex') return { type, regex: compileRegex(m[3].trim()) };
  return { type };
}

function validateExpects(e: Expectation[]): void {
  const has = (t: ExpectType): boolean => e.some((x) => x.type === t);
  if (has('info') && has('no_info'))
    throw new ScriptSyntaxError('invalid expect lines, info and no_info cannot be used together');
  if (has('warn') && has('no_warn'))
    throw new ScriptSyntaxError('invalid expect lines, warn and no_warn cannot be used together');
  if (e.filter((x) => x.type === 'fail').length > 1)
    throw new ScriptSyntaxError('invalid expect lines, multiple expect fail lines are not allowed');
}

function parseStringExpectation(def: string): string {
  const invalid = 'expected string literal not valid - a quoted string literal is required';
  if (def === EXPECT_STRING_PREFIX) throw new ScriptSyntaxError(invalid);
  const s = def.startsWith(EXPECT_STRING_PREFIX + ' ') ? def.slice(EXPECT_STRING_PREFIX.length + 1) : def;
  if (s === '') throw new ScriptSyntaxError(invalid);
  const q = goUnquote(s);
  if (q === undefined) {
    throw new ScriptSyntaxError(
      'expected string literal not valid - check that the string is correctly quoted',
    );
  }
  return q;
}

/** Go's strconv.Unquote: "..." with escapes, `...` raw, '.' one character; undefined when invalid. */
export function goUnquote(s: string): string | undefined {
  if (s.length < 2) return undefined;
  const q = s[0];
  if (s[s.length - 1] !== q) return undefined;
  const body = s.slice(1, -1);
  if (q === '`') return body.includes('`') || body.includes('\r') ? undefined : body;
  if (q !== '"' && q !== "'") return undefined;
  const out = unescapeBody(body, q);
  if (out === undefined) return undefined;
  if (q === "'" && [...out].length !== 1) return undefined;
  return out;
}

function unescapeBody(body: string, q: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === q || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
    };
    if (e === undefined) return undefined;
    if (simple[e] !== undefined) out += simple[e];
    else if (e === q) out += q;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) return undefined;
      const code = parseInt(hex, 16);
      // \x is a byte in Go; only ASCII round-trips faithfully through a JS string.
      if (code > 0x10ffff) return undefined;
      out += String.fromCodePoint(code);
      i += n;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else return undefined;
  }
  return out;
}

/** Go's parseNumber in promqltest: strconv.ParseInt(s, 0, 64), else strconv.ParseFloat. */
export function parseGoNumber(s: string): number | undefined {
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$/.test(s)) {
    const neg = s.startsWith('-');
    const body = s.replace(/^[+-]/, '').replace(/_/g, '');
    const v = Number(body);
    return Number.isNaN(v) ? undefined : neg ? -v : v;
  }
  if (/^[+-]?0[0-7]+$/.test(s)) {
    // ParseInt with base 0 reads a leading 0 as octal.
    const neg = s.startsWith('-');
    const v = parseInt(s.replace(/^[+-]/, ''), 8);
    return neg ? -v : v;
  }
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(s)) return undefined;
  return undefined;
}

// ---- series descriptions: `metric{a="b"} 1+2x3 _ stale {{schema:0 sum:1}}` ----

// No hexadecimal here: Prometheus's lexer disallows it in series descriptions (`1+0x10` is 1 + 0×10).
const NUM = String.raw`(?:[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))`;
const PAT_ITEM = new RegExp(`^(${NUM})(?:([+-])(${NUM}))?(?:x(\\d+))?$`, 'i');

function parseNum(s: string): number {
  const t = s.toLowerCase();
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  let v: number;
  if (body === 'inf') v = Infinity;
  else if (body === 'nan') v = NaN;
  else v = Number(body);
  return neg ? -v : v;
}

/** Parses `metric{labels} values...` (Prometheus's ParseSeriesDesc). */
export function parseSeriesDesc(def: string): { labels: Labels; values: SeqValue[] } {
  const { labels, rest } = parseMetric(def);
  return { labels, values: parseValues(rest) };
}

function parseMetric(def: string): { labels: Labels; rest: string } {
  let i = 0;
  const pairs: string[] = [];
  while (i < def.length && /[a-zA-Z0-9_:]/.test(def[i])) i++;
  if (i > 0) pairs.push(METRIC_NAME, def.slice(0, i));
  if (def[i] === '{') {
    i = parseLabelSet(def, i + 1, pairs);
  } else if (i === 0) {
    throw new ScriptSyntaxError(`invalid series description "${def}": expected metric name or label set`);
  }
  if (i < def.length && !/[ \t]/.test(def[i])) {
    throw new ScriptSyntaxError(`invalid series description "${def}": unexpected "${def[i]}"`);
  }
  return { labels: Labels.fromPairs(pairs), rest: def.slice(i) };
}

/** Reads a quoted string at s[i]; returns the value and the index after it. */
function readQuoted(s: string, i: number): [string, number] {
  const q = s[i];
  let j = i + 1;
  while (j < s.length && s[j] !== q) j += s[j] === '\\' && q !== '`' ? 2 : 1;
  if (j >= s.length) throw new ScriptSyntaxError(`unterminated quoted string in "${s}"`);
  const v = goUnquote(s.slice(i, j + 1));
  if (v === undefined) throw new ScriptSyntaxError(`invalid quoted string ${s.slice(i, j + 1)}`);
  return [v, j + 1];
}

function parseLabelSet(s: string, i: number, pairs: string[]): number {
  const skipWs = (): void => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  for (;;) {
    skipWs();
    if (s[i] === '}') return i + 1;
    let name: string;
    if (s[i] === '"' || s[i] === "'" || s[i] === '`') {
      [name, i] = readQuoted(s, i);
    } else {
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
      if (m === null) throw new ScriptSyntaxError(`invalid label set in "${s}" at "${s.slice(i)}"`);
      name = m[0];
      i += name.length;
    }
    skipWs();
    if (s[i] === ',' || s[i] === '}') {
      // A quoted name on its own is the metric name: {"my.metric", a="b"}.
      pairs.push(METRIC_NAME, name);
    } else {
      if (s[i] !== '=') throw new ScriptSyntaxError(`expected "=" after label name in "${s}"`);
      i++;
      skipWs();
      if (!(s[i] === '"' || s[i] === "'" || s[i] === '`'))
        throw new ScriptSyntaxError(`expected quoted label value in "${s}"`);
      let value: string;
      [value, i] = readQuoted(s, i);
      pairs.push(name, value);
      skipWs();
    }
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new ScriptSyntaxError(`unterminated label set in "${s}"`);
  }
}

/** Splits values on whitespace outside `{{ }}`. */
function splitItems(rest: string): string[] {
  const items: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of rest) {
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    if ((c === ' ' || c === '\t') && depth === 0) {
      if (cur !== '') items.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) throw new ScriptSyntaxError(`unterminated histogram in "${rest.trim()}"`);
  if (cur !== '') items.push(cur);
  return items;
}

function parseValues(rest: string): SeqValue[] {
  const out: SeqValue[] = [];
  for (const item of splitItems(rest)) {
    if (item === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    let m = /^_x(\d+)$/.exec(item);
    if (m !== null) {
      for (let k = 0; k < Number(m[1]); k++) out.push({ kind: 'omitted' });
      continue;
    }
    if (item === 'stale') {
      out.push({ kind: 'float', v: STALE_NAN });
      continue;
    }
    if (item.startsWith('{{')) {
      out.push(...parseHistogramItem(item));
      continue;
    }
    m = PAT_ITEM.exec(item);
    if (m === null) throw new ScriptSyntaxError(`invalid series value "${item}"`);
    const start = parseNum(m[1]);
    if (m[4] === undefined) {
      if (m[2] !== undefined) throw new ScriptSyntaxError(`invalid series value "${item}": missing x<count>`);
      out.push({ kind: 'float', v: start });
      continue;
    }
    const times = Number(m[4]);
    let inc = m[3] === undefined ? 0 : parseNum(m[3]);
    if (m[2] === '-') inc = -inc;
    // Accumulated as Go's newSeq does (start += offset), so rounding matches.
    let cur = start;
    for (let k = 0; k <= times; k++) {
      out.push({ kind: 'float', v: cur });
      cur += inc;
    }
  }
  return out;
}

/** `{{...}}`, `{{...}}xN`, `{{...}}+{{...}}xN`, `{{...}}-{{...}}xN`: recognised, not interpreted. */
function parseHistogramItem(item: string): SeqValue[] {
  const end = item.indexOf('}}');
  if (end < 0) throw new ScriptSyntaxError(`invalid histogram "${item}"`);
  const first = item.slice(0, end + 2);
  let rest = item.slice(end + 2);
  if (rest === '') return [{ kind: 'histogram', text: first, index: 0 }];
  if (rest[0] === '+' || rest[0] === '-') {
    const e2 = rest.indexOf('}}');
    if (!rest.startsWith('{{', 1) || e2 < 0) throw new ScriptSyntaxError(`invalid histogram "${item}"`);
    rest = rest.slice(e2 + 2);
  }
  const m = /^x(\d+)$/.exec(rest);
  if (m === null) throw new ScriptSyntaxError(`invalid histogram series "${item}"`);
  const out: SeqValue[] = [];
  for (let k = 0; k <= Number(m[1]); k++) out.push({ kind: 'histogram', text: item, index: k });
  return out;
}
