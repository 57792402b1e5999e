/**
 * Test helper: a synthetic network whose client/server roles are known. Sessions become flows the way each
 * kind of exporter would report them (uniflow pairs, mid-stream records, per-packet sFlow samples, IPFIX
 * biflows, NSEL connection records, probes); src/gen's exporters put them on the wire and the project's
 * FlowDecoder reads them back, so discovery sees what a collector would have stored. Every conversation's
 * truth is recorded under the key discovery will give it (tier ports, i.e. after collapsePorts).
 */
import { Prng } from '../../core/prng.js';
import type { FlowRecord } from '../../core/record.js';
import { type GenFlow, type GenReverse, plainFlow } from '../../gen/index.js';
import { AddressOrder, conversationKey } from '../conversations.js';
import { collapsePorts, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, WINDOW_MS } from '../tier.js';
import { sflowVia, VIA, type Via, type WirePair, wirePairs } from './wire.js';

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
  readonly truth = new Map<string, Truth>();
  /** What each exporter was given to send, by address. */
  private readonly sent = new Map<string, { via: Via; flows: GenFlow[] }>();
  private decoded: WirePair[] | null = null;
  private records: FlowRecord[] | null = null;
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

  /** The flows as the collector decoded them from the exporters' datagrams (computed once, on first use). */
  get flows(): FlowRecord[] {
    this.records ??= this.wire.map((p) => p.got);
    return this.records;
  }

  /** Each decoded flow beside what its exporter sent. */
  get wire(): WirePair[] {
    this.decoded ??= wirePairs(this.sent.values());
    return this.decoded;
  }

  /** Hands a flow to the exporter `via` (before `flows` is first read). */
  send(via: Via, g: GenFlow): void {
    if (this.decoded) throw new Error('the truth set was already put on the wire');
    let e = this.sent.get(via.address);
    if (!e) {
      e = { via, flows: [] };
      this.sent.set(via.address, e);
    }
    e.flows.push(g);
  }

  flow(
    via: Via,
    f: {
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
      reverse?: GenReverse;
      responder?: GenFlow['responder'];
    },
  ): void {
    this.send(
      via,
      plainFlow({
        srcIp: f.src,
        dstIp: f.dst,
        srcPort: f.sport,
        dstPort: f.dport,
        protocol: f.proto,
        packets: f.packets,
        bytes: f.bytes,
        tcpFlags: f.proto === 6 ? (f.flags ?? 0) : 0,
        start: f.start,
        end: f.end,
        reverse: f.reverse,
        responder: f.responder,
      }),
    );
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
        const reverse = { direction: reversed ? 2 : 1, packets: rp, bytes: rb, tcpFlags: tcp ? rf : 0 };
        this.flow(VIA.biflow, { ...dir, ...base, packets: p, bytes: b, flags: f, reverse });
      } else if (s.style === 'nsel') {
        // NSEL records carry no TCP flags: what the firewall knows is who initiated.
        const responder = { packets: resp, bytes: resp * 1200 };
        this.flow(VIA.nsel, { ...fwd, ...base, packets: req, bytes: req * 200, flags: null, responder });
      } else {
        this.flow(VIA.uniflow, { ...fwd, ...base, packets: req, bytes: req * 200, flags: cFlags });
        if (s.style !== 'one_way')
          this.flow(VIA.uniflow, { ...rev, ...base, packets: resp, bytes: resp * 1200, flags: sFlags });
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
        this.flow(sflowVia(rate), {
          src,
          dst,
          sport,
          dport,
          proto: s.proto,
          start: t,
          end: t,
          packets: 1,
          bytes: size,
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
    if (s.style === 'probe') this.flow(VIA.uniflow, { ...fwd, ...one, flags: synFlags });
    if (s.style === 'refused') {
      this.flow(VIA.uniflow, { ...fwd, ...one, flags: TCP_SYN });
      this.flow(VIA.uniflow, { ...rev, ...one, flags: TCP_RST | TCP_ACK });
    }
    if (s.style === 'half_open') {
      this.flow(VIA.uniflow, { ...fwd, ...one, packets: 2, flags: TCP_SYN | TCP_RST });
      this.flow(VIA.uniflow, { ...rev, ...one, flags: TCP_SYN | TCP_ACK });
    }
    if (s.style === 'connect_probe') {
      this.flow(VIA.uniflow, { ...fwd, ...one, packets: 3, flags: TCP_SYN | TCP_ACK | TCP_RST });
      this.flow(VIA.uniflow, { ...rev, ...one, flags: TCP_SYN | TCP_ACK });
    }
  }
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
