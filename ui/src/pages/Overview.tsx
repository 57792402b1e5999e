import type { ReactNode } from 'react';
import { api, type QueryResult, unwrap } from '../api/client';
import { Empty, ErrorBox, Time, useAsync } from '../components';
import { navigate, si } from '../util';

function Tile({ title, to, children }: { title: string; to: string; children: ReactNode }) {
  return (
    <section className="tile" data-tile={title}>
      <h3>
        <a
          href={to}
          onClick={(e) => {
            e.preventDefault();
            navigate(to);
          }}
        >
          {title}
        </a>
      </h3>
      {children}
    </section>
  );
}

const NO_DATA = 'No flows yet: point your routers at UDP 2055 (NetFlow/IPFIX) or 6343 (sFlow).';

function Rates() {
  const s = useAsync(async () => {
    const body = { from: '-3h', to: 'now', metric: 'bytes' as const, by: [], limit: 1 };
    const [bytes, flows] = await Promise.all([
      api.POST('/api/v1/series', { body }).then(unwrap),
      api.POST('/api/v1/series', { body: { ...body, metric: 'flows' } }).then(unwrap),
    ]);
    const rate = (r: QueryResult, metric: string) => {
      const rows = r.rows.filter((x) => x.series === 'total' && Number(x[metric]) > 0);
      const step = Number(r.step) || 300_000;
      // The current step is still filling: the rate is the last complete one's.
      const done = rows.filter((x) => Number(x.t) + step <= Date.now());
      const last = done.at(-1) ?? rows.at(-1);
      return {
        now: last ? Number(last[metric]) / (step / 1000) : 0,
        total: rows.reduce((a, x) => a + Number(x[metric]), 0),
      };
    };
    return { bytes: rate(bytes as QueryResult, 'bytes'), flows: rate(flows as QueryResult, 'flows') };
  }, []);
  return (
    <Tile title="Traffic" to="/explore">
      {s.error ? <ErrorBox error={s.error} /> : null}
      {s.data && s.data.flows.total === 0 && <Empty>{NO_DATA}</Empty>}
      {s.data && s.data.flows.total > 0 && (
        <div>
          <div className="big" data-testid="flows-rate">
            {si(s.data.flows.now, 'flows/s')}
          </div>
          <div className="big">{si(s.data.bytes.now * 8, 'bit/s')}</div>
          <div>
            last 3 h: {si(s.data.flows.total)} flows, {si(s.data.bytes.total, 'B')}
          </div>
        </div>
      )}
    </Tile>
  );
}

function TopTile({ title, by, to }: { title: string; by: 'src_ip' | 'dst_port'; to: string }) {
  const s = useAsync(
    () => api.POST('/api/v1/top', { body: { from: '-1h', to: 'now', by: [by], limit: 5 } }).then(unwrap),
    [by],
  );
  const rows = (s.data as QueryResult | undefined)?.rows ?? [];
  return (
    <Tile title={title} to={to}>
      {s.error ? <ErrorBox error={s.error} /> : null}
      {s.data && rows.length === 0 && <Empty>{NO_DATA}</Empty>}
      <table>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r[by])}>
              <td>{String(r[by])}</td>
              <td className="num">{si(Number(r.bytes), 'B')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Tile>
  );
}

function ExportersTile() {
  const s = useAsync(() => api.GET('/api/v1/exporters').then(unwrap), []);
  return (
    <Tile title="Exporters" to="/exporters">
      {s.error ? <ErrorBox error={s.error} /> : null}
      {s.data?.exporters.length === 0 && <Empty>No exporter has sent anything yet.</Empty>}
      {s.data?.exporters.map((e) => (
        <div key={`${e.exporter}/${e.observationDomain}`}>
          {e.exporter} {e.protocol}: {si(e.flowsPerSecond, 'flows/s')}, last <Time value={e.lastSeen} />
        </div>
      ))}
    </Tile>
  );
}

function NewEdges() {
  const s = useAsync(() => api.POST('/api/v1/deps', { body: { from: '-1d', to: 'now' } }).then(unwrap), []);
  const day = Date.now() - 86_400_000;
  const rows = (s.data?.rows ?? []).filter((r) => Number(r.first_seen) >= day);
  return (
    <Tile title="New dependencies today" to="/dependencies">
      {s.error ? <ErrorBox error={s.error} /> : null}
      {s.data && rows.length === 0 && (
        <Empty>No new edges today (discovery runs over aggregated 5-minute windows).</Empty>
      )}
      {rows.slice(0, 8).map((r) => (
        <div key={`${r.client_ip}>${r.server_ip}:${r.server_port}`}>
          {r.client_ip} → {r.server_ip}:{r.server_port}
        </div>
      ))}
    </Tile>
  );
}

function Scans() {
  const s = useAsync(() => api.POST('/api/v1/scans', { body: { from: '-1d', to: 'now' } }).then(unwrap), []);
  return (
    <Tile title="Recent scans" to="/flows?filter=tcp+flags+S">
      {s.error ? <ErrorBox error={s.error} /> : null}
      {s.data?.rows.length === 0 && <Empty>No scanner seen in the last day.</Empty>}
      {s.data?.rows.slice(0, 5).map((r) => (
        <div key={r.src_ip}>
          {r.src_ip}: ~{r.targets_estimated} targets, {r.ports} ports
        </div>
      ))}
    </Tile>
  );
}

export function Overview() {
  return (
    <div className="tiles" data-page="overview">
      <Rates />
      <ExportersTile />
      <TopTile title="Top talkers" by="src_ip" to="/explore?by=src_ip" />
      <TopTile title="Top services" by="dst_port" to="/explore?by=dst_port" />
      <NewEdges />
      <Scans />
    </div>
  );
}
