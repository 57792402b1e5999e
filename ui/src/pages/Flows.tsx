import { useState } from 'react';
import { api, type QueryResult, unwrap } from '../api/client';
import { Empty, ErrorBox, Time, useAsync } from '../components';
import { FilterEditor } from '../editor/FilterEditor';
import { useUrlState } from '../util';
import { TimeRange } from './TimeRange';

const TIME_COLUMNS = new Set(['received_at', 'flow_start', 'flow_end']);

/** Raw flow search, newest first, paged by the answer's cursor (a stack of cursors to go back). */
export default function Flows() {
  const [s, set] = useUrlState({ filter: '', from: '-1h', to: 'now' });
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const data = useAsync(
    async () =>
      (await api
        .POST('/api/v1/flows', {
          body: { from: s.from, to: s.to, limit: 50, filter: s.filter.trim() || undefined, cursor },
        })
        .then(unwrap)) as QueryResult,
    [s.from, s.to, s.filter, cursor],
  );
  const r = data.data;
  const next = r?.next_cursor as string | null | undefined;
  const reset =
    <T,>(f: (v: T) => void) =>
    (v: T) => {
      setCursors([]);
      f(v);
    };
  return (
    <div data-page="flows">
      <div className="controls">
        <FilterEditor
          value={s.filter}
          onSubmit={reset((filter: string) => filter !== s.filter && set({ filter }))}
        />
        <TimeRange from={s.from} to={s.to} onChange={reset(set)} />
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← newer
        </button>
        <span>page {cursors.length + 1}</span>
        <button type="button" disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
          older →
        </button>
      </div>
      {data.error ? <ErrorBox error={data.error} /> : null}
      {r && r.rows.length === 0 && (
        <Empty>No flows in this range match. Widen the range, or point your routers at UDP 2055.</Empty>
      )}
      {r && r.rows.length > 0 && (
        <div className="scroll">
          <table data-testid="flows-table">
            <thead>
              <tr>
                {r.columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {r.rows.map((row, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: flows have no id; the page is replaced whole
                <tr key={i}>
                  {r.columns.map((c) => (
                    <td key={c}>{TIME_COLUMNS.has(c) ? <Time value={row[c]} /> : String(row[c] ?? '')}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
