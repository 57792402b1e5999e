import type Graph from 'graphology';
import { useEffect, useMemo, useRef, useState } from 'react';
import type Sigma from 'sigma';
import { api, unwrap } from '../api/client';
import { Empty, ErrorBox, Progress, useAsync } from '../components';
import {
  buildGraph,
  CHANGE_COLOR,
  type Change,
  download,
  edgeKey,
  generatedGraph,
  layoutInWorker,
  type Row,
  toDot,
} from '../graph/build';
import { clusterGraph } from '../graph/cluster';
import { GraphView, type Selection, snapshotPng } from '../graph/GraphView';
import { resolveTime } from '../time';
import { useUrlState } from '../util';
import { Details } from './DepsDetails';
import { TimeRange } from './TimeRange';

const DEFAULTS = {
  from: '-7d',
  to: 'now',
  minBytes: '',
  service: '',
  compare: '',
  view: 'host',
  group: '',
  filter: '',
  /** The selection, `n:NODE` or `e:EDGE`, in the URL so a detail view can be shared. */
  sel: '',
  generate: '',
};

const toSel = (v: string): Selection =>
  v.startsWith('n:') ? { node: v.slice(2) } : v.startsWith('e:') ? { edge: v.slice(2) } : null;
const fromSel = (x: Selection): string => (!x ? '' : 'node' in x ? `n:${x.node}` : `e:${x.edge}`);

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
    ...(s.group ? { group: s.group } : {}),
    ...(s.filter ? { filter: s.filter } : {}),
  };
  const map = await api.POST('/api/v1/deps', { body }).then(unwrap);
  let changes: Map<string, Change> | undefined;
  let rows = map.rows as Row[];
  if (s.compare) {
    const f = resolveTime(s.from)!;
    const t = resolveTime(s.to)!;
    const diff = await api
      .POST('/api/v1/deps/diff', {
        body: { from: f, to: t, baseFrom: f - (t - f), baseTo: f, view: body.view, filter: body.filter },
      })
      .then(unwrap);
    // The diff has no group parameter: its rows are kept to the group's edges here.
    rows = (diff.rows as Row[]).filter(
      (r) => !s.group || r.client_group === s.group || r.server_group === s.group,
    );
    changes = new Map(rows.map((r) => [edgeKey(r), r.change as Change]));
  }
  return { rows, changes };
}

export default function Dependencies() {
  const [s, set] = useUrlState(DEFAULTS);
  const data = useAsync(async () => {
    if (s.generate) return null;
    return loadEdges(s);
  }, [s.from, s.to, s.minBytes, s.service, s.compare, s.view, s.group, s.filter, s.generate]);
  const sel = toSel(s.sel);
  const setSel = (x: Selection) => set({ sel: fromSel(x) });
  const [graph, setGraph] = useState<ReturnType<typeof buildGraph> | null>(null);
  const [layoutMs, setLayoutMs] = useState<number | null>(null);
  /** The graph drawn when zoomed out (one node per group), null when no host has a group. */
  const [clusters, setClusters] = useState<{ graph: Graph; groups: number } | null>(null);
  const [laying, setLaying] = useState<{ nodes: number; edges: number; done: number; total: number } | null>(
    null,
  );
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
    setClusters(null);
    setLaying(null);
    if (!g || g.order === 0) return;
    const total = g.order > 2000 ? 60 : g.order > 500 ? 100 : 300;
    setLaying({ nodes: g.order, edges: g.size, done: 0, total });
    layoutInWorker(g, {
      iterations: total,
      signal: stop.signal,
      onProgress: (done) => setLaying({ nodes: g.order, edges: g.size, done, total }),
    }).then(
      (ms) => {
        if (stop.signal.aborted) return;
        // Clusters at the laid-out members' centroids (drawn when zoomed out).
        const c = clusterGraph(g);
        setClusters(c.groups > 0 ? c : null);
        setLaying(null);
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
          aria-label="group"
          placeholder="group (labels)"
          defaultValue={s.group}
          onKeyDown={(e) => e.key === 'Enter' && set({ group: e.currentTarget.value.trim(), sel: '' })}
        />
        <input
          aria-label="map filter"
          placeholder="filter: server group db and not port 53"
          defaultValue={s.filter}
          onKeyDown={(e) => e.key === 'Enter' && set({ filter: e.currentTarget.value.trim(), sel: '' })}
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
        {s.compare && (
          <ul
            aria-label="change legend"
            style={{ display: 'inline-flex', listStyle: 'none', margin: 0, padding: 0 }}
          >
            {Object.entries(CHANGE_COLOR).map(([change, color]) => (
              <li key={change} style={{ color, marginLeft: 6 }}>
                ● {change.replace('_', ' ')}
              </li>
            ))}
          </ul>
        )}
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
        {data.loading && !s.generate && (
          <Progress
            what={s.compare ? 'Querying the map and its comparison' : 'Querying the dependency map'}
          />
        )}
        {laying && (
          <Progress
            what={`Laying out ${laying.nodes} nodes, ${laying.edges} edges (ForceAtlas2 in a worker)`}
            done={laying.done}
            total={laying.total}
          />
        )}
      </div>
      {data.error ? <ErrorBox error={data.error} /> : null}
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
            clusters={clusters?.graph}
            onSelect={setSel}
            onReady={(sg) => {
              sigma.current = sg;
            }}
          />
          <Details sel={sel} rows={rows} hostView={s.view === 'host'} />
        </div>
      )}
      {graph && (
        <p data-testid="layout-status">
          {graph.order} nodes, {graph.size} edges;{' '}
          {layoutMs === null
            ? 'laying out (ForceAtlas2 in a worker)…'
            : `laid out in ${layoutMs.toFixed(0)} ms`}
          {clusters && `; zoomed out, hosts cluster into their ${clusters.groups} group(s)`}
        </p>
      )}
    </div>
  );
}
