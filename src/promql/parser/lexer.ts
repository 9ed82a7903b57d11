// PromQL tokens and the Chevrotain lexer. Prometheus's lex.go is context-sensitive, which maps onto lexer
// modes: `main` (statements), `braces` (label matchers), `dur` (after `[` until the first number or
// duration), `bracket` (statements inside `[...]`, where only `:` and step()/min()/max() may follow) and
// `bracketColon` (the same after the subquery colon). Lexer errors are worded and positioned as lex.go's
// and become one ERROR token at the end of the stream, which the parser reports when it reaches it.
import { createToken, createTokenInstance, Lexer, type IToken, type TokenType } from 'chevrotain';
import { goQuote } from '../../model/goquote.js';

/** Token classes as Prometheus's ItemType groups them for error descriptions (Item.desc()). */
export const enum Kind {
  EOF,
  ERROR,
  IDENTIFIER,
  METRIC_IDENTIFIER,
  NUMBER,
  DURATION,
  STRING,
  KEYWORD,
  AGGREGATOR,
  PREPROCESSOR,
  OPERATOR,
  OTHER,
}

const kinds = new Map<TokenType, Kind>();

function category(name: string): TokenType {
  return createToken({ name, pattern: Lexer.NA });
}

// Categories the grammar consumes.
export const NumberLit = category('NumberLit');
export const DurationLit = category('DurationLit');
export const BinOp = category('BinOp');
export const DurOp = category('DurOp');
export const Aggregator = category('Aggregator');
export const MetricName = category('MetricName');
export const LabelName = category('LabelName');
export const MatchOp = category('MatchOp');
export const SignOp = category('SignOp');
export const FunctionName = category('FunctionName');
/** A lexer error: its payload is `{ msg, pos }`. Never produced by a pattern; appended after lexing. */
export const LexError = category('LexError');

function token(
  name: string,
  pattern: RegExp | string,
  kind: Kind,
  categories: TokenType[] = [],
  extra: { push_mode?: string; pop_mode?: boolean; group?: string; line_breaks?: boolean } = {},
): TokenType {
  const t = createToken({ name, pattern, categories, ...extra });
  kinds.set(t, kind);
  return t;
}

/** A word of the main mode: case-insensitive, and not a prefix of a longer identifier. */
function word(name: string, w: string, kind: Kind, categories: TokenType[] = []): TokenType {
  return token(name, new RegExp(`(?:${w})(?![\\w:])`, 'i'), kind, categories);
}

/** A keyword inside brackets (lex.go's scanDurationKeyword: letters and '_' only). */
function durWord(name: string, w: string, kind: Kind, categories: TokenType[]): TokenType {
  return token(name, new RegExp(`${w}(?![a-zA-Z_])`, 'i'), kind, categories);
}

// --- number and duration scanning (lex.go's scanNumber and acceptRemainingDuration) ---

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isAlpha(c) || isDigit(c);

interface Scanned {
  kind: Kind.NUMBER | Kind.DURATION | Kind.ERROR;
  end: number;
}

let lastScanInput = '';
let lastScanStart = -1;
let lastScan: Scanned = { kind: Kind.ERROR, end: 0 };

/** The number or duration at `start` (or where a bad one ends); the last answer is cached for the
 * Number, Duration and error paths, which all ask about the same offset. */
function scanNumberOrDuration(input: string, start: number): Scanned {
  if (input === lastScanInput && start === lastScanStart) return lastScan;
  let pos = start;
  const peek = (): string => (pos < input.length ? input[pos] : '');
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== '' && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  // The scanned text is not necessarily a valid number; the parser checks.
  const scanNumber = (): boolean => {
    let digits = '0123456789';
    if (accept('0') && accept('xX')) {
      accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    accept('.');
    accept(digits);
    let dot = false;
    let exp = false;
    while (peek() !== '' && (digits + '._eE').includes(peek())) {
      const c = peek();
      if (c === '.' && dot) {
        pos++;
        return false;
      }
      if ((c === 'e' || c === 'E') && exp) {
        pos++;
        return false;
      }
      if (accept('.')) {
        dot = true;
        if (accept('_.')) return false;
        if (digits.length > 10) return false;
        continue;
      }
      // As lex.go, 'e' is taken as an exponent even after a hex prefix.
      if (accept('eE')) {
        exp = true;
        accept('+-');
        if (accept('._eE') || peek() === '') return false;
        continue;
      }
      if (accept('_')) {
        if (accept('._eE') || peek() === '') return false;
        continue;
      }
      while (peek() !== '' && digits.includes(peek())) pos++;
    }
    if (pos === start) return false;
    return !isAlnum(peek());
  };
  const acceptRemainingDuration = (): boolean => {
    if (!accept('smhdwy')) return false;
    accept('s');
    while (accept('0123456789')) {
      while (accept('0123456789'));
      if (!accept('smhdw')) return false;
      accept('s');
    }
    const c = peek();
    if (c !== '') pos++;
    if (isAlnum(c)) return false;
    if (c !== '') pos--;
    return true;
  };
  let kind: Scanned['kind'] = Kind.ERROR;
  if (scanNumber()) kind = Kind.NUMBER;
  else if (acceptRemainingDuration()) kind = Kind.DURATION;
  lastScanInput = input;
  lastScanStart = start;
  lastScan = { kind, end: pos };
  return lastScan;
}

const startsNumber = (input: string, at: number): boolean =>
  isDigit(input[at]) || (input[at] === '.' && at + 1 < input.length && isDigit(input[at + 1]));

function numberToken(name: string, want: Kind.NUMBER | Kind.DURATION, cat: TokenType, toBracket: boolean) {
  const t = createToken({
    name,
    pattern: {
      exec: (input: string, offset: number): [string] | null => {
        if (!startsNumber(input, offset)) return null;
        const s = scanNumberOrDuration(input, offset);
        return s.kind === want ? [input.slice(offset, s.end)] : null;
      },
    },
    start_chars_hint: [...'0123456789.'],
    line_breaks: false,
    categories: [cat],
    ...(toBracket ? { pop_mode: true, push_mode: 'bracket' } : {}),
  });
  kinds.set(t, want);
  return t;
}

// --- strings (lex.go's lexString, lexEscape, lexRawString) ---

/** Go's %q of a single rune. */
function quoteRune(c: string): string {
  if (c === "'") return "'\\''";
  const q = goQuote(c);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}

/** The whole code point at a UTF-16 offset (so astral characters quote as one rune). */
function runeAt(input: string, i: number): string {
  return String.fromCodePoint(input.codePointAt(i) ?? 0);
}

/** Scans the string literal starting at `start`: its end, or lex.go's error message. */
function scanString(input: string, start: number): number | string {
  const quote = input[start];
  let pos = start + 1;
  const peek = (): string => (pos < input.length ? input[pos] : '');
  if (quote === '`') {
    for (;;) {
      const c = peek();
      if (c === '') return 'unterminated raw string';
      pos++;
      if (c === '`') return pos;
    }
  }
  const escape = (): string | undefined => {
    let ch = peek();
    if (ch === '') return 'escape sequence not terminated';
    pos++;
    let n: number;
    let base: number;
    let max: number;
    if ('abfnrtv\\'.includes(ch) || ch === quote) return undefined;
    if (ch >= '0' && ch <= '7') {
      n = 3;
      base = 8;
      max = 255;
    } else if (ch === 'x' || ch === 'u' || ch === 'U') {
      n = ch === 'x' ? 2 : ch === 'u' ? 4 : 8;
      base = 16;
      max = ch === 'x' ? 255 : 0x10ffff;
      ch = peek();
      if (ch !== '') pos++;
    } else {
      const cp = ch.codePointAt(0) ?? 0;
      return `unknown escape sequence U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${quoteRune(ch)}`;
    }
    let x = 0;
    while (n > 0) {
      const d = ch === '' ? 16 : parseInt(ch, 16);
      if (Number.isNaN(d) || d >= base) {
        if (ch === '') return 'escape sequence not terminated';
        const cp = ch.codePointAt(0) ?? 0;
        return `illegal character U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${quoteRune(ch)} in escape sequence`;
      }
      x = x * base + d;
      n--;
      if (n > 0) {
        ch = peek();
        if (ch !== '') pos++;
      }
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) return 'escape sequence is an invalid Unicode code point';
    return undefined;
  };
  for (;;) {
    const c = peek();
    if (c === '' || c === '\n') return 'unterminated quoted string';
    pos++;
    if (c === '\\') {
      const e = escape();
      if (e !== undefined) return e;
      continue;
    }
    if (c === quote) return pos;
  }
}

const StringTok = createToken({
  name: 'String',
  pattern: {
    exec: (input: string, offset: number): [string] | null => {
      const c = input[offset];
      if (c !== '"' && c !== "'" && c !== '`') return null;
      const end = scanString(input, offset);
      return typeof end === 'number' ? [input.slice(offset, end)] : null;
    },
  },
  start_chars_hint: ['"', "'", '`'],
  line_breaks: false,
});
kinds.set(StringTok, Kind.STRING);
export { StringTok as String };

// --- token types ---

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\n\r]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

const NumberTok = numberToken('Number', Kind.NUMBER, NumberLit, false);
const DurationTok = numberToken('Duration', Kind.DURATION, DurationLit, false);
const DurNumber = numberToken('DurNumber', Kind.NUMBER, NumberLit, true);
const DurDuration = numberToken('DurDuration', Kind.DURATION, DurationLit, true);

export const LParen = token('LParen', '(', Kind.OTHER);
export const RParen = token('RParen', ')', Kind.OTHER);
export const LBrace = token('LBrace', '{', Kind.OTHER, [], { push_mode: 'braces' });
export const RBrace = token('RBrace', '}', Kind.OTHER, [], { pop_mode: true });
export const LBracket = token('LBracket', '[', Kind.OTHER, [], { push_mode: 'dur' });
export const RBracket = token('RBracket', ']', Kind.OTHER, [], { pop_mode: true });
export const Comma = token('Comma', ',', Kind.OTHER);
export const Colon = token('Colon', ':', Kind.OTHER, [], { pop_mode: true, push_mode: 'bracketColon' });

export const Add = token('Add', '+', Kind.OPERATOR, [BinOp, DurOp, SignOp]);
export const Sub = token('Sub', '-', Kind.OPERATOR, [BinOp, DurOp, SignOp]);
export const Mul = token('Mul', '*', Kind.OPERATOR, [BinOp, DurOp]);
export const Div = token('Div', '/', Kind.OPERATOR, [BinOp, DurOp]);
export const Mod = token('Mod', '%', Kind.OPERATOR, [BinOp, DurOp]);
export const Pow = token('Pow', '^', Kind.OPERATOR, [BinOp, DurOp]);
export const EqlC = token('EqlC', '==', Kind.OPERATOR, [BinOp]);
// Outside braces `=~` is a lexer error, so `=` must not match its first character.
export const Eql = token('Eql', /=(?!~)/, Kind.OTHER, [MatchOp]);
export const Neq = token('Neq', '!=', Kind.OPERATOR, [BinOp, MatchOp]);
export const EqlRegex = token('EqlRegex', '=~', Kind.OPERATOR, [MatchOp]);
export const NeqRegex = token('NeqRegex', '!~', Kind.OPERATOR, [MatchOp]);
export const Lte = token('Lte', '<=', Kind.OPERATOR, [BinOp]);
// Native histogram trim operators (Prometheus 3.x): `h </ x` keeps observations below x, `h >/ x` above.
export const TrimUpper = token('TrimUpper', '</', Kind.OPERATOR, [BinOp]);
export const TrimLower = token('TrimLower', '>/', Kind.OPERATOR, [BinOp]);
export const Lss = token('Lss', '<', Kind.OPERATOR, [BinOp]);
export const Gte = token('Gte', '>=', Kind.OPERATOR, [BinOp]);
export const Gtr = token('Gtr', '>', Kind.OPERATOR, [BinOp]);
export const At = token('At', '@', Kind.OPERATOR);

export const InfNaN = word('InfNaN', 'inf|nan', Kind.NUMBER, [NumberLit]);
export const And = word('And', 'and', Kind.OPERATOR, [BinOp, MetricName, LabelName]);
export const Or = word('Or', 'or', Kind.OPERATOR, [BinOp, MetricName, LabelName]);
export const Unless = word('Unless', 'unless', Kind.OPERATOR, [BinOp, MetricName, LabelName]);
export const Atan2 = word('Atan2', 'atan2', Kind.OPERATOR, [BinOp, LabelName]);

const aggregator = (name: string): TokenType =>
  word(name, name, Kind.AGGREGATOR, [Aggregator, MetricName, LabelName]);
const AGGREGATOR_TOKENS = [
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
].map(aggregator);
export const Min = AGGREGATOR_TOKENS[3];
export const Max = AGGREGATOR_TOKENS[4];

const keyword = (name: string, metricName = false): TokenType =>
  word(name, name, Kind.KEYWORD, metricName ? [MetricName, LabelName] : [LabelName]);
export const Offset = keyword('offset', true);
export const Smoothed = keyword('smoothed', true);
export const Anchored = keyword('anchored', true);
export const By = keyword('by', true);
export const Without = keyword('without', true);
export const On = keyword('on');
export const Ignoring = keyword('ignoring');
export const GroupLeft = keyword('group_left');
export const GroupRight = keyword('group_right');
export const Bool = keyword('bool');
// fill/fill_left/fill_right are keywords only before '(' so they stay usable as metric names.
const fill = (name: string): TokenType =>
  token(name, new RegExp(`${name}(?=[ \\t\\n\\r]*\\()`, 'i'), Kind.KEYWORD, [LabelName]);
export const Fill = fill('fill');
export const FillLeft = fill('fill_left');
export const FillRight = fill('fill_right');

// Preprocessors: not keywords for error descriptions.
const preprocessor = (name: string): TokenType =>
  word(name, name, Kind.PREPROCESSOR, [MetricName, LabelName, FunctionName]);
export const Start = preprocessor('start');
export const End = preprocessor('end');
export const Step = preprocessor('step');
export const Range = preprocessor('range');

export const Identifier = token('Identifier', /[a-zA-Z_]\w*(?![\w:])/, Kind.IDENTIFIER, [
  MetricName,
  LabelName,
  FunctionName,
]);
export const MetricIdentifier = token('MetricIdentifier', /[a-zA-Z_:][\w:]*/, Kind.METRIC_IDENTIFIER, [
  MetricName,
]);
export const BraceIdentifier = token('BraceIdentifier', /[a-zA-Z_]\w*/, Kind.IDENTIFIER);

// Inside brackets the same words lex differently (lex.go's scanDurationKeyword).
const DurStep = durWord('DurStep', 'step', Kind.PREPROCESSOR, [Step]);
const DurRange = durWord('DurRange', 'range', Kind.PREPROCESSOR, [Range]);
const DurMin = durWord('DurMin', 'min', Kind.AGGREGATOR, [Min]);
const DurMax = durWord('DurMax', 'max', Kind.AGGREGATOR, [Max]);
const DurMinOf = durWord('DurMinOf', 'min_of', Kind.IDENTIFIER, [Identifier]);
const DurMaxOf = durWord('DurMaxOf', 'max_of', Kind.IDENTIFIER, [Identifier]);

const operators = [
  EqlC,
  Eql,
  Neq,
  Lte,
  TrimUpper,
  Lss,
  Gte,
  TrimLower,
  Gtr,
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Pow,
  At,
  Comma,
  LParen,
  RParen,
];
const words = [
  InfNaN,
  And,
  Or,
  Unless,
  Atan2,
  ...AGGREGATOR_TOKENS,
  Offset,
  Smoothed,
  Anchored,
  By,
  Without,
  On,
  Ignoring,
  GroupLeft,
  GroupRight,
  Bool,
  FillLeft,
  FillRight,
  Fill,
  Start,
  End,
  Step,
  Range,
  Identifier,
  MetricIdentifier,
];
const durWords = [DurStep, DurRange, DurMinOf, DurMaxOf, DurMin, DurMax];
const statements = [WhiteSpace, Comment, NumberTok, DurationTok, StringTok, ...operators, LBrace];

// Built on first use, not at import: building it costs ~20 ms, which the server's start (its ingest
// thread imports the parser, though it parses no PromQL before it is ready) need not pay.
let promqlLexer: Lexer | undefined;

const newLexer = (): Lexer =>
  new Lexer(
    {
      modes: {
        main: [...statements, LBracket, ...words],
        braces: [
          WhiteSpace,
          Comment,
          BraceIdentifier,
          Comma,
          StringTok,
          EqlRegex,
          Eql,
          NeqRegex,
          Neq,
          RBrace,
        ],
        dur: [
          WhiteSpace,
          RBracket,
          LParen,
          RParen,
          Add,
          Sub,
          Mul,
          Div,
          Mod,
          Pow,
          Comma,
          DurNumber,
          DurDuration,
          ...durWords,
        ],
        bracket: [...statements, RBracket, Colon, ...durWords],
        bracketColon: [...statements, RBracket, ...durWords],
      },
      defaultMode: 'main',
    },
    { positionTracking: 'onlyOffset', recoveryEnabled: false, ensureOptimizations: true },
  );

/** Every token type, for the parser's vocabulary. */
export const allTokens: TokenType[] = [
  NumberLit,
  DurationLit,
  BinOp,
  DurOp,
  Aggregator,
  MetricName,
  LabelName,
  MatchOp,
  SignOp,
  FunctionName,
  LexError,
  ...new Set([...statements, LBracket, ...words, BraceIdentifier, EqlRegex, NeqRegex, RBrace, RBracket]),
  ...[DurNumber, DurDuration, Colon, ...durWords],
];

export function kindOf(t: TokenType): Kind {
  return kinds.get(t) ?? Kind.OTHER;
}

// --- lexer errors, worded as lex.go's ---

function badNumber(input: string, at: number): string {
  return `bad number or duration syntax: ${goQuote(input.slice(at, scanNumberOrDuration(input, at).end))}`;
}

function stringError(input: string, at: number): string {
  const r = scanString(input, at);
  return typeof r === 'string' ? r : 'unterminated quoted string';
}

/** Statements (also inside brackets: 2 before the subquery colon, 3 after it). */
function statementError(input: string, at: number, bracket: number): string {
  const c = input[at];
  switch (c) {
    case '=':
      return `unexpected character after '=': ${quoteRune(input[at + 1])}`;
    case '!': {
      const t = at + 1 < input.length ? input[at + 1] : '';
      return `unexpected character after '!': ${t === '' ? "'\\x00'" : quoteRune(t)}`;
    }
    case '"':
    case "'":
    case '`':
      return stringError(input, at);
    case '[':
      return `unexpected left bracket ${quoteRune(c)}`;
    case ']':
      return `unexpected right bracket ${quoteRune(c)}`;
  }
  if (startsNumber(input, at)) return badNumber(input, at);
  if (bracket !== 0 && c === ':') return `unexpected colon ${quoteRune(c)}`;
  if (bracket !== 0 && isAlpha(c)) return `unexpected character: ${quoteRune(c)}, expected ':'`;
  return `unexpected character: ${quoteRune(runeAt(input, at))}`;
}

function braceError(input: string, at: number): string {
  const c = input[at];
  switch (c) {
    case '!': {
      const t = at + 1 < input.length ? input[at + 1] : '';
      return `unexpected character after '!' inside braces: ${t === '' ? "'\\x00'" : quoteRune(t)}`;
    }
    case '"':
    case "'":
    case '`':
      return stringError(input, at);
    case '{':
      return `unexpected left brace ${quoteRune(c)}`;
  }
  return `unexpected character inside braces: ${quoteRune(runeAt(input, at))}`;
}

function durationError(input: string, at: number): { msg: string; pos: number } {
  const c = input[at];
  // lex.go emits the colon and then reports the error after it.
  if (c === ':') return { msg: 'unexpected colon before duration in duration expression', pos: at + 1 };
  if (startsNumber(input, at)) return { msg: badNumber(input, at), pos: at };
  return { msg: `unexpected character in duration expression: ${quoteRune(c)}`, pos: at };
}

export interface LexErrorPayload {
  msg: string;
  pos: number;
}

function errorToken(msg: string, pos: number, input: string): IToken {
  const tok = createTokenInstance(LexError, input.slice(pos), pos, input.length - 1, NaN, NaN, NaN, NaN);
  tok.payload = { msg, pos } satisfies LexErrorPayload;
  return tok;
}

/**
 * Lexes the whole input. On a lexer error the last token is a LexError, as lex.go stops at its first
 * error; paren balance and end-of-input errors are lex.go's too, so they are checked over the tokens.
 */
export function lex(input: string): IToken[] {
  const result = (promqlLexer ??= newLexer()).tokenize(input);
  const toks = result.tokens;
  let braces = false;
  let bracket = 0; // 0 none, 1 duration mode, 2 inside brackets, 3 after the subquery colon
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i].tokenType;
    if (t === LParen) depth++;
    else if (t === RParen) {
      if (--depth < 0) {
        const pos = toks[i].startOffset + 1;
        toks.length = i;
        toks.push(errorToken("unexpected right parenthesis ')'", pos, input));
        return toks;
      }
    } else if (t === LBrace) braces = true;
    else if (t === RBrace) braces = false;
    else if (t === LBracket) bracket = 1;
    else if (t === RBracket) bracket = 0;
    else if (t === DurNumber || t === DurDuration) bracket = 2;
    else if (t === Colon) bracket = 3;
  }
  if (result.errors.length > 0) {
    const at = result.errors[0].offset;
    if (braces) toks.push(errorToken(braceError(input, at), at, input));
    else if (bracket === 1) {
      const e = durationError(input, at);
      toks.push(errorToken(e.msg, e.pos, input));
    } else toks.push(errorToken(statementError(input, at, bracket), at, input));
  } else if (braces) toks.push(errorToken('unexpected end of input inside braces', input.length, input));
  else if (bracket === 1)
    toks.push(errorToken('unexpected end of input in duration expression', input.length, input));
  else if (depth !== 0) toks.push(errorToken('unclosed left parenthesis', input.length, input));
  else if (bracket !== 0) toks.push(errorToken('unclosed left bracket', input.length, input));
  return toks;
}
