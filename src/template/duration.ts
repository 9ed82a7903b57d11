// model.ParseDurationAllowNegative, for the template function parseDuration.
import { parseDuration } from '../model/duration.js';

/** Milliseconds; a leading "-" negates. */
export function parseDurationAllowNegative(text: string): number {
  if (text.startsWith('-')) return -parseDuration(text.slice(1));
  return parseDuration(text);
}
