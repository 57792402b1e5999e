import type { FlowRecord } from './record.js';

/** ISO-8601 UTC with milliseconds, as DESIGN.md asks for every time in the JSON form. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** JSON cannot carry bigint; counters beyond 2^53 become decimal strings (DESIGN.md "Canonical record"). */
export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v);
    return out;
  }
  return value;
}

/** The JSON-lines form of a record: canonical column names, ISO times, exact counters. */
export function toJsonRecord(r: FlowRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    received_at: isoTime(r.received_at),
    flow_start: isoTime(r.flow_start),
    flow_end: isoTime(r.flow_end),
    exporter_ip: r.exporter_ip,
    exporter_id: r.exporter_id,
    protocol_type: r.protocol_type,
    src_ip: r.src_ip,
    dst_ip: r.dst_ip,
    src_port: r.src_port,
    dst_port: r.dst_port,
    ip_protocol: r.ip_protocol,
    bytes_total: jsonValue(r.bytes_total),
    packets_total: jsonValue(r.packets_total),
    tcp_flags: r.tcp_flags,
    input_interface: r.input_interface,
    output_interface: r.output_interface,
    src_as: r.src_as,
    dst_as: r.dst_as,
    next_hop: r.next_hop,
    src_vlan: r.src_vlan,
    dst_vlan: r.dst_vlan,
    tos: r.tos,
    direction: r.direction,
    sampling_rate: r.sampling_rate,
    extended_fields: jsonValue(r.extended_fields),
  };
  if (r.record_type !== undefined) out.record_type = r.record_type;
  return out;
}
