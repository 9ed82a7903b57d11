// Recursive-descent PromQL parser following Prometheus's generated_parser.y (precedence, error rules and
// their "unexpected ... in <context>, expected ..." messages) and parse.go (semantic checks, then checkAST).
import { Matcher, type MatchType } from '../../model/matcher.js';
import { goQuote } from '../../model/goquote.js';
import { parseDuration } from '../../model/duration.js';
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  DurationExpr,
  Expr,
  PositionRange,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { PromQLParseError, type ParseOptions } from './errors.js';
import { FUNCTIONS } from './functions.js';
import { lex, T, type Token } from './lexer.js';
import { describe, goFloatF, parseNumber } from './literals.js';
import { checkAST } from './check.js';
import { unquoteString } from './strings.js';

/** Thrown internally to unwind on the first syntax error (like yacc giving up after error recovery). */
class Abort extends Error {}

const BINOPS = new Map<T, [BinaryOp, number]>([
  [T.LOR, ['or', 1]],
  [T.LAND, ['and', 2]],
  [T.LUNLESS, ['unless', 2]],
  [T.EQLC, ['==', 3]],
  [T.NEQ, ['!=', 3]],
  [T.LTE, ['<=', 3]],
  [T.LSS, ['<', 3]],
  [T.GTE, ['>=', 3]],
  [T.GTR, ['>', 3]],
  [T.ADD, ['+', 4]],
  [T.SUB, ['-', 4]],
  [T.MUL, ['*', 5]],
  [T.DIV, ['/', 5]],
  [T.MOD, ['%', 5]],
  [T.ATAN2, ['atan2', 5]],
  [T.POW, ['^', 6]],
]);
const POW_PREC = 6;
// Go's time.Duration (int64 ns) and int64 limits, as the bounds Prometheus checks against.
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;
const INT64_LIMIT = 2 ** 63;
const VALID_UNITS = new Set(['y', 'w', 'd', 'h', 'm', 's', 'ms']);

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface SemanticError {
  pos: PositionRange;
  msg: string;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  readonly errors: SemanticError[] = [];
  private lastClosing = 0;
  private aggDepth = 0;
  private readonly features: ReadonlySet<string>;

  constructor(
    readonly input: string,
    opts: ParseOptions | undefined,
  ) {
    this.toks = lex(input);
    this.features = opts?.features ?? new Set();
  }

  has(feature: string): boolean {
    return this.features.has(feature);
  }

  // --- token plumbing ---

  private peek(): Token {
    const tok = this.toks[this.i];
    if (tok.t === T.ERROR) {
      this.errors.push({ pos: { start: tok.pos, end: this.input.length }, msg: tok.val });
      throw new Abort();
    }
    return tok;
  }

  private peekAt(k: number): Token {
    const tok = this.toks[Math.min(this.i + k, this.toks.length - 1)];
    return tok;
  }

  private next(): Token {
    const tok = this.peek();
    if (tok.t !== T.EOF) this.i++;
    if (
      tok.t === T.RIGHT_BRACE ||
      tok.t === T.RIGHT_PAREN ||
      tok.t === T.RIGHT_BRACKET ||
      tok.t === T.DURATION ||
      tok.t === T.NUMBER
    ) {
      this.lastClosing = tok.pos + tok.val.length;
    }
    return tok;
  }

  addErr(pos: PositionRange, msg: string): void {
    this.errors.push({ pos, msg });
  }

  /** Go's parser.unexpected(): reports the current lookahead and stops. */
  private unexpected(context: string, expected: string): never {
    const tok = this.peek();
    let msg = `unexpected ${describe(tok)}`;
    if (context === '' && this.aggDepth > 0) context = 'aggregation';
    if (context !== '') msg += ` in ${context}`;
    if (expected !== '') msg += `, expected ${expected}`;
    this.errors.push({ pos: { start: tok.pos, end: tok.pos + tok.val.length }, msg });
    throw new Abort();
  }

  private expect(t: T, context: string, expected: string): Token {
    if (this.peek().t !== t) this.unexpected(context, expected);
    return this.next();
  }

  // --- entry points ---

  parseTop(): Expr | undefined {
    if (this.peek().t === T.EOF) {
      this.addErr({ start: 0, end: 0 }, 'no expression found in input');
      return undefined;
    }
    const e = this.parseBinary(0);
    if (this.peek().t !== T.EOF) this.unexpected('', '');
    return e;
  }

  parseSelectorOnly(): VectorSelector {
    const tok = this.peek();
    let vs: VectorSelector;
    if (this.isMetricIdentifier(tok)) {
      this.next();
      vs = this.parseVectorSelector(tok);
    } else if (tok.t === T.LEFT_BRACE) {
      vs = this.parseVectorSelector(undefined);
    } else this.unexpected('', '');
    if (this.peek().t !== T.EOF) this.unexpected('', '');
    return vs;
  }

  // --- expressions ---

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const tok = this.peek();
      const op = BINOPS.get(tok.t);
      if (op === undefined || op[1] < minPrec) return lhs;
      this.next();
      const bin = this.parseBinModifiers();
      const rhs = this.parseBinary(op[1] === POW_PREC ? op[1] : op[1] + 1);
      lhs = this.newBinary(op[0], lhs, rhs, bin);
    }
  }

  private newBinary(
    op: BinaryOp,
    lhs: Expr,
    rhs: Expr,
    mods: { returnBool: boolean; matching: VectorMatching },
  ): BinaryExpr {
    const e: BinaryExpr = {
      type: 'BinaryExpr',
      op,
      lhs,
      rhs,
      returnBool: mods.returnBool,
      matching: mods.matching,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
    if (mods.matching.fill !== undefined && !this.has('promql-binop-fill-modifiers')) {
      this.addErr(e.pos, 'binop fill modifiers are experimental and not enabled');
    }
    return e;
  }

  private parseBinModifiers(): { returnBool: boolean; matching: VectorMatching } {
    const matching: VectorMatching = { card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    let returnBool = false;
    if (this.isKeyword('bool')) {
      this.next();
      returnBool = true;
    }
    if (this.isKeyword('on') || this.isKeyword('ignoring')) {
      matching.on = this.next().val.toLowerCase() === 'on';
      matching.matchingLabels = this.parseGroupingLabels();
      if (this.isKeyword('group_left') || this.isKeyword('group_right')) {
        matching.card = this.next().val.toLowerCase() === 'group_left' ? 'many-to-one' : 'one-to-many';
        if (this.peek().t === T.LEFT_PAREN) matching.include = this.parseGroupingLabels();
      }
    }
    this.parseFillModifiers(matching);
    return { returnBool, matching };
  }

  // Experimental: fill(v) / fill_left(v) / fill_right(v) after the matching modifiers.
  private parseFillModifiers(matching: VectorMatching): void {
    while (this.isKeyword('fill') || this.isKeyword('fill_left') || this.isKeyword('fill_right')) {
      const kw = this.next().val.toLowerCase();
      this.expect(T.LEFT_PAREN, 'fill modifier', '"("');
      let sign = 1;
      if (this.peek().t === T.SUB || this.peek().t === T.ADD) sign = this.next().t === T.SUB ? -1 : 1;
      const numTok = this.expect(T.NUMBER, 'fill modifier', 'number');
      const v = sign * this.number(numTok);
      this.expect(T.RIGHT_PAREN, 'fill modifier', '")"');
      matching.fill ??= {};
      if (kw !== 'fill_right') matching.fill.lhs = v;
      if (kw !== 'fill_left') matching.fill.rhs = v;
    }
  }

  private isKeyword(kw: string): boolean {
    const tok = this.peek();
    return tok.t === T.KEYWORD && tok.val.toLowerCase() === kw;
  }

  private parseGroupingLabels(): string[] {
    if (this.peek().t !== T.LEFT_PAREN) this.unexpected('grouping opts', '"("');
    this.next();
    const labels: string[] = [];
    if (this.peek().t === T.RIGHT_PAREN) {
      this.next();
      return labels;
    }
    for (;;) {
      const tok = this.peek();
      if (tok.t === T.STRING) {
        this.next();
        labels.push(this.unquote(tok));
      } else if (this.isMaybeLabel(tok)) {
        if (!LEGACY_LABEL.test(tok.val)) this.unexpected('grouping opts', 'label');
        this.next();
        labels.push(tok.val);
      } else this.unexpected('grouping opts', 'label');
      const sep = this.peek();
      if (sep.t === T.COMMA) {
        this.next();
        if (this.peek().t === T.RIGHT_PAREN) {
          this.next();
          return labels;
        }
        continue;
      }
      if (sep.t === T.RIGHT_PAREN) {
        this.next();
        return labels;
      }
      this.unexpected('grouping opts', '"," or ")"');
    }
  }

  private isMaybeLabel(tok: Token): boolean {
    switch (tok.t) {
      case T.IDENTIFIER:
      case T.METRIC_IDENTIFIER:
      case T.AGGREGATOR:
      case T.KEYWORD:
      case T.PREPROCESSOR:
      case T.LAND:
      case T.LOR:
      case T.LUNLESS:
      case T.ATAN2:
        return true;
      default:
        return false;
    }
  }

  private isMetricIdentifier(tok: Token): boolean {
    switch (tok.t) {
      case T.IDENTIFIER:
      case T.METRIC_IDENTIFIER:
      case T.AGGREGATOR:
      case T.LAND:
      case T.LOR:
      case T.LUNLESS:
      case T.PREPROCESSOR:
        return true;
      case T.KEYWORD: {
        const kw = tok.val.toLowerCase();
        return kw === 'by' || kw === 'without' || kw === 'offset' || kw === 'anchored' || kw === 'smoothed';
      }
      default:
        return false;
    }
  }

  private parseUnary(): Expr {
    const tok = this.peek();
    if (tok.t === T.ADD || tok.t === T.SUB) {
      this.next();
      // Unary minus binds like '*': only '^' (and postfix modifiers) bind tighter, so -2^2 is -(2^2).
      const operand = this.parseBinary(POW_PREC);
      if (operand.type === 'NumberLiteral') {
        if (tok.t === T.SUB) operand.value = -operand.value;
        operand.pos = { start: tok.pos, end: operand.pos.end };
        return operand;
      }
      return {
        type: 'UnaryExpr',
        op: tok.t === T.SUB ? '-' : '+',
        expr: operand,
        pos: { start: tok.pos, end: operand.pos.end },
      };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const tok = this.peek();
    switch (tok.t) {
      case T.NUMBER: {
        this.next();
        return { type: 'NumberLiteral', value: this.number(tok), pos: range(tok) };
      }
      case T.DURATION: {
        // Prometheus 3 accepts a duration where a number is expected: its value in seconds.
        this.next();
        return { type: 'NumberLiteral', value: this.duration(tok) / 1000, duration: true, pos: range(tok) };
      }
      case T.STRING:
        this.next();
        return { type: 'StringLiteral', value: this.unquote(tok), pos: range(tok) };
      case T.LEFT_PAREN: {
        this.next();
        const inner = this.parseBinary(0);
        const close = this.expect(T.RIGHT_PAREN, '', '');
        return { type: 'ParenExpr', expr: inner, pos: { start: tok.pos, end: close.pos + 1 } };
      }
      case T.LEFT_BRACE:
        return this.parseVectorSelector(undefined);
      case T.AGGREGATOR: {
        const nxt = this.peekAt(1);
        const nextKw = nxt.t === T.KEYWORD ? nxt.val.toLowerCase() : '';
        if (nxt.t === T.LEFT_PAREN || nextKw === 'by' || nextKw === 'without') return this.parseAggregate();
        break;
      }
      case T.IDENTIFIER:
      case T.PREPROCESSOR:
        if (this.peekAt(1).t === T.LEFT_PAREN) return this.parseCall();
        break;
    }
    if (this.isMetricIdentifier(tok)) {
      this.next();
      return this.parseVectorSelector(tok);
    }
    this.unexpected('', '');
  }

  private parseCall(): Expr {
    const ident = this.next();
    const name = ident.val;
    const fn = FUNCTIONS.get(name);
    const identPos = range(ident);
    if (fn === undefined) this.addErr(identPos, `unknown function with name ${goQuote(name)}`);
    else if (fn.experimental && !this.has('promql-experimental-functions')) {
      this.addErr(identPos, `function ${goQuote(name)} is not enabled`);
    }
    const args = this.parseCallBody();
    return { type: 'Call', func: name, args, pos: { start: ident.pos, end: this.lastClosing } };
  }

  private parseCallBody(): Expr[] {
    this.expect(T.LEFT_PAREN, '', '');
    const args: Expr[] = [];
    if (this.peek().t === T.RIGHT_PAREN) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.parseBinary(0));
      const tok = this.peek();
      if (tok.t === T.COMMA) {
        this.next();
        if (this.peek().t === T.RIGHT_PAREN) {
          this.addErr(range(tok), 'trailing commas not allowed in function call args');
          this.next();
          return args;
        }
        continue;
      }
      this.expect(T.RIGHT_PAREN, '', '');
      return args;
    }
  }

  private parseAggregate(): Expr {
    const opTok = this.next();
    const op = opTok.val.toLowerCase() as AggregateOp;
    this.aggDepth++;
    let grouping: string[] = [];
    let without = false;
    let hasModifier = false;
    const parseModifier = (): void => {
      without = this.next().val.toLowerCase() === 'without';
      grouping = this.parseGroupingLabels();
      hasModifier = true;
    };
    if (this.isKeyword('by') || this.isKeyword('without')) parseModifier();
    if (this.peek().t !== T.LEFT_PAREN) this.unexpected('aggregation', '');
    const args = this.parseCallBody();
    this.aggDepth--;
    if (!hasModifier && (this.isKeyword('by') || this.isKeyword('without'))) {
      this.aggDepth++;
      parseModifier();
      this.aggDepth--;
    }
    const pos = { start: opTok.pos, end: this.lastClosing };
    const agg: AggregateExpr = {
      type: 'AggregateExpr',
      op,
      expr: undefined as unknown as Expr,
      grouping,
      without,
      pos,
    };
    if (args.length === 0) {
      this.addErr(pos, 'no arguments for aggregate expression provided');
      return agg;
    }
    let desired = 1;
    if (
      op === 'topk' ||
      op === 'bottomk' ||
      op === 'count_values' ||
      op === 'quantile' ||
      op === 'limitk' ||
      op === 'limit_ratio'
    ) {
      if ((op === 'limitk' || op === 'limit_ratio') && !this.has('promql-experimental-functions')) {
        this.addErr(
          pos,
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        );
        return agg;
      }
      desired = 2;
      agg.param = args[0];
    }
    if (args.length !== desired) {
      this.addErr(
        pos,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
      return agg;
    }
    agg.expr = args[desired - 1];
    return agg;
  }

  private parseVectorSelector(nameTok: Token | undefined): VectorSelector {
    const matchers: Matcher[] = [];
    let start = nameTok?.pos ?? this.peek().pos;
    let end = nameTok !== undefined ? nameTok.pos + nameTok.val.length : start;
    if (this.peek().t === T.LEFT_BRACE) {
      const open = this.next();
      if (nameTok === undefined) start = open.pos;
      end = this.parseMatchers(matchers);
    }
    if (nameTok !== undefined) matchers.push(new Matcher('=', '__name__', nameTok.val));
    return {
      type: 'VectorSelector',
      name: nameTok?.val,
      matchers,
      offset: 0,
      pos: { start, end },
    };
  }

  /** Parses `label op "value", ...}` after `{`; returns the end position (after `}`). */
  private parseMatchers(out: Matcher[]): number {
    if (this.peek().t === T.RIGHT_BRACE) return this.next().pos + 1;
    for (;;) {
      const nameTok = this.peek();
      if (nameTok.t !== T.IDENTIFIER && nameTok.t !== T.STRING)
        this.unexpected('label matching', 'identifier or "}"');
      this.next();
      const opTok = this.peek();
      let type: MatchType | undefined;
      switch (opTok.t) {
        case T.EQL:
          type = '=';
          break;
        case T.NEQ:
          type = '!=';
          break;
        case T.EQL_REGEX:
          type = '=~';
          break;
        case T.NEQ_REGEX:
          type = '!~';
          break;
      }
      if (type === undefined) {
        if (nameTok.t === T.STRING && (opTok.t === T.COMMA || opTok.t === T.RIGHT_BRACE)) {
          // {"metric.name"}: a quoted metric name.
          out.push(new Matcher('=', '__name__', this.unquote(nameTok)));
        } else this.unexpected('label matching', 'label matching operator');
      } else {
        this.next();
        const valTok = this.peek();
        if (valTok.t !== T.STRING) this.unexpected('label matching', 'string');
        this.next();
        const name = nameTok.t === T.STRING ? this.unquote(nameTok) : nameTok.val;
        const value = this.unquote(valTok);
        try {
          out.push(new Matcher(type, name, value));
        } catch (err) {
          // Our regex engine anchors before compiling; report the pattern as written, like Prometheus.
          const msg = (err as Error).message.replace(/`\^\(\?s:([\s\S]*)\)\$`/, '`$1`');
          this.addErr({ start: nameTok.pos, end: valTok.pos + valTok.val.length }, msg);
        }
      }
      const sep = this.peek();
      if (sep.t === T.COMMA) {
        this.next();
        if (this.peek().t === T.RIGHT_BRACE) return this.next().pos + 1;
        continue;
      }
      if (sep.t === T.RIGHT_BRACE) return this.next().pos + 1;
      this.unexpected('label matching', '"," or "}"');
    }
  }

  // --- postfix: [range], [range:step], offset, @ ---

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      const tok = this.peek();
      if (tok.t === T.LEFT_BRACKET) e = this.parseRangeOrSubquery(e);
      else if (tok.t === T.KEYWORD && tok.val.toLowerCase() === 'offset') this.parseOffset(e);
      else if (tok.t === T.AT) this.parseAt(e);
      else if (
        tok.t === T.KEYWORD &&
        (tok.val.toLowerCase() === 'anchored' || tok.val.toLowerCase() === 'smoothed')
      ) {
        this.next();
        this.setRangeModifier(e, tok.val.toLowerCase() as 'anchored' | 'smoothed');
      } else return e;
    }
  }

  private setRangeModifier(e: Expr, mod: 'anchored' | 'smoothed'): void {
    if (!this.has('promql-extended-range-selectors')) {
      this.addErr(e.pos, `${mod} modifier is experimental and not enabled`);
      return;
    }
    if (e.type === 'MatrixSelector') {
      if (e.rangeModifier !== undefined && e.rangeModifier !== mod) {
        this.addErr(e.pos, 'anchored and smoothed modifiers cannot be used together');
      }
      e.rangeModifier = mod;
    } else if (e.type === 'SubqueryExpr')
      this.addErr(e.pos, `${mod} modifier is not supported for subqueries`);
    else if (e.type === 'VectorSelector') {
      if (e.rangeModifier !== undefined && e.rangeModifier !== mod) {
        this.addErr(e.pos, 'anchored and smoothed modifiers cannot be used together');
      }
      e.rangeModifier = mod;
    } else this.addErr(e.pos, `${mod} modifier not implemented`);
  }

  private parseRangeOrSubquery(e: Expr): Expr {
    const open = this.next();
    const first = this.peek();
    if (!this.startsDuration(first)) {
      this.unexpected('subquery or range selector', 'number, duration, step(), or range()');
    }
    const rangeD = this.parseDurationValue();
    if (rangeD.expr === undefined && rangeD.ms <= 0) {
      this.addErr({ start: first.pos, end: this.lastClosing }, 'duration must be greater than 0');
    }
    const sep = this.peek();
    if (sep.t === T.RIGHT_BRACKET) {
      const close = this.next();
      let errMsg = '';
      if (e.type !== 'VectorSelector') errMsg = 'ranges only allowed for vector selectors';
      else if (e.offset !== 0 || e.offsetExpr !== undefined)
        errMsg = 'no offset modifiers allowed before range';
      else if (e.at !== undefined) errMsg = 'no @ modifiers allowed before range';
      if (errMsg !== '') this.addErr({ start: open.pos, end: close.pos + 1 }, errMsg);
      const vs: VectorSelector =
        e.type === 'VectorSelector'
          ? e
          : { type: 'VectorSelector', name: undefined, matchers: [], offset: 0, pos: e.pos };
      return {
        type: 'MatrixSelector',
        vectorSelector: vs,
        range: rangeD.ms,
        ...(rangeD.expr !== undefined ? { rangeExpr: rangeD.expr } : {}),
        pos: { start: e.pos.start, end: close.pos + 1 },
      };
    }
    if (sep.t !== T.COLON) this.unexpected('subquery or range', '":" or "]"');
    this.next();
    let step: { ms: number; expr?: Expr } = { ms: 0 };
    if (this.peek().t !== T.RIGHT_BRACKET) {
      if (!this.startsDuration(this.peek()))
        this.unexpected('subquery selector', 'number or duration or "]"');
      step = this.parseDurationValue();
      if (this.peek().t !== T.RIGHT_BRACKET) this.unexpected('subquery selector', '"]"');
    }
    const close = this.next();
    return {
      type: 'SubqueryExpr',
      expr: e,
      range: rangeD.ms,
      ...(rangeD.expr !== undefined ? { rangeExpr: rangeD.expr } : {}),
      step: step.ms,
      ...(step.expr !== undefined ? { stepExpr: step.expr } : {}),
      offset: 0,
      pos: { start: e.pos.start, end: close.pos + 1 },
    };
  }

  private startsDuration(tok: Token): boolean {
    return (
      tok.t === T.NUMBER ||
      tok.t === T.DURATION ||
      tok.t === T.LEFT_PAREN ||
      tok.t === T.SUB ||
      tok.t === T.ADD ||
      (tok.t === T.PREPROCESSOR && (tok.val.toLowerCase() === 'step' || tok.val.toLowerCase() === 'range')) ||
      (tok.t === T.AGGREGATOR && (tok.val.toLowerCase() === 'min' || tok.val.toLowerCase() === 'max')) ||
      (tok.t === T.IDENTIFIER &&
        (tok.val.toLowerCase() === 'min_of' || tok.val.toLowerCase() === 'max_of') &&
        this.peekAt(1).t === T.LEFT_PAREN)
    );
  }

  /** A number/duration literal (ms), or with promql-duration-expr an arithmetic duration expression. */
  private parseDurationValue(): { ms: number; expr?: Expr } {
    const tok = this.peek();
    const nxt = this.peekAt(1);
    if ((tok.t === T.NUMBER || tok.t === T.DURATION) && !isDurationOperator(nxt.t)) {
      this.next();
      return { ms: this.literalMs(tok) };
    }
    const expr = this.parseDurationExpr(0);
    // A signed literal folds to a plain value, as Prometheus does for `-1`.
    if (expr.op === 'literal') return { ms: expr.value ?? 0 };
    if (expr.op === 'neg' && expr.lhs?.type === 'DurationExpr' && expr.lhs.op === 'literal') {
      return { ms: -(expr.lhs.value ?? 0) };
    }
    if (!this.has('promql-duration-expr'))
      this.addErr(expr.pos, 'experimental duration expression is not enabled');
    return { ms: 0, expr };
  }

  /**
   * An offset's duration: one signed primary (literal, step(), range(), min_of(), max_of() or a
   * parenthesised expression). Arithmetic after it applies to the selector (`x offset 1m * 2`).
   */
  private parseOffsetDuration(): { ms: number; expr?: Expr } {
    const tok = this.peek();
    let neg = false;
    if (tok.t === T.SUB || tok.t === T.ADD) {
      this.next();
      neg = tok.t === T.SUB;
    }
    const inner = this.parseDurationUnary();
    if (inner.op === 'literal') return { ms: neg ? -(inner.value ?? 0) : (inner.value ?? 0) };
    const expr: DurationExpr = neg
      ? { type: 'DurationExpr', op: 'neg', lhs: inner, pos: { start: tok.pos, end: inner.pos.end } }
      : inner;
    if (!this.has('promql-duration-expr'))
      this.addErr(expr.pos, 'experimental duration expression is not enabled');
    return { ms: 0, expr };
  }

  private literalMs(tok: Token): number {
    if (tok.t === T.DURATION) return this.duration(tok);
    const secs = this.number(tok);
    if (!Number.isFinite(secs) || Math.abs(secs) > MAX_DURATION_SECONDS) {
      this.addErr(range(tok), 'duration out of range');
      return 0;
    }
    return Math.round(secs * 1000);
  }

  // Duration arithmetic: + - (1) < * / % (2) < ^ (3, right); unary minus; step(), min(a,b), max(a,b).
  private parseDurationExpr(minPrec: number): DurationExpr {
    let lhs = this.parseDurationUnary();
    for (;;) {
      const tok = this.peek();
      const prec = durationPrec(tok.t);
      if (prec === 0 || prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseDurationExpr(prec === 3 ? prec : prec + 1);
      lhs = {
        type: 'DurationExpr',
        op: tok.val as DurationExpr['op'],
        lhs,
        rhs,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
    }
  }

  private parseDurationUnary(): DurationExpr {
    const tok = this.peek();
    if (tok.t === T.SUB || tok.t === T.ADD) {
      this.next();
      const inner = this.parseDurationExpr(3);
      if (tok.t === T.ADD) return inner;
      return { type: 'DurationExpr', op: 'neg', lhs: inner, pos: { start: tok.pos, end: inner.pos.end } };
    }
    if (tok.t === T.NUMBER || tok.t === T.DURATION) {
      this.next();
      return { type: 'DurationExpr', op: 'literal', value: this.literalMs(tok), pos: range(tok) };
    }
    if (tok.t === T.LEFT_PAREN) {
      this.next();
      const inner = this.parseDurationExpr(0);
      const close = this.expect(T.RIGHT_PAREN, 'duration expression', '")"');
      inner.pos = { start: tok.pos, end: close.pos + 1 };
      return inner;
    }
    const lower = tok.val.toLowerCase();
    if (tok.t === T.PREPROCESSOR && (lower === 'step' || lower === 'range')) {
      this.next();
      this.expect(T.LEFT_PAREN, `${lower}()`, '"("');
      const close = this.expect(T.RIGHT_PAREN, `${lower}()`, '")"');
      return {
        type: 'DurationExpr',
        op: lower as 'step' | 'range',
        pos: { start: tok.pos, end: close.pos + 1 },
      };
    }
    if (
      (tok.t === T.AGGREGATOR && (lower === 'min' || lower === 'max')) ||
      (tok.t === T.IDENTIFIER && (lower === 'min_of' || lower === 'max_of'))
    ) {
      this.next();
      this.expect(T.LEFT_PAREN, `${lower}()`, '"("');
      const a = this.parseDurationExpr(0);
      this.expect(T.COMMA, `${lower}()`, '","');
      const b = this.parseDurationExpr(0);
      const close = this.expect(T.RIGHT_PAREN, `${lower}()`, '")"');
      const op = lower as 'min' | 'max' | 'min_of' | 'max_of';
      return { type: 'DurationExpr', op, lhs: a, rhs: b, pos: { start: tok.pos, end: close.pos + 1 } };
    }
    this.unexpected('duration expression', 'number or duration');
  }

  private parseOffset(e: Expr): void {
    this.next();
    const tok = this.peek();
    let d: { ms: number; expr?: Expr };
    if (
      tok.t === T.SUB &&
      (this.peekAt(1).t === T.NUMBER || this.peekAt(1).t === T.DURATION) &&
      !isDurationOperator(this.peekAt(2).t)
    ) {
      this.next();
      d = { ms: -this.literalMs(this.next()) };
    } else if (this.startsDuration(tok)) {
      d = this.parseOffsetDuration();
    } else this.unexpected('offset', 'number, duration, step(), or range()');
    let target: { offset: number; offsetExpr?: Expr } | undefined;
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') target = e;
    else if (e.type === 'MatrixSelector') target = e.vectorSelector;
    else {
      this.addErr(
        e.pos,
        'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
      return;
    }
    if (target.offset !== 0 || target.offsetExpr !== undefined) {
      this.addErr(e.pos, 'offset may not be set multiple times');
    } else {
      target.offset = d.ms;
      if (d.expr !== undefined) target.offsetExpr = d.expr;
    }
    e.pos = { start: e.pos.start, end: this.lastClosing };
  }

  private parseAt(e: Expr): void {
    this.next();
    const tok = this.peek();
    let at: AtModifier;
    if (tok.t === T.PREPROCESSOR && (tok.val.toLowerCase() === 'start' || tok.val.toLowerCase() === 'end')) {
      this.next();
      if (this.peek().t !== T.LEFT_PAREN) this.unexpected('@', 'timestamp');
      this.next();
      if (this.peek().t !== T.RIGHT_PAREN) this.unexpected('@', 'timestamp');
      this.next();
      at = { kind: tok.val.toLowerCase() as 'start' | 'end' };
    } else {
      let sign = 1;
      if (tok.t === T.ADD || tok.t === T.SUB) {
        this.next();
        sign = tok.t === T.SUB ? -1 : 1;
      }
      const numTok = this.peek();
      if (numTok.t !== T.NUMBER && numTok.t !== T.DURATION) this.unexpected('@', 'timestamp');
      this.next();
      const ts = sign * (numTok.t === T.DURATION ? this.duration(numTok) / 1000 : this.number(numTok));
      if (!Number.isFinite(ts) || Math.abs(ts) >= INT64_LIMIT) {
        this.addErr(e.pos, `timestamp out of bounds for @ modifier: ${goFloatF(ts)}`);
      }
      at = { kind: 'time', ms: Math.round(ts * 1000) };
    }
    let target: { at?: AtModifier };
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') target = e;
    else if (e.type === 'MatrixSelector') target = e.vectorSelector;
    else {
      this.addErr(
        e.pos,
        '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
      return;
    }
    if (target.at !== undefined) {
      this.addErr(e.pos, '@ <timestamp> may not be set multiple times');
      return;
    }
    target.at = at;
    e.pos = { start: e.pos.start, end: this.lastClosing };
  }

  // --- literals ---

  private number(tok: Token): number {
    const v = parseNumber(tok.val);
    if (v === undefined) {
      this.addErr(
        range(tok),
        `error parsing number: strconv.ParseFloat: parsing ${goQuote(tok.val)}: invalid syntax`,
      );
      return 0;
    }
    if (!Number.isFinite(v) && !Number.isNaN(v) && !/inf/i.test(tok.val)) {
      this.addErr(
        range(tok),
        `error parsing number: strconv.ParseFloat: parsing ${goQuote(tok.val)}: value out of range`,
      );
      return 0;
    }
    return v;
  }

  private duration(tok: Token): number {
    try {
      return parseDuration(tok.val);
    } catch (err) {
      // Prometheus reports a unit it does not know in Go's time.ParseDuration wording.
      const bad = /^(?:\d+([a-z]+))+$/i.test(tok.val)
        ? [...tok.val.matchAll(/\d+([a-z]+)/gi)].map((m) => m[1]).find((u) => !VALID_UNITS.has(u))
        : undefined;
      const msg =
        bad !== undefined
          ? `unknown unit ${goQuote(bad)} in duration ${goQuote(tok.val)}`
          : (err as Error).message;
      this.addErr(range(tok), msg);
      return 0;
    }
  }

  private unquote(tok: Token): string {
    const r = unquoteString(tok.val);
    if (typeof r !== 'string') {
      this.addErr(range(tok), `error unquoting string ${goQuote(tok.val)}: ${r.error}`);
      return '';
    }
    return r;
  }
}

function isDurationOperator(t: T): boolean {
  return durationPrec(t) !== 0;
}

function durationPrec(t: T): number {
  switch (t) {
    case T.ADD:
    case T.SUB:
      return 1;
    case T.MUL:
    case T.DIV:
    case T.MOD:
      return 2;
    case T.POW:
      return 3;
    default:
      return 0;
  }
}

function range(tok: Token): PositionRange {
  return { start: tok.pos, end: tok.pos + tok.val.length };
}

function fail(p: Parser): never {
  const first = p.errors[0];
  throw new PromQLParseError(first.pos, first.msg, p.input);
}

/** Parses a PromQL expression and type-checks it as Prometheus's ParseExpr does. */
export function parseExpr(input: string, opts?: ParseOptions): Expr {
  const p = new Parser(input, opts);
  let expr: Expr | undefined;
  try {
    expr = p.parseTop();
    if (p.errors.length === 0 && expr !== undefined) checkAST(expr, input, p.errors);
  } catch (err) {
    if (err instanceof RangeError) {
      // Recursion is bounded by the JS stack; Prometheus's yacc parser has no such limit.
      throw new PromQLParseError({ start: 0, end: input.length }, 'expression nesting too deep', input);
    }
    if (!(err instanceof Abort)) throw err;
  }
  if (p.errors.length > 0 || expr === undefined) fail(p);
  return expr;
}

/** Parses a series selector (`foo{a="b"}`, `{__name__=~"x.*"}`) into its matchers, as ParseMetricSelector. */
export function parseMetricSelector(input: string): Matcher[] {
  const p = new Parser(input, undefined);
  let vs: VectorSelector | undefined;
  try {
    vs = p.parseSelectorOnly();
  } catch (err) {
    if (!(err instanceof Abort)) throw err;
  }
  if (p.errors.length > 0 || vs === undefined) fail(p);
  return vs.matchers;
}
