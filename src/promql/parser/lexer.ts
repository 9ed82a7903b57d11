// PromQL lexer mirroring Prometheus's promql/parser/lex.go state machine, so that token boundaries and
// lexer error messages (and where they surface) match Prometheus. Hand-written rather than Chevrotain:
// Prometheus's lexer is context-sensitive (inside braces, inside brackets) and its errors are part of the spec.
import { goQuote } from '../../model/goquote.js';

export const enum T {
  EOF,
  ERROR,
  IDENTIFIER,
  METRIC_IDENTIFIER,
  NUMBER,
  DURATION,
  STRING,
  LEFT_PAREN,
  RIGHT_PAREN,
  LEFT_BRACE,
  RIGHT_BRACE,
  LEFT_BRACKET,
  RIGHT_BRACKET,
  COMMA,
  EQL,
  COLON,
  // operators
  ADD,
  SUB,
  MUL,
  DIV,
  MOD,
  POW,
  EQLC,
  NEQ,
  LTE,
  LSS,
  GTE,
  GTR,
  EQL_REGEX,
  NEQ_REGEX,
  AT,
  ATAN2,
  LAND,
  LOR,
  LUNLESS,
  // aggregators
  AGGREGATOR,
  // keywords
  KEYWORD,
  // preprocessors (start, end, step, range): not keywords for error descriptions
  PREPROCESSOR,
}

export interface Token {
  t: T;
  pos: number;
  /** Source text (or the message, for ERROR). */
  val: string;
}

const KEYWORDS = new Set([
  'offset',
  'smoothed',
  'anchored',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'fill',
  'fill_left',
  'fill_right',
  'bool',
]);
export const AGGREGATORS = new Set([
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
]);
const PREPROCESSORS = new Set(['start', 'end', 'step', 'range']);
const WORD_OPS: Record<string, T> = { and: T.LAND, or: T.LOR, unless: T.LUNLESS, atan2: T.ATAN2 };

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isAlpha(c) || isDigit(c);

/** Go's %q of a single rune. */
function quoteRune(c: string): string {
  if (c === "'") return "'\\''";
  const q = goQuote(c);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}

/** Lexes the whole input; the last token is EOF or ERROR. */
export function lex(input: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  let braceOpen = false;
  let bracketOpen = false;
  // lex.go enters lexDurationExpr after '[' and returns to lexStatements after the first number or duration.
  let durationMode = false;
  let gotColon = false;
  let gotDuration = false;
  let lastWidth = 0;
  let dropLast = false;

  const peek = (): string => (pos < input.length ? input[pos] : '');
  const emit = (t: T): void => {
    out.push({ t, pos: start, val: input.slice(start, pos) });
    start = pos;
  };
  const fail = (msg: string): Token[] => {
    // lex.go's errorf overwrites an item emitted in the same step; drop it likewise.
    if (dropLast) out.pop();
    out.push({ t: T.ERROR, pos: start, val: msg });
    return out;
  };
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== '' && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };

  // scanNumber as lex.go: the scanned text is not necessarily a valid number; the parser checks.
  const scanNumber = (): boolean => {
    const initial = pos;
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
    if (pos === initial) return false;
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
    lastWidth = c === '' ? 0 : 1;
    return !isAlnum(c);
  };

  // Returns false (after emitting) on success, or an error message.
  const lexNumberOrDuration = (): string | undefined => {
    if (scanNumber()) {
      emit(T.NUMBER);
      return undefined;
    }
    if (acceptRemainingDuration()) {
      pos -= lastWidth;
      emit(T.DURATION);
      return undefined;
    }
    return `bad number or duration syntax: ${goQuote(input.slice(start, pos))}`;
  };

  const scanDurationKeyword = (): boolean => {
    while (isAlpha(peek())) pos++;
    const kw = input.slice(start, pos).toLowerCase();
    if (kw === 'step' || kw === 'range') {
      emit(T.PREPROCESSOR);
      return true;
    }
    if (kw === 'min' || kw === 'max') {
      emit(T.AGGREGATOR);
      return true;
    }
    if (kw === 'min_of' || kw === 'max_of') {
      emit(T.IDENTIFIER);
      return true;
    }
    return false;
  };

  const lexString = (quote: string): string | undefined => {
    for (;;) {
      const c = peek();
      if (c === '' || c === '\n') return 'unterminated quoted string';
      pos++;
      if (c === '\\') {
        const e = lexEscape(quote);
        if (e !== undefined) return e;
        continue;
      }
      if (c === quote) break;
    }
    emit(T.STRING);
    return undefined;
  };

  const lexEscape = (quote: string): string | undefined => {
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

  const lexRawString = (): string | undefined => {
    for (;;) {
      const c = peek();
      if (c === '') return 'unterminated raw string';
      pos++;
      if (c === '`') break;
    }
    emit(T.STRING);
    return undefined;
  };

  const lexComment = (): void => {
    while (pos < input.length && input[pos] !== '\n' && input[pos] !== '\r') pos++;
    start = pos; // comments are skipped by the parser anyway
  };

  const lexInsideBraces = (): string | undefined => {
    if (input.startsWith('#', pos)) {
      lexComment();
      return undefined;
    }
    const c = peek();
    if (c === '') return 'unexpected end of input inside braces';
    pos++;
    if (isSpace(c)) {
      while (isSpace(peek())) pos++;
      start = pos;
    } else if (isAlpha(c)) {
      while (isAlnum(peek())) pos++;
      emit(T.IDENTIFIER);
    } else if (c === ',') emit(T.COMMA);
    else if (c === '"' || c === "'") return lexString(c);
    else if (c === '`') return lexRawString();
    else if (c === '=') {
      if (peek() === '~') {
        pos++;
        emit(T.EQL_REGEX);
      } else emit(T.EQL);
    } else if (c === '!') {
      const nr = peek();
      if (nr !== '') pos++;
      if (nr === '~') emit(T.NEQ_REGEX);
      else if (nr === '=') emit(T.NEQ);
      else return `unexpected character after '!' inside braces: ${nr === '' ? "'\\x00'" : quoteRune(nr)}`;
    } else if (c === '{') return `unexpected left brace ${quoteRune(c)}`;
    else if (c === '}') {
      emit(T.RIGHT_BRACE);
      braceOpen = false;
    } else return `unexpected character inside braces: ${quoteRune(runeAt(input, pos - 1))}`;
    return undefined;
  };

  const lexDurationExpr = (): string | undefined => {
    const c = peek();
    if (c === '') return 'unexpected end of input in duration expression';
    pos++;
    switch (c) {
      case ']':
        emit(T.RIGHT_BRACKET);
        bracketOpen = false;
        durationMode = false;
        gotColon = false;
        return undefined;
      case ':':
        emit(T.COLON);
        dropLast = true;
        if (!gotDuration) return 'unexpected colon before duration in duration expression';
        if (gotColon) return 'unexpected repeated colon in duration expression';
        dropLast = false;
        gotColon = true;
        return undefined;
      case '(':
        emit(T.LEFT_PAREN);
        parenDepth++;
        return undefined;
      case ')':
        emit(T.RIGHT_PAREN);
        parenDepth--;
        dropLast = parenDepth < 0;
        if (parenDepth < 0) return `unexpected right parenthesis ${quoteRune(c)}`;
        return undefined;
      case '+':
        emit(T.ADD);
        return undefined;
      case '-':
        emit(T.SUB);
        return undefined;
      case '*':
        emit(T.MUL);
        return undefined;
      case '/':
        emit(T.DIV);
        return undefined;
      case '%':
        emit(T.MOD);
        return undefined;
      case '^':
        emit(T.POW);
        return undefined;
      case ',':
        emit(T.COMMA);
        return undefined;
    }
    if (isSpace(c)) {
      while (isSpace(peek())) pos++;
      start = pos;
      return undefined;
    }
    if ('sSmMrR'.includes(c)) {
      if (scanDurationKeyword()) return undefined;
      return `unexpected character in duration expression: ${quoteRune(c)}`;
    }
    if (isDigit(c) || (c === '.' && isDigit(peek()))) {
      pos--;
      gotDuration = true;
      durationMode = false;
      return lexNumberOrDuration();
    }
    return `unexpected character in duration expression: ${quoteRune(c)}`;
  };

  for (;;) {
    let err: string | undefined;
    if (braceOpen) {
      err = lexInsideBraces();
      if (err !== undefined) return fail(err);
      continue;
    }
    if (durationMode) {
      err = lexDurationExpr();
      if (err !== undefined) return fail(err);
      continue;
    }
    if (input.startsWith('#', pos)) {
      lexComment();
      continue;
    }
    const c = peek();
    if (c === '') {
      if (parenDepth !== 0) return fail('unclosed left parenthesis');
      if (bracketOpen) return fail('unclosed left bracket');
      out.push({ t: T.EOF, pos, val: '' });
      return out;
    }
    pos++;
    if (isSpace(c)) {
      while (isSpace(peek())) pos++;
      start = pos;
      continue;
    }
    switch (c) {
      case ',':
        emit(T.COMMA);
        continue;
      case '*':
        emit(T.MUL);
        continue;
      case '/':
        emit(T.DIV);
        continue;
      case '%':
        emit(T.MOD);
        continue;
      case '+':
        emit(T.ADD);
        continue;
      case '-':
        emit(T.SUB);
        continue;
      case '^':
        emit(T.POW);
        continue;
      case '@':
        emit(T.AT);
        continue;
      case '=': {
        const t = peek();
        if (t === '=') {
          pos++;
          emit(T.EQLC);
        } else if (t === '~') return fail(`unexpected character after '=': ${quoteRune(t)}`);
        else emit(T.EQL);
        continue;
      }
      case '!': {
        const t = peek();
        if (t !== '') pos++;
        if (t !== '=') return fail(`unexpected character after '!': ${t === '' ? "'\\x00'" : quoteRune(t)}`);
        emit(T.NEQ);
        continue;
      }
      case '<':
        if (peek() === '=') {
          pos++;
          emit(T.LTE);
        } else emit(T.LSS);
        continue;
      case '>':
        if (peek() === '=') {
          pos++;
          emit(T.GTE);
        } else emit(T.GTR);
        continue;
      case '"':
      case "'":
        err = lexString(c);
        if (err !== undefined) return fail(err);
        continue;
      case '`':
        err = lexRawString();
        if (err !== undefined) return fail(err);
        continue;
      case '(':
        emit(T.LEFT_PAREN);
        parenDepth++;
        continue;
      case ')':
        emit(T.RIGHT_PAREN);
        parenDepth--;
        dropLast = parenDepth < 0;
        if (parenDepth < 0) return fail(`unexpected right parenthesis ${quoteRune(c)}`);
        continue;
      case '{':
        emit(T.LEFT_BRACE);
        braceOpen = true;
        continue;
      case '[':
        if (bracketOpen) return fail(`unexpected left bracket ${quoteRune(c)}`);
        gotColon = false;
        gotDuration = false;
        emit(T.LEFT_BRACKET);
        while (isSpace(peek())) pos++;
        start = pos;
        bracketOpen = true;
        durationMode = true;
        continue;
      case ']':
        if (!bracketOpen) return fail(`unexpected right bracket ${quoteRune(c)}`);
        emit(T.RIGHT_BRACKET);
        bracketOpen = false;
        continue;
      case '}':
        return fail(`unexpected character: ${quoteRune(c)}`);
    }
    if (isDigit(c) || (c === '.' && isDigit(peek()))) {
      pos--;
      err = lexNumberOrDuration();
      if (err !== undefined) return fail(err);
      continue;
    }
    if ((isAlpha(c) || c === ':') && bracketOpen) {
      // Inside brackets after a duration only ':' and step()/min()/max() may follow (lex.go).
      if (c === ':') {
        if (gotColon) return fail(`unexpected colon ${quoteRune(c)}`);
        emit(T.COLON);
        gotColon = true;
        continue;
      }
      if ('sSmMrR'.includes(c) && scanDurationKeyword()) continue;
      return fail(`unexpected character: ${quoteRune(c)}, expected ':'`);
    }
    if (isAlpha(c) || c === ':') {
      while (isAlnum(peek()) || peek() === ':') pos++;
      const word = input.slice(start, pos);
      const lower = word.toLowerCase();
      if (lower === 'inf' || lower === 'nan') emit(T.NUMBER);
      else if (WORD_OPS[lower] !== undefined) emit(WORD_OPS[lower]);
      else if (AGGREGATORS.has(lower)) emit(T.AGGREGATOR);
      else if (KEYWORDS.has(lower)) {
        // fill/fill_left/fill_right are keywords only before '(' so they stay usable as metric names.
        if (lower.startsWith('fill') && !followedByParen(input, pos)) emit(T.IDENTIFIER);
        else emit(T.KEYWORD);
      } else if (PREPROCESSORS.has(lower)) emit(T.PREPROCESSOR);
      else emit(word.includes(':') ? T.METRIC_IDENTIFIER : T.IDENTIFIER);
      continue;
    }
    return fail(`unexpected character: ${quoteRune(runeAt(input, pos - 1))}`);
  }
}

function followedByParen(input: string, pos: number): boolean {
  while (pos < input.length && isSpace(input[pos])) pos++;
  return input[pos] === '(';
}

/** The whole code point at a UTF-16 offset (so astral characters quote as one rune). */
function runeAt(input: string, i: number): string {
  return String.fromCodePoint(input.codePointAt(i) ?? 0);
}
