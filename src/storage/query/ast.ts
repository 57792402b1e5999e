/**
 * The query representation backends compile to parametrized SQL. No SQL outside backends, and user input
 * only ever travels as values of this tree, never as SQL text.
 */

/** Fields a query may group or filter by: canonical columns (extended fields by `ext:<name>`). */
export type GroupField =
  | 'src_ip'
  | 'dst_ip'
  | 'src_port'
  | 'dst_port'
  | 'ip_protocol'
  | 'exporter_ip'
  | 'input_interface'
  | 'output_interface'
  | 'src_as'
  | 'dst_as'
  | 'protocol_type';

export const GROUP_FIELDS: readonly GroupField[] = [
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'ip_protocol',
  'exporter_ip',
  'input_interface',
  'output_interface',
  'src_as',
  'dst_as',
  'protocol_type',
];

export type Metric = 'bytes' | 'packets' | 'flows';

export type Filter =
  | { op: 'eq'; field: GroupField; value: string | number }
  | { op: 'in_cidr'; field: 'src_ip' | 'dst_ip' | 'exporter_ip' | 'next_hop'; cidr: string }
  | { op: 'and'; filters: Filter[] }
  | { op: 'or'; filters: Filter[] }
  | { op: 'not'; filter: Filter };

export type Tier = 'raw' | 'aggregates' | 'daily';

export interface TopQuery {
  kind: 'top';
  by: GroupField[];
  metric: Metric;
  from: number;
  to: number;
  limit: number;
  filter?: Filter;
  /** Forced tier; by default the backend picks the one that covers the range (see storage/query/tier.ts). */
  tier?: Tier;
}

export type Query = TopQuery;

export interface QueryResult {
  tier: Tier;
  columns: string[];
  rows: Record<string, string | number | null>[];
}
