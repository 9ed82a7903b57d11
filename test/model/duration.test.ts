import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../src/model/duration.js';
import { ByteSizeError, formatByteSize, parseByteSize } from '../../src/model/bytesize.js';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['15s', 15_000],
    ['1h30m', 5_400_000],
    ['2w', 14 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['100ms', 100],
    ['1d2h3m4s5ms', 93_784_005],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '1.5s', '-1s', '1m1h', 'abc', '1s1s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrowError(DurationError);
  });

  it.each([
    [0, '0s'],
    [15_000, '15s'],
    [5_400_000, '1h30m'],
    [14 * 86_400_000, '2w'],
    [93_784_005, '1d2h3m4s5ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  // prometheus/common's model.Duration String: years and weeks only when exact
  it.each([
    ['324ms', '324ms'],
    ['4d1h', '4d1h'],
    ['14d', '2w'],
    ['15d', '15d'], // Prometheus's default retention, as /api/v1/status/runtimeinfo shows it
    ['90d', '90d'],
    ['3w2d1h', '23d1h'],
    ['10y', '10y'],
    ['1y1d', '366d'],
    ['1y2w', '379d'],
  ])('prints %s as Go does: %s', (input, text) => {
    expect(formatDuration(parseDuration(input))).toBe(text);
  });
});

describe('byte sizes', () => {
  it.each([
    ['0', 0],
    ['512MB', 512 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['1.5KB', 1536],
    ['1GB512MB', 1024 ** 3 + 512 * 1024 ** 2],
    ['10B', 10],
  ])('parses %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', '12', 'MB', '5XB', '1 GB'])('rejects %j', (text) => {
    expect(() => parseByteSize(text)).toThrowError(ByteSizeError);
  });

  it('formats as Base2Bytes', () => {
    expect(formatByteSize(512 * 1024 ** 2)).toBe('512MiB');
    expect(formatByteSize(0)).toBe('0B');
    expect(formatByteSize(1024 ** 3 + 3)).toBe('1GiB3B');
  });
});
