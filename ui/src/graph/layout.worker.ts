/**
 * ForceAtlas2 off the main thread: the page posts the graph (positions, weighted edges), this worker runs a
 * fixed number of iterations with the settings graphology infers for the graph's size (Barnes-Hut above 500
 * nodes) and posts the positions back.
 */
import Graph from 'graphology';
import forceAtlas2 from 'graphology-layout-forceatlas2';

export interface LayoutRequest {
  nodes: { key: string; x: number; y: number }[];
  edges: [source: string, target: string, weight: number][];
  iterations: number;
}
export interface LayoutAnswer {
  positions: Record<string, { x: number; y: number }>;
  ms: number;
}

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
  const positions = forceAtlas2(g, { iterations: e.data.iterations, settings, getEdgeWeight: 'weight' });
  (self as unknown as Worker).postMessage({ positions, ms: performance.now() - t0 } satisfies LayoutAnswer);
};
