/**
 * Worker thread entry of inferOffThread: one pass's conversation totals in, inferEdges's result out.
 */
import { parentPort } from 'node:worker_threads';
import type { ConversationTotalsRow } from '../storage/port.js';
import { mapRows } from './discover.js';
import { type InferOptions, inferEdges } from './infer.js';

parentPort?.once('message', (m: { rows: ConversationTotalsRow[]; options: InferOptions }) => {
  parentPort?.postMessage(inferEdges(mapRows(m.rows), m.options));
});
