/**
 * IPFIX over TCP (RFC 7011 section 10.4): the stream is a sequence of messages, each starting with its
 * 16-byte header whose length field says where the next begins. A TCP segment may carry part of a message
 * or several messages; the framer cuts the byte stream back into whole messages.
 *
 * Memory is bounded: a message is at most 65535 bytes, so at most one partial message (< 65535 bytes) is
 * ever kept. An impossible header (version != 10 or length < 16) is reported in `lastError` / `errorCount`
 * and the framer resynchronises on the next plausible header (0x000a followed by a length >= 16).
 */
import { DecodeError } from '../../core/errors.js';

const HEADER = 16;

export class IpfixStreamFramer {
  private buf = new Uint8Array(4096);
  private len = 0;
  /** The most recent framing error, or null. */
  lastError: DecodeError | null = null;
  /** How many framing errors (resynchronisations) happened on this stream. */
  errorCount = 0;
  /** Bytes thrown away while resynchronising. */
  discardedBytes = 0;

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.len;
  }

  /** Feed the next chunk of the stream; returns the messages it completed (copies, in stream order). */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const out: Uint8Array[] = [];
    let p = 0;
    const b = this.buf;
    while (this.len - p >= 4) {
      const version = (b[p] << 8) | b[p + 1];
      const length = (b[p + 2] << 8) | b[p + 3];
      if (version !== 10 || length < HEADER) {
        const next = this.resync(p + 1);
        this.fail(
          `impossible IPFIX header at stream offset (version ${version}, length ${length})`,
          next - p,
        );
        p = next;
        continue;
      }
      if (this.len - p < length) break;
      out.push(b.slice(p, p + length));
      p += length;
    }
    // Keep only the unfinished tail (less than one message, so never more than 65535 bytes).
    if (p > 0) {
      b.copyWithin(0, p, this.len);
      this.len -= p;
    }
    // Shrink back after a burst so one big push does not pin a large buffer for the connection's life.
    if (this.buf.length > 1 << 17 && this.len < 1 << 16) this.buf = this.buf.slice(0, 1 << 16);
    return out;
  }

  /** Forget a partial message (connection closed / reset). */
  reset(): void {
    this.len = 0;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** Offset of the next plausible header at or after `from`, or where the scan must resume next time. */
  private resync(from: number): number {
    const b = this.buf;
    for (let i = from; i + 4 <= this.len; i++) {
      if (b[i] === 0 && b[i + 1] === 10 && ((b[i + 2] << 8) | b[i + 3]) >= HEADER) return i;
    }
    // Keep up to 3 trailing bytes: they may be the start of a header completed by the next chunk.
    return Math.max(from, this.len - 3);
  }

  private fail(message: string, dropped: number): void {
    this.errorCount++;
    this.discardedBytes += dropped;
    this.lastError = new DecodeError('bad_version', message, { version: 10 });
  }
}
