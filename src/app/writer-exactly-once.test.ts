/**
 * Exactly-once storage through the writer (issue 8, observation 2): stores whose insert COMMITS and then
 * fails (the answer lost, or later than the insert timeout, or the insert starting only after the writer
 * gave up on it) make the writer spool the batch and replay it. Afterwards the store holds every flow
 * once and flowlens_flows_stored_total equals what it holds. Real stores: the embedded engine and
 * PostgreSQL (so the test lives in src/app, the one folder that may import concrete stores). Before batch
 * ids, each such replay stored the batch again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { HOUR_MS } from '../core/rules.js';
import { type Batch, newBatchId } from '../ingest/batcher.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createRing, RegionLease, RingReader, RingWriter } from '../ingest/row-ring.js';
import { Spool } from '../ingest/spool.js';
import { StoreWriter } from '../ingest/writer.js';
import { openChdbStore } from '../storage/chdb/index.js';
import { createRowEncoder } from '../storage/chdb/row-encoder.js';
import type { EncodedRows, FlowStore, InsertOptions, InsertResult } from '../storage/port.js';
import { PostgresFlowStore } from '../storage/postgres/store.js';
import { createTestDatabase } from '../storage/testing/postgres.js';

const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
let serial = 0;

/** n distinct flows (some of them identical to each other: legal, and stored as many times as sent). */
function flows(n: number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const k = serial++;
    return {
      ...emptyRecord('ipfix', '192.0.2.1', hourNow - (k % 2) * HOUR_MS + (k % 1000)),
      src_ip: i % 10 === 0 ? '10.0.0.1' : `10.1.${(k >> 8) & 255}.${k & 255}`,
      dst_ip: '10.9.9.9',
      bytes_total: i % 10 === 0 ? 1 : 100 + k,
      packets_total: 1,
    };
  });
}

type Misbehaviour = 'commit-then-throw' | 'late-answer' | 'late-start';

/**
 * The store, misbehaving on the first `times` inserts: 'commit-then-throw' stores, then throws as a lost
 * answer would; 'late-answer' stores, then answers after the writer's insert timeout; 'late-start' begins
 * storing only after the timeout (the writer's replay may run before or alongside it).
 */
function misbehaving(store: FlowStore, how: Misbehaviour, times: number): FlowStore {
  let left = times;
  const wrap = (insert: () => Promise<InsertResult>): Promise<InsertResult> => {
    if (left <= 0) return insert();
    left--;
    if (how === 'late-start') return sleep(TIMEOUT_MS * 1.5).then(insert);
    return insert().then(async (r) => {
      if (how === 'commit-then-throw') throw new Error('connection reset (test: committed, answer lost)');
      await sleep(TIMEOUT_MS * 2);
      return r;
    });
  };
  return Object.assign(Object.create(store) as FlowStore, {
    insertFlows: (records: readonly FlowRecord[], options?: { batchId?: string }) =>
      wrap(() => store.insertFlows(records, options)),
    rowEncoding: store.rowEncoding && {
      ...store.rowEncoding,
      insertEncoded: (rows: EncodedRows, options?: InsertOptions) =>
        wrap(() => store.rowEncoding!.insertEncoded(rows, options)),
    },
  });
}

async function storedRows(store: FlowStore): Promise<number> {
  const r = await store.query({
    kind: 'top',
    by: ['protocol_type'],
    metric: 'flows',
    from: 0,
    to: 4_102_444_800_000,
    limit: 10,
    tier: 'raw',
  });
  return r.rows.reduce((n, row) => n + Number(row.flows), 0);
}

function newWriter(store: FlowStore, spoolDir: string) {
  const registry = new Registry();
  const metrics = createIngestMetrics(registry);
  const spool = new Spool({ dir: spoolDir, maxBytes: 1e9, fsync: 'never' });
  spool.open();
  const writer = new StoreWriter({
    store,
    spool,
    metrics,
    log: pino({ level: 'silent' }),
    insertTimeoutMs: TIMEOUT_MS,
    backoffMs: 50,
    maxBackoffMs: 200,
  });
  writer.start();
  const counter = async (name: 'storedFlows' | 'duplicateFlows') =>
    (await metrics[name].get()).values.reduce((n, v) => n + v.value, 0);
  return { writer, counter };
}

/** Encoded rows as the decode workers send them (several chunks per batch). */
function encodedBatch(records: FlowRecord[]): Batch {
  const enc = createRowEncoder();
  const encoded = [];
  for (let i = 0; i < records.length; i += 700) {
    enc.add(records.slice(i, i + 700));
    const { data, rows } = enc.take();
    encoded.push({ data, rows, starts: [] });
  }
  return { id: newBatchId(), records: [], encoded, encodedRows: records.length };
}

interface Backend {
  name: string;
  /** One store per backend (one chdb data directory per process), emptied before each test. */
  open: () => Promise<{ store: FlowStore; empty: () => Promise<void> }>;
  encoded: boolean;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flowlens-writer-'));
  cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
  return d;
}

const backends: Backend[] = [
  {
    name: 'chdb',
    encoded: true,
    open: async () => {
      const store = await openChdbStore({ dir: tempDir() });
      await store.migrate();
      cleanups.push(() => store.close());
      const empty = async () => {
        await store.exec('TRUNCATE TABLE flow_records');
        await store.exec('TRUNCATE TABLE ingest_batches');
      };
      return { store, empty };
    },
  },
  {
    name: 'postgres',
    encoded: false,
    open: async () => {
      const db = await createTestDatabase();
      const store = new PostgresFlowStore({ url: db.url });
      await store.migrate();
      cleanups.push(async () => {
        await store.close();
        await db.drop();
      });
      const empty = async () => {
        await store.pool.query('TRUNCATE flow_records, ingest_batches');
      };
      return { store, empty };
    },
  },
];

/** One store per backend for the whole file (one chdb data directory per process). */
const opened = new Map<string, ReturnType<Backend['open']>>();
function openOnce(backend: Backend): ReturnType<Backend['open']> {
  let o = opened.get(backend.name);
  if (!o) {
    o = backend.open();
    opened.set(backend.name, o);
  }
  return o;
}

describe.each(backends)('exactly-once through the writer: $name', (backend) => {
  let real: FlowStore;
  let empty: () => Promise<void>;
  beforeAll(async () => {
    ({ store: real, empty } = await openOnce(backend));
  });
  beforeEach(() => empty());

  const misbehaviours: Misbehaviour[] = ['commit-then-throw', 'late-answer', 'late-start'];
  it.each(misbehaviours)(
    'a store that %s: every flow stored once, the counter equals the rows',
    async (how) => {
      const { writer, counter } = newWriter(misbehaving(real, how, 2), tempDir());
      let sent = 0;
      for (let b = 0; b < 6; b++) {
        const records = flows(1500);
        sent += records.length;
        if (backend.encoded && b % 2) writer.writeBatch(encodedBatch(records));
        else writer.write(records);
        await sleep(20);
      }
      await writer.idle();
      if (how === 'late-start') await sleep(TIMEOUT_MS * 2); // the abandoned inserts have run by now
      expect(await storedRows(real)).toBe(sent);
      expect(await counter('storedFlows')).toBe(sent);
      expect(await counter('duplicateFlows')).toBeGreaterThan(0);
      await writer.stop();
    },
  );

  it('says since when it is behind while batches wait in the spool, and null once replayed', async () => {
    const { writer } = newWriter(misbehaving(real, 'commit-then-throw', 1), tempDir());
    expect(writer.behindSince()).toBeNull();
    const t0 = Date.now();
    writer.write(flows(500));
    while (writer.behindSince() === null) await sleep(5); // the failed insert spooled it
    const since = writer.behindSince() ?? 0;
    expect(since).toBeGreaterThanOrEqual(t0 - TIMEOUT_MS);
    expect(since).toBeLessThanOrEqual(Date.now() - TIMEOUT_MS);
    writer.write(flows(500)); // queued behind the spool: the same backlog
    expect(writer.behindSince()).toBe(since);
    await writer.idle();
    expect(writer.behindSince()).toBeNull();
    await writer.stop();
  });

  it('a batch whose insert committed unanswered before a stop is counted once by the next process', async () => {
    const spoolDir = tempDir();
    const first = newWriter(misbehaving(real, 'commit-then-throw', 1_000_000), spoolDir);
    const records = flows(2000);
    first.writer.write(records.slice(0, 1000));
    await sleep(TIMEOUT_MS); // the first batch is stored, its answer lost: spooled, then replays fail
    first.writer.write(records.slice(1000));
    await first.writer.stop();
    expect(await first.counter('storedFlows')).toBe(0);
    const second = newWriter(real, spoolDir);
    await second.writer.idle();
    expect(await storedRows(real)).toBe(2000);
    expect(await second.counter('storedFlows')).toBe(2000);
    expect(await second.counter('duplicateFlows')).toBe(1000);
    await second.writer.stop();
  });
});

/**
 * Encoded rows in a worker's ring (ingest/row-ring.ts), as the pool hands them over. Freeing a region
 * scribbles over it at once, as the worker reusing it may.
 */
function ringBatch(records: FlowRecord[]): { batch: Batch; pristine: Map<Uint8Array, Uint8Array> } {
  const plain = encodedBatch(records);
  const total = plain.encoded.reduce((n, c) => n + c.data.length, 0);
  const mem = createRing(total);
  const writer = new RingWriter(mem);
  const reader = new RingReader(mem);
  const pristine = new Map<Uint8Array, Uint8Array>();
  const encoded = plain.encoded.map((c) => {
    const region = writer.put(c.data)!;
    const data = new Uint8Array(mem.data, region.start, c.data.length);
    const release = reader.claim(region);
    pristine.set(data, c.data.slice());
    const lease = new RegionLease(() => {
      release();
      data.fill(0xff);
    });
    return { ...c, data, lease };
  });
  return { batch: { ...plain, encoded }, pristine };
}

describe('encoded rows in a worker ring: embedded store', () => {
  it('are freed only after an insert the writer gave up on has read them', async () => {
    const { store: real, empty } = await openOnce(backends[0]);
    await empty();
    const records = flows(3000);
    const { batch, pristine } = ringBatch(records);
    const intact: boolean[] = [];
    let first = true;
    // Every insert (the abandoned late one and the spool's replay) checks the bytes it is handed.
    const checking = Object.assign(Object.create(real) as FlowStore, {
      rowEncoding: {
        ...real.rowEncoding!,
        insertEncoded: async (rows: EncodedRows, options?: InsertOptions) => {
          if (first) await sleep(TIMEOUT_MS * 1.5); // starts after the writer spooled the batch
          first = false;
          intact.push(rows.chunks.every((c) => !pristine.has(c) || Buffer.from(c).equals(pristine.get(c)!)));
          return real.rowEncoding!.insertEncoded(rows, options);
        },
      },
    });
    const { writer, counter } = newWriter(checking, tempDir());
    writer.writeBatch(batch);
    await writer.idle();
    await sleep(TIMEOUT_MS * 3); // the abandoned insert has run by now
    expect(intact.length).toBeGreaterThanOrEqual(2);
    expect(intact.every(Boolean)).toBe(true);
    // Freed in the end: scribbled over.
    for (const data of pristine.keys()) expect(data.every((b) => b === 0xff)).toBe(true);
    expect(await storedRows(real)).toBe(records.length);
    expect(await counter('storedFlows')).toBe(records.length);
    await writer.stop();
  });
});
