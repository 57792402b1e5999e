import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runAccessConformance } from '../conformance/access.js';
import { openChdbStore } from './index.js';

const dirs: string[] = [];
runAccessConformance('chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-access-'));
  dirs.push(dir);
  return openChdbStore({ dir });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
