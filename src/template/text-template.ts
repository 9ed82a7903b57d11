// Go's text/template, as alert labels and annotations are written: text and actions ({{ }}, with the
// `{{-`/`-}}` trim markers and comments), pipelines, variables ($x := ..., $x = ..., $), fields and
// methods, if/else if/range/with/define/template/block/break/continue, and the built-in functions
// (and or not len index slice print printf println eq ne lt le gt ge html js urlquery call). Parse errors
// and execution errors read as Go's ("template: NAME:LINE: ...", "template: NAME:LINE:COL: executing
// "NAME" at <...>: ..."). Missing map keys give the zero value (Prometheus's "missingkey=zero").
//
// Values: strings, bigints (Go ints), numbers (float64), booleans, undefined (nil), arrays (slices),
// Map (map[string]string: a missing key reads ""), plain objects (map[string]any) and Go-like structs
// (objects with a `goType`; a missing field is an error; function-valued fields are methods).
import { goString, goTypeName, sprint, sprintf, sprintln } from './gofmt.js';

export class TemplateError extends Error {}

/** Go's url.QueryEscape (the urlquery built-in, and Prometheus's urlQueryEscape and links). */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** A function callable from a template; throw to fail with "error calling NAME: ...". */
export interface TemplateFunc {
  (...args: unknown[]): unknown;
}

export type FuncMap = Record<string, TemplateFunc>;

// ---------------------------------------------------------------------------------------------------
// Lexer

type ItemType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'ident'
  | 'field'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'keyword'
  | 'eof';

interface Item {
  type: ItemType;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string): boolean {
  return c === '_' || /[\p{L}\p{Nd}]/u.test(c);
}

function lex(name: string, input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let line: number;
  const fail = (msg: string, at: number): never => {
    const l = input.slice(0, at).split('\n').length;
    throw new TemplateError(`template: ${name}:${l}: ${msg}`);
  };
  const lineAt = (at: number): number => {
    let n = 1;
    for (let i = 0; i < at; i++) if (input.charCodeAt(i) === 10) n++;
    return n;
  };
  while (pos < input.length) {
    const open = input.indexOf('{{', pos);
    const end = open < 0 ? input.length : open;
    let text = input.slice(pos, end);
    let trimNext = false;
    if (open >= 0 && /^\{\{-[ \t\r\n]/.test(input.slice(open, open + 4)))
      text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') items.push({ type: 'text', val: text, pos, line: lineAt(pos) });
    if (open < 0) break;
    line = lineAt(open);
    let p = open + 2;
    if (/^-[ \t\r\n]/.test(input.slice(p, p + 2))) p += 2;
    if (input.startsWith('/*', p)) {
      const close = input.indexOf('*/', p);
      if (close < 0) fail('unclosed comment', open);
      let q = close + 2;
      if (/^[ \t\r\n]-\}\}/.test(input.slice(q, q + 4))) {
        q += 4;
        trimNext = true;
      } else if (input.startsWith('}}', q)) q += 2;
      else fail('comment ends before closing delimiter', open);
      pos = q;
      if (trimNext) pos += input.slice(pos).match(/^[ \t\r\n]*/)![0].length;
      continue;
    }
    items.push({ type: 'left', val: '{{', pos: open, line });
    let parens = 0;
    for (;;) {
      if (p >= input.length) fail('unclosed action', open);
      if (/^[ \t\r\n]-\}\}/.test(input.slice(p, p + 4))) {
        items.push({ type: 'right', val: '}}', pos: p, line: lineAt(p) });
        p += 4;
        trimNext = true;
        break;
      }
      if (input.startsWith('}}', p)) {
        if (parens > 0) fail('unclosed left paren', p);
        items.push({ type: 'right', val: '}}', pos: p, line: lineAt(p) });
        p += 2;
        break;
      }
      const c = input[p];
      const start = p;
      const push = (type: ItemType, val: string): void => {
        items.push({ type, val, pos: start, line: lineAt(start) });
      };
      if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
        while (p < input.length && isSpace(input[p]) && !/^[ \t\r\n]-\}\}/.test(input.slice(p, p + 4))) p++;
        push('space', input.slice(start, p));
      } else if (c === '=') {
        p++;
        push('assign', '=');
      } else if (c === ':') {
        if (input[p + 1] !== '=') fail('expected :=', p);
        p += 2;
        push('declare', ':=');
      } else if (c === '|') {
        p++;
        push('pipe', '|');
      } else if (c === '"') {
        p++;
        while (input[p] !== '"') {
          if (input[p] === '\\') p++;
          if (p >= input.length || input[p] === '\n') fail('unterminated quoted string', start);
          p++;
        }
        p++;
        push('string', input.slice(start, p));
      } else if (c === '`') {
        const close = input.indexOf('`', p + 1);
        if (close < 0) fail('unterminated raw quoted string', start);
        p = close + 1;
        push('rawString', input.slice(start, p));
      } else if (c === "'") {
        p++;
        while (input[p] !== "'") {
          if (input[p] === '\\') p++;
          if (p >= input.length || input[p] === '\n') fail('unterminated character constant', start);
          p++;
        }
        p++;
        push('char', input.slice(start, p));
      } else if (c === '$') {
        p++;
        while (p < input.length && isAlnum(input[p])) p++;
        push('variable', input.slice(start, p));
      } else if (c === '.') {
        if (p + 1 < input.length && input[p + 1] >= '0' && input[p + 1] <= '9') {
          p = lexNumber(input, p);
          push('number', input.slice(start, p));
        } else {
          p++;
          while (p < input.length && isAlnum(input[p])) p++;
          push(p === start + 1 ? 'dot' : 'field', input.slice(start, p));
        }
      } else if (c === ',') {
        p++;
        push('comma', ',');
      } else if (c === '(') {
        p++;
        parens++;
        push('lparen', '(');
      } else if (c === ')') {
        p++;
        parens--;
        if (parens < 0) fail('unexpected right paren', start);
        push('rparen', ')');
      } else if ((c >= '0' && c <= '9') || ((c === '-' || c === '+') && /[0-9.]/.test(input[p + 1] ?? ''))) {
        p = lexNumber(input, p);
        push('number', input.slice(start, p));
      } else if (isAlnum(c)) {
        while (p < input.length && isAlnum(input[p])) p++;
        const word = input.slice(start, p);
        if (KEYWORDS.has(word)) push('keyword', word);
        else if (word === 'true' || word === 'false') push('bool', word);
        else if (word === 'nil') push('nil', word);
        else push('ident', word);
      } else {
        const cp = input.codePointAt(p)!;
        // Go's %#U: the code point, and the character itself when printable
        const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
        const shown = printable ? ` '${String.fromCodePoint(cp)}'` : '';
        fail(
          `unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')}${shown}`,
          start,
        );
      }
    }
    pos = p;
    if (trimNext) pos += input.slice(pos).match(/^[ \t\r\n]*/)![0].length;
  }
  items.push({ type: 'eof', val: '', pos: input.length, line: lineAt(input.length) });
  return items;
}

function lexNumber(input: string, p: number): number {
  const m =
    /^[+-]?(0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?/.exec(
      input.slice(p),
    );
  return p + Math.max(1, m === null ? 1 : m[0].length);
}

// ---------------------------------------------------------------------------------------------------
// Parser

interface Pos {
  pos: number;
  line: number;
  /** Source text, for error context. */
  src: string;
}

type Arg =
  | (Pos & { t: 'field'; path: string[] })
  | (Pos & { t: 'var'; name: string; path: string[] })
  | (Pos & { t: 'ident'; name: string })
  | (Pos & { t: 'dot' })
  | (Pos & { t: 'nil' })
  | (Pos & { t: 'const'; value: unknown })
  | (Pos & { t: 'pipe'; pipe: Pipe })
  | (Pos & { t: 'chain'; node: Arg; path: string[] });

interface Command extends Pos {
  args: Arg[];
}

interface Pipe extends Pos {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

type ControlNode = Pos & { t: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; else?: Node[] };

type Node =
  | { t: 'text'; text: string }
  | (Pos & { t: 'action'; pipe: Pipe })
  | ControlNode
  | (Pos & { t: 'template'; name: string; pipe?: Pipe })
  | (Pos & { t: 'break' | 'continue' });

export interface Parsed {
  name: string;
  /** Templates by name, the main one under `name`. */
  trees: Map<string, Node[]>;
}

class Parser {
  private i = 0;
  private vars: string[][] = [['$']];
  private rangeDepth = 0;

  constructor(
    private readonly name: string,
    private readonly input: string,
    private readonly items: Item[],
    private readonly funcs: ReadonlySet<string>,
    private readonly trees: Map<string, Node[]>,
  ) {}

  private fail(msg: string, item?: Item): never {
    throw new TemplateError(`template: ${this.name}:${(item ?? this.peek()).line}: ${msg}`);
  }

  private peek(): Item {
    return this.items[this.i];
  }

  private next(): Item {
    return this.items[this.i++];
  }

  private nextNonSpace(): Item {
    let it = this.next();
    while (it.type === 'space') it = this.next();
    return it;
  }

  private peekNonSpace(): Item {
    const save = this.i;
    const it = this.nextNonSpace();
    this.i = save;
    return it;
  }

  private expectRight(context: string): void {
    const it = this.nextNonSpace();
    if (it.type !== 'right') this.fail(`unexpected ${describe(it)} in ${context}`, it);
  }

  /** Parses the top level: a list until EOF. */
  parseMain(): Node[] {
    const { list, end } = this.list(true);
    if (end !== 'eof') this.fail(`unexpected {{${end}}}`);
    return list;
  }

  /** A list of nodes up to {{end}}, {{else}} or EOF; returns which ended it. */
  private list(top: boolean): { list: Node[]; end: 'eof' | 'end' | 'else' } {
    const list: Node[] = [];
    for (;;) {
      const it = this.next();
      if (it.type === 'eof') {
        if (!top) this.fail('unexpected EOF', it);
        this.i--;
        return { list, end: 'eof' };
      }
      if (it.type === 'text') {
        list.push({ t: 'text', text: it.val });
        continue;
      }
      // left delimiter
      const kw = this.peekNonSpace();
      if (kw.type === 'keyword') {
        this.nextNonSpace();
        switch (kw.val) {
          case 'end':
            if (top) this.fail('unexpected {{end}}', kw);
            this.expectRight('end');
            return { list, end: 'end' };
          case 'else':
            if (top) this.fail('unexpected {{else}}', kw);
            return { list, end: 'else' };
          case 'if':
          case 'with':
          case 'range':
            list.push(this.control(kw));
            continue;
          case 'define':
            this.define(kw);
            continue;
          case 'block':
            list.push(this.block(kw));
            continue;
          case 'template':
            list.push(this.templateCall(kw));
            continue;
          case 'break':
          case 'continue':
            if (this.rangeDepth === 0) this.fail(`{{${kw.val}}} outside {{range}}`, kw);
            this.expectRight(kw.val);
            list.push({ t: kw.val, pos: kw.pos, line: kw.line, src: kw.val });
            continue;
        }
      }
      const pipe = this.pipeline('command', true);
      list.push({ t: 'action', pipe, pos: pipe.pos, line: pipe.line, src: pipe.src });
    }
  }

  private control(kw: Item): Node {
    const t = kw.val as 'if' | 'with' | 'range';
    this.vars.push([...this.vars[this.vars.length - 1]]);
    const pipe = this.pipeline(t, true);
    if (t === 'range') this.rangeDepth++;
    const body = this.list(false);
    if (t === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.end === 'else') {
      const next = this.peekNonSpace();
      if ((t === 'if' && next.val === 'if') || (t === 'with' && next.val === 'with')) {
        // {{else if ...}} / {{else with ...}}: an else branch holding one nested control
        this.nextNonSpace();
        this.vars.pop();
        this.vars.push([...this.vars[this.vars.length - 1]]);
        elseList = [this.control(next)];
        this.vars.pop();
        return { t, pipe, list: body.list, else: elseList, pos: kw.pos, line: kw.line, src: kw.val };
      }
      this.expectRight('else');
      const rest = this.list(false);
      if (rest.end !== 'end') this.fail('expected end; found {{else}}');
      elseList = rest.list;
    }
    this.vars.pop();
    return { t, pipe, list: body.list, else: elseList, pos: kw.pos, line: kw.line, src: kw.val };
  }

  private templateName(context: string): string {
    const it = this.nextNonSpace();
    if (it.type !== 'string' && it.type !== 'rawString')
      this.fail(`unexpected ${describe(it)} in ${context} clause`, it);
    return unquote(it.val);
  }

  private define(kw: Item): void {
    const name = this.templateName('define');
    this.expectRight('define');
    const saved = this.vars;
    this.vars = [['$']];
    const body = this.list(false);
    this.vars = saved;
    if (body.end !== 'end') this.fail('unexpected {{else}} in define', kw);
    this.trees.set(name, body.list);
  }

  private block(kw: Item): Node {
    const name = this.templateName('block');
    const pipe = this.pipeline('block', true);
    const saved = this.vars;
    this.vars = [['$']];
    const body = this.list(false);
    this.vars = saved;
    this.trees.set(name, body.list);
    return { t: 'template', name, pipe, pos: kw.pos, line: kw.line, src: 'block' };
  }

  private templateCall(kw: Item): Node {
    const name = this.templateName('template');
    const next = this.peekNonSpace();
    if (next.type === 'right') {
      this.nextNonSpace();
      return { t: 'template', name, pos: kw.pos, line: kw.line, src: 'template' };
    }
    const pipe = this.pipeline('template', true);
    return { t: 'template', name, pipe, pos: kw.pos, line: kw.line, src: 'template' };
  }

  /** A pipeline up to }} (top) or ) (inside parentheses). */
  private pipeline(context: string, top: boolean): Pipe {
    const first = this.peekNonSpace();
    const pipe: Pipe = { decl: [], assign: false, cmds: [], pos: first.pos, line: first.line, src: '' };
    // declarations: $x := or $x, $y := (range) or $x =
    const save = this.i;
    const v = this.nextNonSpace();
    if (v.type === 'variable') {
      const op = this.nextNonSpace();
      if (op.type === 'declare' || op.type === 'assign') {
        pipe.decl.push(v.val);
        pipe.assign = op.type === 'assign';
      } else if (op.type === 'comma' && context === 'range') {
        const v2 = this.nextNonSpace();
        const op2 = this.nextNonSpace();
        if (v2.type !== 'variable' || (op2.type !== 'declare' && op2.type !== 'assign'))
          this.fail('range can only initialize variables', op2);
        pipe.decl.push(v.val, v2.val);
        pipe.assign = op2.type === 'assign';
      } else this.i = save;
    } else this.i = save;
    if (pipe.assign) for (const d of pipe.decl) this.useVar(d, v);
    for (;;) {
      const it = this.peekNonSpace();
      if (top && it.type === 'right') {
        this.nextNonSpace();
        break;
      }
      if (!top && it.type === 'rparen') break;
      if (it.type === 'eof') this.fail(`unclosed action`, it);
      if (it.type === 'right' || it.type === 'rparen')
        this.fail(`unexpected ${describe(it)} in ${context}`, it);
      pipe.cmds.push(this.command(top));
      const after = this.peekNonSpace();
      if (after.type === 'pipe') {
        this.nextNonSpace();
        continue;
      }
    }
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, first);
    if (!pipe.assign) this.vars[this.vars.length - 1].push(...pipe.decl);
    const last = this.items[this.i - 1];
    pipe.src = this.input.slice(first.pos, last.pos).trim();
    for (let k = 1; k < pipe.cmds.length; k++) {
      const a = pipe.cmds[k].args[0];
      if (a.t === 'const' || a.t === 'nil' || a.t === 'dot')
        this.fail(`non executable command in pipeline stage ${k + 1}`, this.items[this.i - 1]);
    }
    return pipe;
  }

  private useVar(name: string, at: Item): void {
    if (!this.vars[this.vars.length - 1].includes(name)) this.fail(`undefined variable "${name}"`, at);
  }

  private command(top: boolean): Command {
    const start = this.peekNonSpace();
    const cmd: Command = { args: [], pos: start.pos, line: start.line, src: '' };
    for (;;) {
      const it = this.peekNonSpace();
      if (it.type === 'right' || it.type === 'rparen' || it.type === 'pipe' || it.type === 'eof') break;
      const op = this.operand();
      cmd.args.push(op);
      const after = this.peek();
      if (
        after.type !== 'space' &&
        after.type !== 'right' &&
        after.type !== 'rparen' &&
        after.type !== 'pipe'
      )
        this.fail(`unexpected ${describe(after)} in operand`, after);
    }
    if (cmd.args.length === 0) this.fail('empty command', start);
    void top;
    const endPos = this.items[this.i - 1];
    cmd.src = this.input.slice(start.pos, endPos.pos + endPos.val.length).trim();
    return cmd;
  }

  private operand(): Arg {
    const it = this.nextNonSpace();
    const base = { pos: it.pos, line: it.line, src: it.val };
    let node: Arg;
    switch (it.type) {
      case 'field':
        node = { ...base, t: 'field', path: [it.val.slice(1)] };
        break;
      case 'variable': {
        this.useVar(it.val, it);
        node = { ...base, t: 'var', name: it.val, path: [] };
        break;
      }
      case 'ident':
        if (!this.funcs.has(it.val)) this.fail(`function "${it.val}" not defined`, it);
        node = { ...base, t: 'ident', name: it.val };
        break;
      case 'dot':
        node = { ...base, t: 'dot' };
        break;
      case 'nil':
        node = { ...base, t: 'nil' };
        break;
      case 'bool':
        node = { ...base, t: 'const', value: it.val === 'true' };
        break;
      case 'string':
      case 'rawString':
        node = { ...base, t: 'const', value: unquote(it.val) };
        break;
      case 'char':
        node = {
          ...base,
          t: 'const',
          value: BigInt(unquote('"' + it.val.slice(1, -1) + '"').codePointAt(0) ?? 0),
        };
        break;
      case 'number':
        node = {
          ...base,
          t: 'const',
          value: parseNumber(it.val, () => this.fail(`illegal number syntax: "${it.val}"`, it)),
        };
        break;
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', false);
        const close = this.nextNonSpace();
        if (close.type !== 'rparen') this.fail('unclosed left paren', close);
        node = { ...base, src: this.input.slice(it.pos, close.pos + 1), t: 'pipe', pipe };
        break;
      }
      default:
        this.fail(`unexpected ${describe(it)} in operand`, it);
    }
    // a field chain: .a.b after a term
    while (this.peek().type === 'field') {
      const f = this.next();
      const name = f.val.slice(1);
      if (node.t === 'field' || node.t === 'var' || node.t === 'chain') node.path.push(name);
      else if (node.t === 'dot') node = { ...base, t: 'field', path: [name] };
      else node = { ...base, t: 'chain', node, path: [name] };
      node.src = this.input.slice(base.pos, f.pos + f.val.length);
    }
    return node;
  }
}

function describe(it: Item): string {
  if (it.type === 'right') return '"}}"';
  if (it.type === 'eof') return 'EOF';
  if (it.type === 'rparen') return '")"';
  return `<${it.val}>`;
}

function parseNumber(text: string, fail: () => never): bigint | number {
  const clean = text.replace(/_/g, '');
  if (/i$/.test(clean)) fail();
  const isFloatSyntax = /[.eEpP]/.test(clean) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(clean);
  if (!isFloatSyntax) {
    const neg = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    let v: bigint;
    try {
      if (/^0[xXbBoO]/.test(body)) v = BigInt(body);
      else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
      else if (/^[0-9]+$/.test(body)) v = BigInt(body);
      else return fail();
    } catch {
      return fail();
    }
    return neg ? -v : v;
  }
  const f = Number(clean);
  if (Number.isNaN(f)) fail();
  return f;
}

/** Go string literal ("..." with escapes, or `raw`). */
export function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  try {
    return JSON.parse(
      s
        .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
        .replace(/\\U([0-9a-fA-F]{8})/g, (_m, h: string) => {
          const cp = parseInt(h, 16);
          return JSON.stringify(String.fromCodePoint(cp)).slice(1, -1);
        })
        .replace(/\\a/g, '\\u0007')
        .replace(/\\v/g, '\\u000b')
        .replace(/\\'/g, "'"),
    ) as string;
  } catch {
    return s.slice(1, -1);
  }
}

// ---------------------------------------------------------------------------------------------------
// Execution

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
type Signal = typeof BREAK | typeof CONTINUE | undefined;

class ExecError extends Error {}
/** A call with the wrong number of arguments: reported without "error calling". */
class ArgError extends ExecError {}

interface State {
  out: string[];
  vars: Array<[string, unknown]>;
  depth: number;
}

export const BUILTINS = [
  'and',
  'or',
  'not',
  'len',
  'index',
  'slice',
  'print',
  'printf',
  'println',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'html',
  'js',
  'urlquery',
  'call',
] as const;

/** Go's truth: false, 0, nil, empty string/slice/map are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object' && (v as { goType?: string }).goType === undefined)
    return Object.keys(v).length > 0;
  return true;
}

function basicKind(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function compare(op: string, a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (op === 'eq' || op === 'ne') {
    if (ka === 'other' || kb === 'other') {
      if ((a === undefined || a === null) && (b === undefined || b === null)) return op === 'eq';
      throw new ExecError('invalid type for comparison');
    }
    if (ka !== kb) throw new ExecError('incompatible types for comparison');
    return (a === b) === (op === 'eq');
  }
  if (ka === 'other' || kb === 'other' || ka === 'bool' || kb === 'bool')
    throw new ExecError('invalid type for comparison');
  if (ka !== kb) throw new ExecError('incompatible types for comparison');
  const x = a as number | bigint | string;
  const y = b as number | bigint | string;
  switch (op) {
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    case 'gt':
      return x > y;
    default:
      return x >= y;
  }
}

function lengthOf(v: unknown): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof Map) return BigInt(v.size);
  if (v !== null && typeof v === 'object' && (v as { goType?: string }).goType === undefined)
    return BigInt(Object.keys(v).length);
  throw new ExecError(`len of type ${goTypeName(v)}`);
}

function indexOf(item: unknown, idx: unknown[]): unknown {
  let v = item;
  for (const i of idx) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof i !== 'bigint') throw new ExecError(`cannot index slice/array with type ${goTypeName(i)}`);
      const n = Number(i);
      const len = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
      if (n < 0 || n >= len) throw new ExecError(`index out of range: ${n}`);
      v = typeof v === 'string' ? BigInt(Buffer.from(v)[n]) : (v as unknown[])[n];
    } else if (v instanceof Map) {
      if (typeof i !== 'string') throw new ExecError(`value has type ${goTypeName(i)}; should be string`);
      v = v.has(i) ? v.get(i) : '';
    } else if (v !== null && typeof v === 'object') {
      v = (v as Record<string, unknown>)[String(i)];
    } else if (v === undefined || v === null) {
      throw new ExecError('index of untyped nil');
    } else throw new ExecError(`can't index item of type ${goTypeName(v)}`);
  }
  return v;
}

const HTML_ESC: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&#39;',
  '"': '&#34;',
  '\0': '\uFFFD',
};

function builtin(name: string, args: unknown[]): unknown {
  switch (name) {
    case 'not':
      if (args.length !== 1) throw new ArgError(`wrong number of args for not: want 1 got ${args.length}`);
      return !truth(args[0]);
    case 'len':
      if (args.length !== 1) throw new ArgError(`wrong number of args for len: want 1 got ${args.length}`);
      return lengthOf(args[0]);
    case 'index':
      if (args.length < 1) throw new ExecError('wrong number of args for index: want at least 1 got 0');
      return indexOf(args[0], args.slice(1));
    case 'slice': {
      const [v, ...ix] = args;
      const n = ix.map((x) => Number(x as bigint));
      if (typeof v === 'string') return v.slice(n[0] ?? 0, n[1] ?? v.length);
      if (Array.isArray(v)) return v.slice(n[0] ?? 0, n[1] ?? v.length);
      throw new ExecError(`can't slice item of type ${goTypeName(v)}`);
    }
    case 'print':
      return sprint(args);
    case 'printf':
      if (typeof args[0] !== 'string')
        throw new ExecError(`wrong type for value; expected string; got ${goTypeName(args[0])}`);
      return sprintf(args[0], args.slice(1));
    case 'println':
      return sprintln(args);
    case 'eq': {
      if (args.length < 2) throw new ExecError('missing argument for comparison');
      return args.slice(1).some((b) => compare('eq', args[0], b));
    }
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      if (args.length !== 2)
        throw new ArgError(`wrong number of args for ${name}: want 2 got ${args.length}`);
      return compare(name, args[0], args[1]);
    case 'html':
      return sprint(args).replace(/[<>&'"\0]/g, (c) => HTML_ESC[c]);
    case 'js':
      return sprint(args).replace(/[\\'"<>&=\n\r\t]/g, (c) =>
        c === '\\'
          ? '\\\\'
          : c === "'"
            ? "\\'"
            : c === '"'
              ? '\\"'
              : '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0'),
      );
    case 'urlquery':
      return queryEscape(sprint(args));
    case 'call': {
      const [fn, ...rest] = args;
      if (typeof fn !== 'function') throw new ExecError(`non-function of type ${goTypeName(fn)}`);
      return (fn as TemplateFunc)(...rest);
    }
  }
  throw new ExecError(`function "${name}" not defined`);
}

/** A parsed template, ready to execute any number of times. */
export class Template {
  private constructor(
    readonly name: string,
    private readonly src: string,
    private readonly trees: Map<string, Node[]>,
    private readonly funcs: FuncMap,
  ) {}

  /** Parses `text`; throws TemplateError with Go's message. `funcs` are known at parse time. */
  static parse(name: string, text: string, funcs: FuncMap = {}): Template {
    const known = new Set([...BUILTINS, ...Object.keys(funcs)]);
    const trees = new Map<string, Node[]>();
    const items = lex(name, text);
    const main = new Parser(name, text, items, known, trees).parseMain();
    if (!trees.has(name) || main.some((n) => n.t !== 'text' || n.text.trim() !== '')) trees.set(name, main);
    return new Template(name, text, trees, funcs);
  }

  /** Whether a template of that name was defined. */
  has(name: string): boolean {
    return this.trees.has(name);
  }

  /** Executes the named template (the main one by default) with `data` as dot. Async: functions may be. */
  async execute(data: unknown, name = this.name): Promise<string> {
    const st: State = { out: [], vars: [['$', data]], depth: 0 };
    await this.run(name, data, st);
    return st.out.join('');
  }

  private async run(name: string, dot: unknown, st: State): Promise<void> {
    const tree = this.trees.get(name);
    if (tree === undefined)
      throw new TemplateError(`template: no template "${name}" associated with template "${this.name}"`);
    if (++st.depth > 100_000)
      throw new TemplateError(`template: ${name}: exceeded maximum template depth (100000)`);
    try {
      await this.walkList(tree, dot, st);
    } finally {
      st.depth--;
    }
  }

  private errAt(node: Pos, err: unknown): TemplateError {
    if (err instanceof TemplateError) return err;
    const before = this.src.slice(0, node.pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? node.pos : node.pos - nl - 1;
    const msg = err instanceof Error ? err.message : String(err);
    return new TemplateError(
      `template: ${this.name}:${node.line}:${col}: executing "${this.name}" at <${node.src}>: ${msg}`,
    );
  }

  /** Runs a list; stops at {{break}} or {{continue}} and hands it up to the enclosing range. */
  private async walkList(list: Node[], dot: unknown, st: State): Promise<Signal> {
    for (const n of list) {
      const r = await this.walk(n, dot, st);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** Runs one node; returns BREAK/CONTINUE to unwind to the enclosing range. */
  private async walk(n: Node, dot: unknown, st: State): Promise<Signal> {
    switch (n.t) {
      case 'text':
        st.out.push(n.text);
        return undefined;
      case 'action': {
        const v = await this.evalPipe(n.pipe, dot, st);
        if (n.pipe.decl.length === 0) st.out.push(printValue(v));
        return undefined;
      }
      case 'if':
      case 'with': {
        const mark = st.vars.length;
        const v = await this.evalPipe(n.pipe, dot, st);
        try {
          if (truth(v)) return await this.walkList(n.list, n.t === 'with' ? v : dot, st);
          if (n.else !== undefined) return await this.walkList(n.else, dot, st);
        } finally {
          st.vars.length = mark;
        }
        return undefined;
      }
      case 'range':
        await this.range(n, dot, st);
        return undefined;
      case 'template': {
        const v = n.pipe === undefined ? undefined : await this.evalPipe(n.pipe, dot, st);
        const saved = st.vars;
        st.vars = [['$', v]];
        try {
          await this.run(n.name, v, st);
        } finally {
          st.vars = saved;
        }
        return undefined;
      }
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
    }
  }

  private async range(n: ControlNode, dot: unknown, st: State): Promise<void> {
    const mark = st.vars.length;
    const pipe = { ...n.pipe, decl: [] };
    const v = await this.evalPipe(pipe, dot, st);
    let entries: Array<[unknown, unknown]>;
    if (Array.isArray(v)) entries = v.map((x, i) => [BigInt(i), x]);
    else if (v instanceof Map) entries = [...v.keys()].sort().map((k) => [k, v.get(k)]);
    else if (typeof v === 'bigint')
      entries = Array.from({ length: Number(v) }, (_x, i) => [BigInt(i), BigInt(i)]);
    else if (v === undefined || v === null) entries = [];
    else if (typeof v === 'object' && (v as { goType?: string }).goType === undefined)
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]]);
    else throw this.errAt(n, new ExecError(`range can't iterate over ${goString(v)}`));
    if (entries.length === 0) {
      if (n.else !== undefined) await this.walkList(n.else, dot, st);
      return;
    }
    try {
      outer: for (const [k, e] of entries) {
        st.vars.length = mark;
        if (n.pipe.decl.length === 1) this.setVar(st, n.pipe.decl[0], e, n.pipe.assign);
        else if (n.pipe.decl.length === 2) {
          this.setVar(st, n.pipe.decl[0], k, n.pipe.assign);
          this.setVar(st, n.pipe.decl[1], e, n.pipe.assign);
        }
        for (const child of n.list) {
          const r = await this.walk(child, e, st);
          if (r === BREAK) break outer;
          if (r === CONTINUE) continue outer;
        }
      }
    } finally {
      st.vars.length = mark;
    }
  }

  private setVar(st: State, name: string, v: unknown, assign: boolean): void {
    if (assign) {
      for (let i = st.vars.length - 1; i >= 0; i--) {
        if (st.vars[i][0] === name) {
          st.vars[i][1] = v;
          return;
        }
      }
    }
    st.vars.push([name, v]);
  }

  private async evalPipe(pipe: Pipe, dot: unknown, st: State): Promise<unknown> {
    let value: unknown = undefined;
    let piped = false;
    for (const cmd of pipe.cmds) {
      value = await this.evalCommand(cmd, dot, st, piped ? [value] : []);
      piped = true;
    }
    for (const d of pipe.decl) this.setVar(st, d, value, pipe.assign);
    return value;
  }

  private async evalCommand(cmd: Command, dot: unknown, st: State, final: unknown[]): Promise<unknown> {
    const first = cmd.args[0];
    try {
      if (first.t === 'ident') {
        const name = first.name;
        if (name === 'and' || name === 'or') {
          // short-circuit: the first falsy (and) or truthy (or) argument, else the last
          const n = cmd.args.length - 1 + final.length;
          if (n < 1) throw new ArgError(`wrong number of args for ${name}: want at least 1 got 0`);
          let v: unknown;
          for (let i = 1; i <= n; i++) {
            v = i < cmd.args.length ? await this.evalArg(cmd.args[i], dot, st) : final[0];
            if (truth(v) === (name === 'or')) return v;
          }
          return v;
        }
        const args: unknown[] = [];
        for (const a of cmd.args.slice(1)) args.push(await this.evalArg(a, dot, st));
        args.push(...final);
        const fn = this.funcs[name];
        if (fn !== undefined) {
          try {
            return await fn(...args);
          } catch (err) {
            if (err instanceof ExecError || err instanceof TemplateError) throw err;
            throw new ExecError(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        try {
          return builtin(name, args);
        } catch (err) {
          if (err instanceof ArgError || !(err instanceof ExecError)) throw err;
          throw new ExecError(`error calling ${name}: ${err.message}`);
        }
      }
      if (first.t === 'field' || first.t === 'var' || first.t === 'chain') {
        const args: unknown[] = [];
        for (const a of cmd.args.slice(1)) args.push(await this.evalArg(a, dot, st));
        args.push(...final);
        return await this.evalFieldNode(first, dot, st, args);
      }
      if (cmd.args.length > 1 || final.length > 0) {
        throw new ExecError(`can't give argument to non-function ${first.src}`);
      }
      return await this.evalArg(first, dot, st);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw this.errAt(first.t === 'field' ? first : cmd, err);
    }
  }

  private async evalArg(a: Arg, dot: unknown, st: State): Promise<unknown> {
    switch (a.t) {
      case 'const':
        return a.value;
      case 'nil':
        return undefined;
      case 'dot':
        return dot;
      case 'pipe': {
        const mark = st.vars.length;
        const v = await this.evalPipe(a.pipe, dot, st);
        st.vars.length = mark;
        return v;
      }
      case 'ident':
        return this.evalCommand({ args: [a], pos: a.pos, line: a.line, src: a.src }, dot, st, []);
      default:
        try {
          return await this.evalFieldNode(a, dot, st, []);
        } catch (err) {
          if (err instanceof TemplateError) throw err;
          throw this.errAt(a, err);
        }
    }
  }

  private async evalFieldNode(a: Arg, dot: unknown, st: State, args: unknown[]): Promise<unknown> {
    let base: unknown;
    let path: string[];
    if (a.t === 'field') {
      base = dot;
      path = a.path;
    } else if (a.t === 'var') {
      const found = [...st.vars].reverse().find(([n]) => n === a.name);
      if (found === undefined) throw new ExecError(`undefined variable: ${a.name}`);
      base = found[1];
      path = a.path;
    } else if (a.t === 'chain') {
      base = await this.evalArg(a.node, dot, st);
      path = a.path;
    } else throw new ExecError('not a field');
    if (path.length === 0) {
      if (args.length > 0) throw new ExecError(`can't give argument to non-function ${a.src}`);
      return base;
    }
    for (let i = 0; i < path.length; i++) {
      base = await field(
        base,
        path[i],
        i === path.length - 1 ? args : [],
        i === path.length - 1,
        a.t === 'field' && i === 0 && dot === undefined,
      );
    }
    return base;
  }
}

async function field(
  recv: unknown,
  name: string,
  args: unknown[],
  last: boolean,
  nilData: boolean,
): Promise<unknown> {
  if (recv === undefined || recv === null) {
    // missingkey=zero: a field of nil data is nil
    if (nilData) return undefined;
    throw new ExecError(`nil pointer evaluating ${goTypeName(recv)}.${name}`);
  }
  if (recv instanceof Map) {
    if (args.length > 0) throw new ExecError(`${name} is not a method but has arguments`);
    return recv.has(name) ? recv.get(name) : '';
  }
  if (typeof recv === 'object') {
    const struct = (recv as { goType?: string }).goType;
    const v = (recv as Record<string, unknown>)[name];
    if (struct !== undefined) {
      if (typeof v === 'function') return await (v as TemplateFunc).apply(recv, args);
      if (!Object.prototype.hasOwnProperty.call(recv, name) && v === undefined)
        throw new ExecError(`can't evaluate field ${name} in type ${struct}`);
      if (args.length > 0 && last)
        throw new ExecError(`${name} has arguments but cannot be invoked as function`);
      return v;
    }
    if (args.length > 0) throw new ExecError(`${name} is not a method but has arguments`);
    return v;
  }
  throw new ExecError(`can't evaluate field ${name} in type ${goTypeName(recv)}`);
}

/** How an action prints its value: fmt.Fprint. */
function printValue(v: unknown): string {
  return goString(v);
}
