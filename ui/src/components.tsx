// biome-ignore-all lint/correctness/useExhaustiveDependencies: useAsync's caller names what its load depends on
/** Small shared pieces: times (browser zone, UTC on hover), empty/error states, async loading. */
import { type DependencyList, type ReactNode, useEffect, useState } from 'react';
import { ApiError } from './api/client';
import { local, toMs, utc } from './util';

export function Time({ value }: { value: string | number | null | undefined }) {
  const ms = toMs(value);
  if (ms === null) return <span>-</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={utc(ms)}>
      {local(ms)}
    </time>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Unavailable({ what }: { what: string }) {
  return <div className="empty unavailable">{what}: not available on this server.</div>;
}

export function ErrorBox({ error }: { error: unknown }) {
  const text = error instanceof ApiError ? error.message : String((error as Error)?.message ?? error);
  return (
    <div className="error" role="alert">
      {text}
    </div>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

/** Runs `load` when deps change; stale answers (an older request finishing last) are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<Async<T>>({ data: undefined, error: undefined, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

export function Loading() {
  return <div className="loading">Loading…</div>;
}
