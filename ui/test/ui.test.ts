/**
 * The web UI in Debian's Chromium against a real serve fed by the demo simulator (auth mode none): every page
 * shows data, the dependency graph has the demo's services with edges in the right direction, a filter typed
 * into Explore changes chart and table, a bad filter is marked at the position the API names, and the console
 * stays clean. Screenshots go to test-output/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleErrors, launch, SCREENSHOTS, startUiServer, type UiServer } from './harness.js';

let server: UiServer;
let browser: Browser;
let page: Page;
let errors: string[];

// filter/validate answers 400 for a bad filter (the UI marks it): the browser logs that load, it is an
// answer, not a UI error. Every other route the pages use must answer.
const EXPECTED = /\/api\/v1\/filter\/validate/;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startUiServer('none');
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  errors = consoleErrors(page, EXPECTED);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

describe('web UI (auth off)', () => {
  it('serves the SPA at / and page paths, never under /api (unknown API routes keep their JSON 404)', async () => {
    const html = await fetch(`${server.url}/explore?by=src_ip`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('<div id="root">');
    const api = await fetch(`${server.url}/api/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await api.json()) as { title: string }).title).toBeTruthy();
    expect((await fetch(`${server.url}/assets/missing-0000.js`)).status).toBe(404);
  });

  it('Overview shows traffic, top talkers and the no-auth banner', async () => {
    await page.goto(server.url);
    await page.getByRole('status').filter({ hasText: 'Authentication is off' }).waitFor();
    await page.getByTestId('flows-rate').waitFor();
    await page.locator('[data-tile="Top talkers"] td').first().waitFor();
    const exporters = page.locator('[data-tile="Exporters"]');
    await expect
      .poll(async () => exporters.textContent(), { timeout: 15_000 })
      .toMatch(/\d+\.\d+\.\d+\.\d+ (netflow_v9|ipfix|sflow)/);
    expect(await exporters.textContent()).not.toMatch(/not available/i);
    await shot('overview');
  });

  it('Dependencies draws the demo services with edges client -> server', async () => {
    await page.goto(`${server.url}/dependencies`);
    const graph = page.getByTestId('graph');
    await graph.waitFor({ timeout: 30_000 });
    expect(Number(await graph.getAttribute('data-nodes'))).toBeGreaterThan(5);
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await shot('dependencies');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'JSON' }).click(),
    ]);
    const { edges } = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      edges: { client_ip: string; server_ip: string; server_port: number }[];
    };
    const has = (client: RegExp, server: string, port: number) =>
      edges.some((e) => client.test(e.client_ip) && e.server_ip === server && e.server_port === port);
    // The demo network (src/demo/network.ts): web -> api:8080, api -> db:5432, api -> cache:6379, dns:53.
    expect(has(/^10\.20\.0\.1[01]$/, '10.20.1.10', 8080)).toBe(true);
    expect(has(/^10\.20\.1\.1[012]$/, '10.20.2.10', 5432)).toBe(true);
    expect(has(/^10\.20\.1\.1[012]$/, '10.20.2.20', 6379)).toBe(true);
    expect(has(/^10\.10\.0\.\d+$/, '10.20.3.53', 53)).toBe(true);
    // Never reversed: the database, cache and DNS server are never the client of an edge.
    expect(edges.filter((e) => ['10.20.2.10', '10.20.2.20', '10.20.3.53'].includes(e.client_ip))).toEqual([]);
    // The export is what the API answers for the same range.
    const api = (await (
      await fetch(`${server.url}/api/v1/deps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { rows: unknown[] };
    expect(edges.length).toBe(api.rows.length);
  });

  it('a filter typed into Explore changes the chart and the table', async () => {
    await page.goto(`${server.url}/explore?by=dst_port`);
    const table = page.getByTestId('explore-table');
    await table.locator('tbody tr').first().waitFor();
    const before = await table.locator('tbody td:first-child').allTextContents();
    expect(before.length).toBeGreaterThan(1);
    const chartBefore = await page.getByTestId('explore-chart').screenshot();
    await shot('explore');
    await page.locator('.cm-content').click();
    await page.keyboard.type('dst port 5432');
    await page.keyboard.press('Escape'); // close the completion list so Enter submits
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('filter') === 'dst port 5432');
    await expect
      .poll(async () => table.locator('tbody td:first-child').allTextContents(), { timeout: 15_000 })
      .toEqual(['5432']);
    await page.waitForTimeout(800); // the chart's animation
    const chartAfter = await page.getByTestId('explore-chart').screenshot();
    expect(chartAfter.equals(chartBefore)).toBe(false);
    await shot('explore-filtered');
  });

  it('Explore splits by an extended field typed into the dimension picker, as the API answers', async () => {
    await page.goto(`${server.url}/explore?by=dst_port`);
    const table = page.getByTestId('explore-table');
    await table.locator('tbody tr').first().waitFor();
    await page.getByLabel('dimension 1').selectOption('ext');
    const key = page.getByLabel('extended field 1');
    await key.fill('ext.sampling_source');
    await key.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('by') === 'ext.sampling_source');
    const api = (await (
      await fetch(`${server.url}/api/v1/top?by=ext.sampling_source&from=-1h&to=now&limit=50`)
    ).json()) as { rows: Record<string, string>[] };
    const want = api.rows.map((r) => r['ext.sampling_source']);
    expect(want.length).toBeGreaterThan(0);
    await expect
      .poll(async () => new Set(await table.locator('tbody td:first-child').allTextContents()), {
        timeout: 15_000,
      })
      .toEqual(new Set(want));
  });

  it('a bad filter is marked at the position the API names', async () => {
    const bad = 'dst port 443 and src hots 10.0.0.1';
    const v = (await (
      await fetch(`${server.url}/api/v1/filter/validate?filter=${encodeURIComponent(bad)}`)
    ).json()) as { position: number; length: number; detail: string };
    await page.goto(`${server.url}/explore`);
    await page.locator('.cm-content').click();
    await page.keyboard.type(bad);
    const mark = page.locator('.cm-lintRange-error');
    await mark.first().waitFor({ timeout: 10_000 });
    const marked = (await mark.allTextContents()).join('');
    expect(marked).toBe(bad.slice(v.position, v.position + Math.max(1, v.length)));
    await shot('explore-bad-filter');
  });

  it('Flows pages through raw flows; Exporters lists the demo exporters', async () => {
    await page.goto(`${server.url}/flows`);
    const rows = page.getByTestId('flows-table').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(50);
    const first = await rows.first().textContent();
    await page.getByRole('button', { name: 'older →' }).click();
    await expect.poll(async () => rows.first().textContent()).not.toBe(first);
    await shot('flows');
    await page.goto(`${server.url}/exporters`);
    // The simulator's three devices: NetFlow v9, IPFIX and sFlow, each its own row.
    const exporterRows = page.getByTestId('exporters-table').locator('tbody tr');
    await expect.poll(async () => exporterRows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('exporters-table').textContent()).toMatch(/ipfix/i);
    await shot('exporters');
  });

  type Edge = {
    client_ip: string;
    server_ip: string;
    server_port: number;
    ip_protocol: number;
    client_group: string | null;
    server_group: string | null;
  };
  const deps = async (body: object) =>
    (
      (await (
        await fetch(`${server.url}/api/v1/deps`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as { rows: Edge[] }
    ).rows;
  const exported = async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'JSON' }).click(),
    ]);
    return (JSON.parse(readFileSync((await download.path())!, 'utf8')) as { edges: Edge[] }).edges;
  };

  it('Dependencies filters by group: only edges with a side in it, as the API answers', async () => {
    await page.goto(`${server.url}/dependencies`);
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 30_000 });
    const all = Number(await page.getByTestId('graph').getAttribute('data-nodes'));
    await page.getByLabel('group').fill('db');
    await page.getByLabel('group').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('group') === 'db');
    const graph = page.getByTestId('graph');
    await expect
      .poll(async () => Number(await graph.getAttribute('data-nodes')), { timeout: 30_000 })
      .toBeLessThan(all);
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 30_000 });
    const edges = await exported();
    expect(edges.length).toBeGreaterThan(0);
    expect(edges.filter((e) => e.client_group !== 'db' && e.server_group !== 'db')).toEqual([]);
    // The demo's api tier uses the database and the cache (both labelled db).
    expect(
      edges.some((e) => e.client_group === 'api' && e.server_ip === '10.20.2.10' && e.server_port === 5432),
    ).toBe(true);
    expect(edges.length).toBe((await deps({ group: 'db' })).length);
    await shot('dependencies-group-db');
  });

  it('Dependencies clusters hosts by group when zoomed out and shows them again when zoomed in', async () => {
    await page.goto(`${server.url}/dependencies`);
    const graph = page.getByTestId('graph');
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 30_000 });
    const hosts = Number(await graph.getAttribute('data-nodes'));
    expect(await graph.getAttribute('data-clustered')).toBe('false');
    expect(Number(await graph.getAttribute('data-visible-nodes'))).toBe(hosts);
    // Independent count: every endpoint of the API's map, a grouped one counted as its group.
    const rows = await deps({});
    const nodes = new Set<string>();
    const groups = new Set<string>();
    for (const r of rows)
      for (const [ip, g] of [
        [r.client_ip, r.client_group],
        [r.server_ip, r.server_group],
      ] as const) {
        nodes.add(g ? `group:${g}` : ip);
        if (g) groups.add(g);
      }
    expect([...groups].sort()).toEqual(['api', 'db', 'web']);
    const box = (await graph.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    // One wheel step at a time (away from the user: zoom out) until the threshold is crossed.
    for (let i = 0; i < 6 && (await graph.getAttribute('data-clustered')) !== 'true'; i++) {
      await page.mouse.wheel(0, 200);
      await page.waitForTimeout(400);
    }
    expect(await graph.getAttribute('data-clustered')).toBe('true');
    expect(Number(await graph.getAttribute('data-visible-nodes'))).toBe(nodes.size);
    expect(nodes.size).toBeLessThan(hosts);
    await page.waitForTimeout(400);
    await shot('dependencies-clustered');
    for (let i = 0; i < 8 && (await graph.getAttribute('data-clustered')) !== 'false'; i++) {
      await page.mouse.wheel(0, -200);
      await page.waitForTimeout(400);
    }
    expect(await graph.getAttribute('data-clustered')).toBe('false');
    expect(Number(await graph.getAttribute('data-visible-nodes'))).toBe(hosts);
  });

  it('the group view compared with the previous period: groups as nodes, every edge marked (deps/diff)', async () => {
    await page.goto(`${server.url}/dependencies?view=group&compare=1`);
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 30_000 });
    const edges = (await exported()) as (Edge & { change: string })[];
    const ends = new Set(edges.flatMap((e) => [e.client_ip, e.server_ip]));
    for (const g of ['web', 'api', 'db']) expect(ends.has(g)).toBe(true);
    // The seeded history is all within the period: nothing existed in the base period before it.
    expect(edges.length).toBeGreaterThan(0);
    const classes = ['new', 'vanished', 'grown', 'shrunk', 'direction_changed', 'same'];
    expect(edges.filter((e) => !classes.includes(e.change))).toEqual([]);
    expect(await page.$eval('[aria-label="change legend"]', (el) => el.textContent)).toBe(
      '● new● vanished● grown● shrunk● direction changed● same',
    );
    expect(edges.some((e) => e.client_ip === 'api' && e.server_ip === 'db' && e.change === 'new')).toBe(true);
    await shot('dependencies-groups-compared');
  });

  it("an edge's details show its daily history (GET /api/v1/deps/history)", async () => {
    const e = (await deps({})).find((r) => r.server_ip === '10.20.1.10' && r.server_port === 8080)!;
    const key = `${e.client_ip}>${e.server_ip}:${e.server_port}/${e.ip_protocol}`;
    await page.goto(`${server.url}/dependencies?sel=${encodeURIComponent(`e:${key}`)}`);
    const history = page.getByTestId('history');
    await history.waitFor({ timeout: 30_000 });
    const q = new URLSearchParams({
      client: e.client_ip,
      server: e.server_ip,
      port: String(e.server_port),
      protocol: String(e.ip_protocol),
      from: '-30d',
      to: 'now',
    });
    const { days } = (await (await fetch(`${server.url}/api/v1/deps/history?${q}`)).json()) as {
      days: { day: string; bytes: number }[];
    };
    expect(days.length).toBeGreaterThan(0);
    expect(Number(await history.getAttribute('data-days'))).toBe(days.length);
    expect(await history.textContent()).toContain(days[0].day);
    await history.locator('canvas').first().waitFor();
    await shot('dependencies-edge-history');
  });

  it('a big layout shows its progress (what runs, iterations done) until drawn', async () => {
    await page.goto(`${server.url}/dependencies?generate=1500x6000`);
    const progress = page.getByRole('progressbar').filter({ hasText: 'Laying out 1500 nodes, 6000 edges' });
    await progress.waitFor({ timeout: 20_000 });
    expect(await progress.getAttribute('aria-valuemax')).toBe('100');
    await page.getByTestId('layout-status').filter({ hasText: 'laid out in' }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole('progressbar').count()).toBe(0);
  });

  it('where a draw is slow, a camera move shows the last frame moved to where the camera now is (graph/motion.ts)', async () => {
    await page.goto(`${server.url}/dependencies?generate=1500x6000`);
    await page.waitForFunction('window.__flowlensBench !== undefined', undefined, { timeout: 60_000 });
    const graph = page.getByTestId('graph');
    // Software WebGL here: 1,500 nodes and 6,000 edges take longer to draw than a frame at 30 fps.
    await expect.poll(() => graph.getAttribute('data-motion'), { timeout: 20_000 }).toBe('copy');
    expect(Number(await graph.getAttribute('data-frame-ms'))).toBeGreaterThan(1000 / 30);
    type Pt = { x: number; y: number };
    // sigma's own projection of the node nearest the middle, before and after a zoom-and-pan, against
    // where the CSS transform of the copy puts the pixel it was drawn at.
    const zoom = (await page.evaluate(`(() => {
      const s = window.__flowlensBench.sigma;
      const { width, height } = s.getDimensions();
      let node = null, best = Infinity;
      s.getGraph().forEachNode((n, a) => {
        const p = s.graphToViewport(a);
        const d = Math.hypot(p.x - width / 2, p.y - height / 2);
        if (d < best) { best = d; node = n; }
      });
      const at = s.getGraph().getNodeAttributes(node);
      const before = s.graphToViewport(at);
      const cam = s.getCamera();
      cam.setState({ ratio: cam.ratio * 0.6, x: cam.x + 0.03, y: cam.y - 0.02 });
      const root = s.getContainer();
      const copy = root.querySelector('.graph-motion-copy');
      const moved = new DOMMatrix(getComputedStyle(copy).transform).transformPoint(new DOMPoint(before.x, before.y));
      const ink = copy.getContext('2d').getImageData(0, 0, copy.width, copy.height).data.filter((v, i) => i % 4 === 3 && v > 0).length;
      return { node, before, after: s.graphToViewport(at), moved: { x: moved.x, y: moved.y }, ink,
        copy: getComputedStyle(copy).visibility, stage: getComputedStyle(root.querySelector('canvas')).visibility };
    })()`)) as { node: string; before: Pt; after: Pt; moved: Pt; ink: number; copy: string; stage: string };
    expect(zoom.copy).toBe('visible');
    expect(zoom.stage).toBe('hidden');
    expect(zoom.ink).toBeGreaterThan(1000); // the copy holds a drawn frame, not a blank canvas
    expect(Math.hypot(zoom.after.x - zoom.before.x, zoom.after.y - zoom.before.y)).toBeGreaterThan(20);
    expect(Math.abs(zoom.moved.x - zoom.after.x)).toBeLessThan(1);
    expect(Math.abs(zoom.moved.y - zoom.after.y)).toBeLessThan(1);
    // A mouse drag right after the zoom (sigma reads its matrices, kept fresh while the copy moves): the
    // node under the pointer stays under it.
    const box = (await graph.boundingBox())!;
    const start = { x: box.x + zoom.after.x + 2, y: box.y + zoom.after.y + 2 };
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move(start.x + 60, start.y + 35, { steps: 5 });
    const dragged = (await page.evaluate(`(() => {
      const s = window.__flowlensBench.sigma;
      return s.graphToViewport(s.getGraph().getNodeAttributes(${JSON.stringify(zoom.node)}));
    })()`)) as Pt;
    await page.mouse.up();
    expect(Math.abs(dragged.x - (zoom.after.x + 60))).toBeLessThan(2);
    expect(Math.abs(dragged.y - (zoom.after.y + 35))).toBeLessThan(2);
    // At rest the graph is drawn again and shown instead of the copy.
    const visibility = (sel: string) =>
      page.evaluate(`getComputedStyle(document.querySelector('[data-testid=graph] ${sel}')).visibility`);
    await expect.poll(() => visibility('canvas.sigma-stage'), { timeout: 20_000 }).toBe('visible');
    expect(await visibility('.graph-motion-copy')).toBe('hidden');
  });

  it('the browser console has no errors', () => {
    expect(errors).toEqual([]);
  });
});
