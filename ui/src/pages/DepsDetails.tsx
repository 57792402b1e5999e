/** The details of the selected node (its edges; a cluster's members) or edge (its figures and daily history). */
import { lazy, Suspense } from 'react';
import { api, unwrap } from '../api/client';
import { Progress, Time, useAsync } from '../components';
import { edgeKey, type Row } from '../graph/build';
import { CLUSTER_PREFIX } from '../graph/cluster';
import type { Selection } from '../graph/GraphView';
import { local, PROTOCOLS, si, utc } from '../util';

// ECharts only when an edge's history is shown: the graph page's first data does not wait for it.
const Chart = lazy(() => import('../charts/Chart').then((m) => ({ default: m.Chart })));

function NodeDetails({ node, rows }: { node: string; rows: Row[] }) {
  const group = node.startsWith(CLUSTER_PREFIX) ? node.slice(CLUSTER_PREFIX.length) : null;
  const out = rows.filter((r) => (group ? r.client_group === group : r.client_ip === node));
  const inc = rows.filter((r) => (group ? r.server_group === group : r.server_ip === node));
  return (
    <div className="details" data-testid="details">
      <h3>{group ? `group ${group}` : node}</h3>
      <p>
        depends on {out.length} service(s); {inc.length} client edge(s) depend on it
        {group ? ' (zoom in for its hosts)' : ''}
      </p>
      {out.map((r) => (
        <div key={edgeKey(r)}>
          {group ? `${r.client_ip} ` : ''}→ {r.server_ip}:{r.server_port} {si(Number(r.bytes_total), 'B')}
        </div>
      ))}
      {inc.map((r) => (
        <div key={edgeKey(r)}>
          ← {r.client_ip} on {group ? `${r.server_ip}:` : ''}
          {r.server_port} {si(Number(r.bytes_total), 'B')}
        </div>
      ))}
    </div>
  );
}

/** GET /api/v1/deps/history: the edge's bytes per day over 30 days, as a small chart and its day range. */
function History({ edge }: { edge: Row }) {
  const h = useAsync(
    () =>
      api
        .GET('/api/v1/deps/history', {
          params: {
            query: {
              client: String(edge.client_ip),
              server: String(edge.server_ip),
              port: Number(edge.server_port),
              protocol: Number(edge.ip_protocol),
              from: '-30d',
              to: 'now',
            },
          },
        })
        .then(unwrap),
    [edgeKey(edge)],
  );
  if (h.loading) return <Progress what="Loading the edge's daily history" />;
  if (!h.data) return <p role="alert">Daily history: {String((h.error as Error)?.message ?? h.error)}</p>;
  const { days, changes } = h.data;
  return (
    <div data-testid="history" data-days={days.length}>
      <h4>
        Daily history: {days.length} day(s)
        {days.length ? `, ${days[0].day} to ${days[days.length - 1].day}` : ''}
      </h4>
      {days.length > 0 && (
        <Suspense fallback={null}>
          <Chart
            small
            option={{
              grid: { left: 50, right: 10, top: 10, bottom: 30 },
              tooltip: { trigger: 'axis' },
              xAxis: { type: 'category', data: days.map((d) => d.day) },
              yAxis: { type: 'value', axisLabel: { formatter: (v: number) => si(v) } },
              // A symbol per day: a young edge has one or two days, which a bare line would not show.
              series: [
                {
                  type: 'line',
                  name: 'bytes',
                  showSymbol: true,
                  symbolSize: 7,
                  areaStyle: { opacity: 0.15 },
                  data: days.map((d) => d.bytes),
                },
              ],
            }}
          />
        </Suspense>
      )}
      {changes.map((c) => (
        <div key={`${c.at}/${c.field}`} title={utc(Date.parse(c.at))}>
          {local(Date.parse(c.at))}: {c.field} {c.from} → {c.to}
        </div>
      ))}
    </div>
  );
}

export function Details({ sel, rows, hostView }: { sel: Selection; rows: Row[]; hostView: boolean }) {
  if (!sel) return <div className="details">Click a node or an edge for its details.</div>;
  if ('node' in sel) return <NodeDetails node={sel.node} rows={rows} />;
  const edge = rows.find((r) => edgeKey(r) === sel.edge);
  if (!edge)
    return (
      <div className="details" data-testid="details">
        {sel.edge.startsWith(CLUSTER_PREFIX)
          ? 'Edges between groups: zoom in for the host edges they sum.'
          : 'Edge not in the current map.'}
      </div>
    );
  return (
    <div className="details" data-testid="details">
      <h3>
        {edge.client_ip} → {edge.server_ip}:{edge.server_port}/
        {PROTOCOLS[Number(edge.ip_protocol)] ?? edge.ip_protocol}
      </h3>
      <table>
        <tbody>
          <tr>
            <td>service</td>
            <td>{edge.service_name ?? '-'}</td>
          </tr>
          <tr>
            <td>groups</td>
            <td>
              {edge.client_group ?? '-'} → {edge.server_group ?? '-'}
            </td>
          </tr>
          <tr>
            <td>bytes</td>
            <td>{si(Number(edge.bytes_total), 'B')}</td>
          </tr>
          <tr>
            <td>requests / responses</td>
            <td>
              {edge.request_bytes === null
                ? 'not split (days rolled up before the split was kept)'
                : `${si(Number(edge.request_bytes), 'B')} / ${si(Number(edge.response_bytes), 'B')}`}
            </td>
          </tr>
          <tr>
            <td>p95 (5 min)</td>
            <td>{edge.bytes_p95 === null ? '-' : si(Number(edge.bytes_p95), 'B')}</td>
          </tr>
          <tr>
            <td>flows</td>
            <td>{si(Number(edge.flow_count))}</td>
          </tr>
          <tr>
            <td>direction by</td>
            <td>
              {edge.direction_rule} ({edge.confidence})
            </td>
          </tr>
          <tr>
            <td>first seen</td>
            <td>
              <Time value={edge.first_seen} />
            </td>
          </tr>
          <tr>
            <td>last seen</td>
            <td>
              <Time value={edge.last_seen} />
            </td>
          </tr>
        </tbody>
      </table>
      {/* History is kept per host edge: a group or service edge sums many of them. */}
      {hostView ? <History edge={edge} /> : <p>Daily history: per host edge (switch to the host view).</p>}
    </div>
  );
}
