/** Test helper: field-by-field comparison with a count of what was compared and what matched. */
export class Tally {
  compared = 0;
  matched = 0;
  readonly mismatches: string[] = [];

  /** Compare our value with tshark's string (numbers compared as numbers, hex "0x.." accepted). */
  eq(where: string, ours: unknown, theirs: unknown): void {
    if (theirs === undefined) return;
    this.compared++;
    if (same(ours, theirs)) this.matched++;
    else this.mismatches.push(`${where}: ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs)}`);
  }
}

export function num(v: unknown): number {
  if (typeof v !== 'string') return Number.NaN;
  return v.startsWith('0x') ? Number.parseInt(v, 16) : Number(v);
}

function same(ours: unknown, theirs: unknown): boolean {
  if (Array.isArray(theirs)) {
    return Array.isArray(ours) && ours.length === theirs.length && ours.every((o, i) => same(o, theirs[i]));
  }
  if (typeof ours === 'number' || typeof ours === 'bigint')
    return String(ours) === String(num(theirs)) || String(ours) === theirs;
  if (ours === null || ours === undefined) return false;
  return String(ours) === String(theirs);
}
