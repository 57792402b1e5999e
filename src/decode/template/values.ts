/**
 * Field value decoding by Kind (types.ts). Values are plain JS scalars so normalization and JSON stay cheap:
 * unsigned counters stay numbers while exact and become bigint beyond 2^53 (never rounded), addresses and
 * MACs are strings, octet arrays are lower-case hex. A length the type cannot have (e.g. a 2-byte IPv4
 * address, which H3C exports) is kept as hex instead of being misread or failing the record.
 */
import { ipv6ToString } from '../../core/ip.js';
import { type FieldValue, Kind } from './types.js';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Seconds between the NTP era 0 epoch (1900) and the UNIX epoch (RFC 7011 section 6.1.9). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export function hexOf(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[b[off + i]];
  return s;
}

/** Unsigned big-endian integer of 1..8 bytes: number while exact, bigint beyond 2^53. */
export function readUint(b: Uint8Array, off: number, len: number): number | bigint {
  if (len <= 6) {
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  let hi = 0;
  const hiLen = len - 4;
  for (let i = 0; i < hiLen; i++) hi = hi * 256 + b[off + i];
  const lo =
    ((b[off + hiLen] << 24) | (b[off + hiLen + 1] << 16) | (b[off + hiLen + 2] << 8) | b[off + hiLen + 3]) >>>
    0;
  if (hi < 0x200000) return hi * 0x100000000 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function readInt(b: Uint8Array, off: number, len: number): number | bigint {
  const u = readUint(b, off, len);
  const negative = (b[off] & 0x80) !== 0;
  if (!negative) return u;
  const big = BigInt(u) - (1n << BigInt(len * 8));
  return big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function ntpToMs(b: Uint8Array, off: number, micro: boolean): number {
  const sec = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
  let frac = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  // dateTimeMicroseconds ignores the 11 low bits of the fraction (RFC 7011 section 6.1.9).
  if (micro) frac = frac - (frac & 0x7ff);
  return (sec - NTP_UNIX_OFFSET) * 1000 + (frac / 4294967296) * 1000;
}

function macOf(b: Uint8Array, off: number): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

function stringOf(b: Uint8Array, off: number, len: number): string {
  let end = off + len;
  while (end > off && b[end - 1] === 0) end--;
  if (end === off) return '';
  // Fast path for ASCII, which is nearly every exported string (interface, VRF, application names).
  let ascii = true;
  for (let i = off; i < end; i++) {
    if (b[i] > 0x7e || b[i] < 0x20) {
      ascii = false;
      break;
    }
  }
  if (ascii && end - off < 64) {
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  return UTF8.decode(b.subarray(off, end));
}

/** Decode `len` bytes at `off` (already bounds-checked by the caller) as `kind`. */
export function decodeValue(b: Uint8Array, off: number, len: number, kind: Kind): FieldValue {
  if (len === 0) return null;
  switch (kind) {
    case Kind.UINT:
    case Kind.SECONDS:
    case Kind.MILLIS:
      return len <= 8 ? readUint(b, off, len) : hexOf(b, off, len);
    case Kind.IPV4:
      return len === 4 ? `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}` : hexOf(b, off, len);
    case Kind.IPV6:
      return len === 16 ? ipv6ToString(b, off) : hexOf(b, off, len);
    case Kind.MAC:
      return len === 6 ? macOf(b, off) : hexOf(b, off, len);
    case Kind.STRING:
      return stringOf(b, off, len);
    case Kind.INT:
      return len <= 8 ? readInt(b, off, len) : hexOf(b, off, len);
    case Kind.FLOAT: {
      const v = new DataView(b.buffer, b.byteOffset + off, len);
      if (len === 4) return v.getFloat32(0);
      if (len === 8) return v.getFloat64(0);
      return hexOf(b, off, len);
    }
    case Kind.BOOL:
      return len === 1 && (b[off] === 1 || b[off] === 2) ? b[off] === 1 : hexOf(b, off, len);
    case Kind.NTP_MICRO:
    case Kind.NTP_NANO:
      return len === 8 ? ntpToMs(b, off, kind === Kind.NTP_MICRO) : hexOf(b, off, len);
    default:
      return hexOf(b, off, len);
  }
}
