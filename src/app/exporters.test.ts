/**
 * Exporter health as the collector sees it: a real serve, real UDP datagrams from the generator (one
 * IPFIX exporter with datagrams dropped before the socket, one sampled NetFlow v9 exporter), read back
 * over HTTP with a viewer token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../auth/admin.js';
import { createExporter } from '../gen/index.js';
import { type RunningServe, startServe } from './serve.js';
import { portOf, sendAll, tempDir, testConfig, udpSender } from './testing/harness.js';

interface Health {
  flows: number;
  flowsPerSecond: number;
  lastSeen: string;
  decodeErrors: number;
  sequence: { lost: number };
  templates: { ageSeconds: number }[];
  sampling: { rate: number; source: string }[];
}

describe('GET /api/v1/exporters from a running serve (real UDP datagrams from the generator)', () => {
  let serve: RunningServe;
  beforeAll(async () => {
    serve = await startServe(testConfig(tempDir()));
  });
  afterAll(async () => {
    await serve?.stop();
  });
  it('per exporter and domain: flows, sequence loss, templates with ages, sampling and its source', async () => {
    const a = createExporter({ protocol: 'ipfix', seed: 5, exporterId: 42, samplingRate: 1 });
    const b = createExporter({ protocol: 'v9', seed: 6, exporterId: 9, samplingRate: 64 });
    const now = Date.now();
    const da = Array.from({ length: 60 }, (_, i) => a.nextPacket(now + i));
    const db = Array.from({ length: 40 }, (_, i) => b.nextPacket(now + i));
    // Drop 5 IPFIX datagrams after the first (which carries the templates): sequence loss.
    const lost = da.slice(10, 15);
    const sa = await udpSender('127.0.0.21');
    const sb = await udpSender('127.0.0.22');
    await sendAll(sa, portOf(serve, 'ipfix'), [...da.slice(0, 10), ...da.slice(15)]);
    await sendAll(sb, portOf(serve, 'netflow'), db);
    await sa.close();
    await sb.close();
    await serve.settle();
    const { token } = await new TokenAdmin(serve.store).create({ role: 'viewer' }, 'test');
    const res = await fetch(`http://127.0.0.1:${serve.http!.port}/api/v1/exporters`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { exporters: Record<string, unknown>[] };
    const ea = body.exporters.find((e) => e.exporter === '127.0.0.21') as unknown as Health;
    const eb = body.exporters.find((e) => e.exporter === '127.0.0.22') as unknown as Health;
    expect(ea).toMatchObject({ protocol: 'ipfix', observationDomain: 42 });
    expect(eb).toMatchObject({ protocol: 'netflow_v9', observationDomain: 9 });
    const lostFlows = a.totals().flows - ea.flows;
    expect(lostFlows).toBeGreaterThan(0);
    expect(ea.sequence.lost).toBe(lostFlows);
    expect(ea.flowsPerSecond).toBeGreaterThan(0);
    expect(Date.parse(ea.lastSeen)).toBeGreaterThanOrEqual(now - 1000);
    expect(ea.templates.length).toBeGreaterThan(0);
    for (const t of ea.templates) expect(t.ageSeconds).toBeLessThan(120);
    expect(eb.flows).toBe(b.totals().flows);
    expect(eb.sampling.map((s: { rate: number }) => s.rate)).toContain(64);
    expect(ea.sampling.map((s: { rate: number }) => s.rate)).toEqual([1]);
    expect(ea.decodeErrors).toBe(0);
    expect(lost.length).toBe(5);
  });
});
