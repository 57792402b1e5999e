import { api, unwrap } from '../api/client';
import { ErrorBox, Loading, Time, useAsync } from '../components';

/** Admin only (the nav offers it to admins): API tokens, never their secrets. */
export default function Tokens() {
  const s = useAsync(() => api.GET('/api/v1/tokens').then(unwrap), []);
  if (s.error) return <ErrorBox error={s.error} />;
  if (!s.data) return <Loading />;
  if (s.data.tokens.length === 0)
    return <div className="empty">No API tokens yet: `flowlens token create --role viewer` makes one.</div>;
  return (
    <table data-page="tokens">
      <thead>
        <tr>
          <th>id</th>
          <th>name</th>
          <th>role</th>
          <th>expires</th>
        </tr>
      </thead>
      <tbody>
        {s.data.tokens.map((t) => {
          const r = t as Record<string, unknown>;
          return (
            <tr key={String(r.id)}>
              <td>{String(r.id)}</td>
              <td>{String(r.name ?? '')}</td>
              <td>{String(r.role)}</td>
              <td>
                <Time value={r.expires_at as number | null} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
