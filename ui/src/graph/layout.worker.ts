/**
 * ForceAtlas2 off the main thread: the page posts the graph (positions, weighted edges), this worker runs a
 * fixed number of iterations with the settings graphology infers for the graph's size (Barnes-Hut above 500
 * nodes), posting its progress every chunk of iterations (the page shows it: a 5,000-node layout takes seconds),
 * and posts the positions back.
 */
import Graph from 'graphology';
import forceAtlas2 from 'graphology-layout-forceatlas2';

export interface LayoutRequest {
  nodes: { key: string; x: number; y: number }[];
  edges: [source: string, target: string, weight: number][];
  iterations: number;
}
export type LayoutAnswer =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; positions: Record<string, { x: number; y: number }>; ms: number };

const CHUNK = 10;

self.onmessage = (e: MessageEvent<LayoutRequest>) => {
  const t0 = performance.now();
  const g = new Graph({ type: 'directed', multi: true });
  for (const n of e.data.nodes) g.addNode(n.key, { x: n.x, y: n.y });
  for (const [s, t, w] of e.data.edges) g.addEdge(s, t, { weight: w });
  // Barnes-Hut from 500 nodes (graphology only infers it above 2,000): exact repulsion is O(n²) per iteration.
  const settings = {
    ...forceAtlas2.inferSettings(g),
    edgeWeightInfluence: 0.5,
    barnesHutOptimize: g.order > 500,
  };
  const post = (a: LayoutAnswer) => (self as unknown as Worker).postMessage(a);
  const total = e.data.iterations;
  for (let done = 0; done < total; done += CHUNK) {
    post({ kind: 'progress', done, total });
    forceAtlas2.assign(g, { iterations: Math.min(CHUNK, total - done), settings, getEdgeWeight: 'weight' });
  }
  const positions: Record<string, { x: number; y: number }> = {};
  g.forEachNode((k, a) => {
    positions[k] = { x: a.x as number, y: a.y as number };
  });
  post({ kind: 'done', positions, ms: performance.now() - t0 });
};
