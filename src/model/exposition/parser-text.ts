// The Prometheus text exposition format (0.0.4, and 1.0.0 with quoted UTF-8 names), parsed as
// Prometheus 3's model/textparse PromParser does: same tokens (promlex.l), same acceptance, same
// error wording. One pass with charCodeAt; label offsets are remembered and decoded only when
// labels() is called, so the scrape cache's hit path never builds a label set.
import { ParseError, type EntryKind, type Exemplar, type ExpositionParser } from './types.js';
import {
  FLOAT_OK,
  T_BCLOSE,
  T_BOPEN,
  T_COMMA,
  T_COMMENT,
  T_EOF,
  T_EQUAL,
  T_HELP,
  T_INVALID,
  T_LINEBREAK,
  T_LNAME,
  T_LVALUE,
  T_MNAME,
  T_QSTRING,
  T_TEXT,
  T_TIMESTAMP,
  T_TYPE,
  T_VALUE,
  T_WHITESPACE,
  floatErrorReason,
  floatStatus,
  goQuote,
  hasInvalidUtf8,
  isL,
  isLD,
  isM,
  isMD,
  META_TYPE,
  metaLine,
  scanMetaLine,
  scanPlainLabelSet,
  growOffsets,
  lineErrorAt,
  parseErrorAt,
  parseGoFloat,
  scanDecimal,
  scanned,
  tokenName,
  unescapeHelp,
} from './parser-common.js';
import { SeriesParserBase } from './parser-base.js';

// Lexer states of promlex.l.
const S_INIT = 0;
const S_META1 = 2;
const S_META2 = 3;
const S_LABELS = 4;
const S_LVALUE = 5;
const S_VALUE = 6;
const S_TIMESTAMP = 7;

const E_EOF = 0;
const E_SERIES = 1;
const E_TYPE = 2;
const E_HELP = 3;
const E_COMMENT = 5;

export class PromTextParser extends SeriesParserBase implements ExpositionParser {
  /** Position of the next NUL, remembered so many comment lines cost one pass over the body. */
  private nextNul = -1;

  constructor(body: string) {
    // Prometheus appends a newline to the body before lexing.
    super(body.length > 0 && body.charCodeAt(body.length - 1) === 10 ? body : body + '\n');
  }

  protected standalone(seriesText: string): PromTextParser {
    return new PromTextParser(seriesText + ' 0\n');
  }

  // ---- ExpositionParser ----

  next(): EntryKind {
    if (this.done) return E_EOF;
    for (;;) {
      this.start = this.i;
      this.nOffs = 0;
      this.cachedLabels = undefined;
      this.matched = false;
      if (this.st === S_INIT && this.i < this.n && this.b.charCodeAt(this.i) === 35) {
        const kind = this.fastMeta();
        if (kind !== 0) return kind as EntryKind;
      }
      if (this.st === S_INIT && this.i < this.n && isM(this.b.charCodeAt(this.i)) && this.fastSample()) {
        return E_SERIES;
      }
      const t = this.nextToken();
      switch (t) {
        case T_EOF:
          this.done = true;
          return E_EOF;
        case T_LINEBREAK:
          continue; // blank lines are allowed
        case T_MNAME:
          this.seriesStart = this.ts;
          this.nameStart = this.ts;
          this.nameEnd = this.i;
          this.nameQuoted = false;
          this.seriesEnd = this.i;
          {
            let t2 = this.nextToken();
            if (t2 === T_BOPEN) {
              this.parseLabels();
              this.seriesEnd = this.i;
              t2 = this.nextToken();
            }
            this.parseSuffix(t2);
          }
          return E_SERIES;
        case T_BOPEN:
          this.seriesStart = this.ts;
          this.nameStart = -1;
          this.parseLabels();
          this.seriesEnd = this.i;
          this.parseSuffix(this.nextToken());
          return E_SERIES;
        case T_HELP:
        case T_TYPE:
          return this.parseMeta(t);
        case T_COMMENT: {
          this.textStart = this.ts;
          this.textEnd = this.i;
          const t2 = this.nextToken();
          if (t2 !== T_LINEBREAK) throw this.tokenError('linebreak expected after comment', t2);
          return E_COMMENT;
        }
        default:
          throw this.tokenError('expected a valid start token', t);
      }
    }
  }

  exemplar(): Exemplar | undefined {
    return undefined; // the Prometheus text format has no exemplars
  }

  help(): string {
    return unescapeHelp(this.b, this.textStart, this.textEnd);
  }

  unit(): string {
    return ''; // no UNIT in this format
  }

  /** The text of the current comment entry, `#` included. */
  comment(): string {
    return this.b.slice(this.textStart, this.textEnd);
  }

  // ---- parser ----

  private parseMeta(t: number): EntryKind {
    const t2 = this.nextToken();
    if (t2 !== T_MNAME) throw this.tokenError(`expected metric name after ${tokenName(t)}`, t2);
    let ms = this.ts;
    let me = this.i;
    this.nameQuoted = false;
    if (this.b.charCodeAt(ms) === 34 && this.b.charCodeAt(me - 1) === 34) {
      ms++;
      me--;
      this.nameQuoted = true;
    }
    this.nameStart = ms;
    this.nameEnd = me;
    const t3 = this.nextToken();
    if (t3 !== T_TEXT) {
      throw lineErrorAt(this.b, `expected text in ${tokenName(t)}, got ${tokenName(t3)}`, this.ts);
    }
    // The text token starts with the separating blank, which Prometheus drops.
    this.textStart = this.i - this.ts > 1 ? this.ts + 1 : this.i;
    this.textEnd = this.i;
    if (t === T_TYPE) {
      const s = this.b.slice(this.textStart, this.textEnd);
      switch (s) {
        case 'counter':
        case 'gauge':
        case 'histogram':
        case 'summary':
          this.mtype = s;
          break;
        case 'untyped':
          this.mtype = 'unknown';
          break;
        default:
          throw lineErrorAt(this.b, `invalid metric type ${goQuote(s)}`, this.textStart);
      }
    } else if (hasInvalidUtf8(this.b, this.textStart, this.textEnd)) {
      const s = this.b.slice(this.textStart, this.textEnd);
      throw lineErrorAt(this.b, `help text ${goQuote(s)} is not a valid utf8 string`, this.textStart);
    }
    const t4 = this.nextToken();
    if (t4 !== T_LINEBREAK) throw this.tokenError('linebreak expected after metadata', t4);
    return t === T_HELP ? E_HELP : E_TYPE;
  }

  /** After `{`: label pairs, a quoted metric name among them, up to and including `}`. */
  private parseLabels(): void {
    const b = this.b;
    let t = this.nextToken();
    for (;;) {
      const cs = this.ts;
      const ce = this.i;
      if (t === T_BCLOSE) return;
      const isQ = t === T_QSTRING;
      if (!isQ && t !== T_LNAME) throw this.tokenError('expected label name', t);
      t = this.nextToken();
      if (isQ && (t === T_COMMA || t === T_BCLOSE)) {
        // A quoted string followed by a comma or brace is the metric name.
        if (this.nameStart !== -1) {
          throw parseErrorAt(b, 'metric name already set', cs, this.start, this.i);
        }
        this.nameStart = cs + 1;
        this.nameEnd = ce - 1;
        this.nameQuoted = true;
        if (t === T_BCLOSE) return;
        t = this.nextToken();
        continue;
      }
      let k = this.nOffs;
      if (k + 4 > this.offs.length) this.offs = growOffsets(this.offs);
      const offs = this.offs;
      if (isQ) {
        offs[k] = cs + 1;
        offs[k + 1] = -(ce - 1) - 1; // negative end marks a quoted name
      } else {
        offs[k] = cs;
        offs[k + 1] = ce;
      }
      if (t !== T_EQUAL) throw this.tokenError('expected equal', t);
      const t2 = this.nextToken();
      if (t2 !== T_LVALUE) throw this.tokenError('expected label value', t2);
      if (hasInvalidUtf8(b, this.ts, this.i)) {
        throw parseErrorAt(
          b,
          `invalid UTF-8 label value: ${goQuote(b.slice(this.ts, this.i))}`,
          this.ts,
          this.ts,
          this.i,
        );
      }
      offs[k + 2] = this.ts + 1;
      offs[k + 3] = this.i - 1;
      k += 4;
      this.nOffs = k;
      // A trailing comma is allowed; Prometheus also accepts pairs separated by blanks only.
      t = this.nextToken();
      if (t === T_COMMA) t = this.nextToken();
    }
  }

  /**
   * The common line `name{l="v",...} value[ timestamp]\n` in one tight scan. Anything else (blanks
   * other than the single separators, quoted names, escapes before a newline or NUL, invalid input)
   * returns false having changed nothing the general path depends on, which then re-reads the line
   * token by token and reaches the same result or error.
   */
  private fastSample(): boolean {
    const b = this.b;
    const s = this.i;
    let lineEnd = this.lineEnd;
    if (lineEnd < s) lineEnd = this.lineEnd = b.indexOf('\n', s); // found: the body ends with one
    let j = s + 1;
    let c: number;
    let nameEnd: number;
    let hit = false;
    const exp = this.expected;
    if (exp !== undefined && b.charCodeAt(s + exp.length) === 32 && b.slice(s, s + exp.length) === exp) {
      // The series the cache expects: one native comparison instead of a label scan.
      const brace = exp.indexOf('{');
      nameEnd = brace === -1 ? s + exp.length : s + brace;
      j = s + exp.length;
      c = 32;
      hit = true;
    } else {
      while (isMD((c = b.charCodeAt(j)))) j++;
      nameEnd = j;
    }
    if (c === 123) {
      j = scanPlainLabelSet(b, j, lineEnd, this.special, this);
      if (j < 0) return false;
      c = b.charCodeAt(j);
    }
    const seriesEnd = j;
    if (c !== 32) return false;
    let v: number;
    const vs = j + 1;
    j = scanDecimal(b, vs);
    if (j >= 0) v = scanned.v;
    else {
      // NaN, ±Inf and other forms: the general value rule and Go's float syntax.
      j = vs;
      while ((c = b.charCodeAt(j)) !== 32 && c !== 10 && c !== 9 && c !== 123 && c !== 0 && j < lineEnd) j++;
      v = parseGoFloat(b, vs, j);
      if (j === vs || floatStatus.err !== FLOAT_OK) return false;
    }
    if (j === lineEnd) {
      this.hasTs = false;
    } else {
      if (b.charCodeAt(j) !== 32) return false;
      const tss = ++j;
      let t = 0;
      while ((c = b.charCodeAt(j)) >= 48 && c <= 57) {
        t = t * 10 + (c - 48);
        j++;
      }
      if (j !== lineEnd || j === tss || j - tss > 15) return false;
      this.hasTs = true;
      this.tsVal = t;
    }
    this.val = v;
    this.nameStart = s;
    this.nameEnd = nameEnd;
    this.nameQuoted = false;
    this.seriesStart = s;
    this.seriesEnd = seriesEnd;
    this.matched = hit;
    this.ts = j;
    this.i = j + 1;
    return true;
  }

  /** The common HELP/TYPE line in one scan (scanMetaLine); 0 sends the line the general way. */
  private fastMeta(): number {
    const kind = scanMetaLine(this.b, this.i, this.special);
    if (kind === 0) return 0;
    if (kind === META_TYPE) {
      switch (metaLine.type) {
        case 'counter':
        case 'gauge':
        case 'histogram':
        case 'summary':
          this.mtype = metaLine.type;
          break;
        case 'untyped':
          this.mtype = 'unknown';
          break;
        default:
          return 0; // the general path reports it
      }
    }
    this.nameStart = metaLine.nameStart;
    this.nameEnd = metaLine.nameEnd;
    this.nameQuoted = false;
    this.textStart = metaLine.textStart;
    this.textEnd = metaLine.textEnd;
    this.ts = metaLine.textEnd;
    this.i = metaLine.textEnd + 1;
    return kind;
  }

  /** Value, optional integer timestamp, end of line. */
  private parseSuffix(t: number): void {
    const b = this.b;
    if (this.nameStart === -1) throw parseErrorAt(b, 'metric name not set', this.start, this.start, this.i);
    if (t !== T_VALUE) throw this.tokenError('expected value after metric', t);
    const v = parseGoFloat(b, this.ts, this.i);
    if (floatStatus.err !== FLOAT_OK) {
      throw parseErrorAt(b, floatErrorReason(b.slice(this.ts, this.i)), this.ts, this.start, this.i);
    }
    this.val = v;
    this.hasTs = false;
    const t2 = this.nextToken();
    if (t2 === T_LINEBREAK) return;
    if (t2 !== T_TIMESTAMP) throw this.tokenError('expected timestamp or new record', t2);
    this.tsVal = this.parseInt64(this.ts, this.i);
    this.hasTs = true;
    const t3 = this.nextToken();
    if (t3 !== T_LINEBREAK) throw this.tokenError('expected next entry after timestamp', t3);
  }

  /** strconv.ParseInt(s, 10, 64) of a run of digits. */
  private parseInt64(s: number, e: number): number {
    const b = this.b;
    let z = s;
    while (z < e - 1 && b.charCodeAt(z) === 48) z++;
    if (e - z > 19 || (e - z === 19 && b.slice(z, e) > '9223372036854775807')) {
      throw parseErrorAt(
        b,
        `strconv.ParseInt: parsing ${goQuote(b.slice(s, e))}: value out of range`,
        s,
        this.start,
        e,
      );
    }
    if (e - z <= 15) {
      let v = 0;
      for (let k = z; k < e; k++) v = v * 10 + (b.charCodeAt(k) - 48);
      return v;
    }
    return Number(b.slice(z, e));
  }

  /** Prometheus's parseError: `<exp>, got <token text> (<token>) while parsing: <entry so far>`. */
  private tokenError(exp: string, got: number): ParseError {
    const e = Math.min(this.n, this.i + 1);
    const gotText = this.b.slice(this.ts, e);
    return parseErrorAt(
      this.b,
      `${exp}, got ${goQuote(gotText)} (${goQuote(tokenName(got))})`,
      this.ts,
      this.start,
      e,
    );
  }

  // ---- lexer (promlex.l) ----

  private nextToken(): number {
    for (;;) {
      const t = this.lex();
      if (t !== T_WHITESPACE) return t;
    }
  }

  private lex(): number {
    const b = this.b;
    const n = this.n;
    let i = this.i;
    if (i >= n) return T_EOF;
    let c = b.charCodeAt(i);
    this.ts = i;
    if (c === 32 || c === 9) {
      do i++;
      while (i < n && ((c = b.charCodeAt(i)) === 32 || c === 9));
      this.i = i;
      if (this.st === S_META2) return this.metaText(this.ts, true);
      return T_WHITESPACE;
    }
    switch (this.st) {
      case S_INIT:
        if (isM(c)) {
          do i++;
          while (i < n && isMD(b.charCodeAt(i)));
          this.i = i;
          this.st = S_VALUE;
          return T_MNAME;
        }
        if (c === 10) {
          this.i = i + 1;
          return T_LINEBREAK;
        }
        if (c === 35) return this.lexHash(i);
        if (c === 123) {
          this.i = i + 1;
          this.st = S_LABELS;
          return T_BOPEN;
        }
        if (c === 0) return T_EOF;
        return T_INVALID;
      case S_LABELS:
        if (isL(c)) {
          do i++;
          while (i < n && isLD(b.charCodeAt(i)));
          this.i = i;
          return T_LNAME;
        }
        if (c === 61) {
          this.i = i + 1;
          this.st = S_LVALUE;
          return T_EQUAL;
        }
        if (c === 44) {
          this.i = i + 1;
          return T_COMMA;
        }
        if (c === 125) {
          this.i = i + 1;
          this.st = S_VALUE;
          return T_BCLOSE;
        }
        if (c === 34) return this.lexQuoted(i, T_QSTRING, false, S_LABELS);
        return T_INVALID;
      case S_LVALUE:
        if (c === 34) return this.lexQuoted(i, T_LVALUE, true, S_LABELS);
        return T_INVALID;
      case S_VALUE:
        if (c === 123) {
          this.i = i + 1;
          this.st = S_LABELS;
          return T_BOPEN;
        }
        // [^{ \t\n]+ (the generated lexer never matches NUL in a negated class)
        while (i < n && (c = b.charCodeAt(i)) !== 123 && c !== 32 && c !== 9 && c !== 10 && c !== 0) i++;
        if (i === this.ts) return T_INVALID;
        this.i = i;
        this.st = S_TIMESTAMP;
        return T_VALUE;
      case S_TIMESTAMP:
        if (c >= 48 && c <= 57) {
          do i++;
          while (i < n && (c = b.charCodeAt(i)) >= 48 && c <= 57);
          this.i = i;
          return T_TIMESTAMP;
        }
        if (c === 10) {
          this.i = i + 1;
          this.st = S_INIT;
          return T_LINEBREAK;
        }
        return T_INVALID;
      case S_META1:
        if (isM(c)) {
          do i++;
          while (i < n && isMD(b.charCodeAt(i)));
          this.i = i;
          this.st = S_META2;
          return T_MNAME;
        }
        if (c === 34) {
          const t = this.lexQuoted(i, T_MNAME, false, S_META2);
          return t;
        }
        return T_INVALID;
      case S_META2:
        return this.metaText(i, false);
    }
    return T_INVALID;
  }

  /**
   * `{C}*` in sMeta2, against `[ \t]+` which wins a tie: a rest of line made only of blanks is
   * whitespace (and the text after it empty).
   */
  private metaText(from: number, afterBlanks: boolean): number {
    const b = this.b;
    const i = this.i;
    if (afterBlanks) {
      if (b.charCodeAt(i) === 10) return T_WHITESPACE;
      this.ts = from;
    } else if (b.charCodeAt(i) === 0) {
      this.st = S_INIT;
      return T_TEXT; // the first character is matched without NUL skipping: empty text
    }
    const nl = b.indexOf('\n', i);
    this.i = nl === -1 ? this.n : nl;
    this.st = S_INIT;
    return T_TEXT;
  }

  /** `#`: HELP/TYPE metadata, or a comment running to the end of the line. */
  private lexHash(i: number): number {
    const b = this.b;
    const n = this.n;
    let c = b.charCodeAt(i + 1);
    if (c !== 32 && c !== 9) return this.consumeComment(i + 1, false);
    i++;
    while (i < n && ((c = b.charCodeAt(i)) === 32 || c === 9)) i++;
    // sComment: HELP[\t ]+ or TYPE[\t ]+, else the rest of the line is a comment.
    const kw = c === 72 ? 'HELP' : c === 84 ? 'TYPE' : '';
    let k = 0;
    if (kw !== '') while (k < 4 && i + k < n && b.charCodeAt(i + k) === kw.charCodeAt(k)) k++;
    if (k === 4) {
      let j = i + 4;
      while (j < n && ((c = b.charCodeAt(j)) === 32 || c === 9)) j++;
      if (j > i + 4) {
        this.i = j;
        this.st = S_META1;
        return kw === 'HELP' ? T_HELP : T_TYPE;
      }
      return this.consumeComment(j, true);
    }
    return this.consumeComment(i + k, true);
  }

  /** Prometheus's consumeComment: to the end of the line; a NUL the lexer sees ends the body. */
  private consumeComment(i: number, skipNul: boolean): number {
    const b = this.b;
    if (b.charCodeAt(i) === 0) return T_EOF;
    let nl = b.indexOf('\n', i);
    if (nl === -1) nl = this.n;
    if (!skipNul) {
      // The next NUL is remembered, so many comment lines still cost one pass over the body.
      if (this.nextNul < i) {
        const z = b.indexOf('\0', i);
        this.nextNul = z === -1 ? Infinity : z;
      }
      if (this.nextNul < nl) return T_EOF;
    }
    this.i = nl;
    this.st = S_INIT;
    return T_COMMENT;
  }

  /** `"(\\.|[^\\"])*"`; newlines are allowed, NULs only where the lexer skips them. */
  private lexQuoted(i: number, tok: number, skipNul: boolean, next: number): number {
    const b = this.b;
    const n = this.n;
    for (i++; i < n; i++) {
      const c = b.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        this.st = next;
        return tok;
      }
      if (c === 92) {
        i++;
        if (i >= n) break;
        const d = b.charCodeAt(i);
        if (d === 10 || (d === 0 && !skipNul)) {
          this.i = i;
          return T_INVALID;
        }
      } else if (c === 0 && !skipNul) {
        this.i = i;
        return T_INVALID;
      }
    }
    this.i = n;
    return T_INVALID;
  }
}
