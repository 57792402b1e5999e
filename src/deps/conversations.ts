/**
 * Conversations: the aggregate rows of both directions of one exchange (A:p -> B:q and B:q -> A:p) over
 * the discovery period, summed per direction. A conversation is keyed without direction, so the same pair
 * gives one key whichever side later turns out to be the client.
 */
import { parseIp, toIpv6Bytes } from '../core/ip.js';
import { PORT_PROTOCOLS, TCP_ACK, TCP_SYN } from './tier.js';
import type { ConversationRow } from './types.js';

export interface Endpoint {
  ip: string;
  port: number;
}

/** One direction's traffic (from one endpoint to the other). */
export interface DirectionTotals {
  /** Any row (or biflow reverse counters) seen in this direction. */
  seen: boolean;
  bytes: number;
  packets: number;
  flows: number;
  /** Flows with SYN (TCP). */
  sessions: number;
  /** OR of every row's flags. */
  flags: number;
  /**
   * Rows whose OR-ed flags hold SYN but no ACK: every flow of that 5-minute row lacked ACK, so the sender
   * only ever sent opening segments there (RFC 9293 section 3.5: only the opener's first segment has SYN
   * without ACK; every answer, SYN-ACK or RST-ACK, carries ACK).
   */
  synNoAckRows: number;
  /** Flows a biflow exporter says this side initiated. */
  initiated: number;
}

export interface Conversation {
  key: string;
  proto: number;
  /** Endpoints in a fixed order (address bytes, then port): a < b. */
  a: Endpoint;
  b: Endpoint;
  ab: DirectionTotals;
  ba: DirectionTotals;
  /** First and last window start seen. */
  first: number;
  last: number;
}

const emptyTotals = (): DirectionTotals => ({
  seen: false,
  bytes: 0,
  packets: 0,
  flows: 0,
  sessions: 0,
  flags: 0,
  synNoAckRows: 0,
  initiated: 0,
});

const synNoAck = (f: number): boolean => (f & TCP_SYN) !== 0 && (f & TCP_ACK) === 0;

/** Address order key: the IPv6 (IPv4-mapped) bytes as hex, so IPv4 and IPv6 sort in one space. */
export class AddressOrder {
  private readonly cache = new Map<string, string>();

  key(ip: string): string {
    let k = this.cache.get(ip);
    if (k === undefined) {
      const raw = parseIp(ip);
      k = raw ? Buffer.from(toIpv6Bytes(raw)).toString('hex') : `~${ip}`;
      this.cache.set(ip, k);
    }
    return k;
  }

  /** Negative when (ip1, port1) sorts before (ip2, port2). */
  compare(e1: Endpoint, e2: Endpoint): number {
    const k1 = this.key(e1.ip);
    const k2 = this.key(e2.ip);
    if (k1 !== k2) return k1 < k2 ? -1 : 1;
    return e1.port - e2.port;
  }
}

export function conversationKey(proto: number, a: Endpoint, b: Endpoint): string {
  return `${proto}|${a.ip}|${a.port}|${b.ip}|${b.port}`;
}

/** True when the row can belong to a dependency: a transport with ports, two distinct endpoints. */
function usable(r: ConversationRow): boolean {
  if (!PORT_PROTOCOLS.includes(r.ip_protocol)) return false;
  if (r.src_port === 0 && r.dst_port === 0) return false;
  return r.src_ip !== r.dst_ip || r.src_port !== r.dst_port;
}

/**
 * Groups rows into conversations. Rows of protocols without ports (ICMP, GRE) and rows without any port
 * are left out: they name no service. Returns them in first-seen order.
 */
export function buildConversations(
  rows: Iterable<ConversationRow>,
  order: AddressOrder = new AddressOrder(),
): Conversation[] {
  const byKey = new Map<string, Conversation>();
  for (const r of rows) {
    if (!usable(r)) continue;
    const src = { ip: r.src_ip, port: r.src_port };
    const dst = { ip: r.dst_ip, port: r.dst_port };
    const forward = order.compare(src, dst) < 0;
    const [a, b] = forward ? [src, dst] : [dst, src];
    const key = conversationKey(r.ip_protocol, a, b);
    let c = byKey.get(key);
    if (!c) {
      c = {
        key,
        proto: r.ip_protocol,
        a,
        b,
        ab: emptyTotals(),
        ba: emptyTotals(),
        first: r.window_start,
        last: 0,
      };
      byKey.set(key, c);
    }
    c.first = Math.min(c.first, r.window_start);
    c.last = Math.max(c.last, r.window_last ?? r.window_start);
    const out = forward ? c.ab : c.ba;
    const back = forward ? c.ba : c.ab;
    out.seen = true;
    out.bytes += r.bytes_total;
    out.packets += r.packets_total;
    out.flows += r.flow_count;
    out.sessions += r.new_sessions;
    out.flags |= r.tcp_flags_observed;
    out.synNoAckRows += r.syn_no_ack_rows ?? (synNoAck(r.tcp_flags_observed) ? 1 : 0);
    const bi = r.biflow;
    if (!bi) continue;
    out.initiated += bi.src_initiated;
    back.initiated += bi.dst_initiated;
    if (bi.reverse_packets > 0 || bi.reverse_bytes > 0) {
      // The reverse half of a biflow record is the other direction's traffic (RFC 5103 section 5).
      back.seen = true;
      back.bytes += bi.reverse_bytes;
      back.packets += bi.reverse_packets;
      back.flows += bi.reverse_flows;
      back.flags |= bi.reverse_tcp_flags;
      back.synNoAckRows += bi.reverse_syn_no_ack_rows ?? (synNoAck(bi.reverse_tcp_flags) ? 1 : 0);
    }
  }
  return [...byKey.values()];
}
