/**
 * XDR building blocks of sFlow v5 (RFC 4506 as used by the sFlow v5 spec): addresses, strings, counted
 * arrays, MACs. Every count is checked against the bytes left before anything is allocated, so a count
 * field of 2^31 costs nothing but an error.
 */
import { DecodeError } from '../../core/errors.js';
import { ipv4ToString, ipv6ToString } from '../../core/ip.js';
import type { ByteReader } from '../../wire/reader.js';

const utf8 = new TextDecoder('utf-8');

/** sFlow `address`: type 0 unknown (no bytes), 1 IPv4, 2 IPv6. */
export function readAddress(r: ByteReader): string | null {
  const type = r.u32();
  if (type === 1) {
    r.need(4);
    const s = ipv4ToString(r.buf, r.pos);
    r.pos += 4;
    return s;
  }
  if (type === 2) {
    r.need(16);
    const s = ipv6ToString(r.buf, r.pos);
    r.pos += 16;
    return s;
  }
  if (type === 0) return null;
  throw new DecodeError('bad_address', `address type ${type}`, { offset: r.pos - 4 });
}

/**
 * A count of items of at least `minSize` bytes each; a count the remaining bytes cannot hold is an error
 * (nothing is allocated from it).
 */
export function readCount(r: ByteReader, minSize: number): number {
  const at = r.pos;
  const n = r.u32();
  if (n * minSize > r.remaining) {
    throw new DecodeError('bad_count', `count ${n} needs ${n * minSize} bytes, ${r.remaining} left`, {
      offset: at,
    });
  }
  return n;
}

export function readU32Array(r: ByteReader): number[] {
  const n = readCount(r, 4);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = r.u32();
  return out;
}

/** XDR opaque<>: length, bytes, padding to 4. Hand-built exporters sometimes omit the final padding. */
export function readOpaque(r: ByteReader): Uint8Array {
  const at = r.pos;
  const n = r.u32();
  if (n > r.remaining) {
    throw new DecodeError('bad_length', `opaque of ${n} bytes, ${r.remaining} left`, { offset: at });
  }
  const b = r.bytes(n);
  const pad = (4 - (n & 3)) & 3;
  r.pos += Math.min(pad, r.remaining);
  return b;
}

export function readString(r: ByteReader): string {
  return utf8.decode(readOpaque(r));
}

/** XDR `opaque mac[6]`: 6 bytes padded to 8. */
export function readMac(r: ByteReader): string {
  r.need(8);
  const b = r.buf;
  const o = r.pos;
  r.pos += 8;
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (b[o + i] < 16 ? '0' : '') + b[o + i].toString(16);
  return s;
}
