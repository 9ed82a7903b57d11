// Snappy block compression of remote write and remote read, with the native addon loaded on first use:
// loading it costs ~12 ms of every start (measured in a running server's module set), in the time a
// restart waits on before its WAL replay (bench/RESULTS.md, issue 19), while most servers neither send
// nor receive remote write or read.
import { createRequire } from 'node:module';

type Snappy = typeof import('snappy');

let addon: Snappy | undefined;

function load(): Snappy {
  // a require, not an import: an import would load it with this module, at the start
  addon ??= createRequire(import.meta.url)('snappy') as Snappy;
  return addon;
}

export function compressSync(input: string | Uint8Array): Buffer {
  return load().compressSync(input);
}

/** The decompressed bytes (throws on a corrupt input, as snappy does). */
export function uncompressSync(input: Uint8Array): Buffer {
  return load().uncompressSync(input, { asBuffer: true }) as Buffer;
}
