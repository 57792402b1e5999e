/**
 * Exporter health, scans, the six examples and per-request time limits over HTTP, every response checked
 * against the OpenAPI document. Scans compare with the TypeScript reference (storage/testing/scans.ts);
 * exporter health from a running serve: src/app/exporters.test.ts.
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
import { EXAMPLES } from '../query/examples.js';
import type { FlowStore } from '../storage/port.js';
import { CANCEL_START, SLOW_QUERY, slowFlows } from '../storage/testing/cancel.js';
import { referenceScans, SAMPLED_SCANNER, SCAN_T0, scanFlows } from '../storage/testing/scans.js';
import { buildApi } from './server.js';
import { OpenApiCheck } from './testing/openapi-check.js';

let dir: string;
let store: FlowStore;
let app: FastifyInstance;
let openapi: OpenApiCheck;
const SCANS = scanFlows(11);

/** One flow for each example that the scan traffic would not give (each example then has an answer). */
function exampleFlow(o: Partial<FlowRecord>): FlowRecord {
  return {
    ...emptyRecord('ipfix', '192.0.2.1', SCAN_T0 + 61_000),
    flow_start: SCAN_T0 + 60_000,
    flow_end: SCAN_T0 + 60_500,
    ip_protocol: 6,
    src_port: 50000,
    dst_port: 443,
    bytes_total: 7_777_777,
    packets_total: 7,
    ...o,
  };
}
const EXAMPLE_FLOWS = [
  exampleFlow({ src_ip: '10.1.2.3', dst_ip: '10.2.0.9' }),
  exampleFlow({
    src_ip: '10.3.0.1',
    dst_ip: '10.4.0.1',
    extended_fields: { sampling_source: 'none', application_name: 'HTTPS' },
  }),
  exampleFlow({
    src_ip: '10.3.0.2',
    dst_ip: '10.4.0.2',
    extended_fields: { sampling_source: 'none', vendor: { cisco: { firewall_event: 2 } } },
  }),
];
/** Rows each example gives over SCAN_T0 +- 1 h (1, 3, 6: exactly the flow made for it). */
const EXPECTED_ROWS: Record<number, (rows: Record<string, unknown>[]) => void> = {
  1: (rows) => expect(rows.map((r) => r.src_ip)).toEqual(['10.1.2.3']),
  2: (rows) =>
    expect(rows).toContainEqual(
      expect.objectContaining({ dst_ip: '10.2.0.9', dst_port: 443, bytes: 7_777_777 }),
    ),
  3: (rows) => expect(rows.map((r) => r.src_ip)).toEqual(['10.3.0.1']),
  4: (rows) =>
    expect(rows.filter((r) => r.series === 'total').reduce((a, r) => a + Number(r.bytes), 0)).toBe(7_777_777),
  5: (rows) => expect(rows.length).toBeGreaterThanOrEqual(3),
  6: (rows) => expect(rows.map((r) => r.src_ip)).toEqual(['10.3.0.2']),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-api-more-'));
  store = await openStore({ data: dir });
  await store.migrate();
  await store.setRetention({ raw: Infinity, aggregates: Infinity, daily: Infinity });
  await store.insertFlows([...SCANS, ...EXAMPLE_FLOWS]);
  const slow = slowFlows(400_000);
  for (let i = 0; i < slow.length; i += 50_000) await store.insertFlows(slow.slice(i, i + 50_000));
  app = await buildApi({
    registry: new Registry(),
    readiness: () => ({ ready: true, checks: {} }),
    store,
    auth: { authenticator: new Authenticator({ mode: 'none' }) },
    scans: { minTargets: 120, minSampledTargets: 5 },
  });
  openapi = await OpenApiCheck.of((await app.inject({ url: '/api/openapi.json' })).json());
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', url: string, route: string, body?: object) {
  const res = await app.inject({ method, url, ...(body ? { payload: body } : {}) });
  expect(openapi.check(method, route, res), `${method} ${url} -> ${res.statusCode} ${res.body}`).toEqual([]);
  return { status: res.statusCode, json: res.json() };
}

describe('scans', () => {
  const range = { from: SCAN_T0, to: SCAN_T0 + 3_600_000 };
  it('POST /api/v1/scans uses the configured thresholds and matches the reference', async () => {
    const r = await call('POST', '/api/v1/scans', '/api/v1/scans', range);
    expect(r.status).toBe(200);
    const want = referenceScans(SCANS, {
      kind: 'scans',
      ...range,
      minTargets: 120,
      minSampledTargets: 5,
      limit: 100,
    });
    expect(r.json.rows).toEqual(want);
    expect(r.json.rows.map((x: { src_ip: string }) => x.src_ip)).toContain(SAMPLED_SCANNER.ip);
    expect(r.json.columns).toEqual([
      'src_ip',
      'targets_estimated',
      'targets_sampled',
      'ports',
      'syn_only_flows',
      'first_seen',
      'last_seen',
      'sampling_rate',
    ]);
  });
  it('thresholds and a filter as text in the query string', async () => {
    const url = `/api/v1/scans?from=${range.from}&to=${range.to}&minTargets=10&minSampledTargets=2&filter=${encodeURIComponent('proto udp')}`;
    const r = await call('GET', url, '/api/v1/scans');
    expect(r.status).toBe(200);
    const want = referenceScans(
      SCANS,
      { kind: 'scans', ...range, minTargets: 10, minSampledTargets: 2, limit: 100 },
      (f) => f.ip_protocol === 17,
    );
    expect(r.json.rows).toEqual(want);
    expect(want.length).toBe(1);
  });
  it('a bad threshold is a problem naming it', async () => {
    const r = await call('POST', '/api/v1/scans', '/api/v1/scans', { ...range, minTargets: 0 });
    expect(r.status).toBe(400);
    expect(r.json.parameter).toBe('minTargets');
  });
});

describe('examples', () => {
  it('GET /api/v1/examples lists the six', async () => {
    const r = await call('GET', '/api/v1/examples', '/api/v1/examples');
    expect(r.json.examples.map((e: { n: number }) => e.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  for (const ex of EXAMPLES)
    it(`example ${ex.n} runs and answers like the query it stands for`, async () => {
      const from = SCAN_T0 - 3_600_000;
      const to = SCAN_T0 + 3_600_000;
      const r = await call('GET', `/api/v1/examples/${ex.n}?from=${from}&to=${to}`, '/api/v1/examples/{n}');
      expect(r.status).toBe(200);
      const direct = await store.query(ex.build({ from, to, filter: ex.filter }));
      expect(r.json.rows).toEqual(direct.rows);
      EXPECTED_ROWS[ex.n](r.json.rows);
    });
  it('example 5 finds the scanners of the generated traffic', async () => {
    const r = await call(
      'GET',
      `/api/v1/examples/5?from=${SCAN_T0}&to=${SCAN_T0 + 3_600_000}`,
      '/api/v1/examples/{n}',
    );
    const srcs = r.json.rows.map((x: { src_ip: string }) => x.src_ip);
    expect(srcs).toEqual(expect.arrayContaining(['203.0.113.7', '203.0.113.8', SAMPLED_SCANNER.ip]));
  });
  it('an example that does not exist is a problem', async () => {
    const r = await call('GET', '/api/v1/examples/7', '/api/v1/examples/{n}');
    expect(r.status).toBe(400);
  });
});

describe('per-request time limit', () => {
  const slow = SLOW_QUERY as { from: number; to: number; filter: unknown };
  it('the engine cancels a slow top-N: 504 query_timeout', async () => {
    const r = await call('POST', '/api/v1/top', '/api/v1/top', {
      by: ['src_ip'],
      from: slow.from,
      to: slow.to,
      tier: 'raw',
      filter: slow.filter,
      timeout_ms: 1,
    });
    expect(r.status).toBe(504);
    expect(r.json.type).toBe('/api/problems/query_timeout');
  });
  it('POST /api/v1/query (the CLI --via path) takes ?timeout_ms too', async () => {
    const r = await call('POST', '/api/v1/query?timeout_ms=1', '/api/v1/query', { ...SLOW_QUERY });
    expect(r.status).toBe(504);
    expect(r.json.type).toBe('/api/problems/query_timeout');
  });
  it('the same query with room answers', async () => {
    const r = await call('POST', '/api/v1/top', '/api/v1/top', {
      by: ['src_ip'],
      from: CANCEL_START,
      to: slow.to,
      tier: 'raw',
      filter: slow.filter,
      timeout_ms: 60_000,
    });
    expect(r.status).toBe(200);
    expect(r.json.rows.length).toBe(10);
  });
});

describe('exporters', () => {
  it('no collector in this process: collector_unavailable', async () => {
    const r = await call('GET', '/api/v1/exporters', '/api/v1/exporters');
    expect(r.status).toBe(503);
    expect(r.json.type).toBe('/api/problems/collector_unavailable');
  });
});
