/**
 * The hourly rollup of the aggregate tier (flow_hourly): the 5-minute rows summed per hour on the same key
 * (exporter, addresses, ports, protocol). Every field the aggregate tier answers is a key column here and
 * every metric a sum, so a top-N over whole hours reads it instead of twelve times as many windows and gets
 * the same answer (a day of the 10 M-flow benchmark: 5.6 M aggregate rows, 1.4 M hourly ones).
 *
 * Kept in step by aggregateWindows: every hour whose windows it (re)writes is built again from them, delete
 * and insert, in the same call (the current hour at each run, about a tenth of a second at 10 M flows a
 * day; an hour reached by late flows when they are aggregated). The hours being rewritten are noted in
 * the store first (`hourly_pending`) and cleared once built: a top-N reads those from the windows, and the
 * next aggregateWindows builds them again if the process died in between (import has no retry of its
 * own). Hours before `hourly_from` (the hour after the newest window when the table was created on a
 * store that had aggregates) and hours that begin before the aggregates' retention cutoff (partly expired)
 * are never read from here. Top-N statements and series whose step is whole hours read it (answer.ts
 * `rollup`); finer series steps and row queries read the windows.
 */
import { HOUR_MS } from '../../core/rules.js';
import type { PlanPart } from '../../query/ast.js';
import type { Binder, PartSource } from '../sql/dialect.js';
import { JOB_SETTINGS, PATCH_DELETE, WINDOWS_WHERE } from './aggregate.js';
import type { Db } from './db.js';

/** Settings key: hours before this instant (epoch ms) are not in flow_hourly (see above). */
export const HOURLY_FROM_KEY = 'hourly_from';
/** Settings key: the hours `lo,hi` (epoch ms) being rewritten; empty when none (see above). */
export const HOURLY_PENDING_KEY = 'hourly_pending';

/** The pending hours a setting value names, or null. */
export function parsePending(v: string | null): [number, number] | null {
  const m = /^(\d+),(\d+)$/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** An hourly part only pays when it replaces at least this many windows' rows. */
const MIN_HOURS = 2;

const KEY = 'exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol';

export const CREATE_HOURLY = `CREATE TABLE IF NOT EXISTS flow_hourly (
  hour DateTime('UTC'),
  exporter_ip IPv6,
  src_ip IPv6,
  dst_ip IPv6,
  src_port UInt16,
  dst_port UInt16,
  ip_protocol UInt8,
  flow_count UInt64,
  bytes_total UInt64,
  packets_total UInt64
) ENGINE = MergeTree
PARTITION BY toDate(hour)
ORDER BY (hour, ${KEY})
SETTINGS ttl_only_drop_parts = 1, enable_block_number_column = 1, enable_block_offset_column = 1`;

/**
 * Where a store with aggregates starts its hourly rollup: the hour after its newest window (that hour and
 * later ones are built as their windows are aggregated); 0 on a store without aggregates.
 */
export const SET_HOURLY_FROM = `INSERT INTO flowlens_settings (key, value, version)
SELECT '${HOURLY_FROM_KEY}',
  toString(if(count() = 0, 0, (toUnixTimestamp(toStartOfHour(max(window_start))) + 3600) * 1000)),
  toUInt64(toUnixTimestamp64Milli(now64(3))) * 1000
FROM flow_aggregates`;

const HOURS = `hour >= toDateTime(intDiv({lo:Int64}, 1000), 'UTC') AND hour < toDateTime(intDiv({hi:Int64}, 1000), 'UTC')`;
const DELETE_HOURS = `DELETE FROM flow_hourly WHERE ${HOURS}\n${PATCH_DELETE}`;
const BUILD_HOURS = `INSERT INTO flow_hourly
SELECT toStartOfHour(window_start) AS hour, ${KEY}, sum(flow_count), sum(bytes_total), sum(packets_total)
FROM flow_aggregates
WHERE ${WINDOWS_WHERE}
GROUP BY hour, ${KEY}
SETTINGS ${JOB_SETTINGS}`;

/** After windows [from, to) were aggregated: builds again every hour they touch. */
export async function buildHours(db: Db, from: number, to: number): Promise<void> {
  const lo = Math.floor(from / HOUR_MS) * HOUR_MS;
  const hi = Math.ceil(to / HOUR_MS) * HOUR_MS;
  if (hi <= lo) return;
  await db.exec(DELETE_HOURS, { lo, hi });
  await db.exec(BUILD_HOURS, { lo, hi });
}

/**
 * A top-N's parts with the whole hours of each aggregate part read from flow_hourly (`rollup: 'hourly'`)
 * and the windows before and after them from flow_aggregates. Only hours from `from` on (hourly_from, the
 * aggregates' retention cutoff) and none of an aggregate part that meets the `pending` hours.
 */
export function withHourly(
  parts: readonly PlanPart[],
  o: { from: number; pending?: readonly [number, number] | null },
): PlanPart[] {
  const out: PlanPart[] = [];
  for (const p of parts) {
    const lo = Math.max(Math.ceil(p.from / HOUR_MS) * HOUR_MS, Math.ceil(o.from / HOUR_MS) * HOUR_MS);
    const hi = Math.floor(p.to / HOUR_MS) * HOUR_MS;
    const pending = o.pending && o.pending[0] < hi && lo < o.pending[1];
    if (p.tier !== 'aggregates' || hi - lo < MIN_HOURS * HOUR_MS || pending) {
      out.push(p);
      continue;
    }
    if (p.from < lo) out.push({ ...p, to: lo });
    out.push({ ...p, from: lo, to: hi, rollup: 'hourly' });
    if (hi < p.to) out.push({ ...p, from: hi });
  }
  return out;
}

/** FROM, time condition and step of an hourly part (the dialect's rollup). */
export function hourlySource(
  from: number,
  to: number,
  b: Binder & { typed(t: string, v: unknown): string },
): PartSource {
  return {
    table: 'flow_hourly',
    where: `hour >= toDateTime(${b.typed('Int64', Math.ceil(from / 1000))}, 'UTC') AND hour < toDateTime(${b.typed('Int64', Math.ceil(to / 1000))}, 'UTC')`,
    bucket: (step) =>
      `intDiv(toInt64(toUnixTimestamp(hour)) * 1000, ${b.typed('Int64', step)}) * ${b.typed('Int64', step)}`,
  };
}
