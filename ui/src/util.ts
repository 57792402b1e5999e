/** Formatting and URL state shared by the pages. */
import { useCallback, useSyncExternalStore } from 'react';

const subscribers = new Set<() => void>();
window.addEventListener('popstate', () => {
  for (const s of subscribers) s();
});
const subscribe = (f: () => void) => {
  subscribers.add(f);
  return () => subscribers.delete(f);
};

export function navigate(to: string): void {
  window.history.pushState(null, '', to);
  for (const s of subscribers) s();
}

/** The current path and query string, re-rendering on navigation. */
export function useLocation(): { path: string; search: string } {
  const href = useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
  const i = href.indexOf('?');
  return { path: i < 0 ? href : href.slice(0, i), search: i < 0 ? '' : href.slice(i) };
}

/** One page's state in the query string, so a view can be shared by its URL. */
export function useUrlState<T extends Record<string, string>>(defaults: T): [T, (patch: Partial<T>) => void] {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const state = { ...defaults };
  for (const k of Object.keys(defaults)) {
    const v = params.get(k);
    if (v !== null) (state as Record<string, string>)[k] = v;
  }
  const set = useCallback((patch: Partial<T>) => {
    const p = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === '') p.delete(k);
      else p.set(k, String(v));
    }
    window.history.replaceState(null, '', `${window.location.pathname}?${p}`);
    for (const s of subscribers) s();
  }, []);
  return [state, set];
}

const UNITS = ['', 'k', 'M', 'G', 'T', 'P'];
export function si(n: number, unit = ''): string {
  let i = 0;
  let v = Math.abs(n);
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${n < 0 ? '-' : ''}${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[i]}${unit}`.trim();
}

export function toMs(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

export const local = (ms: number) => new Date(ms).toLocaleString();
export const utc = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;

export const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6' };
