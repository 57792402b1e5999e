import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { CONFORMANCE_INTERNAL_NETWORKS, runConformance } from '../conformance/index.js';
import { runPlannedConformance } from '../conformance/planned.js';
import { openChdbStore } from './index.js';

const dirs: string[] = [];
runConformance('chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-'));
  dirs.push(dir);
  return openChdbStore({ dir, internalNetworks: CONFORMANCE_INTERNAL_NETWORKS });
});
runPlannedConformance('chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-plan-'));
  dirs.push(dir);
  return openChdbStore({ dir });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 5 });
});
