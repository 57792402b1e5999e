/**
 * Which conversations are dependencies at all. DESIGN.md: scan probes that were never answered are not
 * dependencies. What the 5-minute tier shows of an answer, per direction (flags OR-ed over the period):
 *
 * TCP (RFC 9293 section 3.5): an answer carries ACK. A direction "talks" when it has ACK and something
 * besides RST (SYN-ACK, data, FIN, pure ACKs). A refusal is RST(-ACK) only; a half-open (SYN) scan's
 * prober sends SYN and RST, never ACK. A conversation is established when both directions talk, or when
 * one direction shows data or a close (PSH or FIN with ACK) or is mid-stream (ACK without SYN or RST);
 * the latter also covers one direction seen alone (sampling, asymmetric routing) and a sampled client
 * whose only sampled packet was its SYN. A lone SYN-ACK is an answered probe whose prober side is unseen,
 * and is not enough. Flags of 0 in both directions (exporters without flags) fall
 * back to the UDP rule.
 *
 * UDP, SCTP: answered when both directions were seen. One direction only is kept when an endpoint is a
 * service port (syslog, SNMP traps, flow export are one-way by nature; with sampling only the request or
 * the response may be seen), unless the sender is a scanner.
 *
 * Scanners: a source with unanswered conversations to at least `scanMinTargets` distinct (address, port)
 * targets. Their one-way conversations are dropped, and their TCP conversations without data from their
 * side (no PSH, no FIN: a connect() scan completes the handshake and resets).
 */
import type { Conversation, DirectionTotals } from './conversations.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './tier.js';

export type Verdict = 'established' | 'one_way' | 'unanswered';

const talks = (f: number): boolean =>
  (f & TCP_ACK) !== 0 && ((f & ~(TCP_ACK | TCP_RST)) !== 0 || f === TCP_ACK);

function aloneEstablished(f: number): boolean {
  if ((f & TCP_ACK) === 0) return false;
  return (f & (TCP_PSH | TCP_FIN)) !== 0 || (f & (TCP_SYN | TCP_RST)) === 0;
}

/** Established, one-way (only one direction seen, no TCP verdict) or unanswered; see the file comment. */
export function verdict(c: Conversation): Verdict {
  const { ab, ba } = c;
  const flagsKnown = c.proto === 6 && (ab.flags | ba.flags) !== 0;
  if (flagsKnown) {
    const either = aloneEstablished(ab.flags) || aloneEstablished(ba.flags);
    if (ab.seen && ba.seen)
      return either || (talks(ab.flags) && talks(ba.flags)) ? 'established' : 'unanswered';
    return either ? 'established' : 'unanswered';
  }
  if (ab.seen && ba.seen) return 'established';
  return 'one_way';
}

/**
 * The side that sent the probe of an unanswered or one-way conversation: the one that sent SYN without
 * ACK, else the only side seen, else the side without ACK (a refused prober's SYN).
 */
export function prober(c: Conversation): 'a' | 'b' | null {
  if (c.ab.synNoAckRows > c.ba.synNoAckRows) return 'a';
  if (c.ba.synNoAckRows > c.ab.synNoAckRows) return 'b';
  if (c.ab.seen !== c.ba.seen) return c.ab.seen ? 'a' : 'b';
  const ackA = (c.ab.flags & TCP_ACK) !== 0;
  const ackB = (c.ba.flags & TCP_ACK) !== 0;
  if (ackA !== ackB) return ackA ? 'b' : 'a';
  return null;
}

export interface ScanOptions {
  /** Distinct unanswered targets (address, port) that make a source a scanner. Default 20. */
  scanMinTargets?: number;
}

/** Addresses that probed at least scanMinTargets distinct targets without an answer. */
export function findScanners(
  convs: readonly Conversation[],
  verdicts: readonly Verdict[],
  opts: ScanOptions = {},
) {
  const min = opts.scanMinTargets ?? 20;
  const targets = new Map<string, Set<string>>();
  convs.forEach((c, i) => {
    if (verdicts[i] === 'established') return;
    const side = prober(c);
    if (side === null) return;
    const [from, to] = side === 'a' ? [c.a, c.b] : [c.b, c.a];
    let set = targets.get(from.ip);
    if (!set) {
      set = new Set();
      targets.set(from.ip, set);
    }
    set.add(`${c.proto}|${to.ip}|${to.port}`);
  });
  const scanners = new Set<string>();
  for (const [ip, set] of targets) if (set.size >= min) scanners.add(ip);
  return scanners;
}

/** A scanner's side of an established TCP conversation that never carried data: a connect() probe. */
export function scannerProbe(c: Conversation, scanners: ReadonlySet<string>): boolean {
  const side = (ip: string, t: DirectionTotals): boolean =>
    scanners.has(ip) && (t.flags & (TCP_PSH | TCP_FIN)) === 0;
  if (c.proto !== 6) return false;
  return side(c.a.ip, c.ab) || side(c.b.ip, c.ba);
}
