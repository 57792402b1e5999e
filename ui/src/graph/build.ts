/** Dependency rows -> a graphology graph (client -> server, one edge per port/protocol), DOT and JSON. */
import Graph from 'graphology';
import { PROTOCOLS, si } from '../util';
import type { LayoutAnswer, LayoutRequest } from './layout.worker';

export type Row = Record<string, string | number | null>;
export type Change = 'new' | 'vanished' | 'grown' | 'shrunk' | 'direction_changed' | 'same';

export const CHANGE_COLOR: Record<Change, string> = {
  new: '#2ea043',
  vanished: '#d1242f',
  grown: '#d29922',
  shrunk: '#8250df',
  direction_changed: '#0969da',
  same: '#9aa4b2',
};

export function edgeKey(r: Row): string {
  return `${r.client_ip}>${r.server_ip}:${r.server_port}/${r.ip_protocol}`;
}

/** Nodes sized by the bytes they carry, edges weighted (thickness) by log bytes and labelled port/proto/rule. */
export function buildGraph(rows: Row[], changes?: Map<string, Change>): Graph {
  const g = new Graph({ type: 'directed', multi: true });
  const maxBytes = Math.max(1, ...rows.map((r) => Number(r.bytes_total) || 0));
  const carried = new Map<string, number>();
  // A host's group (labels): the clusters shown when zoomed out (cluster.ts). Group-view rows have none.
  const group = new Map<string, string>();
  for (const r of rows) {
    const b = Number(r.bytes_total) || 0;
    for (const n of [String(r.client_ip), String(r.server_ip)]) carried.set(n, (carried.get(n) ?? 0) + b);
    // In the group and service views a node already is its group (client_ip is the group's name).
    if (r.client_group && r.client_group !== r.client_ip)
      group.set(String(r.client_ip), String(r.client_group));
    if (r.server_group && r.server_group !== r.server_ip)
      group.set(String(r.server_ip), String(r.server_group));
  }
  const maxNode = Math.max(1, ...carried.values());
  let i = 0;
  for (const [n, b] of carried) {
    const a = (2 * Math.PI * i++) / carried.size;
    g.addNode(n, {
      label: n,
      x: Math.cos(a),
      y: Math.sin(a),
      size: 4 + 12 * Math.sqrt(b / maxNode),
      color: '#3b6fd4',
      group: group.get(n) ?? null,
    });
  }
  for (const r of rows) {
    const key = edgeKey(r);
    const change = changes?.get(key);
    const proto = PROTOCOLS[Number(r.ip_protocol)] ?? String(r.ip_protocol);
    const b = Number(r.bytes_total) || 0;
    g.addEdgeWithKey(key, String(r.client_ip), String(r.server_ip), {
      label: `${r.service_name ?? r.server_port} ${r.server_port}/${proto} · ${r.direction_rule ?? ''}`,
      size: 1 + 5 * (Math.log1p(b) / Math.log1p(maxBytes)),
      weight: Math.log1p(b),
      color: change ? CHANGE_COLOR[change] : '#9aa4b2',
      row: r,
      change: change ?? null,
    });
  }
  return g;
}

/** Positions from ForceAtlas2 in a Web Worker; resolves with the time the worker took. Abort stops it. */
export interface LayoutOptions {
  iterations: number;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export function layoutInWorker(g: Graph, { iterations, signal, onProgress }: LayoutOptions): Promise<number> {
  const worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
  signal.addEventListener('abort', () => worker.terminate());
  const req: LayoutRequest = {
    nodes: g.mapNodes((key, a) => ({ key, x: a.x as number, y: a.y as number })),
    edges: g.mapEdges((_k, a, s, t) => [s, t, (a.weight as number) || 1] as [string, string, number]),
    iterations,
  };
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<LayoutAnswer>) => {
      if (e.data.kind === 'progress') return onProgress?.(e.data.done, e.data.total);
      // One bulk update (one event for the renderer), not one per node.
      const pos = e.data.positions;
      g.updateEachNodeAttributes((k, a) => (pos[k] ? { ...a, x: pos[k].x, y: pos[k].y } : a), {
        attributes: ['x', 'y'],
      });
      worker.terminate();
      resolve(e.data.ms);
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message));
    };
    worker.postMessage(req);
  });
}

/** Random graph for the bench: `nodes` hosts in groups of 50, `edges` edges preferring the same group. */
export function generatedGraph(nodes: number, edges: number): Graph {
  const g = new Graph({ type: 'directed', multi: true });
  for (let i = 0; i < nodes; i++)
    g.addNode(`n${i}`, {
      label: `n${i}`,
      x: Math.random(),
      y: Math.random(),
      size: 2,
      color: '#3b6fd4',
      group: `g${Math.floor(i / 50)}`,
    });
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < edges; i++) {
    const s = Math.floor(rnd() * nodes);
    const t = rnd() < 0.8 ? (s - (s % 50) + Math.floor(rnd() * 50)) % nodes : Math.floor(rnd() * nodes);
    g.addEdge(`n${s}`, `n${t}`, { size: 1, weight: 1, color: '#c3c9d2' });
  }
  return g;
}

export function toDot(rows: Row[]): string {
  const q = (s: unknown) => `"${String(s).replace(/"/g, '\\"')}"`;
  const lines = rows.map(
    (r) =>
      `  ${q(r.client_ip)} -> ${q(r.server_ip)} [label=${q(`${r.server_port}/${PROTOCOLS[Number(r.ip_protocol)] ?? r.ip_protocol} ${si(Number(r.bytes_total), 'B')}`)}];`,
  );
  return `digraph flowlens {\n  rankdir=LR;\n${lines.join('\n')}\n}\n`;
}

export function download(name: string, data: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(data);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
