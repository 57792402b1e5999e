/**
 * Clusters by group when zoomed out: once laid out, each group gets one node at its members' centroid and
 * one edge per pair of clusters (bytes summed); the view's reducers (GraphView) show either the hosts or the
 * clusters depending on the camera. Hosts without a group stay themselves, so no traffic disappears.
 */
import type Graph from 'graphology';

/** Past this camera ratio (1 = the whole graph fits) members hide and their group shows. */
export const CLUSTER_RATIO = 1.5;
export const CLUSTER_PREFIX = 'group:';

const PALETTE = ['#8250df', '#bf3989', '#1f883d', '#9a6700', '#0969da', '#cf222e', '#6e7781', '#953800'];

/** Adds the cluster nodes and edges (attribute `cluster: true`); returns how many groups there are. */
export function addClusters(g: Graph): number {
  const members = new Map<string, { x: number; y: number; n: number; size: number }>();
  g.forEachNode((_k, a) => {
    if (!a.group) return;
    const m = members.get(a.group) ?? { x: 0, y: 0, n: 0, size: 0 };
    m.x += a.x;
    m.y += a.y;
    m.n++;
    m.size += (a.size as number) ** 2;
    members.set(a.group, m);
  });
  let i = 0;
  for (const [name, m] of members)
    g.addNode(CLUSTER_PREFIX + name, {
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
    if (a.cluster) return;
    const rs = rep(s);
    const rt = rep(t);
    // An edge between two ungrouped hosts is drawn as it is at every zoom.
    if (rs === s && rt === t) return;
    g.setEdgeAttribute(e, 'clustered', true);
    if (rs === rt) return; // inside one group: the cluster node stands for it
    const key = `${rs}>${rt}`;
    const x = sums.get(key) ?? { s: rs, t: rt, weight: 0, edges: 0 };
    x.weight += Math.expm1((a.weight as number) || 0);
    x.edges++;
    sums.set(key, x);
  });
  for (const [key, x] of sums)
    g.addEdgeWithKey(`${CLUSTER_PREFIX}${key}`, x.s, x.t, {
      size: 1 + Math.log10(1 + x.weight) / 2,
      color: '#8c959f',
      label: `${x.edges} edge(s)`,
      cluster: true,
    });
  return members.size;
}

/**
 * What one camera state shows (sigma 4 reducers: `visibility`): cluster nodes and edges when zoomed out,
 * members and their edges when zoomed in.
 */
export function clusterReducers(zoomedOut: () => boolean) {
  const hidden = { visibility: 'hidden' as const };
  return {
    nodeReducer: (_k: string, _d: unknown, a: Record<string, unknown>) =>
      (a.cluster ? !zoomedOut() : zoomedOut() && a.group) ? hidden : {},
    edgeReducer: (_k: string, _d: unknown, a: Record<string, unknown>) =>
      (a.cluster ? !zoomedOut() : zoomedOut() && a.clustered) ? hidden : {},
  };
}
