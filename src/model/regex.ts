// Regular expressions with RE2 semantics (linear time, no backtracking), fully anchored the way
// Prometheus anchors relabel and label-matcher regexes: ^(?s:expr)$.
import { RE2JS } from 're2js';

export class RegexError extends Error {}

export interface AnchoredRegex {
  /** The expression as the user wrote it, before anchoring. */
  readonly source: string;
  readonly re: RE2JS;
  /** True when the whole input matches. */
  matches(input: string): boolean;
}

/** Compiles `expr` anchored at both ends with `.` matching newlines; throws RegexError with RE2's message. */
export function compileAnchored(expr: string): AnchoredRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?s:${expr})$`);
  } catch (err) {
    throw new RegexError((err as Error).message);
  }
  return {
    source: expr,
    re,
    matches: (input: string) => re.matches(input),
  };
}
