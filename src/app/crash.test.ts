/**
 * A crash loses nothing accepted: `flowlens serve` runs as a real process against a real PostgreSQL; the
 * database goes down, flows arrive and are spooled to disk, the process is killed with SIGKILL (no shutdown
 * code runs), the database comes back, and the next start replays the spool.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createExporter } from '../gen/index.js';
import { startTestPostgres } from '../storage/testing/postgres.js';
import { openStore } from './store.js';
import { sendAll, storedTotals, tempDir, udpSender } from './testing/harness.js';

const LAUNCHER = new URL('./testing/ts-cli.mjs', import.meta.url).pathname;
const children: ChildProcess[] = [];
/** A child killed by a signal has exitCode null too: it is running only while neither is set. */
const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
afterAll(() => {
  for (const c of children) if (running(c)) c.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const METRICS_TOKEN = 'crash-test-metrics-token';

async function metric(http: string, name: string): Promise<number> {
  const text = await (
    await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

async function until(cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('flowlens serve crash', () => {
  it('replays at the next start what it had spooled before a SIGKILL', async () => {
    const pgServer = await startTestPostgres();
    try {
      const data = tempDir();
      const [ipfix, nf, tcp, sflow, web] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
      const http = `http://127.0.0.1:${web}`;
      const serve = () => {
        const child = spawn(
          process.execPath,
          [
            LAUNCHER,
            'serve',
            '--data',
            data,
            '--store',
            pgServer.url,
            '--listen-ipfix',
            `127.0.0.1:${ipfix}`,
            '--listen-netflow',
            `127.0.0.1:${nf}`,
            '--listen-ipfix-tcp',
            `127.0.0.1:${tcp}`,
            '--listen-sflow',
            `127.0.0.1:${sflow}`,
            '--http',
            `127.0.0.1:${web}`,
            '--log-level',
            'silent',
          ],
          {
            stdio: 'ignore',
            env: {
              ...process.env,
              FLOWLENS_JOBS: 'false',
              FLOWLENS_METRICS_TOKEN: METRICS_TOKEN,
              FLOWLENS_BATCH_MAX_AGE_MS: '100',
              FLOWLENS_INSERT_TIMEOUT_MS: '2000',
            },
          },
        );
        children.push(child);
        return child;
      };
      const exp = createExporter({ protocol: 'ipfix', seed: 21, exporterId: 1 });
      let now = Date.now();
      const batch = (n: number) =>
        Array.from({ length: n }, () => {
          now += 5;
          return exp.nextPacket(now);
        });
      const sender = await udpSender('127.0.0.10');

      const first = serve();
      await until(async () => (await fetch(`${http}/readyz`)).ok);
      await sendAll(sender, ipfix, batch(20));
      await until(async () => (await metric(http, 'flowlens_flows_stored_total')) === exp.totals().flows);

      await pgServer.pause();
      await sendAll(sender, ipfix, batch(40));
      const accepted = exp.totals().flows;
      // Everything accepted after the outage began is in the spool (fsync'd per batch) before the kill.
      await until(
        async () =>
          (await metric(http, 'flowlens_flows_stored_total')) +
            (await metric(http, 'flowlens_flows_spooled_total')) ===
          accepted,
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));

      await pgServer.resume();
      serve();
      await until(async () => (await fetch(`${http}/readyz`)).ok);
      const store = await openStore({ store: pgServer.url });
      try {
        await until(async () => (await storedTotals(store)).ipfix?.flows === accepted);
        const sent = exp.totals();
        expect(await storedTotals(store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });
      } finally {
        await store.close();
        await sender.close();
      }
    } finally {
      const live = children.filter(running);
      for (const c of live) c.kill('SIGINT');
      await Promise.all(live.map((c) => new Promise((r) => c.once('exit', r))));
      await pgServer.stop();
    }
  });
});
