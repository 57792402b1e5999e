import { contractCall } from '../api/client';
import type { ExportersAnswer } from '../api/contract';
import { Empty, ErrorBox, Loading, Time, Unavailable, useAsync } from '../components';
import { si } from '../util';

/** Per exporter and observation domain: health, sequence loss, templates, sampling (GET /api/v1/exporters). */
export default function Exporters() {
  const s = useAsync(() => contractCall<ExportersAnswer>('GET', '/api/v1/exporters'), []);
  if (s.loading && !s.data) return <Loading />;
  if (s.error) return <ErrorBox error={s.error} />;
  const d = s.data!;
  if (!d.ok)
    return d.unavailable ? (
      <Unavailable what="Exporter health (GET /api/v1/exporters)" />
    ) : (
      <ErrorBox error={d.message} />
    );
  const list = d.data.exporters;
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
            </td>
            <td className="num">{e.decodeErrors}</td>
            <td>
              {e.templates.map((t) => `${t.id} (${t.ageSeconds}s, ${t.fields} fields)`).join(', ') || '-'}
            </td>
            <td>{e.sampling.map((x) => `1:${x.rate} from ${x.source}`).join(', ') || '-'}</td>
            <td>
              <Time value={e.lastSeen} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
