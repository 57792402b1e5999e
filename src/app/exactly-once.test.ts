/**
 * Exactly-once storage end to end (issue 8, observation 2): `serve` on the embedded store, fed IPFIX over
 * real UDP, with a store whose first inserts commit and then fail (the answer lost) or answer after the
 * insert timeout. The batches are spooled and replayed; the store still holds every flow once, and
 * flowlens_flows_stored_total equals what it holds. (writer-exactly-once.test.ts covers PostgreSQL.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/record.js';
import { createExporter } from '../gen/index.js';
import type { EncodedRows, FlowStore, InsertOptions, InsertResult } from '../storage/port.js';
import { type RunningServe, startServe } from './serve.js';
import {
  metricValue,
  portOf,
  sendAll,
  storedTotals,
  tempDir,
  testConfig,
  udpSender,
} from './testing/harness.js';

const TIMEOUT_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let running: RunningServe | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** The first `times` inserts store their rows, then throw (or answer after the insert timeout). */
function misbehaving(how: 'commit-then-throw' | 'late-answer', times: number) {
  return (store: FlowStore): FlowStore => {
    let left = times;
    const wrap = async (insert: () => Promise<InsertResult>): Promise<InsertResult> => {
      if (left <= 0) return insert();
      left--;
      const r = await insert();
      if (how === 'commit-then-throw') throw new Error('connection reset (test: committed, answer lost)');
      await sleep(TIMEOUT_MS * 2);
      return r;
    };
    return Object.assign(Object.create(store) as FlowStore, {
      insertFlows: (records: readonly FlowRecord[], options?: InsertOptions) =>
        wrap(() => store.insertFlows(records, options)),
      rowEncoding: store.rowEncoding && {
        ...store.rowEncoding,
        insertEncoded: (rows: EncodedRows, options?: InsertOptions) =>
          wrap(() => store.rowEncoding!.insertEncoded(rows, options)),
      },
    });
  };
}

describe('flowlens serve: exactly-once storage', () => {
  it.each(['commit-then-throw', 'late-answer'] as const)(
    'a store that %s: every flow sent is stored once and counted once',
    async (how) => {
      const serve = await startServe(testConfig(tempDir(), { 'batch.insertTimeoutMs': TIMEOUT_MS }), {
        wrapStore: misbehaving(how, 2),
      });
      running = serve;
      const exp = createExporter({ protocol: 'ipfix', seed: 21, exporterId: 1 });
      let now = Date.now();
      const sender = await udpSender('127.0.0.21');
      const port = portOf(serve, 'ipfix');
      for (let burst = 0; burst < 6; burst++) {
        const packets = Array.from({ length: 40 }, () => {
          now += 5;
          return exp.nextPacket(now);
        });
        await sendAll(sender, port, packets);
        await sleep(150); // > batch.maxAgeMs: one batch per burst
      }
      await sender.close();
      await serve.settle();
      const sent = exp.totals();
      expect(await storedTotals(serve.store)).toEqual({ ipfix: { flows: sent.flows, bytes: sent.bytes } });
      expect(await metricValue(serve.registry, 'flowlens_flows_stored_total')).toBe(sent.flows);
      expect(await metricValue(serve.registry, 'flowlens_flows_duplicate_total')).toBeGreaterThan(0);
      expect(await metricValue(serve.registry, 'flowlens_drops_total')).toBe(0);
    },
  );
});
