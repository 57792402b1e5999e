/**
 * The canonical flow record (DESIGN.md "Canonical record"; column names of design-notes/flow-table.md).
 *
 * In memory times are whole epoch milliseconds (integers) and addresses are strings (IPv4 dotted, IPv6 RFC 5952),
 * so every layer can compare and hash them cheaply; `toJsonRecord` renders the wire/JSON-lines form.
 */

export type ProtocolType = 'netflow_v5' | 'netflow_v9' | 'ipfix' | 'sflow_v5';

/** Counters are numbers while exact (< 2^53); larger 64-bit values stay bigint so nothing is rounded. */
export type Counter = number | bigint;

/** Where the sampling rate of a record came from (kept in extended_fields.sampling_source). */
export type SamplingSource =
  | 'v5_header' // NetFlow v5 header sampling interval
  | 'options' // v9/IPFIX options data (sampler id keyed, or exporter-wide)
  | 'record' // a sampling element inside the data record itself
  | 'sflow' // sFlow flow sample header
  | 'config_override' // operator override for this exporter
  | 'config_default' // operator default when the exporter says nothing
  | 'none'; // nothing known: rate 1

/**
 * What a record is. Flow records are the default; counter samples (sFlow) and options data (v9/IPFIX) are
 * only emitted on request (`decode --all`) and are marked so they are never stored as flows by accident.
 */
export type RecordType = 'flow' | 'sflow_counters' | 'options' | 'sflow_drop';

/** Only flow records are flows: counter samples and options data are never stored or counted as flows. */
export function isFlow(r: { record_type?: RecordType }): boolean {
  return r.record_type === undefined || r.record_type === 'flow';
}

export interface FlowRecord {
  received_at: number;
  flow_start: number;
  flow_end: number;
  exporter_ip: string;
  /** Observation domain (IPFIX), source id (v9), engine id (v5), sub-agent id (sFlow). */
  exporter_id: number | null;
  protocol_type: ProtocolType;
  src_ip: string | null;
  dst_ip: string | null;
  src_port: number | null;
  dst_port: number | null;
  ip_protocol: number | null;
  /** Unscaled, as exported: aggregates scale by sampling_rate, the raw tier never does. */
  bytes_total: Counter;
  packets_total: Counter;
  tcp_flags: number | null;
  input_interface: number | null;
  output_interface: number | null;
  src_as: number | null;
  dst_as: number | null;
  next_hop: string | null;
  src_vlan: number | null;
  dst_vlan: number | null;
  tos: number | null;
  /** 0 = ingress, 1 = egress (IPFIX flowDirection / v9 DIRECTION); null when not exported. */
  direction: number | null;
  /** 1:N. 1 = unsampled or unknown; see extended_fields.sampling_source. */
  sampling_rate: number;
  extended_fields: ExtendedFields;
  /** Absent for ordinary flows; set for counter samples / options data (see RecordType). */
  record_type?: RecordType;
}

/**
 * Anything that is not a canonical column, under a readable name: the IANA element name, `pen<N>_<id>` for
 * unknown enterprise elements, or the flow-table document's names (engine_type, template_id, ...).
 * Always includes `sampling_source`.
 */
export interface ExtendedFields {
  sampling_source: SamplingSource;
  [name: string]: unknown;
}

/** The canonical columns in their documented order (flow-table.md; the raw tier stores exactly these). */
export const CANONICAL_COLUMNS = [
  'received_at',
  'flow_start',
  'flow_end',
  'exporter_ip',
  'exporter_id',
  'protocol_type',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'ip_protocol',
  'bytes_total',
  'packets_total',
  'tcp_flags',
  'input_interface',
  'output_interface',
  'src_as',
  'dst_as',
  'next_hop',
  'src_vlan',
  'dst_vlan',
  'tos',
  'direction',
  'sampling_rate',
  'extended_fields',
] as const satisfies readonly (keyof FlowRecord)[];

export const PROTOCOL_TYPES: readonly ProtocolType[] = ['netflow_v5', 'netflow_v9', 'ipfix', 'sflow_v5'];

/** A record with every optional column absent, to be filled by a normalizer. */
export function emptyRecord(
  protocol_type: ProtocolType,
  exporter_ip: string,
  received_at: number,
): FlowRecord {
  return {
    received_at,
    flow_start: received_at,
    flow_end: received_at,
    exporter_ip,
    exporter_id: null,
    protocol_type,
    src_ip: null,
    dst_ip: null,
    src_port: null,
    dst_port: null,
    ip_protocol: null,
    bytes_total: 0,
    packets_total: 0,
    tcp_flags: null,
    input_interface: null,
    output_interface: null,
    src_as: null,
    dst_as: null,
    next_hop: null,
    src_vlan: null,
    dst_vlan: null,
    tos: null,
    direction: null,
    sampling_rate: 1,
    extended_fields: { sampling_source: 'none' },
  };
}
