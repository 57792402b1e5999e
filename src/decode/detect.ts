import type { ProtocolType } from '../core/record.js';

const V5_HEADER = 24;
const V5_RECORD = 48;
const V5_MAX_COUNT = 30;

/**
 * Which export protocol a datagram carries, by its content only: exporters send to any port (the corpus
 * has NetFlow v5 sent to the sFlow port 6343), so the port is never used.
 *
 * - NetFlow v5: version 0x0005, at least a header, and a length of 24 + 48·n or a plausible header count
 *   (<= 30, the v5 maximum) so a truncated real datagram is still decoded (and reported) as v5.
 * - NetFlow v9: version 0x0009 and room for the 20-byte header (RFC 3954 section 5.1).
 * - IPFIX: version 0x000a and the message length field equal to the datagram length (RFC 7011 section 3.1).
 * - sFlow v5: 32-bit version 5 and agent address type 1 (IPv4) or 2 (IPv6) (sFlow v5 spec, datagram header).
 */
export function detectProtocol(b: Uint8Array): ProtocolType | null {
  if (b.length < 4) return null;
  const v16 = (b[0] << 8) | b[1];
  switch (v16) {
    case 5: {
      if (b.length < V5_HEADER) return null;
      const count = (b[2] << 8) | b[3];
      if ((b.length - V5_HEADER) % V5_RECORD === 0 || count <= V5_MAX_COUNT) return 'netflow_v5';
      return null;
    }
    case 9:
      return b.length >= 20 ? 'netflow_v9' : null;
    case 10:
      return b.length >= 16 && ((b[2] << 8) | b[3]) === b.length ? 'ipfix' : null;
    case 0: {
      if (b.length < 8 || b[2] !== 0 || b[3] !== 5) return null;
      const agentType = ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
      return agentType === 1 || agentType === 2 ? 'sflow_v5' : null;
    }
    default:
      return null;
  }
}
