import type { FlowRecord, ProtocolType } from '../core/record.js';
import type { DomainStats, SequenceNote } from '../decode/types.js';
import type { PackedRecords } from './record-codec.js';
import type { RegionLease, RingMemory, RingRegion } from './row-ring.js';

/**
 * Messages between the receive thread and the decode workers. Datagrams travel packed: one ArrayBuffer
 * (transferred, not copied) holding every datagram's bytes, plus parallel arrays for who sent them and when;
 * a 512-datagram message costs one postMessage instead of 512.
 */
export interface DatagramBatch {
  t: 'dgrams';
  /** Exporter addresses (canonical strings), one per datagram. */
  exporters: string[];
  ports: Uint16Array;
  times: Float64Array;
  /** offsets[i]..offsets[i+1] is datagram i inside `data`. */
  offsets: Uint32Array;
  data: ArrayBuffer;
  /**
   * When the pool spreads exporters over the workers, per datagram: SPREAD (decode it, note its sequence
   * number instead of checking it) or COPY (another worker decodes it; learn its templates and options).
   */
  roles?: Uint8Array;
}

export const SPREAD = 1;
export const COPY = 2;

export interface StreamChunk {
  t: 'stream';
  id: string;
  exporter: string;
  port: number;
  receivedAt: number;
  chunk: Uint8Array;
}

export interface StreamClose {
  t: 'close';
  id: string;
}

/** A request answered with a Reply of the same id. Messages are handled in order, so a reply to `drain`
 * means every earlier message of that worker has been decoded and its records sent. */
export interface Request {
  t: 'req';
  id: number;
  op: 'drain' | 'snapshot' | 'restore' | 'stats' | 'health';
  arg?: unknown;
}

export type ToWorker = DatagramBatch | StreamChunk | StreamClose | Request;

/** What one input message produced. */
export interface DecodedBatch {
  t: 'out';
  /** Datagrams (or stream chunks) this answers, for the queue accounting. */
  inputs: number;
  /** Filled on the receive thread from `packed` (see record-codec.ts); empty on the wire. */
  records: FlowRecord[];
  packed?: PackedRecords;
  /**
   * With a store RowEncoding: the flow records already encoded in the store's format by the worker (only
   * records the encoder refused travel in `records`/`packed`, to be isolated by insertFlows).
   */
  encoded?: EncodedMessage;
  /** Flow records per protocol. */
  flows: Partial<Record<ProtocolType, number>>;
  /** Decode errors by code. */
  errors: Record<string, number>;
  /** A few examples for the (rate-limited) log. */
  samples: { code: string; message: string; context: unknown }[];
  /** With roles: the sequence numbers each datagram noted (none for a copy), in the message's order. */
  sequences?: SequenceNote[][];
}

/**
 * Encoded rows of one message: bytes [offset, offset + length) of `buffer`, which is the worker's ring
 * (row-ring.ts; `ring` says where) or a buffer of its own, transferred (not copied).
 */
export interface EncodedMessage {
  buffer: ArrayBuffer | SharedArrayBuffer;
  offset: number;
  length: number;
  rows: number;
  /** Per 5-minute window of flow_start touched: the earliest flow_start in it (for re-aggregation). */
  starts: number[];
  ring?: RingRegion;
  /** Set on the receive thread for rows in a ring: frees their bytes once nothing reads them. */
  lease?: RegionLease;
}

export interface Reply {
  t: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}

export type FromWorker = DecodedBatch | Reply;

export interface WorkerInit {
  includeAll?: boolean;
  samplingDefault?: number;
  samplingOverride?: Record<string, number>;
  /** RowEncoding.encoderModule of the store: the worker encodes rows itself (see DecodedBatch.encoded). */
  encoderModule?: string;
  /** Where the worker puts its encoded rows (row-ring.ts); without one it transfers buffers. */
  ring?: RingMemory;
}

export type { DomainStats };
