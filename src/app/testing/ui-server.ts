/**
 * A real serve (embedded store, demo simulator feeding it over UDP) for the web UI's browser tests and bench,
 * plus the demo network's traffic of the last two hours stored, aggregated and discovered at once, so the
 * dependency map has edges without waiting for 5-minute windows to close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultUiRoot } from '../../api/ui-static.js';
import type { FlowRecord } from '../../core/record.js';
import { CompanyNetwork } from '../../demo/network.js';
import { DiscoveryJob } from '../../deps/job.js';
import type { GenFlow } from '../../gen/flows.js';
import type { HostLabel } from '../../storage/port.js';
import { simulatorFor } from '../demo-feed.js';
import { type RunningServe, startServe } from '../serve.js';
import { testConfig } from './harness.js';

const WINDOW = 300_000;

/** A demo flow as the core switch's IPFIX would store it (unsampled, one exporter). */
export function demoRecord(f: GenFlow, now: number): FlowRecord {
  return {
    received_at: now,
    flow_start: f.start,
    flow_end: f.end,
    exporter_ip: '127.0.0.3',
    exporter_id: 2,
    protocol_type: 'ipfix',
    src_ip: f.srcIp,
    dst_ip: f.dstIp,
    src_port: f.srcPort,
    dst_port: f.dstPort,
    ip_protocol: f.protocol,
    bytes_total: f.bytes,
    packets_total: f.packets,
    tcp_flags: f.tcpFlags,
    input_interface: f.inputIf,
    output_interface: f.outputIf,
    src_as: f.srcAs,
    dst_as: f.dstAs,
    next_hop: f.nextHop,
    src_vlan: f.srcVlan,
    dst_vlan: f.dstVlan,
    tos: f.tos,
    direction: f.direction,
    sampling_rate: 1,
    extended_fields: { sampling_source: 'none' },
  };
}

/**
 * Groups for the demo's tiers (src/demo/network.ts), so the map can filter and cluster by group: web, api and
 * db (the database and the cache). The clients and the DNS server stay unlabelled (themselves).
 */
export const DEMO_LABELS: readonly HostLabel[] = [
  { cidr: '10.20.0.0/24', name: 'web', group: 'web' },
  { cidr: '10.20.1.0/24', name: 'api', group: 'api' },
  { cidr: '10.20.2.10/32', name: 'postgres', group: 'db' },
  { cidr: '10.20.2.20/32', name: 'redis', group: 'db' },
].map((l) => ({ ...l, service: null, port: null, valid_from: null, valid_to: null }));

/** The demo network's conversations over the last two hours (closed windows), aggregated and discovered. */
async function seedHistory(serve: RunningServe): Promise<void> {
  await serve.store.replaceLabels(DEMO_LABELS);
  const net = new CompanyNetwork(11);
  const end = Math.floor(Date.now() / WINDOW) * WINDOW - WINDOW;
  const start = end - 2 * 3_600_000;
  const flows: FlowRecord[] = [];
  for (let t = start + 5_000; t < end; t += 2_000)
    for (const f of net.next(t).flows) flows.push(demoRecord(f, t));
  await serve.store.insertFlows(flows);
  await serve.store.aggregateWindows(start, end);
  await serve.store.setAggregatedUntil(end);
  await new DiscoveryJob({ store: serve.store, everyMs: 60_000 }).run(new AbortController().signal);
}

export interface UiServer {
  url: string;
  serve: RunningServe;
  stop(): Promise<void>;
}

export async function startUiServer(auth: 'none' | 'required'): Promise<UiServer> {
  if (!defaultUiRoot()) throw new Error('dist/ui is not built: npm run build:ui');
  const data = mkdtempSync(join(tmpdir(), 'flowlens-ui-'));
  const serve = await startServe(testConfig(data, { 'auth.mode': auth }));
  await seedHistory(serve);
  const sim = simulatorFor(serve, 50);
  await sim.start();
  return {
    url: `http://127.0.0.1:${serve.http!.port}`,
    serve,
    async stop() {
      await sim.stop();
      await serve.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}
