/** Test helpers for commands: captured output, and a store opener that records what a command calls. */
import { type OpenStoreOptions, openStore } from '../../app/store.js';
import type { FlowStore } from '../../storage/port.js';
import type { CliIO } from '../io.js';

export function captureIO(): CliIO & { out: () => string; err: () => string; code: () => number } {
  let out = '';
  let err = '';
  let code = 0;
  return {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
    },
    setExitCode: (c: number) => {
      code = c;
    },
    out: () => out,
    err: () => err,
    code: () => code,
  };
}

/** openStore whose stores append the name of every method called to `calls`. */
export function recordingOpenStore(calls: string[]): (o: OpenStoreOptions) => Promise<FlowStore> {
  return async (o) => {
    const store = await openStore(o);
    return new Proxy(store, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return v.apply(target, args);
        };
      },
    });
  };
}
