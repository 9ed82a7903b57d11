// The value type of an expression, as Prometheus's Expr.Type().
import type { Expr, ValueType } from './ast.js';
import { FUNCTIONS } from './functions.js';

export function typeOf(expr: Expr): ValueType {
  // Iterative along left-nested binary chains (`a + b + c + ...`), which can be thousands deep.
  let cur = expr;
  let inBinary = false;
  for (;;) {
    let t: ValueType;
    switch (cur.type) {
      case 'BinaryExpr':
        if (typeOf(cur.rhs) !== 'scalar') return 'vector';
        inBinary = true;
        cur = cur.lhs;
        continue;
      case 'UnaryExpr':
      case 'ParenExpr':
        cur = cur.expr;
        continue;
      case 'NumberLiteral':
      case 'DurationExpr':
        t = 'scalar';
        break;
      case 'StringLiteral':
        t = 'string';
        break;
      case 'VectorSelector':
      case 'AggregateExpr':
        t = 'vector';
        break;
      case 'MatrixSelector':
      case 'SubqueryExpr':
        t = 'matrix';
        break;
      case 'Call':
        t = FUNCTIONS.get(cur.func)?.returnType ?? 'vector';
        break;
    }
    if (!inBinary) return t;
    return t === 'scalar' ? 'scalar' : 'vector';
  }
}
