/**
 * Robustness: every NetFlow v9 / IPFIX datagram of the corpus cut at every offset, and 200 random byte
 * mutations of each, decoded against the exporter state the capture built up. The decoders must return
 * records and typed errors, never throw, and never hit an unexpected exception ('internal').
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../core/prng.js';
import { readCapture } from '../../wire/pcap.js';
import { decodeIpfix } from '../ipfix/index.js';
import { decodeNetflowV9 } from '../netflow9/index.js';
import type { ExporterState } from '../state.js';
import { listCaptures } from '../testing/corpus.js';
import type { Datagram, DecodeOutput } from '../types.js';
import { pendingCount } from './index.js';
import { PENDING_MAX_SETS } from './pending.js';
import { ExporterStates } from './testing.js';
import type { TemplateRecord } from './types.js';

function decode(d: Datagram, st: ExporterState): DecodeOutput<TemplateRecord> {
  return ((d.bytes[0] << 8) | d.bytes[1]) === 9 ? decodeNetflowV9(d, st) : decodeIpfix(d, st);
}

function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

interface Count {
  decodes: number;
  records: number;
  errors: number;
  internal: string[];
}

function check(out: DecodeOutput<TemplateRecord>, c: Count): void {
  c.decodes++;
  c.records += out.records.length;
  c.errors += out.errors.length;
  for (const e of out.errors) if (e.code === 'internal') c.internal.push(e.message);
}

const captures = listCaptures().filter((c) => !c.name.includes('sflow'));
const CHUNK = 25;
const totals: Count = { decodes: 0, records: 0, errors: 0, internal: [] };

describe('template decoders never throw on damaged input', () => {
  for (const cap of captures) {
    const dgs: Datagram[] = [];
    for (const p of readCapture(new Uint8Array(readFileSync(cap.path)))) {
      if (p.transport !== 'udp' || p.payload.length < 2) continue;
      const v = (p.payload[0] << 8) | p.payload[1];
      if (v === 9 || v === 10)
        dgs.push({ bytes: p.payload, exporter: p.src, exporterPort: p.srcPort, receivedAt: 0 });
    }
    if (dgs.length === 0) continue;
    // Chunks of datagrams per test keep each test short (vitest reports progress between tests); the
    // exporter state carries over from chunk to chunk as it would on the wire.
    const states = new ExporterStates();
    const random = rng(0x5eed ^ dgs.length);
    for (let from = 0; from < dgs.length; from += CHUNK) {
      const chunk = dgs.slice(from, from + CHUNK);
      it(`${cap.name}: datagrams ${from + 1}-${from + chunk.length} of ${dgs.length}, cut at every offset, mutated 200x`, () => {
        const c: Count = { decodes: 0, records: 0, errors: 0, internal: [] };
        expect(() => {
          for (const d of chunk) {
            const st = states.get(d.exporter);
            check(decode(d, st), c);
            for (let cut = 0; cut < d.bytes.length; cut++)
              check(decode({ ...d, bytes: d.bytes.subarray(0, cut) }, st), c);
            for (let m = 0; m < 200; m++) {
              const bytes = d.bytes.slice();
              const flips = 1 + Math.floor(random() * 4);
              for (let k = 0; k < flips; k++) {
                // Keep the version so the mutation reaches the sets, not just the header check.
                const at = 2 + Math.floor(random() * (bytes.length - 2));
                bytes[at] = Math.floor(random() * 256);
              }
              check(decode({ ...d, bytes }, st), c);
            }
          }
        }).not.toThrow();
        for (const s of states.all.values()) expect(pendingCount(s)).toBeLessThanOrEqual(PENDING_MAX_SETS);
        expect(c.internal).toEqual([]);
        totals.decodes += c.decodes;
        totals.records += c.records;
        totals.errors += c.errors;
      });
    }
  }
  it('totals', () => {
    console.log(
      `robustness: ${totals.decodes} decodes, ${totals.records} records, ${totals.errors} typed errors`,
    );
  });
});
