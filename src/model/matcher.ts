// Label matchers with Prometheus semantics: `=`, `!=`, `=~`, `!~`; regexes are RE2, fully anchored.
// A missing label matches as the empty string, so {a=""} selects series without `a`.
import { compileAnchored, type AnchoredRegex } from './regex.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

export class Matcher {
  private readonly re: AnchoredRegex | undefined;

  /** Throws RegexError for a bad regex. */
  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.re = type === '=~' || type === '!~' ? compileAnchored(value) : undefined;
  }

  /** Whether a label value (the empty string for a missing label) satisfies the matcher. */
  matches(v: string): boolean {
    switch (this.type) {
      case '=':
        return v === this.value;
      case '!=':
        return v !== this.value;
      case '=~':
        return this.re!.matches(v);
      case '!~':
        return !this.re!.matches(v);
    }
  }

  /** True when the matcher also matches the empty string (so it selects series without the label). */
  matchesEmpty(): boolean {
    return this.matches('');
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}
