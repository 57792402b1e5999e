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

  it('the browser console has no errors', () => {
    expect(errors).toEqual([]);
  });
});
