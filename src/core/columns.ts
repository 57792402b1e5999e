/**
 * The column catalog: every field a query may group or filter by, what kind of value it holds, and how
 * each storage tier keeps it. Every field list elsewhere (the query AST's field enum, the validation
 * schemas, the address fields a compiler binds as addresses, the fields each tier can answer) derives
 * from this one table.
 *
 * Tier semantics (DESIGN.md "Storage", core/rules.ts):
 * - raw keeps every canonical column as exported; an absent value is NULL.
 * - aggregates (5-minute windows) keep the key columns of core/rules.ts: exporter, addresses, protocol
 *   exactly, with an absent address stored as '::' and an absent protocol as 0 (the `absent` sentinel,
 *   mapped back to NULL when read); ports are kept with the client's ephemeral port collapsed to 0
 *   (`approx`: a port answered from aggregates is not the raw port).
 * - daily (per dependency edge and day) keeps client, server, server port and protocol: src_ip reads the
 *   client, dst_ip the server, dst_port the server port, and traffic of BOTH directions of the
 *   conversation counts for the edge (`edge`).
 */

/** How a tier keeps a field. */
export type TierFidelity = 'exact' | 'approx' | 'edge' | 'none';

/**
 * int: an integer column; number: a derived raw-tier measure that may be fractional (rates); json: the
 * extended_fields document (reached only through `ext` filter leaves, never compared as a whole).
 */
export type FieldKind = 'ip' | 'port' | 'int' | 'text' | 'number' | 'json';

export interface FieldSpec {
  kind: FieldKind;
  aggregates: TierFidelity;
  daily: TierFidelity;
  /** The value the aggregate tier stores for an absent raw value (read back as NULL). */
  absent?: '::' | 0;
  /**
   * A field filters may read but queries do not group by: per-flow measures (grouping by a byte count
   * is not a question anyone asks), the extended_fields document, and raw columns the filter language
   * added before top-N learned to group by them.
   */
  filterOnly?: true;
  /** Computed from raw columns by the dialect (storage/sql/dialect.ts `derived`), not a column itself. */
  derived?: true;
}

export const FIELD_CATALOG = {
  src_ip: { kind: 'ip', aggregates: 'exact', daily: 'edge', absent: '::' },
  dst_ip: { kind: 'ip', aggregates: 'exact', daily: 'edge', absent: '::' },
  src_port: { kind: 'port', aggregates: 'approx', daily: 'none' },
  dst_port: { kind: 'port', aggregates: 'approx', daily: 'edge' },
  ip_protocol: { kind: 'int', aggregates: 'exact', daily: 'edge', absent: 0 },
  exporter_ip: { kind: 'ip', aggregates: 'exact', daily: 'none' },
  input_interface: { kind: 'int', aggregates: 'none', daily: 'none' },
  output_interface: { kind: 'int', aggregates: 'none', daily: 'none' },
  src_as: { kind: 'int', aggregates: 'none', daily: 'none' },
  dst_as: { kind: 'int', aggregates: 'none', daily: 'none' },
  protocol_type: { kind: 'text', aggregates: 'none', daily: 'none' },
  next_hop: { kind: 'ip', aggregates: 'none', daily: 'none' },
  // Raw-only columns of the filter language (issue 10). Aggregates keep only an OR of the flags
  // (tcp_flags_observed), which cannot answer a per-flow bit test, so tcp_flags is raw-only too.
  tcp_flags: { kind: 'int', aggregates: 'none', daily: 'none', filterOnly: true },
  tos: { kind: 'int', aggregates: 'none', daily: 'none', filterOnly: true },
  src_vlan: { kind: 'int', aggregates: 'none', daily: 'none', filterOnly: true },
  dst_vlan: { kind: 'int', aggregates: 'none', daily: 'none', filterOnly: true },
  sampling_rate: { kind: 'int', aggregates: 'none', daily: 'none', filterOnly: true },
  extended_fields: { kind: 'json', aggregates: 'none', daily: 'none', filterOnly: true },
  // Per-flow measures as exported (unscaled by sampling, like nfdump): bytes_total, packets_total,
  // duration in ms (flow_end - flow_start), bps and pps over that duration (NULL for a zero duration).
  bytes: { kind: 'number', aggregates: 'none', daily: 'none', filterOnly: true, derived: true },
  packets: { kind: 'number', aggregates: 'none', daily: 'none', filterOnly: true, derived: true },
  duration: { kind: 'number', aggregates: 'none', daily: 'none', filterOnly: true, derived: true },
  bps: { kind: 'number', aggregates: 'none', daily: 'none', filterOnly: true, derived: true },
  pps: { kind: 'number', aggregates: 'none', daily: 'none', filterOnly: true, derived: true },
} as const satisfies Record<string, FieldSpec>;

/** A field a filter may read. */
export type FilterField = keyof typeof FIELD_CATALOG;

type Catalog = typeof FIELD_CATALOG;

/** A field a query may group by (and filter by). */
export type GroupField = {
  [K in FilterField]: Catalog[K] extends { filterOnly: true } ? never : K;
}[FilterField];

/** Derived per-flow measures (raw tier only). */
export type DerivedField = {
  [K in FilterField]: Catalog[K] extends { derived: true } ? K : never;
}[FilterField];

/** Fields compared as numbers (comparisons, ranges, lists). */
export type NumericField = {
  [K in FilterField]: Catalog[K]['kind'] extends 'port' | 'int' | 'number' ? K : never;
}[FilterField];

export const FILTER_FIELDS = Object.keys(FIELD_CATALOG) as FilterField[];

export const GROUP_FIELDS = FILTER_FIELDS.filter(
  (f) => !(FIELD_CATALOG[f] as FieldSpec).filterOnly,
) as GroupField[];

export const NUMERIC_FIELDS = FILTER_FIELDS.filter((f) =>
  ['port', 'int', 'number'].includes(FIELD_CATALOG[f].kind),
) as NumericField[];

/** Fields an equality leaf may compare (everything but the JSON document). */
export const EQ_FIELDS = FILTER_FIELDS.filter((f) => FIELD_CATALOG[f].kind !== 'json');

/** Fields holding addresses: values are parsed and bound as addresses, CIDR filters apply. */
export const IP_FIELDS: readonly GroupField[] = GROUP_FIELDS.filter((f) => FIELD_CATALOG[f].kind === 'ip');

/** nfdump's TCP flag letters and their bits (RFC 793 / RFC 3168 order: CWR ECE URG ACK PSH RST SYN FIN). */
export const TCP_FLAG_BITS = {
  C: 0x80,
  E: 0x40,
  U: 0x20,
  A: 0x10,
  P: 0x08,
  R: 0x04,
  S: 0x02,
  F: 0x01,
} as const;

export const isIpField = (f: string): boolean =>
  (FIELD_CATALOG as Record<string, FieldSpec>)[f]?.kind === 'ip';

export function fieldSpec(f: FilterField): FieldSpec {
  return FIELD_CATALOG[f];
}
