/**
 * Merging a discovery run into the stored edges: one edge per conversation, a direction corrected in
 * place when stronger evidence contradicts it (DESIGN.md: "correct an edge when stronger evidence
 * arrives"), never a second, reversed edge for the same conversation. Two hosts that each serve the other
 * (BGP sessions opened from both sides) have an edge per direction; the merge never removes one. Pure:
 * ids come from the conversation key unless given.
 */
import { createHash } from 'node:crypto';
import { type DependencyEdge, type EdgeDirection, RULE_CONFIDENCE } from '../storage/port.js';
import { RULE_STRENGTH } from './evidence.js';
import type { DiscoveredEdge } from './types.js';

export { type EdgeDirection, RULE_CONFIDENCE, RULE_STRENGTH };

/** A stored edge whose direction was turned around. */
export interface DirectionCorrection {
  id: string;
  /** When the contradicting evidence was seen: the discovered edge's last_seen. */
  at: number;
  from: EdgeDirection;
  to: EdgeDirection;
}

export interface MergeResult {
  /** Edges to upsert: new ones, and stored ones that changed (direction, rule, times, name). */
  edges: DependencyEdge[];
  corrections: DirectionCorrection[];
}

export interface MergeOptions {
  /** Id of a new edge; default: a name-based UUID (RFC 9562 version 5) of `edgeKey`. */
  newId?: (e: DiscoveredEdge) => string;
}

/** The name of a new edge's id: protocol, client, server endpoint (what the store keys an edge by). */
export const edgeKey = (e: DiscoveredEdge): string =>
  `${e.ip_protocol}|${e.client_ip}|${e.server_ip}|${e.server_port}`;

/** Fixed namespace of FlowLens edge ids (random, chosen once). */
const NAMESPACE = Buffer.from('5b0c6f0e8e2a4d1f9a3c2f7d41e6b8a9', 'hex');

/** RFC 9562 section 5.5: SHA-1 of namespace + name, version 5, variant 10. Same name, same id. */
export function edgeId(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The stored form of a discovered edge (confidence and traffic are not stored: traffic is daily stats). */
export function toDependencyEdge(e: DiscoveredEdge, id: string): DependencyEdge {
  return {
    id,
    client_ip: e.client_ip,
    server_ip: e.server_ip,
    server_port: e.server_port,
    ip_protocol: e.ip_protocol,
    first_seen: e.first_seen,
    last_seen: e.last_seen,
    service_name: e.service_name,
    direction_rule: e.rule,
    confidence: e.confidence,
    idle_since: null,
  };
}

const direction = (e: DependencyEdge): EdgeDirection => ({
  client_ip: e.client_ip,
  server_ip: e.server_ip,
  server_port: e.server_port,
  rule: e.direction_rule,
  confidence: e.confidence ?? RULE_CONFIDENCE[e.direction_rule],
});

/**
 * Does stored edge `e` describe discovered conversation `d`? The store keeps no client port, so: same
 * protocol, same two addresses, and the stored server endpoint is one of the conversation's two endpoints.
 */
function sameConversation(e: DependencyEdge, d: DiscoveredEdge): boolean {
  if (e.ip_protocol !== d.ip_protocol) return false;
  if (e.server_ip === d.server_ip && e.client_ip === d.client_ip && e.server_port === d.server_port)
    return true;
  return e.server_ip === d.client_ip && e.client_ip === d.server_ip && d.client_ports.includes(e.server_port);
}

/** Best stored match first: strongest rule, then the oldest edge, then the id (stable). */
function better(x: DependencyEdge, y: DependencyEdge): number {
  const s = RULE_STRENGTH[y.direction_rule] - RULE_STRENGTH[x.direction_rule];
  if (s !== 0) return s;
  if (x.first_seen !== y.first_seen) return x.first_seen - y.first_seen;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/**
 * Merges discovered edges into stored ones. Same direction: times widen, the stronger rule stays, the
 * name is refreshed. Opposite direction: corrected only when the discovered rule is strictly stronger
 * than the stored one (equal evidence does not flip an edge back and forth between runs; a `given` edge
 * never flips), and the correction is reported. Stored edges not discovered this run are left alone.
 */
export function mergeEdges(
  existing: readonly DependencyEdge[],
  discovered: readonly DiscoveredEdge[],
  options: MergeOptions = {},
): MergeResult {
  const newId = options.newId ?? ((e: DiscoveredEdge) => edgeId(edgeKey(e)));
  // Index stored edges by protocol and unordered address pair; few edges share a pair.
  const byPair = new Map<string, DependencyEdge[]>();
  const pairKey = (proto: number, x: string, y: string): string =>
    x < y ? `${proto}|${x}|${y}` : `${proto}|${y}|${x}`;
  for (const e of existing) {
    const k = pairKey(e.ip_protocol, e.client_ip, e.server_ip);
    byPair.set(k, [...(byPair.get(k) ?? []), e]);
  }
  const result: MergeResult = { edges: [], corrections: [] };
  const used = new Set<string>(); // a stored edge answers for one conversation only
  for (const d of discovered) {
    const candidates = (byPair.get(pairKey(d.ip_protocol, d.client_ip, d.server_ip)) ?? []).filter(
      (e) => !used.has(e.id) && sameConversation(e, d),
    );
    // An edge of this very direction is the conversation's. Reversed edges beside it come from other
    // conversations of the same two hosts (BGP sessions opened from both sides, a service on each host;
    // the store keeps no client port to tell them apart): they are left alone, never removed, so running
    // discovery again over the same days changes nothing. Without one, the best reversed edge is this
    // conversation's, kept or corrected below.
    const direct = candidates.find(
      (e) => e.client_ip === d.client_ip && e.server_ip === d.server_ip && e.server_port === d.server_port,
    );
    const stored = direct ?? [...candidates].sort(better)[0];
    if (stored) used.add(stored.id);
    if (!stored) {
      result.edges.push(toDependencyEdge(d, newId(d)));
      continue;
    }
    // Seen again: no longer idle.
    const widened: DependencyEdge = {
      ...stored,
      first_seen: Math.min(stored.first_seen, d.first_seen),
      last_seen: Math.max(stored.last_seen, d.last_seen),
      idle_since: null,
    };
    const agrees = stored.server_ip === d.server_ip && stored.server_port === d.server_port;
    const stronger = RULE_STRENGTH[d.rule] > RULE_STRENGTH[stored.direction_rule];
    if (agrees) {
      result.edges.push({
        ...widened,
        service_name: d.service_name ?? stored.service_name,
        direction_rule: stronger ? d.rule : stored.direction_rule,
        confidence: stronger ? d.confidence : (stored.confidence ?? RULE_CONFIDENCE[stored.direction_rule]),
      });
    } else if (stronger) {
      const corrected: DependencyEdge = {
        ...widened,
        client_ip: d.client_ip,
        server_ip: d.server_ip,
        server_port: d.server_port,
        service_name: d.service_name,
        direction_rule: d.rule,
        confidence: d.confidence,
      };
      result.edges.push(corrected);
      result.corrections.push({
        id: stored.id,
        at: d.last_seen,
        from: direction(stored),
        to: direction(corrected),
      });
    } else {
      result.edges.push(widened); // weaker or equal contrary evidence: the stored direction stands
    }
  }
  return result;
}
