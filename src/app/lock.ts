import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The serve lock: `<data>/serve.lock` holds the pid and HTTP address of the running collector. The embedded
 * engine allows one process per data directory, so other commands (query, import, ...) read this file to
 * say "serve is running: use --via http://<addr> or stop it" instead of failing obscurely.
 */
export interface ServeLockInfo {
  pid: number;
  started: string;
  /** http://host:port of the running serve, when its HTTP port is on. */
  http: string | null;
}

export const LOCK_FILE = 'serve.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running serve that holds `dataDir`, or null (a stale lock of a dead process counts as none). */
export function readServeLock(dataDir: string): ServeLockInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as ServeLockInfo;
    return typeof info.pid === 'number' && info.pid !== process.pid && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** One sentence for commands that find the data directory held by serve. */
export function serveLockMessage(dataDir: string, info: ServeLockInfo): string {
  const queries = info.http
    ? `queries go through it (flowlens query finds ${info.http} by itself)`
    : 'to query it, start serve with an HTTP port (--http) and use flowlens query --via http://HOST:PORT';
  return `flowlens serve (pid ${info.pid}) is using ${dataDir} and the embedded store allows one process: stop serve first; ${queries}`;
}

export class ServeLock {
  private readonly path: string;
  private held = false;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, LOCK_FILE);
  }

  acquire(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const other = readServeLock(this.dataDir);
    if (other) throw new Error(`another flowlens serve (pid ${other.pid}) is using ${this.dataDir}`);
    this.write(null);
    this.held = true;
  }

  /** Records the HTTP address once it is known. */
  write(http: string | null): void {
    const info: ServeLockInfo = { pid: process.pid, started: new Date().toISOString(), http };
    writeFileSync(this.path, `${JSON.stringify(info)}\n`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
