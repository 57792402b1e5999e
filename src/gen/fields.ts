import { parseIp } from '../core/ip.js';
import type { ByteWriter } from '../wire/writer.js';
import type { GenFlow } from './flows.js';

/** What a field writer needs besides the flow: the exporter's boot time (v9 sysUptime) and its sampler. */
export interface WriteContext {
  /** Epoch ms the exporter booted; v9 FIRST/LAST_SWITCHED are ms since then (RFC 3954 section 8). */
  bootTime: number;
  samplerId: number;
}

/** One template field: element id (+ PEN), the length announced in the template, and how to write it. */
export interface FieldDef {
  id: number;
  /** 65535 = IPFIX variable length (RFC 7011 section 7). */
  length: number;
  pen?: number;
  write(w: ByteWriter, f: GenFlow, ctx: WriteContext): void;
  /** Encoded size (length prefix included) of a variable-length field for this flow. */
  size?(f: GenFlow): number;
}

const addrCache = new Map<string, Uint8Array>();

/** Address bytes, parsed once per distinct address (the generator reuses a bounded host set). */
export function addrBytes(s: string): Uint8Array {
  let b = addrCache.get(s);
  if (!b) {
    const parsed = parseIp(s);
    if (!parsed) throw new Error(`not an IP address: ${s}`);
    b = parsed;
    if (addrCache.size < 200_000) addrCache.set(s, b);
  }
  return b;
}

const u8 = (id: number, get: (f: GenFlow) => number): FieldDef => ({
  id,
  length: 1,
  write: (w, f) => void w.u8(get(f)),
});
const u16 = (id: number, get: (f: GenFlow) => number): FieldDef => ({
  id,
  length: 2,
  write: (w, f) => void w.u16(get(f)),
});
const u32 = (id: number, get: (f: GenFlow) => number): FieldDef => ({
  id,
  length: 4,
  write: (w, f) => void w.u32(get(f)),
});
const u64 = (id: number, get: (f: GenFlow) => number): FieldDef => ({
  id,
  length: 8,
  write: (w, f) => void w.u64(get(f)),
});
const addr = (id: number, length: 4 | 16, get: (f: GenFlow) => string): FieldDef => ({
  id,
  length,
  write: (w, f) => void w.bytes(addrBytes(get(f))),
});

/** IPFIX variable-length string: 1-byte length, or 255 + 2-byte length from 255 on (RFC 7011 section 7). */
function varString(id: number, get: (f: GenFlow) => string): FieldDef {
  return {
    id,
    length: 65535,
    size: (f) => {
      const len = Buffer.byteLength(get(f), 'utf8');
      return len + (len < 255 ? 1 : 3);
    },
    write: (w, f) => {
      const bytes = Buffer.from(get(f), 'utf8');
      if (bytes.length < 255) w.u8(bytes.length);
      else w.u8(255).u16(bytes.length);
      w.bytes(bytes);
    },
  };
}

const common4 = [addr(8, 4, (f) => f.srcIp), addr(12, 4, (f) => f.dstIp), addr(15, 4, (f) => f.nextHop)];
const common6 = [addr(27, 16, (f) => f.srcIp), addr(28, 16, (f) => f.dstIp), addr(62, 16, (f) => f.nextHop)];
const ports = [
  u16(7, (f) => f.srcPort),
  u16(11, (f) => f.dstPort),
  u8(4, (f) => f.protocol),
  u8(5, (f) => f.tos),
];
const as = [u32(16, (f) => f.srcAs), u32(17, (f) => f.dstAs)];
const masks4 = [u8(9, (f) => f.srcMask), u8(13, (f) => f.dstMask)];
const masks6 = [u8(29, (f) => f.srcMask), u8(30, (f) => f.dstMask)];
const tail = [u8(61, (f) => f.direction), u16(58, (f) => f.srcVlan), u16(59, (f) => f.dstVlan)];

/**
 * NetFlow v9 data template (RFC 3954 section 8 field types): v9 exporters typically send 2-byte SNMP
 * indexes, 1-byte TCP flags, 4-byte packet counters and sysUptime-relative FIRST/LAST_SWITCHED; the byte
 * counter is 8 bytes here to exercise 64-bit counters.
 */
export function v9Fields(ipVersion: 4 | 6, sampled: boolean): FieldDef[] {
  const fields: FieldDef[] = [
    ...(ipVersion === 4 ? common4 : common6),
    ...ports,
    u8(6, (f) => f.tcpFlags),
    u16(10, (f) => f.inputIf),
    u16(14, (f) => f.outputIf),
    ...as,
    ...(ipVersion === 4 ? masks4 : masks6),
    u64(1, (f) => f.bytes),
    u32(2, (f) => f.packets),
    { id: 22, length: 4, write: (w, f, ctx) => void w.u32(f.start - ctx.bootTime) },
    { id: 21, length: 4, write: (w, f, ctx) => void w.u32(f.end - ctx.bootTime) },
    ...tail,
  ];
  if (sampled) fields.push({ id: 48, length: 1, write: (w, _f, ctx) => void w.u8(ctx.samplerId) });
  return fields;
}

/**
 * IPFIX data template (RFC 7012 / IANA types): full-size counters, 4-byte interfaces, 2-byte
 * tcpControlBits, absolute flowStart/EndMilliseconds; optionally the variable-length applicationName (96)
 * and the PSAMP selectorId (302, reduced to 4 bytes) that links records to the sampling options.
 */
export function ipfixFields(ipVersion: 4 | 6, sampled: boolean, variableLength: boolean): FieldDef[] {
  const fields: FieldDef[] = [
    ...(ipVersion === 4 ? common4 : common6),
    ...ports,
    u16(6, (f) => f.tcpFlags),
    u32(10, (f) => f.inputIf),
    u32(14, (f) => f.outputIf),
    ...as,
    ...(ipVersion === 4 ? masks4 : masks6),
    u64(1, (f) => f.bytes),
    u64(2, (f) => f.packets),
    u64(152, (f) => f.start),
    u64(153, (f) => f.end),
    ...tail,
  ];
  if (sampled) fields.push({ id: 302, length: 4, write: (w, _f, ctx) => void w.u32(ctx.samplerId) });
  if (variableLength) fields.push(varString(96, (f) => f.app));
  return fields;
}

/** RFC 5103 reverse information elements: the forward element's id under PEN 29305. */
const REVERSE_PEN = 29305;
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`a flow without ${what} under a template that carries it`);
  return v;
};

/** IPFIX biflow fields (RFC 5103): biflowDirection (239), reverse octets, packets and TCP flags. */
export const BIFLOW_FIELDS: readonly FieldDef[] = [
  u8(239, (f) => need(f.reverse, 'reverse').direction),
  { ...u64(1, (f) => need(f.reverse, 'reverse').bytes), pen: REVERSE_PEN },
  { ...u64(2, (f) => need(f.reverse, 'reverse').packets), pen: REVERSE_PEN },
  { ...u16(6, (f) => need(f.reverse, 'reverse').tcpFlags), pen: REVERSE_PEN },
];

/**
 * Cisco NSEL connection counters as ASA exporters put them in NetFlow v9: initiator/responder octets (231,
 * 232) and packets (298, 299); the initiator is the record's source.
 */
export const NSEL_FIELDS: readonly FieldDef[] = [
  u64(231, (f) => f.bytes),
  u64(232, (f) => need(f.responder, 'responder').bytes),
  u64(298, (f) => f.packets),
  u64(299, (f) => need(f.responder, 'responder').packets),
];

/** Bytes one record of these fields takes for this flow. */
export function recordLength(fields: readonly FieldDef[], f: GenFlow): number {
  let n = 0;
  for (const d of fields) n += d.size ? d.size(f) : d.length;
  return n;
}
