import { ByteWriter } from '../wire/writer.js';
import type { EncodedPacket, EncoderOptions, PacketEncoder } from './encoder.js';
import { addrBytes } from './fields.js';
import type { GenFlow } from './flows.js';
import { buildFrameHeader, minIpLength } from './packet.js';

/** Ethernet header + FCS around the IP packet (sFlow frame_length counts the FCS, "stripped" removes it). */
const ETH_OVERHEAD = 14 + 4;
const FCS = 4;
/** Bytes of each sampled frame copied into the sample (sFlow's customary default). */
const MAX_HEADER = 128;
const FORMAT_FLOW_SAMPLE = 1;
const FORMAT_COUNTER_SAMPLE = 2;
const FORMAT_FLOW_SAMPLE_EXPANDED = 3;
const RECORD_RAW_HEADER = 1;
const RECORD_EXTENDED_SWITCH = 1001;
const COUNTER_GENERIC_IF = 1;
const HEADER_PROTOCOL_ETHERNET = 1;

export interface SflowOptions extends EncoderOptions {
  /** Agent address written in the datagram header (default 192.0.2.1). */
  agentAddress: string;
  /** Use the expanded flow sample format (3) instead of the compact one (1). */
  expanded: boolean;
  /** Add a generic-interface counter sample every N datagrams (0 = never). */
  counterEvery: number;
}

interface IfCounters {
  inOctets: number;
  inPackets: number;
  outOctets: number;
  outPackets: number;
}

/**
 * sFlow version 5 (sFlow.org "sFlow Version 5", 2004): every generated flow becomes one flow sample of one
 * packet of that flow: a sampled_header record (Ethernet/IPv4|IPv6/TCP|UDP|ICMP, first 128 bytes) and an
 * extended_switch record (VLANs). Every `counterEvery` datagrams a counter sample with generic interface
 * counters (if_counters) is added for the interfaces seen so far. Sample pools and sequence numbers
 * advance per data source the way an agent's do.
 */
export class SflowEncoder implements PacketEncoder {
  readonly ipv4Only = false;
  private w = new ByteWriter(1500);
  private datagrams = 0;
  private samples = 0;
  private counterSamples = 0;
  private countAt = 0;
  private uptime = 0;
  private readonly agent: Uint8Array;
  private readonly flowSeq = new Map<number, number>();
  private readonly pool = new Map<number, number>();
  private readonly counters = new Map<number, IfCounters>();
  private counterSeq = 0;

  constructor(private readonly opts: SflowOptions) {
    this.agent = addrBytes(opts.agentAddress);
  }

  begin(now: number): void {
    this.w = new ByteWriter(this.opts.mtu + 64);
    this.samples = 0;
    this.counterSamples = 0;
    this.uptime = (now - this.opts.bootTime) >>> 0;
    this.w
      .u32(5)
      .u32(this.agent.length === 4 ? 1 : 2)
      .bytes(this.agent)
      .u32(this.opts.exporterId)
      .u32(this.datagrams + 1) // datagram sequence numbers start at 1
      .u32(this.uptime);
    this.countAt = this.w.mark();
    this.w.u32(0); // number of samples, patched in finish()
    const every = this.opts.counterEvery;
    if (every > 0 && this.datagrams % every === every - 1) this.writeCounters();
  }

  private writeCounters(): void {
    const ifs = [...this.counters.keys()].sort((a, b) => a - b).slice(0, 4);
    for (const ifIndex of ifs) {
      const c = this.counters.get(ifIndex) as IfCounters;
      const w = this.w;
      w.u32(FORMAT_COUNTER_SAMPLE);
      const lenAt = w.mark();
      w.u32(0)
        .u32(++this.counterSeq)
        .u32(ifIndex) // source id: type 0 (ifIndex) << 24 | index
        .u32(1)
        .u32(COUNTER_GENERIC_IF)
        .u32(88)
        .u32(ifIndex)
        .u32(6) // ifType ethernetCsmacd
        .u64(10_000_000_000) // ifSpeed
        .u32(1) // ifDirection full-duplex
        .u32(3) // ifStatus: admin up | oper up
        .u64(c.inOctets)
        .u32(c.inPackets >>> 0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u64(c.outOctets)
        .u32(c.outPackets >>> 0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0); // ifPromiscuousMode
      w.patchU32(lenAt, w.length - lenAt - 4);
      this.samples++;
      this.counterSamples++;
    }
  }

  add(f: GenFlow): GenFlow | null {
    const ipLength = Math.max(
      minIpLength(f.ipVersion, f.protocol),
      Math.min(1500, Math.round(f.bytes / Math.max(1, f.packets))),
    );
    const frameLength = ipLength + ETH_OVERHEAD;
    // A one-packet flow is that packet: its flags go on the wire as they are. Of a longer flow the sampled
    // packet is a data packet (PSH ACK), unless the flow is a bare SYN.
    const tcpFlags = f.protocol !== 6 ? 0 : f.packets <= 1 || f.tcpFlags === 0x02 ? f.tcpFlags & 0xff : 0x18;
    const header = buildFrameHeader({ ...f, tcpFlags, ipLength }, MAX_HEADER);
    const padded = (header.length + 3) & ~3;
    const expanded = this.opts.expanded;
    const sampleLen = (expanded ? 44 : 32) + (8 + 16 + padded) + (8 + 16);
    if (this.w.length + 8 + sampleLen > this.opts.mtu) return null;

    const rate = this.opts.samplingRate;
    const src = f.inputIf;
    const seq = (this.flowSeq.get(src) ?? 0) + 1;
    this.flowSeq.set(src, seq);
    const pool = ((this.pool.get(src) ?? 0) + rate) >>> 0;
    this.pool.set(src, pool);
    this.count(f.inputIf, f.outputIf, frameLength, rate);

    const w = this.w;
    w.u32(expanded ? FORMAT_FLOW_SAMPLE_EXPANDED : FORMAT_FLOW_SAMPLE)
      .u32(sampleLen)
      .u32(seq);
    if (expanded) w.u32(0).u32(src);
    else w.u32(src); // source id: type 0 (ifIndex) << 24 | index
    w.u32(rate).u32(pool).u32(0);
    if (expanded) w.u32(0).u32(f.inputIf).u32(0).u32(f.outputIf);
    else w.u32(f.inputIf).u32(f.outputIf); // interface format 0 (ifIndex) in the top 2 bits
    w.u32(2);
    w.u32(RECORD_RAW_HEADER)
      .u32(16 + padded)
      .u32(HEADER_PROTOCOL_ETHERNET)
      .u32(frameLength)
      .u32(FCS)
      .u32(header.length)
      .bytes(header)
      .zeros(padded - header.length);
    w.u32(RECORD_EXTENDED_SWITCH).u32(16).u32(f.srcVlan).u32(0).u32(f.dstVlan).u32(0);
    this.samples++;
    // What went on the wire: one sampled packet of this flow, timed at export.
    return {
      ...f,
      tcpFlags,
      packets: 1,
      bytes: frameLength,
      start: this.opts.bootTime + this.uptime,
      end: this.opts.bootTime + this.uptime,
    };
  }

  private count(input: number, output: number, frame: number, rate: number): void {
    const get = (i: number): IfCounters => {
      let c = this.counters.get(i);
      if (!c) {
        c = { inOctets: 0, inPackets: 0, outOctets: 0, outPackets: 0 };
        this.counters.set(i, c);
      }
      return c;
    };
    const ci = get(input);
    ci.inOctets += frame * rate;
    ci.inPackets += rate;
    const co = get(output);
    co.outOctets += frame * rate;
    co.outPackets += rate;
  }

  finish(): EncodedPacket {
    this.w.patchU32(this.countAt, this.samples);
    this.datagrams++;
    return { bytes: this.w.finish(), templates: 0, optionsRecords: 0, counterSamples: this.counterSamples };
  }
}
