/**
 * Test helper: a synthetic network whose client/server roles are known. Sessions become raw FlowRecords
 * the way each kind of exporter would report them (uniflow pairs, mid-stream records, per-packet sFlow
 * samples, IPFIX biflows, NSEL connection records, probes), and every conversation's truth is recorded
 * under the key discovery will give it (tier ports, i.e. after collapsePorts).
 */
import { Prng } from '../../core/prng.js';
import { emptyRecord, type FlowRecord, type ProtocolType } from '../../core/record.js';
import type { GenFlow } from '../../gen/flows.js';
import { AddressOrder, conversationKey } from '../conversations.js';
import { collapsePorts, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, WINDOW_MS } from '../tier.js';

/** dependency: must give this edge; probe: must give none; peer: both ends are servers (one edge, by convention). */
export type TruthKind = 'dependency' | 'probe' | 'peer';

export interface Truth {
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  proto: number;
  kind: TruthKind;
  label: string;
}

export type Style =
  | 'uniflow' // NetFlow v9: one record per direction per 5-minute chunk, SYN in the first, FIN in the last
  | 'midstream' // the same, seen after the handshake: no SYN anywhere
  | 'sampled' // sFlow: one record per sampled packet, 1 in `rate`
  | 'biflow' // IPFIX RFC 5103: one record per chunk, source = client, biflowDirection 1
  | 'biflow_reversed' // the same with source = server, biflowDirection 2 (reverseInitiator)
  | 'nsel' // Cisco NSEL: source = initiator, responderOctets/Packets, no flags
  | 'probe' // a bare SYN (or UDP datagram), never answered
  | 'refused' // SYN answered by RST-ACK (closed port)
  | 'half_open' // SYN scan of an open port: SYN-ACK, then the prober's RST
  | 'connect_probe' // connect() scan: full handshake, then RST, no data
  | 'one_way'; // UDP requests with no response (syslog)

export interface SessionSpec {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  proto: 6 | 17;
  start: number;
  durationMs: number;
  reqPackets: number;
  respPackets: number;
  style: Style;
  label: string;
  kind?: TruthKind;
  /** sFlow sampling rate (style 'sampled'). */
  rate?: number;
}

const UNANSWERED: readonly Style[] = ['probe', 'refused', 'half_open', 'connect_probe'];

export class TruthNet {
  readonly flows: FlowRecord[] = [];
  readonly truth = new Map<string, Truth>();
  private readonly order = new AddressOrder();
  readonly rng: Prng;

  constructor(seed = 1) {
    this.rng = new Prng(seed);
  }

  /** The conversation key discovery gives this client/server pair (ports as the aggregate tier keeps them). */
  keyOf(t: Pick<Truth, 'client_ip' | 'client_port' | 'server_ip' | 'server_port' | 'proto'>): string {
    const [cp, sp] = collapsePorts(t.client_port, t.server_port, t.proto);
    const c = { ip: t.client_ip, port: cp };
    const s = { ip: t.server_ip, port: sp };
    return this.order.compare(c, s) < 0 ? conversationKey(t.proto, c, s) : conversationKey(t.proto, s, c);
  }

  /** Records a conversation's truth; a real dependency outranks a probe of the same conversation. */
  note(t: Truth): void {
    const k = this.keyOf(t);
    const old = this.truth.get(k);
    if (old && old.kind !== 'probe' && t.kind === 'probe') return;
    if (old && old.kind === t.kind && (old.client_ip !== t.client_ip || old.server_ip !== t.server_ip)) {
      throw new Error(`truth set contradicts itself for ${k}: ${old.label} / ${t.label}`);
    }
    this.truth.set(k, t);
  }

  flow(f: {
    src: string;
    dst: string;
    sport: number;
    dport: number;
    proto: number;
    start: number;
    end: number;
    packets: number;
    bytes: number;
    flags: number | null;
    type?: ProtocolType;
    rate?: number;
    ext?: Record<string, unknown>;
  }): void {
    const r = emptyRecord(f.type ?? 'netflow_v9', '10.255.0.1', f.end + 1000);
    Object.assign(r, {
      flow_start: f.start,
      flow_end: f.end,
      src_ip: f.src,
      dst_ip: f.dst,
      src_port: f.sport,
      dst_port: f.dport,
      ip_protocol: f.proto,
      packets_total: f.packets,
      bytes_total: f.bytes,
      tcp_flags: f.proto === 6 ? f.flags : null,
      sampling_rate: f.rate ?? 1,
    });
    Object.assign(r.extended_fields, f.ext ?? {});
    this.flows.push(r);
  }

  session(s: SessionSpec): void {
    this.note({
      client_ip: s.client,
      client_port: s.clientPort,
      server_ip: s.server,
      server_port: s.serverPort,
      proto: s.proto,
      kind: s.kind ?? (UNANSWERED.includes(s.style) ? 'probe' : 'dependency'),
      label: s.label,
    });
    if (s.style === 'sampled') this.sampled(s);
    else if (UNANSWERED.includes(s.style)) this.probe(s);
    else this.chunks(s);
  }

  /** Records cut at 5-minute boundaries (an active timeout), so long sessions span several windows. */
  private chunks(s: SessionSpec): void {
    const n = Math.max(1, Math.ceil(s.durationMs / WINDOW_MS));
    const tcp = s.proto === 6;
    for (let i = 0; i < n; i++) {
      const start = s.start + i * WINDOW_MS;
      const end = Math.min(s.start + s.durationMs, start + WINDOW_MS - 1);
      const req = Math.max(1, Math.round(s.reqPackets / n));
      const resp = Math.max(1, Math.round(s.respPackets / n));
      const open = i === 0 && s.style !== 'midstream' ? TCP_SYN : 0;
      const close = i === n - 1 && s.style !== 'midstream' ? TCP_FIN : 0;
      const cFlags = tcp ? open | TCP_ACK | TCP_PSH | close : 0;
      const sFlags = tcp ? open | TCP_ACK | TCP_PSH | close : 0;
      const fwd = { src: s.client, dst: s.server, sport: s.clientPort, dport: s.serverPort };
      const rev = { src: s.server, dst: s.client, sport: s.serverPort, dport: s.clientPort };
      const base = { proto: s.proto, start, end };
      if (s.style === 'biflow' || s.style === 'biflow_reversed') {
        const reversed = s.style === 'biflow_reversed';
        const [dir, p, b, f, rp, rb, rf] = reversed
          ? [rev, resp, resp * 1200, sFlags, req, req * 200, cFlags]
          : [fwd, req, req * 200, cFlags, resp, resp * 1200, sFlags];
        const ext = {
          biflowDirection: reversed ? 2 : 1,
          reversePacketDeltaCount: rp,
          reverseOctetDeltaCount: rb,
          reverseTcpControlBits: tcp ? rf : undefined,
        };
        this.flow({ ...dir, ...base, packets: p, bytes: b, flags: f, type: 'ipfix', ext });
      } else if (s.style === 'nsel') {
        const ext = { responderPackets: resp, responderOctets: resp * 1200 };
        this.flow({ ...fwd, ...base, packets: req, bytes: req * 200, flags: null, type: 'ipfix', ext });
      } else {
        this.flow({ ...fwd, ...base, packets: req, bytes: req * 200, flags: cFlags });
        if (s.style !== 'one_way')
          this.flow({ ...rev, ...base, packets: resp, bytes: resp * 1200, flags: sFlags });
      }
    }
  }

  /** sFlow: each packet is sampled with probability 1/rate and becomes a one-packet record. */
  private sampled(s: SessionSpec): void {
    const rate = s.rate ?? 64;
    const tcp = s.proto === 6;
    const side = (n: number, client: boolean): void => {
      for (let i = 0; i < n; i++) {
        if (!this.rng.chance(1 / rate)) continue;
        const t = s.start + Math.floor((s.durationMs * i) / n);
        let flags = TCP_ACK | (i % 4 === 0 ? TCP_PSH : 0);
        if (i === 0) flags = client ? TCP_SYN : TCP_SYN | TCP_ACK;
        if (i === n - 1) flags = TCP_FIN | TCP_ACK;
        const [src, dst, sport, dport] = client
          ? [s.client, s.server, s.clientPort, s.serverPort]
          : [s.server, s.client, s.serverPort, s.clientPort];
        const size = client ? 200 : 1400;
        this.flow({
          src,
          dst,
          sport,
          dport,
          proto: s.proto,
          start: t,
          end: t,
          packets: 1,
          bytes: size,
          rate,
          type: 'sflow_v5',
          flags: tcp ? flags : null,
        });
      }
    };
    side(s.reqPackets, true);
    side(s.respPackets, false);
  }

  private probe(s: SessionSpec): void {
    const t = s.start;
    const fwd = { src: s.client, dst: s.server, sport: s.clientPort, dport: s.serverPort, proto: s.proto };
    const rev = { src: s.server, dst: s.client, sport: s.serverPort, dport: s.clientPort, proto: s.proto };
    const one = { start: t, end: t + 1, packets: 1, bytes: 60 };
    const synFlags = s.proto === 6 ? TCP_SYN : null;
    if (s.style === 'probe') this.flow({ ...fwd, ...one, flags: synFlags });
    if (s.style === 'refused') {
      this.flow({ ...fwd, ...one, flags: TCP_SYN });
      this.flow({ ...rev, ...one, flags: TCP_RST | TCP_ACK });
    }
    if (s.style === 'half_open') {
      this.flow({ ...fwd, ...one, packets: 2, flags: TCP_SYN | TCP_RST });
      this.flow({ ...rev, ...one, flags: TCP_SYN | TCP_ACK });
    }
    if (s.style === 'connect_probe') {
      this.flow({ ...fwd, ...one, packets: 3, flags: TCP_SYN | TCP_ACK | TCP_RST });
      this.flow({ ...rev, ...one, flags: TCP_SYN | TCP_ACK });
    }
  }
}

/** A flow of src/gen's synthetic exporter as the canonical record a decoder gives for it. */
export function genFlowToRecord(g: GenFlow, rate = 1): FlowRecord {
  const r = emptyRecord('netflow_v9', '10.255.0.2', g.end + 1000);
  return Object.assign(r, {
    flow_start: g.start,
    flow_end: g.end,
    src_ip: g.srcIp,
    dst_ip: g.dstIp,
    src_port: g.srcPort,
    dst_port: g.dstPort,
    ip_protocol: g.protocol,
    bytes_total: g.bytes,
    packets_total: g.packets,
    tcp_flags: g.protocol === 6 ? g.tcpFlags : null,
    input_interface: g.inputIf,
    output_interface: g.outputIf,
    direction: g.direction,
    sampling_rate: rate,
  });
}

/**
 * The truth of a src/gen flow: its generator makes request flows (direction 0, client -> service port)
 * answered by flows with direction 1, and SYN-only scan probes (app 'scan'). ICMP names no service.
 */
export function genFlowTruth(g: GenFlow): Truth | null {
  if (g.protocol !== 6 && g.protocol !== 17) return null;
  const answer = g.direction === 1;
  const [c, cp, s, sp] = answer
    ? [g.dstIp, g.dstPort, g.srcIp, g.srcPort]
    : [g.srcIp, g.srcPort, g.dstIp, g.dstPort];
  const kind: TruthKind = g.app === 'scan' ? 'probe' : 'dependency';
  return {
    client_ip: c,
    client_port: cp,
    server_ip: s,
    server_port: sp,
    proto: g.protocol,
    kind,
    label: `gen ${g.app}`,
  };
}
