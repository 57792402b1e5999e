/**
 * Issue 9 "The demo network's known services come out as edges with the right direction and names, and
 * nothing points at a client's ephemeral port", as a plain test (the browser suite only shows the map).
 * The expectation is read from the simulator's own declaration (src/demo/network.ts CONVERSATIONS): per
 * port and protocol, which hosts are clients and which serve. Two ways in:
 * - over the wire: serve on the embedded store, the demo's three exporters (NetFlow v9, IPFIX, sFlow 1:10)
 *   over loopback UDP, then the windows aggregated and discovered;
 * - the generator's flows stored directly (as src/app/testing/ui-server.ts seeds the UI), on PostgreSQL,
 *   through the DiscoveryJob serve runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { simulatorFor } from '../app/demo-feed.js';
import { type RunningServe, startServe } from '../app/serve.js';
import { openStore } from '../app/store.js';
import { storedTotals, tempDir, testConfig } from '../app/testing/harness.js';
import { demoRecord } from '../app/testing/ui-server.js';
import type { FlowRecord } from '../core/record.js';
import { serviceName } from '../core/services/services.js';
import { CONVERSATIONS, CompanyNetwork, SCANNER } from '../demo/network.js';
import type { Simulator } from '../demo/simulator.js';
import type { DependencyEdge, FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { discoverRange } from './discover.js';
import { DiscoveryJob } from './job.js';
import { ephemeralServerPort } from './testing/ephemeral.js';

const WINDOW = 300_000;
const signal = new AbortController().signal;

/** Per "port/proto": the hosts the demo declares as its clients and as its servers. */
function declaredRoles(): Map<string, { clients: Set<string>; servers: Set<string> }> {
  const out = new Map<string, { clients: Set<string>; servers: Set<string> }>();
  for (const c of CONVERSATIONS) {
    const k = `${c.port}/${c.protocol}`;
    const r = out.get(k) ?? { clients: new Set<string>(), servers: new Set<string>() };
    for (const h of c.client.hosts) r.clients.add(h);
    for (const h of c.server.hosts) r.servers.add(h);
    out.set(k, r);
  }
  return out;
}

/** Hosts that only ever act as clients in the declaration (their ports are all ephemeral). */
function pureClients(): Set<string> {
  const servers = new Set(CONVERSATIONS.flatMap((c) => c.server.hosts));
  return new Set([...CONVERSATIONS.flatMap((c) => c.client.hosts), SCANNER].filter((h) => !servers.has(h)));
}

const text = (e: DependencyEdge) =>
  `${e.client_ip} -> ${e.server_ip}:${e.server_port}/${e.ip_protocol} ${e.service_name} (${e.direction_rule})`;

/** Every edge against the declaration; every declared conversation seen at least once. */
function checkTopology(edges: DependencyEdge[], label: string): { wrong: string[]; missing: string[] } {
  const roles = declaredRoles();
  const clientsOnly = pureClients();
  const wrong: string[] = [];
  for (const e of edges) {
    const r = roles.get(`${e.server_port}/${e.ip_protocol}`);
    const declared = r?.clients.has(e.client_ip) && r.servers.has(e.server_ip);
    if (!declared) wrong.push(`undeclared ${text(e)}`);
    if (e.service_name !== serviceName(e.server_port, e.ip_protocol)) wrong.push(`name ${text(e)}`);
    if (ephemeralServerPort(e.server_port, e.ip_protocol)) wrong.push(`ephemeral port ${text(e)}`);
    if (clientsOnly.has(e.server_ip)) wrong.push(`served by a client ${text(e)}`);
    if (e.client_ip === SCANNER) wrong.push(`scanner ${text(e)}`);
  }
  const missing = CONVERSATIONS.filter(
    (c) =>
      !edges.some(
        (e) =>
          e.server_port === c.port &&
          e.ip_protocol === c.protocol &&
          c.client.hosts.includes(e.client_ip) &&
          c.server.hosts.includes(e.server_ip),
      ),
  ).map((c) => `${c.client.hosts[0]}.. -> ${c.server.hosts[0]}..:${c.port}/${c.protocol} (${c.app})`);
  const rules: Record<string, number> = {};
  for (const e of edges) rules[e.direction_rule] = (rules[e.direction_rule] ?? 0) + 1;
  // The demo labels its apps; the edges carry IANA's names (53 is IANA's "domain", the demo's "dns").
  const names = [...new Set(CONVERSATIONS.map((c) => `${c.app}=${serviceName(c.port, c.protocol)}`))];
  console.log(`demo (${label}): ${edges.length} edges, by rule ${JSON.stringify(rules)}; names ${names}`);
  return { wrong, missing };
}

describe('the demo over the wire (serve on chdb, the three exporters over loopback UDP)', () => {
  let serve: RunningServe | null = null;
  let sim: Simulator | null = null;
  afterAll(async () => {
    await sim?.stop();
    await serve?.stop();
  });

  it('discovers the declared services, right way round, named by IANA, none at an ephemeral port', async () => {
    serve = await startServe(testConfig(tempDir('flowlens-demo-deps-')));
    const store = serve.store;
    const from = Math.floor((Date.now() - 60_000) / WINDOW) * WINDOW;
    sim = simulatorFor(serve, 400);
    await sim.start();
    await new Promise((r) => setTimeout(r, 8_000));
    await sim.stop();
    sim = null;
    // Stored once the batches settle (serve flushes every 100 ms).
    let last = -1;
    for (let n = 0; n < 40; n++) {
      await new Promise((r) => setTimeout(r, 250));
      const flows = Object.values(await storedTotals(store)).reduce((a, t) => a + t.flows, 0);
      if (flows === last) break;
      last = flows;
    }
    expect(Object.keys(await storedTotals(store)).sort()).toEqual(['ipfix', 'netflow_v9', 'sflow_v5']);
    const to = Math.ceil((Date.now() + 1) / WINDOW) * WINDOW;
    await store.aggregateWindows(from, to);
    const rep = await discoverRange(store, from, to);
    expect(rep.edges).toBeGreaterThan(0);
    expect(checkTopology(await store.listDependencies(), 'wire, chdb')).toEqual({ wrong: [], missing: [] });
  });
});

/** Two hours of the generator's conversations, every 2 s, as the UI server seeds its store. */
function demoFlows(end: number): FlowRecord[] {
  const net = new CompanyNetwork(11);
  const flows: FlowRecord[] = [];
  for (let t = end - 2 * 3_600_000 + 5_000; t < end; t += 2_000)
    for (const f of net.next(t).flows) flows.push(demoRecord(f, t));
  return flows;
}

async function viaJob(store: FlowStore, label: string): Promise<void> {
  await store.migrate();
  const end = Math.floor(Date.now() / WINDOW) * WINDOW - WINDOW;
  await store.insertFlows(demoFlows(end));
  await store.aggregateWindows(end - 2 * 3_600_000, end);
  await store.setAggregatedUntil(end);
  const summary = await new DiscoveryJob({ store, everyMs: 60_000, windowMs: 3 * 3_600_000 }).run(signal);
  expect(summary).toMatchObject({ corrections: 0 });
  const edges = await store.listDependencies();
  expect(checkTopology(edges, label)).toEqual({ wrong: [], missing: [] });
  // The check itself catches a map turned round: every reversed edge is undeclared.
  const reversed = edges.map((e) => ({ ...e, client_ip: e.server_ip, server_ip: e.client_ip }));
  const bad = checkTopology(reversed, `${label}, reversed`);
  expect(bad.wrong.filter((w) => w.startsWith('undeclared')).length).toBe(edges.length);
  expect(bad.missing.length).toBe(CONVERSATIONS.length);
}

describe('the demo generator stored directly and discovered by the job', () => {
  const dbs: TestDatabase[] = [];
  const stores: FlowStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const db of dbs) await db.drop();
  });

  it('on PostgreSQL', async () => {
    const db = await createTestDatabase('flowlens_demo_deps');
    dbs.push(db);
    const store = await openStore({ store: db.url });
    stores.push(store);
    await viaJob(store, 'generator, postgres');
  });

  it('on chdb', async () => {
    const store = await openStore({ data: tempDir('flowlens-demo-gen-') });
    stores.push(store);
    await viaJob(store, 'generator, chdb');
  });
});
