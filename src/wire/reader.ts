import { DecodeError } from '../core/errors.js';

/**
 * Bounds-checked big-endian reader over a byte range. Every read checks the range and throws a typed
 * DecodeError('truncated') that decoders catch at their boundary and return as a counted error. Sub-readers
 * (`sub`) share the buffer (no copy) and cannot read outside their slice, so a bad length field inside a
 * set can never make a record read into the next set.
 */
export class ByteReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    readonly start = 0,
    readonly end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new DecodeError('bad_length', `reader range ${start}..${end} outside buffer of ${buf.length}`);
    }
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Offset from the start of this reader's range (for error context). */
  get offset(): number {
    return this.pos - this.start;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError('truncated', `need ${n} bytes at offset ${this.offset}, have ${this.remaining}`, {
        offset: this.offset,
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.buf[this.pos] << 16) | (this.buf[this.pos + 1] << 8) | this.buf[this.pos + 2];
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** 64-bit unsigned: a number while exact, a bigint beyond 2^53 (counters are never rounded). */
  u64(): number | bigint {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    if (hi < 0x200000) return hi * 0x100000000 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Unsigned integer of 1..8 bytes (reduced-size encoding, RFC 7011 section 6.2). */
  uint(len: number): number | bigint {
    switch (len) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
    }
    this.need(len);
    if (len > 8 || len < 1)
      throw new DecodeError('bad_length', `unsigned of ${len} bytes`, { offset: this.offset });
    if (len <= 6) {
      let v = 0;
      for (let i = 0; i < len; i++) v = v * 256 + this.buf[this.pos + i];
      this.pos += len;
      return v;
    }
    let v = 0n;
    for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i]);
    this.pos += len;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number): ByteReader {
    this.need(n);
    const r = new ByteReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}
