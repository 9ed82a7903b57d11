// Unquoting of PromQL string literals: Go escapes in "..." and '...', none in `...` (Prometheus's strutil.Unquote).
import { decodeGoBytes } from '../../model/gobytes.js';

const SIMPLE: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
};
const encoder = new TextEncoder();

/** Returns the unquoted value, or `{ error }` with Go's wording. */
export function unquoteString(s: string): string | { error: string } {
  if (s.length < 2) return { error: 'invalid syntax' };
  const quote = s[0];
  if (s[s.length - 1] !== quote) return { error: 'invalid syntax' };
  const body = s.slice(1, -1);
  if (quote === '`') return body.includes('`') ? { error: 'invalid syntax' } : body;
  if (quote !== '"' && quote !== "'") return { error: 'invalid syntax' };
  if (!body.includes('\\')) {
    return body.includes(quote) || body.includes('\n') ? { error: 'invalid syntax' } : body;
  }
  const bytes: number[] = [];
  const pushText = (t: string): void => {
    for (const b of encoder.encode(t)) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === quote || c === '\n') return { error: 'invalid syntax' };
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return { error: 'invalid syntax' };
    i += 2;
    if (e in SIMPLE && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
      bytes.push(SIMPLE[e]);
      continue;
    }
    if (e >= '0' && e <= '7') {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) return { error: 'invalid syntax' };
      const v = parseInt(oct, 8);
      if (v > 255) return { error: 'invalid syntax' };
      bytes.push(v);
      i += 2;
      continue;
    }
    const n = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (n === 0) return { error: 'invalid syntax' };
    const hex = body.slice(i, i + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) return { error: 'invalid syntax' };
    i += n;
    const v = parseInt(hex, 16);
    if (e === 'x') bytes.push(v);
    else {
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return { error: 'invalid syntax' };
      pushText(String.fromCodePoint(v));
    }
  }
  return decodeGoBytes(new Uint8Array(bytes));
}
