/** Time specs as the API takes them (`now`, -15m/-1h/-7d, ISO, epoch ms), resolved in the browser. */
const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function resolveTime(spec: string, now = Date.now()): number | null {
  const s = spec.trim();
  if (s === 'now') return now;
  const rel = /^-(\d+)([smhdw])$/.exec(s);
  if (rel) return now - Number(rel[1]) * UNIT[rel[2]];
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export const RANGES = [
  ['-15m', 'last 15 minutes'],
  ['-1h', 'last hour'],
  ['-6h', 'last 6 hours'],
  ['-1d', 'last day'],
  ['-7d', 'last 7 days'],
] as const;

/** <input type=datetime-local> value (browser zone) <-> ISO. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
export function fromLocalInput(v: string): string {
  return new Date(v).toISOString();
}
