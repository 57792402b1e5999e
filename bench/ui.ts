/**
 * ui/*: the web UI measured in Debian's headless Chromium (software WebGL: SwiftShader, no GPU here) against
 * a real serve fed by the demo simulator (src/app/testing/ui-server.ts). Needs the built UI (npm run build).
 *
 * - first data per page: navigation start to the page's first data element on screen (ms), median.
 * - first-page JavaScript: the scripts the browser loads for `/`, gzip-compressed (what a server sending
 *   gzip would send; serve itself sends them uncompressed).
 * - graph: a generated 5,000-node / 20,000-edge graph (/dependencies?generate=5000x20000): ForceAtlas2 time
 *   in the worker, what one full draw costs (the longest frame after it, as the view measures it), and frames
 *   per second while the camera pans and zooms every animation frame, zoomed in (hosts) and zoomed out (one
 *   node per group: src/graph/cluster.ts), then by mouse drags and wheel zooms (with the longest frame and
 *   the full draws in that time). Where a draw is slower than a frame at 30 fps, camera moves show the last
 *   frame moved by the compositor (ui/src/graph/motion.ts), drawn again once the camera rests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { defaultUiRoot } from '../src/api/ui-static.js';
import { startUiServer } from '../src/app/testing/ui-server.js';
import type { Benchmark, BenchResult } from './harness.js';
import { median } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';

const PAGES: [name: string, path: string, ready: string][] = [
  ['overview', '/', '[data-testid=flows-rate]'],
  ['explore', '/explore?by=dst_port', '[data-testid=explore-table] tbody tr'],
  ['dependencies', '/dependencies', '[data-testid=graph]'],
  ['flows', '/flows', '[data-testid=flows-table] tbody tr'],
  ['exporters', '/exporters', '[data-page=exporters], .empty'],
];

async function firstData(page: Page, url: string, ready: string): Promise<number> {
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(url);
  await page.locator(ready).first().waitFor({ timeout: 30_000 });
  return Date.now() - t0;
}

async function firstPageJs(page: Page, url: string): Promise<number> {
  const paths = new Set<string>();
  const collect = (r: import('playwright-core').Response) => {
    if (r.request().resourceType() === 'script') paths.add(new URL(r.url()).pathname);
  };
  page.on('response', collect);
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'networkidle' });
  page.off('response', collect);
  // The files the browser asked for, read from the build (the responses may be cache hits without a body).
  const root = defaultUiRoot()!;
  let total = 0;
  for (const p of paths) total += gzipSync(readFileSync(join(root, p))).length;
  return total;
}

/** Pans and zooms every animation frame for 4 s (`ratio` an expression of s, seconds); frames per second. */
function cameraFps(page: Page, ratio: string): Promise<number> {
  // sigma renders each camera change in the next frame.
  return page.evaluate(`new Promise((resolve) => {
    const cam = window.__flowlensBench.sigma.getCamera();
    let frames = 0;
    const t0 = performance.now();
    const step = (t) => {
      const s = (t - t0) / 1000;
      cam.setState({ x: 0.5 + 0.2 * Math.sin(s * 2), y: 0.5 + 0.2 * Math.cos(s * 2), ratio: ${ratio} });
      frames++;
      if (t - t0 < 4000) requestAnimationFrame(step);
      else resolve(frames / ((t - t0) / 1000));
    };
    requestAnimationFrame(step);
  })`) as Promise<number>;
}

/**
 * Until 30 frames in a row (half a second, longer than the view's 150 ms rest before a deferred draw) came
 * within 50 ms of each other: the draws a view change asked for are done.
 */
function untilQuiet(page: Page): Promise<unknown> {
  return page.evaluate(`new Promise((resolve) => {
    let prev = performance.now();
    let calm = 0;
    const frame = (t) => {
      calm = t - prev < 50 ? calm + 1 : 0;
      prev = t;
      if (calm >= 30) resolve(true);
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })`);
}

/** Records every animation frame's time in the page; the function returned stops and answers them. */
async function recordFrames(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(
    `window.__frameTimes = []; window.__recording = true;
     (function f() { window.__frameTimes.push(performance.now()); if (window.__recording) requestAnimationFrame(f); })();`,
  );
  return async () => (await page.evaluate('window.__recording = false, window.__frameTimes')) as number[];
}

function longestGap(times: readonly number[]): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  return longest;
}

async function graph(page: Page, url: string, nodes: number, edges: number) {
  const t0 = Date.now();
  await page.goto(`${url}/dependencies?generate=${nodes}x${edges}`);
  await page.waitForFunction('window.__flowlensBench !== undefined', undefined, { timeout: 120_000 });
  const shown = Date.now() - t0;
  const layoutMs = (await page.evaluate('window.__flowlensBench.layoutMs')) as number;
  // The view times its draws (ui/src/graph/motion.ts) before it knows how to show a camera move: by drawing
  // every frame, or by moving a copy of the last one when a draw takes longer than a frame at 30 fps.
  await page.waitForFunction(
    `(() => { const g = document.querySelector('[data-testid=graph]');
      return g.dataset.frameMs && (g.dataset.motion === 'copy' || Number(g.dataset.frameMs) <= 1000 / 30); })()`,
    undefined,
    { timeout: 60_000 },
  );
  const motionKnown = Date.now() - t0;
  const graphData = (k: string) => page.getByTestId('graph').getAttribute(`data-${k}`);
  const drawMs = Number(await graphData('frame-ms'));
  const motion = await graphData('motion');
  await untilQuiet(page);
  const fps = await cameraFps(page, '0.6 + 0.4 * Math.sin(s)');
  // Zoomed out past the cluster threshold (CLUSTER_RATIO 1.5): one node per group of 50 hosts is drawn.
  await untilQuiet(page);
  const clusteredFps = await cameraFps(page, '2.2 + 0.5 * Math.sin(s)');
  // The same by mouse: drags and wheel turns, as a person would.
  const box = (await page.getByTestId('graph').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  // Back to the whole graph (ratio 1; the wheel steps below, 1 -> 0.59 -> 1, stay under the cluster
  // threshold): the hosts replace the clusters, a full processing and draw of the big graph. Its cost shows
  // in the frames of the next seconds (software WebGL runs it late), so its longest frame is its own figure.
  const swapFrames = await recordFrames(page);
  await page.evaluate(
    `window.__flowlensBench.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 })`,
  );
  await page.waitForTimeout(12_000);
  const swap = longestGap(await swapFrames());
  await untilQuiet(page);
  // Every animation frame's time while the mouse moves; fps and the longest gap from them.
  await page.evaluate(
    `window.__draws = 0; window.__flowlensBench.sigma.on('afterRender', () => window.__draws++);`,
  );
  const mouseFrames = await recordFrames(page);
  const t1 = Date.now();
  for (let i = 0; Date.now() - t1 < 4000; i++) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(cx + 15 * k * (i % 2 ? 1 : -1), cy + 8 * k);
    await page.mouse.up();
    await page.mouse.wheel(0, i % 2 ? 240 : -240);
  }
  const times = await mouseFrames();
  const mouse = {
    fps: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000),
    longest: longestGap(times),
    draws: (await page.evaluate('window.__draws')) as number,
  };
  return {
    shown,
    layoutMs,
    motionKnown,
    drawMs,
    motion,
    fps,
    clusteredFps,
    swap,
    mouseFps: mouse.fps,
    mouseDraws: mouse.draws,
    mouseLongest: mouse.longest,
  };
}

async function run(opts: { scale: number; repeats: number }): Promise<BenchResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  const server = await startUiServer('none');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const figures: BenchResult['figures'] = [];
    await firstData(page, server.url, PAGES[0][2]); // warm the server's caches and the browser's
    for (const [name, path, ready] of PAGES) {
      const runs: number[] = [];
      for (let i = 0; i < opts.repeats; i++) runs.push(await firstData(page, server.url + path, ready));
      figures.push({ label: `first data: ${name}`, value: median(runs), unit: 'ms' });
    }
    figures.push({
      label: 'first-page JS (gzip)',
      value: (await firstPageJs(page, server.url)) / 1024,
      unit: 'kB',
    });
    const nodes = Math.round(5000 * opts.scale);
    const edges = Math.round(20_000 * opts.scale);
    const g = await graph(page, server.url, nodes, edges);
    figures.push(
      { label: `graph ${nodes}/${edges}: layout (worker)`, value: g.layoutMs, unit: 'ms' },
      { label: `graph ${nodes}/${edges}: navigation to drawn`, value: g.shown, unit: 'ms' },
      {
        label: `graph ${nodes}/${edges}: one full draw (longest frame after it)`,
        value: g.drawMs,
        unit: 'ms',
      },
      {
        label: `graph ${nodes}/${edges}: navigation to camera moves shown (${g.motion})`,
        value: g.motionKnown,
        unit: 'ms',
      },
      { label: `graph ${nodes}/${edges}: camera every frame`, value: g.fps, unit: 'fps' },
      {
        label: `graph ${nodes}/${edges}: camera every frame, zoomed out (clusters)`,
        value: g.clusteredFps,
        unit: 'fps',
      },
      {
        label: `graph ${nodes}/${edges}: clusters -> hosts (zoom in): longest frame`,
        value: g.swap,
        unit: 'ms',
      },
      { label: `graph ${nodes}/${edges}: mouse pan/zoom`, value: g.mouseFps, unit: 'fps' },
      { label: `graph ${nodes}/${edges}: full draws during those 4 s`, value: g.mouseDraws, unit: '' },
      { label: `graph ${nodes}/${edges}: longest frame during those 4 s`, value: g.mouseLongest, unit: 'ms' },
    );
    return {
      figures,
      notes: [
        'headless Debian Chromium with SwiftShader (software WebGL) on a shared 2-core machine',
        'layout: ForceAtlas2, 60 iterations with Barnes-Hut (graphology inferSettings), in a Web Worker',
        'camera moves: the last frame moved by the compositor when a draw is slower than 1/30 s (graph/motion.ts)',
      ],
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

export const uiBenchmarks: Benchmark[] = [
  {
    group: 'ui',
    name: 'browser',
    description:
      'web UI in headless Chromium: first data per page, first-page JS size, 5k/20k graph layout and fps',
    run,
  },
];
