/**
 * The few places where the ClickHouse family and PostgreSQL spell the same query differently. The one
 * compiler (compile.ts) writes everything else once, so a new filter operator or query shape is written
 * once for every store.
 */
import type { DerivedField } from '../../core/columns.js';
import type { Filter, Tier } from '../../query/ast.js';

/** An extended_fields leaf. */
export type ExtLeaf = Extract<Filter, { op: 'ext' }>;

/** Collects bound values; returns the placeholder for each. Never inlines a value into SQL text. */
export interface Binder {
  /** type: what the value is bound as. */
  bind(value: unknown, type: 'ip' | 'int' | 'text' | 'uint' | 'num'): string;
}

/** Where a part's rows come from: FROM, the time condition, and the step a row falls in (as bucket()). */
export interface PartSource {
  table: string;
  where: string;
  bucket(step: number): string;
}

export interface Dialect {
  binder(): Binder & { params(): unknown };
  /** FROM clause of a tier (daily: dependency_stats `s` joined to its edge `d`). */
  table(tier: Tier): string;
  /** Rows whose tier time lies in [from, to) (raw flow_start, aggregates window_start, daily stat_date). */
  timeWhere(tier: Tier, from: number, to: number, b: Binder): string;
  /**
   * Optional: the source of a part read from a rollup of the aggregate tier (PlanPart.rollup); its rows
   * have the aggregate tier's key and sum columns.
   */
  rollup?(name: 'hourly', from: number, to: number, b: Binder): PartSource;
  /** A raw counter scaled by the row's sampling rate (estimated real traffic), summed. */
  scaledSum(counter: 'bytes_total' | 'packets_total'): string;
  /** `col` lies in the CIDR; null when the text is not a CIDR. */
  inCidr(col: string, cidr: string, b: Binder): string | null;
  /** An address value bound for comparison with `col`; null when the text is not an address. */
  ipEquals(col: string, value: string, b: Binder): string | null;
  /** The aggregate tier's stand-in for an absent address / protocol, as a SQL literal. */
  sentinel(value: '::' | 0): string;
  /** A grouped value as the result shows it (PostgreSQL: host() of an inet). */
  output(expr: string, kind: 'ip' | 'other'): string;
  /** Sort key of a grouped value (addresses in the IPv6 space every backend sorts by). */
  orderKey(expr: string, kind: 'ip' | 'other'): string;
  /** The column a text field is compared as (PostgreSQL: the enum as text). */
  textColumn(col: string): string;
  /** `expr & mask` (ClickHouse has no & operator). */
  bitAnd(expr: string, mask: string): string;
  /** A derived per-flow measure of the raw tier (core/columns.ts): duration in ms, rates per second. */
  derived(field: DerivedField): string;
  /**
   * An extended_fields leaf on the raw tier: NULL when the path is missing (except `exists`), false for a
   * value of another JSON type; the path's keys and the value are bound parameters.
   */
  ext(leaf: ExtLeaf, b: Binder): string;
  /**
   * The value at an extended_fields path on the raw tier as grouped text (query/ast.ts ExtGroupKey): a
   * JSON string as itself, any other JSON value as its text, NULL when the path is missing; keys bound.
   */
  extValue(path: readonly string[], b: Binder): string;
  /**
   * Epoch ms of the start of the `step`-ms step (aligned to the epoch) a tier row's time falls in: raw
   * flow_start, aggregates window_start, daily stat_date (midnight UTC). An integer.
   */
  bucket(tier: Tier, step: number, b: Binder): string;
  /**
   * Optional: the 0-based position of `col`'s value among `values` (non-null addresses as text, or
   * integers), -1 when it is none of them (NULL included), where the engine has a faster form than the
   * CASE the compiler writes otherwise (ClickHouse's transform is a hash lookup; a 10-way CASE made a
   * 24-hour series three times slower). The values are bound here; null for a value it cannot bind.
   */
  rankOf?(col: string, kind: 'ip' | 'int', values: readonly (string | number)[], b: Binder): string | null;
  /**
   * Optional: lets a top-N test a tenant scope's networks once per group instead of once per row
   * (compile.ts groupScope). `agg` is a metric aggregate as the compiler writes it (`sum(...)` or
   * `count(*)`); the answer is the same aggregate over the group's rows where `cond` holds.
   * ClickHouse only: on PostgreSQL row-level security tests every row whatever the query does.
   */
  aggregateIf?(agg: string, cond: string): string;
  /** A raw timestamp column as epoch ms (an integer), for reading a sort key back. */
  epochMs(col: string): string;
  /** Epoch ms bound as a value comparable with a raw timestamp column. */
  timestamp(ms: number, b: Binder): string;
}
