/**
 * The query representation backends compile to parametrized SQL. No SQL outside backends, and user input
 * only ever travels as values of this tree, never as SQL text.
 */

import type { FilterField, GroupField, NumericField } from '../core/columns.js';

export {
  FILTER_FIELDS,
  type FilterField,
  GROUP_FIELDS,
  type GroupField,
  type NumericField,
} from '../core/columns.js';

/**
 * A group key on a value of extended_fields (raw tier only): `ext.` and the path's object keys joined by
 * dots, e.g. `ext.applicationName`. The value groups as text: a JSON string as itself, a number or
 * boolean as its JSON text; a record without the path, JSON null, an object or an array group as null
 * (name a key inside an object instead).
 */
export type ExtGroupKey = `ext.${string}`;
/** What a top-N or series may group by: a canonical field or an extended_fields path. */
export type GroupBy = GroupField | ExtGroupKey;
export const EXT_KEY_PATTERN = /^ext(\.[A-Za-z0-9_-]{1,64}){1,8}$/;
export const isExtKey = (k: string): k is ExtGroupKey => k.startsWith('ext.');
export const extKeyPath = (k: ExtGroupKey): string[] => k.slice(4).split('.');
/** The field a group key reads (what the planner asks each tier for). */
export const byField = (k: GroupBy): FilterField => (isExtKey(k) ? 'extended_fields' : k);

/** Address fields (core/columns.ts IP_FIELDS). */
export type IpField = 'src_ip' | 'dst_ip' | 'exporter_ip' | 'next_hop';

export type Metric = 'bytes' | 'packets' | 'flows';

export type CmpOp = '<' | '<=' | '=' | '!=' | '>=' | '>';

/**
 * A filter: a closed tree (query/validate.ts), parsed from the filter language (query/filter) or sent as
 * JSON. A leaf on a value the flow lacks (NULL, a missing extended_fields key) is unknown, as in SQL:
 * neither it nor its negation holds.
 */
export type Filter =
  | { op: 'eq'; field: FilterField; value: string | number }
  | { op: 'in_cidr'; field: IpField; cidr: string }
  /** field <cmp> value on a numeric field. */
  | { op: 'cmp'; field: NumericField; cmp: CmpOp; value: number }
  /** min <= field <= max (both inclusive, as `port 1024-65535`). */
  | { op: 'range'; field: NumericField; min: number; max: number }
  /** The field is one of the values. */
  | { op: 'in'; field: NumericField; values: number[] }
  /** Every bit of mask is set in tcp_flags (`flags SA`: SYN and ACK). */
  | { op: 'flags'; mask: number }
  /**
   * A value inside extended_fields at path (keys from the top): present (`exists`), equal to a string or
   * number of the same JSON type (`eq`), a string matching a regular expression (`regex`) or a LIKE
   * pattern (`like`). A missing key makes the leaf unknown (except `exists`).
   */
  | { op: 'ext'; path: string[]; test: 'exists' }
  | { op: 'ext'; path: string[]; test: 'eq'; value: string | number }
  | { op: 'ext'; path: string[]; test: 'regex' | 'like'; value: string }
  /**
   * Dependency queries only: the filter applies to the client's or the server's side of an edge (its
   * leaves name src_* for the client, dst_* for the server, as the daily tier reads them). `pos` is the
   * offset in the filter text, for errors.
   */
  | { op: 'role'; role: 'client' | 'server'; filter: Filter; pos?: number }
  /** Dependency queries only: an operator label (group or name) of either side, or of a role's side. */
  | { op: 'label'; label: 'group' | 'name'; value: string; pos?: number }
  | { op: 'and'; filters: Filter[] }
  | { op: 'or'; filters: Filter[] }
  | { op: 'not'; filter: Filter };

export type Tier = 'raw' | 'aggregates' | 'daily';

export interface TopQuery {
  kind: 'top';
  by: GroupBy[];
  metric: Metric;
  from: number;
  to: number;
  limit: number;
  filter?: Filter;
  /** Forced tier; by default the range is split across the tiers by what each holds (query/plan.ts). */
  tier?: Tier;
  /**
   * Append one row summing every group not in the top `limit`: the `by` fields null and the column
   * `other` = 1 (0 on the top rows; the column is present only when this is set). Its metric is the
   * total over the answered parts minus the top rows, so top rows + other = the total (0 when nothing
   * is left over).
   */
  other?: boolean;
  /**
   * Beside each row, the same group's metric over the previous period of equal length
   * ([from - (to - from), from)), planned on its own (column `<metric>_previous`, 0 for a group without
   * traffic then; result `previous` names its parts and gaps).
   */
  previous?: boolean;
}

/**
 * The metric per time step over [from, to) (query/steps.ts chooses the step from the range and the
 * tiers of the plan unless `step` is given). With `by`, the top `limit` groups over the whole range get
 * their own series and everything else is summed per step as `other`.
 *
 * Result columns: t (epoch ms of the step's start; steps aligned to the epoch), the `by` fields, the
 * metric, and `series`: 'total' (every step of the range, 0 when empty; by fields null), 'group' (a top
 * group, in a step where it has rows), 'other' (the rest, in a step where any other group has rows; by
 * fields null). Rows ordered by t, then total, groups in rank order, other.
 */
export interface SeriesQuery {
  kind: 'series';
  by: GroupBy[];
  metric: Metric;
  from: number;
  to: number;
  /** How many groups get their own series (ignored without `by`). */
  limit: number;
  /** Step in ms (a multiple of one minute; of 5 minutes when aggregates answer, of a day for daily). */
  step?: number;
  filter?: Filter;
  tier?: Tier;
}

/**
 * Raw flows with flow_start in [from, to), newest first, a page of `limit` at a time. `cursor` is the
 * `next_cursor` of the previous page (opaque; query/cursor.ts): the page starts strictly after the last
 * row of that page in the order flow_start DESC and a tie-breaker over the other key columns. Columns:
 * the canonical record's (extended_fields as JSON text).
 */
export interface FlowSearchQuery {
  kind: 'flow_search';
  from: number;
  to: number;
  filter?: Filter;
  limit: number;
  cursor?: string;
}

/**
 * Rows of the 5-minute aggregate tier with window_start in [from, to), ordered by the tier's key
 * (window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol). Columns: AGGREGATE_COLUMNS.
 */
export interface AggregateRowsQuery {
  kind: 'aggregate_rows';
  from: number;
  to: number;
  filter?: Filter;
  limit?: number;
}

/** Raw flow records with flow_start in [from, to), newest first. Columns: the canonical record's. */
export interface FlowsQuery {
  kind: 'flows';
  from: number;
  to: number;
  filter?: Filter;
  limit: number;
}

/**
 * Scan and fan-out detection on raw flows with flow_start in [from, to) (storage/sql/scans.ts). A target
 * is a distinct (dst_ip, dst_port) pair a source sent to. Sampling: a probe of a scan is one or two
 * packets, so a 1:N sampled exporter sees a target with probability about 1/N; the estimate of distinct
 * targets is the Horvitz-Thompson sum, over the targets seen, of the lowest sampling rate each was seen
 * at (an unsampled sighting counts 1). Sources with targets_estimated >= minTargets and targets_sampled
 * >= minSampledTargets are reported, most targets first. Columns: SCAN_COLUMNS.
 */
export interface ScanQuery {
  kind: 'scans';
  from: number;
  to: number;
  filter?: Filter;
  minTargets: number;
  minSampledTargets: number;
  limit: number;
}

export const SCAN_COLUMNS = [
  'src_ip',
  'targets_estimated',
  'targets_sampled',
  'ports',
  'syn_only_flows',
  'first_seen',
  'last_seen',
  'sampling_rate',
] as const;

/** `top` with `by: []` yields one row: the metric's total over the range (e.g. a raw flow count). */
export type Query = TopQuery | SeriesQuery | FlowSearchQuery | AggregateRowsQuery | FlowsQuery | ScanQuery;

/**
 * Columns of an aggregate row as every backend returns them: times in epoch ms, addresses as strings
 * (IPv4 dotted), numbers as numbers, is_internal as 0/1, protocol_sources as JSON text of per-protocol
 * flow COUNTS with keys sorted ({"ipfix":2,"netflow_v9":5}), interfaces as JSON text
 * {"input":[sorted distinct],"output":[sorted distinct]} (nulls left out); the biflow evidence
 * columns last (storage/port.ts BiflowTotals).
 */
export const AGGREGATE_COLUMNS = [
  'window_start',
  'window_end',
  'exporter_ip',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'ip_protocol',
  'flow_count',
  'bytes_total',
  'packets_total',
  'bytes_sampled',
  'packets_sampled',
  'sampling_rate',
  'tcp_flags_observed',
  'new_sessions',
  'closed_sessions',
  'min_duration_ms',
  'max_duration_ms',
  'avg_duration_ms',
  'protocol_sources',
  'interfaces',
  'is_internal',
  'traffic_direction',
  'src_initiated',
  'dst_initiated',
  'reverse_bytes',
  'reverse_packets',
  'reverse_flows',
  'reverse_tcp_flags',
] as const;

export interface PlanPart {
  tier: Tier;
  from: number;
  to: number;
  /** Set when the part answers the query's fields only approximately (see core/columns.ts). */
  approx?: FilterField[];
  /**
   * Set by a store on the parts of its own statements (never in a result): the span is read from the
   * store's hourly rollup of the aggregate tier, the same sums on the same keys (chdb/hourly.ts).
   */
  rollup?: 'hourly';
}

/** A span of the requested range the plan does not answer, or answers only approximately. */
export interface PlanGap {
  from: number;
  to: number;
  reason: 'expired' | 'fields' | 'approx' | 'partial_day' | 'forced_tier' | 'not_aggregated';
  /** The query's fields the answering tier lacks (reason 'fields') or keeps approximately ('approx'). */
  fields?: FilterField[];
  /** One line for people. */
  message: string;
}

export interface QueryResult {
  /** The tier of the newest part (the only one for row queries). */
  tier: Tier;
  /** Which tier answered which span (top-N; row queries read one tier). */
  parts?: PlanPart[];
  /** Spans not answered, or answered approximately, and why (query/plan.ts). */
  gaps?: PlanGap[];
  /** False when part of the range is not in the answer (gaps other than 'approx'). */
  complete?: boolean;
  columns: string[];
  rows: Record<string, string | number | null>[];
  /** Series: the step in ms. */
  step?: number;
  /** Flow search: the cursor of the next page; null on the last page. */
  next_cursor?: string | null;
  /** Top-N with `previous`: the previous period and how it was answered. */
  previous?: { from: number; to: number; parts: PlanPart[]; gaps: PlanGap[]; complete: boolean };
}
