// biome-ignore-all lint/correctness/useExhaustiveDependencies: useAsync's caller names what its load depends on
/** Small shared pieces: times (browser zone, UTC on hover), empty/error states, async loading. */
import { type DependencyList, type ReactNode, useEffect, useRef, useState } from 'react';
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
  // The first load starts while the page first renders, not in the effect: effects run after the first
  // paint, which took ~240 ms of a page's first second in the software-rendered browser of the UI bench.
  const started = useRef(false);
  const first = useRef<Promise<T> | undefined>(undefined);
  if (!started.current) {
    started.current = true;
    first.current = load();
    first.current.catch(() => {}); // handled in the effect; not an unhandled rejection meanwhile
  }
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    const pending = first.current ?? load();
    first.current = undefined;
    pending.then(
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

/**
 * A long operation in progress: what runs, for how long, and how far when it is known (done/total). Slow
 * queries and big layouts take seconds; a bare spinner does not say which.
 */
export function Progress({ what, done, total }: { what: string; done?: number; total?: number }) {
  const [start] = useState(() => performance.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, []);
  const secs = ((performance.now() - start) / 1000).toFixed(1);
  const known = done !== undefined && total !== undefined && total > 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={what}
      aria-valuemin={0}
      aria-valuemax={known ? total : undefined}
      aria-valuenow={known ? done : undefined}
      data-testid="progress"
    >
      <span className="progress-bar">
        <span
          className={known ? 'progress-fill' : 'progress-fill indeterminate'}
          style={known ? { width: `${(100 * done) / total}%` } : undefined}
        />
      </span>
      {what}
      {known ? `: ${done}/${total}` : ''} ({secs} s)
    </div>
  );
}
