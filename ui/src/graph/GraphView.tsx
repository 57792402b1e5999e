/** sigma (WebGL) over a graphology graph: arrows show direction, edge labels port/proto/rule, clicks select. */
import type Graph from 'graphology';
import { useEffect, useRef } from 'react';
import Sigma from 'sigma';
import { extremityArrow, pathLine } from 'sigma/rendering';
import { CLUSTER_RATIO, clusterReducers } from './cluster';

export type Selection = { node: string } | { edge: string } | null;

export interface GraphViewProps {
  graph: Graph;
  onSelect: (s: Selection) => void;
  onReady?: (s: Sigma) => void;
}

export function GraphView({ graph, onSelect, onReady }: GraphViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  // biome-ignore lint/correctness/useExhaustiveDependencies: onReady is read once per graph
  useEffect(() => {
    const big = graph.order > 1000;
    const el = host.current!;
    const grouped = graph.someNode((_k, a) => a.cluster === true);
    let zoomedOut = false;
    const s = new Sigma(graph, el, {
      ...(grouped ? clusterReducers(() => zoomedOut) : {}),
      settings: {
        renderEdgeLabels: !big,
        enableEdgeEvents: !big,
        hideEdgesOnMove: big,
        hideLabelsOnMove: big,
        labelRenderedSizeThreshold: big ? 12 : 4,
      },
      primitives: { edges: { paths: [pathLine()], extremities: [extremityArrow()], defaultHead: 'arrow' } },
    } as ConstructorParameters<typeof Sigma>[2]);
    s.on('clickNode', ({ node }) => select.current({ node }));
    s.on('clickEdge', ({ edge }) => select.current({ edge }));
    s.on('clickStage', () => select.current(null));
    // The reducers run again only when the camera crosses the threshold, not on every frame.
    const mark = () => {
      el.dataset.clustered = String(zoomedOut);
      let visible = 0;
      // What sigma will draw (its display data after the reducers), not what the reducers were meant to do.
      graph.forEachNode((n) => {
        if (s.getNodeDisplayData(n)?.visibility !== 'hidden') visible++;
      });
      el.dataset.visibleNodes = String(visible);
    };
    s.getCamera().on('updated', (c) => {
      const out = grouped && c.ratio > CLUSTER_RATIO;
      if (out === zoomedOut) return;
      zoomedOut = out;
      s.refresh();
      mark();
    });
    mark();
    onReady?.(s);
    return () => s.kill();
  }, [graph]);
  return (
    <div
      className="graph"
      data-testid="graph"
      data-nodes={graph.filterNodes((_k, a) => !a.cluster).length}
      data-edges={graph.filterEdges((_k, a) => !a.cluster).length}
      ref={host}
    />
  );
}

/** The rendered layers (WebGL and 2D canvases) drawn onto one canvas, right after a synchronous render. */
export function snapshotPng(s: Sigma): Promise<Blob | null> {
  s.refresh();
  const canvases = [...s.getContainer().querySelectorAll('canvas')];
  const { width, height } = canvases[0] ?? { width: 1, height: 1 };
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  for (const c of canvases) ctx.drawImage(c, 0, 0, width, height);
  return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
}
