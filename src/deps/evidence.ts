/**
 * The direction rules of DESIGN.md "Dependency discovery", strongest first. Each looks at one
 * conversation (both directions summed over the discovery period) and names the client side, or passes.
 */
import { serviceName, type UserServicePorts } from '../core/services/services.js';
import type { DirectionRule } from '../storage/port.js';
import type { Conversation, Endpoint } from './conversations.js';
import { EPHEMERAL_FROM, WELL_KNOWN_LIMIT } from './tier.js';
import type { Confidence } from './types.js';

/** Strength of each rule: the order of evidence, an operator's word above all. */
export const RULE_STRENGTH: Readonly<Record<DirectionRule, number>> = {
  given: 5,
  biflow: 4,
  tcp_flags: 3,
  service_port: 2,
  fan_in: 1,
  lower_port: 0,
};

export interface Decision {
  /** The client's side of the conversation. */
  client: 'a' | 'b';
  rule: DirectionRule;
  confidence: Confidence;
}

export interface EvidenceContext {
  userPorts: UserServicePorts;
  /** Distinct peer endpoints (address, port) of an endpoint over the kept conversations (0 for port 0). */
  fanIn(proto: number, e: Endpoint): number;
  /** Peers an endpoint needs, and how many times the other side's, for fan-in to decide. */
  minFanIn: number;
  fanInRatio: number;
}

/** Votes for each side -> decision: the majority wins, `high` only when no vote went the other way. */
function byVotes(a: number, b: number, rule: DirectionRule): Decision | null {
  if (a === b) return null;
  return { client: a > b ? 'a' : 'b', rule, confidence: a === 0 || b === 0 ? 'high' : 'medium' };
}

/** Biflow exporters name the initiator (RFC 5103 biflowDirection, NSEL initiator/responder). */
export function byBiflow(c: Conversation): Decision | null {
  return byVotes(c.ab.initiated, c.ba.initiated, 'biflow');
}

/**
 * A 5-minute row whose OR-ed flags hold SYN without ACK comes from the side that opened connections
 * (see DirectionTotals.synNoAckRows). This fires when all the opener's flows of a row were bare SYNs: a
 * sampled opening segment (sFlow, packet sampling), exporters that cut a flow after the SYN, or attempts
 * still unanswered in that window. SYN alone decides nothing: after OR-ing, the client's direction
 * (SYN, ACK, ...) and the server's (SYN-ACK, ...) both hold SYN and ACK, so "SYN on one side only" cannot
 * tell an unseen SYN from an unseen SYN-ACK.
 */
export function byTcpFlags(c: Conversation): Decision | null {
  if (c.proto !== 6) return null;
  return byVotes(c.ab.synNoAckRows, c.ba.synNoAckRows, 'tcp_flags');
}

/**
 * How much a port looks like a service port: an operator's service port 3; an IANA-assigned system port
 * (below 1024) 2; an IANA-assigned user port below EPHEMERAL_FROM 1; anything else 0. IANA assignments in
 * the ephemeral range (40000 is safetynetp) count for nothing: clients draw their ports from there.
 */
export function serviceRank(port: number, proto: number, userPorts: UserServicePorts): number {
  if (port <= 0) return 0;
  const t = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : null;
  if (t !== null && userPorts.has(`${port}/${t}`)) return 3;
  if (port >= EPHEMERAL_FROM || serviceName(port, proto) === null) return 0;
  return port < WELL_KNOWN_LIMIT ? 2 : 1;
}

/**
 * A service port against an ephemeral one. A 0 port beside a non-zero one is the aggregate tier's
 * ephemeral-port rule at work (`collapsePorts`: the higher port became 0 when it was >= 1024 and the lower
 * one a well-known port, or it was ephemeral and the lower one not): the kept port is the service's.
 * Otherwise the higher serviceRank is the server.
 */
export function byServicePort(c: Conversation, ctx: EvidenceContext): Decision | null {
  const pa = c.a.port;
  const pb = c.b.port;
  if ((pa === 0) !== (pb === 0))
    return { client: pa === 0 ? 'a' : 'b', rule: 'service_port', confidence: 'medium' };
  const ra = serviceRank(pa, c.proto, ctx.userPorts);
  const rb = serviceRank(pb, c.proto, ctx.userPorts);
  if (ra === rb) return null;
  return { client: ra > rb ? 'b' : 'a', rule: 'service_port', confidence: 'medium' };
}

/**
 * A listening socket is talked to by many peers; a client's port by one or a few (an ephemeral port is
 * reused for another server now and then). Peers are counted as endpoints (address, port): each new
 * connection of even a single client comes from a new ephemeral port, while a client's port sees one
 * server; a collapsed client port (0) counts once per client address. Decides when one endpoint has at
 * least minFanIn distinct peers and fanInRatio times the other's.
 */
export function byFanIn(c: Conversation, ctx: EvidenceContext): Decision | null {
  const na = ctx.fanIn(c.proto, c.a);
  const nb = ctx.fanIn(c.proto, c.b);
  const hi = Math.max(na, nb);
  const lo = Math.min(na, nb);
  if (hi < ctx.minFanIn || hi < ctx.fanInRatio * lo) return null;
  return { client: na > nb ? 'b' : 'a', rule: 'fan_in', confidence: 'medium' };
}

/**
 * The lower port is the server's. Equal ports (NTP 123 <-> 123, DNS 53 <-> 53 between servers, where
 * both ends are servers and nothing above decided): the endpoint with the lower address is taken as the
 * server, which is arbitrary but the same on every run and for either row order.
 * Not when both ports are ephemeral (>= EPHEMERAL_FROM): two clients' ports (a peer-to-peer or NAT-ed
 * exchange, 50001 <-> 52321) name no service, and the guess would point an edge at a client's port.
 */
export function byLowerPort(c: Conversation): Decision | null {
  if (Math.min(c.a.port, c.b.port) >= EPHEMERAL_FROM) return null;
  const client = c.a.port < c.b.port ? 'b' : c.b.port < c.a.port ? 'a' : 'b';
  return { client, rule: 'lower_port', confidence: 'low' };
}

/** The first rule that decides, in the order of evidence; null when none can (no edge is made). */
export function decide(c: Conversation, ctx: EvidenceContext): Decision | null {
  return byBiflow(c) ?? byTcpFlags(c) ?? byServicePort(c, ctx) ?? byFanIn(c, ctx) ?? byLowerPort(c);
}
