import { parentPort, workerData } from 'node:worker_threads';
import { DecodeError } from '../core/errors.js';
import type { FlowRecord } from '../core/record.js';
import type { Datagram } from '../decode/types.js';
import { type FlowDecodeResult, FlowDecoder } from '../normalize/flow-decoder.js';
import type { EncodedRows } from '../storage/port.js';
import type { DecodedBatch, EncodedMessage, FromWorker, ToWorker, WorkerInit } from './messages.js';
import { packRecords } from './record-codec.js';

/**
 * Decode worker: owns the template/sampling state of the exporters sharded to it (one FlowDecoder), decodes
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

type EncodeRows = (records: readonly FlowRecord[]) => EncodedRows;
/**
 * The store's row encoder, when it has one: encoding here (1.2 us/flow measured for IPFIX) instead of on the
 * receive thread takes packing, unpacking, the structured clone of extended_fields and the encode itself off
 * the thread that owns the sockets and the store. Messages posted before this import resolves are queued.
 */
const encodeRows: EncodeRows | null = init.encoderModule
  ? ((await import(init.encoderModule)) as { encodeRows: EncodeRows }).encodeRows
  : null;

function post(m: FromWorker): void {
  port.postMessage(m);
}

/** Per touched 5-minute window, the earliest flow_start of the encoded rows (usually one or two windows). */
function windowStarts(records: readonly FlowRecord[], skip: readonly number[]): number[] {
  const wins: number[] = [];
  const mins: number[] = [];
  let k = 0;
  for (let i = 0; i < records.length; i++) {
    if (k < skip.length && skip[k] === i) {
      k++;
      continue;
    }
    const r = records[i];
    if (r.record_type !== undefined && r.record_type !== 'flow') continue;
    const s = r.flow_start;
    const w = Math.floor(s / WINDOW_MS);
    let j = 0;
    while (j < wins.length && wins[j] !== w) j++;
    if (j === wins.length) {
      wins.push(w);
      mins.push(s);
    } else if (s < mins[j]) mins[j] = s;
  }
  return mins;
}

/**
 * Records go encoded in the store's format when it has a RowEncoding, else packed (record-codec.ts): both
 * far cheaper to receive than cloned objects. Records the encoder refused travel packed, one by one to be
 * isolated and counted by the writer.
 */
function postOut(out: DecodedBatch): void {
  if (out.records.length === 0) {
    port.postMessage(out);
    return;
  }
  const transfer: ArrayBuffer[] = [];
  let rest = out.records;
  if (encodeRows) {
    const e = encodeRows(out.records);
    if (e.rows > 0) {
      const enc: EncodedMessage = {
        buffer: e.data.buffer as ArrayBuffer,
        offset: e.data.byteOffset,
        length: e.data.length,
        rows: e.rows,
        starts: windowStarts(out.records, e.refused),
      };
      out.encoded = enc;
      transfer.push(enc.buffer);
    }
    rest = e.refused.map((i) => out.records[i]);
  }
  out.records = [];
  if (rest.length) {
    const p = packRecords(rest);
    out.packed = p.packed;
    transfer.push(...p.transfer);
  }
  port.postMessage(out, transfer);
}

function collect(out: DecodedBatch, r: FlowDecodeResult): void {
  if (r.records.length) {
    for (const rec of r.records) out.records.push(rec);
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
      for (let i = 0; i < n; i++) {
        const dg: Datagram = {
          bytes: data.subarray(m.offsets[i], m.offsets[i + 1]),
          exporter: m.exporters[i],
          exporterPort: m.ports[i],
          receivedAt: m.times[i],
        };
        safely(out, () => decoder.decode(dg), dg.exporter);
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
        else if (m.op === 'restore') decoder.restore(m.arg as ReturnType<FlowDecoder['snapshot']>);
        else if (m.op === 'stats') value = { domains: decoder.stats(), pending: decoder.pendingCount() };
        post({ t: 'reply', id: m.id, value });
      } catch (err) {
        post({ t: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) });
      }
      break;
  }
});
