// The PromQL AST (Prometheus's promql/parser/ast.go in TypeScript): a discriminated union on `type`.
// Times and durations are milliseconds. Positions are 0-based character offsets into the query.
import type { Matcher } from '../../model/matcher.js';

export interface PositionRange {
  start: number;
  end: number;
}

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | '</'
  | '>/'
  | 'and'
  | 'or'
  | 'unless';

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** `@` modifier: a fixed time, or the query's start() or end(). */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  /** Written as a duration (`5m`, value in seconds); only affects printing, as Prometheus's Duration flag. */
  duration?: boolean;
  pos: PositionRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PositionRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name when written as `name{...}` (also present as a `__name__` matcher). */
  name: string | undefined;
  matchers: Matcher[];
  /** offset in ms (negative allowed); for experimental duration expressions, `offsetExpr` instead. */
  offset: number;
  offsetExpr?: Expr;
  at?: AtModifier;
  /** Experimental (promql-extended-range-selectors): `metric smoothed` interpolates at the evaluation time. */
  rangeModifier?: 'anchored' | 'smoothed';
  pos: PositionRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** Range in ms; for experimental duration expressions, `rangeExpr` instead. */
  range: number;
  rangeExpr?: Expr;
  /** Experimental extended range selectors (promql-extended-range-selectors): `anchored`, `smoothed`. */
  rangeModifier?: 'anchored' | 'smoothed';
  pos: PositionRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  range: number;
  rangeExpr?: Expr;
  /** Step in ms; 0 means the default (the global evaluation interval). */
  step: number;
  stepExpr?: Expr;
  offset: number;
  offsetExpr?: Expr;
  at?: AtModifier;
  pos: PositionRange;
}

export interface Call {
  type: 'Call';
  func: string;
  args: Expr[];
  pos: PositionRange;
}

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** Parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio. */
  param?: Expr;
  grouping: string[];
  without: boolean;
  pos: PositionRange;
}

export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** Labels in on(...) or ignoring(...). */
  matchingLabels: string[];
  /** true for on(...), false for ignoring(...) (or neither). */
  on: boolean;
  /** Labels in group_left(...) / group_right(...). */
  include: string[];
  /** Experimental fill modifiers (promql-binop-fill-modifiers), kept as written. */
  fill?: { lhs?: number; rhs?: number };
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** `bool` modifier on comparisons. */
  returnBool: boolean;
  /** Present when both sides are vectors. */
  matching?: VectorMatching;
  pos: PositionRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  pos: PositionRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PositionRange;
}

/** Experimental duration arithmetic (promql-duration-expr) where a duration is expected. */
export interface DurationExpr {
  type: 'DurationExpr';
  op:
    | '+'
    | '-'
    | '*'
    | '/'
    | '%'
    | '^'
    | 'step'
    | 'range'
    | 'min'
    | 'max'
    | 'min_of'
    | 'max_of'
    | 'neg'
    | 'literal';
  lhs?: Expr;
  rhs?: Expr;
  /** For 'literal': ms. */
  value?: number;
  pos: PositionRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | DurationExpr;

/** The direct sub-expressions of a node (duration arithmetic aside). */
export function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
      return [e.expr];
    case 'MatrixSelector':
      return [e.vectorSelector];
    case 'BinaryExpr':
      return [e.lhs, e.rhs];
    case 'AggregateExpr':
      return e.param !== undefined ? [e.expr, e.param] : [e.expr];
    case 'Call':
      return e.args;
    default:
      return [];
  }
}

/** How many nodes the longest path from the root to a leaf has; measured without recursion. */
export function exprDepth(root: Expr): number {
  let max = 0;
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    for (const c of children(e)) stack.push([c, d + 1]);
  }
  return max;
}
