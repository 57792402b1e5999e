import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { Spool } from './spool.js';

function rec(i: number): FlowRecord {
  const r = emptyRecord('ipfix', '192.0.2.1', 1_700_000_000_000 + i);
  r.bytes_total = i % 2 ? BigInt('18446744073709551615') : i;
  r.extended_fields = { sampling_source: 'none', raw: new Uint8Array([1, 2, i & 255]) };
  return r;
}

function drain(s: Spool): FlowRecord[][] {
  const out: FlowRecord[][] = [];
  for (let b = s.peek(); b; b = s.peek()) {
    out.push(b);
    s.ack();
  }
  return out;
}

describe('Spool', () => {
  it('replays batches in order with exact bigint counters and bytes, across segments and a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const s = new Spool({ dir, maxBytes: 10_000_000, fsync: 'every', segmentBytes: 2000 });
    s.open();
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 3 }, (_, i) => rec(b * 3 + i)));
    for (const b of batches) expect(s.append(b)).toBe(true);
    expect(readdirSync(dir).length).toBeGreaterThan(1); // rotated
    expect(s.batches).toBe(10);
    // Replay 4, then "crash" (no close) and reopen: the unreplayed ones remain and come back in order.
    const first: (FlowRecord[] | null)[] = [];
    for (let i = 0; i < 4; i++) {
      first.push(s.peek());
      s.ack();
    }
    expect(first[0]).toEqual(batches[0]);
    expect(first[3]).toEqual(batches[3]);
    const again = new Spool({ dir, maxBytes: 10_000_000, fsync: 'every', segmentBytes: 2000 });
    again.open();
    const rest = drain(again);
    // At-least-once: the batches of the segment in progress may come back, never fewer, always in order.
    expect(rest.slice(-6)).toEqual(batches.slice(4));
    expect(rest[rest.length - 1][0].bytes_total).toBe(18446744073709551615n);
    expect(again.empty).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a batch when full and ignores a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const s = new Spool({ dir, maxBytes: 3000, fsync: 'never' });
    s.open();
    let accepted = 0;
    while (s.append([rec(accepted)])) accepted++;
    expect(accepted).toBeGreaterThan(2);
    expect(s.bytes).toBeLessThanOrEqual(3000);
    s.close();
    appendFileSync(join(dir, readdirSync(dir)[0]), '[{"half":');
    const again = new Spool({ dir, maxBytes: 3000, fsync: 'never' });
    again.open();
    expect(again.torn).toBe(1);
    expect(drain(again).length).toBe(accepted);
  });

  it('interleaves appends and replays (live segment)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const s = new Spool({ dir, maxBytes: 1e7, fsync: 'interval' });
    s.open();
    s.append([rec(1)]);
    expect(s.peek()?.[0].received_at).toBe(rec(1).received_at);
    s.append([rec(2)]);
    s.ack();
    expect(s.peek()?.[0].received_at).toBe(rec(2).received_at);
    s.ack();
    expect(s.peek()).toBeNull();
    s.append([rec(3)]);
    expect(drain(s).map((b) => b[0].received_at)).toEqual([rec(3).received_at]);
  });

  it('keeps each batch id and its uncertain insert keys with the rows; reads lines from before batch ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const s = new Spool({ dir, maxBytes: 1e7, fsync: 'never' });
    s.open();
    s.append([rec(1)]); // a line as written before batch ids
    s.append([rec(2)], { id: 'b-2', uncertain: ['b-2:r0-1'] });
    const data = new Uint8Array([9, 8, 7]);
    s.appendEncoded({ format: 'f1', id: 'b-3', uncertain: [], data, rows: 1, starts: [5] });
    s.close();
    const again = new Spool({ dir, maxBytes: 1e7, fsync: 'never' });
    again.open();
    const out = [];
    for (let b = again.peekBatch(); b; b = again.peekBatch()) {
      out.push(b);
      again.ack();
    }
    expect(out).toEqual([
      { records: [rec(1)] },
      { id: 'b-2', uncertain: ['b-2:r0-1'], records: [rec(2)] },
      { id: 'b-3', uncertain: [], format: 'f1', rows: 1, starts: [5], data: Buffer.from(data) },
    ]);
  });
});
