import type { BiflowTotals, Confidence, DirectionRule } from '../storage/port.js';

export type { Confidence };

/**
 * One row of the 5-minute aggregate tier (src/jobs/README.md), as far as discovery reads it. The ports are
 * the tier's: the client's ephemeral port is already collapsed to 0 by `collapsePorts`. Rows of several
 * exporters for the same conversation may all be given; they are summed, like the daily rollup does.
 */
export interface ConversationRow {
  window_start: number;
  /**
   * A row summed over windows (FlowStore.conversationTotals): the last window's start (window_start is
   * then the first's) and how many of the summed rows had SYN without ACK. Absent: one window's row.
   */
  window_last?: number;
  syn_no_ack_rows?: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  ip_protocol: number;
  flow_count: number;
  /** Estimated real traffic (scaled by the sampling rate), as the tier stores it. */
  bytes_total: number;
  packets_total: number;
  /** OR of the TCP flags of every flow in the row (0 when the exporter sent none). */
  tcp_flags_observed: number;
  /** Flows of the row with SYN set (TCP only). */
  new_sessions: number;
  exporter_ip?: string;
  /** Initiator and reverse-direction evidence of biflow exporters, when the row was built with it. */
  biflow?: BiflowEvidence;
}

/** A row's biflow evidence: the aggregate tier's fields (storage/port.ts BiflowTotals), summed over its flows. */
export interface BiflowEvidence extends BiflowTotals {
  /**
   * A row summed over windows (FlowStore.conversationTotals): how many of the summed rows had reverse
   * flags with SYN but not ACK. Absent: one window's row (its reverse_tcp_flags tell).
   */
  reverse_syn_no_ack_rows?: number;
}

/**
 * A discovered dependency: client -> server:port/protocol with both directions' traffic. It gathers the
 * conversations (port pairs) whose direction came out as this client and server endpoint: usually one
 * (client port collapsed to 0), one per connection where the tier kept both ports.
 */
export interface DiscoveredEdge {
  /** Unordered conversation keys (protocol, both endpoints), sorted; each belongs to exactly one edge. */
  conversations: string[];
  client_ip: string;
  /** The aggregate tier's client ports, sorted: [0] when collapsed (the usual case). */
  client_ports: number[];
  server_ip: string;
  /** 0 only when stronger evidence made the collapsed side the server (see README "Collapsed ports"). */
  server_port: number;
  ip_protocol: number;
  service_name: string | null;
  /** The strongest rule among the conversations, and its confidence. */
  rule: DirectionRule;
  confidence: Confidence;
  request_bytes: number;
  request_packets: number;
  request_flows: number;
  response_bytes: number;
  response_packets: number;
  response_flows: number;
  /** Flows with SYN from the client (TCP): connections opened. The server's SYN-ACKs are not counted. */
  sessions: number;
  /** First active window's start and last active window's end (epoch ms). */
  first_seen: number;
  last_seen: number;
}
