// OpenMetrics 1.0 text, parsed as Prometheus 3's model/textparse OpenMetricsParser does: same
// tokens (openmetricslex.l), same acceptance (strict single spaces, mandatory `# EOF`, no other
// comments), same error wording. Like the text parser, one charCodeAt pass with label decoding
// deferred to labels() / exemplar().
import type { EntryKind, Exemplar, ExpositionParser } from './types.js';
import type { ParseError } from './types.js';
import type { Labels } from '../labels.js';
import {
  FLOAT_OK,
  T_BCLOSE,
  T_BOPEN,
  T_COMMA,
  T_COMMENT,
  T_EOF,
  T_EOFWORD,
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
  T_UNIT,
  T_VALUE,
  floatErrorReason,
  floatStatus,
  goFormatNonFinite,
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
  unescapeLabel,
} from './parser-common.js';
import { buildPlainLabels } from './parser-labels.js';
import { SeriesParserBase } from './parser-base.js';

// Lexer states of openmetricslex.l.
const S_INIT = 0;
const S_META1 = 2;
const S_META2 = 3;
const S_LABELS = 4;
const S_LVALUE = 5;
const S_VALUE = 6;
const S_TIMESTAMP = 7;
const S_EXEMPLAR = 8;
const S_EVALUE = 9;
const S_ETIMESTAMP = 10;

const E_EOF = 0;
const E_SERIES = 1;
const E_TYPE = 2;
const E_HELP = 3;
const E_UNIT = 4;

export interface OpenMetricsParserOptions {
  /** Drop `_created` samples of counters, summaries and histograms (Prometheus's WithOMParserCTSeriesSkipped). */
  skipCreatedSeries?: boolean;
  /**
   * st-storage: `_created` samples are start timestamps, not samples: dropped, and startTimestamp()
   * gives each counter, summary and histogram sample the `_created` value of its label set.
   */
  parseStartTimestamps?: boolean;
}

export class OpenMetricsParser extends SeriesParserBase implements ExpositionParser {
  private readonly skipCreated: boolean;

  // Exemplar of the current sample.
  private eOffs: Int32Array = new Int32Array(16);
  private nEOffs = 0;
  private hasExemplar = false;
  private eVal = 0;
  private eTs = 0;
  private eHasTs = false;
  private cachedExemplar: Exemplar | undefined = undefined;

  private readonly parseST: boolean;
  /** Where the current family's TYPE line is, and the `_created` values found after it. */
  private familyAt = -1;
  private stFamily = -2;
  private stMap = new Map<string, number>();

  constructor(body: string, opts?: OpenMetricsParserOptions) {
    super(body);
    this.parseST = opts?.parseStartTimestamps ?? false;
    this.skipCreated = (opts?.skipCreatedSeries ?? false) || this.parseST;
  }

  /**
   * The current sample's start timestamp (ms) from its family's `_created` sample with the same
   * labels (`le` and `quantile` aside), with parseStartTimestamps; undefined when there is none.
   * The family's `_created` lines are found once, by scanning its samples ahead.
   */
  startTimestamp(): number | undefined {
    const t = this.mtype;
    if (!this.parseST || (t !== 'counter' && t !== 'summary' && t !== 'histogram')) return undefined;
    if (this.stFamily !== this.familyAt) {
      this.stFamily = this.familyAt;
      this.stMap = this.createdAfter(this.familyAt);
    }
    if (this.stMap.size === 0) return undefined;
    return this.stMap.get(stKey(this.labels()));
  }

  private createdAfter(at: number): Map<string, number> {
    const out = new Map<string, number>();
    const b = this.b;
    let i = b.indexOf('\n', Math.max(0, at));
    let samples = false;
    while (i >= 0 && i + 1 < this.n) {
      const start = i + 1;
      const end = b.indexOf('\n', start);
      const line = b.slice(start, end < 0 ? this.n : end);
      i = end;
      if (line.startsWith('#')) {
        // the family's other metadata lines, then its samples: the next '#' line ends them
        if (samples) break;
        continue;
      }
      samples = true;
      const name = /^[^{\s]+/.exec(line)?.[0] ?? '';
      if (!name.endsWith('_created')) continue;
      try {
        const p = new OpenMetricsParser(line + '\n# EOF\n');
        if (p.next() !== E_SERIES) continue;
        out.set(stKey(p.labels()), Math.round(p.value() * 1000));
      } catch {
        // the main pass reports a malformed line
      }
    }
    return out;
  }

  protected standalone(seriesText: string): OpenMetricsParser {
    return new OpenMetricsParser(seriesText + ' 0\n# EOF\n');
  }

  // ---- ExpositionParser ----

  next(): EntryKind {
    if (this.done) return E_EOF;
    for (;;) {
      this.start = this.i;
      this.nOffs = 0;
      this.cachedLabels = undefined;
      this.matched = false;
      this.hasExemplar = false;
      this.cachedExemplar = undefined;
      if (this.st === S_INIT && this.i < this.n && this.b.charCodeAt(this.i) === 35) {
        const kind = this.fastMeta();
        if (kind !== 0) return kind as EntryKind;
      }
      if (this.st === S_INIT && this.i < this.n && isM(this.b.charCodeAt(this.i)) && this.fastSample()) {
        if (this.skipCreated && this.isCreatedSeries()) continue;
        return E_SERIES;
      }
      const t = this.lex();
      switch (t) {
        case T_MNAME:
          this.seriesStart = this.ts;
          this.nameStart = this.ts;
          this.nameEnd = this.i;
          this.nameQuoted = false;
          this.seriesEnd = this.i;
          {
            let t2 = this.lex();
            if (t2 === T_BOPEN) {
              this.parseLabels(false);
              this.seriesEnd = this.i;
              t2 = this.lex();
            }
            this.parseSeriesEnd(t2);
          }
          if (this.skipCreated && this.isCreatedSeries()) continue;
          return E_SERIES;
        case T_BOPEN:
          this.seriesStart = this.ts;
          this.nameStart = -1;
          this.parseLabels(false);
          this.seriesEnd = this.i;
          this.parseSeriesEnd(this.lex());
          if (this.skipCreated && this.isCreatedSeries()) continue;
          return E_SERIES;
        case T_HELP:
        case T_TYPE:
        case T_UNIT:
          return this.parseMeta(t);
        case T_EOFWORD: {
          const eofAt = this.ts;
          if (this.lex() !== T_EOF) throw lineErrorAt(this.b, 'unexpected data after # EOF', eofAt);
          this.done = true;
          return E_EOF;
        }
        case T_EOF:
          throw lineErrorAt(this.b, 'data does not end with # EOF', this.n);
        default:
          throw this.tokenError('expected a valid start token', t);
      }
    }
  }

  exemplar(): Exemplar | undefined {
    if (!this.hasExemplar) return undefined;
    if (this.cachedExemplar === undefined) {
      const e: Exemplar = { labels: buildPlainLabels(this.b, this.eOffs, this.nEOffs), value: this.eVal };
      if (this.eHasTs) e.timestamp = this.eTs;
      this.cachedExemplar = e;
    }
    return this.cachedExemplar;
  }

  help(): string {
    // OpenMetrics HELP uses label-value escaping.
    return unescapeLabel(this.b, this.textStart, this.textEnd);
  }

  unit(): string {
    return this.b.slice(this.textStart, this.textEnd);
  }

  // ---- parser ----

  private parseMeta(t: number): EntryKind {
    const b = this.b;
    const t2 = this.lex();
    if (t2 !== T_MNAME) throw this.tokenError(`expected metric name after ${tokenName(t)}`, t2);
    let ms = this.ts;
    let me = this.i;
    this.nameQuoted = false;
    if (b.charCodeAt(ms) === 34 && b.charCodeAt(me - 1) === 34) {
      ms++;
      me--;
      this.nameQuoted = true;
    }
    this.nameStart = ms;
    this.nameEnd = me;
    const t3 = this.lex();
    if (t3 !== T_TEXT) throw lineErrorAt(b, `expected text in ${tokenName(t)}`, this.ts);
    // The text token is ` <text>\n`: Prometheus keeps what lies between.
    if (this.i - this.ts > 1) {
      this.textStart = this.ts + 1;
      this.textEnd = this.i - 1;
    } else {
      this.textStart = this.textEnd = this.i;
    }
    if (t === T_TYPE) {
      const s = b.slice(this.textStart, this.textEnd);
      switch (s) {
        case 'counter':
        case 'gauge':
        case 'histogram':
        case 'gaugehistogram':
        case 'summary':
        case 'info':
        case 'stateset':
        case 'unknown':
          this.mtype = s;
          this.familyAt = this.start;
          break;
        default:
          throw lineErrorAt(b, `invalid metric type ${goQuote(s)}`, this.textStart);
      }
      return E_TYPE;
    }
    if (t === T_HELP) {
      if (hasInvalidUtf8(b, this.textStart, this.textEnd)) {
        const s = b.slice(this.textStart, this.textEnd);
        throw lineErrorAt(b, `help text ${goQuote(s)} is not a valid utf8 string`, this.textStart);
      }
      return E_HELP;
    }
    // UNIT: a non-empty unit must be a `_`-separated suffix of the (raw) family name.
    const ul = this.textEnd - this.textStart;
    if (ul > 0) {
      const u = b.slice(this.textStart, this.textEnd);
      const mlen = this.nameEnd - this.nameStart;
      if (
        mlen < ul + 1 ||
        b.slice(this.nameEnd - ul, this.nameEnd) !== u ||
        b.charCodeAt(this.nameEnd - ul - 1) !== 95
      ) {
        const m = b.slice(this.nameStart, this.nameEnd);
        throw lineErrorAt(b, `unit ${goQuote(u)} not a suffix of metric ${goQuote(m)}`, this.textStart);
      }
    }
    return E_UNIT;
  }

  /** After `{`: label pairs (or, for a series, a quoted metric name among them) up to `}`. */
  private parseLabels(isExemplar: boolean): void {
    const b = this.b;
    let t = this.lex();
    for (;;) {
      const cs = this.ts;
      const ce = this.i;
      if (t === T_BCLOSE) return;
      if (t !== T_LNAME && t !== T_QSTRING) throw this.tokenError('expected label name', t);
      const isQ = t === T_QSTRING;
      t = this.lex();
      if (t === T_COMMA || t === T_BCLOSE) {
        if (isExemplar) throw this.tokenError('expected label name', t);
        if (this.nameStart !== -1) throw parseErrorAt(b, 'metric name already set', cs, this.start, this.i);
        // Prometheus takes any name token here; an unquoted one it mangles, so we refuse it as the
        // text parser does.
        if (!isQ) throw this.tokenError('expected equal', t);
        this.nameStart = cs + 1;
        this.nameEnd = ce - 1;
        this.nameQuoted = true;
        if (t === T_BCLOSE) return;
        t = this.lex();
        continue;
      }
      let k: number;
      let offs: Int32Array;
      if (isExemplar) {
        k = this.nEOffs;
        if (k + 4 > this.eOffs.length) this.eOffs = growOffsets(this.eOffs);
        offs = this.eOffs;
      } else {
        k = this.nOffs;
        if (k + 4 > this.offs.length) this.offs = growOffsets(this.offs);
        offs = this.offs;
      }
      if (isQ) {
        offs[k] = cs + 1;
        offs[k + 1] = -(ce - 1) - 1;
      } else {
        offs[k] = cs;
        offs[k + 1] = ce;
      }
      if (t !== T_EQUAL) throw this.tokenError('expected equal', t);
      const t2 = this.lex();
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
      if (isExemplar) this.nEOffs = k + 4;
      else this.nOffs = k + 4;
      t = this.lex();
      if (t === T_COMMA) t = this.lex();
      else if (t !== T_BCLOSE) throw this.tokenError('expected comma or brace close', t);
    }
  }

  /**
   * The common line `name{l="v",...} value[ timestamp]\n` in one tight scan; anything else
   * (exemplars, quoted names, escapes, invalid input) returns false having changed nothing the
   * general path depends on, which then re-reads the line token by token.
   */
  private fastSample(): boolean {
    const b = this.b;
    const s = this.i;
    let lineEnd = this.lineEnd;
    if (lineEnd < s) {
      lineEnd = this.lineEnd = b.indexOf('\n', s);
      if (lineEnd === -1) return false;
    }
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
      j = vs;
      while ((c = b.charCodeAt(j)) !== 32 && c !== 10 && c !== 0 && j < lineEnd) j++;
      v = parseGoFloat(b, vs, j);
      if (j === vs || floatStatus.err !== FLOAT_OK) return false;
    }
    if (j === lineEnd) {
      this.hasTs = false;
    } else {
      // ` <seconds>` then the line's end; ` # {` (an exemplar) goes the general way.
      if (b.charCodeAt(j) !== 32 || b.charCodeAt(j + 1) === 35) return false;
      const t = scanDecimal(b, j + 1);
      if (t !== lineEnd) return false;
      this.tsVal = Math.trunc(scanned.v * 1000);
      this.hasTs = true;
      j = t;
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
        case 'gaugehistogram':
        case 'summary':
        case 'info':
        case 'stateset':
        case 'unknown':
          this.mtype = metaLine.type;
          this.familyAt = this.start;
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

  /** ` value[ timestamp][ # {exemplar} value[ timestamp]]\n` */
  private parseSeriesEnd(t: number): void {
    const b = this.b;
    if (this.nameStart === -1) throw parseErrorAt(b, 'metric name not set', this.start, this.start, this.i);
    this.val = this.floatValue(t, 'metric');
    this.hasTs = false;
    const t2 = this.lex();
    switch (t2) {
      case T_LINEBREAK:
        return;
      case T_EOF:
        throw lineErrorAt(b, 'data does not end with # EOF', this.n);
      case T_COMMENT:
        this.parseExemplar();
        return;
      case T_TIMESTAMP: {
        const f = parseGoFloat(b, this.ts + 1, this.i);
        if (floatStatus.err !== FLOAT_OK) {
          throw parseErrorAt(
            b,
            floatErrorReason(b.slice(this.ts + 1, this.i)),
            this.ts + 1,
            this.start,
            this.i,
          );
        }
        if (!Number.isFinite(f))
          throw lineErrorAt(b, `invalid timestamp ${goFormatNonFinite(f)}`, this.ts + 1);
        this.tsVal = Math.trunc(f * 1000);
        this.hasTs = true;
        const t3 = this.lex();
        if (t3 === T_LINEBREAK) return;
        if (t3 === T_COMMENT) {
          this.parseExemplar();
          return;
        }
        throw this.tokenError('expected next entry after timestamp', t3);
      }
      default:
      // Prometheus has no case for anything else here (a blank after the value): the sample
      // stands and the next call fails on what follows, as it does there.
    }
  }

  /** After ` # {`: the exemplar's labels, value and optional timestamp, then the line's end. */
  private parseExemplar(): void {
    const b = this.b;
    this.nEOffs = 0;
    this.parseLabels(true);
    this.eVal = this.floatValue(this.lex(), 'exemplar labels');
    this.eHasTs = false;
    this.hasExemplar = true;
    const t2 = this.lex();
    switch (t2) {
      case T_EOF:
        throw lineErrorAt(b, 'data does not end with # EOF', this.n);
      case T_LINEBREAK:
        return;
      case T_TIMESTAMP: {
        const f = parseGoFloat(b, this.ts + 1, this.i);
        if (floatStatus.err !== FLOAT_OK) {
          throw parseErrorAt(
            b,
            floatErrorReason(b.slice(this.ts + 1, this.i)),
            this.ts + 1,
            this.start,
            this.i,
          );
        }
        if (!Number.isFinite(f)) {
          throw lineErrorAt(b, `invalid exemplar timestamp ${goFormatNonFinite(f)}`, this.ts + 1);
        }
        this.eTs = Math.trunc(f * 1000);
        this.eHasTs = true;
        const t3 = this.lex();
        if (t3 !== T_LINEBREAK) throw this.tokenError('expected next entry after exemplar timestamp', t3);
        return;
      }
      default:
        throw this.tokenError('expected timestamp or comment', t2);
    }
  }

  /** A VALUE token is ` <float>`. */
  private floatValue(t: number, after: string): number {
    if (t !== T_VALUE) throw this.tokenError(`expected value after ${after}`, t);
    const b = this.b;
    const v = parseGoFloat(b, this.ts + 1, this.i);
    if (floatStatus.err !== FLOAT_OK) {
      throw parseErrorAt(b, floatErrorReason(b.slice(this.ts + 1, this.i)), this.ts + 1, this.start, this.i);
    }
    return v;
  }

  /** `_created` samples of the types whose created timestamp Prometheus reads from them. */
  private isCreatedSeries(): boolean {
    const t = this.mtype;
    if (t !== 'counter' && t !== 'summary' && t !== 'histogram') return false;
    return this.nameEnd - this.nameStart >= 8 && this.b.startsWith('_created', this.nameEnd - 8);
  }

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

  // ---- lexer (openmetricslex.l) ----

  private lex(): number {
    const b = this.b;
    const n = this.n;
    let i = this.i;
    if (i >= n) return T_EOF;
    const c = b.charCodeAt(i);
    this.ts = i;
    switch (this.st) {
      case S_INIT:
        if (isM(c)) {
          do i++;
          while (i < n && isMD(b.charCodeAt(i)));
          this.i = i;
          this.st = S_VALUE;
          return T_MNAME;
        }
        if (c === 123) {
          this.i = i + 1;
          this.st = S_LABELS;
          return T_BOPEN;
        }
        if (c === 35) return this.lexHash(i);
        return T_INVALID;
      case S_LABELS:
      case S_EXEMPLAR:
        if (isL(c)) {
          do i++;
          while (i < n && isLD(b.charCodeAt(i)));
          this.i = i;
          return T_LNAME;
        }
        if (c === 61) {
          this.i = i + 1;
          this.st = this.st === S_LABELS ? S_LVALUE : S_EVALUE;
          return T_EQUAL;
        }
        if (c === 44) {
          this.i = i + 1;
          return T_COMMA;
        }
        if (c === 125) {
          this.i = i + 1;
          this.st = this.st === S_LABELS ? S_VALUE : S_EVALUE;
          return T_BCLOSE;
        }
        if (c === 34) {
          // Series label names may span lines; exemplar ones may not.
          return this.lexQuoted(i, T_QSTRING, this.st === S_LABELS, false, this.st);
        }
        return T_INVALID;
      case S_LVALUE:
        if (c === 34) return this.lexQuoted(i, T_LVALUE, false, true, S_LABELS);
        return T_INVALID;
      case S_VALUE:
        if (c === 123) {
          this.i = i + 1;
          this.st = S_LABELS;
          return T_BOPEN;
        }
        return this.lexBlankField(i, T_VALUE, S_TIMESTAMP);
      case S_TIMESTAMP:
        if (c === 10) {
          this.i = i + 1;
          this.st = S_INIT;
          return T_LINEBREAK;
        }
        // ` # {` starts an exemplar unless ` [^ \n]+` is longer (e.g. ` #{...`).
        if (
          c === 32 &&
          b.charCodeAt(i + 1) === 35 &&
          b.charCodeAt(i + 2) === 32 &&
          b.charCodeAt(i + 3) === 123
        ) {
          this.i = i + 4;
          this.st = S_EXEMPLAR;
          return T_COMMENT;
        }
        return this.lexBlankField(i, T_TIMESTAMP, S_TIMESTAMP);
      case S_EVALUE:
        if (c === 34) return this.lexQuoted(i, T_LVALUE, false, false, S_EXEMPLAR);
        return this.lexBlankField(i, T_VALUE, S_ETIMESTAMP);
      case S_ETIMESTAMP:
        if (c === 10) {
          this.i = i + 1;
          this.st = S_INIT;
          return T_LINEBREAK;
        }
        return this.lexBlankField(i, T_TIMESTAMP, S_ETIMESTAMP);
      case S_META1:
        if (isM(c)) {
          do i++;
          while (i < n && isMD(b.charCodeAt(i)));
          this.i = i;
          this.st = S_META2;
          return T_MNAME;
        }
        if (c === 34) return this.lexQuoted(i, T_MNAME, true, false, S_META2);
        return T_INVALID;
      case S_META2: {
        // ` {C}*\n`, NULs after the first character skipped.
        if (c !== 32) return T_INVALID;
        const nl = b.indexOf('\n', i + 1);
        if (nl === -1) {
          this.i = n;
          return T_INVALID;
        }
        this.i = nl + 1;
        this.st = S_INIT;
        return T_TEXT;
      }
    }
    return T_INVALID;
  }

  /** `{S}[^ \n]+`: one blank, then at least one character other than blank, newline or NUL. */
  private lexBlankField(i: number, tok: number, next: number): number {
    const b = this.b;
    const n = this.n;
    if (b.charCodeAt(i) !== 32) return T_INVALID;
    let j = i + 1;
    let c: number;
    while (j < n && (c = b.charCodeAt(j)) !== 32 && c !== 10 && c !== 0) j++;
    if (j === i + 1) {
      this.i = j;
      return T_INVALID;
    }
    this.i = j;
    this.st = next;
    return tok;
  }

  /** `# ` then HELP, TYPE, UNIT (each followed by a blank) or EOF with an optional newline. */
  private lexHash(i: number): number {
    const b = this.b;
    const n = this.n;
    if (b.charCodeAt(i + 1) !== 32) {
      this.i = i + 1;
      return T_INVALID;
    }
    i += 2;
    const c = b.charCodeAt(i);
    const kw = c === 72 ? 'HELP ' : c === 84 ? 'TYPE ' : c === 85 ? 'UNIT ' : c === 69 ? 'EOF' : '';
    let k = 0;
    while (k < kw.length && i + k < n && b.charCodeAt(i + k) === kw.charCodeAt(k)) k++;
    if (kw === '' || k < kw.length) {
      this.i = i + k;
      return T_INVALID;
    }
    if (kw === 'EOF') {
      this.i = b.charCodeAt(i + 3) === 10 ? i + 4 : i + 3;
      this.st = S_INIT;
      return T_EOFWORD;
    }
    this.i = i + 5;
    this.st = S_META1;
    return c === 72 ? T_HELP : c === 84 ? T_TYPE : T_UNIT;
  }

  /** `"(\\.|[^\\"])*"`, with or without newlines, NULs only where the lexer skips them. */
  private lexQuoted(i: number, tok: number, newlines: boolean, skipNul: boolean, next: number): number {
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
      } else if ((c === 10 && !newlines) || (c === 0 && !skipNul)) {
        this.i = i;
        return T_INVALID;
      }
    }
    this.i = n;
    return T_INVALID;
  }
}

/** A label set without __name__, le and quantile: how a sample finds its family's `_created`. */
function stKey(ls: Labels): string {
  const p = ls.pairs;
  let k = '';
  for (let j = 0; j < p.length; j += 2) {
    const n = p[j];
    if (n === '__name__' || n === 'le' || n === 'quantile') continue;
    k += n + '\xff' + p[j + 1] + '\xff';
  }
  return k;
}
