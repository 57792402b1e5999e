/**
 * The dependency routes over HTTP on a real embedded store: labels GET/PUT, the map's views and filter,
 * the diff and an edge's history, each response checked against the OpenAPI document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { Authenticator } from '../auth/authenticator.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import { seedBytes, seedMap } from '../deps/testing/seed.js';
import { depsView } from '../deps/view.js';
import type { DependencyEdge, FlowStore } from '../storage/port.js';
import { buildApi } from './server.js';
import { OpenApiCheck } from './testing/openapi-check.js';

const DAYS = 6;
const DAY0 = dayStart(Date.now()) - DAYS * DAY_MS;
let dir: string;
let store: FlowStore;
let app: FastifyInstance;
let openapi: OpenApiCheck;
let edges: DependencyEdge[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-api-deps-'));
  store = await openStore({ data: dir });
  await store.migrate();
  edges = await seedMap(store, { edges: 300, days: DAYS, day0: DAY0 });
  app = await buildApi({
    registry: new Registry(),
    readiness: () => ({ ready: true, checks: {} }),
    store,
    auth: { authenticator: new Authenticator({ mode: 'none' }) },
  });
  openapi = await OpenApiCheck.of((await app.inject({ url: '/api/openapi.json' })).json());
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const res = await app.inject({ method, url, ...(body !== undefined ? { payload: body as object } : {}) });
  expect(openapi.check(method, url.split('?')[0], res), `${method} ${url} -> ${res.body}`).toEqual([]);
  return { status: res.statusCode, json: res.json() };
}

const LABELS = [
  { cidr: '10.0.0.0/24', name: '', group: 'front' },
  { cidr: '10.1.0.0/24', name: '', group: 'back', validFrom: new Date(DAY0).toISOString(), validTo: null },
  { cidr: '10.1.0.5', name: 'db5', group: '', service: 'orders-db', port: 1000 },
];

describe('labels over HTTP', () => {
  it('PUT replaces every label, GET gives them back in the contract shape', async () => {
    const put = await call('PUT', '/api/v1/labels', { labels: LABELS });
    expect(put).toEqual({ status: 200, json: { count: 3 } });
    const got = await call('GET', '/api/v1/labels');
    expect(got.json.labels).toEqual([
      {
        cidr: '10.0.0.0/24',
        name: '',
        group: 'front',
        service: null,
        port: null,
        validFrom: null,
        validTo: null,
        source: 'store',
      },
      {
        cidr: '10.1.0.0/24',
        name: '',
        group: 'back',
        service: null,
        port: null,
        validFrom: new Date(DAY0).toISOString(),
        validTo: null,
        source: 'store',
      },
      {
        cidr: '10.1.0.5',
        name: 'db5',
        group: '',
        service: 'orders-db',
        port: 1000,
        validFrom: null,
        validTo: null,
        source: 'store',
      },
    ]);
  });

  it('a bad entry is refused by name, and nothing is replaced', async () => {
    const bad = await call('PUT', '/api/v1/labels', {
      labels: [LABELS[0], { cidr: '10.0.0.1/8', group: 'x' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'labels[1]' });
    expect(bad.json.detail).toMatch(/labels\[1\]: cidr/);
    expect((await call('GET', '/api/v1/labels')).json.labels).toHaveLength(3);
  });
});

describe('deps over HTTP', () => {
  it('POST /api/v1/deps: labelled rows, the group view sums the host view, the filter narrows', async () => {
    const range = { from: DAY0, to: DAY0 + DAYS * DAY_MS };
    const host = await call('POST', '/api/v1/deps', range);
    expect(host.status).toBe(200);
    expect(host.json.columns).toEqual(
      expect.arrayContaining(['client_name', 'client_group', 'server_name', 'server_group']),
    );
    const direct = (await depsView(store, range)).rows;
    expect(host.json.rows).toHaveLength(direct.length);
    const group = await call('POST', '/api/v1/deps', { ...range, view: 'group' });
    const sum = (rows: { bytes_total: number }[]) => rows.reduce((a, r) => a + r.bytes_total, 0);
    expect(sum(group.json.rows)).toBe(sum(host.json.rows));
    expect(group.json.rows.length).toBeLessThan(host.json.rows.length);
    const f = await call('POST', '/api/v1/deps', {
      ...range,
      filter: 'server name db5 and port 1000',
    });
    expect(f.json.rows.length).toBeGreaterThan(0);
    for (const r of f.json.rows)
      expect([r.server_ip, r.server_name, r.service_name]).toEqual(['10.1.0.5', 'db5', 'orders-db']);
  });

  it('a bad filter answers invalid_filter with its position', async () => {
    const r = await call('POST', '/api/v1/deps', { filter: 'client port 80' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_filter', position: 0 });
  });

  it('POST /api/v1/deps/diff takes period/against as the four times; neither or both: 400 naming it', async () => {
    const half = DAY0 + (DAYS / 2) * DAY_MS;
    const end = DAY0 + DAYS * DAY_MS;
    const iso = (t: number) => new Date(t).toISOString();
    const four = await call('POST', '/api/v1/deps/diff', {
      from: half,
      to: end,
      baseFrom: DAY0,
      baseTo: half,
    });
    const byPeriod = await call('POST', '/api/v1/deps/diff', {
      period: `${iso(half)}..${end}`,
      against: `${DAYS / 2}d`,
    });
    expect(byPeriod.status).toBe(200);
    expect(byPeriod.json).toEqual(four.json);
    const problem = async (body: object) => {
      const r = await call('POST', '/api/v1/deps/diff', body);
      expect(r.status).toBe(400);
      expect(r.json.type).toBe('/api/problems/invalid_parameter');
      return [r.json.parameter, r.json.detail];
    };
    expect(await problem({})).toEqual([
      'period',
      'period: give period and against (e.g. "7d" and "7d"), or from, to, baseFrom and baseTo',
    ]);
    expect(await problem({ period: '7d', against: '7d', baseFrom: DAY0 })).toEqual([
      'baseFrom',
      'baseFrom: give period and against, or from, to, baseFrom and baseTo, not both',
    ]);
    expect(await problem({ period: '7d' })).toEqual([
      'against',
      'against: required with period (e.g. "7d": the 7 days before)',
    ]);
    const [param, detail] = await problem({ period: '7d', against: 'last week' });
    expect(param).toBe('against');
    expect(detail).toMatch(/^against: expected FROM\.\.TO .* or a duration such as 7d, got "last week"$/);
    expect(await problem({ period: '-1d..-2d', against: '1d' })).toEqual([
      'period',
      'period: FROM must be before TO, got "-1d..-2d"',
    ]);
    expect((await problem({ from: half, to: end, baseFrom: DAY0 }))[0]).toBe('baseTo');
    // history: every row's days over both periods, the formula's bytes.
    const h = await call('POST', '/api/v1/deps/diff', {
      period: `${half}..${end}`,
      against: `${DAYS / 2}d`,
      history: true,
    });
    expect(h.status).toBe(200);
    expect(h.json.columns.at(-1)).toBe('history');
    const idx = (id: string) => Number.parseInt(id.slice(-12), 16);
    for (const r of h.json.rows)
      expect(r.history.map((x: { bytes: number }) => x.bytes)).toEqual(
        [...Array(DAYS).keys()].map((k) => seedBytes(idx(r.id), k, DAYS)),
      );
    expect(h.json.rows.map(({ history: _, ...r }: { history: unknown }) => r)).toEqual(four.json.rows);
  });

  it('POST /api/v1/deps/diff classifies every edge; GET /api/v1/deps/history gives its days', async () => {
    const half = DAY0 + (DAYS / 2) * DAY_MS;
    const d = await call('POST', '/api/v1/deps/diff', {
      from: half,
      to: DAY0 + DAYS * DAY_MS,
      baseFrom: DAY0,
      baseTo: half,
    });
    expect(d.status).toBe(200);
    expect(d.json.columns.slice(0, 3)).toEqual(['change', 'bytes', 'bytes_base']);
    const count = (c: string) => d.json.rows.filter((r: { change: string }) => r.change === c).length;
    expect([count('new'), count('vanished')]).toEqual([30, 30]);
    const e = edges[12];
    const h = await call(
      'GET',
      `/api/v1/deps/history?client=${e.client_ip}&server=${e.server_ip}&port=${e.server_port}&protocol=${e.ip_protocol}&from=${DAY0}&to=${DAY0 + DAYS * DAY_MS}`,
    );
    expect(h.status).toBe(200);
    expect(h.json.days.map((x: { bytes: number }) => x.bytes)).toEqual(
      [...Array(DAYS).keys()].map((k) => seedBytes(12, k, DAYS)),
    );
    const badRange = await call('POST', '/api/v1/deps/diff', {
      from: half,
      to: DAY0,
      baseFrom: DAY0,
      baseTo: half,
    });
    expect(badRange.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'to' });
  });
});
