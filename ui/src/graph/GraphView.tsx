/** sigma (WebGL) over a graphology graph: arrows show direction, edge labels port/proto/rule, clicks select. */
import type Graph from 'graphology';
import { useEffect, useRef } from 'react';
import Sigma from 'sigma';
import { extremityArrow, pathLine } from 'sigma/rendering';
import { CLUSTER_RATIO } from './cluster';
import { moveDrawnFrameWhenSlow } from './motion';

export type Selection = { node: string } | { edge: string } | null;

export interface GraphViewProps {
  graph: Graph;
  /** Drawn instead of `graph` when zoomed out (cluster.ts); none when no host has a group. */
  clusters?: Graph | null;
  onSelect: (s: Selection) => void;
  onReady?: (s: Sigma) => void;
}

export function GraphView({ graph, clusters, onSelect, onReady }: GraphViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  // biome-ignore lint/correctness/useExhaustiveDependencies: onReady is read once per graph; clusters come with it
  useEffect(() => {
    const big = graph.order > 1000;
    const el = host.current!;
    let zoomedOut = false;
    const s = new Sigma(graph, el, {
      settings: {
        renderEdgeLabels: !big,
        enableEdgeEvents: !big,
        labelRenderedSizeThreshold: big ? 12 : 4,
      },
      primitives: { edges: { paths: [pathLine()], extremities: [extremityArrow()], defaultHead: 'arrow' } },
    } as ConstructorParameters<typeof Sigma>[2]);
    const detach = moveDrawnFrameWhenSlow(s, el);
    s.on('clickNode', ({ node }) => select.current({ node }));
    s.on('clickEdge', ({ edge }) => select.current({ edge }));
    s.on('clickStage', () => select.current(null));
    // Both graphs in the host graph's coordinates: the cluster graph's own extent would move the view.
    s.setCustomBBox(s.getBBox());
    const mark = () => {
      el.dataset.clustered = String(zoomedOut);
      el.dataset.visibleNodes = String(s.getGraph().order);
    };
    s.getCamera().on('updated', (c) => {
      const out = !!clusters && c.ratio > CLUSTER_RATIO;
      if (out === zoomedOut) return;
      zoomedOut = out;
      s.setGraph(out && clusters ? clusters : graph);
      mark();
    });
    mark();
    onReady?.(s);
    return () => {
      detach();
      s.kill();
    };
  }, [graph, clusters]);
  return (
    <div className="graph" data-testid="graph" data-nodes={graph.order} data-edges={graph.size} ref={host} />
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
