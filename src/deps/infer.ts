/**
 * Direction inference: 5-minute aggregate rows in, dependency edges out (client -> server:port/protocol
 * with both directions' traffic). Pure: no clock, no store. README.md in this folder states the rules.
 */
import { serviceNameFor, type UserServicePorts } from '../core/services/services.js';
import type { DirectionRule } from '../storage/port.js';
import {
  AddressOrder,
  buildConversations,
  type Conversation,
  type DirectionTotals,
  type Endpoint,
} from './conversations.js';
import { type Decision, decide, type EvidenceContext, RULE_STRENGTH, serviceRank } from './evidence.js';
import { findScanners, scannerProbe, type Verdict, verdict } from './probes.js';
import { WINDOW_MS } from './tier.js';
import type { ConversationRow, DiscoveredEdge } from './types.js';

export interface InferOptions {
  /** The operator's service ports ("port/proto" -> optional name); they outrank IANA's. */
  userPorts?: UserServicePorts;
  /** Distinct peers an endpoint needs before fan-in decides. Default 3. */
  minFanIn?: number;
  /** How many times the other endpoint's peers it needs. Default 2. */
  fanInRatio?: number;
  /** Distinct unanswered targets that make a source a scanner. Default 20. */
  scanMinTargets?: number;
}

/** What was left out and why, and how edges were decided. */
export interface InferReport {
  conversations: number;
  /** Conversations kept and decided. */
  decided: number;
  /** Kept but left undecided: both ports ephemeral and no other evidence (byLowerPort), so no edge. */
  undecided: number;
  edges: number;
  /** Never answered (TCP without an established exchange; one-way to no service port). */
  unanswered: number;
  scanners: string[];
  /** Conversations of scanners dropped besides the unanswered ones (one-way, connect() probes). */
  scannerDropped: number;
  /** Conversations decided by each rule. */
  byRule: Record<DirectionRule, number>;
}

export interface InferResult {
  edges: DiscoveredEdge[];
  report: InferReport;
}

const endpointKey = (proto: number, e: Endpoint): string => `${proto}|${e.ip}|${e.port}`;

/** Distinct peer endpoints per endpoint (port > 0): the fan-in of each listening-socket candidate. */
function fanInCounter(convs: readonly Conversation[]): (proto: number, e: Endpoint) => number {
  const peers = new Map<string, Set<string>>();
  const add = (proto: number, e: Endpoint, peer: Endpoint): void => {
    if (e.port === 0) return;
    const k = endpointKey(proto, e);
    let s = peers.get(k);
    if (!s) {
      s = new Set();
      peers.set(k, s);
    }
    s.add(`${peer.ip}|${peer.port}`);
  };
  for (const c of convs) {
    add(c.proto, c.a, c.b);
    add(c.proto, c.b, c.a);
  }
  return (proto, e) => (e.port === 0 ? 0 : (peers.get(endpointKey(proto, e))?.size ?? 0));
}

/**
 * Folds decided conversations into edges client -> server:port/protocol (what the store keys an edge by):
 * counters summed, times widened, the strongest member's rule and confidence kept.
 */
function toEdges(
  decided: readonly [Conversation, Decision][],
  userPorts: UserServicePorts,
): DiscoveredEdge[] {
  const byKey = new Map<string, DiscoveredEdge>();
  for (const [c, d] of decided) {
    const [client, server, req, resp]: [Endpoint, Endpoint, DirectionTotals, DirectionTotals] =
      d.client === 'a' ? [c.a, c.b, c.ab, c.ba] : [c.b, c.a, c.ba, c.ab];
    const key = `${c.proto}|${client.ip}|${endpointKey(c.proto, server)}`;
    let e = byKey.get(key);
    if (!e) {
      e = {
        conversations: [],
        client_ip: client.ip,
        client_ports: [],
        server_ip: server.ip,
        server_port: server.port,
        ip_protocol: c.proto,
        service_name: server.port === 0 ? null : serviceNameFor(server.port, c.proto, userPorts),
        rule: d.rule,
        confidence: d.confidence,
        request_bytes: 0,
        request_packets: 0,
        request_flows: 0,
        response_bytes: 0,
        response_packets: 0,
        response_flows: 0,
        sessions: 0,
        first_seen: c.first,
        last_seen: 0,
      };
      byKey.set(key, e);
    }
    e.conversations.push(c.key);
    if (!e.client_ports.includes(client.port)) e.client_ports.push(client.port);
    if (RULE_STRENGTH[d.rule] > RULE_STRENGTH[e.rule]) {
      e.rule = d.rule;
      e.confidence = d.confidence;
    }
    e.request_bytes += req.bytes;
    e.request_packets += req.packets;
    e.request_flows += req.flows;
    e.response_bytes += resp.bytes;
    e.response_packets += resp.packets;
    e.response_flows += resp.flows;
    e.sessions += req.sessions;
    e.first_seen = Math.min(e.first_seen, c.first);
    e.last_seen = Math.max(e.last_seen, c.last + WINDOW_MS);
  }
  const edges = [...byKey.values()];
  for (const e of edges) {
    e.conversations.sort();
    e.client_ports.sort((x, y) => x - y);
  }
  return edges;
}

/**
 * Infers the edges of the answered conversations. Rows may come in any order and from several exporters;
 * conversations are decided in key order, so the same rows always give the same edges.
 */
export function inferEdges(rows: Iterable<ConversationRow>, options: InferOptions = {}): InferResult {
  const userPorts = options.userPorts ?? new Map();
  const order = new AddressOrder();
  const convs = buildConversations(rows, order).sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const verdicts: Verdict[] = convs.map(verdict);
  const scanners = findScanners(convs, verdicts, options);
  const report: InferReport = {
    conversations: convs.length,
    decided: 0,
    undecided: 0,
    edges: 0,
    unanswered: 0,
    scanners: [...scanners].sort(),
    scannerDropped: 0,
    byRule: { biflow: 0, tcp_flags: 0, service_port: 0, fan_in: 0, lower_port: 0, given: 0 },
  };
  const kept: Conversation[] = [];
  convs.forEach((c, i) => {
    const v = verdicts[i];
    if (v === 'unanswered') {
      report.unanswered++;
      return;
    }
    if (v === 'one_way') {
      const service = Math.max(
        serviceRank(c.a.port, c.proto, userPorts),
        serviceRank(c.b.port, c.proto, userPorts),
      );
      const sender = c.ab.seen ? c.a.ip : c.b.ip;
      // One direction only and no known service port: nothing says anyone listened (a stray or a probe).
      if (service === 0) {
        report.unanswered++;
        return;
      }
      if (scanners.has(sender)) {
        report.scannerDropped++;
        return;
      }
    } else if (scannerProbe(c, scanners)) {
      report.scannerDropped++;
      return;
    }
    kept.push(c);
  });
  const ctx: EvidenceContext = {
    userPorts,
    fanIn: fanInCounter(kept),
    minFanIn: options.minFanIn ?? 3,
    fanInRatio: options.fanInRatio ?? 2,
  };
  const decided: [Conversation, Decision][] = [];
  for (const c of kept) {
    const d = decide(c, ctx);
    if (!d) {
      report.undecided++;
      continue;
    }
    report.byRule[d.rule]++;
    decided.push([c, d]);
  }
  report.decided = decided.length;
  const edges = toEdges(decided, userPorts);
  report.edges = edges.length;
  return { edges, report };
}
