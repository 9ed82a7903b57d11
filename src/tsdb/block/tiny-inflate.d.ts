// tiny-inflate (a port of tinf) ships no types.
declare module 'tiny-inflate' {
  /**
   * Inflates a raw DEFLATE stream into `dest`; returns a copy of the bytes written when fewer than
   * dest.length, else `dest` itself (so a result as long as dest may have been cut). Throws on bad data.
   */
  export default function inflate(source: Uint8Array, dest: Uint8Array): Uint8Array;
}
