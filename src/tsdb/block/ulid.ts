// Block ids: ULIDs as github.com/oklog/ulid writes them (Prometheus names block directories so):
// 26 Crockford base32 characters, a 48-bit millisecond timestamp then 80 random bits, so that ids
// sort by creation time as strings.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME = 2 ** 48 - 1;

/** A new ULID for `timeMs` (default now) with 80 bits from the system's CSPRNG. */
export function newULID(timeMs: number = Date.now(), random: Uint8Array = randomBytes(10)): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME)
    throw new RangeError(`ULID time out of range: ${timeMs}`);
  if (random.length !== 10) throw new RangeError('ULID needs 10 random bytes');
  let out = '';
  // 10 characters of time, most significant first: 50 bits of which the top 2 are zero.
  let t = timeMs;
  const time: string[] = new Array<string>(10);
  for (let i = 9; i >= 0; i--) {
    const d = t % 32;
    time[i] = ALPHABET[d];
    t = (t - d) / 32;
  }
  out += time.join('');
  // 16 characters of randomness: 80 bits, 5 bits per character, MSB first.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = ((acc << 8) | random[i]) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  return out;
}

/** True for a canonical (upper-case) ULID string. */
export function isULID(s: string): boolean {
  return ULID_RE.test(s);
}

/** The millisecond timestamp in a ULID. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i]);
  return t;
}
