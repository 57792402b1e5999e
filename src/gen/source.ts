import {
  createExporter,
  type Exporter,
  type ExporterOptions,
  type GenProtocol,
  type GenTotals,
} from './exporter.js';
import type { GenFlow } from './flows.js';

export interface SourceExporter extends ExporterOptions {
  /** Address the datagrams claim to come from (default 192.0.2.<n+1>). */
  address?: string;
  /** UDP source port (default 50000 + n). */
  port?: number;
}

export interface PacketSourceOptions {
  /** One or more simulated exporters; datagrams are taken from them in turn. */
  exporters: SourceExporter[];
  /** Virtual clock: epoch ms of the first datagram (default: Date.now() at construction, whole ms). */
  start?: number;
  /** Virtual clock: datagrams per second across all exporters (default 1000); time advances per datagram. */
  packetsPerSecond?: number;
}

/** A ready datagram: the shape of decode's Datagram plus what it carries. */
export interface SourcePacket {
  bytes: Uint8Array;
  exporter: string;
  exporterPort: number;
  /** The (virtual or given) time it was exported, epoch ms. */
  receivedAt: number;
  protocol: GenProtocol;
  flows: GenFlow[];
}

export interface SourceTotals {
  /** Sum over all exporters (protocol of the first exporter when they are mixed; see byExporter). */
  all: Omit<GenTotals, 'protocol'>;
  byExporter: (GenTotals & { address: string; port: number })[];
}

/**
 * Datagrams from a set of simulated exporters, on a virtual clock unless the caller passes `now`. Feed
 * `next()` straight into FlowDecoder.decode(): it has the Datagram fields. Totals are exact.
 */
export class PacketSource {
  private readonly exporters: { exp: Exporter; address: string; port: number }[];
  private turn = 0;
  private sent = 0;
  private readonly start: number;
  private readonly intervalMs: number;

  constructor(opts: PacketSourceOptions) {
    if (opts.exporters.length === 0) throw new Error('PacketSource needs at least one exporter');
    this.exporters = opts.exporters.map((o, i) => ({
      exp: createExporter({ seed: i + 1, exporterId: i, ...o }),
      address: o.address ?? `192.0.2.${i + 1}`,
      port: o.port ?? 50000 + i,
    }));
    this.start = Math.floor(opts.start ?? Date.now());
    this.intervalMs = 1000 / Math.max(1e-6, opts.packetsPerSecond ?? 1000);
  }

  /** The next datagram; `now` defaults to the virtual clock. */
  next(now?: number): SourcePacket {
    const t = now ?? this.start + Math.floor(this.sent * this.intervalMs);
    const e = this.exporters[this.turn];
    this.turn = (this.turn + 1) % this.exporters.length;
    this.sent++;
    const p = e.exp.next(t);
    return {
      bytes: p.bytes,
      exporter: e.address,
      exporterPort: e.port,
      receivedAt: t,
      protocol: e.exp.protocol,
      flows: p.flows,
    };
  }

  /** `count` datagrams on the virtual clock. */
  *take(count: number): Generator<SourcePacket> {
    for (let i = 0; i < count; i++) yield this.next();
  }

  totals(): SourceTotals {
    const byExporter = this.exporters.map((e) => ({ ...e.exp.totals(), address: e.address, port: e.port }));
    const all: Omit<GenTotals, 'protocol'> = {
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
    for (const t of byExporter) {
      all.datagrams += t.datagrams;
      all.wireBytes += t.wireBytes;
      all.flows += t.flows;
      all.packets += t.packets;
      all.bytes += t.bytes;
      all.ipv4Flows += t.ipv4Flows;
      all.ipv6Flows += t.ipv6Flows;
      all.templates += t.templates;
      all.optionsRecords += t.optionsRecords;
      all.counterSamples += t.counterSamples;
      for (const [k, v] of Object.entries(t.byIpProtocol)) {
        const key = Number(k);
        all.byIpProtocol[key] ??= { flows: 0, packets: 0, bytes: 0 };
        const p = all.byIpProtocol[key];
        p.flows += v.flows;
        p.packets += v.packets;
        p.bytes += v.bytes;
      }
    }
    return { all, byExporter };
  }
}
