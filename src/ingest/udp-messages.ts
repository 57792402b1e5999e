/** Messages between the main thread and the UDP socket thread (udp-thread.ts, udp-worker.ts). */
import type { BoundInfo, ListenSpec } from './listeners.js';

/** Indexes into the shared backlog counters: what the socket thread posted and the main thread has not taken. */
export const BACKLOG_DATAGRAMS = 0;
export const BACKLOG_BYTES = 1;

export type ToUdpThread =
  | { t: 'init'; backlog: SharedArrayBuffer; limits: { datagrams: number; bytes: number } }
  | { t: 'open'; id: number; spec: ListenSpec; recvBufferSize: number }
  | { t: 'close' };

/** Datagrams of one listener, in arrival order, packed in one buffer (datagram i is data[offsets[i]..offsets[i+1]]). */
export interface UdpBatch {
  t: 'batch';
  listener: number;
  /** Canonical exporter addresses (address.ts). */
  exporters: string[];
  ports: Uint16Array;
  /** Date.now() when each datagram was read. */
  times: Float64Array;
  offsets: Uint32Array;
  data: ArrayBuffer;
}

export type FromUdpThread =
  | UdpBatch
  | { t: 'opened'; id: number; info: BoundInfo }
  | { t: 'failed'; id: number; message: string; code: string | null }
  /** Datagrams of a listener dropped at the full backlog. */
  | { t: 'dropped'; listener: number; datagrams: number }
  /** The sockets are closed and every datagram read has been posted. */
  | { t: 'closed' };
