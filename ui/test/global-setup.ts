/**
 * vitest globalSetup: builds the UI (vite build -> dist/ui) once when dist/ui is older than any UI source, so
 * the browser tests always run against the current code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function uiIsStale(): boolean {
  const index = join(ROOT, 'dist', 'ui', 'index.html');
  if (!existsSync(index)) return true;
  const src = Math.max(
    newest(join(ROOT, 'ui', 'src')),
    statSync(join(ROOT, 'ui', 'index.html')).mtimeMs,
    statSync(join(ROOT, 'ui', 'vite.config.ts')).mtimeMs,
  );
  return src > statSync(index).mtimeMs;
}

export default function setup(): void {
  if (!uiIsStale()) return;
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '-c',
      'ui/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}
