// Parsed queries by their text, for the query API. A dashboard sends the same query text at every
// refresh (only its time range moves), and each query was parsed twice: by the thread that serves
// HTTP (a bad query is a 400 at once, and its selects are planned there) and by the query worker that
// evaluates it. Timed inside a running server, a parse took 35-160 µs on each thread for the
// benchmark's dashboard queries (bench/RESULTS.md, issue 19), a tenth of a small query's whole time
// in the server; a tight loop parsing one text says 2-12 µs, which is not what the server sees.
import type { Expr } from './ast.js';
import { parseExpr } from './parser.js';

/** Queries kept per thread, and the longest text kept (a longer one is parsed every time). */
const DEFAULT_ENTRIES = 512;
const MAX_TEXT = 8192;

/**
 * A least-recently-used map from query text (and the experimental features it was parsed with) to
 * its checked AST. One AST serves every query with that text: nothing changes an AST once parsed (the
 * engine keeps its per-query state in maps keyed by node, and a Matcher is immutable). A query that
 * fails to parse is not kept: it throws the parser's error, with its position, each time.
 */
export class ParseCache {
  private readonly entries = new Map<string, Expr>();

  constructor(private readonly max = DEFAULT_ENTRIES) {}

  parse(input: string, features: ReadonlySet<string>): Expr {
    if (input.length > MAX_TEXT) return parseExpr(input, { features });
    const key = features.size === 0 ? input : `${[...features].sort().join(',')}\n${input}`;
    let expr = this.entries.get(key);
    if (expr !== undefined) {
      // most recently used last (a Map keeps insertion order)
      this.entries.delete(key);
    } else {
      expr = parseExpr(input, { features });
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, expr);
    return expr;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** This thread's parsed queries: the HTTP thread's, and each query worker's own. */
export const parsedQueries = new ParseCache();
