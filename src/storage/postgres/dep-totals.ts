/** dependencyTotals on PostgreSQL: one GROUP BY over dependency_stats (see port.ts). */
import type pg from 'pg';
import { type DependencyTotalsQuery, type DependencyTotalsRow, totalsPlan } from '../port.js';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function dependencyTotals(
  pool: pg.Pool,
  q: DependencyTotalsQuery,
): Promise<DependencyTotalsRow[]> {
  if (q.ids !== undefined && q.ids.length === 0) return [];
  const { first, end, periods } = totalsPlan(q);
  const splits = periods.slice(1).map(day);
  // The period index: how many splits are at or before the day (width_bucket over the sorted splits;
  // with none, every day is period 0).
  const period = splits.length === 0 ? 'cardinality($3::date[])' : 'width_bucket(stat_date, $3::date[])';
  const r = await pool.query(
    `SELECT dependency_id::text AS dep, ${period} AS p, sum(bytes_total) AS b, sum(packets_total) AS pk,
       sum(flow_count) AS f, sum(sessions_total) AS s, max(bytes_p95) AS p95,
       -- a day without the split (rolled up before it was kept) leaves the period's request side unknown
       CASE WHEN count(*) FILTER (WHERE request_bytes IS NULL) > 0 THEN NULL ELSE sum(request_bytes) END AS rb
     FROM dependency_stats
     WHERE stat_date >= $1::date AND stat_date < $2::date
       ${q.ids ? 'AND dependency_id = ANY($4::uuid[])' : ''}
     GROUP BY 1, 2`,
    [day(first), day(end), splits, ...(q.ids ? [[...q.ids]] : [])],
  );
  return r.rows.map((row) => ({
    dependency_id: row.dep,
    period: periods[Number(row.p)],
    bytes_total: Number(row.b),
    packets_total: Number(row.pk),
    flow_count: Number(row.f),
    sessions_total: Number(row.s),
    bytes_p95: row.p95 === null ? null : Number(row.p95),
    request_bytes: row.rb === null ? null : Number(row.rb),
  }));
}
