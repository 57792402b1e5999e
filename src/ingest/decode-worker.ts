import { parentPort, workerData } from 'node:worker_threads';
import { DecodeError } from '../core/errors.js';
import type { Datagram } from '../decode/types.js';
import { type FlowDecodeResult, FlowDecoder } from '../normalize/flow-decoder.js';
import type { DecodedBatch, FromWorker, ToWorker, WorkerInit } from './messages.js';
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

function post(m: FromWorker): void {
  port.postMessage(m);
}

/** Records go packed (record-codec.ts): far cheaper to receive than cloned objects. */
function postOut(out: DecodedBatch): void {
  if (out.records.length === 0) {
    port.postMessage(out);
    return;
  }
  const { packed, transfer } = packRecords(out.records);
  out.records = [];
  out.packed = packed;
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
