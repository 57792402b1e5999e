import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../auth/admin.js';
import { runTop } from '../cli/commands/query.js';
import type { FlowRecord } from '../core/record.js';
import { listCaptures } from '../decode/testing/corpus.js';
import { createExporter } from '../gen/index.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import type { EncodedRows, FlowStore } from '../storage/port.js';
import { startTestPostgres } from '../storage/testing/postgres.js';
import { readCapture } from '../wire/pcap.js';
import { LOCK_FILE } from './lock.js';
import { queryVia } from './query-via.js';
import { type RunningServe, startServe } from './serve.js';
import {
  metricValue,
  portOf,
  sendAll,
  storedTotals,
  TEST_METRICS_TOKEN,
  tcpSend,
  tempDir,
  testConfig,
  udpSender,
} from './testing/harness.js';

const CAPTURES = [
  'logstash-codec-netflow/netflow5.pcap',
  'fluent-plugin-netflow/netflow_v9.pcap',
  'logstash-codec-netflow/netflow9_cisco_asr1001x.pcap',
  'logstash-codec-netflow/ipfix_mikrotik_routeros_6.39.2.pcap',
  'logstash-codec-netflow/ipfix_openbsd_pflow.pcap',
  'goflow2/sflow_flow_sample.pcap',
  'gopacket/sflow_test_payloads.pcap',
];

let running: RunningServe[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(
  data: string,
  flags: Record<string, unknown> = {},
  wrap?: Parameters<typeof startServe>[1],
) {
  const s = await startServe(testConfig(data, flags), { ...wrap });
  running.push(s);
  return s;
}

async function stop(s: RunningServe) {
  running = running.filter((x) => x !== s);
  await s.stop();
}

describe('flowlens serve', () => {
  it('stores every flow of real captures replayed over UDP (== FlowDecoder of the same captures)', async () => {
    const caps = listCaptures().filter((c) => CAPTURES.includes(c.name));
    expect(caps.length).toBe(CAPTURES.length);
    // Each capture's exporter keeps its own loopback address, so templates never mix across captures.
    const reference = new FlowDecoder();
    const expected: Record<string, { flows: number; bytes: number }> = {};
    const plan: { address: string; datagrams: Uint8Array[] }[] = [];
    caps.forEach((c, i) => {
      const address = `127.0.0.${10 + i}`;
      const datagrams = [...readCapture(readFileSync(c.path))]
        .filter((p) => p.transport === 'udp')
        .map((p) => p.payload);
      for (const bytes of datagrams) {
        for (const r of reference.decode({
          bytes,
          exporter: address,
          exporterPort: 1,
          receivedAt: Date.now(),
        }).records) {
          expected[r.protocol_type] ??= { flows: 0, bytes: 0 };
          expected[r.protocol_type].flows++;
          // The store's bytes metric estimates the real traffic: unscaled counter x sampling rate.
          expected[r.protocol_type].bytes += Number(r.bytes_total) * r.sampling_rate;
        }
      }
      plan.push({ address, datagrams });
    });
    expect(Object.keys(expected).sort()).toEqual(['ipfix', 'netflow_v5', 'netflow_v9', 'sflow_v5']);

    const serve = await start(tempDir());
    // Any port accepts any protocol: everything goes to the dual-stack "netflow" listener on [::].
    const port = portOf(serve, 'netflow');
    for (const p of plan) {
      const s = await udpSender(p.address);
      await sendAll(s, port, p.datagrams);
      await s.close();
    }
    await waitFor(
      async () =>
        (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >=
        plan.reduce((a, p) => a + p.datagrams.length, 0),
    );
    await serve.settle();
    expect(await storedTotals(serve.store)).toEqual(expected);
    const decoded = await metricValue(serve.registry, 'flowlens_flows_decoded_total');
    expect(decoded).toBe(Object.values(expected).reduce((a, e) => a + e.flows, 0));
    const res = await fetch(`http://127.0.0.1:${serve.http!.port}/metrics`, {
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    const text = await res.text();
    expect(text).toMatch(/flowlens_flows_decoded_total\{protocol="ipfix"\} \d+/);
    expect(text).toMatch(/flowlens_exporter_templates\{exporter="127\.0\.0\.\d+",protocol="netflow_v9"/);
    // The embedded engine's own memory, apart from Node's (engine-metrics.ts): more than nothing.
    const tracked = /^flowlens_store_engine_memory_bytes\{part="tracked"\} (\d+)$/m.exec(text);
    expect(Number(tracked?.[1])).toBeGreaterThan(1e6);
    expect((await fetch(`http://127.0.0.1:${serve.http!.port}/readyz`)).status).toBe(200);
    // Asking while it runs: the same query through serve's HTTP port answers what the store answers.
    const q = {
      kind: 'top',
      by: ['exporter_ip'],
      metric: 'flows',
      from: 0,
      to: 4_102_444_800_000,
      limit: 20,
      tier: 'raw',
    } as const;
    // The API needs a token (auth.mode required is the default); the first one is made on the store.
    await expect(queryVia(`http://127.0.0.1:${serve.http!.port}`, { ...q, by: [...q.by] })).rejects.toThrow(
      /Unauthorized: no Authorization header \(give a token/,
    );
    const { token } = await new TokenAdmin(serve.store).create({ role: 'viewer' }, 'test');
    const via = await queryVia(`http://127.0.0.1:${serve.http!.port}`, { ...q, by: [...q.by] }, token);
    expect(via).toEqual(await serve.store.query({ ...q, by: [...q.by] }));
    expect(via.rows.reduce((a, r) => a + Number(r.flows), 0)).toBe(
      Object.values(expected).reduce((a, e) => a + e.flows, 0),
    );
    await expect(
      queryVia(`http://127.0.0.1:${serve.http!.port}`, { ...q, by: ['no_such_field' as 'src_ip'] }, token),
    ).rejects.toThrow(/Invalid parameter: by.0/);
    expect((await fetch(`http://127.0.0.1:${serve.http!.port}/healthz`)).status).toBe(200);

    // `flowlens query top --data DIR` finds the running serve through its lock file and asks it over HTTP
    // (the lock names another live process here: a serve in this same process is not "another" one).
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const http = `http://127.0.0.1:${serve.http!.port}`;
      // A directory holding only the lock: the answer can only have come through serve's HTTP port.
      const lockOnly = tempDir();
      writeFileSync(join(lockOnly, LOCK_FILE), JSON.stringify({ pid: holder.pid, started: '', http }));
      const out: string[] = [];
      const io = {
        stdout: { write: (c: string) => out.push(c) > 0 },
        stderr: { write: (c: string) => out.push(c) > 0 },
        setExitCode: (c: number) => out.push(`exit ${c}`),
      };
      await runTop(
        {
          by: 'exporter_ip',
          metric: 'flows',
          from: '1970-01-01',
          to: '2100-01-01',
          tier: 'raw',
          data: lockOnly,
          json: true,
        },
        io,
        { env: { FLOWLENS_TOKEN: token } },
      );
      expect(JSON.parse(out.join(''))).toEqual(via);
    } finally {
      holder.kill();
    }
  });

  it('stores every flow of a synthetic IPFIX stream over TCP', async () => {
    const serve = await start(tempDir());
    const exp = createExporter({ protocol: 'ipfix', seed: 3, exporterId: 7 });
    const t0 = Date.now();
    const chunks = Array.from({ length: 300 }, (_, i) => exp.nextPacket(t0 + i));
    // Cut the stream at odd places: messages straddle TCP writes.
    const whole = Buffer.concat(chunks);
    const pieces: Uint8Array[] = [];
    for (let off = 0; off < whole.length; off += 997) pieces.push(whole.subarray(off, off + 997));
    await tcpSend(portOf(serve, 'ipfix_tcp'), pieces);
    const sent = exp.totals();
    await waitFor(
      async () => (await metricValue(serve.registry, 'flowlens_flows_decoded_total')) >= sent.flows,
    );
    await serve.settle();
    expect(await storedTotals(serve.store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });
  });

  it('restarts without losing templates: template+data, stop, start, data only -> decoded', async () => {
    const data = tempDir();
    const exp = createExporter({ protocol: 'v9', seed: 5, exporterId: 3, templateRefresh: 1_000_000 });
    const t0 = Date.now();
    const packets = Array.from({ length: 40 }, (_, i) => exp.next(t0 + i * 10));
    const flowsIn = (ps: typeof packets) => ps.reduce((a, p) => a + p.flows.length, 0);
    expect(packets[0].templates).toBeGreaterThan(0);
    expect(packets.slice(1).every((p) => p.templates === 0)).toBe(true);

    let serve = await start(data);
    const sender = await udpSender('127.0.0.7');
    await sendAll(
      sender,
      portOf(serve, 'netflow'),
      packets.slice(0, 10).map((p) => p.bytes),
    );
    await waitFor(
      async () =>
        (await metricValue(serve.registry, 'flowlens_flows_decoded_total')) >= flowsIn(packets.slice(0, 10)),
    );
    await stop(serve);

    serve = await start(data);
    await sendAll(
      sender,
      portOf(serve, 'netflow'),
      packets.slice(10).map((p) => p.bytes),
    );
    await sender.close();
    await waitFor(async () => (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >= 30);
    await serve.settle();
    // Every data-only datagram after the restart decoded with the restored template: nothing pending.
    expect(await metricValue(serve.registry, 'flowlens_flows_decoded_total')).toBe(
      flowsIn(packets.slice(10)),
    );
    const sent = exp.totals();
    expect(await storedTotals(serve.store)).toEqual({ netflow_v9: { flows: sent.flows, bytes: sent.bytes } });
  });

  it('spreads one exporter over both workers: every flow stored, its sequence loss counted as one decoder would', async () => {
    const exp = createExporter({ protocol: 'ipfix', seed: 11, exporterId: 9, templateRefresh: 50 });
    const t0 = Date.now();
    const packets = Array.from({ length: 600 }, (_, i) => exp.next(t0 + i));
    // Lost on the way: every ninth datagram (templates too, now and then).
    const kept = packets.filter((_, i) => i % 9 !== 4);
    const reference = new FlowDecoder();
    let flows = 0;
    for (const p of kept)
      flows += reference.decode({ bytes: p.bytes, exporter: '127.0.0.9', exporterPort: 1, receivedAt: t0 })
        .records.length;
    const [expected] = reference.exporterHealth();
    expect(expected.sequence.lost).toBeGreaterThan(0);

    const serve = await start(tempDir(), { 'ingest.workers': 2 });
    expect(serve.pool.spreading).toBe(true);
    const sender = await udpSender('127.0.0.9');
    await sendAll(
      sender,
      portOf(serve, 'ipfix'),
      kept.map((p) => p.bytes),
    );
    await sender.close();
    await waitFor(
      async () => (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >= kept.length,
    );
    await serve.settle();
    expect((await storedTotals(serve.store)).ipfix.flows).toBe(flows);
    const [health] = await serve.pool.exporterHealth();
    expect(health.flows).toBe(flows);
    expect(health.sequence).toEqual(expected.sequence);
  });

  it('accepts an IPv6 exporter on the dual-stack listener and keeps its address', async () => {
    const serve = await start(tempDir());
    const exp = createExporter({ protocol: 'v9', seed: 5, exporterId: 3 });
    let now = Date.now();
    const packets = Array.from({ length: 20 }, () => {
      now += 10;
      return exp.nextPacket(now);
    });
    const sender = await udpSender('::1');
    await sendAll(sender, portOf(serve, 'netflow'), packets); // the [::] listener
    await sender.close();
    const sent = exp.totals();
    await waitFor(async () => (await storedTotals(serve.store)).netflow_v9?.flows === sent.flows);
    const byExporter = await serve.store.query({
      kind: 'top',
      by: ['exporter_ip'],
      metric: 'flows',
      from: 0,
      to: 4_102_444_800_000,
      limit: 5,
      tier: 'raw',
    });
    expect(byExporter.rows).toEqual([{ exporter_ip: '::1', flows: sent.flows }]);
  });

  it('loses nothing while PostgreSQL itself is stopped and started again', async () => {
    const server = await startTestPostgres();
    try {
      const exp = createExporter({ protocol: 'ipfix', seed: 11, exporterId: 1 });
      let now = Date.now();
      const batch = (n: number) =>
        Array.from({ length: n }, () => {
          now += 5;
          return exp.nextPacket(now);
        });
      const serve = await start(tempDir(), { store: server.url, 'batch.insertTimeoutMs': 3000 });
      const sender = await udpSender('127.0.0.9');
      const port = portOf(serve, 'ipfix');
      await sendAll(sender, port, batch(30));
      await serve.settle();
      await server.pause(); // the real server process is gone: inserts fail, batches spool
      await sendAll(sender, port, batch(60));
      await waitFor(async () => (await metricValue(serve.registry, 'flowlens_flows_spooled_total')) > 0);
      const http = `http://127.0.0.1:${serve.http!.port}`;
      expect((await fetch(`${http}/readyz`)).status).toBe(503);
      await server.resume();
      await sendAll(sender, port, batch(30));
      await sender.close();
      const sent = exp.totals();
      await waitFor(async () => (await storedTotals(serve.store)).ipfix?.flows === sent.flows, 60_000);
      expect(await storedTotals(serve.store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });
      expect(await metricValue(serve.registry, 'flowlens_drops_total')).toBe(0);
      expect((await fetch(`${http}/readyz`)).status).toBe(200);
      await stop(serve);
    } finally {
      await server.stop();
    }
  });

  it('loses nothing while the store is down: spools, replays in order, and replays at the next start', async () => {
    const data = tempDir();
    let down = false;
    const refused = () => Promise.reject(new Error('connection refused (test: store down)'));
    // Both insert paths fail while down: plain records and the rows the workers encode for chdb.
    const flaky = (store: FlowStore): FlowStore =>
      Object.assign(Object.create(store) as FlowStore, {
        insertFlows: (records: readonly FlowRecord[]) => (down ? refused() : store.insertFlows(records)),
        rowEncoding: store.rowEncoding && {
          ...store.rowEncoding,
          insertEncoded: (rows: EncodedRows) => (down ? refused() : store.rowEncoding!.insertEncoded(rows)),
        },
      });
    const exp = createExporter({ protocol: 'ipfix', seed: 9, exporterId: 1 });
    let now = Date.now();
    const batch = (n: number) =>
      Array.from({ length: n }, () => {
        now += 5;
        return exp.nextPacket(now);
      });

    let serve = await start(data, {}, { wrapStore: flaky });
    const sender = await udpSender('127.0.0.8');
    const port = portOf(serve, 'ipfix');
    await sendAll(sender, port, batch(50));
    await serve.settle();
    down = true;
    await sendAll(sender, port, batch(100));
    await waitFor(async () => (await metricValue(serve.registry, 'flowlens_spool_batches')) > 0);
    const http = `http://127.0.0.1:${serve.http!.port}`;
    expect((await fetch(`${http}/readyz`)).status).toBe(503);
    expect(await metricValue(serve.registry, 'flowlens_store_up')).toBe(0);
    await sendAll(sender, port, batch(100));
    await new Promise((r) => setTimeout(r, 1500));
    down = false;
    await serve.settle(); // the spool is replayed once inserts succeed again
    expect(await metricValue(serve.registry, 'flowlens_spool_batches')).toBe(0);
    expect((await fetch(`${http}/readyz`)).status).toBe(200);
    let sent = exp.totals();
    expect(await storedTotals(serve.store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });

    // Down again, then stopped: what could not be stored stays in the spool and is replayed at the next start.
    down = true;
    await sendAll(sender, port, batch(80));
    await waitFor(
      async () => (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >= 330,
    );
    await stop(serve);
    down = false;
    serve = await start(data, {}, { wrapStore: flaky });
    await serve.settle();
    await sender.close();
    sent = exp.totals();
    expect(await storedTotals(serve.store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });
    expect(await metricValue(serve.registry, 'flowlens_drops_total')).toBe(0);
  });

  it('under a flood drops only counted datagrams, keeps the queue bounded and stores every accepted flow', async () => {
    const capacity = 64;
    const serve = await start(tempDir(), { 'ingest.workers': 1, 'ingest.queueCapacity': capacity });
    // sFlow datagrams are self-contained (no templates), 8 flow samples each: loss is countable per datagram.
    const exp = createExporter({
      protocol: 'sflow',
      seed: 2,
      maxRecordsPerPacket: 8,
      counterEvery: 0,
      mtu: 9000,
    });
    const t0 = Date.now();
    const datagrams = Array.from({ length: 6000 }, (_, i) => exp.next(t0 + i));
    expect(datagrams.every((d) => d.flows.length === 8)).toBe(true);
    let maxDepth = 0;
    const probe = setInterval(() => {
      maxDepth = Math.max(maxDepth, serve.pool.depth());
    }, 1);
    const heapBefore = process.memoryUsage().rss;
    const sender = await udpSender('127.0.0.9');
    const port = portOf(serve, 'sflow');
    await Promise.all(datagrams.map((d) => sender.send(d.bytes, port))); // no pacing: a flood
    await sender.close();
    await new Promise((r) => setTimeout(r, 300));
    await serve.settle();
    clearInterval(probe);
    const received = await metricValue(serve.registry, 'flowlens_datagrams_received_total');
    const dropped = await metricValue(serve.registry, 'flowlens_drops_total', { reason: 'queue_full' });
    expect(dropped).toBeGreaterThan(0); // it really was a flood
    expect(received).toBeLessThanOrEqual(datagrams.length);
    const decoded = await metricValue(serve.registry, 'flowlens_flows_decoded_total');
    expect(decoded).toBe((received - dropped) * 8);
    expect((await storedTotals(serve.store)).sflow_v5.flows).toBe(decoded);
    expect(maxDepth).toBeLessThanOrEqual(capacity);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('refuses exporters outside the allow-list (counted) and keeps the allowed ones', async () => {
    const serve = await start(tempDir(), { 'ingest.allow': ['127.0.0.5/32', '2001:db8::/32'] });
    const exp = createExporter({ protocol: 'sflow', seed: 4, counterEvery: 0 });
    const t0 = Date.now();
    const port = portOf(serve, 'netflow');
    const bad = await udpSender('127.0.0.1');
    await sendAll(
      bad,
      port,
      Array.from({ length: 20 }, (_, i) => createExporter({ protocol: 'sflow' }).nextPacket(t0 + i)),
    );
    await bad.close();
    const good = await udpSender('127.0.0.5');
    await sendAll(
      good,
      port,
      Array.from({ length: 20 }, (_, i) => exp.nextPacket(t0 + i)),
    );
    await good.close();
    await waitFor(async () => (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >= 40);
    await serve.settle();
    expect(await metricValue(serve.registry, 'flowlens_drops_total', { reason: 'not_allowed' })).toBe(20);
    expect((await storedTotals(serve.store)).sflow_v5.flows).toBe(exp.totals().flows);
  });

  it('rate-limits each exporter on its own: the excess is counted, the quiet exporter is untouched', async () => {
    // 20 datagrams/s with a bucket of 10: a burst of 100 from one exporter gets about 10 through.
    const serve = await start(tempDir(), { 'ingest.rateLimit': 20, 'ingest.rateBurst': 10 });
    const port = portOf(serve, 'netflow');
    const t0 = Date.now();
    const noisy = await udpSender('127.0.0.11');
    const loud = createExporter({ protocol: 'sflow', seed: 6, counterEvery: 0, agentAddress: '192.0.2.11' });
    await sendAll(
      noisy,
      port,
      Array.from({ length: 100 }, (_, i) => loud.nextPacket(t0 + i)),
    );
    await noisy.close();
    const quiet = await udpSender('127.0.0.12');
    const calm = createExporter({ protocol: 'sflow', seed: 7, counterEvery: 0, agentAddress: '192.0.2.12' });
    await sendAll(
      quiet,
      port,
      Array.from({ length: 5 }, (_, i) => calm.nextPacket(t0 + i)),
    );
    await quiet.close();
    await waitFor(
      async () => (await metricValue(serve.registry, 'flowlens_datagrams_received_total')) >= 105,
    );
    await serve.settle();
    const limited = await metricValue(serve.registry, 'flowlens_drops_total', { reason: 'rate_limited' });
    expect(limited).toBeGreaterThanOrEqual(80);
    expect(limited).toBeLessThanOrEqual(90);
    const byExporter = await serve.store.query({
      kind: 'top',
      by: ['exporter_ip'],
      metric: 'flows',
      from: 0,
      to: 4_102_444_800_000,
      limit: 5,
      tier: 'raw',
    });
    const flows = Object.fromEntries(byExporter.rows.map((r) => [String(r.exporter_ip), Number(r.flows)]));
    expect(flows['192.0.2.12']).toBe(calm.totals().flows); // sFlow: the agent address is the exporter
    expect(flows['192.0.2.11']).toBeLessThan(loud.totals().flows);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) {
      const r = running[running.length - 1]?.registry;
      const m = r ? await r.metrics() : '';
      const lines = m
        .split('\n')
        .filter((l) => /^flowlens_(datagrams|flows|drops|decode_errors|queue)/.test(l));
      throw new Error(`timed out waiting for ${cond.toString()}\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
