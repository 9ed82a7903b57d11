import { describe, expect, it } from 'vitest';
import { compileAnchored, RegexError } from '../../src/model/regex.js';

describe('anchored RE2 regexes', () => {
  it('matches the whole input only, with . matching newlines', () => {
    const re = compileAnchored('foo.*');
    expect(re.matches('foobar')).toBe(true);
    expect(re.matches('xfoobar')).toBe(false);
    expect(compileAnchored('a|b').matches('ab')).toBe(false);
    expect(compileAnchored('a.b').matches('a\nb')).toBe(true);
  });

  it('rejects invalid and non-RE2 syntax', () => {
    expect(() => compileAnchored('a(')).toThrowError(RegexError);
    // backreferences and lookaheads are not RE2
    expect(() => compileAnchored('(a)\\1')).toThrowError(RegexError);
    expect(() => compileAnchored('(?=a)')).toThrowError(RegexError);
  });

  it('runs in linear time on inputs that make backtracking engines explode', () => {
    const re = compileAnchored('(a+)+$');
    expect(re.matches('a'.repeat(5000) + 'b')).toBe(false);
  });
});
