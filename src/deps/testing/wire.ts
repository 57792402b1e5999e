/**
 * Test helper: puts a truth set's flows on the wire with src/gen's exporters and reads them back with the
 * project's FlowDecoder, as a collector would receive them.
 */
import type { FlowRecord } from '../../core/record.js';
import type { GenFlow, GenProtocol } from '../../gen/index.js';
import { exportFlows } from '../../gen/index.js';
import { FlowDecoder } from '../../normalize/flow-decoder.js';

/** One simulated exporter: its protocol, its address (sFlow: the agent address) and what it announces. */
export interface Via {
  protocol: GenProtocol;
  address: string;
  samplingRate?: number;
  /** IPFIX biflow templates (RFC 5103). */
  biflow?: boolean;
  /** NetFlow v9 NSEL templates (initiator/responder counters). */
  nsel?: boolean;
}

export const VIA = {
  /** A router exporting NetFlow v9, one record per direction. */
  uniflow: { protocol: 'v9', address: '10.255.0.1' },
  /** The router src/gen's ordinary traffic comes from. */
  gen: { protocol: 'v9', address: '10.255.0.2' },
  /** An IPFIX meter exporting RFC 5103 biflows (YAF-like). */
  biflow: { protocol: 'ipfix', address: '10.255.0.3', biflow: true },
  /** A firewall exporting NSEL connection records over NetFlow v9. */
  nsel: { protocol: 'v9', address: '10.255.0.4', nsel: true },
} satisfies Record<string, Via>;

/** An sFlow agent sampling 1 in `rate` packets. */
export const sflowVia = (rate: number): Via => ({
  protocol: 'sflow',
  address: `10.255.1.${rate % 250}`,
  samplingRate: rate,
});

export interface WirePair {
  via: Via;
  /** What the exporter put on the wire (for sFlow: the sampled packet, timed at export). */
  sent: GenFlow;
  /** What the collector decoded from it. */
  got: FlowRecord;
}

/** Every exporter's flows as datagrams, decoded in export order by one FlowDecoder. */
export function throughTheWire(sent: Iterable<{ via: Via; flows: readonly GenFlow[] }>): FlowRecord[] {
  return wirePairs(sent).map((p) => p.got);
}

/** The same, each decoded record beside what was sent. */
export function wirePairs(sent: Iterable<{ via: Via; flows: readonly GenFlow[] }>): WirePair[] {
  const packets = [];
  for (const { via, flows } of sent) {
    const opts = { ...via, agentAddress: via.address, exporterId: 1, counterEvery: 0 };
    for (const p of exportFlows(opts, flows)) packets.push({ p, via });
  }
  // Stable: each exporter's datagrams keep their order (templates first).
  packets.sort((a, b) => a.p.now - b.p.now);
  const dec = new FlowDecoder();
  const out: WirePair[] = [];
  for (const { p, via } of packets) {
    const got = dec.decode({ bytes: p.bytes, exporter: via.address, exporterPort: 2055, receivedAt: p.now });
    if (got.errors.length > 0) throw new Error(`${via.address}: ${JSON.stringify(got.errors)}`);
    if (got.records.length !== p.flows.length)
      throw new Error(`${via.address}: ${p.flows.length} flows sent, ${got.records.length} decoded`);
    for (const [i, r] of got.records.entries()) out.push({ via, sent: p.flows[i], got: r });
  }
  return out;
}
