/**
 * Ingest before reads: chdb runs parameterized statements one at a time, so the store hands them over
 * itself, an insert ahead of every waiting read (db.ts Lane). On the real engine: reads queued behind a slow
 * one, then an ingest statement: the ingest statement runs next, not last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './db.js';
import { type ChdbStore, openChdbStore } from './index.js';

describe('chdb statement lanes', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-lanes-'));
  beforeAll(async () => {
    store = await openChdbStore({ dir });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a waiting ingest statement before the reads queued ahead of it', async () => {
    const db = (store as unknown as { db: Db }).db;
    const done: string[] = [];
    const statement = (name: string, seconds: number, lane: 'read' | 'ingest') =>
      db
        .rows('SELECT sleep({s:Float64}) AS z, {n:String} AS n', { s: seconds, n: name }, lane)
        .then(() => done.push(name));
    const all = [
      statement('read 1', 0.4, 'read'),
      statement('read 2', 0.1, 'read'),
      statement('read 3', 0.1, 'read'),
      statement('insert', 0, 'ingest'),
      statement('read 4', 0.1, 'read'),
    ];
    await Promise.all(all);
    expect(done).toEqual(['read 1', 'insert', 'read 2', 'read 3', 'read 4']);
  });

  it('keeps call order within a lane and passes failures to their caller only', async () => {
    const db = (store as unknown as { db: Db }).db;
    const done: string[] = [];
    const bad = db.rows('SELECT throwIf({x:UInt8} = 1)', { x: 1 });
    const good = [1, 2, 3].map((i) => db.rows('SELECT {i:UInt8} AS i', { i }).then(() => done.push(`r${i}`)));
    await expect(bad).rejects.toThrow();
    await Promise.all(good);
    expect(done).toEqual(['r1', 'r2', 'r3']);
  });
});
