import { describe, expect, it } from 'vitest';
import { Matcher, type MatchType } from '../../src/model/matcher.js';
import { RegexError } from '../../src/model/regex.js';

// [type, value, input (missing label = ""), expected]
const table: [MatchType, string, string, boolean][] = [
  ['=', 'foo', 'foo', true],
  ['=', 'foo', 'foox', false],
  ['=', '', '', true],
  ['=', '', 'x', false],
  ['!=', 'foo', 'bar', true],
  ['!=', 'foo', '', true],
  ['!=', '', '', false],
  ['!=', '', 'x', true],
  // anchored at both ends
  ['=~', 'foo', 'foo', true],
  ['=~', 'foo', 'xfoo', false],
  ['=~', 'foo', 'foox', false],
  ['=~', 'a|b', 'ab', false],
  ['=~', 'a|b', 'b', true],
  ['=~', 'fo.*', 'foo', true],
  ['=~', '.*', '', true],
  ['=~', '.*', 'anything', true],
  ['=~', '.+', '', false],
  ['=~', '.+', 'x', true],
  ['=~', '.*', 'a\nb', true], // . matches newline, as in Prometheus 3
  ['=~', 'x|', '', true],
  ['=~', '', '', true],
  ['=~', '', 'x', false],
  // RE2 syntax
  ['=~', '[[:digit:]]+', '123', true],
  ['=~', '\\d{2,3}', '1234', false],
  ['=~', '(?i)foo', 'FOO', true],
  ['=~', '\\pL+', 'héllo', true],
  ['!~', 'foo', 'foo', false],
  ['!~', 'foo', '', true],
  ['!~', '.+', '', true],
  ['!~', '.*', '', false],
  ['!~', 'x|', '', false],
  ['!~', 'x|', 'y', true],
];

describe('Matcher', () => {
  it.each(table)('%s %j against %j → %s', (type, value, input, want) => {
    expect(new Matcher(type, 'a', value).matches(input)).toBe(want);
  });

  it('knows which matchers select series without the label', () => {
    expect(new Matcher('=', 'a', '').matchesEmpty()).toBe(true);
    expect(new Matcher('!=', 'a', '').matchesEmpty()).toBe(false);
    expect(new Matcher('!=', 'a', 'x').matchesEmpty()).toBe(true);
    expect(new Matcher('=~', 'a', '.*').matchesEmpty()).toBe(true);
    expect(new Matcher('=~', 'a', '.+').matchesEmpty()).toBe(false);
    expect(new Matcher('!~', 'a', 'x|').matchesEmpty()).toBe(false);
  });

  it('rejects non-RE2 regexes', () => {
    expect(() => new Matcher('=~', 'a', '(?=x)')).toThrow(RegexError);
    expect(() => new Matcher('!~', 'a', '(')).toThrow(RegexError);
    // only regex matchers compile their value
    expect(() => new Matcher('=', 'a', '(')).not.toThrow();
  });
});
