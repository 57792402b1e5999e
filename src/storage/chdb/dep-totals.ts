/** dependencyTotals on the embedded store: one GROUP BY over dependency_stats (see port.ts). */
import { type DependencyTotalsQuery, type DependencyTotalsRow, totalsPlan } from '../port.js';
import { type Db, dateText, num, numOrNull } from './db.js';

export async function dependencyTotals(db: Db, q: DependencyTotalsQuery): Promise<DependencyTotalsRow[]> {
  if (q.ids !== undefined && q.ids.length === 0) return [];
  const { first, end, periods } = totalsPlan(q);
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT toString(dependency_id) AS dep, arrayCount(x -> x <= stat_date, {splits:Array(Date)}) AS p,
       sum(bytes_total) AS b, sum(packets_total) AS pk, sum(flow_count) AS f, sum(sessions_total) AS s,
       max(bytes_p95) AS p95,
       -- a day without the split (rolled up before it was kept) leaves the period's request side unknown
       if(countIf(request_bytes IS NULL) > 0, NULL, sum(request_bytes)) AS rb
     FROM dependency_stats
     WHERE stat_date >= {d0:Date} AND stat_date < {d1:Date}
       ${q.ids ? 'AND dependency_id IN {ids:Array(UUID)}' : ''}
     GROUP BY dependency_id, p`,
    {
      d0: dateText(first),
      d1: dateText(end),
      splits: periods.slice(1).map(dateText),
      ...(q.ids ? { ids: [...q.ids] } : {}),
    },
  );
  return rows.map((r) => ({
    dependency_id: String(r.dep),
    period: periods[num(r.p)],
    bytes_total: num(r.b),
    packets_total: num(r.pk),
    flow_count: num(r.f),
    sessions_total: num(r.s),
    bytes_p95: numOrNull(r.p95),
    request_bytes: numOrNull(r.rb),
  }));
}
