/**
 * TCP stream reassembly for captures: per connection (one direction), segments are delivered in sequence
 * order. Retransmits and overlaps are trimmed to the bytes not yet delivered; segments that arrive ahead
 * of a gap are held (bounded) until the gap fills. This is what lets IPFIX (RFC 7011 section 10.4) or
 * NetFlow v9 over TCP be framed from a capture.
 */

export interface TcpSegmentInfo {
  /** Connection key, one direction: "src]:sport>dst]:dport". */
  key: string;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
}

export interface TcpDelivery {
  /** Newly in-order bytes (empty when nothing new). */
  data: Uint8Array;
  /** The connection ended (FIN or RST seen and everything before it delivered). */
  closed: boolean;
}

export interface TcpReassemblerLimits {
  /** Bytes held out of order per connection; beyond it the gap is declared lost and skipped. */
  maxBufferedPerConn?: number;
  /** Connections tracked at once; the least recently used is dropped beyond it. */
  maxConnections?: number;
}

interface Conn {
  /** Next expected sequence number (unsigned 32-bit). */
  next: number;
  /** Out-of-order segments by start sequence. */
  pending: Map<number, Uint8Array>;
  buffered: number;
  finSeq: number | null;
  /** Bytes skipped because a gap never filled (bounded buffering). */
  skipped: number;
}

const EMPTY = new Uint8Array(0);

/** Signed distance a - b in sequence space (RFC 793 section 3.3 modular comparison). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpReassembler {
  private readonly conns = new Map<string, Conn>();
  private readonly maxBuffered: number;
  private readonly maxConns: number;
  /** Total bytes given up on (gaps that never filled), for diagnostics. */
  lostBytes = 0;

  constructor(limits: TcpReassemblerLimits = {}) {
    this.maxBuffered = limits.maxBufferedPerConn ?? 4 * 1024 * 1024;
    this.maxConns = limits.maxConnections ?? 10_000;
  }

  push(s: TcpSegmentInfo): TcpDelivery {
    let c = this.conns.get(s.key);
    if (c) {
      // Refresh LRU position.
      this.conns.delete(s.key);
      this.conns.set(s.key, c);
    } else {
      // A connection seen from its SYN starts at ISN+1; one picked up mid-stream starts at this segment.
      c = {
        next: (s.seq + (s.syn ? 1 : 0)) >>> 0,
        pending: new Map(),
        buffered: 0,
        finSeq: null,
        skipped: 0,
      };
      this.conns.set(s.key, c);
      if (this.conns.size > this.maxConns) {
        const oldest = this.conns.keys().next().value as string;
        this.conns.delete(oldest);
      }
    }
    const start = (s.seq + (s.syn ? 1 : 0)) >>> 0;
    if (s.fin) c.finSeq = (start + s.payload.length) >>> 0;
    const chunks: Uint8Array[] = [];
    if (s.payload.length > 0) this.accept(c, start, s.payload, chunks);
    const closed = s.rst || (c.finSeq !== null && seqDiff(c.next, c.finSeq) >= 0);
    if (closed) this.conns.delete(s.key);
    return { data: join(chunks), closed };
  }

  /** Forget a connection. */
  close(key: string): void {
    this.conns.delete(key);
  }

  private accept(c: Conn, start: number, data: Uint8Array, out: Uint8Array[]): void {
    let d = seqDiff(start, c.next);
    if (d < 0) {
      // Retransmit / overlap: keep only the bytes past what was already delivered.
      if (-d >= data.length) return;
      data = data.subarray(-d);
      start = c.next;
      d = 0;
    }
    if (d > 0) {
      const prev = c.pending.get(start);
      if (!prev || prev.length < data.length) {
        c.buffered += data.length - (prev?.length ?? 0);
        c.pending.set(start, data);
      }
      if (c.buffered > this.maxBuffered) this.skipGap(c, out);
      return;
    }
    out.push(data);
    c.next = (c.next + data.length) >>> 0;
    this.drain(c, out);
  }

  /** Deliver held segments that are now in order. */
  private drain(c: Conn, out: Uint8Array[]): void {
    let progressed = true;
    while (progressed && c.pending.size > 0) {
      progressed = false;
      for (const [seq, data] of c.pending) {
        const d = seqDiff(seq, c.next);
        if (d > 0) continue;
        c.pending.delete(seq);
        c.buffered -= data.length;
        if (-d < data.length) {
          out.push(data.subarray(-d));
          c.next = (c.next + data.length + d) >>> 0;
        }
        progressed = true;
      }
    }
  }

  /** Buffer limit hit: the gap is lost; jump to the earliest held segment and go on from there. */
  private skipGap(c: Conn, out: Uint8Array[]): void {
    let earliest: number | null = null;
    for (const seq of c.pending.keys()) {
      if (earliest === null || seqDiff(seq, earliest) < 0) earliest = seq;
    }
    if (earliest === null) return;
    const gap = seqDiff(earliest, c.next);
    c.skipped += gap;
    this.lostBytes += gap;
    c.next = earliest;
    this.drain(c, out);
  }
}

function join(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
