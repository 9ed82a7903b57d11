// Chunk codecs and checksums: the XOR float chunk in Prometheus's byte layout, and CRC-32C.
export { XORChunk, ENC_XOR, MAX_XOR_SAMPLES, type XORIterator } from './xor.js';
export { crc32c } from './crc32c.js';
