import type { Worker } from 'node:worker_threads';
import { startWorker } from '../core/worker.js';
import { StateCarriers } from '../decode/state-carriers.js';
import type { DecoderSnapshot } from '../normalize/flow-decoder.js';
import type { ExporterHealth } from '../normalize/health.js';
import { shardOf } from './address.js';
import {
  COPY,
  type DatagramBatch,
  type DecodedBatch,
  type DomainStats,
  type FromWorker,
  type Request,
  SPREAD,
  type ToWorker,
  type WorkerInit,
} from './messages.js';
import { unpackRecords } from './record-codec.js';
import { createRing, RegionLease, RingReader, ringBytesPerWorker } from './row-ring.js';
import { mergeDomains, mergeHealth, SequenceMerge, type WorkerHealth } from './spread.js';

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
  /**
   * Spread every exporter's UDP datagrams over all the workers (with more than one), instead of one worker
   * per exporter: one busy router can then use every worker. TCP streams stay with one worker each.
   */
  spread?: boolean;
  /** Spreading: datagrams one worker takes in a row before the least loaded is chosen again (default 64). */
  spreadRun?: number;
}

interface Shard {
  worker: Worker;
  bufs: Uint8Array[];
  exporters: string[];
  ports: number[];
  times: number[];
  /** Spreading: each datagram's role (messages.ts SPREAD, COPY) and SequenceMerge ticket (-1: a copy). */
  roles: number[];
  tickets: number[];
  pendingBytes: number;
  /** Messages posted and not yet answered, with the inputs, bytes and tickets each stands for. */
  inflight: { inputs: number; bytes: number; dgram: boolean; tickets?: number[] }[];
  scheduled: boolean;
  replies: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  stopping: boolean;
  /** A replacement worker learning its siblings' decoder state: nothing is posted to it meanwhile. */
  warming: boolean;
  /** The worker's ring of encoded rows (when the store encodes rows in the workers). */
  ring: RingReader | null;
}

/**
 * Decode workers behind one bounded queue. Without spreading, workers are sharded by exporter address (one
 * worker owns an exporter's templates). Spreading, an exporter's datagrams go to whichever worker is least
 * loaded, a run at a time; a datagram that changes decoding state (decode/state-carriers.ts: templates,
 * options data) goes to every worker at the same place in each one's queue, so each learns it before any
 * later datagram, and sequence numbers are checked on this thread in arrival order (spread.ts).
 * The receive path calls push* which only appends to a shard's pending list; packing and posting happen
 * after a short gather so a burst goes out as one message per worker.
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
  private readonly carriers = new StateCarriers();
  private readonly sequences = new SequenceMerge();
  /** Spreading: the worker taking datagrams now, and how many more it takes before the next choice. */
  private current = 0;
  private runLeft = 0;

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

  /** Spreading datagrams over the workers (asked for, and more than one worker). */
  get spreading(): boolean {
    return this.opts.spread === true && this.shards.length > 1;
  }

  /** false: the queue is full, the datagram was not taken (the caller counts queue_full). */
  pushDatagram(exporter: string, port: number, receivedAt: number, bytes: Uint8Array): boolean {
    const copies = this.spreading && this.carriers.carriesState(exporter, bytes);
    const inputs = copies ? this.shards.length : 1;
    if (
      this.depthCount + inputs > this.opts.queueCapacity ||
      this.depthBytes + inputs * bytes.length > this.opts.queueMaxBytes
    ) {
      return false;
    }
    const d = { exporter, port, receivedAt, bytes };
    if (!this.spreading) {
      this.enqueue(this.shards[shardOf(exporter, this.shards.length)], d);
      return true;
    }
    const owner = this.nextSpreadShard();
    const ticket = this.sequences.ticket();
    for (const s of this.shards) {
      if (s === owner) this.enqueue(s, d, { role: SPREAD, ticket });
      else if (copies) this.enqueue(s, d, { role: COPY, ticket: -1 });
    }
    return true;
  }

  private enqueue(
    s: Shard,
    d: { exporter: string; port: number; receivedAt: number; bytes: Uint8Array },
    spread?: { role: number; ticket: number },
  ): void {
    s.bufs.push(d.bytes);
    s.exporters.push(d.exporter);
    s.ports.push(d.port);
    s.times.push(d.receivedAt);
    if (spread) {
      s.roles.push(spread.role);
      s.tickets.push(spread.ticket);
    }
    s.pendingBytes += d.bytes.length;
    this.depthCount++;
    this.depthBytes += d.bytes.length;
    if (!s.scheduled) {
      s.scheduled = true;
      // A short wait gathers a whole burst into one message: every postMessage costs tens of µs on both
      // threads (measured: ~15% of the worker's time at 100k flows/s with one message per read burst).
      setTimeout(() => this.dispatch(s), this.gatherMs);
    } else if (s.exporters.length === this.maxPerMessage) {
      setImmediate(() => this.dispatch(s));
    }
  }

  /** The worker for the next spread datagram: the current one for a run, then the least loaded. */
  private nextSpreadShard(): Shard {
    if (this.runLeft === 0 || this.shards[this.current].warming) {
      let best = Number.POSITIVE_INFINITY;
      this.shards.forEach((s, i) => {
        if (s.warming) return;
        let load = s.exporters.length;
        for (const f of s.inflight) load += f.inputs;
        if (load < best) {
          best = load;
          this.current = i;
        }
      });
      // A run at a time keeps the messages to each worker full.
      this.runLeft = this.opts.spreadRun ?? 64;
    }
    this.runLeft--;
    return this.shards[this.current];
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

  /**
   * Decoder state of all workers as one SessionSnapshot-shaped object keyed by exporter (so a restart with
   * another worker count restores it). Spreading, every worker knows every exporter's templates: one
   * worker's entry stands for all (data held for a missing template is kept from that worker only).
   */
  async snapshot(): Promise<DecoderSnapshot> {
    const snaps = (await Promise.all(
      this.shards.map((s) => this.request(s, 'snapshot')),
    )) as DecoderSnapshot[];
    const exporters: Record<string, unknown> = {};
    for (const s of snaps) Object.assign(exporters, s?.exporters ?? {});
    return { version: 1, exporters };
  }

  /**
   * Restore what snapshot() saved: each exporter to the worker it is sharded to; spreading, to every
   * worker, the data it held decoded by the first one only (the others learn from it).
   */
  async restore(saved: unknown): Promise<void> {
    const exporters = (saved as { exporters?: Record<string, unknown> })?.exporters;
    if (!exporters || typeof exporters !== 'object') return;
    if (this.spreading) {
      const snapshot = { version: 1, exporters };
      await Promise.all(this.shards.map((s, i) => this.request(s, 'restore', { snapshot, copy: i > 0 })));
      return;
    }
    const parts = this.shards.map(() => ({ version: 1, exporters: {} as Record<string, unknown> }));
    for (const [addr, v] of Object.entries(exporters)) parts[shardOf(addr, parts.length)].exporters[addr] = v;
    await Promise.all(
      this.shards.map((s, i) => this.request(s, 'restore', { snapshot: parts[i], copy: false })),
    );
  }

  /** Per (exporter, protocol, domain), every worker's stats as one; data sets waiting for templates. */
  async stats(): Promise<{ domains: DomainStats[]; pending: number }> {
    const parts = (await Promise.all(this.shards.map((s) => this.request(s, 'stats')))) as {
      domains: DomainStats[];
      pending: number;
    }[];
    return {
      domains: mergeDomains(
        parts.map((p) => p.domains),
        this.sequences,
      ),
      pending: parts.reduce((n, p) => n + p.pending, 0),
    };
  }

  /** Exporter health, every worker's as one per (exporter, protocol, domain). */
  async exporterHealth(): Promise<ExporterHealth[]> {
    const parts = (await Promise.all(this.shards.map((s) => this.request(s, 'health')))) as WorkerHealth[];
    return mergeHealth(parts, this.sequences);
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
      roles: [],
      tickets: [],
      pendingBytes: 0,
      inflight: [],
      scheduled: false,
      replies: new Map(),
      stopping: false,
      warming: false,
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
    // Lost datagrams are not waited for by the sequence check (their loss is counted as decode-side).
    this.sequences.settle(shard.tickets);
    for (const f of shard.inflight) if (f.tickets) this.sequences.settle(f.tickets);
    for (const r of shard.replies.values()) r.reject(new Error('decode worker died'));
    this.opts.onWorkerExit?.(index, lost, err);
    void shard.worker.terminate();
    // A fresh worker takes over the shard; it relearns templates from the exporters (spreading: from a sibling).
    this.shards[index] = this.spawn(index);
    if (this.spreading) void this.warm(index);
  }

  /**
   * Spreading, a replacement worker starts from a sibling's decoder state (templates, options) instead of
   * holding every data set until each exporter's next template refresh. It takes no spread datagrams until
   * then; the copies queued for it meanwhile are posted after the snapshot, so replaying them leaves it
   * where its siblings are.
   */
  private async warm(index: number): Promise<void> {
    const shard = this.shards[index];
    shard.warming = true;
    try {
      const sibling = this.shards.find((s) => s !== shard && !s.stopping);
      const snapshot = sibling ? await this.request(sibling, 'snapshot') : null;
      if (snapshot && this.shards[index] === shard)
        void this.request(shard, 'restore', { snapshot, copy: true });
    } catch {
      // The sibling died too: the exporters' next template refreshes teach it.
    }
    shard.warming = false;
    this.dispatch(shard);
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
    if (f?.tickets) this.sequences.settle(f.tickets, m.sequences);
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
    if (s.warming) return;
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
      const batch: DatagramBatch = { t: 'dgrams', exporters, ports, times, offsets, data };
      let tickets: number[] | undefined;
      if (s.roles.length) {
        batch.roles = Uint8Array.from(s.roles.splice(0, n));
        tickets = s.tickets.splice(0, n);
      }
      s.inflight.push({ inputs: n, bytes: total, dgram: true, tickets });
      this.post(s, batch, [data]);
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
