// Basic authentication against bcrypt hashes, as exporter-toolkit's webHandler does it: unknown users
// are checked against a fixed hash so they cost the same as known ones, verdicts are cached per
// (user, hash, password) so bcrypt runs once per distinct attempt, and one bcrypt runs at a time.
import { createHash, randomInt } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** exporter-toolkit's bcrypt hash of "fakepassword", used for users that do not exist. */
const UNKNOWN_USER_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

/** exporter-toolkit's cache size; a full cache drops a tenth of its entries (plus one) at random. */
const CACHE_SIZE = 100;

/** Go's Request.BasicAuth: "Basic " (any case) then standard base64 of "user:password". */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') {
    return undefined;
  }
  const b64 = header.slice(6);
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class BasicAuthVerifier {
  private readonly cache = new Map<string, boolean>();
  /** The tail of the queue that keeps bcrypt to one comparison at a time. */
  private bcryptQueue: Promise<unknown> = Promise.resolve();

  /** Whether `user`/`password` match `users` (user name → bcrypt hash). */
  async verify(users: Record<string, string>, user: string, password: string): Promise<boolean> {
    const known = Object.hasOwn(users, user);
    const hash = known ? users[user] : UNKNOWN_USER_HASH;
    // The key holds a digest rather than the password itself, so the cache keeps no plaintext.
    const key = createHash('sha256')
      .update(JSON.stringify([user, hash, password]))
      .digest('hex');
    let ok = this.cache.get(key);
    if (ok === undefined) {
      const match = await this.compare(password, hash);
      ok = known && match;
      this.remember(key, ok);
    }
    return ok && known;
  }

  /** Cached verdicts, for tests. */
  get cacheSize(): number {
    return this.cache.size;
  }

  private compare(password: string, hash: string): Promise<boolean> {
    const run = this.bcryptQueue.then(() => bcrypt.compare(password, hash).catch(() => false));
    this.bcryptQueue = run.catch(() => undefined);
    return run;
  }

  private remember(key: string, ok: boolean): void {
    if (this.cache.size >= CACHE_SIZE) {
      const drop = Math.max(1, Math.floor(this.cache.size / 10)) + 1;
      const keys = [...this.cache.keys()];
      for (let i = 0; i < drop && keys.length > 0; i++) {
        const j = randomInt(keys.length);
        this.cache.delete(keys[j]);
        keys[j] = keys[keys.length - 1];
        keys.pop();
      }
    }
    this.cache.set(key, ok);
  }
}

/** golang.org/x/time/rate's token bucket as exporter-toolkit uses it: `burst` tokens, one per interval. */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  allow(): boolean {
    // rate.Every of a negative interval is an infinite rate.
    if (this.intervalMs < 0) return true;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.intervalMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
