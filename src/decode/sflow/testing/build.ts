/** Test helper: sFlow v5 datagrams from parts (XDR per the sFlow v5 spec), written with ByteWriter. */
import { ByteWriter } from '../../../wire/writer.js';

export interface DatagramOpts {
  agent?: string;
  subAgent?: number;
  sequence?: number;
  uptime?: number;
  /** Sample count to write in the header (default: the number of samples given). */
  count?: number;
}

export function datagram(samples: Uint8Array[], o: DatagramOpts = {}): Uint8Array {
  const agent = o.agent ?? '192.0.2.10';
  const w = new ByteWriter();
  w.u32(5)
    .u32(agent.includes(':') ? 2 : 1)
    .ip(agent)
    .u32(o.subAgent ?? 0)
    .u32(o.sequence ?? 1)
    .u32(o.uptime ?? 1000)
    .u32(o.count ?? samples.length);
  for (const s of samples) w.bytes(s);
  return w.finish();
}

/** A sample or a record: data_format (enterprise << 12 | format), length, body. */
export function tlv(format: number, body: Uint8Array, enterprise = 0): Uint8Array {
  return new ByteWriter()
    .u32(((enterprise << 12) | format) >>> 0)
    .u32(body.length)
    .bytes(body)
    .finish();
}

export interface FlowSampleOpts {
  sequence?: number;
  sourceIdType?: number;
  sourceIdIndex?: number;
  rate?: number;
  pool?: number;
  drops?: number;
  input?: [format: number, value: number];
  output?: [format: number, value: number];
  /** Record count to write (default: the number of records given). */
  count?: number;
}

export function flowSample(records: Uint8Array[], o: FlowSampleOpts = {}, expanded = false): Uint8Array {
  const w = new ByteWriter();
  const [inF, inV] = o.input ?? [0, 1];
  const [outF, outV] = o.output ?? [0, 2];
  w.u32(o.sequence ?? 1);
  if (expanded) w.u32(o.sourceIdType ?? 0).u32(o.sourceIdIndex ?? 1);
  else w.u32(((o.sourceIdType ?? 0) << 24) | (o.sourceIdIndex ?? 1));
  w.u32(o.rate ?? 512)
    .u32(o.pool ?? 5120)
    .u32(o.drops ?? 0);
  if (expanded) w.u32(inF).u32(inV).u32(outF).u32(outV);
  else w.u32((inF << 30) | inV).u32((outF << 30) | outV);
  w.u32(o.count ?? records.length);
  for (const r of records) w.bytes(r);
  return tlv(expanded ? 3 : 1, w.finish());
}

/** Flow record 1: sampled_header, with XDR padding of the header bytes. */
export function rawHeader(
  header: Uint8Array,
  protocol = 1,
  frameLength = header.length + 4,
  stripped = 4,
): Uint8Array {
  const w = new ByteWriter().u32(protocol).u32(frameLength).u32(stripped).u32(header.length).bytes(header);
  w.zeros((4 - (header.length % 4)) % 4);
  return tlv(1, w.finish());
}

export function extendedSwitch(srcVlan: number, dstVlan: number, srcPri = 0, dstPri = 0): Uint8Array {
  return tlv(1001, new ByteWriter().u32(srcVlan).u32(srcPri).u32(dstVlan).u32(dstPri).finish());
}

/** A plain Ethernet/IPv4/TCP frame. */
export function ethIpv4Tcp(o: {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: number;
  vlan?: number;
}) {
  const w = new ByteWriter().bytes([0, 0x53, 0, 0, 0, 2]).bytes([0, 0x53, 0, 0, 0, 1]);
  if (o.vlan !== undefined) w.u16(0x8100).u16(o.vlan);
  w.u16(0x0800).u8(0x45).u8(0).u16(40).u16(1).u16(0x4000).u8(64).u8(6).u16(0).ip(o.src).ip(o.dst);
  w.u16(o.sport).u16(o.dport).u32(0).u32(0).u8(0x50).u8(o.flags).u16(100).u32(0);
  return w.finish();
}

/** Tests above the decode layer (normalize) build record bodies with the same writer. */
export { ByteWriter };
