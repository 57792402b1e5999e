// Test-only worker bootstrap: registers the TypeScript hooks, then runs the worker entry given in workerData.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

register('./ts-hooks.mjs', import.meta.url);
await import(workerData.__entry);
