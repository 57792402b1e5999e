/**
 * UDP sockets read on a thread of their own. The main thread also runs the writer, the jobs' bookkeeping,
 * discovery's merge and the HTTP API, and any of them (or a major garbage collection of a 2 GB heap) can hold
 * it for 0.2-2 s. A socket read only there then fills the kernel's receive buffer (4 MB where net.core.rmem_max
 * caps it) and the kernel drops datagrams FlowLens never sees: in 15-minute runs at 100-150 k flows/s that was
 * all the loss left. Here the sockets keep being read whatever the main thread does; what it has not taken
 * yet waits in its message queue, bounded by the same limits as the decode queue.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../core/worker.js';
import type { BoundInfo, ListenSpec } from './listeners.js';
import {
  BACKLOG_BYTES,
  BACKLOG_DATAGRAMS,
  type FromUdpThread,
  type ToUdpThread,
  type UdpBatch,
} from './udp-messages.js';

export interface UdpThreadOptions {
  /** Datagrams and bytes read but not yet handed to onDatagram; past either, batches are dropped and counted. */
  limits: { datagrams: number; bytes: number };
  /** Each datagram, in arrival order per listener (listener: the index open() was called in). */
  onDatagram: (listener: number, msg: Uint8Array, exporter: string, port: number, receivedAt: number) => void;
  /** Datagrams dropped at the full backlog. */
  onDropped: (listener: number, datagrams: number) => void;
  /** The thread died: its sockets are gone. */
  onFailure: (err: Error) => void;
}

export class UdpThread {
  private worker: Worker | null = null;
  private readonly backlog = new SharedArrayBuffer(8);
  private readonly counters = new Int32Array(this.backlog);
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (i: BoundInfo) => void; reject: (e: Error) => void }
  >();
  private closed: (() => void) | null = null;
  /** Stopping on purpose, or already reported as failed: the thread's exit is not news. */
  private done = false;

  constructor(private readonly opts: UdpThreadOptions) {}

  /** Datagrams read and not yet handed over (for metrics). */
  get backlogDatagrams(): number {
    return Atomics.load(this.counters, BACKLOG_DATAGRAMS);
  }

  async start(): Promise<void> {
    const worker = startWorker(import.meta.url, 'udp-worker');
    this.worker = worker;
    worker.on('message', (m: FromUdpThread) => this.onMessage(m));
    const fail = (err: Error) => {
      if (this.done) return;
      this.done = true;
      this.closed?.();
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.opts.onFailure(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the UDP socket thread exited (code ${code})`)));
    this.post({ t: 'init', backlog: this.backlog, limits: this.opts.limits });
    await new Promise((r) => worker.once('online', r));
  }

  /** Bind one socket on the thread; rejects with the bind error (its code kept, e.g. EADDRINUSE). */
  open(spec: ListenSpec, recvBufferSize: number): Promise<BoundInfo> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ t: 'open', id, spec, recvBufferSize });
    });
  }

  /** Close every socket, hand over what was already read, then end the thread. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    if (!this.done) {
      const closed = new Promise<void>((r) => {
        this.closed = r;
      });
      this.post({ t: 'close' }, worker);
      // A thread that cannot answer must not hold up shutdown.
      const timer = setTimeout(() => this.closed?.(), 2000);
      await closed;
      clearTimeout(timer);
    }
    this.done = true;
    await worker.terminate();
  }

  private onMessage(m: FromUdpThread): void {
    if (m.t === 'batch') this.take(m);
    else if (m.t === 'opened' || m.t === 'failed') {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.t === 'opened') w?.resolve(m.info);
      else w?.reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
    } else if (m.t === 'dropped') this.opts.onDropped(m.listener, m.datagrams);
    else if (m.t === 'closed') this.closed?.();
  }

  private take(b: UdpBatch): void {
    const n = b.exporters.length;
    try {
      for (let i = 0; i < n; i++) {
        const msg = new Uint8Array(b.data, b.offsets[i], b.offsets[i + 1] - b.offsets[i]);
        this.opts.onDatagram(b.listener, msg, b.exporters[i], b.ports[i], b.times[i]);
      }
    } finally {
      Atomics.sub(this.counters, BACKLOG_DATAGRAMS, n);
      Atomics.sub(this.counters, BACKLOG_BYTES, b.data.byteLength);
    }
  }

  private post(m: ToUdpThread, worker = this.worker): void {
    worker?.postMessage(m);
  }
}
