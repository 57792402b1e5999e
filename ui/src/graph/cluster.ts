/**
 * Clusters by group when zoomed out: once laid out, a second, small graph has one node per group at its
 * members' centroid, the hosts without a group as they are, and one edge per pair of clusters (bytes summed).
 * The view swaps the graph sigma draws when the camera crosses the threshold: hiding members with reducers
 * instead keeps every hidden node and edge in the WebGL buffers, which measured slower zoomed out than in.
 */
import Graph from 'graphology';

/** Past this camera ratio (1 = the whole graph fits) the cluster graph is drawn. */
export const CLUSTER_RATIO = 1.5;
export const CLUSTER_PREFIX = 'group:';

const PALETTE = ['#8250df', '#bf3989', '#1f883d', '#9a6700', '#0969da', '#cf222e', '#6e7781', '#953800'];

/** The cluster graph of a laid-out host graph (nodes with a `group` attribute), and how many groups. */
export function clusterGraph(g: Graph): { graph: Graph; groups: number } {
  const out = new Graph({ type: 'directed', multi: true });
  const members = new Map<string, { x: number; y: number; n: number; size: number }>();
  g.forEachNode((k, a) => {
    if (!a.group) {
      out.addNode(k, a);
      return;
    }
    const m = members.get(a.group) ?? { x: 0, y: 0, n: 0, size: 0 };
    m.x += a.x;
    m.y += a.y;
    m.n++;
    m.size += (a.size as number) ** 2;
    members.set(a.group, m);
  });
  let i = 0;
  for (const [name, m] of members)
    out.addNode(CLUSTER_PREFIX + name, {
      label: `${name} (${m.n} hosts)`,
      x: m.x / m.n,
      y: m.y / m.n,
      size: Math.min(30, Math.sqrt(m.size)),
      color: PALETTE[i++ % PALETTE.length],
      cluster: true,
      members: m.n,
    });
  const rep = (n: string) => {
    const grp = g.getNodeAttribute(n, 'group') as string | null;
    return grp ? CLUSTER_PREFIX + grp : n;
  };
  const sums = new Map<string, { s: string; t: string; weight: number; edges: number }>();
  g.forEachEdge((e, a, s, t) => {
    const rs = rep(s);
    const rt = rep(t);
    // An edge between two ungrouped hosts is drawn as it is (same key: its details still open).
    if (rs === s && rt === t) {
      out.addEdgeWithKey(e, s, t, a);
      return;
    }
    if (rs === rt) return; // inside one group: the cluster node stands for it
    const key = `${rs}>${rt}`;
    const x = sums.get(key) ?? { s: rs, t: rt, weight: 0, edges: 0 };
    x.weight += Math.expm1((a.weight as number) || 0);
    x.edges++;
    sums.set(key, x);
  });
  for (const [key, x] of sums)
    out.addEdgeWithKey(`${CLUSTER_PREFIX}${key}`, x.s, x.t, {
      size: 1 + Math.log10(1 + x.weight) / 2,
      color: '#8c959f',
      label: `${x.edges} edge(s)`,
      weight: Math.log1p(x.weight),
      cluster: true,
    });
  return { graph: out, groups: members.size };
}
