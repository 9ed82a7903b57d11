// The frames of a STREAMED_XOR_CHUNKS remote read answer: uvarint length, big-endian CRC-32C of the
// data (checked), a ChunkedReadResponse.
import { decodeChunkedReadResponse } from '../../src/remote/messages.js';
import { crc32c } from '../../src/tsdb/chunks/crc32c.js';

export function readFrames(buf: Buffer): Array<ReturnType<typeof decodeChunkedReadResponse>> {
  const out: Array<ReturnType<typeof decodeChunkedReadResponse>> = [];
  let pos = 0;
  while (pos < buf.length) {
    let len = 0;
    let scale = 1;
    for (;;) {
      const b = buf[pos++];
      len += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) break;
    }
    const crc = buf.readUInt32BE(pos);
    const data = buf.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
    if (crc32c(data) >>> 0 !== crc) throw new Error(`frame at ${pos - len - 4}: CRC-32C mismatch`);
    out.push(decodeChunkedReadResponse(data));
  }
  return out;
}
