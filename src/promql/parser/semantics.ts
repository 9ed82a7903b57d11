// The grammar's embedded actions: AST construction and the semantic checks of Prometheus's parse.go and
// generated_parser.y actions, with their messages and positions. Errors are collected, not thrown.
import type { IToken } from 'chevrotain';
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
import { FUNCTIONS } from './functions.js';
import { Kind, kindOf } from './lexer.js';
import { goFloatF, parseNumber } from './literals.js';
import { unquoteString } from './strings.js';

// Go's time.Duration (int64 ns) and int64 limits, as the bounds Prometheus checks against.
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;
const INT64_LIMIT = 2 ** 63;
const VALID_UNITS = new Set(['y', 'w', 'd', 'h', 'm', 's', 'ms']);
const PARAM_AGGREGATORS = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);

export interface Problem {
  pos: PositionRange;
  msg: string;
}

/** A range, step or offset: milliseconds, or a duration expression (promql-duration-expr). */
export interface DurationValue {
  ms: number;
  expr?: Expr;
}

export interface BinModifiers {
  returnBool: boolean;
  matching: VectorMatching;
}

export class Semantics {
  readonly problems: Problem[] = [];

  constructor(
    readonly input: string,
    private readonly features: ReadonlySet<string>,
  ) {}

  has(feature: string): boolean {
    return this.features.has(feature);
  }

  addErr(pos: PositionRange, msg: string): void {
    this.problems.push({ pos, msg });
  }

  range(tok: IToken): PositionRange {
    return { start: tok.startOffset, end: tok.startOffset + tok.image.length };
  }

  // --- operators ---

  newModifiers(): BinModifiers {
    return {
      returnBool: false,
      matching: { card: 'one-to-one', matchingLabels: [], on: false, include: [] },
    };
  }

  binary(op: string, lhs: Expr, rhs: Expr, returnBool: boolean, matching: VectorMatching): BinaryExpr {
    const e: BinaryExpr = {
      type: 'BinaryExpr',
      op: op as BinaryOp,
      lhs,
      rhs,
      returnBool,
      matching,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
    if (matching.fill !== undefined && !this.has('promql-binop-fill-modifiers')) {
      this.addErr(e.pos, 'binop fill modifiers are experimental and not enabled');
    }
    return e;
  }

  fill(matching: VectorMatching, kw: IToken, sign: IToken | undefined, num: IToken): void {
    const name = kw.image.toLowerCase();
    const v = (sign?.image === '-' ? -1 : 1) * this.number(num);
    matching.fill ??= {};
    if (name !== 'fill_right') matching.fill.lhs = v;
    if (name !== 'fill_left') matching.fill.rhs = v;
  }

  unary(sign: IToken, operand: Expr): Expr {
    const neg = sign.image === '-';
    if (operand.type === 'NumberLiteral') {
      if (neg) operand.value = -operand.value;
      operand.pos = { start: sign.startOffset, end: operand.pos.end };
      return operand;
    }
    return {
      type: 'UnaryExpr',
      op: neg ? '-' : '+',
      expr: operand,
      pos: { start: sign.startOffset, end: operand.pos.end },
    };
  }

  // --- literals ---

  numberLiteral(tok: IToken): Expr {
    return { type: 'NumberLiteral', value: this.number(tok), pos: this.range(tok) };
  }

  durationLiteral(tok: IToken): Expr {
    return { type: 'NumberLiteral', value: this.duration(tok) / 1000, duration: true, pos: this.range(tok) };
  }

  stringLiteral(tok: IToken): Expr {
    return { type: 'StringLiteral', value: this.unquote(tok), pos: this.range(tok) };
  }

  number(tok: IToken): number {
    const v = parseNumber(tok.image);
    if (v === undefined) {
      this.addErr(
        this.range(tok),
        `error parsing number: strconv.ParseFloat: parsing ${goQuote(tok.image)}: invalid syntax`,
      );
      return 0;
    }
    if (!Number.isFinite(v) && !Number.isNaN(v) && !/inf/i.test(tok.image)) {
      this.addErr(
        this.range(tok),
        `error parsing number: strconv.ParseFloat: parsing ${goQuote(tok.image)}: value out of range`,
      );
      return 0;
    }
    return v;
  }

  duration(tok: IToken): number {
    try {
      return parseDuration(tok.image);
    } catch (err) {
      // Prometheus reports a unit it does not know in Go's time.ParseDuration wording.
      const val = tok.image;
      const bad = /^(?:\d+([a-z]+))+$/i.test(val)
        ? [...val.matchAll(/\d+([a-z]+)/gi)].map((m) => m[1]).find((u) => !VALID_UNITS.has(u))
        : undefined;
      const msg =
        bad !== undefined
          ? `unknown unit ${goQuote(bad)} in duration ${goQuote(val)}`
          : (err as Error).message;
      this.addErr(this.range(tok), msg);
      return 0;
    }
  }

  unquote(tok: IToken): string {
    const r = unquoteString(tok.image);
    if (typeof r !== 'string') {
      this.addErr(this.range(tok), `error unquoting string ${goQuote(tok.image)}: ${r.error}`);
      return '';
    }
    return r;
  }

  // --- calls and aggregations ---

  checkFunction(ident: IToken): void {
    const name = ident.image;
    const fn = FUNCTIONS.get(name);
    if (fn === undefined) this.addErr(this.range(ident), `unknown function with name ${goQuote(name)}`);
    else if (fn.experimental && !this.has('promql-experimental-functions')) {
      this.addErr(this.range(ident), `function ${goQuote(name)} is not enabled`);
    }
  }

  aggregate(opTok: IToken, args: Expr[], grouping: string[], without: boolean, pos: PositionRange): Expr {
    const op = opTok.image.toLowerCase() as AggregateOp;
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
    if (PARAM_AGGREGATORS.has(op)) {
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

  // --- selectors ---

  selector(
    nameTok: IToken | undefined,
    open: IToken | undefined,
    body: { matchers: Matcher[]; end: number } | undefined,
  ): VectorSelector {
    const matchers = body?.matchers ?? [];
    const start = nameTok?.startOffset ?? open?.startOffset ?? 0;
    const end = body?.end ?? (nameTok !== undefined ? nameTok.startOffset + nameTok.image.length : start);
    if (nameTok !== undefined) matchers.push(new Matcher('=', '__name__', nameTok.image));
    return { type: 'VectorSelector', name: nameTok?.image, matchers, offset: 0, pos: { start, end } };
  }

  matcher(out: Matcher[], nameTok: IToken, opTok: IToken, valTok: IToken): void {
    const name = kindOf(nameTok.tokenType) === Kind.STRING ? this.unquote(nameTok) : nameTok.image;
    const value = this.unquote(valTok);
    try {
      out.push(new Matcher(opTok.image as MatchType, name, value));
    } catch (err) {
      // Our regex engine anchors before compiling; report the pattern as written, like Prometheus.
      const msg = (err as Error).message.replace(/`\^\(\?s:([\s\S]*)\)\$`/, '`$1`');
      this.addErr({ start: nameTok.startOffset, end: valTok.startOffset + valTok.image.length }, msg);
    }
  }

  quotedName(out: Matcher[], nameTok: IToken): void {
    out.push(new Matcher('=', '__name__', this.unquote(nameTok)));
  }

  // --- postfix modifiers ---

  rangeModifier(e: Expr, mod: 'anchored' | 'smoothed'): void {
    if (!this.has('promql-extended-range-selectors')) {
      this.addErr(e.pos, `${mod} modifier is experimental and not enabled`);
      return;
    }
    if (e.type === 'MatrixSelector' || e.type === 'VectorSelector') {
      if (e.rangeModifier !== undefined && e.rangeModifier !== mod) {
        this.addErr(e.pos, 'anchored and smoothed modifiers cannot be used together');
      }
      e.rangeModifier = mod;
    } else if (e.type === 'SubqueryExpr')
      this.addErr(e.pos, `${mod} modifier is not supported for subqueries`);
    else this.addErr(e.pos, `${mod} modifier not implemented`);
  }

  matrix(e: Expr, range: DurationValue, open: IToken, close: IToken): Expr {
    let errMsg = '';
    if (e.type !== 'VectorSelector') errMsg = 'ranges only allowed for vector selectors';
    else if (e.offset !== 0 || e.offsetExpr !== undefined)
      errMsg = 'no offset modifiers allowed before range';
    else if (e.at !== undefined) errMsg = 'no @ modifiers allowed before range';
    if (errMsg !== '') this.addErr({ start: open.startOffset, end: close.startOffset + 1 }, errMsg);
    const vs: VectorSelector =
      e.type === 'VectorSelector'
        ? e
        : { type: 'VectorSelector', name: undefined, matchers: [], offset: 0, pos: e.pos };
    return {
      type: 'MatrixSelector',
      vectorSelector: vs,
      range: range.ms,
      ...(range.expr !== undefined ? { rangeExpr: range.expr } : {}),
      pos: { start: e.pos.start, end: close.startOffset + 1 },
    };
  }

  subquery(e: Expr, range: DurationValue, step: DurationValue, close: IToken): Expr {
    return {
      type: 'SubqueryExpr',
      expr: e,
      range: range.ms,
      ...(range.expr !== undefined ? { rangeExpr: range.expr } : {}),
      step: step.ms,
      ...(step.expr !== undefined ? { stepExpr: step.expr } : {}),
      offset: 0,
      pos: { start: e.pos.start, end: close.startOffset + 1 },
    };
  }

  offset(e: Expr, d: DurationValue, lastClosing: number): void {
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
    e.pos = { start: e.pos.start, end: lastClosing };
  }

  timestamp(e: Expr, sign: IToken | undefined, tok: IToken): AtModifier {
    const v = kindOf(tok.tokenType) === Kind.DURATION ? this.duration(tok) / 1000 : this.number(tok);
    const ts = (sign?.image === '-' ? -1 : 1) * v;
    if (!Number.isFinite(ts) || Math.abs(ts) >= INT64_LIMIT) {
      this.addErr(e.pos, `timestamp out of bounds for @ modifier: ${goFloatF(ts)}`);
    }
    return { kind: 'time', ms: Math.round(ts * 1000) };
  }

  at(e: Expr, at: AtModifier, lastClosing: number): void {
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
    e.pos = { start: e.pos.start, end: lastClosing };
  }

  // --- durations ---

  literalMs(tok: IToken): number {
    if (kindOf(tok.tokenType) === Kind.DURATION) return this.duration(tok);
    const secs = this.number(tok);
    if (!Number.isFinite(secs) || Math.abs(secs) > MAX_DURATION_SECONDS) {
      this.addErr(this.range(tok), 'duration out of range');
      return 0;
    }
    return Math.round(secs * 1000);
  }

  durationLit(tok: IToken): DurationExpr {
    return { type: 'DurationExpr', op: 'literal', value: this.literalMs(tok), pos: this.range(tok) };
  }

  durationBinary(op: IToken, lhs: DurationExpr, rhs: DurationExpr): DurationExpr {
    return {
      type: 'DurationExpr',
      op: op.image as DurationExpr['op'],
      lhs,
      rhs,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
  }

  durationNeg(sign: IToken, inner: DurationExpr): DurationExpr {
    if (sign.image === '+') return inner;
    return {
      type: 'DurationExpr',
      op: 'neg',
      lhs: inner,
      pos: { start: sign.startOffset, end: inner.pos.end },
    };
  }

  durationCall(op: 'step' | 'range', kw: IToken, close: IToken): DurationExpr {
    return { type: 'DurationExpr', op, pos: { start: kw.startOffset, end: close.startOffset + 1 } };
  }

  durationMinMax(
    op: 'min' | 'max' | 'min_of' | 'max_of',
    kw: IToken,
    a: DurationExpr,
    b: DurationExpr,
    close: IToken,
  ): DurationExpr {
    return {
      type: 'DurationExpr',
      op,
      lhs: a,
      rhs: b,
      pos: { start: kw.startOffset, end: close.startOffset + 1 },
    };
  }

  /** A range or step: a signed literal folds to a plain value, as Prometheus does for `-1`. */
  durationValue(expr: DurationExpr): DurationValue {
    if (expr.op === 'literal') return { ms: expr.value ?? 0 };
    if (expr.op === 'neg' && expr.lhs?.type === 'DurationExpr' && expr.lhs.op === 'literal') {
      return { ms: -(expr.lhs.value ?? 0) };
    }
    if (!this.has('promql-duration-expr'))
      this.addErr(expr.pos, 'experimental duration expression is not enabled');
    return { ms: 0, expr };
  }

  /** An offset's duration: one optionally signed primary. */
  offsetDuration(sign: IToken | undefined, inner: DurationExpr): DurationValue {
    const neg = sign?.image === '-';
    if (inner.op === 'literal') return { ms: neg ? -(inner.value ?? 0) : (inner.value ?? 0) };
    const expr: DurationExpr = neg
      ? { type: 'DurationExpr', op: 'neg', lhs: inner, pos: { start: sign!.startOffset, end: inner.pos.end } }
      : inner;
    if (!this.has('promql-duration-expr'))
      this.addErr(expr.pos, 'experimental duration expression is not enabled');
    return { ms: 0, expr };
  }
}
