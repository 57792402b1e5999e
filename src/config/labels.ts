/**
 * The configuration's host labels: deps.labels, then the entries of deps.labelsFile. The file is read
 * once per loaded configuration (validateConfig reads it, so a bad file fails loading); a configuration
 * built otherwise (a test's copy) reads it on first use.
 */
import { readFileSync } from 'node:fs';
import { type HostLabel, parseLabelFile, toHostLabel } from '../core/label-file.js';
import { ConfigError } from './error.js';
import type { Config } from './schema.js';

const loaded = new WeakMap<object, HostLabel[]>();

/** Throws ConfigError naming deps.labelsFile (and the file's line or entry) when the file is bad. */
export function configLabels(deps: Pick<Config['deps'], 'labels' | 'labelsFile'>): HostLabel[] {
  const hit = loaded.get(deps);
  if (hit) return hit;
  // The entries were checked by the schema; converting them again cannot fail.
  const out = deps.labels.map((e, i) =>
    toHostLabel(e as unknown as Record<string, unknown>, `entry ${i + 1}`),
  );
  const file = deps.labelsFile;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError(
        `deps.labelsFile: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
      );
    }
    try {
      out.push(...parseLabelFile(file, text));
    } catch (err) {
      throw new ConfigError(`deps.labelsFile: ${file}: ${(err as Error).message}`);
    }
  }
  loaded.set(deps, out);
  return out;
}
