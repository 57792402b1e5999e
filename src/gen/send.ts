import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Exporter, GenPacket, GenTotals } from './exporter.js';

export interface LoadOptions {
  exporter: Exporter;
  host: string;
  port: number;
  /** Flow records (sFlow: flow samples) per second; the pace is kept per 10 ms tick. */
  flowsPerSecond: number;
  /** Exactly this many flow records are sent (the last datagram is cut to fit). */
  flows: number;
  /** Called about once a second with the totals so far. */
  onProgress?: (t: GenTotals) => void;
  signal?: AbortSignal;
  /** Clock for packet times (default Date.now); integer epoch ms. */
  clock?: () => number;
}

export interface LoadResult {
  /** What went into successful socket sends (datagrams whose send failed are taken out). */
  totals: GenTotals;
  sendErrors: number;
  elapsedMs: number;
}

const TICK_MS = 10;

/** Take a datagram that never left the host out of the totals. */
function subtract(t: GenTotals, p: GenPacket): void {
  t.datagrams--;
  t.wireBytes -= p.bytes.length;
  t.templates -= p.templates;
  t.optionsRecords -= p.optionsRecords;
  t.counterSamples -= p.counterSamples;
  for (const f of p.flows) {
    t.flows--;
    t.packets -= f.packets;
    t.bytes -= f.bytes;
    if (f.ipVersion === 4) t.ipv4Flows--;
    else t.ipv6Flows--;
    const per = t.byIpProtocol[f.protocol];
    per.flows--;
    per.packets -= f.packets;
    per.bytes -= f.bytes;
  }
}

/**
 * Paced UDP load generator behind `flowlens gen`: sends exactly `flows` records from `exporter` to
 * host:port at `flowsPerSecond`, and reports exactly what was sent. UDP gives no delivery guarantee: the
 * collector's own counters tell what arrived.
 */
export async function sendLoad(opts: LoadOptions): Promise<LoadResult> {
  const socket = createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
  const clock = opts.clock ?? Date.now;
  const t0 = performance.now();
  const failed: GenPacket[] = [];
  let built = 0;
  let lastProgress = t0;
  try {
    while (built < opts.flows && !opts.signal?.aborted) {
      const elapsed = performance.now() - t0;
      const due = Math.min(opts.flows, Math.floor(((elapsed + TICK_MS) / 1000) * opts.flowsPerSecond));
      const sends: Promise<void>[] = [];
      while (built < due) {
        const p = opts.exporter.next(Math.floor(clock()), due - built);
        built += p.flows.length;
        sends.push(
          new Promise<void>((resolve) => {
            socket.send(p.bytes, opts.port, opts.host, (err) => {
              if (err) failed.push(p);
              resolve();
            });
          }),
        );
      }
      await Promise.all(sends);
      const now = performance.now();
      if (opts.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        opts.onProgress(opts.exporter.totals());
      }
      if (built < opts.flows) await new Promise((r) => setTimeout(r, TICK_MS));
    }
  } finally {
    await new Promise<void>((r) => socket.close(() => r()));
  }
  const totals = opts.exporter.totals();
  for (const p of failed) subtract(totals, p);
  return { totals, sendErrors: failed.length, elapsedMs: performance.now() - t0 };
}
