// /api/v1/parse_query's tree: Prometheus 3's web/api/v1/translate_ast.go shape, which the UI's tree view
// reads. Keys are in the order Go's map encoding writes them (sorted).
import type { Matcher } from '../../../model/matcher.js';
import { FUNCTIONS, type AtModifier, type Expr } from '../../../promql/parser/index.js';
import { formatNumber } from '../../../promql/parser/printer.js';

export type AstJSON = null | { [key: string]: unknown };

export function translateAST(e: Expr | undefined): AstJSON {
  if (e === undefined) return null;
  switch (e.type) {
    case 'AggregateExpr':
      return {
        expr: translateAST(e.expr),
        grouping: [...e.grouping],
        op: e.op,
        param: translateAST(e.param),
        type: 'aggregation',
        without: e.without,
      };
    case 'BinaryExpr': {
      const m = e.matching;
      return {
        bool: e.returnBool,
        lhs: translateAST(e.lhs),
        matching:
          m === undefined
            ? null
            : { card: m.card, include: [...m.include], labels: [...m.matchingLabels], on: m.on },
        op: e.op,
        rhs: translateAST(e.rhs),
        type: 'binaryExpr',
      };
    }
    case 'Call': {
      const f = FUNCTIONS.get(e.func);
      return {
        args: e.args.map(translateAST),
        func: {
          argTypes: f === undefined ? [] : [...f.argTypes],
          name: e.func,
          returnType: f?.returnType ?? 'vector',
          variadic: f?.variadic ?? 0,
        },
        type: 'call',
      };
    }
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return {
        matchers: matchersJSON(vs.matchers),
        name: vs.name ?? '',
        offset: vs.offset,
        range: e.range,
        startOrEnd: startOrEnd(vs.at),
        timestamp: timestamp(vs.at),
        type: 'matrixSelector',
      };
    }
    case 'SubqueryExpr':
      return {
        expr: translateAST(e.expr),
        offset: e.offset,
        range: e.range,
        startOrEnd: startOrEnd(e.at),
        step: e.step,
        timestamp: timestamp(e.at),
        type: 'subquery',
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatNumber(e.value) };
    case 'ParenExpr':
      return { expr: translateAST(e.expr), type: 'parenExpr' };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.value };
    case 'UnaryExpr':
      return { expr: translateAST(e.expr), op: e.op, type: 'unaryExpr' };
    case 'VectorSelector':
      return {
        matchers: matchersJSON(e.matchers),
        name: e.name ?? '',
        offset: e.offset,
        startOrEnd: startOrEnd(e.at),
        timestamp: timestamp(e.at),
        type: 'vectorSelector',
      };
    case 'DurationExpr':
      // translate_ast.go has no case for duration expressions (they only occur inside selectors' ranges,
      // offsets and steps, which it reports as numbers); never reached from a parsed query's tree.
      return null;
  }
}

function matchersJSON(ms: readonly Matcher[]): { name: string; type: string; value: string }[] {
  return ms.map((m) => ({ name: m.name, type: m.type, value: m.value }));
}

function timestamp(at: AtModifier | undefined): number | null {
  return at?.kind === 'time' ? at.ms : null;
}

function startOrEnd(at: AtModifier | undefined): 'start' | 'end' | null {
  return at === undefined || at.kind === 'time' ? null : at.kind;
}
