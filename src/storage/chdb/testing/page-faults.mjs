// Test-only child (engine-memory.test.ts): opens the embedded store as serve does, runs one large GROUP BY
// and prints the process's minor page faults during it. The allocator reads its options when the engine
// loads, once per process, so each allocator setting is tried in a process of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

register('../../../core/testing/ts-hooks.mjs', import.meta.url);
const { openChdbStore } = await import('../index.ts');
const dir = mkdtempSync(join(tmpdir(), 'flowlens-faults-'));
const store = await openChdbStore({ dir, purgeEveryMs: 0 });
try {
  const before = process.resourceUsage().minorPageFault;
  await store.exec(process.argv[2]);
  process.stdout.write(`${process.resourceUsage().minorPageFault - before}\n`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
