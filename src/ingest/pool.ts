import type { Worker } from 'node:worker_threads';
import { startWorker } from '../core/worker.js';
import type { ExporterHealth } from '../normalize/health.js';
import { shardOf } from './address.js';
import type { DecodedBatch, DomainStats, FromWorker, Request, ToWorker, WorkerInit } from './messages.js';
import { unpackRecords } from './record-codec.js';
import { createRing, RegionLease, RingReader, ringBytesPerWorker } from './row-ring.js';

export interface PoolOptions {
  workers: number;
  /** Datagrams (and stream chunks) queued or being decoded before new ones are refused. */
  queueCapacity: number;
  /** The same bound in bytes (a datagram can be 64 KiB). */
  queueMaxBytes: number;
  init: WorkerInit;
  /** Records (and counts) of one decoded message; called on the receive thread, in worker order. */
  onBatch: (out: DecodedBatch, worker: number) => void;
  /** A worker died (bug or out of memory): its queued datagrams are lost and counted by the caller. */
  onWorkerExit?: (worker: number, lostInputs: number, err: unknown) => void;
  /** Datagrams packed into one message. */
  maxPerMessage?: number;
  /** Messages outstanding per worker: 2 keeps a worker busy while the next one is packed. */
  maxInflight?: number;
  /**
   * Milliseconds datagrams gather before they are sent to a worker (unless maxPerMessage are waiting).
   * Each message costs both threads a fixed amount: 20 instead of 5 took the receive thread from ~1.1 to
   * ~0.9 CPU-s per million flows at 75 k flows/s, for at most 15 ms more before a flow is decoded.
   */
  gatherMs?: number;
  /** Bytes of each worker's ring of encoded rows (default: row-ring.ts ringBytesPerWorker). */
  ringBytes?: number;
}

interface Shard {
  worker: Worker;
  bufs: Uint8Array[];
  exporters: string[];
  ports: number[];
  times: number[];
  pendingBytes: number;
  /** Messages posted and not yet answered, with the inputs and bytes each stands for. */
  inflight: { inputs: number; bytes: number; dgram: boolean }[];
  scheduled: boolean;
  replies: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  stopping: boolean;
  /** The worker's ring of encoded rows (when the store encodes rows in the workers). */
  ring: RingReader | null;
}

/**
 * Decode workers sharded by exporter address (one worker owns an exporter's templates) behind one bounded
 * queue. The receive path calls push* which only appends to the shard's pending list; packing and posting
 * happen in a setImmediate so all datagrams of one event-loop turn go out as one message per worker.
 */
export class WorkerPool {
  private shards: Shard[] = [];
  private depthCount = 0;
  private depthBytes = 0;
  private nextReq = 1;
  private drainWaiters: (() => void)[] = [];
  private lowWaiters: (() => void)[] = [];
  private readonly maxPerMessage: number;
  private readonly maxInflight: number;
  private readonly gatherMs: number;

  constructor(private readonly opts: PoolOptions) {
    this.maxPerMessage = opts.maxPerMessage ?? 512;
    this.maxInflight = opts.maxInflight ?? 2;
    this.gatherMs = opts.gatherMs ?? 20;
  }

  get size(): number {
    return this.shards.length;
  }

  /** Datagrams/chunks queued or in decoding. */
  depth(): number {
    return this.depthCount;
  }

  bytes(): number {
    return this.depthBytes;
  }

  async start(): Promise<void> {
    const n = Math.max(1, this.opts.workers);
    this.shards = [];
    for (let i = 0; i < n; i++) this.shards.push(this.spawn(i));
    await Promise.all(this.shards.map((s) => new Promise((r) => s.worker.once('online', r))));
  }

  /** false: the queue is full, the datagram was not taken (the caller counts queue_full). */
  pushDatagram(exporter: string, port: number, receivedAt: number, bytes: Uint8Array): boolean {
    if (
      this.depthCount >= this.opts.queueCapacity ||
      this.depthBytes + bytes.length > this.opts.queueMaxBytes
    ) {
      return false;
    }
    const s = this.shards[shardOf(exporter, this.shards.length)];
    s.bufs.push(bytes);
    s.exporters.push(exporter);
    s.ports.push(port);
    s.times.push(receivedAt);
    s.pendingBytes += bytes.length;
    this.depthCount++;
    this.depthBytes += bytes.length;
    if (!s.scheduled) {
      s.scheduled = true;
      // A short wait gathers a whole burst into one message: every postMessage costs tens of µs on both
      // threads (measured: ~15% of the worker's time at 100k flows/s with one message per read burst).
      setTimeout(() => this.dispatch(s), this.gatherMs);
    } else if (s.exporters.length === this.maxPerMessage) {
      setImmediate(() => this.dispatch(s));
    }
    return true;
  }

  /** A TCP chunk: never refused (TCP pushes back instead, see isFull / whenBelow). */
  pushStream(id: string, exporter: string, port: number, receivedAt: number, chunk: Uint8Array): void {
    const s = this.shards[shardOf(exporter, this.shards.length)];
    this.depthCount++;
    this.depthBytes += chunk.length;
    s.inflight.push({ inputs: 1, bytes: chunk.length, dgram: false });
    this.post(s, { t: 'stream', id, exporter, port, receivedAt, chunk });
  }

  closeStream(id: string, exporter: string): void {
    const s = this.shards[shardOf(exporter, this.shards.length)];
    this.post(s, { t: 'close', id });
  }

  isFull(): boolean {
    return this.depthCount >= this.opts.queueCapacity || this.depthBytes >= this.opts.queueMaxBytes;
  }

  /** Resolves when the queue is below half its capacity (TCP listeners resume reading). */
  whenBelowHalf(): Promise<void> {
    if (!this.aboveHalf()) return Promise.resolve();
    return new Promise((r) => this.lowWaiters.push(r));
  }

  /** Resolves when everything pushed so far has been decoded and handed to onBatch. */
  async drain(): Promise<void> {
    if (this.depthCount > 0) await new Promise<void>((r) => this.drainWaiters.push(r));
    await Promise.all(this.shards.map((s) => this.request(s, 'drain')));
  }

  async snapshot(): Promise<unknown[]> {
    return Promise.all(this.shards.map((s) => this.request(s, 'snapshot')));
  }

  async restore(snapshots: readonly unknown[]): Promise<void> {
    await Promise.all(
      this.shards.map((s, i) => (snapshots[i] ? this.request(s, 'restore', snapshots[i]) : null)),
    );
  }

  async stats(): Promise<{ domains: DomainStats[]; pending: number }[]> {
    return (await Promise.all(this.shards.map((s) => this.request(s, 'stats')))) as {
      domains: DomainStats[];
      pending: number;
    }[];
  }

  /** Exporter health from every worker (an exporter belongs to one worker, so no merging). */
  async exporterHealth(): Promise<ExporterHealth[]> {
    const parts = (await Promise.all(
      this.shards.map((s) => this.request(s, 'health')),
    )) as ExporterHealth[][];
    return parts.flat();
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.shards.map(async (s) => {
        s.stopping = true;
        await s.worker.terminate();
      }),
    );
  }

  private aboveHalf(): boolean {
    return this.depthCount > this.opts.queueCapacity / 2 || this.depthBytes > this.opts.queueMaxBytes / 2;
  }

  private spawn(index: number): Shard {
    const ringMemory = this.opts.init.encoderModule
      ? createRing(this.opts.ringBytes ?? ringBytesPerWorker(this.opts.workers))
      : undefined;
    const init = { ...this.opts.init, ring: ringMemory };
    const worker = startWorker(import.meta.url, 'decode-worker', { init });
    const shard: Shard = {
      worker,
      bufs: [],
      exporters: [],
      ports: [],
      times: [],
      pendingBytes: 0,
      inflight: [],
      scheduled: false,
      replies: new Map(),
      stopping: false,
      ring: ringMemory ? new RingReader(ringMemory) : null,
    };
    worker.on('message', (m: FromWorker) => this.onMessage(shard, index, m));
    worker.on('error', (err) => this.onExit(shard, index, err));
    worker.on('exit', (code) => {
      if (!shard.stopping) this.onExit(shard, index, new Error(`decode worker ${index} exited with ${code}`));
    });
    return shard;
  }

  private onExit(shard: Shard, index: number, err: unknown): void {
    if (shard.stopping || this.shards[index] !== shard) return;
    shard.stopping = true;
    let lost = shard.exporters.length;
    for (const f of shard.inflight) lost += f.inputs;
    let lostBytes = shard.pendingBytes;
    for (const f of shard.inflight) lostBytes += f.bytes;
    this.settle(lost, lostBytes);
    for (const r of shard.replies.values()) r.reject(new Error('decode worker died'));
    this.opts.onWorkerExit?.(index, lost, err);
    void shard.worker.terminate();
    // A fresh worker takes over the shard; the dead one's templates are relearned from the exporters.
    this.shards[index] = this.spawn(index);
  }

  private onMessage(shard: Shard, index: number, m: FromWorker): void {
    if (m.t === 'reply') {
      const r = shard.replies.get(m.id);
      shard.replies.delete(m.id);
      if (m.error) r?.reject(new Error(m.error));
      else r?.resolve(m.value);
      return;
    }
    const f = shard.inflight.shift();
    if (m.packed) {
      m.records = unpackRecords(m.packed);
      m.packed = undefined;
    }
    const e = m.encoded;
    if (e?.ring && shard.ring) e.lease = new RegionLease(shard.ring.claim(e.ring));
    try {
      this.opts.onBatch(m, index);
    } finally {
      if (f) this.settle(f.inputs, f.bytes);
      // A worker that fell behind gets the next full-size message at once; a few datagrams wait for
      // their gather timer (one message per reply would be tiny messages at moderate rates).
      if (shard.exporters.length >= this.maxPerMessage / 4) this.dispatch(shard);
      else if (shard.exporters.length && !shard.scheduled) {
        shard.scheduled = true;
        setTimeout(() => this.dispatch(shard), this.gatherMs);
      }
    }
  }

  private settle(inputs: number, bytes: number): void {
    this.depthCount -= inputs;
    this.depthBytes -= bytes;
    if (this.depthCount === 0 && this.drainWaiters.length) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const r of w) r();
    }
    if (this.lowWaiters.length && !this.aboveHalf()) {
      const w = this.lowWaiters;
      this.lowWaiters = [];
      for (const r of w) r();
    }
  }

  private dispatch(s: Shard): void {
    s.scheduled = false;
    while (s.exporters.length && this.countDatagramMessages(s) < this.maxInflight) {
      const n = Math.min(s.exporters.length, this.maxPerMessage);
      let total = 0;
      for (let i = 0; i < n; i++) total += s.bufs[i].length;
      const data = new ArrayBuffer(total);
      const bytes = new Uint8Array(data);
      const offsets = new Uint32Array(n + 1);
      const ports = new Uint16Array(n);
      const times = new Float64Array(n);
      let off = 0;
      for (let i = 0; i < n; i++) {
        const b = s.bufs[i];
        offsets[i] = off;
        bytes.set(b, off);
        off += b.length;
        ports[i] = s.ports[i];
        times[i] = s.times[i];
      }
      offsets[n] = off;
      const exporters = s.exporters.splice(0, n);
      s.bufs.splice(0, n);
      s.ports.splice(0, n);
      s.times.splice(0, n);
      s.pendingBytes -= total;
      s.inflight.push({ inputs: n, bytes: total, dgram: true });
      this.post(s, { t: 'dgrams', exporters, ports, times, offsets, data }, [data]);
    }
  }

  private countDatagramMessages(s: Shard): number {
    let n = 0;
    for (const f of s.inflight) if (f.dgram) n++;
    return n;
  }

  private post(s: Shard, m: ToWorker, transfer?: ArrayBuffer[]): void {
    s.worker.postMessage(m, transfer);
  }

  private request(s: Shard, op: Request['op'], arg?: unknown): Promise<unknown> {
    const id = this.nextReq++;
    return new Promise((resolve, reject) => {
      s.replies.set(id, { resolve, reject });
      this.post(s, { t: 'req', id, op, arg });
    });
  }
}
