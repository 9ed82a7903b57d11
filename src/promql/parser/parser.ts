// The PromQL grammar on Chevrotain, following Prometheus's generated_parser.y (precedence, and the
// "unexpected ... in <context>, expected ..." messages of its error rules) and parse.go (semantic checks,
// then checkAST). The AST is built by embedded actions; semantic errors are collected and the first one
// (in input order, as Prometheus reports) wins.
import {
  EmbeddedActionsParser,
  EOF,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import { Matcher } from '../../model/matcher.js';
import type { DurationExpr, Expr, VectorSelector } from './ast.js';
import { PromQLParseError, type ParseOptions } from './errors.js';
import {
  Aggregator,
  allTokens,
  Anchored,
  At,
  Bool,
  By,
  Colon,
  Comma,
  DurationLit,
  DurOp,
  End,
  Fill,
  FillLeft,
  FillRight,
  FunctionName,
  GroupLeft,
  GroupRight,
  Identifier,
  Ignoring,
  kindOf,
  LabelName,
  LBrace,
  LBracket,
  lex,
  LexError,
  type LexErrorPayload,
  LParen,
  MatchOp,
  Max,
  MetricName,
  Min,
  NumberLit,
  Offset,
  On,
  Range,
  RBrace,
  RBracket,
  RParen,
  SignOp,
  Smoothed,
  Start,
  Step,
  String as StringTok,
  Without,
  Kind,
  BinOp,
  BraceIdentifier,
} from './lexer.js';
import { describe } from './literals.js';
import { checkAST } from './check.js';
import { exprDepth } from './ast.js';
import { Semantics, type DurationValue, type Problem } from './semantics.js';

/** Thrown to unwind on a lexer error, which (as in yacc) ends parsing where the parser reaches it. */
/**
 * Limits that keep every recursive walk of an expression within the JavaScript stack; Prometheus (Go,
 * growable stacks) has none. An expression over a limit is a parse error that names it, never a
 * crashed walk. Measured on Node.js's default stack: the evaluator and JSON.stringify fail beyond
 * about 4,500 levels, the parser beyond about 250 nested function calls.
 */
export const MAX_EXPR_DEPTH = 2_000;
export const MAX_BRACKET_NESTING = 128;

/** Refuses input whose (), [] and {} nest deeper than MAX_BRACKET_NESTING, at the first bracket too deep. */
function checkBracketNesting(toks: readonly IToken[], input: string): void {
  let depth = 0;
  for (const t of toks) {
    const type = t.tokenType;
    if (type === LParen || type === LBracket || type === LBrace) {
      if (++depth > MAX_BRACKET_NESTING) {
        throw new PromQLParseError(
          { start: t.startOffset, end: t.startOffset + 1 },
          `expression nesting too deep: more than ${MAX_BRACKET_NESTING} nested parentheses, brackets or braces`,
          input,
        );
      }
    } else if (type === RParen || type === RBracket || type === RBrace) {
      depth--;
    }
  }
}

class Abort extends Error {}

// Error messages travel through Chevrotain as "<context>\u0001<expected>"; see syntaxProblem().
const ctx = (context: string, expected: string): string => `${context}\u0001${expected}`;
const NO_CONTEXT = ctx('', '');
const GROUPING_PAREN = ctx('grouping opts', '"("');
const GROUPING_LABEL = ctx('grouping opts', 'label');
const GROUPING_SEP = ctx('grouping opts', '"," or ")"');
const FILL_PAREN = ctx('fill modifier', '"("');
const FILL_NUMBER = ctx('fill modifier', 'number');
const FILL_CLOSE = ctx('fill modifier', '")"');
const MATCHER_START = ctx('label matching', 'identifier or "}"');
const MATCHER_OP = ctx('label matching', 'label matching operator');
const MATCHER_STRING = ctx('label matching', 'string');
const MATCHER_SEP = ctx('label matching', '"," or "}"');
const RANGE_START = ctx('subquery or range selector', 'number, duration, step(), or range()');
const RANGE_SEP = ctx('subquery or range', '":" or "]"');
const STEP_START = ctx('subquery selector', 'number or duration or "]"');
const STEP_CLOSE = ctx('subquery selector', '"]"');
const OFFSET_START = ctx('offset', 'number, duration, step(), or range()');
const AT_TIMESTAMP = ctx('@', 'timestamp');
const DURATION_START = ctx('duration expression', 'number or duration');
const DURATION_CLOSE = ctx('duration expression', '")"');

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: () => NO_CONTEXT,
  buildNotAllInputParsedMessage: () => NO_CONTEXT,
  buildNoViableAltMessage: (o) => o.customUserDescription ?? NO_CONTEXT,
  buildEarlyExitMessage: (o) => o.customUserDescription ?? NO_CONTEXT,
};

const POW_PREC = 6;
const BINARY_PRECEDENCE = new Map<string, number>([
  ['or', 1],
  ['and', 2],
  ['unless', 2],
  ['==', 3],
  ['!=', 3],
  ['<=', 3],
  ['<', 3],
  ['>=', 3],
  ['>', 3],
  ['</', 3],
  ['>/', 3],
  ['+', 4],
  ['-', 4],
  ['*', 5],
  ['/', 5],
  ['%', 5],
  ['atan2', 5],
  ['^', 6],
]);
const DURATION_PRECEDENCE = new Map<string, number>([
  ['+', 1],
  ['-', 1],
  ['*', 2],
  ['/', 2],
  ['%', 2],
  ['^', 3],
]);

const precedenceCache = new Map<TokenType, number>();
/** Binary precedence of a token type (0 when not a binary operator). */
function precedence(t: TokenType): number {
  let p = precedenceCache.get(t);
  if (p === undefined) {
    const op = typeof t.PATTERN === 'string' ? t.PATTERN : t.name.toLowerCase();
    p = kindOf(t) === Kind.OPERATOR ? (BINARY_PRECEDENCE.get(op) ?? 0) : 0;
    precedenceCache.set(t, p);
  }
  return p;
}

function durationPrecedence(tok: IToken): number {
  return kindOf(tok.tokenType) === Kind.OPERATOR ? (DURATION_PRECEDENCE.get(tok.image) ?? 0) : 0;
}

const isClosing = (t: TokenType): boolean => {
  const k = kindOf(t);
  return k === Kind.NUMBER || k === Kind.DURATION || t === RBrace || t === RParen || t === RBracket;
};

const NO_FEATURES: ReadonlySet<string> = new Set();

class PromQLParser extends EmbeddedActionsParser {
  private sem = new Semantics('', NO_FEATURES);
  private aggDepth = 0;
  /** Index of the LexError token, or -1. */
  private errIdx = -1;
  declare private readonly currIdx: number;
  declare private readonly tokVector: IToken[];

  constructor() {
    super(allTokens, { maxLookahead: 2, recoveryEnabled: false, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // --- lookahead: reaching the lexer error token reports it, as Prometheus's parser does ---

  protected override LA(howMuch: number): IToken {
    if (howMuch === 1 && this.currIdx + 1 === this.errIdx) this.lexFailure();
    return super.LA(howMuch);
  }

  protected override LA_FAST(howMuch: number): IToken {
    const i = this.currIdx + howMuch;
    if (i === this.errIdx && howMuch === 1) this.lexFailure();
    return this.tokVector[i];
  }

  private lexFailure(): never {
    const p = this.tokVector[this.errIdx].payload as LexErrorPayload;
    this.sem.addErr({ start: p.pos, end: this.sem.input.length }, p.msg);
    throw new Abort();
  }

  /** End of the last consumed closing token (`)`, `]`, `}`, number or duration), as parse.go's lastClosing. */
  private lastClosing(): number {
    for (let i = this.currIdx; i >= 0; i--) {
      const t = this.tokVector[i];
      if (isClosing(t.tokenType)) return t.startOffset + t.image.length;
    }
    return 0;
  }

  /** Prometheus's parser.unexpected() for the exception Chevrotain raised. */
  private syntaxProblem(token: IToken, encoded: string): Problem {
    if (token.tokenType === LexError) {
      const p = token.payload as LexErrorPayload;
      return { pos: { start: p.pos, end: this.sem.input.length }, msg: p.msg };
    }
    const eof = token.tokenType === EOF;
    const start = eof ? this.sem.input.length : token.startOffset;
    let [context, expected] = encoded.split('\u0001');
    if (expected === undefined) [context, expected] = ['', ''];
    let msg = `unexpected ${describe(eof ? Kind.EOF : kindOf(token.tokenType), token.image)}`;
    if (context === '' && this.aggDepth > 0) context = 'aggregation';
    if (context !== '') msg += ` in ${context}`;
    if (expected !== '') msg += `, expected ${expected}`;
    return { pos: { start, end: start + token.image.length }, msg };
  }

  /** Runs one entry rule over `input`; returns its result and the errors in the order found. */
  run<R>(
    input: string,
    features: ReadonlySet<string>,
    entry: 'expr' | 'selector',
  ): [R | undefined, Problem[]] {
    const sem = new Semantics(input, features);
    this.sem = sem;
    this.aggDepth = 0;
    const toks = lex(input);
    checkBracketNesting(toks, input);
    this.errIdx = toks.length > 0 && toks[toks.length - 1].tokenType === LexError ? toks.length - 1 : -1;
    this.input = toks;
    let result: R | undefined;
    try {
      result = (entry === 'expr' ? this.exprEntry() : this.selectorEntry()) as R | undefined;
      const syntax = this.errors;
      if (syntax.length > 0) {
        sem.problems.push(this.syntaxProblem(syntax[0].token, syntax[0].message));
        result = undefined;
      }
      if (entry === 'expr' && sem.problems.length === 0 && result !== undefined) {
        checkAST(result as Expr, input, sem.problems);
        // Every later walk (printer, prettifier, evaluator, JSON) recurses once per level.
        if (sem.problems.length === 0 && exprDepth(result as Expr) > MAX_EXPR_DEPTH) {
          sem.problems.push({
            pos: { start: 0, end: input.length },
            msg: `expression nesting too deep: more than ${MAX_EXPR_DEPTH} nested operations (a chain of n binary operators nests n deep)`,
          });
        }
      }
    } catch (err) {
      if (err instanceof RangeError) {
        // Recursion is bounded by the JS stack; Prometheus's yacc parser has no such limit.
        throw new PromQLParseError(
          { start: 0, end: input.length },
          'expression nesting too deep for the parser (e.g. too many unary signs in a row)',
          input,
        );
      }
      if (!(err instanceof Abort)) throw err;
      result = undefined;
    } finally {
      this.input = [];
    }
    return [result, sem.problems];
  }

  // --- entry points ---

  private readonly exprEntry = this.RULE('exprEntry', (): Expr | undefined =>
    this.OR([
      {
        ALT: () => {
          this.CONSUME(EOF);
          this.ACTION(() => this.sem.addErr({ start: 0, end: 0 }, 'no expression found in input'));
          return undefined;
        },
      },
      {
        ALT: () => {
          const e = this.SUBRULE(this.binaryExpr, { ARGS: [0] });
          this.CONSUME2(EOF);
          return e;
        },
      },
    ]),
  );

  private readonly selectorEntry = this.RULE('selectorEntry', (): VectorSelector => {
    const vs = this.OR([
      { ALT: () => this.SUBRULE(this.namedSelector) },
      { ALT: () => this.SUBRULE(this.bracedSelector) },
    ]);
    this.CONSUME(EOF);
    return vs;
  });

  // --- expressions ---

  /** Precedence climbing: operators binding at least as tight as minPrec; '^' is right-associative. */
  private readonly binaryExpr = this.RULE('binaryExpr', (minPrec: number = 0): Expr => {
    let lhs = this.SUBRULE(this.unaryExpr);
    this.MANY({
      GATE: () => {
        const p = precedence(this.LA(1).tokenType);
        return p > 0 && p >= minPrec;
      },
      DEF: () => {
        const op = this.CONSUME(BinOp);
        const mods = this.SUBRULE(this.binModifiers);
        const prec = this.ACTION(() => precedence(op.tokenType));
        const rhs = this.SUBRULE2(this.binaryExpr, { ARGS: [prec === POW_PREC ? prec : prec + 1] });
        this.ACTION(() => {
          lhs = this.sem.binary(op.image.toLowerCase(), lhs, rhs, mods.returnBool, mods.matching);
        });
      },
    });
    return lhs;
  });

  private readonly binModifiers = this.RULE('binModifiers', () => {
    const mods = this.ACTION(() => this.sem.newModifiers());
    this.OPTION(() => {
      this.CONSUME(Bool);
      this.ACTION(() => (mods.returnBool = true));
    });
    this.OPTION2(() => {
      const kw = this.OR([{ ALT: () => this.CONSUME(On) }, { ALT: () => this.CONSUME(Ignoring) }]);
      const labels = this.SUBRULE(this.groupingLabels);
      this.ACTION(() => {
        mods.matching.on = kw.tokenType === On;
        mods.matching.matchingLabels = labels;
      });
      this.OPTION3(() => {
        const side = this.OR2([
          { ALT: () => this.CONSUME(GroupLeft) },
          { ALT: () => this.CONSUME(GroupRight) },
        ]);
        this.ACTION(
          () => (mods.matching.card = side.tokenType === GroupLeft ? 'many-to-one' : 'one-to-many'),
        );
        this.OPTION4(() => {
          const include = this.SUBRULE2(this.groupingLabels);
          this.ACTION(() => (mods.matching.include = include));
        });
      });
    });
    // Experimental: fill(v) / fill_left(v) / fill_right(v) after the matching modifiers.
    this.MANY(() => {
      const kw = this.OR3([
        { ALT: () => this.CONSUME(Fill) },
        { ALT: () => this.CONSUME(FillLeft) },
        { ALT: () => this.CONSUME(FillRight) },
      ]);
      this.CONSUME(LParen, { ERR_MSG: FILL_PAREN });
      let sign: IToken | undefined;
      this.OPTION5(() => {
        sign = this.CONSUME(SignOp);
      });
      const num = this.CONSUME(NumberLit, { ERR_MSG: FILL_NUMBER });
      this.CONSUME(RParen, { ERR_MSG: FILL_CLOSE });
      this.ACTION(() => this.sem.fill(mods.matching, kw, sign, num));
    });
    return mods;
  });

  private readonly groupingLabels = this.RULE('groupingLabels', (): string[] => {
    const labels: string[] = [];
    this.CONSUME(LParen, { ERR_MSG: GROUPING_PAREN });
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(RParen) },
        {
          ALT: () => {
            labels.push(this.SUBRULE(this.groupingLabel));
            this.MANY(() => {
              this.CONSUME(Comma);
              this.OR2({
                DEF: [
                  { ALT: () => labels.push(this.SUBRULE2(this.groupingLabel)) },
                  { GATE: () => this.LA(1).tokenType === RParen, ALT: () => undefined },
                ],
                ERR_MSG: GROUPING_LABEL,
              });
            });
            this.CONSUME2(RParen, { ERR_MSG: GROUPING_SEP });
          },
        },
      ],
      ERR_MSG: GROUPING_LABEL,
    });
    return labels;
  });

  private readonly groupingLabel = this.RULE('groupingLabel', (): string =>
    this.OR({
      DEF: [
        {
          ALT: () => {
            const t = this.CONSUME(StringTok);
            return this.ACTION(() => this.sem.unquote(t));
          },
        },
        { ALT: () => this.CONSUME(LabelName).image },
      ],
      ERR_MSG: GROUPING_LABEL,
    }),
  );

  private readonly unaryExpr = this.RULE('unaryExpr', (): Expr =>
    this.OR([
      {
        // Unary minus binds like '*': only '^' (and postfix modifiers) bind tighter, so -2^2 is -(2^2).
        ALT: () => {
          const sign = this.CONSUME(SignOp);
          const operand = this.SUBRULE(this.binaryExpr, { ARGS: [POW_PREC] });
          return this.ACTION(() => this.sem.unary(sign, operand));
        },
      },
      {
        ALT: () => {
          let e = this.SUBRULE(this.primaryExpr);
          this.MANY(() =>
            this.OR2([
              { ALT: () => (e = this.SUBRULE(this.rangeOrSubquery, { ARGS: [e] })) },
              { ALT: () => this.SUBRULE(this.offsetModifier, { ARGS: [e] }) },
              { ALT: () => this.SUBRULE(this.atModifier, { ARGS: [e] }) },
              {
                ALT: () => {
                  const mod = this.OR3([
                    { ALT: () => this.CONSUME(Anchored) },
                    { ALT: () => this.CONSUME(Smoothed) },
                  ]);
                  this.ACTION(() =>
                    this.sem.rangeModifier(e, mod.tokenType === Anchored ? 'anchored' : 'smoothed'),
                  );
                },
              },
            ]),
          );
          return e;
        },
      },
    ]),
  );

  private readonly primaryExpr = this.RULE('primaryExpr', (): Expr =>
    this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(NumberLit);
          return this.ACTION(() => this.sem.numberLiteral(t));
        },
      },
      {
        ALT: () => {
          // Prometheus 3 accepts a duration where a number is expected: its value in seconds.
          const t = this.CONSUME(DurationLit);
          return this.ACTION(() => this.sem.durationLiteral(t));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME2(StringTok);
          return this.ACTION(() => this.sem.stringLiteral(t));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const inner = this.SUBRULE(this.binaryExpr, { ARGS: [0] });
          const close = this.CONSUME(RParen);
          return this.ACTION((): Expr => ({
            type: 'ParenExpr',
            expr: inner,
            pos: { start: open.startOffset, end: close.startOffset + 1 },
          }));
        },
      },
      { ALT: () => this.SUBRULE(this.bracedSelector) },
      // LL(2): an aggregator followed by `(`, `by` or `without`, a name followed by `(`, else a selector.
      { ALT: () => this.SUBRULE(this.aggregateExpr) },
      { ALT: () => this.SUBRULE(this.callExpr) },
      { ALT: () => this.SUBRULE(this.namedSelector) },
    ]),
  );

  private readonly callExpr = this.RULE('callExpr', (): Expr => {
    const ident = this.CONSUME(FunctionName);
    this.ACTION(() => this.sem.checkFunction(ident));
    const args = this.SUBRULE(this.callArgs);
    return this.ACTION((): Expr => ({
      type: 'Call',
      func: ident.image,
      args,
      pos: { start: ident.startOffset, end: this.lastClosing() },
    }));
  });

  private readonly callArgs = this.RULE('callArgs', (): Expr[] => {
    const args: Expr[] = [];
    this.CONSUME(LParen);
    this.OPTION(() => {
      args.push(this.SUBRULE(this.binaryExpr, { ARGS: [0] }));
      this.MANY(() => {
        const comma = this.CONSUME(Comma);
        this.OR([
          { ALT: () => args.push(this.SUBRULE2(this.binaryExpr, { ARGS: [0] })) },
          {
            GATE: () => this.LA(1).tokenType === RParen,
            ALT: () =>
              this.ACTION(() =>
                this.sem.addErr(this.sem.range(comma), 'trailing commas not allowed in function call args'),
              ),
          },
        ]);
      });
    });
    this.CONSUME(RParen);
    return args;
  });

  private readonly aggregateExpr = this.RULE('aggregateExpr', (): Expr => {
    const op = this.CONSUME(Aggregator);
    let grouping: string[] = [];
    let without = false;
    let modified = false;
    this.ACTION(() => this.aggDepth++);
    this.OPTION(() => {
      const kw = this.OR([{ ALT: () => this.CONSUME(By) }, { ALT: () => this.CONSUME(Without) }]);
      grouping = this.SUBRULE(this.groupingLabels);
      this.ACTION(() => {
        without = kw.tokenType === Without;
        modified = true;
      });
    });
    const args = this.SUBRULE(this.callArgs);
    this.ACTION(() => this.aggDepth--);
    this.OPTION2({
      GATE: () => !modified,
      DEF: () => {
        const kw = this.OR2([{ ALT: () => this.CONSUME2(By) }, { ALT: () => this.CONSUME2(Without) }]);
        this.ACTION(() => this.aggDepth++);
        grouping = this.SUBRULE2(this.groupingLabels);
        this.ACTION(() => {
          this.aggDepth--;
          without = kw.tokenType === Without;
        });
      },
    });
    return this.ACTION(() =>
      this.sem.aggregate(op, args, grouping, without, { start: op.startOffset, end: this.lastClosing() }),
    );
  });

  // --- selectors ---

  private readonly namedSelector = this.RULE('namedSelector', (): VectorSelector => {
    const name = this.CONSUME(MetricName);
    let open: IToken | undefined;
    let body: { matchers: Matcher[]; end: number } | undefined;
    this.OPTION(() => {
      open = this.CONSUME(LBrace);
      body = this.SUBRULE(this.labelMatchers);
    });
    return this.ACTION(() => this.sem.selector(name, open, body));
  });

  private readonly bracedSelector = this.RULE('bracedSelector', (): VectorSelector => {
    const open = this.CONSUME(LBrace);
    const body = this.SUBRULE(this.labelMatchers);
    return this.ACTION(() => this.sem.selector(undefined, open, body));
  });

  /** `label op "value", ...}` after `{`; returns the matchers and the end position (after `}`). */
  private readonly labelMatchers = this.RULE('labelMatchers', (): { matchers: Matcher[]; end: number } => {
    const matchers: Matcher[] = [];
    const close = this.OR({
      DEF: [
        { ALT: () => this.CONSUME(RBrace) },
        {
          ALT: () => {
            this.SUBRULE(this.labelMatcher, { ARGS: [matchers] });
            this.MANY(() => {
              this.CONSUME(Comma);
              this.OR2({
                DEF: [
                  { ALT: () => this.SUBRULE2(this.labelMatcher, { ARGS: [matchers] }) },
                  { GATE: () => this.LA(1).tokenType === RBrace, ALT: () => undefined },
                ],
                ERR_MSG: MATCHER_START,
              });
            });
            return this.CONSUME2(RBrace, { ERR_MSG: MATCHER_SEP });
          },
        },
      ],
      ERR_MSG: MATCHER_START,
    });
    return this.ACTION(() => ({ matchers, end: close.startOffset + 1 }));
  });

  private readonly labelMatcher = this.RULE('labelMatcher', (out: Matcher[] = []): void => {
    const name = this.OR({
      DEF: [{ ALT: () => this.CONSUME(BraceIdentifier) }, { ALT: () => this.CONSUME(StringTok) }],
      ERR_MSG: MATCHER_START,
    });
    this.OR2({
      DEF: [
        {
          ALT: () => {
            const op = this.CONSUME(MatchOp);
            const value = this.CONSUME2(StringTok, { ERR_MSG: MATCHER_STRING });
            this.ACTION(() => this.sem.matcher(out, name, op, value));
          },
        },
        {
          // {"metric.name"}: a quoted metric name.
          GATE: () => {
            const next = this.LA(1).tokenType;
            return name.tokenType === StringTok && (next === Comma || next === RBrace);
          },
          ALT: () => this.ACTION(() => this.sem.quotedName(out, name)),
        },
      ],
      ERR_MSG: MATCHER_OP,
    });
  });

  // --- postfix modifiers: [range], [range:step], offset, @ ---

  private readonly rangeOrSubquery = this.RULE('rangeOrSubquery', (e: Expr): Expr => {
    const open = this.CONSUME(LBracket);
    const first = this.ACTION(() => this.LA(1));
    const range = this.SUBRULE(this.durationValue, { ARGS: [RANGE_START] });
    this.ACTION(() => {
      if (range.expr === undefined && range.ms <= 0) {
        this.sem.addErr(
          { start: first.startOffset, end: this.lastClosing() },
          'duration must be greater than 0',
        );
      }
    });
    return this.OR({
      DEF: [
        {
          ALT: () => {
            const close = this.CONSUME(RBracket);
            return this.ACTION(() => this.sem.matrix(e, range, open, close));
          },
        },
        {
          ALT: () => {
            this.CONSUME(Colon);
            let step: DurationValue = { ms: 0 };
            const close = this.OR2({
              DEF: [
                { ALT: () => this.CONSUME2(RBracket) },
                {
                  ALT: () => {
                    const stepFirst = this.ACTION(() => this.LA(1));
                    step = this.SUBRULE2(this.durationValue, { ARGS: [STEP_START] });
                    this.ACTION(() => {
                      // a literal step is a positive_duration_expr too (x[5m:-1m], x[5m:0s])
                      if (step.expr === undefined && step.ms <= 0) {
                        this.sem.addErr(
                          { start: stepFirst.startOffset, end: this.lastClosing() },
                          'duration must be greater than 0',
                        );
                      }
                    });
                    return this.CONSUME3(RBracket, { ERR_MSG: STEP_CLOSE });
                  },
                },
              ],
              ERR_MSG: STEP_START,
            });
            return this.ACTION(() => this.sem.subquery(e, range, step, close));
          },
        },
      ],
      ERR_MSG: RANGE_SEP,
    });
  });

  private readonly offsetModifier = this.RULE('offsetModifier', (e: Expr): void => {
    this.CONSUME(Offset);
    // One signed primary; arithmetic after it applies to the selector (`x offset 1m * 2`).
    const d = this.OR({
      DEF: [
        {
          ALT: () => {
            const sign = this.CONSUME(SignOp);
            const inner = this.SUBRULE(this.durationUnary);
            return this.ACTION(() => this.sem.offsetDuration(sign, inner));
          },
        },
        {
          ALT: () => {
            const inner = this.SUBRULE(this.durationAtom, { ARGS: [OFFSET_START] });
            return this.ACTION(() => this.sem.offsetDuration(undefined, inner));
          },
        },
      ],
      ERR_MSG: OFFSET_START,
    });
    this.ACTION(() => this.sem.offset(e, d, this.lastClosing()));
  });

  private readonly atModifier = this.RULE('atModifier', (e: Expr): void => {
    this.CONSUME(At);
    this.OR({
      DEF: [
        {
          ALT: () => {
            const kw = this.OR2([{ ALT: () => this.CONSUME(Start) }, { ALT: () => this.CONSUME(End) }]);
            this.CONSUME(LParen, { ERR_MSG: AT_TIMESTAMP });
            this.CONSUME(RParen, { ERR_MSG: AT_TIMESTAMP });
            this.ACTION(() =>
              this.sem.at(e, { kind: kw.tokenType === Start ? 'start' : 'end' }, this.lastClosing()),
            );
          },
        },
        {
          ALT: () => {
            let sign: IToken | undefined;
            this.OPTION(() => {
              sign = this.CONSUME(SignOp);
            });
            const ts = this.OR3({
              DEF: [{ ALT: () => this.CONSUME(NumberLit) }, { ALT: () => this.CONSUME(DurationLit) }],
              ERR_MSG: AT_TIMESTAMP,
            });
            this.ACTION(() => this.sem.at(e, this.sem.timestamp(e, sign, ts), this.lastClosing()));
          },
        },
      ],
      ERR_MSG: AT_TIMESTAMP,
    });
  });

  // --- durations: a literal, or (promql-duration-expr) arithmetic with step(), range(), min(), max() ---

  /** A duration at the top of `[...]`: `err` is the message when it does not start like one. */
  private readonly durationValue = this.RULE('durationValue', (err?: string): DurationValue => {
    const expr = this.SUBRULE(this.durationExpr, { ARGS: [0, err] });
    return this.ACTION(() => this.sem.durationValue(expr));
  });

  // + - (1) < * / % (2) < ^ (3, right-associative).
  private readonly durationExpr = this.RULE(
    'durationExpr',
    (minPrec: number = 0, err?: string): DurationExpr => {
      let lhs = this.SUBRULE(this.durationUnary, { ARGS: [err] });
      this.MANY({
        GATE: () => {
          const p = durationPrecedence(this.LA(1));
          return p > 0 && p >= minPrec;
        },
        DEF: () => {
          const op = this.CONSUME(DurOp);
          const prec = this.ACTION(() => durationPrecedence(op));
          const rhs = this.SUBRULE2(this.durationExpr, { ARGS: [prec === 3 ? prec : prec + 1, undefined] });
          this.ACTION(() => (lhs = this.sem.durationBinary(op, lhs, rhs)));
        },
      });
      return lhs;
    },
  );

  private readonly durationUnary = this.RULE('durationUnary', (err?: string): DurationExpr =>
    this.OR({
      DEF: [
        {
          ALT: () => {
            const sign = this.CONSUME(SignOp);
            const inner = this.SUBRULE(this.durationExpr, { ARGS: [3, undefined] });
            return this.ACTION(() => this.sem.durationNeg(sign, inner));
          },
        },
        { ALT: () => this.SUBRULE(this.durationAtom, { ARGS: [err] }) },
      ],
      ERR_MSG: err ?? DURATION_START,
    }),
  );

  /** `err` set: the first token of a top-level duration, where min_of/max_of must be calls. */
  private readonly durationAtom = this.RULE('durationAtom', (err?: string): DurationExpr =>
    this.OR({
      DEF: [
        {
          ALT: () => {
            const t = this.CONSUME(NumberLit);
            return this.ACTION(() => this.sem.durationLit(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(DurationLit);
            return this.ACTION(() => this.sem.durationLit(t));
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(LParen);
            const inner = this.SUBRULE(this.durationExpr, { ARGS: [0, undefined] });
            const close = this.CONSUME(RParen, { ERR_MSG: DURATION_CLOSE });
            return this.ACTION(() => {
              inner.pos = { start: open.startOffset, end: close.startOffset + 1 };
              return inner;
            });
          },
        },
        {
          ALT: () => {
            const kw = this.OR2([{ ALT: () => this.CONSUME(Step) }, { ALT: () => this.CONSUME(Range) }]);
            const name = lowerImage(kw);
            this.CONSUME2(LParen, { ERR_MSG: ctx(`${name}()`, '"("') });
            const close = this.CONSUME2(RParen, { ERR_MSG: ctx(`${name}()`, '")"') });
            return this.ACTION(() => this.sem.durationCall(name as 'step' | 'range', kw, close));
          },
        },
        {
          ALT: () => {
            const kw = this.OR3([{ ALT: () => this.CONSUME(Min) }, { ALT: () => this.CONSUME(Max) }]);
            return this.SUBRULE(this.durationMinMax, { ARGS: [kw] });
          },
        },
        {
          GATE: () => {
            const name = this.LA(1).image.toLowerCase();
            return (
              (name === 'min_of' || name === 'max_of') &&
              (err === undefined || this.LA(2).tokenType === LParen)
            );
          },
          ALT: () => {
            const kw = this.CONSUME(Identifier);
            return this.SUBRULE2(this.durationMinMax, { ARGS: [kw] });
          },
        },
      ],
      ERR_MSG: err ?? DURATION_START,
    }),
  );

  private readonly durationMinMax = this.RULE('durationMinMax', (kw?: IToken): DurationExpr => {
    const name = lowerImage(kw);
    this.CONSUME(LParen, { ERR_MSG: ctx(`${name}()`, '"("') });
    const a = this.SUBRULE(this.durationExpr, { ARGS: [0, undefined] });
    this.CONSUME(Comma, { ERR_MSG: ctx(`${name}()`, '","') });
    const b = this.SUBRULE2(this.durationExpr, { ARGS: [0, undefined] });
    const close = this.CONSUME(RParen, { ERR_MSG: ctx(`${name}()`, '")"') });
    return this.ACTION(() =>
      this.sem.durationMinMax(name as 'min' | 'max' | 'min_of' | 'max_of', kw!, a, b, close),
    );
  });
}

/** A token's lower-cased text; tokens are placeholders while Chevrotain records the grammar. */
function lowerImage(tok: IToken | undefined): string {
  const image: unknown = tok?.image;
  return typeof image === 'string' ? image.toLowerCase() : '';
}

// Built once, on first use: performSelfAnalysis is costly (~40 ms), parsing with the built instance is
// not, and the server's ingest thread imports the parser without parsing anything before it is ready.
let built: PromQLParser | undefined;
const parserInstance = (): PromQLParser => (built ??= new PromQLParser());

function fail(problems: Problem[], input: string): never {
  const first = problems[0];
  throw new PromQLParseError(first.pos, first.msg, input);
}

/** Parses a PromQL expression and type-checks it as Prometheus's ParseExpr does. */
export function parseExpr(input: string, opts?: ParseOptions): Expr {
  const [expr, problems] = parserInstance().run<Expr>(input, opts?.features ?? NO_FEATURES, 'expr');
  if (problems.length > 0 || expr === undefined) fail(problems, input);
  return expr;
}

/** Parses a series selector (`foo{a="b"}`, `{__name__=~"x.*"}`) into its matchers, as ParseMetricSelector. */
export function parseMetricSelector(input: string): Matcher[] {
  const [vs, problems] = parserInstance().run<VectorSelector>(input, NO_FEATURES, 'selector');
  if (problems.length > 0 || vs === undefined) fail(problems, input);
  return vs.matchers;
}
