import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, readServeLock, ServeLock, serveLockMessage } from './lock.js';
import { tempDir } from './testing/harness.js';

describe('serve lock', () => {
  it('names the running serve and how to reach it; ignores stale locks', async () => {
    const dir = tempDir();
    // Another live process holds the lock (a child that just sleeps).
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(
        join(dir, LOCK_FILE),
        JSON.stringify({ pid: child.pid, started: new Date().toISOString(), http: 'http://127.0.0.1:8080' }),
      );
      const info = readServeLock(dir);
      expect(info?.pid).toBe(child.pid);
      expect(serveLockMessage(dir, info!)).toBe(
        `flowlens serve (pid ${child.pid}) is using ${dir} and the embedded store allows one process: ` +
          'stop serve first; queries go through it (flowlens query finds http://127.0.0.1:8080 by itself)',
      );
      expect(() => new ServeLock(dir).acquire()).toThrow(/another flowlens serve/);
    } finally {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    }
    expect(readServeLock(dir)).toBeNull(); // the holder died: stale
    const lock = new ServeLock(dir);
    lock.acquire();
    lock.release();
  });
});
