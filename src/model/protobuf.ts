// The protobuf wire format, as much as remote write, remote read and the protobuf exposition need: varints (int64 as numbers —
// millisecond timestamps fit a double exactly), fixed64 doubles, length-delimited fields and packed
// repeated varints. Hand-written because these messages sit on the ingest path and are few and fixed;
// protobufjs (a dev dependency) checks this codec against Prometheus's .proto definitions in the tests.

export class ProtoError extends Error {}

export class ProtoReader {
  pos = 0;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint up to 64 bits, as a number (exact below 2^53). */
  uvarint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw new ProtoError('unexpected end of message in varint');
      if (i === 10) throw new ProtoError('varint too long');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 128;
    }
  }

  /** int64 in varint form (two's complement for negatives, 10 bytes). */
  int64(): number {
    const start = this.pos;
    const v = this.uvarint();
    // a negative int64 takes ten bytes; read it again exactly
    if (this.pos - start === 10) {
      let x = 0n;
      for (let i = 0; i < 10; i++) x |= BigInt(this.buf[start + i] & 0x7f) << BigInt(7 * i);
      return Number(BigInt.asIntN(64, x));
    }
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('unexpected end of message in fixed64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field's contents. */
  bytes(): { start: number; end: number } {
    const n = this.uvarint();
    const start = this.pos;
    const end = start + n;
    if (end > this.end) throw new ProtoError('unexpected end of message in length-delimited field');
    this.pos = end;
    return { start, end };
  }

  string(): string {
    const { start, end } = this.bytes();
    return textDecoder.decode(this.buf.subarray(start, end));
  }

  /** A sub-reader over a length-delimited field. */
  sub(): ProtoReader {
    const { start, end } = this.bytes();
    return new ProtoReader(this.buf, start, end);
  }

  /** Field number and wire type of the next field. */
  tag(): { field: number; wire: number } {
    const t = this.uvarint();
    return { field: Math.floor(t / 8), wire: t & 7 };
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.uvarint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new ProtoError('unexpected end of message');
  }

  /** A zigzag (sint32/sint64) varint. */
  sint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A repeated sint field, packed or not. */
  packedSints(wire: number, out: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) out.push(r.sint());
    } else out.push(this.sint());
  }

  /** A repeated double field, packed or not. */
  packedDoubles(wire: number, out: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) out.push(r.double());
    } else out.push(this.double());
  }

  /** A repeated varint field, packed or not. */
  packedUvarints(wire: number, out: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) out.push(r.uvarint());
    } else out.push(this.uvarint());
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** Builds a message; nested messages are written into their own writer and copied in with a length. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  uvarint(v: number): void {
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  int64(v: number): void {
    if (v >= 0) return this.uvarint(v);
    let x = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  doubleField(field: number, v: number): void {
    this.tag(field, 1);
    this.room(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }

  int64Field(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    this.int64(v);
  }

  uvarintField(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    this.uvarint(v);
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.uvarint(data.length);
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, textEncoder.encode(s));
  }

  /** A nested message, always written (an empty one too: repeated messages keep their place). */
  messageField(field: number, w: ProtoWriter): void {
    this.bytesField(field, w.bytes());
  }

  packedUvarintField(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.uvarint(v);
    this.bytesField(field, inner.bytes());
  }

  /** A zigzag (sint32/sint64) varint field. */
  sintField(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  packedSintField(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
    this.bytesField(field, inner.bytes());
  }

  packedDoubleField(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.fixed64(v);
    this.bytesField(field, inner.bytes());
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Appends bytes already encoded (a nested message's fields). */
  raw(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** A double field without a tag check (fixed64). */
  fixed64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }
}

/** Bytes of `v` as an int64 varint. */
export function int64Len(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}
