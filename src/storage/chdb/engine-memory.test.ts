/** The embedded engine's memory: reported by part, freed memory handed back to the OS (engine-memory.ts), huge pages (allocator.ts). */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_ALLOCATOR_CONF } from './allocator.js';
import { type ChdbStore, type ChdbStoreOptions, openChdbStore } from './index.js';

const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
const CHILD = new URL('./testing/page-faults.mjs', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A GROUP BY whose hash table takes several hundred MB in the engine, all freed when it ends. */
const BIG_GROUP_BY =
  'SELECT toString(number) AS k, count() AS n FROM numbers(5000000) GROUP BY k FORMAT Null';

/** Runs `fn` on a store in a fresh directory, closed and removed afterwards. */
async function withTempStore<T>(
  opts: Omit<ChdbStoreOptions, 'dir'>,
  fn: (store: ChdbStore) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-mem-'));
  const store = await openChdbStore({ ...opts, dir });
  try {
    return await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * RSS above its level before BIG_GROUP_BY, 700 ms after the statement ended, in a store checking its
 * memory every 200 ms against the bound given (none: never purging).
 */
async function retainedAfterGroupBy(purgeAboveBytes?: number): Promise<{ retained: number; peak: number }> {
  const opts = purgeAboveBytes === undefined ? { purgeEveryMs: 0 } : { purgeEveryMs: 200, purgeAboveBytes };
  return withTempStore(opts, async (store) => {
    await store.exec('SYSTEM JEMALLOC PURGE');
    const before = rssMb();
    await store.exec(BIG_GROUP_BY);
    const peak = rssMb() - before;
    await sleep(700);
    return { retained: rssMb() - before, peak };
  });
}

describe('chdb engine memory', () => {
  it('reports the memory it tracks and its caches, by part', async () => {
    await withTempStore({}, async (store) => {
      await store.migrate();
      const parts = await store.engineMemory();
      expect(Object.keys(parts).sort()).toEqual(
        [
          'compiled_expression_cache',
          'mark_cache',
          'merges',
          'page_cache',
          'primary_index_cache',
          'query_condition_cache',
          'tracked',
          'uncompressed_cache',
        ].sort(),
      );
      // The engine's own accounting: more than nothing, less than the whole process.
      expect(parts.tracked).toBeGreaterThan(1e6);
      expect(parts.tracked / 2 ** 20).toBeLessThan(rssMb());
    });
  });

  it('above its memory bound, hands freed memory back to the OS within a check; the allocator alone keeps it for seconds', async () => {
    const kept = await retainedAfterGroupBy(undefined);
    const before = rssMb();
    const purged = await retainedAfterGroupBy(0);
    // A bound above where the process will be: no purge, the memory stays as without any check.
    const under = await retainedAfterGroupBy((before + 2048) * 2 ** 20);
    // The statement really took memory, and without purges most of it is still resident 700 ms later.
    expect(kept.peak).toBeGreaterThan(200);
    expect(kept.retained).toBeGreaterThan(150);
    expect(under.retained).toBeGreaterThan(150);
    expect(purged.retained).toBeLessThan(80);
  });

  it('puts the engine on huge pages where the kernel allows them: a large statement faults in far fewer pages', () => {
    const mode = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
    expect(mode, 'this test needs transparent huge pages in madvise or always mode').not.toBe('never');
    const faults = (allocator: string | undefined) => {
      const env = { ...process.env };
      if (allocator === undefined) delete env.JE_MALLOC_CONF;
      else env.JE_MALLOC_CONF = allocator;
      const child = spawnSync(process.execPath, [CHILD, BIG_GROUP_BY], { env, encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(0);
      return Number(child.stdout.trim());
    };
    expect(process.env.JE_MALLOC_CONF).toBe(ENGINE_ALLOCATOR_CONF); // set by importing the store
    const ours = faults(undefined);
    const smallPages = faults('thp:never');
    // About 70 k faults on 4 KB pages for the statement's few hundred MB; on huge pages a few thousand.
    expect(smallPages).toBeGreaterThan(20_000);
    expect(ours).toBeLessThan(smallPages / 5);
  });
});
