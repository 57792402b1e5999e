import type { IpSegment } from './link.js';

/**
 * IP fragment reassembly for captures (RFC 791 section 3.2, RFC 8200 section 4.5): exporters that send
 * datagrams larger than the path MTU (jumbo v9/IPFIX) arrive as fragments. Fragments are keyed by
 * (src, dst, protocol, id); the datagram is handed on when its pieces cover 0..end without a hole.
 * Bounded: at most `maxDatagrams` in progress (oldest dropped) and 65535 + header bytes each.
 */
export class IpDefragmenter {
  private readonly pending = new Map<string, Pieces>();
  /** Datagrams given up on (evicted incomplete). */
  dropped = 0;

  constructor(private readonly maxDatagrams = 256) {}

  /** The whole datagram's segment once complete, else null (fragment held). Non-fragments pass through. */
  push(p: IpSegment): IpSegment | null {
    const f = p.fragment;
    if (!f) return p;
    const key = `${p.src}|${p.dst}|${p.proto}|${f.id}`;
    let pieces = this.pending.get(key);
    if (!pieces) {
      pieces = { parts: [], total: -1 };
      this.pending.set(key, pieces);
      if (this.pending.size > this.maxDatagrams) {
        this.pending.delete(this.pending.keys().next().value as string);
        this.dropped++;
      }
    }
    const end = f.offset + p.segment.length;
    if (end > 65535) {
      this.pending.delete(key);
      this.dropped++;
      return null;
    }
    pieces.parts.push({ offset: f.offset, data: p.segment });
    if (!f.more) pieces.total = end;
    if (pieces.total < 0) return null;
    const whole = assemble(pieces);
    if (!whole) return null;
    this.pending.delete(key);
    return { src: p.src, dst: p.dst, proto: p.proto, segment: whole };
  }
}

interface Pieces {
  parts: { offset: number; data: Uint8Array }[];
  /** Payload length, known once the last fragment (MF clear) arrived. */
  total: number;
}

/** Copy the pieces into place if they cover the whole payload (overlaps: later pieces win). */
function assemble(p: Pieces): Uint8Array | null {
  const sorted = [...p.parts].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const part of sorted) {
    if (part.offset > covered) return null;
    covered = Math.max(covered, part.offset + part.data.length);
  }
  if (covered < p.total) return null;
  const out = new Uint8Array(p.total);
  for (const part of p.parts) out.set(part.data.subarray(0, Math.max(0, p.total - part.offset)), part.offset);
  return out;
}
