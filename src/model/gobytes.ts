// Go strings are bytes; JS strings are UTF-16 text. Bytes that are not valid UTF-8 (a PromQL `\xff`
// escape, a config's !!binary, a URL's %FF) are carried as lone surrogates U+DC80..U+DCFF ("surrogate
// escape"): still invalid text, which label-name validation rejects as Go's utf8.ValidString does, and
// which goQuote prints as Go prints invalid bytes.
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Length of the well-formed UTF-8 sequence at b[i], or 0 when it is not one. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i];
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < b.length && b[j] >= lo && b[j] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Decodes Go string bytes, each byte of invalid UTF-8 as the lone surrogate U+DC00+byte. */
export function decodeGoBytes(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let out = '';
    for (let i = 0; i < bytes.length;) {
      const n = utf8SequenceLength(bytes, i);
      if (n === 0) {
        out += String.fromCharCode(0xdc00 + bytes[i]);
        i++;
      } else {
        out += strictDecoder.decode(bytes.subarray(i, i + n));
        i += n;
      }
    }
    return out;
  }
}
