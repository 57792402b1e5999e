import { parentPort, workerData } from 'node:worker_threads';
import { DecodeError } from '../core/errors.js';
import { type FlowRecord, isFlow } from '../core/record.js';
import type { Datagram } from '../decode/types.js';
import { type FlowDecodeResult, FlowDecoder } from '../normalize/flow-decoder.js';
import { loadRowEncoder, type RowEncoder } from '../storage/port.js';
import {
  COPY,
  type DecodedBatch,
  type FromWorker,
  SPREAD,
  type ToWorker,
  type WorkerInit,
} from './messages.js';
import { packRecords } from './record-codec.js';
import { RingWriter } from './row-ring.js';

/**
 * Decode worker: the template/sampling state of the exporters it is sent (one FlowDecoder), decodes
 * what the receive thread sends and returns the records of each input message as one message.
 */
const init = (workerData?.init ?? {}) as WorkerInit;
const decoder = new FlowDecoder({
  includeAll: init.includeAll,
  samplingDefault: init.samplingDefault,
  samplingOverride: init.samplingOverride,
});
const port = parentPort!;
const MAX_SAMPLES = 3;
/** Same 5-minute windows as the aggregation (DESIGN.md flow_aggregates). */
const WINDOW_MS = 300_000;

/**
 * The store's row encoder, when it has one: encoding here instead of on the receive thread takes packing,
 * unpacking, the structured clone of extended_fields and the encode itself off the thread that owns the
 * sockets and the store. Each datagram's records are encoded as soon as they are decoded, so the record
 * objects die young (collecting a whole message first promoted them: measured 2-4x the worker's GC time).
 * Messages posted before this import resolves are queued.
 */
const encoder: RowEncoder | null = init.encoderModule ? await loadRowEncoder(init.encoderModule) : null;

const ring = init.ring ? new RingWriter(init.ring) : null;

/** Per touched 5-minute window of the encoded rows, the earliest flow_start (usually one or two windows). */
const windows: number[] = [];
const windowMins: number[] = [];

function noteWindows(records: readonly FlowRecord[], refused: readonly FlowRecord[]): void {
  for (const r of records) {
    if (!isFlow(r)) continue;
    if (refused.length && refused.includes(r)) continue;
    const s = r.flow_start;
    const w = Math.floor(s / WINDOW_MS);
    let j = 0;
    while (j < windows.length && windows[j] !== w) j++;
    if (j === windows.length) {
      windows.push(w);
      windowMins.push(s);
    } else if (s < windowMins[j]) windowMins[j] = s;
  }
}

function post(m: FromWorker): void {
  port.postMessage(m);
}

/**
 * One message per input message: rows encoded in the store's format when it has a RowEncoding, records
 * packed (record-codec.ts) otherwise; both far cheaper to receive than cloned objects. Records the encoder
 * refused travel packed, to be isolated and counted by the writer.
 */
function postOut(out: DecodedBatch): void {
  const transfer: ArrayBuffer[] = [];
  if (encoder) {
    const e = encoder.take();
    if (e.rows > 0) {
      const starts = windowMins.splice(0);
      windows.length = 0;
      const region = ring?.put(e.data);
      if (region && init.ring) {
        encoder.recycle?.(e.data);
        const size = init.ring.data.byteLength;
        out.encoded = {
          buffer: init.ring.data,
          offset: region.start % size,
          length: e.data.length,
          rows: e.rows,
          starts,
          ring: region,
        };
      } else {
        const buffer = e.data.buffer as ArrayBuffer;
        out.encoded = { buffer, offset: e.data.byteOffset, length: e.data.length, rows: e.rows, starts };
        transfer.push(buffer);
      }
    }
  }
  if (out.records.length) {
    const p = packRecords(out.records);
    out.records = [];
    out.packed = p.packed;
    transfer.push(...p.transfer);
  }
  port.postMessage(out, transfer);
}

function collect(out: DecodedBatch, r: FlowDecodeResult): void {
  if (r.records.length) {
    if (encoder) {
      const refused = encoder.add(r.records);
      noteWindows(r.records, refused);
      for (const rec of refused) out.records.push(rec);
    } else for (const rec of r.records) out.records.push(rec);
    const p = r.protocol ?? r.records[0].protocol_type;
    out.flows[p] = (out.flows[p] ?? 0) + r.records.length;
  }
  for (const e of r.errors) {
    out.errors[e.code] = (out.errors[e.code] ?? 0) + 1;
    if (out.samples.length < MAX_SAMPLES)
      out.samples.push({ code: e.code, message: e.message, context: e.context });
  }
}

function emptyOut(inputs: number): DecodedBatch {
  return { t: 'out', inputs, records: [], flows: {}, errors: {}, samples: [] };
}

/** The decoder never throws by contract; if it does anyway the datagram is one counted 'internal' error. */
function safely(out: DecodedBatch, fn: () => FlowDecodeResult, exporter: string): void {
  try {
    collect(out, fn());
  } catch (err) {
    collect(out, {
      protocol: null,
      records: [],
      errors: [new DecodeError('internal', err instanceof Error ? err.message : String(err), { exporter })],
    });
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'dgrams': {
      const n = m.exporters.length;
      const out = emptyOut(n);
      const data = new Uint8Array(m.data);
      if (m.roles) out.sequences = [];
      for (let i = 0; i < n; i++) {
        const dg: Datagram = {
          bytes: data.subarray(m.offsets[i], m.offsets[i + 1]),
          exporter: m.exporters[i],
          exporterPort: m.ports[i],
          receivedAt: m.times[i],
        };
        const role = m.roles?.[i];
        if (role === COPY) dg.copy = true;
        else if (role === SPREAD) dg.sequences = [];
        safely(out, () => decoder.decode(dg), dg.exporter);
        out.sequences?.push(dg.sequences ?? []);
      }
      postOut(out);
      break;
    }
    case 'stream': {
      const out = emptyOut(1);
      const conn = { id: m.id, exporter: m.exporter, exporterPort: m.port };
      safely(out, () => decoder.decodeStream(conn, m.chunk, m.receivedAt), m.exporter);
      postOut(out);
      break;
    }
    case 'close':
      decoder.closeStream(m.id);
      break;
    case 'req':
      try {
        let value: unknown;
        if (m.op === 'snapshot') value = decoder.snapshot();
        else if (m.op === 'restore') {
          const { snapshot, copy } = m.arg as {
            snapshot: ReturnType<FlowDecoder['snapshot']>;
            copy: boolean;
          };
          decoder.restore(snapshot, copy);
        } else if (m.op === 'stats') value = { domains: decoder.stats(), pending: decoder.pendingCount() };
        else if (m.op === 'health')
          value = { health: decoder.exporterHealth(), unmatched: decoder.unmatchedHealth() };
        post({ t: 'reply', id: m.id, value });
      } catch (err) {
        post({ t: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) });
      }
      break;
  }
});
