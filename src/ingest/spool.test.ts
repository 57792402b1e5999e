import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { Spool, type SpooledEncoded } from './spool.js';

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

  it('round-trips plain and special records exactly while appends and replays interleave at random', () => {
    // Plain lines (no bigint, no bytes) go without the replacer/reviver, special ones with them; the reader
    // follows the live segment as it grows. Non-ASCII text and text that looks like an escape stay text.
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const make = (i: number): FlowRecord => {
      const r = emptyRecord('ipfix', i % 3 ? '192.0.2.1' : '2001:db8::1', 1_700_000_000_000 + i);
      r.bytes_total = rnd() < 0.1 ? 18_446_744_073_709_551_615n - BigInt(i) : i * 1000;
      r.extended_fields = {
        sampling_source: 'none',
        application_name: rnd() < 0.3 ? `naïve ☃ ${i}` : `app${i}`,
        note: rnd() < 0.1 ? '{"$n":"1"} is text' : null,
        nested: { list: [i, `x${i}`, rnd() < 0.1 ? new Uint8Array([i & 255, 0xff]) : 'none'] },
      };
      return r;
    };
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const s = new Spool({ dir, maxBytes: 1e8, fsync: 'never', segmentBytes: 4000 });
    s.open();
    const sent: FlowRecord[][] = [];
    const got: FlowRecord[][] = [];
    let n = 0;
    for (let step = 0; step < 400; step++) {
      if (rnd() < 0.55) {
        const b = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => make(n++));
        expect(s.append(b)).toBe(true);
        sent.push(b);
      } else {
        const b = s.peek();
        if (b) {
          got.push(b);
          s.ack();
        }
      }
    }
    got.push(...drain(s));
    expect(got).toEqual(sent);
    expect(got.flat().some((r) => typeof r.bytes_total === 'bigint')).toBe(true);
    expect(got.flat().some((r) => typeof r.bytes_total === 'number')).toBe(true);
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

  it('keeps encoded rows as bytes beside the lines: random chunked batches round trip across segments, a reopen and the bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const open = () => {
      const s = new Spool({ dir, maxBytes: 60_000, fsync: 'interval', segmentBytes: 8_000 });
      s.open();
      return s;
    };
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const want: { id: string; data: Buffer }[] = [];
    let s = open();
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const chunks = Array.from({ length: 1 + rand(3) }, () =>
        Uint8Array.from({ length: rand(3000) }, () => rand(256)),
      );
      const id = `e-${i}`;
      if (s.appendEncoded({ format: 'f', id, uncertain: [], data: chunks, rows: i, starts: [i] }))
        want.push({ id, data: Buffer.concat(chunks) });
      else refused++;
      if (i === 20) {
        // Half replayed, then a restart: the rest comes back from the files.
        for (let k = 0; k < 5; k++) {
          const b = s.peekBatch() as SpooledEncoded;
          expect([b.id, Buffer.from(b.data)]).toEqual([want[k].id, want[k].data]);
          s.ack();
        }
        want.splice(0, 5);
        s.close();
        s = open();
      }
    }
    expect(refused).toBeGreaterThan(0); // the bound counts the bytes, not only the lines
    expect(s.bytes).toBeLessThanOrEqual(60_000);
    const got: { id: string; data: Buffer }[] = [];
    for (let b = s.peekBatch(); b; b = s.peekBatch()) {
      got.push({ id: String(b.id), data: Buffer.from((b as SpooledEncoded).data) });
      s.ack();
    }
    expect(got).toEqual(want);
    s.close();
    expect(readdirSync(dir)).toEqual([]); // replayed segments go with their bytes
  });

  it('replays an encoded line of an older spool (bytes inline as base64)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-spool-'));
    const data = Buffer.from([1, 2, 3, 250]);
    const line = {
      $enc: 'f1',
      id: 'old-1',
      uncertain: [],
      rows: 2,
      starts: [9],
      b64: data.toString('base64'),
    };
    writeFileSync(join(dir, `seg-${'1'.padStart(20, '0')}.ndjson`), `${JSON.stringify(line)}\n`);
    const s = new Spool({ dir, maxBytes: 1e7, fsync: 'never' });
    s.open();
    expect(s.peekBatch()).toEqual({ id: 'old-1', uncertain: [], format: 'f1', rows: 2, starts: [9], data });
  });
});
