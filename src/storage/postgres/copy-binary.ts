/**
 * PostgreSQL COPY BINARY encoder (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format").
 *
 * Layout: 11-byte signature `PGCOPY\n\377\r\n\0`, int32 flags (0), int32 header-extension length (0); per
 * row an int16 field count, then per field an int32 byte length (-1 = NULL) and the value in the type's
 * binary send format (network byte order); trailer int16 -1. Binary COPY skips the server's text parsing of
 * every inet/timestamptz/int8, which is most of COPY's CPU cost for flow rows.
 *
 * Value formats used here (src/backend/utils/adt/*.c `*_send`):
 * - int2/int4/int8: big-endian two's complement.
 * - timestamptz: int64 microseconds since 2000-01-01 00:00:00 UTC.
 * - inet: family (2 = PGSQL_AF_INET, 3 = PGSQL_AF_INET6), prefix bits, is_cidr (0), address length, bytes.
 * - jsonb: version byte 1, then the JSON text in UTF-8.
 * - bool: one byte; enum: its label as UTF-8 text.
 */
import { parseIp } from '../../core/ip.js';

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
/** What a stream starts with: the signature, flags 0, header extension length 0. */
export const COPY_HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
/** What a stream ends with: a field count of -1. */
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);
/** 2000-01-01T00:00:00Z in Unix milliseconds: the PostgreSQL timestamp epoch. */
const PG_EPOCH_MS = 946_684_800_000;
const INT8_MAX = 2n ** 63n - 1n;
const INT8_MIN = -(2n ** 63n);

/**
 * A growable buffer writing COPY BINARY rows; reuse one per connection to avoid reallocating. Without
 * begin() it holds rows only (what a decode worker encodes; the insert adds COPY_HEADER and COPY_TRAILER).
 */
export class CopyBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  /** A size to allocate (never from Node's shared pool: the buffer may be transferred), or a buffer to reuse. */
  constructor(initial: number | Buffer = 1 << 20) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafeSlow(initial) : initial;
  }

  /** Start a new COPY stream (signature + flags + empty header extension). */
  begin(): this {
    this.pos = 0;
    this.ensure(COPY_HEADER.length);
    COPY_HEADER.copy(this.buf, 0);
    this.pos = COPY_HEADER.length;
    return this;
  }

  /** The stream so far plus the trailer; the view is valid until the next `begin()`. */
  finish(): Buffer {
    this.ensure(COPY_TRAILER.length);
    COPY_TRAILER.copy(this.buf, this.pos);
    this.pos += COPY_TRAILER.length;
    return this.buf.subarray(0, this.pos);
  }

  /** What was written so far (a view). */
  written(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Drops what was written after `length` (a row that could not be finished). */
  rewind(length: number): void {
    this.pos = Math.min(this.pos, length);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  row(fields: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(fields, this.pos);
    this.pos += 2;
  }

  null(): void {
    this.ensure(4);
    this.buf.writeInt32BE(-1, this.pos);
    this.pos += 4;
  }

  int2(v: number | null): void {
    if (v === null || v === undefined) {
      this.null();
      return;
    }
    this.ensure(6);
    this.buf.writeInt32BE(2, this.pos);
    this.buf.writeInt16BE(clampInt(v, -32768, 32767), this.pos + 4);
    this.pos += 6;
  }

  int4(v: number | null): void {
    if (v === null || v === undefined) {
      this.null();
      return;
    }
    this.ensure(8);
    this.buf.writeInt32BE(4, this.pos);
    this.buf.writeInt32BE(clampInt(v, -2147483648, 2147483647), this.pos + 4);
    this.pos += 8;
  }

  /** Counters beyond int8 (unsigned 64-bit counters >= 2^63) are clamped to the int8 range. */
  int8(v: number | bigint | null): void {
    if (v === null || v === undefined) {
      this.null();
      return;
    }
    this.ensure(12);
    this.buf.writeInt32BE(8, this.pos);
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      // Two 32-bit halves: avoids a BigInt allocation per value on the hot path.
      const hi = Math.floor(v / 4294967296);
      this.buf.writeInt32BE(hi, this.pos + 4);
      this.buf.writeUInt32BE(v - hi * 4294967296, this.pos + 8);
    } else {
      let b = typeof v === 'bigint' ? v : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
      if (b > INT8_MAX) b = INT8_MAX;
      if (b < INT8_MIN) b = INT8_MIN;
      this.buf.writeBigInt64BE(b, this.pos + 4);
    }
    this.pos += 12;
  }

  /** Epoch milliseconds (may carry a fraction of a millisecond: kept to the microsecond). */
  timestamptz(ms: number | null): void {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) {
      this.null();
      return;
    }
    this.ensure(12);
    this.buf.writeInt32BE(8, this.pos);
    const micros = Math.round((ms - PG_EPOCH_MS) * 1000);
    const hi = Math.floor(micros / 4294967296);
    this.buf.writeInt32BE(hi, this.pos + 4);
    this.buf.writeUInt32BE(micros - hi * 4294967296, this.pos + 8);
    this.pos += 12;
  }

  /** An address string (NULL for null); false, with nothing written, when the text is not an address. */
  inet(ip: string | null): boolean {
    if (ip === null || ip === undefined) {
      this.null();
      return true;
    }
    if (this.ipv4(ip)) return true;
    const bytes = parseIp(ip);
    if (!bytes) return false;
    const v6 = bytes.length === 16;
    this.ensure(8 + bytes.length);
    this.buf.writeInt32BE(4 + bytes.length, this.pos);
    this.buf[this.pos + 4] = v6 ? 3 : 2;
    this.buf[this.pos + 5] = v6 ? 128 : 32;
    this.buf[this.pos + 6] = 0;
    this.buf[this.pos + 7] = bytes.length;
    this.buf.set(bytes, this.pos + 8);
    this.pos += 8 + bytes.length;
    return true;
  }

  /** Dotted IPv4 parsed in place (the common case), no regex or allocation. False if not dotted IPv4. */
  private ipv4(ip: string): boolean {
    const n = ip.length;
    if (n < 7 || n > 15) return false;
    this.ensure(12);
    let part = 0;
    let digits = 0;
    let octet = 0;
    const at = this.pos + 8;
    for (let i = 0; i <= n; i++) {
      const c = i === n ? 46 : ip.charCodeAt(i);
      if (c === 46) {
        if (digits === 0 || octet > 255 || part > 3) return false;
        this.buf[at + part] = octet;
        part++;
        digits = 0;
        octet = 0;
      } else if (c >= 48 && c <= 57 && digits < 3) {
        octet = octet * 10 + (c - 48);
        digits++;
      } else {
        return false;
      }
    }
    if (part !== 4) return false;
    this.buf.writeInt32BE(8, this.pos);
    this.buf[this.pos + 4] = 2;
    this.buf[this.pos + 5] = 32;
    this.buf[this.pos + 6] = 0;
    this.buf[this.pos + 7] = 4;
    this.pos += 12;
    return true;
  }

  /** UTF-8 text (also the binary form of an enum label). */
  text(s: string | null): void {
    if (s === null || s === undefined) {
      this.null();
      return;
    }
    const max = s.length * 3;
    this.ensure(4 + max);
    const written = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(written, this.pos);
    this.pos += 4 + written;
  }

  /** jsonb from already-serialized JSON text. */
  jsonb(json: string | null): void {
    if (json === null || json === undefined) {
      this.null();
      return;
    }
    const max = json.length * 3;
    this.ensure(5 + max);
    const written = this.buf.write(json, this.pos + 5, 'utf8');
    this.buf.writeInt32BE(written + 1, this.pos);
    this.buf[this.pos + 4] = 1;
    this.pos += 5 + written;
  }

  bool(v: boolean | null): void {
    if (v === null || v === undefined) {
      this.null();
      return;
    }
    this.ensure(5);
    this.buf.writeInt32BE(1, this.pos);
    this.buf[this.pos + 4] = v ? 1 : 0;
    this.pos += 5;
  }
}

function clampInt(v: number, min: number, max: number): number {
  if (!Number.isFinite(v)) return 0;
  const t = Math.trunc(v);
  return Math.min(max, Math.max(min, t));
}

/** Exact JSON text of a value; bigint values (64-bit counters) become decimal strings, as every backend stores them. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value === undefined ? {} : value);
  } catch {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/**
 * JSON text PostgreSQL's jsonb accepts: jsonb cannot hold U+0000 and rejects the unpaired surrogate escapes
 * JSON.stringify emits for lone surrogates; both become U+FFFD. Returns the input itself when nothing had to
 * change (callers compare by identity to know whether to keep the exact text as well).
 */
export function jsonbSafe(text: string): string {
  if (!text.includes('\\u')) return text;
  const out = text.replace(/(\\*)\\u(0000|d[89a-f][0-9a-f]{2})/gi, (m: string, slashes: string) =>
    slashes.length % 2 === 0 ? `${slashes}\\ufffd` : m,
  );
  return out === text ? text : out;
}
