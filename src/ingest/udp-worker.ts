/**
 * The thread that owns the UDP sockets (see udp-thread.ts for why). It reads datagrams as they arrive and
 * hands them to the main thread in batches: one transferred buffer per batch, never one message per
 * datagram. The backlog the main thread has not taken yet is bounded (shared counters); past the bound a
 * batch is dropped here and reported at once, so a stalled main thread costs memory up to the bound, not the process.
 */
import { parentPort } from 'node:worker_threads';
import { canonicalAddress } from './address.js';
import { type BoundInfo, type ListenSpec, UdpListener } from './listeners.js';
import {
  BACKLOG_BYTES,
  BACKLOG_DATAGRAMS,
  type FromUdpThread,
  type ToUdpThread,
  type UdpBatch,
} from './udp-messages.js';

const port = parentPort!;
/** A batch goes out after this many milliseconds, or sooner when full. */
const FLUSH_MS = 5;
const MAX_BATCH_DATAGRAMS = 512;
const MAX_BATCH_BYTES = 1 << 20;

interface Pending {
  bufs: Buffer[];
  exporters: string[];
  ports: number[];
  times: number[];
  bytes: number;
  timer: NodeJS.Timeout | null;
}

const listeners: UdpListener[] = [];
const pending: Pending[] = [];
let backlog: Int32Array;
let limits = { datagrams: 0, bytes: 0 };
let maxBatch = MAX_BATCH_DATAGRAMS;

function flush(listener: number): void {
  const p = pending[listener];
  if (p.timer) clearTimeout(p.timer);
  p.timer = null;
  const n = p.bufs.length;
  if (n === 0) return;
  if (
    Atomics.load(backlog, BACKLOG_DATAGRAMS) + n > limits.datagrams ||
    Atomics.load(backlog, BACKLOG_BYTES) + p.bytes > limits.bytes
  ) {
    post({ t: 'dropped', listener, datagrams: n });
  } else {
    const data = new ArrayBuffer(p.bytes);
    const bytes = new Uint8Array(data);
    const offsets = new Uint32Array(n + 1);
    let off = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = off;
      bytes.set(p.bufs[i], off);
      off += p.bufs[i].length;
    }
    offsets[n] = off;
    Atomics.add(backlog, BACKLOG_DATAGRAMS, n);
    Atomics.add(backlog, BACKLOG_BYTES, p.bytes);
    const batch: UdpBatch = {
      t: 'batch',
      listener,
      exporters: p.exporters,
      ports: Uint16Array.from(p.ports),
      times: Float64Array.from(p.times),
      offsets,
      data,
    };
    port.postMessage(batch, [data]);
  }
  p.bufs = [];
  p.exporters = [];
  p.ports = [];
  p.times = [];
  p.bytes = 0;
}

function onDatagram(listener: number, msg: Buffer, address: string, from: number): void {
  const p = pending[listener];
  p.bufs.push(msg);
  p.exporters.push(canonicalAddress(address));
  p.ports.push(from);
  p.times.push(Date.now());
  p.bytes += msg.length;
  if (p.bufs.length >= maxBatch || p.bytes >= MAX_BATCH_BYTES) flush(listener);
  else if (!p.timer) p.timer = setTimeout(() => flush(listener), FLUSH_MS);
}

async function open(spec: ListenSpec, recvBufferSize: number): Promise<BoundInfo> {
  const index = listeners.length;
  const l = new UdpListener(spec, recvBufferSize, (msg, address, from) =>
    onDatagram(index, msg, address, from),
  );
  const info = await l.start();
  listeners.push(l);
  pending.push({ bufs: [], exporters: [], ports: [], times: [], bytes: 0, timer: null });
  return info;
}

async function closeAll(): Promise<void> {
  await Promise.all(listeners.map((l) => l.stop()));
  // Whatever was read before the sockets closed still goes to the main thread.
  for (let i = 0; i < pending.length; i++) flush(i);
  post({ t: 'closed' });
}

function post(m: FromUdpThread): void {
  port.postMessage(m);
}

port.on('message', (m: ToUdpThread) => {
  if (m.t === 'init') {
    backlog = new Int32Array(m.backlog);
    limits = m.limits;
    // A batch well under the bound, so a small bound still lets batches through.
    maxBatch = Math.max(1, Math.min(MAX_BATCH_DATAGRAMS, Math.floor(limits.datagrams / 4)));
  } else if (m.t === 'open') {
    open(m.spec, m.recvBufferSize).then(
      (info) => post({ t: 'opened', id: m.id, info }),
      (err: NodeJS.ErrnoException) =>
        post({ t: 'failed', id: m.id, message: err.message, code: err.code ?? null }),
    );
  } else if (m.t === 'close') {
    void closeAll();
  }
});
