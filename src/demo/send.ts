import dgram from 'node:dgram';
import net from 'node:net';
import type { Exporter, GenTotals } from '../gen/index.js';

export interface SendOptions {
  exporter: Exporter;
  host: string;
  port: number;
  transport?: 'udp' | 'tcp';
  /** Flows per second to offer; 0 = as fast as the socket takes them. */
  rate: number;
  /** Stop once this many flows (sFlow: flow samples) were sent; the last datagram may carry a few more. */
  count?: number;
  /** Stop after this long (ms). */
  durationMs?: number;
  /** Stop when aborted. */
  signal?: AbortSignal;
}

/** What was put on the wire, exactly (GenTotals of the exporter) plus how long it took. */
export interface SendResult extends GenTotals {
  elapsedMs: number;
  /** Datagrams the local socket refused to send (counted, not in `datagrams`). */
  sendErrors: number;
}

const TICK_MS = 2;

/**
 * Sends the exporter's datagrams paced to `rate` flows/s: every tick it sends what the schedule owes, and it
 * waits for the socket's callbacks so the sender never queues unbounded memory. Totals come from the exporter
 * itself, except datagrams the socket refused (never counted as sent).
 */
export async function sendPaced(opts: SendOptions): Promise<SendResult> {
  const t0 = performance.now();
  const exp = opts.exporter;
  const count = opts.count ?? Number.POSITIVE_INFINITY;
  const deadline = opts.durationMs !== undefined ? t0 + opts.durationMs : Number.POSITIVE_INFINITY;
  let sendErrors = 0;
  let refused: GenTotals | null = null;
  const send = await openSender(opts);
  try {
    let flows = 0;
    while (flows < count && performance.now() < deadline && !opts.signal?.aborted) {
      const owed = opts.rate > 0 ? ((performance.now() - t0) / 1000) * opts.rate : Number.POSITIVE_INFINITY;
      const pending: Promise<boolean>[] = [];
      while (flows < owed && flows < count && pending.length < 256) {
        const before = exp.totals();
        const bytes = exp.nextPacket(Date.now());
        const after = exp.totals();
        flows += after.flows - before.flows;
        pending.push(
          send(bytes).then((ok) => {
            if (!ok) {
              sendErrors++;
              refused = subtract(refused, after, before);
            }
            return ok;
          }),
        );
      }
      if (pending.length) await Promise.all(pending);
      else await new Promise((r) => setTimeout(r, TICK_MS));
    }
  } finally {
    await send.close();
  }
  const totals = exp.totals();
  const r = refused as GenTotals | null;
  return {
    ...totals,
    datagrams: totals.datagrams - (r?.datagrams ?? 0),
    wireBytes: totals.wireBytes - (r?.wireBytes ?? 0),
    flows: totals.flows - (r?.flows ?? 0),
    packets: totals.packets - (r?.packets ?? 0),
    bytes: totals.bytes - (r?.bytes ?? 0),
    elapsedMs: Math.round(performance.now() - t0),
    sendErrors,
  };
}

function subtract(acc: GenTotals | null, after: GenTotals, before: GenTotals): GenTotals {
  const base = acc ?? { ...after, datagrams: 0, wireBytes: 0, flows: 0, packets: 0, bytes: 0 };
  return {
    ...base,
    datagrams: base.datagrams + after.datagrams - before.datagrams,
    wireBytes: base.wireBytes + after.wireBytes - before.wireBytes,
    flows: base.flows + after.flows - before.flows,
    packets: base.packets + after.packets - before.packets,
    bytes: base.bytes + after.bytes - before.bytes,
  };
}

type Sender = ((bytes: Uint8Array) => Promise<boolean>) & { close(): Promise<void> };

async function openSender(opts: SendOptions): Promise<Sender> {
  if (opts.transport === 'tcp') {
    const socket = net.connect({ host: opts.host, port: opts.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let failed = false;
    socket.on('error', () => {
      failed = true;
    });
    const send = ((bytes: Uint8Array) =>
      new Promise<boolean>((resolve) => {
        if (failed) return resolve(false);
        socket.write(bytes, (err) => resolve(!err));
      })) as Sender;
    send.close = () => new Promise<void>((r) => socket.end(() => r()));
    return send;
  }
  const v6 = net.isIP(opts.host) === 6;
  const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  const send = ((bytes: Uint8Array) =>
    new Promise<boolean>((resolve) => {
      socket.send(bytes, opts.port, opts.host, (err) => resolve(!err));
    })) as Sender;
  send.close = () => new Promise<void>((r) => socket.close(() => r()));
  return send;
}
