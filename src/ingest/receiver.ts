import type { Logger } from 'pino';
import { canonicalAddress } from './address.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { type BoundInfo, type ListenSpec, TcpListener } from './listeners.js';
import type { IngestMetrics } from './metrics.js';
import type { WorkerPool } from './pool.js';
import { UdpThread } from './udp-thread.js';

export interface ReceiverOptions {
  listen: ListenSpec[];
  recvBufferSize: number;
  admission: AdmissionOptions;
  /** Bounds of what the UDP socket thread may hold for the main thread (the decode queue's bounds). */
  backlog: { datagrams: number; bytes: number };
  pool: WorkerPool;
  metrics: IngestMetrics;
  log: Logger;
}

type Inc = { inc(n?: number): void };

/**
 * The receive path: sockets -> admission (allow-list, rate limit) -> bounded queue. UDP sockets are read on
 * a thread of their own (udp-thread.ts), so nothing the main thread does makes the kernel drop datagrams;
 * TCP needs no such care (it pushes back). The handlers do nothing else (no decoding).
 */
export class Receiver {
  private readonly tcp: TcpListener[] = [];
  private udp: UdpThread | null = null;
  /** Per UDP listener in the order opened (the socket thread's listener index). */
  private readonly udpCounters: { dgrams: Inc; bytes: Inc }[] = [];
  private readonly admission: Admission;
  private readonly drops;
  bound: BoundInfo[] = [];

  constructor(private readonly opts: ReceiverOptions) {
    this.admission = new Admission(opts.admission);
    const d = opts.metrics.drops;
    this.drops = {
      notAllowed: d.labels('not_allowed', 'datagrams'),
      rateLimited: d.labels('rate_limited', 'datagrams'),
      queueFull: d.labels('queue_full', 'datagrams'),
    };
  }

  get ready(): boolean {
    return this.bound.length === this.opts.listen.length && this.opts.listen.length > 0;
  }

  /** Datagrams read on the socket thread and not yet handed to the decode queue. */
  get backlog(): number {
    return this.udp?.backlogDatagrams ?? 0;
  }

  async start(): Promise<BoundInfo[]> {
    try {
      for (const spec of this.opts.listen) {
        if (spec.transport === 'udp') await this.openUdp(spec);
        else await this.openTcp(spec);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.bound;
  }

  async stop(): Promise<void> {
    const tcp = this.tcp.splice(0);
    const udp = this.udp;
    this.udp = null;
    this.bound = [];
    await Promise.all([...tcp.map((l) => l.stop()), udp?.stop()]);
  }

  private async openUdp(spec: ListenSpec): Promise<void> {
    if (!this.udp) {
      this.udp = this.udpThread();
      await this.udp.start();
    }
    const info = await this.udp.open(spec, this.opts.recvBufferSize);
    const { datagrams, bytes } = this.opts.metrics;
    this.udpCounters.push({ dgrams: datagrams.labels(spec.name), bytes: bytes.labels(spec.name) });
    this.bound.push(info);
    this.checkBuffer(info);
  }

  private udpThread(): UdpThread {
    const { pool, log } = this.opts;
    return new UdpThread({
      limits: this.opts.backlog,
      onDatagram: (listener, msg, exporter, port, receivedAt) => {
        const c = this.udpCounters[listener];
        c.dgrams.inc();
        c.bytes.inc(msg.length);
        const v = this.admission.check(exporter, receivedAt);
        if (v === 'not_allowed') this.drops.notAllowed.inc();
        else if (v === 'rate_limited') this.drops.rateLimited.inc();
        else if (!pool.pushDatagram(exporter, port, receivedAt, msg)) this.drops.queueFull.inc();
      },
      onDropped: (listener, n) => {
        // Read but never handed over (the backlog was full): received, and dropped at the full queue.
        this.udpCounters[listener].dgrams.inc(n);
        this.drops.queueFull.inc(n);
      },
      onFailure: (err) => {
        this.bound = this.bound.filter((b) => b.transport !== 'udp');
        log.error({ err: err.message }, 'the UDP socket thread failed: no UDP listener is reading');
      },
    });
  }

  private async openTcp(spec: ListenSpec): Promise<void> {
    const { metrics, pool } = this.opts;
    const dgrams = metrics.datagrams.labels(spec.name);
    const bytes = metrics.bytes.labels(spec.name);
    const l: TcpListener = new TcpListener(spec, {
      onData: (conn, chunk) => {
        const now = Date.now();
        dgrams.inc();
        bytes.inc(chunk.length);
        const exporter = canonicalAddress(conn.address);
        // Rate limits are per datagram; a TCP exporter is only subject to the allow-list.
        if (!this.admission.isAllowed(exporter)) {
          this.drops.notAllowed.inc();
          conn.socket.destroy();
          return;
        }
        pool.pushStream(conn.id, exporter, conn.port, now, chunk);
        // TCP never drops: a full queue pauses the connection until the workers catch up.
        if (pool.isFull()) {
          conn.socket.pause();
          void pool.whenBelowHalf().then(() => conn.socket.resume());
        }
        metrics.tcpConnections.set(l.connections);
      },
      onClose: (conn) => {
        pool.closeStream(conn.id, canonicalAddress(conn.address));
        metrics.tcpConnections.set(l.connections);
      },
    });
    this.tcp.push(l);
    this.bound.push(await l.start());
  }

  private checkBuffer(info: BoundInfo): void {
    const granted = info.recvBufferGranted;
    if (granted === undefined) return;
    this.opts.metrics.recvBuffer.labels(info.name).set(granted);
    // Linux reports twice the value set (bookkeeping overhead), so half of it is what was honoured.
    const effective = process.platform === 'linux' ? granted / 2 : granted;
    if (effective < (info.recvBufferAsked ?? 0)) {
      this.opts.log.warn(
        { listener: info.name, port: info.port, asked: info.recvBufferAsked, granted: effective },
        `receive buffer capped by the kernel at ${effective} bytes (asked ${info.recvBufferAsked}); ` +
          `raise it with: sysctl -w net.core.rmem_max=${info.recvBufferAsked}`,
      );
    }
  }
}
