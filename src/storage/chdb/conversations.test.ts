/**
 * conversationTotals reads a busy span in disjoint shares of the groups (a hash of the key): any number
 * of shares gives the one-statement answer, every conversation once, with a limit too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS, WINDOW_MS } from '../../core/rules.js';
import type { ConversationTotalsRow } from '../port.js';
import { conversationTotals } from './conversations.js';
import type { Db } from './db.js';
import { type ChdbStore, openChdbStore } from './index.js';

const start = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;

/** 40 client/server pairs, some in every window, some in a few, flags varied (SYN-only rows among them). */
function flows(): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let w = 0; w < 12; w++)
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0 && w % 4 !== 0) continue;
      const t = start + w * WINDOW_MS + i * 1000;
      out.push({
        ...emptyRecord('ipfix', `192.0.2.${1 + (i % 2)}`, t),
        src_ip: `10.0.${i % 5}.${1 + i}`,
        dst_ip: `10.9.0.${1 + (i % 4)}`,
        src_port: 40000 + i,
        dst_port: [443, 5432, 53, 8080][i % 4],
        ip_protocol: i % 4 === 2 ? 17 : 6,
        tcp_flags: i % 7 === 0 ? 0x02 : 0x1b,
        bytes_total: 100 * (i + 1),
        packets_total: i + 1,
      });
    }
  return out;
}

const key = (r: ConversationTotalsRow) =>
  `${r.src_ip}|${r.dst_ip}|${r.src_port}|${r.dst_port}|${r.ip_protocol}`;
const ordered = (xs: ConversationTotalsRow[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : 1));

describe('chdb conversationTotals in parts', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-conv-'));
  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
    await store.insertFlows(flows());
    await store.aggregateWindows(start, start + HOUR_MS);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same conversations read whole or in shares of 7, 3 and 1 rows', async () => {
    const db = (store as unknown as { db: Db }).db;
    const whole = ordered((await store.conversationTotals(start, start + HOUR_MS)).rows);
    expect(whole.length).toBe(40);
    expect(whole.filter((r) => r.last_window > r.first_window).length).toBeGreaterThan(20);
    expect(whole.some((r) => r.syn_no_ack_rows > 0)).toBe(true);
    for (const perPart of [7, 3, 1])
      expect(
        ordered((await conversationTotals(db, start, start + HOUR_MS, { rowsPerPart: perPart })).rows),
      ).toEqual(whole);
  });

  it('gives the same heaviest conversations under a limit whole or in shares', async () => {
    const db = (store as unknown as { db: Db }).db;
    const limited = await store.conversationTotals(start, start + HOUR_MS, { limit: 11 });
    expect(limited.rows.length).toBe(11); // one direction per pair here
    expect(limited.leftOut).toBe(29);
    for (const perPart of [5, 2]) {
      const got = await conversationTotals(db, start, start + HOUR_MS, { limit: 11, rowsPerPart: perPart });
      expect(ordered(got.rows)).toEqual(ordered(limited.rows));
      expect([got.leftOut, got.leftOutBytes]).toEqual([limited.leftOut, limited.leftOutBytes]);
    }
  });
});
