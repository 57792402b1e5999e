/**
 * Which template field feeds which canonical column: a table of IANA element ids in priority order, compiled
 * once per template field list (the decoder shares one list among all records of a template), so
 * normalizing a record is a walk over precomputed indexes.
 */
import type { FieldSpec } from '../decode/template/index.js';

export type ColumnName =
  | 'src_ip'
  | 'dst_ip'
  | 'src_port'
  | 'dst_port'
  | 'ip_protocol'
  | 'bytes_total'
  | 'packets_total'
  | 'tcp_flags'
  | 'tos'
  | 'input_interface'
  | 'output_interface'
  | 'src_as'
  | 'dst_as'
  | 'next_hop'
  | 'src_vlan'
  | 'dst_vlan'
  | 'direction';

/** 'addr' columns take strings (addresses), 'int' small numbers, 'counter' numbers or bigints. */
type ColumnType = 'addr' | 'int' | 'counter';

/** Canonical columns and the IANA elements that fill them, best first (RFC 7012 / IANA IPFIX registry). */
export const COLUMN_TABLE: readonly (readonly [ColumnName, ColumnType, readonly number[]])[] = [
  ['src_ip', 'addr', [8, 27]], // sourceIPv4Address, sourceIPv6Address
  ['dst_ip', 'addr', [12, 28]], // destinationIPv4Address, destinationIPv6Address
  ['src_port', 'int', [7]], // sourceTransportPort
  ['dst_port', 'int', [11]], // destinationTransportPort
  ['ip_protocol', 'int', [4]], // protocolIdentifier
  // octetDeltaCount, octetTotalCount, postOctetDeltaCount, initiatorOctets (Cisco ASA NSEL)
  ['bytes_total', 'counter', [1, 85, 23, 231]],
  // packetDeltaCount, packetTotalCount, postPacketDeltaCount, initiatorPackets
  ['packets_total', 'counter', [2, 86, 24, 298]],
  ['tcp_flags', 'int', [6]], // tcpControlBits
  ['tos', 'int', [5]], // ipClassOfService
  ['input_interface', 'int', [10]], // ingressInterface
  ['output_interface', 'int', [14]], // egressInterface
  ['src_as', 'int', [16]], // bgpSourceAsNumber
  ['dst_as', 'int', [17]], // bgpDestinationAsNumber
  // ipNextHopIPv4Address, ipNextHopIPv6Address, then bgpNextHopIPv4Address, bgpNextHopIPv6Address
  ['next_hop', 'addr', [15, 62, 18, 63]],
  ['src_vlan', 'int', [58, 243]], // vlanId, dot1qVlanId
  ['dst_vlan', 'int', [59, 254]], // postVlanId, postDot1qVlanId
  ['direction', 'int', [61]], // flowDirection
];

/** Time elements, handled by the time logic rather than as columns (they also stay in extended_fields). */
export const TIME_IES = {
  endSysUpTime: 21,
  startSysUpTime: 22,
  startSeconds: 150,
  endSeconds: 151,
  startMilliseconds: 152,
  endMilliseconds: 153,
  startMicroseconds: 154,
  endMicroseconds: 155,
  startNanoseconds: 156,
  endNanoseconds: 157,
  startDeltaMicroseconds: 158,
  endDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
} as const;
type TimeKey = keyof typeof TIME_IES;

/** Column positions in NormPlan.col (COLUMN_TABLE order): the normalizer reads them by constant index. */
export const Col = {
  SRC_IP: 0,
  DST_IP: 1,
  SRC_PORT: 2,
  DST_PORT: 3,
  IP_PROTOCOL: 4,
  BYTES: 5,
  PACKETS: 6,
  TCP_FLAGS: 7,
  TOS: 8,
  INPUT_IF: 9,
  OUTPUT_IF: 10,
  SRC_AS: 11,
  DST_AS: 12,
  NEXT_HOP: 13,
  SRC_VLAN: 14,
  DST_VLAN: 15,
  DIRECTION: 16,
} as const;

export interface NormPlan {
  /** Field index feeding each column (Col order), -1 when the template has none. */
  col: Int32Array;
  /** extended_fields name of each column's field, used when a value does not fit its column. */
  colName: string[];
  /** Fields that go to extended_fields: index and unique name. */
  extIndex: Int32Array;
  extName: string[];
  /** Field index of each time element, -1 when absent. */
  time: Record<TimeKey, number>;
  /** False when the template has no time element at all: every record takes the export time. */
  hasTime: boolean;
}

function uniqueNames(fields: readonly FieldSpec[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((f) => {
    const n = (seen.get(f.name) ?? 0) + 1;
    seen.set(f.name, n);
    // A repeated element (biflow exporters, Cisco repeated fields) keeps every occurrence: name, name_2, ...
    return n === 1 ? f.name : `${f.name}_${n}`;
  });
}

/** Compile the normalization plan of one template (once per template: the caller caches it). */
export function compileNormPlan(fields: readonly FieldSpec[], options: boolean): NormPlan {
  const names = uniqueNames(fields);
  const used = new Set<number>();
  const col = new Int32Array(COLUMN_TABLE.length).fill(-1);
  const colName: string[] = COLUMN_TABLE.map(() => '');
  if (!options) {
    COLUMN_TABLE.forEach(([, , ies], c) => {
      let best = -1;
      for (const ie of ies) {
        best = fields.findIndex((f, i) => f.pen === 0 && !f.scope && f.id === ie && !used.has(i));
        if (best >= 0) break;
      }
      if (best >= 0) {
        used.add(best);
        col[c] = best;
        colName[c] = names[best];
      }
    });
  }
  const time = {} as Record<TimeKey, number>;
  let hasTime = false;
  for (const key of Object.keys(TIME_IES) as TimeKey[]) {
    time[key] = options ? -1 : fields.findIndex((f) => f.pen === 0 && !f.scope && f.id === TIME_IES[key]);
    if (time[key] >= 0 && key !== 'systemInitTimeMilliseconds') hasTime = true;
  }
  const ext: number[] = [];
  for (let i = 0; i < fields.length; i++) if (!used.has(i)) ext.push(i);
  return { col, colName, extIndex: Int32Array.from(ext), extName: ext.map((i) => names[i]), time, hasTime };
}
