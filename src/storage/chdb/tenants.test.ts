import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runTenantConformance } from '../conformance/tenants.js';
import { openChdbStore } from './index.js';

const dirs: string[] = [];
runTenantConformance('chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-tenants-'));
  dirs.push(dir);
  return openChdbStore({ dir });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
