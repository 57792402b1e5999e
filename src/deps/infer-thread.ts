/**
 * Inference off serve's main thread. A pass over 100 k conversations is ~1.6 s of plain TypeScript
 * (inferEdges), and the main thread also runs the writer, the HTTP API and the hand-over of datagrams to
 * the decode workers: in a 15-minute run at 100 k flows/s, discovery stalled it 2.1 s at a time (then,
 * before the UDP socket thread, the kernel dropped 25 k datagrams at the full receive buffer). Handing the
 * rows to a worker costs ~0.25 s of the main thread (structured clone).
 */
import { startWorker } from '../core/worker.js';
import type { ConversationTotalsRow } from '../storage/port.js';
import type { InferOptions, InferResult } from './infer.js';

export function inferOffThread(
  rows: readonly ConversationTotalsRow[],
  options: InferOptions,
): Promise<InferResult> {
  const worker = startWorker(import.meta.url, 'infer-worker');
  return new Promise<InferResult>((resolve, reject) => {
    worker.once('message', (result: InferResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    // After the answer this rejects nothing (the promise is settled).
    worker.once('exit', (code) => reject(new Error(`discovery's inference worker exited (code ${code})`)));
    worker.postMessage({ rows, options });
  });
}
