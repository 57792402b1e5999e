/**
 * Starting a worker thread on a module beside the caller, the same way in production and in tests.
 */
import { Worker } from 'node:worker_threads';

/**
 * A worker on module `name` (no extension) next to `callerUrl` (the caller's import.meta.url). Under vitest
 * the caller is the .ts source: the worker then runs through the test-only TypeScript hooks
 * (testing/ts-worker.mjs), which import the .ts entry given as `__entry`.
 */
export function startWorker(
  callerUrl: string,
  name: string,
  workerData: Record<string, unknown> = {},
): Worker {
  if (callerUrl.endsWith('.ts'))
    return new Worker(new URL('./testing/ts-worker.mjs', import.meta.url), {
      workerData: { ...workerData, __entry: new URL(`./${name}.ts`, callerUrl).href },
    });
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
}
