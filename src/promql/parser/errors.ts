// Parse errors worded and positioned as Prometheus's ParseErr.Error().
import type { PositionRange } from './ast.js';

export interface ParseOptions {
  /** Experimental syntax: 'promql-duration-expr', 'promql-extended-range-selectors',
   * 'promql-binop-fill-modifiers', 'promql-experimental-functions'. */
  features?: ReadonlySet<string>;
}

export class PromQLParseError extends Error {
  readonly pos: PositionRange;
  readonly reason: string;

  constructor(pos: PositionRange, reason: string, input: string) {
    super(`${positionPrefix(input, pos.start)}parse error: ${reason}`);
    this.name = 'PromQLParseError';
    this.pos = pos;
    this.reason = reason;
  }
}

// As posrange.StartPosInput: 1-based line, and 1-based column counted in UTF-8 bytes (Go strings are bytes;
// AST positions stay UTF-16 offsets).
const encoder = new TextEncoder();

function positionPrefix(input: string, start: number): string {
  if (input === '') return 'unknown position: ';
  if (start < 0 || start > input.length) return 'invalid position: ';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < start; i++) {
    if (input.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const segment = input.slice(lineStart, start);
  // eslint-disable-next-line no-control-regex
  const col = /^[\x00-\x7f]*$/.test(segment) ? segment.length : encoder.encode(segment).length;
  return `${line}:${col + 1}: `;
}
