// The PromQL prettifier of Prometheus's promql/parser/prettier.go (Expr.Pretty(0)), used by
// /api/v1/format_query: a node whose canonical text is longer than the line limit (100 UTF-8 bytes) is
// split, its children one level (two spaces) deeper; shorter nodes print as formatExpr does.
import type { AggregateExpr, BinaryExpr, Expr, NumberLiteral, SubqueryExpr } from './ast.js';
import { formatExpr } from './printer.js';

export interface PrettyOptions {
  /** Longest line (in UTF-8 bytes) a node may print on before it is split; Prometheus uses 100. */
  maxWidth?: number;
}

const PARAM_AGGS = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);
const ZERO: NumberLiteral = { type: 'NumberLiteral', value: 0, pos: { start: 0, end: 0 } };

/** Prometheus's parser.Prettify. */
export function prettyExpr(e: Expr, opts: PrettyOptions = {}): string {
  return pretty(e, 0, opts.maxWidth ?? 100);
}

function indent(level: number): string {
  return '  '.repeat(level);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function pretty(e: Expr, level: number, max: number): string {
  const text = formatExpr(e);
  const split = utf8Length(text) > max;
  switch (e.type) {
    case 'AggregateExpr': {
      if (!split) return indent(level) + text;
      let s = indent(level) + aggregateHead(e) + '(\n';
      if (PARAM_AGGS.has(e.op) && e.param !== undefined) s += pretty(e.param, level + 1, max) + ',\n';
      return s + pretty(e.expr, level + 1, max) + '\n' + indent(level) + ')';
    }
    case 'BinaryExpr': {
      if (!split) return indent(level) + text;
      // As prettier.go: the operator line carries this level's indent; the operands one level more.
      return (
        pretty(e.lhs, level + 1, max) +
        '\n' +
        indent(level) +
        operatorText(e) +
        '\n' +
        pretty(e.rhs, level + 1, max)
      );
    }
    case 'Call': {
      if (!split) return indent(level) + text;
      const args = e.args.map((a) => pretty(a, level + 1, max)).join(',\n');
      return `${indent(level)}${e.func}(\n${args}\n${indent(level)})`;
    }
    case 'ParenExpr':
      if (!split) return indent(level) + text;
      return `${indent(level)}(\n${pretty(e.expr, level + 1, max)}\n${indent(level)})`;
    case 'SubqueryExpr':
      // As prettier.go, an unsplit subquery carries no indent of its own.
      if (!split) return text;
      return pretty(e.expr, level, max) + subquerySuffix(e);
    case 'UnaryExpr':
      return indent(level) + e.op + pretty(e.expr, level, max).trim();
    default:
      return indent(level) + text;
  }
}

/** AggregateExpr.ShortString(): the operator and its grouping, e.g. `sum by (job) `. */
function aggregateHead(e: AggregateExpr): string {
  const s = formatExpr({ ...e, param: undefined, expr: ZERO });
  return s.slice(0, s.length - '(0)'.length);
}

/** The operator with `bool` and the vector matching clause, e.g. `+ ignoring (job) group_left ()`. */
function operatorText(e: BinaryExpr): string {
  const s = formatExpr({ ...e, lhs: ZERO, rhs: ZERO });
  return s.slice('0 '.length, s.length - ' 0'.length);
}

/** The subquery's `[range:step]`, `@` and offset after its expression. */
function subquerySuffix(e: SubqueryExpr): string {
  return formatExpr(e).slice(formatExpr(e.expr).length);
}
