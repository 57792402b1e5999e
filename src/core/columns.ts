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

export type FieldKind = 'ip' | 'port' | 'int' | 'text';

export interface FieldSpec {
  kind: FieldKind;
  aggregates: TierFidelity;
  daily: TierFidelity;
  /** The value the aggregate tier stores for an absent raw value (read back as NULL). */
  absent?: '::' | 0;
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
} as const satisfies Record<string, FieldSpec>;

/** A field a query may group or filter by. */
export type GroupField = keyof typeof FIELD_CATALOG;

export const GROUP_FIELDS = Object.keys(FIELD_CATALOG) as GroupField[];

/** Fields holding addresses: values are parsed and bound as addresses, CIDR filters apply. */
export const IP_FIELDS: readonly GroupField[] = GROUP_FIELDS.filter((f) => FIELD_CATALOG[f].kind === 'ip');

export const isIpField = (f: string): boolean =>
  (FIELD_CATALOG as Record<string, FieldSpec>)[f]?.kind === 'ip';

export function fieldSpec(f: GroupField): FieldSpec {
  return FIELD_CATALOG[f];
}
