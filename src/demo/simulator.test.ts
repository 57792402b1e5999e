/**
 * The demo as a newcomer sees it: serve on the embedded store plus the simulated company network over real
 * loopback sockets. After a few seconds every exporter's protocol is stored, the servers are the top
 * destinations, and the port scanner stands out by its distinct destination ports.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { simulatorFor } from '../app/demo-feed.js';
import { type RunningServe, startServe } from '../app/serve.js';
import { storedTotals, tempDir, testConfig } from '../app/testing/harness.js';
import type { Simulator } from './simulator.js';

let serve: RunningServe | null = null;
let sim: Simulator | null = null;
afterAll(async () => {
  await sim?.stop();
  await serve?.stop();
});

describe('demo: serve + simulated company network', () => {
  it('stores NetFlow v9, IPFIX and sFlow from its three exporters, with the scanner visible', async () => {
    serve = await startServe(testConfig(tempDir('flowlens-demo-')));
    sim = simulatorFor(serve, 400);
    await sim.start();
    const store = serve.store;
    const deadline = Date.now() + 20_000;
    let totals = await storedTotals(store);
    // All three exporters, and enough flows that the busiest destinations are the steady ones (in the
    // first second or two a burst of internet traffic can outweigh the servers).
    const flows = () => Object.values(totals).reduce((a, t) => a + t.flows, 0);
    while ((Object.keys(totals).length < 3 || flows() < 2000) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      totals = await storedTotals(store);
    }
    expect(Object.keys(totals).sort()).toEqual(['ipfix', 'netflow_v9', 'sflow_v5']);

    const now = Date.now();
    const top = await store.query({
      kind: 'top',
      by: ['dst_ip', 'dst_port'],
      metric: 'bytes',
      from: now - 3_600_000,
      to: now + 60_000,
      limit: 5,
      tier: 'raw',
    });
    // The company's servers (10.20.x.x) carry the most traffic.
    expect(top.rows.filter((r) => String(r.dst_ip).startsWith('10.20.')).length).toBeGreaterThanOrEqual(3);

    // The scanner (10.10.0.66) probes many ports; the access switch samples it 1:10, so give it time.
    const scannedPorts = async () =>
      (
        await store.query({
          kind: 'top',
          by: ['dst_port'],
          metric: 'flows',
          from: now - 3_600_000,
          to: Date.now() + 60_000,
          limit: 1000,
          tier: 'raw',
          filter: { op: 'eq', field: 'src_ip', value: '10.10.0.66' },
        })
      ).rows.length;
    let ports = await scannedPorts();
    while (ports <= 3 && Date.now() < deadline + 20_000) {
      await new Promise((r) => setTimeout(r, 250));
      ports = await scannedPorts();
    }
    expect(ports).toBeGreaterThan(3);
  });
});
