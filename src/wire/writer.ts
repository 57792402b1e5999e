import { parseIp } from '../core/ip.js';

/**
 * Growable big-endian byte writer: the byte builder for decoder edge-case tests and the encoder under the
 * synthetic exporter (flowlens gen). `mark`/`patchU16` let a caller fill a length field after the fact.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 1500) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }

  u24(v: number): this {
    return this.u8(v >>> 16).u16(v & 0xffff);
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
    return this;
  }

  u64(v: number | bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v));
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array | readonly number[]): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }

  /** IPv4 (4 bytes) or IPv6 (16 bytes) address from its string form. */
  ip(s: string): this {
    const b = parseIp(s);
    if (!b) throw new Error(`not an IP address: ${s}`);
    return this.bytes(b);
  }

  ascii(s: string): this {
    return this.bytes(Buffer.from(s, 'latin1'));
  }

  /** Current position, to patch a length field later. */
  mark(): number {
    return this.length;
  }

  patchU16(at: number, v: number): this {
    this.view.setUint16(at, v);
    return this;
  }

  patchU32(at: number, v: number): this {
    this.view.setUint32(at, v >>> 0);
    return this;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
