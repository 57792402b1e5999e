/**
 * FlowRecord[] -> COPY BINARY rows of flow_records, in schema.ts RAW_COPY_COLUMNS order.
 *
 * extended_fields is jsonb; when jsonb cannot hold the exact value (U+0000 or a lone surrogate in a
 * string, e.g. padded application names) those characters become U+FFFD there and the exact JSON text is
 * kept in extended_fields_raw, which the flows query returns instead (NULL, one bit, for every other row).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored as the IPv4 address: every backend works in one
 * IPv6 space where the two are the same address, and PostgreSQL's inet would otherwise keep them apart.
 */

import type { FlowRecord } from '../../core/record.js';
import { StoreInputError } from '../port.js';
import { type CopyBinaryWriter, jsonbSafe, jsonText } from './copy-binary.js';
import { RAW_COPY_COLUMNS } from './schema.js';

const FIELDS = RAW_COPY_COLUMNS.length;

export { StoreInputError };

const MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

function addr(w: CopyBinaryWriter, ip: string | null, field: string, required: boolean): void {
  if (ip === null || ip === undefined) {
    if (required) throw new StoreInputError(`${field}: missing`);
    w.null();
    return;
  }
  const m = ip.charCodeAt(0) === 58 ? MAPPED.exec(ip) : null; // starts with ":"
  if (!w.inet(m ? m[1] : ip)) throw new StoreInputError(`${field}: not an IP address: ${JSON.stringify(ip)}`);
}

/** Append one flow row. Throws StoreInputError on an address that does not parse. */
export function writeFlowRow(w: CopyBinaryWriter, r: FlowRecord): void {
  w.row(FIELDS);
  w.timestamptz(r.received_at);
  w.timestamptz(r.flow_start);
  w.timestamptz(r.flow_end);
  addr(w, r.exporter_ip, 'exporter_ip', true);
  w.int8(r.exporter_id);
  w.text(r.protocol_type);
  addr(w, r.src_ip, 'src_ip', false);
  addr(w, r.dst_ip, 'dst_ip', false);
  w.int4(r.src_port);
  w.int4(r.dst_port);
  w.int2(r.ip_protocol);
  w.int8(r.bytes_total ?? 0);
  w.int8(r.packets_total ?? 0);
  w.int4(r.tcp_flags);
  w.int8(r.input_interface);
  w.int8(r.output_interface);
  w.int8(r.src_as);
  w.int8(r.dst_as);
  addr(w, r.next_hop, 'next_hop', false);
  w.int4(r.src_vlan);
  w.int4(r.dst_vlan);
  w.int2(r.tos);
  w.int2(r.direction);
  w.int8(r.sampling_rate ?? 1);
  const exact = jsonText(r.extended_fields ?? {});
  const safe = jsonbSafe(exact);
  w.jsonb(safe);
  w.text(safe === exact ? null : exact);
}
