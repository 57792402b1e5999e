/**
 * Test helper: one TCP conversation as an exporter reports it, the request and the answer (both with the
 * flags of a whole session: SYN, ACK, PSH, FIN), from one IPFIX exporter, unsampled.
 */
import { emptyRecord, type FlowRecord } from '../../core/record.js';

export interface ConversationSpec {
  client: string;
  server: string;
  /** The client's (ephemeral) source port. */
  sport: number;
  /** The server's port. */
  port: number;
  /** Flow start, epoch ms. */
  at: number;
  /** Request bytes; the answer carries four times as much. */
  bytes?: number;
}

const SESSION_FLAGS = 0x02 | 0x10 | 0x08 | 0x01;

export function conversationFlows(c: ConversationSpec): FlowRecord[] {
  const bytes = c.bytes ?? 1000;
  const one = (src: string, dst: string, sp: number, dp: number, b: number): FlowRecord => ({
    ...emptyRecord('ipfix', '192.0.2.1', c.at + 2000),
    flow_start: c.at,
    flow_end: c.at + 1000,
    src_ip: src,
    dst_ip: dst,
    src_port: sp,
    dst_port: dp,
    ip_protocol: 6,
    bytes_total: b,
    packets_total: Math.max(1, Math.ceil(b / 500)),
    tcp_flags: SESSION_FLAGS,
  });
  return [
    one(c.client, c.server, c.sport, c.port, bytes),
    one(c.server, c.client, c.port, c.sport, bytes * 4),
  ];
}
