// Type checks after a successful parse, as Prometheus's parser.checkAST (same messages and positions).
import { goQuote } from '../../model/goquote.js';
import type { BinaryExpr, BinaryOp, Expr, PositionRange, ValueType } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { typeOf } from './types.js';

interface ErrSink {
  push(e: { pos: PositionRange; msg: string }): void;
}

/** Prometheus's DocumentedType. */
export function documentedType(t: ValueType | 'none'): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

const COMPARISON = new Set<BinaryOp>(['==', '!=', '<=', '<', '>=', '>']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);

export function checkAST(root: Expr, input: string, errs: ErrSink): void {
  const add = (pos: PositionRange, msg: string): void => errs.push({ pos, msg });

  const expectType = (e: Expr, want: ValueType, context: string): void => {
    const t = check(e);
    if (t !== want)
      add(e.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  };

  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

  /** Checks one binary node whose lhs type is known; returns the node's type. */
  function checkBinary(e: BinaryExpr, lt: ValueType): ValueType {
    const rt = check(e.rhs);
    const opRange = (): PositionRange => {
      let start = e.lhs.pos.end;
      while (isSpace(input[start])) start++;
      let end = e.rhs.pos.start - 1;
      while (isSpace(input[end])) end--;
      return { start, end };
    };
    if (e.returnBool && !COMPARISON.has(e.op))
      add(opRange(), 'bool modifier can only be used on comparison operators');
    if (COMPARISON.has(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      add(opRange(), 'comparisons between scalars must use BOOL modifier');
    }
    const m = e.matching;
    if (m !== undefined) {
      if (SET_OPS.has(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
      if (m.on) {
        for (const l1 of m.matchingLabels) {
          if (m.include.includes(l1))
            add(opRange(), `label ${goQuote(l1)} must not occur in ON and GROUP clause at once`);
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector')
      add(e.lhs.pos, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector')
      add(e.rhs.pos, 'binary expression must contain only scalar and instant vector types');
    if ((lt !== 'vector' || rt !== 'vector') && m !== undefined) {
      if (m.matchingLabels.length > 0) add(e.pos, 'vector matching only allowed between instant vectors');
      if (m.fill !== undefined) add(e.pos, 'filling in missing series only allowed between instant vectors');
      delete e.matching;
    } else if (SET_OPS.has(e.op) && m !== undefined) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one')
        add(e.pos, `no grouping allowed for ${goQuote(e.op)} operation`);
      if (m.card !== 'many-to-many') add(e.pos, 'set operations must always be many-to-many');
      if (m.fill !== undefined) add(e.pos, 'filling in missing series not allowed for set operators');
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(e.op)) {
      add(e.pos, `set operator ${goQuote(e.op)} not allowed in binary scalar expression`);
    }
    return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
  }

  function check(e: Expr): ValueType {
    const typ = typeOf(e);
    switch (e.type) {
      case 'AggregateExpr':
        expectType(e.expr, 'vector', 'aggregation expression');
        if (
          e.op === 'topk' ||
          e.op === 'bottomk' ||
          e.op === 'quantile' ||
          e.op === 'limitk' ||
          e.op === 'limit_ratio'
        ) {
          if (e.param !== undefined) expectType(e.param, 'scalar', 'aggregation parameter');
        }
        if (e.op === 'count_values' && e.param !== undefined)
          expectType(e.param, 'string', 'aggregation parameter');
        break;
      case 'BinaryExpr': {
        // Walk the left spine iteratively (bottom-up keeps Prometheus's error order: lhs, rhs, node).
        const spine: BinaryExpr[] = [e];
        while (spine[spine.length - 1].lhs.type === 'BinaryExpr')
          spine.push(spine[spine.length - 1].lhs as BinaryExpr);
        let lt = check(spine[spine.length - 1].lhs);
        for (let k = spine.length - 1; k >= 0; k--) {
          lt = checkBinary(spine[k], lt);
        }
        break;
      }
      case 'Call': {
        const fn = FUNCTIONS.get(e.func);
        if (fn === undefined) break;
        const nargs = fn.argTypes.length;
        if (fn.variadic === 0) {
          if (nargs !== e.args.length) {
            add(e.pos, `expected ${nargs} argument(s) in call to ${goQuote(fn.name)}, got ${e.args.length}`);
          }
        } else {
          const na = nargs - 1;
          if (na > e.args.length) {
            add(
              e.pos,
              `expected at least ${na} argument(s) in call to ${goQuote(fn.name)}, got ${e.args.length}`,
            );
          } else if (fn.variadic > 0 && na + fn.variadic < e.args.length) {
            add(
              e.pos,
              `expected at most ${na + fn.variadic} argument(s) in call to ${goQuote(fn.name)}, got ${e.args.length}`,
            );
          }
        }
        let infoBypass: Expr | undefined;
        if (fn.name === 'info' && e.args.length > 1) {
          const a1 = e.args[1];
          if (typeOf(a1) !== 'vector') {
            add(
              e.pos,
              `expected type instant vector in call to function ${goQuote(fn.name)}, got ${documentedType(typeOf(a1))}`,
            );
          }
          if (a1.type === 'VectorSelector' && a1.name !== undefined) {
            add(a1.pos, 'expected label selectors only, got vector selector instead');
          } else if (a1.type === 'VectorSelector') infoBypass = a1;
          else add(a1.pos, 'expected label selectors only');
        }
        for (let i = 0; i < e.args.length; i++) {
          let j = i;
          if (j >= nargs) {
            if (fn.variadic === 0) break;
            j = nargs - 1;
          }
          const arg = e.args[i];
          const t = arg === infoBypass ? typeOf(arg) : check(arg);
          if (t !== fn.argTypes[j]) {
            add(
              arg.pos,
              `expected type ${documentedType(fn.argTypes[j])} in call to function ${goQuote(fn.name)}, got ${documentedType(t)}`,
            );
          }
        }
        break;
      }
      case 'ParenExpr':
        check(e.expr);
        break;
      case 'UnaryExpr': {
        const t = check(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          add(
            e.pos,
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
          );
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = check(e.expr);
        if (t !== 'vector') add(e.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        check(e.vectorSelector);
        break;
      case 'VectorSelector': {
        if (e.name !== undefined) {
          for (const m of e.matchers.slice(0, -1)) {
            if (m.name === '__name__') {
              add(e.pos, `metric name must not be set twice: ${goQuote(e.name)} or ${goQuote(m.value)}`);
            }
          }
          break;
        }
        if (!e.matchers.some((m) => !m.matchesEmpty())) {
          add(e.pos, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      }
      default:
        break;
    }
    return typ;
  }

  check(root);
}
