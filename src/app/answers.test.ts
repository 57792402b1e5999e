/**
 * Complete answers, as a user meets them: the observations of the issue "Complete answers across the three
 * tiers", each end to end through the real collector or the real CLI on the embedded store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTop } from '../cli/commands/query.js';
import { captureIO } from '../cli/testing/io.js';
import { createExporter } from '../gen/index.js';
import { type RunningServe, startServe } from './serve.js';
import { metricValue, portOf, sendAll, tempDir, testConfig, udpSender } from './testing/harness.js';

let running: RunningServe[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function until(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('complete answers across tiers', () => {
  it('flows serve just received are in a top-N over yesterday..tomorrow after serve stops (raw tail of the plan)', async () => {
    const data = tempDir();
    // Jobs on, as in production: the current window is still inside the grace, so nothing of it is
    // aggregated when serve stops.
    const serve = await startServe(
      testConfig(data, {
        'jobs.enabled': true,
        'retention.raw': '7d',
        'retention.aggregates': '90d',
        'retention.daily': '2y',
      }),
    );
    running.push(serve);
    const exp = createExporter({ protocol: 'ipfix', seed: 11, exporterId: 1 });
    const now = Date.now();
    const datagrams = Array.from({ length: 40 }, (_, i) => exp.nextPacket(now - 1000 + i));
    const sender = await udpSender();
    await sendAll(sender, portOf(serve, 'ipfix'), datagrams);
    await sender.close();
    const sent = exp.totals();
    await until(
      async () => (await metricValue(serve.registry, 'flowlens_flows_decoded_total')) >= sent.flows,
    );
    await serve.settle();
    running = [];
    await serve.stop();

    const day = 86_400_000;
    const io = captureIO();
    const from = new Date(now - day).toISOString();
    const to = new Date(now + day).toISOString();
    await runTop({ data, by: 'exporter_ip', metric: 'flows', from, to, json: true }, io);
    expect(io.err()).toBe('');
    const res = JSON.parse(io.out());
    expect(res.rows).toEqual([{ exporter_ip: '127.0.0.1', flows: sent.flows }]);
    expect(res.complete).toBe(true);
    expect(res.parts.map((p: { tier: string }) => p.tier)).toContain('raw');
    // The table form names the tier of each span in one line.
    const table = captureIO();
    await runTop({ data, by: 'exporter_ip', from, to }, table);
    expect(table.out()).toMatch(/\(1 rows; raw \d{4}-\d\d-\d\dT[^)]*\)\n$/);
  });
});
