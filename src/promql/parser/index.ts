// Public surface of the PromQL parser: parse, type-check, print.
export * from './ast.js';
export { PromQLParseError, type ParseOptions } from './errors.js';
export { MAX_BRACKET_NESTING, MAX_EXPR_DEPTH, parseExpr, parseMetricSelector } from './parser.js';
export { ParseCache, parsedQueries } from './cache.js';
export { formatExpr } from './printer.js';
export { typeOf } from './types.js';
export { FUNCTIONS, type FunctionDef } from './functions.js';
