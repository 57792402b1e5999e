/**
 * FlowRecord[] -> ClickHouse RowBinary for flow_records (the fastest insert path measured from Node; see
 * bench/storage-chdb.ts): no text escaping, no JSON per row, addresses already 16 bytes, times Int64 ms.
 *
 * RowBinary layout (ClickHouse docs "RowBinary"): fixed-width little-endian integers, Nullable(T) = one
 * byte (1 = NULL) then T when not null, String = LEB128 length + bytes, IPv6 = 16 bytes network order,
 * DateTime64(3) = Int64 milliseconds, LowCardinality(String) = String.
 *
 * Values outside a column's range are refused (StoreInputError naming the field), never wrapped.
 */

import { parseIp, toIpv6Bytes } from '../../core/ip.js';
import type { Counter, FlowRecord } from '../../core/record.js';
import { StoreInputError } from '../port.js';
import { type RowBuffer, RowStream } from '../row-stream.js';

export { StoreInputError };

/** Column order and types of flow_records as the RowBinary payload declares them (schema.ts matches). */
export const RAW_COLUMNS: readonly [string, string][] = [
  ['received_at', "DateTime64(3, 'UTC')"],
  ['flow_start', "DateTime64(3, 'UTC')"],
  ['flow_end', "DateTime64(3, 'UTC')"],
  ['exporter_ip', 'IPv6'],
  ['exporter_id', 'Nullable(UInt32)'],
  ['protocol_type', 'LowCardinality(String)'],
  ['src_ip', 'Nullable(IPv6)'],
  ['dst_ip', 'Nullable(IPv6)'],
  ['src_port', 'Nullable(UInt16)'],
  ['dst_port', 'Nullable(UInt16)'],
  ['ip_protocol', 'Nullable(UInt8)'],
  ['bytes_total', 'UInt64'],
  ['packets_total', 'UInt64'],
  ['tcp_flags', 'Nullable(UInt16)'],
  ['input_interface', 'Nullable(UInt32)'],
  ['output_interface', 'Nullable(UInt32)'],
  ['src_as', 'Nullable(UInt32)'],
  ['dst_as', 'Nullable(UInt32)'],
  ['next_hop', 'Nullable(IPv6)'],
  ['src_vlan', 'Nullable(UInt16)'],
  ['dst_vlan', 'Nullable(UInt16)'],
  ['tos', 'Nullable(UInt8)'],
  ['direction', 'Nullable(UInt8)'],
  ['sampling_rate', 'UInt32'],
  ['extended_fields', 'String'],
];

export const RAW_STRUCTURE = RAW_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ');

const TWO32 = 4_294_967_296;
const U64_MAX = (1n << 64n) - 1n;

/** RowBinary Strings of the few protocol_type values (LEB128 length + bytes), made once each. */
const shortStrings = new Map<string, Uint8Array>();

function cachedString(w: Writer, s: string): void {
  let b = shortStrings.get(s);
  if (b === undefined) {
    if (s.length > 32 || shortStrings.size >= 32) {
      w.str(s);
      return;
    }
    const text = Buffer.from(s, 'utf8');
    b = Buffer.concat([Buffer.from([text.length]), text]);
    shortStrings.set(s, b);
  }
  w.bytes(b);
}

/** Small cache: exporters and busy hosts repeat, parsing text addresses is the encoder's main cost. */
const ipCache = new Map<string, Uint8Array>();
const IP_CACHE_MAX = 65_536;

function ipBytes(s: string, field: string): Uint8Array {
  let b = ipCache.get(s);
  if (b) return b;
  const raw = parseIp(s);
  if (!raw) throw new StoreInputError(`${field}: not an IP address: ${JSON.stringify(s)}`);
  b = toIpv6Bytes(raw);
  if (ipCache.size >= IP_CACHE_MAX) ipCache.clear();
  ipCache.set(s, b);
  return b;
}

function stringifyExtended(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    // bigint values: exact decimal strings, as the JSON form of the record has them (core/json.ts).
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

/** `"key":` as bytes, per key (a template's field names repeat on every record). */
const keyCache = new Map<string, Uint8Array | null>();
const KEY_CACHE_MAX = 4096;

/** The keys of the last objects written, by position, and their bytes (see extendedJson). */
const lastKeys: string[] = [];
const lastKeyBytes: (Uint8Array | null)[] = [];

/** The bytes of `"key":`, or null when the key needs escaping (then the slow path writes the object). */
function keyBytes(k: string): Uint8Array | null {
  let b = keyCache.get(k);
  if (b !== undefined) return b;
  b = plainAscii(k) ? Buffer.from(`"${k}":`, 'latin1') : null;
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(k, b);
  return b;
}

/** Printable ASCII without `"` and `\`: JSON.stringify writes such a string as-is between quotes. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * extended_fields as the String column: exactly the bytes of JSON.stringify(v) (the same function of the
 * value; bench: ~0.8 µs -> ~0.2 µs per IPFIX record), written straight into the payload without building
 * the string. Flat objects of numbers, booleans, null and plain ASCII strings take the fast path; anything
 * else (nested values, bigint, bytes, escapes, non-ASCII, a prototype other than Object's) goes through
 * JSON.stringify as before.
 */
function extendedJson(w: Writer, v: unknown): void {
  const start = w.pos;
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) {
    w.str(stringifyExtended(v));
    return;
  }
  // Two bytes reserved for the LEB128 length (< 16384); shifted down to one for a short string.
  w.ensure(3);
  w.pos += 2;
  w.buf[w.pos++] = 0x7b; // {
  let first = true;
  let slot = 0;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    let kind = 0; // 0 skip, 1 number, 2 string, 3 true, 4 false, 5 null
    if (typeof x === 'number') kind = 1;
    else if (typeof x === 'string') kind = plainAscii(x) ? 2 : -1;
    else if (x === true) kind = 3;
    else if (x === false) kind = 4;
    else if (x === null) kind = 5;
    else if (x === undefined || typeof x === 'function' || typeof x === 'symbol') kind = 0;
    else kind = -1;
    // A toJSON method replaces the whole object in JSON.stringify: the slow path does exactly that.
    if (kind === 0 && k !== 'toJSON') continue;
    let kb: Uint8Array | null = null;
    if (kind > 0 && k !== 'toJSON') {
      // Records of one template repeat their keys in order: an identity check per position before the map.
      if (lastKeys[slot] === k) kb = lastKeyBytes[slot];
      else {
        kb = keyBytes(k);
        lastKeys[slot] = k;
        lastKeyBytes[slot] = kb;
      }
      slot++;
    }
    if (kb === null) {
      w.pos = start;
      w.str(stringifyExtended(v));
      return;
    }
    w.ensure(kb.length + 2 + (kind === 2 ? (x as string).length : 24));
    if (!first) w.buf[w.pos++] = 0x2c; // ,
    first = false;
    w.bytes(kb);
    if (kind === 1) w.jsonNumber(x as number);
    else if (kind === 2) {
      w.buf[w.pos++] = 0x22;
      w.ascii(x as string);
      w.buf[w.pos++] = 0x22;
    } else w.ascii(kind === 3 ? 'true' : kind === 4 ? 'false' : 'null');
  }
  w.ensure(1);
  w.buf[w.pos++] = 0x7d; // }
  const n = w.pos - start - 2;
  if (n < 0x80) {
    w.buf.copyWithin(start + 1, start + 2, w.pos);
    w.buf[start] = n;
    w.pos--;
  } else if (n < 0x4000) {
    w.buf[start] = (n & 0x7f) | 0x80;
    w.buf[start + 1] = n >>> 7;
  } else {
    w.pos = start;
    w.str(stringifyExtended(v));
  }
}

class Writer implements RowBuffer {
  buf: Buffer;
  pos = 0;
  constructor(size: number, scratch?: Buffer) {
    this.buf = scratch && scratch.length >= size ? scratch : Buffer.allocUnsafe(size);
  }
  get length(): number {
    return this.pos;
  }
  rewind(length: number): void {
    this.pos = Math.min(this.pos, length);
  }
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  // Plain byte stores: Buffer.writeUInt*LE re-check their arguments on every call, which showed in profiles.
  u16(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }
  u32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }
  /** Non-negative integer below 2^53 as 64-bit little endian without BigInt. */
  u64n(v: number): void {
    const lo = v % TWO32;
    const hi = (v - lo) / TWO32;
    this.u32(lo);
    this.u32(hi);
  }
  /** Epoch ms; a fractional part (capture timestamps have µs) is truncated: DateTime64(3) keeps ms. */
  i64ms(v: number, field: string): void {
    const ms = Math.floor(v);
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw new StoreInputError(`${field}: not an epoch ms time: ${v}`);
    this.u64n(ms);
  }
  /** ASCII text (room ensured by the caller). */
  ascii(s: string): void {
    const n = s.length;
    if (n > 48) {
      this.pos += this.buf.write(s, this.pos, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }
  /** A number as JSON.stringify writes it (safe integers digit by digit, no string). */
  jsonNumber(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.ascii(Number.isFinite(v) ? String(v) : 'null');
      return;
    }
    if (v < 0) {
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    // Above 10^8 (epoch ms, counters): the high part, then the low 8 digits zero-padded, both in int32 math.
    if (v >= 100_000_000) {
      const hi = Math.floor(v / 100_000_000);
      this.jsonNumber(hi);
      this.digits(v - hi * 100_000_000, 8);
      return;
    }
    let n = 1;
    for (let x = v; x >= 10; x = (x / 10) | 0) n++;
    this.digits(v, n);
  }
  /** v (< 10^8) as exactly n decimal digits, zero-padded. */
  private digits(v: number, n: number): void {
    const b = this.buf;
    let p = this.pos + n;
    this.pos = p;
    for (let i = 0; i < n; i++) {
      const q = (v / 10) | 0;
      b[--p] = 48 + v - q * 10;
      v = q;
    }
  }
  /** Short arrays (keys, addresses) byte by byte: TypedArray.set costs more than the copy below ~64 bytes. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 64) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i];
    this.pos = p;
  }
  /** LEB128 length + UTF-8. Short strings (the usual case) are written once, without measuring first. */
  str(s: string): void {
    if (s.length < 42) {
      // At most 3 UTF-8 bytes per UTF-16 unit: < 128 bytes, so the length fits one LEB128 byte.
      this.ensure(128);
      const n = this.buf.write(s, this.pos + 1, 'utf8');
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s);
    this.ensure(n + 10);
    let len = n;
    while (len >= 0x80) {
      this.buf[this.pos++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    this.buf[this.pos++] = len;
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

function counter(w: Writer, v: Counter, field: string): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new StoreInputError(`${field}: not a counter: ${v}`);
    w.u64n(v);
  } else {
    if (v < 0n || v > U64_MAX) throw new StoreInputError(`${field}: not a 64-bit counter: ${v}`);
    w.buf.writeBigUInt64LE(v, w.pos);
    w.pos += 8;
  }
}

function uint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new StoreInputError(`${field}: out of range 0..${max}: ${v}`);
  return v;
}

function nU8(w: Writer, v: number | null, field: string): void {
  if (v === null || v === undefined) {
    w.u8(1);
    return;
  }
  w.u8(0);
  w.u8(uint(v, 0xff, field));
}
function nU16(w: Writer, v: number | null, field: string): void {
  if (v === null || v === undefined) {
    w.u8(1);
    return;
  }
  w.u8(0);
  w.u16(uint(v, 0xffff, field));
}
function nU32(w: Writer, v: number | null, field: string): void {
  if (v === null || v === undefined) {
    w.u8(1);
    return;
  }
  w.u8(0);
  w.u32(uint(v, 0xffffffff, field));
}
/**
 * Writes an address as 16 bytes. Dotted IPv4 is parsed straight into the buffer as IPv4-mapped (no regex,
 * no allocation: random addresses defeat any cache); anything else goes through core parseIp (cached).
 */
function ip16(w: Writer, s: string, field: string): void {
  const buf = w.buf;
  const p = w.pos;
  const n = s.length;
  if (n >= 7 && n <= 15) {
    let octet = 0;
    let digits = 0;
    let dots = 0;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        octet = octet * 10 + (c - 48);
        if (++digits > 3 || octet > 255) {
          ok = false;
          break;
        }
      } else if (c === 46 && digits > 0 && dots < 3) {
        buf[p + 12 + dots++] = octet;
        octet = 0;
        digits = 0;
      } else {
        ok = false;
        break;
      }
    }
    if (ok && dots === 3 && digits > 0) {
      for (let i = 0; i < 10; i++) buf[p + i] = 0;
      buf[p + 10] = 0xff;
      buf[p + 11] = 0xff;
      buf[p + 15] = octet;
      w.pos = p + 16;
      return;
    }
  }
  w.bytes(ipBytes(s, field));
}

function nIp(w: Writer, v: string | null, field: string): void {
  if (v === null || v === undefined) {
    w.u8(1);
    return;
  }
  w.u8(0);
  ip16(w, v, field);
}

/** One flow record as one RowBinary row (throws StoreInputError for a value outside its column). */
function encodeRecord(w: Writer, r: FlowRecord): void {
  // Fixed part is at most 8*3 + 16 + 5 + 1 + 17*2 + 3*3 + 16 + ... < 160 bytes; strings ensure themselves.
  w.ensure(176);
  w.i64ms(r.received_at, 'received_at');
  w.i64ms(r.flow_start, 'flow_start');
  w.i64ms(r.flow_end, 'flow_end');
  ip16(w, r.exporter_ip, 'exporter_ip');
  nU32(w, r.exporter_id, 'exporter_id');
  cachedString(w, r.protocol_type);
  w.ensure(176);
  nIp(w, r.src_ip, 'src_ip');
  nIp(w, r.dst_ip, 'dst_ip');
  nU16(w, r.src_port, 'src_port');
  nU16(w, r.dst_port, 'dst_port');
  nU8(w, r.ip_protocol, 'ip_protocol');
  counter(w, r.bytes_total, 'bytes_total');
  counter(w, r.packets_total, 'packets_total');
  nU16(w, r.tcp_flags, 'tcp_flags');
  nU32(w, r.input_interface, 'input_interface');
  nU32(w, r.output_interface, 'output_interface');
  nU32(w, r.src_as, 'src_as');
  nU32(w, r.dst_as, 'dst_as');
  nIp(w, r.next_hop, 'next_hop');
  nU16(w, r.src_vlan, 'src_vlan');
  nU16(w, r.dst_vlan, 'dst_vlan');
  nU8(w, r.tos, 'tos');
  nU8(w, r.direction, 'direction');
  w.u32(uint(r.sampling_rate, 0xffffffff, 'sampling_rate'));
  extendedJson(w, r.extended_fields);
}

/**
 * Encodes records[from, to) (flow records only: counter samples / options data are the caller's to drop).
 * With a scratch buffer large enough the result is a view of it (valid until the scratch is reused); a
 * larger payload gets its own buffer (see `buffer` of the result for reuse).
 */
export function encodeRowBinary(
  records: readonly FlowRecord[],
  from = 0,
  to = records.length,
  scratch?: Buffer,
): Buffer {
  const w = new Writer(Math.max(4096, (to - from) * 192), scratch);
  for (let i = from; i < to; i++) {
    encodeRecord(w, records[i]);
  }
  return w.buf.subarray(0, w.pos);
}

/** The worker-side encoder (see row-encoder.ts and storage/row-stream.ts) writing RowBinary rows. */
export class RowBinaryStream extends RowStream<Writer> {
  constructor() {
    super({ open: (size, spare) => new Writer(size, spare), write: encodeRecord });
  }
}
