import { Prng } from '../core/prng.js';

/**
 * One flow as the synthetic exporter puts it on the wire. Every encoder writes exactly these values (or,
 * for sFlow, one sampled packet of the flow), so a decoder's output can be compared field by field.
 * Times are epoch milliseconds (integers).
 */
export interface GenFlow {
  ipVersion: 4 | 6;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  protocol: number;
  packets: number;
  bytes: number;
  /** Cumulative TCP flags of the flow (0 for other protocols). */
  tcpFlags: number;
  tos: number;
  inputIf: number;
  outputIf: number;
  srcAs: number;
  dstAs: number;
  nextHop: string;
  srcMask: number;
  dstMask: number;
  /** 0 ingress, 1 egress. */
  direction: number;
  srcVlan: number;
  dstVlan: number;
  start: number;
  end: number;
  /** Application label (IPFIX applicationName when the variable-length field is on). */
  app: string;
  /** RFC 5103 biflow: the reverse direction of the same record (IPFIX with the `biflow` template on). */
  reverse?: GenReverse;
  /** Cisco NSEL connection record: the responder's counters (NetFlow v9 with the `nsel` template on). */
  responder?: { bytes: number; packets: number };
}

export interface GenReverse {
  /** biflowDirection (IE 239): 0 arbitrary, 1 initiator, 2 reverseInitiator, 3 perimeter. */
  direction: number;
  bytes: number;
  packets: number;
  tcpFlags: number;
}

/** What a simulated flow must say; plainFlow fills in the rest. */
export type FlowCore = Pick<
  GenFlow,
  'srcIp' | 'dstIp' | 'srcPort' | 'dstPort' | 'protocol' | 'packets' | 'bytes' | 'tcpFlags' | 'start' | 'end'
> &
  Partial<GenFlow>;

/**
 * A flow with the fields a simulation does not care about set plainly: interfaces 1 -> 2, no AS, no VLAN,
 * ingress, no next hop, /24 (IPv6 /64) masks, no application; any of them may be given.
 */
export function plainFlow(f: FlowCore): GenFlow {
  const v6 = f.srcIp.includes(':');
  return {
    ipVersion: v6 ? 6 : 4,
    tos: 0,
    inputIf: 1,
    outputIf: 2,
    srcAs: 0,
    dstAs: 0,
    nextHop: v6 ? '::' : '0.0.0.0',
    srcMask: v6 ? 64 : 24,
    dstMask: v6 ? 64 : 24,
    direction: 0,
    srcVlan: 0,
    dstVlan: 0,
    app: '',
    ...f,
  };
}

export interface Service {
  port: number;
  protocol: number;
  app: string;
  weight: number;
  /** Typical request and response packet sizes (IP bytes). */
  reqSize: number;
  respSize: number;
}

/** A small, plausible service mix: web, DNS, databases, SSH, NTP, syslog, ping. */
export const DEFAULT_SERVICES: readonly Service[] = [
  { port: 443, protocol: 6, app: 'https', weight: 40, reqSize: 180, respSize: 1200 },
  { port: 80, protocol: 6, app: 'http', weight: 8, reqSize: 300, respSize: 1100 },
  { port: 53, protocol: 17, app: 'dns', weight: 15, reqSize: 70, respSize: 140 },
  { port: 5432, protocol: 6, app: 'postgresql', weight: 8, reqSize: 200, respSize: 900 },
  { port: 3306, protocol: 6, app: 'mysql', weight: 4, reqSize: 200, respSize: 800 },
  { port: 6379, protocol: 6, app: 'redis', weight: 6, reqSize: 90, respSize: 120 },
  { port: 22, protocol: 6, app: 'ssh', weight: 3, reqSize: 120, respSize: 160 },
  { port: 123, protocol: 17, app: 'ntp', weight: 3, reqSize: 76, respSize: 76 },
  { port: 514, protocol: 17, app: 'syslog', weight: 2, reqSize: 300, respSize: 0 },
  { port: 0, protocol: 1, app: 'icmp', weight: 2, reqSize: 84, respSize: 84 },
];

export interface FlowGeneratorOptions {
  seed?: number;
  /** Number of client hosts (default 200). */
  clients?: number;
  /** Number of server hosts (default 20). */
  servers?: number;
  /** Share of conversations over IPv6, 0..1 (default 0.2). */
  ipv6Share?: number;
  /** Share of flows that are SYN-only probes of random ports with no answer (default 0.01). */
  scanShare?: number;
  services?: readonly Service[];
  /** Longest flow duration in ms (default 60 000). */
  maxDurationMs?: number;
}

const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/**
 * Generates client -> server conversations as flow pairs (request flow, then the server's answer flow),
 * plus a few scan probes. Deterministic for a given seed and sequence of `now` values.
 */
export class FlowGenerator {
  private readonly rng: Prng;
  private readonly clients4: string[] = [];
  private readonly servers4: string[] = [];
  private readonly clients6: string[] = [];
  private readonly servers6: string[] = [];
  private readonly ipv6Share: number;
  private readonly scanShare: number;
  private readonly services: readonly Service[];
  private readonly maxDuration: number;
  /** Server home of each service: a service lives on a few servers, not everywhere. */
  private readonly serviceServers: number[][];
  private pendingAnswer: GenFlow | null = null;

  constructor(opts: FlowGeneratorOptions = {}) {
    this.rng = new Prng(opts.seed ?? 1);
    const nClients = Math.max(1, Math.min(opts.clients ?? 200, 60000));
    const nServers = Math.max(1, Math.min(opts.servers ?? 20, 250));
    for (let i = 0; i < nClients; i++) {
      const a = i + 1;
      this.clients4.push(`10.1.${a >> 8}.${a & 255}`);
      this.clients6.push(`2001:db8:1::${(i + 1).toString(16)}`);
    }
    for (let i = 0; i < nServers; i++) {
      this.servers4.push(`10.2.0.${i + 1}`);
      this.servers6.push(`2001:db8:2::${(i + 1).toString(16)}`);
    }
    this.ipv6Share = opts.ipv6Share ?? 0.2;
    this.scanShare = opts.scanShare ?? 0.01;
    this.services = opts.services ?? DEFAULT_SERVICES;
    this.maxDuration = opts.maxDurationMs ?? 60_000;
    this.serviceServers = this.services.map(() => {
      const n = Math.min(nServers, this.rng.int(1, 3));
      const picks: number[] = [];
      for (let k = 0; k < n; k++) picks.push(this.rng.int(0, nServers - 1));
      return picks;
    });
  }

  /** The next flow, ending 1-3 s before `now` (never after a whole-second export time at or before now). With `ipv4Only`, IPv6 conversations are not produced. */
  next(now: number, ipv4Only = false): GenFlow {
    if (this.pendingAnswer) {
      const a = this.pendingAnswer;
      this.pendingAnswer = null;
      if (!ipv4Only || a.ipVersion === 4) return a;
    }
    const v6 = !ipv4Only && this.rng.chance(this.ipv6Share);
    if (this.rng.chance(this.scanShare)) return this.scan(now, v6);
    const si = this.services.indexOf(this.rng.weighted(this.services));
    const svc = this.services[si];
    const client = this.rng.int(0, this.clients4.length - 1);
    const server = this.rng.pick(this.serviceServers[si]);
    const clientIp = v6 ? this.clients6[client] : this.clients4[client];
    const serverIp = v6 ? this.servers6[server] : this.servers4[server];
    const end = now - this.rng.int(1000, 3000);
    const start = end - this.rng.int(0, this.maxDuration);
    const packets = this.rng.pareto(1, 100_000, 1.1);
    const icmp = svc.protocol === 1;
    const protocol = icmp && v6 ? 58 : svc.protocol;
    const srcPort = icmp ? 0 : this.rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
    // ICMP carries type/code in the destination port by convention (v5/v9): echo request 8/0, v6 128/0.
    const dstPort = icmp ? (v6 ? 128 << 8 : 8 << 8) : svc.port;
    const tcp = protocol === 6;
    const flags = tcp ? TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN : 0;
    const inputIf = this.rng.int(1, 8);
    const outputIf = this.rng.int(9, 16);
    const vlan = this.rng.pick([10, 20, 30, 100]);
    const req: GenFlow = {
      ipVersion: v6 ? 6 : 4,
      srcIp: clientIp,
      dstIp: serverIp,
      srcPort,
      dstPort,
      protocol,
      packets,
      bytes: packets * this.size(svc.reqSize),
      tcpFlags: flags,
      tos: this.rng.pick([0, 0, 0, 0x28, 0xb8]),
      inputIf,
      outputIf,
      srcAs: 0,
      dstAs: this.rng.pick([0, 64512, 64513]),
      nextHop: v6 ? '2001:db8:ffff::1' : '10.0.0.1',
      srcMask: v6 ? 64 : 16,
      dstMask: v6 ? 64 : 24,
      direction: 0,
      srcVlan: vlan,
      dstVlan: vlan,
      start,
      end,
      app: svc.app,
    };
    if (svc.respSize > 0) {
      const rpackets = Math.max(1, Math.round(packets * (0.5 + this.rng.float())));
      this.pendingAnswer = {
        ...req,
        srcIp: serverIp,
        dstIp: clientIp,
        srcPort: icmp ? 0 : svc.port,
        dstPort: icmp ? 0 : srcPort,
        packets: rpackets,
        bytes: rpackets * this.size(svc.respSize),
        inputIf: outputIf,
        outputIf: inputIf,
        srcAs: req.dstAs,
        dstAs: 0,
        srcMask: req.dstMask,
        dstMask: req.srcMask,
        direction: 1,
      };
    }
    return req;
  }

  /** SYN-only probe of a random low port on a random server, never answered. */
  private scan(now: number, v6: boolean): GenFlow {
    const client = this.rng.int(0, this.clients4.length - 1);
    const server = this.rng.int(0, this.servers4.length - 1);
    const t = now - this.rng.int(1000, 3000);
    return plainFlow({
      srcIp: v6 ? this.clients6[client] : this.clients4[client],
      dstIp: v6 ? this.servers6[server] : this.servers4[server],
      srcPort: this.rng.int(EPHEMERAL_LO, EPHEMERAL_HI),
      dstPort: this.rng.int(1, 1024),
      protocol: 6,
      packets: 1,
      bytes: v6 ? 80 : 60,
      tcpFlags: TCP_SYN,
      outputIf: 9,
      nextHop: v6 ? '2001:db8:ffff::1' : '10.0.0.1',
      srcMask: v6 ? 64 : 16,
      srcVlan: 10,
      dstVlan: 10,
      start: t,
      end: t,
      app: 'scan',
    });
  }

  /** Average packet size around the service's typical size, within IP limits. */
  private size(typical: number): number {
    const s = Math.round(typical * (0.6 + 0.8 * this.rng.float()));
    return Math.max(40, Math.min(1500, s));
  }
}
