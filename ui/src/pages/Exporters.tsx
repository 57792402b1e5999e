import { api, unwrap } from '../api/client';
import { Empty, ErrorBox, Loading, Time, useAsync } from '../components';
import { si } from '../util';

// A template's age is null until its first data record (the collector only times templates it has used).
const age = (s: number | null) => (s === null ? 'unused' : `${s}s`);

/** Per exporter and observation domain: health, sequence loss, templates, sampling (GET /api/v1/exporters). */
export default function Exporters() {
  const s = useAsync(() => api.GET('/api/v1/exporters').then(unwrap), []);
  if (s.loading && !s.data) return <Loading />;
  if (s.error) return <ErrorBox error={s.error} />;
  const list = s.data!.exporters;
  if (list.length === 0)
    return (
      <Empty>
        No exporter has sent anything yet: point your routers at UDP 2055 (NetFlow/IPFIX) or 6343 (sFlow).
      </Empty>
    );
  return (
    <table data-page="exporters" data-testid="exporters-table">
      <thead>
        <tr>
          <th>exporter</th>
          <th>domain</th>
          <th>protocol</th>
          <th className="num">flows/s</th>
          <th className="num">flows</th>
          <th className="num">lost / received</th>
          <th className="num">decode errors</th>
          <th>templates (age)</th>
          <th>sampling</th>
          <th>last seen</th>
        </tr>
      </thead>
      <tbody>
        {list.map((e) => (
          <tr key={`${e.exporter}/${e.observationDomain}`}>
            <td>{e.exporter}</td>
            <td>{e.observationDomain}</td>
            <td>{e.protocol}</td>
            <td className="num">{si(e.flowsPerSecond)}</td>
            <td className="num">{si(e.flows)}</td>
            <td className="num">
              {e.sequence.lost} / {e.sequence.received}
              {e.sequence.resets ? ` (${e.sequence.resets} resets)` : ''}
            </td>
            <td className="num">{e.decodeErrors}</td>
            <td>
              {e.templates
                .map((t) => `${t.id} ${t.kind} (${age(t.ageSeconds)}, ${t.fields} fields)`)
                .join(', ') || '-'}
            </td>
            <td>
              {e.sampling.map((x) => `1:${x.rate} from ${x.source} (${si(x.flows)} flows)`).join(', ') || '-'}
            </td>
            <td>
              <Time value={e.lastSeen} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
