import type { Logger } from 'pino';
import { canonicalAddress } from './address.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { type BoundInfo, type ListenSpec, TcpListener, UdpListener } from './listeners.js';
import type { IngestMetrics } from './metrics.js';
import type { WorkerPool } from './pool.js';

export interface ReceiverOptions {
  listen: ListenSpec[];
  recvBufferSize: number;
  admission: AdmissionOptions;
  pool: WorkerPool;
  metrics: IngestMetrics;
  log: Logger;
}

/**
 * The receive path: sockets -> admission (allow-list, rate limit) -> bounded queue. The handler does nothing
 * else (no decoding, no allocation beyond the queue entry), so the socket is read as fast as possible.
 */
export class Receiver {
  private readonly listeners: (UdpListener | TcpListener)[] = [];
  private readonly admission: Admission;
  bound: BoundInfo[] = [];

  constructor(private readonly opts: ReceiverOptions) {
    this.admission = new Admission(opts.admission);
  }

  get ready(): boolean {
    return this.bound.length === this.opts.listen.length && this.opts.listen.length > 0;
  }

  async start(): Promise<BoundInfo[]> {
    const { metrics, pool } = this.opts;
    const dropNotAllowed = metrics.drops.labels('not_allowed', 'datagrams');
    const dropRate = metrics.drops.labels('rate_limited', 'datagrams');
    const dropFull = metrics.drops.labels('queue_full', 'datagrams');
    try {
      for (const spec of this.opts.listen) {
        const dgrams = metrics.datagrams.labels(spec.name);
        const bytes = metrics.bytes.labels(spec.name);
        if (spec.transport === 'udp') {
          const l = new UdpListener(spec, this.opts.recvBufferSize, (msg, addr, port) => {
            const now = Date.now();
            dgrams.inc();
            bytes.inc(msg.length);
            const exporter = canonicalAddress(addr);
            const v = this.admission.check(exporter, now);
            if (v === 'not_allowed') dropNotAllowed.inc();
            else if (v === 'rate_limited') dropRate.inc();
            else if (!pool.pushDatagram(exporter, port, now, msg)) dropFull.inc();
          });
          this.listeners.push(l);
          const info = await l.start();
          this.bound.push(info);
          this.checkBuffer(info);
        } else {
          const l: TcpListener = new TcpListener(spec, {
            onData: (conn, chunk) => {
              const now = Date.now();
              dgrams.inc();
              bytes.inc(chunk.length);
              const exporter = canonicalAddress(conn.address);
              // Rate limits are per datagram; a TCP exporter is only subject to the allow-list.
              if (!this.admission.isAllowed(exporter)) {
                dropNotAllowed.inc();
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
          this.listeners.push(l);
          this.bound.push(await l.start());
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.bound;
  }

  async stop(): Promise<void> {
    const ls = this.listeners.splice(0);
    this.bound = [];
    await Promise.all(ls.map((l) => l.stop()));
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
