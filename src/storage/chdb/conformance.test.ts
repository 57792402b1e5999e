import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFORMANCE_INTERNAL_NETWORKS, runConformance } from '../conformance/index.js';
import { openChdbStore } from './index.js';

runConformance('chdb', () =>
  openChdbStore({
    dir: mkdtempSync(join(tmpdir(), 'flowlens-chdb-')),
    internalNetworks: CONFORMANCE_INTERNAL_NETWORKS,
  }),
);
