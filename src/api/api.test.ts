/**
 * The HTTP API on the real embedded store: every response is checked against the OpenAPI document the
 * server publishes (itself validated as OpenAPI 3.1), problem documents for each kind of mistake, the
 * limits, filter validation and completion with values read from the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { Authenticator } from '../auth/authenticator.js';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import type { FlowStore } from '../storage/port.js';
import { type ApiOptions, buildApi } from './server.js';
import { OpenApiCheck } from './testing/openapi-check.js';

const NOW = Date.now();
const T0 = NOW - 20 * 60_000;

function flow(src: string, dst: string, dport: number, proto: number, bytes: number): FlowRecord {
  return {
    ...emptyRecord('ipfix', '192.0.2.1', T0 + 1000),
    flow_start: T0,
    flow_end: T0 + 500,
    src_ip: src,
    dst_ip: dst,
    src_port: 40000,
    dst_port: dport,
    ip_protocol: proto,
    bytes_total: bytes,
    packets_total: 1,
    extended_fields: { sampling_source: 'none', applicationName: dport === 443 ? 'HTTPS' : 'DNS' },
  };
}

const FLOWS = [
  flow('10.0.0.1', '10.0.0.2', 443, 6, 1000),
  flow('10.0.0.1', '10.0.0.3', 53, 17, 300),
  flow('10.0.0.4', '10.0.0.2', 443, 6, 5000),
];

let dir: string;
let store: FlowStore;
let app: FastifyInstance;
let openapi: OpenApiCheck;

const options = (o: Partial<ApiOptions> = {}): ApiOptions => ({
  registry: new Registry(),
  readiness: () => ({ ready: true, checks: {} }),
  store,
  // Authentication has its own tests (auth.test.ts); these are about the routes.
  auth: { authenticator: new Authenticator({ mode: 'none' }) },
  ...o,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-api-'));
  // The embedded store, through the composition root (only src/app picks a backend).
  store = await openStore({ data: dir });
  await store.migrate();
  await store.insertFlows(FLOWS);
  app = await buildApi(options());
  const doc = await app.inject({ url: '/api/openapi.json' });
  openapi = await OpenApiCheck.of(doc.json());
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  method?: 'GET' | 'POST';
  url: string;
  /** The documented route template (default: the path of url); null: not a documented route. */
  route?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  payload?: string;
  on?: FastifyInstance;
}

/** Injects a request and checks the response against the OpenAPI document before returning it. */
async function call(c: Call) {
  const method = c.method ?? (c.body === undefined && c.payload === undefined ? 'GET' : 'POST');
  const res = await (c.on ?? app).inject({
    method,
    url: c.url,
    ...(c.body !== undefined ? { payload: c.body as object } : {}),
    ...(c.payload !== undefined ? { payload: c.payload } : {}),
    ...(c.headers ? { headers: c.headers } : {}),
  });
  const route = c.route === undefined ? c.url.split('?')[0] : c.route;
  expect(openapi.check(method, route, res), `${method} ${c.url} -> ${res.statusCode} ${res.body}`).toEqual(
    [],
  );
  return { status: res.statusCode, type: String(res.headers['content-type']), json: res.json() };
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and lists every API route', () => {
    expect(Object.keys(openapi.doc.paths).sort()).toEqual([
      '/api/problems/{code}',
      '/api/v1/audit',
      '/api/v1/deps',
      '/api/v1/deps/diff',
      '/api/v1/deps/history',
      '/api/v1/examples',
      '/api/v1/examples/{n}',
      '/api/v1/exporters',
      '/api/v1/filter/complete',
      '/api/v1/filter/validate',
      '/api/v1/flows',
      '/api/v1/labels',
      '/api/v1/query',
      '/api/v1/scans',
      '/api/v1/series',
      '/api/v1/tenants',
      '/api/v1/tenants/{name}',
      '/api/v1/tier-state',
      '/api/v1/tokens',
      '/api/v1/tokens/{id}',
      '/api/v1/top',
      '/api/v1/whoami',
    ]);
  });
});

describe('deps', () => {
  it('the dependency map around a host, as flowlens deps gives it', async () => {
    await store.aggregateWindows(T0 - 300_000, NOW + 300_000);
    await store.upsertDependencies([
      {
        id: '00000000-0000-4000-8000-000000000001',
        client_ip: '10.0.0.1',
        server_ip: '10.0.0.2',
        server_port: 443,
        ip_protocol: 6,
        first_seen: T0,
        last_seen: NOW,
        service_name: 'https',
        direction_rule: 'given',
      },
    ]);
    const day = Math.floor(NOW / 86_400_000) * 86_400_000;
    for (const d of new Set([Math.floor(T0 / 86_400_000) * 86_400_000, day])) await store.rollupDaily(d);
    const r = await call({
      url: '/api/v1/deps',
      body: { host: '10.0.0.2', from: NOW - 2 * 86_400_000, to: NOW },
    });
    expect(r.status).toBe(200);
    expect(r.json.rows).toHaveLength(1);
    expect(r.json.rows[0]).toMatchObject({ client_ip: '10.0.0.1', server_ip: '10.0.0.2', server_port: 443 });
    expect(r.json.rows[0].bytes_total).toBeGreaterThan(0);
    const bad = await call({ url: '/api/v1/deps', body: { depth: 0 } });
    expect(bad.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'depth' });
  });
});

describe('series and flows', () => {
  it('series: totals per step sum to the flows of the range', async () => {
    const r = await call({ url: '/api/v1/series?metric=flows&from=-1h&to=now' });
    expect(r.status).toBe(200);
    const totals = r.json.rows.filter((x: { series: string }) => x.series === 'total');
    expect(totals.reduce((a: number, x: { flows: number }) => a + x.flows, 0)).toBe(FLOWS.length);
    expect(r.json.step).toBeGreaterThan(0);
  });

  it('flows: pages by cursor through every flow, newest first, none twice', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const q: string = `/api/v1/flows?limit=1&from=-1h&to=now${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await call({ url: q, route: '/api/v1/flows' });
      expect(r.status).toBe(200);
      for (const row of r.json.rows) seen.push(`${row.src_ip}>${row.dst_ip}:${row.dst_port}`);
      cursor = r.json.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(FLOWS.map((f) => `${f.src_ip}>${f.dst_ip}:${f.dst_port}`).sort());
  });

  it('top with other and previous', async () => {
    const r = await call({ url: '/api/v1/top?by=src_ip&limit=1&other=true&previous=true&from=-1h&to=now' });
    expect(r.status).toBe(200);
    expect(r.json.rows).toHaveLength(2);
    const total = FLOWS.reduce((a, f) => a + Number(f.bytes_total), 0);
    expect(r.json.rows.reduce((a: number, x: { bytes: number }) => a + x.bytes, 0)).toBe(total);
    expect(r.json.columns).toContain('bytes_previous');
  });
});

describe('top', () => {
  it('GET with the filter as text, times relative', async () => {
    const r = await call({ url: '/api/v1/top?by=src_ip&filter=dst%20port%20443&from=-1h&to=now' });
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([
      { src_ip: '10.0.0.4', bytes: 5000 },
      { src_ip: '10.0.0.1', bytes: 1000 },
    ]);
    expect(r.json.tier).toBe('raw');
  });

  it('by a value of extended_fields (ext.KEY); a malformed key names the parameter', async () => {
    const r = await call({ url: '/api/v1/top?by=ext.applicationName&from=-1h&to=now' });
    expect(r.status).toBe(200);
    expect(r.json.columns).toEqual(['ext.applicationName', 'bytes']);
    expect(r.json.rows).toEqual([
      { 'ext.applicationName': 'HTTPS', bytes: 6000 },
      { 'ext.applicationName': 'DNS', bytes: 300 },
    ]);
    for (const by of ['ext.', 'colour', 'ext.a%20b']) {
      const bad = await call({ url: `/api/v1/top?by=${by}&from=-1h&to=now` });
      expect(bad.status, by).toBe(400);
      expect(bad.json.detail, by).toMatch(/^by\b/);
    }
  });

  it('POST with the filter as an AST, by as a list, ISO times', async () => {
    const r = await call({
      url: '/api/v1/top',
      body: {
        by: ['src_ip', 'dst_port'],
        metric: 'flows',
        limit: 1,
        from: new Date(NOW - 3_600_000).toISOString(),
        to: NOW + 1000,
        filter: { op: 'eq', field: 'src_ip', value: '10.0.0.1' },
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.rows).toHaveLength(1);
    expect(r.json.rows[0].flows).toBe(1);
  });

  it('a bad filter is a problem with the position', async () => {
    const r = await call({
      url: '/api/v1/top?by=src_ip&filter=src%20net%2010.0.0.0%2F8%20and%20port%20https',
    });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({
      type: '/api/problems/invalid_filter',
      status: 400,
      parameter: 'filter',
      position: 28,
      length: 5,
      detail: 'at 28: expected a port number, got "https"',
    });
  });

  it('dependency-only terms are refused with their position', async () => {
    const r = await call({ url: '/api/v1/top?by=src_ip&filter=port%2053%20and%20server%20port%20443' });
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_filter', position: 12 });
  });

  it.each([
    ['/api/v1/top', 'by'],
    ['/api/v1/top?by=src_ip,nope', 'by.1'],
    ['/api/v1/top?by=src_ip&by=nope', 'by.1'],
    ['/api/v1/top?by=src_ip&limit=0', 'limit'],
    ['/api/v1/top?by=src_ip&limit=10001', 'limit'],
    ['/api/v1/top?by=src_ip&metric=bits', 'metric'],
    ['/api/v1/top?by=src_ip&from=yesterday', 'from'],
    ['/api/v1/top?by=src_ip&from=-1h&to=-2h', 'to'],
    ['/api/v1/series?from=2020-01-01&to=2024-01-01', 'from'],
    ['/api/v1/flows?from=-40d', 'from'],
    ['/api/v1/top?by=src_ip&tier=hot', 'tier'],
  ])('%s names the bad parameter (%s)', async (url, parameter) => {
    const r = await call({ url });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter });
  });

  it('a filter AST that does not validate names the offending member', async () => {
    const r = await call({
      url: '/api/v1/top',
      body: { by: ['src_ip'], filter: { op: 'eq', field: 'nope', value: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.json.parameter).toBe('filter.field');
  });

  // The engines' own cancellation has its tests (storage/testing/cancel.ts, more-routes.test.ts); this
  // store ignores the limit, so the API's backstop (2 x limit + 1 s) must answer.
  it('a store that does not stop at the limit is still query_timeout (504)', async () => {
    const slow = Object.create(store) as FlowStore;
    slow.query = () => new Promise((r) => setTimeout(() => r({ tier: 'raw', columns: [], rows: [] }), 3000));
    const timed = await buildApi(options({ store: slow, queryTimeoutMs: 50 }));
    try {
      const r = await call({ url: '/api/v1/top?by=src_ip', on: timed });
      expect(r.status).toBe(504);
      expect(r.json.type).toBe('/api/problems/query_timeout');
    } finally {
      await timed.close();
    }
  });

  it('without a store: store_unavailable (503)', async () => {
    const bare = await buildApi(options({ store: undefined }));
    try {
      const r = await call({ url: '/api/v1/top?by=src_ip', on: bare });
      expect(r.status).toBe(503);
      expect(r.json.type).toBe('/api/problems/store_unavailable');
    } finally {
      await bare.close();
    }
  });
});

describe('query (the CLI --via path)', () => {
  it('runs a query AST', async () => {
    const r = await call({
      url: '/api/v1/query',
      body: {
        kind: 'top',
        by: ['dst_port'],
        metric: 'bytes',
        limit: 5,
        from: NOW - 3_600_000,
        to: NOW + 1000,
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([
      { dst_port: 443, bytes: 6000 },
      { dst_port: 53, bytes: 300 },
    ]);
  });

  it('an invalid AST names the member', async () => {
    const r = await call({
      url: '/api/v1/query',
      body: { kind: 'top', by: ['dst_port'], metric: 'bits', limit: 5, from: 0, to: 1 },
    });
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'metric' });
  });

  it('a field the forced tier lacks: an answer with no rows that names the field (never silently empty)', async () => {
    const r = await call({
      url: '/api/v1/query',
      body: {
        kind: 'top',
        by: ['src_as'],
        metric: 'bytes',
        limit: 5,
        from: NOW - 86_400_000,
        to: NOW,
        tier: 'daily',
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([]);
    expect(r.json.complete).toBe(false);
    expect(r.json.gaps[0]).toMatchObject({ reason: 'fields', fields: ['src_as'] });
  });

  it('a range over the cap names the parameter', async () => {
    const r = await call({
      url: '/api/v1/query',
      body: { kind: 'flow_search', limit: 5, from: 0, to: NOW },
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'to' });
  });
});

describe('limits and protocol errors', () => {
  it('a body over the limit is body_too_large (413)', async () => {
    const r = await call({ url: '/api/v1/top', body: { by: ['src_ip'], filter: 'x'.repeat(300_000) } });
    expect(r.status).toBe(413);
    expect(r.json.type).toBe('/api/problems/body_too_large');
  });

  it('malformed JSON is invalid_body; another media type is unsupported_media_type', async () => {
    const bad = await call({
      url: '/api/v1/top',
      payload: '{"by": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.json.type).toBe('/api/problems/invalid_body');
    const text = await call({
      url: '/api/v1/top',
      payload: '<by>src_ip</by>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(text.status).toBe(415);
    expect(text.json.type).toBe('/api/problems/unsupported_media_type');
  });

  it('an unknown route is a 404 problem', async () => {
    const r = await call({ url: '/api/v1/nope', route: null });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ type: '/api/problems/not_found', title: 'Not found', status: 404 });
  });

  it('every problem type resolves to its catalog entry', async () => {
    const r = await call({ url: '/api/problems/query_timeout', route: '/api/problems/{code}' });
    expect(r.json).toMatchObject({ status: 504, title: 'Query timed out' });
    const missing = await call({ url: '/api/problems/nope', route: '/api/problems/{code}' });
    expect(missing.status).toBe(404);
  });
});

describe('tier-state', () => {
  it('reports the watermark and the retention in force', async () => {
    const r = await call({ url: '/api/v1/tier-state' });
    expect(r.status).toBe(200);
    expect(r.json.aggregated_until).toBeNull();
    expect(r.json.retention.raw).toEqual({ ms: 7 * 86_400_000, text: '7d' });
  });
});

describe('filter/validate', () => {
  it('returns the AST', async () => {
    const r = await call({ url: '/api/v1/filter/validate?filter=proto%20tcp' });
    expect(r.json).toEqual({ filter: { op: 'eq', field: 'ip_protocol', value: 6 } });
  });

  it('returns a problem with the position', async () => {
    const r = await call({ url: '/api/v1/filter/validate', body: { filter: 'port 80 and (host 10.0.0.1' } });
    expect(r.json).toMatchObject({ type: '/api/problems/invalid_filter', position: 26, parameter: 'filter' });
  });

  it('takes dependency terms for kind=dependency only', async () => {
    const flow = await call({ url: '/api/v1/filter/validate?filter=server%20port%205432' });
    expect(flow.status).toBe(400);
    const dep = await call({ url: '/api/v1/filter/validate?filter=server%20port%205432&kind=dependency' });
    expect(dep.status).toBe(200);
    expect(dep.json.filter.op).toBe('role');
  });
});

describe('filter/complete', () => {
  const items = async (text: string, cursor?: number) => {
    const q = new URLSearchParams({ text, ...(cursor !== undefined ? { cursor: String(cursor) } : {}) });
    const r = await call({ url: `/api/v1/filter/complete?${q}` });
    expect(r.status).toBe(200);
    return r.json as { replace: { from: number; to: number }; items: { text: string; kind: string }[] };
  };

  it('keywords that can start a term, filtered by the word typed', async () => {
    const r = await items('src h');
    expect(r.items.map((i) => i.text)).toEqual(['host']);
    expect(r.replace).toEqual({ from: 4, to: 5 });
  });

  it('after a term: and / or, and ) only inside parentheses', async () => {
    expect((await items('port 443 ')).items.map((i) => i.text)).toEqual(['and', 'or']);
    expect((await items('(port 443 ')).items.map((i) => i.text)).toEqual(['and', 'or', ')']);
  });

  it('operators after a measure', async () => {
    const r = await items('bytes ');
    expect(r.items.filter((i) => i.kind === 'operator').map((i) => i.text)).toEqual([
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
    ]);
  });

  it('addresses and ports seen in the last hour, from the store', async () => {
    const hosts = (await items('src host ')).items.filter((i) => i.kind === 'value').map((i) => i.text);
    expect(hosts.sort()).toEqual(['10.0.0.1', '10.0.0.4']);
    const ports = (await items('dst port 4')).items.map((i) => i.text);
    expect(ports).toEqual(['443']);
    const exporters = (await items('exporter ')).items.map((i) => i.text);
    expect(exporters).toEqual(['192.0.2.1']);
  });

  it('the cursor in the middle of the text', async () => {
    const r = await items('proto u and port 53', 7);
    expect(r.items.map((i) => i.text)).toEqual(['udp']);
    expect(r.replace).toEqual({ from: 6, to: 7 });
  });

  it('an error before the cursor is reported', async () => {
    const r = await items('port https and ');
    expect(r.items).toEqual([]);
    expect(r).toMatchObject({ error: { position: 5 } });
  });
});
