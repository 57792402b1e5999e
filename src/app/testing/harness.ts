/**
 * Test helpers for serve: a config on ephemeral loopback ports, senders bound to chosen loopback source
 * addresses (so each simulated exporter keeps its own address), and stored totals read back from the store.
 */
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { type Config, loadConfig } from '../../config/load.js';
import type { FlowStore } from '../../storage/port.js';
import type { RunningServe } from '../serve.js';

export function tempDir(prefix = 'flowlens-serve-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The /metrics scrape token of testConfig (the API itself needs API tokens: auth.mode required). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** Every listener on an ephemeral port; jobs off; nothing expires (corpus timestamps are years old). */
export function testConfig(data: string, flags: Record<string, unknown> = {}): Config {
  return loadConfig({
    flags: {
      data,
      'listen.netflow': ['[::]:0'],
      'listen.ipfix': ['127.0.0.1:0'],
      'listen.ipfixTcp': ['127.0.0.1:0'],
      'listen.sflow': ['127.0.0.1:0'],
      'http.listen': '127.0.0.1:0',
      'ingest.workers': 2,
      'ingest.recvBufferSize': 4 * 1024 * 1024,
      'batch.maxAgeMs': 100,
      'jobs.enabled': false,
      'retention.raw': 'forever',
      'retention.aggregates': 'forever',
      'retention.daily': 'forever',
      'log.level': process.env.FLOWLENS_TEST_LOG ?? 'silent',
      'auth.metrics_token': TEST_METRICS_TOKEN,
      ...flags,
    },
  });
}

export function portOf(serve: RunningServe, name: string): number {
  const l = serve.listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l.port;
}

export interface UdpSender {
  send(bytes: Uint8Array, port: number): Promise<void>;
  close(): Promise<void>;
}

/** A UDP socket bound to `address` (any 127.0.0.x works on Linux; ::1 sends over IPv6 to ::1). */
export async function udpSender(address = '127.0.0.1'): Promise<UdpSender> {
  const v6 = address.includes(':');
  const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  await new Promise<void>((r) => socket.bind({ address, port: 0 }, () => r()));
  const to = v6 ? '::1' : '127.0.0.1';
  return {
    send: (bytes, port) =>
      new Promise<void>((resolve, reject) =>
        socket.send(bytes, port, to, (e) => (e ? reject(e) : resolve())),
      ),
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** Sends datagrams in order, pausing every `burst` so the receive buffer never overflows. */
export async function sendAll(
  s: UdpSender,
  port: number,
  datagrams: Uint8Array[],
  burst = 100,
): Promise<void> {
  for (let i = 0; i < datagrams.length; i++) {
    await s.send(datagrams[i], port);
    if (i % burst === burst - 1) await new Promise((r) => setTimeout(r, 2));
  }
}

export async function tcpSend(port: number, chunks: Uint8Array[]): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const c of chunks) await new Promise<void>((r) => socket.write(c, () => r()));
  await new Promise<void>((r) => socket.end(() => r()));
  await new Promise<void>((r) => socket.once('close', () => r()));
}

/** Flows and bytes in the raw tier, per protocol_type. */
export async function storedTotals(
  store: FlowStore,
): Promise<Record<string, { flows: number; bytes: number }>> {
  const out: Record<string, { flows: number; bytes: number }> = {};
  for (const metric of ['flows', 'bytes'] as const) {
    const r = await store.query({
      kind: 'top',
      by: ['protocol_type'],
      metric,
      from: 0,
      to: 4_102_444_800_000,
      limit: 10,
      tier: 'raw',
    });
    for (const row of r.rows) {
      const p = String(row.protocol_type);
      out[p] ??= { flows: 0, bytes: 0 };
      out[p][metric] = Number(row[metric]);
    }
  }
  return out;
}

/** Sum of a counter/gauge's values whose labels match. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  let sum = 0;
  for (const x of v.values) {
    if (Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want)) sum += x.value;
  }
  return sum;
}
