import { ByteWriter } from '../wire/writer.js';
import type { EncodedPacket, EncoderOptions, PacketEncoder } from './encoder.js';
import { addrBytes } from './fields.js';
import type { GenFlow } from './flows.js';

const HEADER_LEN = 24;
const RECORD_LEN = 48;
/** Cisco's v5 format allows at most 30 records per datagram. */
export const V5_MAX_RECORDS = 30;

/**
 * NetFlow v5 (Cisco "NetFlow Export Datagram Format", version 5): 24-byte header, fixed 48-byte IPv4
 * records. Times are sysUptime-relative; the header carries export time to the nanosecond, so a decoder
 * recovers the generator's flow times exactly.
 */
export class V5Encoder implements PacketEncoder {
  readonly ipv4Only = true;
  private w = new ByteWriter(HEADER_LEN + V5_MAX_RECORDS * RECORD_LEN);
  private count = 0;
  /** flow_sequence: total flows exported before this datagram. */
  private sequence = 0;
  private readonly maxRecords: number;

  constructor(private readonly opts: EncoderOptions & { engineType?: number }) {
    this.maxRecords = Math.max(1, Math.min(V5_MAX_RECORDS, Math.floor((opts.mtu - HEADER_LEN) / RECORD_LEN)));
  }

  begin(now: number): void {
    const { bootTime, exporterId, samplingRate } = this.opts;
    this.w = new ByteWriter(HEADER_LEN + this.maxRecords * RECORD_LEN);
    this.count = 0;
    // Sampling field: top 2 bits mode (0 none, 1 deterministic, 2 random), low 14 bits the 1:N interval.
    const sampling = samplingRate > 1 ? (2 << 14) | (samplingRate & 0x3fff) : 0;
    this.w
      .u16(5)
      .u16(0) // count, patched in finish()
      .u32(now - bootTime)
      .u32(Math.floor(now / 1000))
      .u32((now % 1000) * 1_000_000)
      .u32(this.sequence)
      .u8(this.opts.engineType ?? 0)
      .u8(exporterId & 0xff)
      .u16(sampling);
  }

  add(f: GenFlow): GenFlow | null {
    if (f.ipVersion !== 4) throw new Error('NetFlow v5 carries IPv4 flows only');
    if (this.count >= this.maxRecords) return null;
    const boot = this.opts.bootTime;
    this.w
      .bytes(addrBytes(f.srcIp))
      .bytes(addrBytes(f.dstIp))
      .bytes(addrBytes(f.nextHop))
      .u16(f.inputIf)
      .u16(f.outputIf)
      .u32(f.packets)
      .u32(f.bytes)
      .u32(f.start - boot)
      .u32(f.end - boot)
      .u16(f.srcPort)
      .u16(f.dstPort)
      .u8(0)
      .u8(f.tcpFlags)
      .u8(f.protocol)
      .u8(f.tos)
      .u16(f.srcAs)
      .u16(f.dstAs)
      .u8(f.srcMask)
      .u8(f.dstMask)
      .u16(0);
    this.count++;
    return f;
  }

  finish(): EncodedPacket {
    this.w.patchU16(2, this.count);
    this.sequence = (this.sequence + this.count) >>> 0;
    return { bytes: this.w.finish(), templates: 0, optionsRecords: 0, counterSamples: 0 };
  }
}
