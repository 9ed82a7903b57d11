// Durations in Prometheus's own notation (model.Duration): "1h30m", "15s", "2w", "0".
// Values are milliseconds as plain numbers, as everywhere in Promethium.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];

// Same grammar as Prometheus: each unit at most once, in descending order, integers only.
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

export class DurationError extends Error {}

/** Parses a Prometheus duration string into milliseconds; throws DurationError with Prometheus's wording. */
export function parseDuration(text: string): number {
  if (text === '') throw new DurationError('empty duration string');
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (m === null) throw new DurationError(`not a valid duration string: "${text}"`);
  let ms = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNITS[i][1];
  }
  if (!Number.isSafeInteger(ms)) throw new DurationError(`duration out of range: "${text}"`);
  return ms;
}

/**
 * Formats milliseconds the way Prometheus prints a model.Duration ("1h30m", "0s"): years and weeks
 * only when they divide the duration exactly ("15d", not "2w1d"; "90d", not "12w6d").
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  for (const [unit, size] of UNITS) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
