import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import type Sigma from 'sigma';
import { api, contractCall, unwrap } from '../api/client';
import type { DepsDiffAnswer, DepsHistoryAnswer } from '../api/contract';
import { Empty, ErrorBox, Time, useAsync } from '../components';
import {
  buildGraph,
  type Change,
  download,
  edgeKey,
  generatedGraph,
  layoutInWorker,
  type Row,
  toDot,
} from '../graph/build';
import { GraphView, type Selection, snapshotPng } from '../graph/GraphView';
import { resolveTime } from '../time';
import { PROTOCOLS, si, useUrlState } from '../util';
import { TimeRange } from './TimeRange';

// ECharts only when an edge's history is shown: the graph page's first data does not wait for it.
const Chart = lazy(() => import('../charts/Chart').then((m) => ({ default: m.Chart })));

const DEFAULTS = {
  from: '-7d',
  to: 'now',
  minBytes: '',
  service: '',
  compare: '',
  view: 'host',
  generate: '',
};

declare global {
  interface Window {
    /** The bench (bench/ui.ts) reads the layout time and drives the camera of a generated graph. */
    __flowlensBench?: { layoutMs: number; nodes: number; edges: number; sigma: Sigma };
  }
}

async function loadEdges(s: typeof DEFAULTS) {
  const body = {
    from: s.from,
    to: s.to,
    ...(s.minBytes ? { minBytes: Number(s.minBytes) } : {}),
    ...(s.service ? { service: s.service } : {}),
    ...(s.view !== 'host' ? { view: s.view as 'group' | 'service' } : {}),
  };
  const map = await api.POST('/api/v1/deps', { body }).then(unwrap);
  let changes: Map<string, Change> | undefined;
  let diffNote: string | null = null;
  let rows = map.rows as Row[];
  if (s.compare) {
    const f = resolveTime(s.from)!;
    const t = resolveTime(s.to)!;
    const d = await contractCall<DepsDiffAnswer>('POST', '/api/v1/deps/diff', {
      from: f,
      to: t,
      baseFrom: f - (t - f),
      baseTo: f,
    });
    if (d.ok) {
      rows = d.data.rows;
      changes = new Map(d.data.rows.map((r) => [edgeKey(r), r.change]));
    } else diffNote = d.unavailable ? 'Comparison (deps diff): not available on this server.' : d.message;
  }
  return { rows, changes, diffNote };
}

function Details({ sel, rows }: { sel: Selection; rows: Row[] }) {
  const edge = sel && 'edge' in sel ? rows.find((r) => edgeKey(r) === sel.edge) : undefined;
  const history = useAsync(async () => {
    if (!edge) return null;
    const q = new URLSearchParams({
      client: String(edge.client_ip),
      server: String(edge.server_ip),
      port: String(edge.server_port),
      protocol: String(edge.ip_protocol),
      from: '-30d',
      to: 'now',
    });
    return contractCall<DepsHistoryAnswer>('GET', `/api/v1/deps/history?${q}`);
  }, [edge ? edgeKey(edge) : '']);
  if (!sel) return <div className="details">Click a node or an edge for its details.</div>;
  if ('node' in sel) {
    const out = rows.filter((r) => r.client_ip === sel.node);
    const inc = rows.filter((r) => r.server_ip === sel.node);
    return (
      <div className="details" data-testid="details">
        <h3>{sel.node}</h3>
        <p>
          depends on {out.length} service(s); {inc.length} client edge(s) depend on it
        </p>
        {out.map((r) => (
          <div key={edgeKey(r)}>
            → {r.server_ip}:{r.server_port} {si(Number(r.bytes_total), 'B')}
          </div>
        ))}
        {inc.map((r) => (
          <div key={edgeKey(r)}>
            ← {r.client_ip} on {r.server_port} {si(Number(r.bytes_total), 'B')}
          </div>
        ))}
      </div>
    );
  }
  if (!edge) return <div className="details">Edge not in the current map.</div>;
  const h = history.data;
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
            <td>bytes</td>
            <td>{si(Number(edge.bytes_total), 'B')}</td>
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
      {h && !h.ok && <p>Daily history: {h.unavailable ? 'not available on this server.' : h.message}</p>}
      {h?.ok && (
        <Suspense fallback={null}>
          <Chart
            option={{
              grid: { left: 50, right: 10, top: 10, bottom: 30 },
              xAxis: { type: 'category', data: h.data.days.map((d) => d.day) },
              yAxis: { type: 'value', axisLabel: { formatter: (v: number) => si(v) } },
              series: [{ type: 'line', data: h.data.days.map((d) => d.bytes) }],
            }}
          />
        </Suspense>
      )}
    </div>
  );
}

export default function Dependencies() {
  const [s, set] = useUrlState(DEFAULTS);
  const data = useAsync(async () => {
    if (s.generate) return null;
    return loadEdges(s);
  }, [s.from, s.to, s.minBytes, s.service, s.compare, s.view, s.generate]);
  const [sel, setSel] = useState<Selection>(null);
  const [graph, setGraph] = useState<ReturnType<typeof buildGraph> | null>(null);
  const [layoutMs, setLayoutMs] = useState<number | null>(null);
  const sigma = useRef<Sigma | null>(null);
  // A generated graph (the bench) depends on no answer.
  const answer = s.generate ? null : data.data;
  const rows = useMemo(() => answer?.rows ?? [], [answer]);

  useEffect(() => {
    const stop = new AbortController();
    setLayoutMs(null);
    const gen = /^(\d+)x(\d+)$/.exec(s.generate);
    const g = gen
      ? generatedGraph(Number(gen[1]), Number(gen[2]))
      : answer
        ? buildGraph(rows, answer.changes)
        : null;
    // Drawn once laid out: at its start positions a graph is many screen-long crossing edges, which software
    // WebGL spends seconds on (measured: bench/ui.ts).
    setGraph(null);
    if (!g || g.order === 0) return;
    layoutInWorker(g, g.order > 2000 ? 60 : g.order > 500 ? 100 : 300, stop.signal).then(
      (ms) => {
        if (stop.signal.aborted) return;
        setGraph(g);
        setLayoutMs(ms);
      },
      () => {},
    );
    return () => stop.abort();
  }, [answer, rows, s.generate]);

  useEffect(() => {
    if (s.generate && graph && layoutMs !== null && sigma.current)
      window.__flowlensBench = { layoutMs, nodes: graph.order, edges: graph.size, sigma: sigma.current };
  }, [s.generate, graph, layoutMs]);

  return (
    <div data-page="dependencies">
      <div className="controls">
        <TimeRange from={s.from} to={s.to} onChange={set} />
        <select aria-label="view" value={s.view} onChange={(e) => set({ view: e.target.value })}>
          <option value="host">hosts</option>
          <option value="group">groups</option>
          <option value="service">services</option>
        </select>
        <input
          aria-label="service or port"
          placeholder="service or port"
          defaultValue={s.service}
          onKeyDown={(e) => e.key === 'Enter' && set({ service: e.currentTarget.value.trim() })}
        />
        <input
          aria-label="minimum bytes"
          placeholder="min bytes"
          defaultValue={s.minBytes}
          onKeyDown={(e) => e.key === 'Enter' && set({ minBytes: e.currentTarget.value.replace(/\D/g, '') })}
        />
        <label>
          <input
            type="checkbox"
            checked={!!s.compare}
            onChange={(e) => set({ compare: e.target.checked ? '1' : '' })}
          />{' '}
          compare with the previous period
        </label>
        <button
          type="button"
          disabled={!graph}
          onClick={async () =>
            sigma.current && download('flowlens-deps.png', (await snapshotPng(sigma.current))!)
          }
        >
          PNG
        </button>
        <button
          type="button"
          disabled={!rows.length}
          onClick={() =>
            download('flowlens-deps.dot', new Blob([toDot(rows)], { type: 'text/vnd.graphviz' }))
          }
        >
          DOT
        </button>
        <button
          type="button"
          disabled={!rows.length}
          onClick={() =>
            download(
              'flowlens-deps.json',
              new Blob([JSON.stringify({ edges: rows }, null, 1)], { type: 'application/json' }),
            )
          }
        >
          JSON
        </button>
        {(data.loading || (rows.length > 0 && layoutMs === null)) && (
          <span className="loading">laying out…</span>
        )}
      </div>
      {data.error ? <ErrorBox error={data.error} /> : null}
      {data.data?.diffNote && <div className="empty unavailable">{data.data.diffNote}</div>}
      {data.data && rows.length === 0 && (
        <Empty>
          No dependencies in this range. Discovery runs over aggregated 5-minute windows: with fresh data,
          wait a few minutes or widen the range.
        </Empty>
      )}
      {graph && (
        <div className="split">
          <GraphView
            graph={graph}
            onSelect={setSel}
            onReady={(sg) => {
              sigma.current = sg;
            }}
          />
          <Details sel={sel} rows={rows} />
        </div>
      )}
      {graph && (
        <p data-testid="layout-status">
          {graph.order} nodes, {graph.size} edges;{' '}
          {layoutMs === null
            ? 'laying out (ForceAtlas2 in a worker)…'
            : `laid out in ${layoutMs.toFixed(0)} ms`}
        </p>
      )}
    </div>
  );
}
