// Byte sizes as Prometheus reads them (alecthomas/units Base2Bytes): "512MB", "1.5GiB", "1GB512MB".
// Both the KB and KiB spellings are powers of 1024, as in Prometheus.

const MULTIPLIERS: Record<string, number> = { B: 1 };
['K', 'M', 'G', 'T', 'P', 'E'].forEach((prefix, i) => {
  const size = 1024 ** (i + 1);
  MULTIPLIERS[`${prefix}B`] = size;
  MULTIPLIERS[`${prefix}iB`] = size;
});

const PART_RE = /(\d+(?:\.\d*)?|\.\d+)([A-Za-z]+)/y;

export class ByteSizeError extends Error {}

/** Parses a size like "512MB" into bytes; throws ByteSizeError. */
export function parseByteSize(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new ByteSizeError('empty byte size');
  let total = 0;
  PART_RE.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART_RE.lastIndex = pos;
    const m = PART_RE.exec(text);
    if (m === null) throw new ByteSizeError(`invalid byte size "${text}"`);
    const mult = MULTIPLIERS[m[2]];
    if (mult === undefined) throw new ByteSizeError(`unknown unit "${m[2]}" in byte size "${text}"`);
    total += Number(m[1]) * mult;
    pos = PART_RE.lastIndex;
  }
  return Math.floor(total);
}

/** Formats bytes the way Base2Bytes prints them ("512MiB", "1GiB", "0B"). */
export function formatByteSize(bytes: number): string {
  if (bytes === 0) return '0B';
  const units = ['EiB', 'PiB', 'TiB', 'GiB', 'MiB', 'KiB'];
  let rest = bytes;
  let out = '';
  for (let i = 0; i < units.length; i++) {
    const size = 1024 ** (6 - i);
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${units[i]}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}B`;
  return out;
}
