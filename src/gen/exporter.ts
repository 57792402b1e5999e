import type { EncodedPacket, PacketEncoder } from './encoder.js';
import { FlowGenerator, type FlowGeneratorOptions, type GenFlow } from './flows.js';
import { IpfixEncoder } from './ipfix.js';
import { V5Encoder } from './netflow5.js';
import { V9Encoder } from './netflow9.js';
import { SflowEncoder } from './sflow.js';

export type GenProtocol = 'v5' | 'v9' | 'ipfix' | 'sflow';
export const GEN_PROTOCOLS: readonly GenProtocol[] = ['v5', 'v9', 'ipfix', 'sflow'];

export interface ExporterOptions {
  protocol: GenProtocol;
  /** v5 engine id, v9 source id, IPFIX observation domain id, sFlow sub-agent id (default 0). */
  exporterId?: number;
  /** PRNG seed: same seed and same `now` sequence give the same datagrams (default 1). */
  seed?: number;
  /** 1:N packet sampling announced by the exporter; 1 = unsampled (default 1; sFlow default 1000). */
  samplingRate?: number;
  /** Largest datagram (UDP payload) in bytes (default 1400, at least 512). */
  mtu?: number;
  /** Upper bound of flow records (sFlow: flow samples) per datagram; v5 is capped at 30 anyway. */
  maxRecordsPerPacket?: number;
  /** v9 / IPFIX: (re)send templates in the first datagram and every N datagrams after it (default 20). */
  templateRefresh?: number;
  /** IPFIX: add the variable-length applicationName field (default false). */
  variableLength?: boolean;
  /** IPFIX: announce RFC 5103 biflow templates too, for flows that carry `reverse` (default false). */
  biflow?: boolean;
  /** v9: announce Cisco NSEL templates too, for flows that carry `responder` (default false). */
  nsel?: boolean;
  /** sFlow: agent address in the datagram header (default 192.0.2.1). */
  agentAddress?: string;
  /** sFlow: use expanded flow samples (format 3) (default false). */
  expandedSamples?: boolean;
  /** sFlow: a counter sample round every N datagrams, 0 = none (default 10). */
  counterEvery?: number;
  /** Epoch ms the simulated device booted (default: one hour before the first `now`). */
  bootTime?: number;
  /** Traffic shape (clients, servers, IPv6 share, scans); its seed defaults to `seed`. */
  traffic?: FlowGeneratorOptions;
}

export interface Tally {
  flows: number;
  packets: number;
  bytes: number;
}

/** Exact account of everything the exporter has put on the wire. */
export interface GenTotals {
  protocol: GenProtocol;
  datagrams: number;
  /** Sum of datagram sizes (UDP payload bytes). */
  wireBytes: number;
  /** Flow records (sFlow: flow samples), and the packet / byte counters they carry (unscaled). */
  flows: number;
  packets: number;
  bytes: number;
  ipv4Flows: number;
  ipv6Flows: number;
  /** Per IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  byIpProtocol: Record<number, Tally>;
  /** Template records (data + options templates) and options data records sent (v9/IPFIX). */
  templates: number;
  optionsRecords: number;
  /** sFlow counter samples sent. */
  counterSamples: number;
}

export interface GenPacket extends EncodedPacket {
  /** What the datagram's flow records (sFlow: flow samples) say, in order. */
  flows: GenFlow[];
}

export interface Exporter {
  readonly protocol: GenProtocol;
  readonly samplingRate: number;
  /** The next datagram, exported at `now` (epoch ms, integer). */
  nextPacket(now: number): Uint8Array;
  /** The next datagram with the flows it carries; at most `limit` flow records when given. */
  next(now: number, limit?: number): GenPacket;
  totals(): GenTotals;
}

function emptyTotals(protocol: GenProtocol): GenTotals {
  return {
    protocol,
    datagrams: 0,
    wireBytes: 0,
    flows: 0,
    packets: 0,
    bytes: 0,
    ipv4Flows: 0,
    ipv6Flows: 0,
    byIpProtocol: {},
    templates: 0,
    optionsRecords: 0,
    counterSamples: 0,
  };
}

class SyntheticExporter implements Exporter {
  private encoder: PacketEncoder | null = null;
  private readonly generator: FlowGenerator;
  private carry: GenFlow | null = null;
  private readonly t: GenTotals;
  private readonly maxRecords: number;
  readonly samplingRate: number;

  constructor(private readonly opts: ExporterOptions) {
    this.generator = new FlowGenerator({ seed: opts.seed ?? 1, ...opts.traffic });
    this.t = emptyTotals(opts.protocol);
    this.maxRecords = Math.max(1, opts.maxRecordsPerPacket ?? Number.MAX_SAFE_INTEGER);
    this.samplingRate = samplingRateOf(opts);
  }

  get protocol(): GenProtocol {
    return this.opts.protocol;
  }

  nextPacket(now: number): Uint8Array {
    return this.next(now).bytes;
  }

  next(now: number, limit = Number.MAX_SAFE_INTEGER): GenPacket {
    if (!Number.isInteger(now)) throw new Error('now must be an integer epoch ms');
    const max = Math.max(1, Math.min(this.maxRecords, limit));
    this.encoder ??= createEncoder(this.opts, { samplingRate: this.samplingRate, now });
    const enc = this.encoder;
    enc.begin(now);
    const flows: GenFlow[] = [];
    while (flows.length < max) {
      const flow = this.carry ?? this.generator.next(now, enc.ipv4Only);
      this.carry = null;
      const written = enc.add(flow);
      if (!written) {
        if (flows.length === 0) throw new Error('a single flow does not fit in the datagram: raise mtu');
        this.carry = flow;
        break;
      }
      flows.push(written);
    }
    const out = enc.finish();
    this.account(out, flows);
    return { ...out, flows };
  }

  private account(out: EncodedPacket, flows: GenFlow[]): void {
    const t = this.t;
    t.datagrams++;
    t.wireBytes += out.bytes.length;
    t.templates += out.templates;
    t.optionsRecords += out.optionsRecords;
    t.counterSamples += out.counterSamples;
    for (const f of flows) {
      t.flows++;
      t.packets += f.packets;
      t.bytes += f.bytes;
      if (f.ipVersion === 4) t.ipv4Flows++;
      else t.ipv6Flows++;
      let p = t.byIpProtocol[f.protocol];
      if (!p) {
        p = { flows: 0, packets: 0, bytes: 0 };
        t.byIpProtocol[f.protocol] = p;
      }
      p.flows++;
      p.packets += f.packets;
      p.bytes += f.bytes;
    }
  }

  totals(): GenTotals {
    const byIpProtocol: Record<number, Tally> = {};
    for (const [k, v] of Object.entries(this.t.byIpProtocol)) byIpProtocol[Number(k)] = { ...v };
    return { ...this.t, byIpProtocol };
  }
}

/** The 1:N rate an exporter announces: its option, else 1 (sFlow: 1000). */
export function samplingRateOf(o: ExporterOptions): number {
  return Math.max(1, Math.floor(o.samplingRate ?? (o.protocol === 'sflow' ? 1000 : 1)));
}

/** The packet builder of `o.protocol`, its first datagram exported at `at.now`. */
export function createEncoder(o: ExporterOptions, at: { samplingRate: number; now: number }): PacketEncoder {
  const now = at.now;
  const base = {
    exporterId: o.exporterId ?? 0,
    samplingRate: at.samplingRate,
    mtu: Math.max(512, o.mtu ?? 1400),
    bootTime: o.bootTime ?? now - 3_600_000,
  };
  if (base.bootTime > now - 5000) throw new Error('bootTime must be at least 5 s before the first packet');
  switch (o.protocol) {
    case 'v5':
      return new V5Encoder(base);
    case 'v9':
      return new V9Encoder({ ...base, templateRefresh: o.templateRefresh ?? 20, nsel: o.nsel });
    case 'ipfix':
      return new IpfixEncoder({
        ...base,
        templateRefresh: o.templateRefresh ?? 20,
        variableLength: o.variableLength ?? false,
        biflow: o.biflow,
      });
    case 'sflow':
      return new SflowEncoder({
        ...base,
        agentAddress: o.agentAddress ?? '192.0.2.1',
        expanded: o.expandedSamples ?? false,
        counterEvery: o.counterEvery ?? 10,
      });
    default:
      throw new Error(`unknown protocol ${String(o.protocol)}`);
  }
}

/** A simulated flow exporter of one protocol; see ExporterOptions. */
export function createExporter(opts: ExporterOptions): Exporter {
  return new SyntheticExporter(opts);
}
