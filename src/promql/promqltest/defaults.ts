// The runner wired to Promethium's own parser and engine, configured as Prometheus's test engine
// (NewTestEngine): lookback 5m, evaluation interval 1m, every experimental feature on.
import { Engine } from '../engine/index.js';
import { formatExpr, parseExpr, type Expr } from '../parser/index.js';
import type { AstNode, RunDeps } from './runner.js';

export const TEST_FEATURES: ReadonlySet<string> = new Set([
  'promql-experimental-functions',
  'promql-duration-expr',
  'promql-extended-range-selectors',
  'promql-binop-fill-modifiers',
  'promql-delayed-name-removal',
  'use-start-timestamps',
]);

export function defaultDeps(): RunDeps {
  const engine = new Engine({
    lookbackDelta: 5 * 60_000,
    timeout: 100_000,
    maxSamples: 50_000_000,
    features: TEST_FEATURES,
    defaultEvaluationInterval: 60_000,
  });
  // The engine takes a parsed expression; a parse error surfaces as the query's error, as in Prometheus.
  const parse = (input: string): Expr => parseExpr(input, { features: TEST_FEATURES });
  return {
    engine: {
      instantQuery: (q, expr, t) => engine.instantQuery(q, parse(expr), t),
      rangeQuery: (q, expr, start, end, step) => engine.rangeQuery(q, parse(expr), start, end, step),
    },
    parser: {
      parseExpr: (input) => parse(input) as unknown as AstNode,
      formatExpr: (node) => formatExpr(node as unknown as Expr),
    },
  };
}
