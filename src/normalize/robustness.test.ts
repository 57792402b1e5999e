/**
 * Bad bytes never crash anything (DESIGN.md "Decoding rules"): every datagram of every corpus capture is
 * fed through FlowDecoder cut at every offset and with random mutations (seeded), the capture files
 * themselves are cut and damaged for the capture reader, and IPFIX/v9 streams are fed damaged over TCP.
 * Every outcome must be records or typed DecodeErrors with a known code; never an exception, never
 * 'internal' (an exception caught at a decoder boundary). The totals are printed for the closing note.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, type DecodeErrorCode } from '../core/errors.js';
import { toJsonRecord } from '../core/json.js';
import { Prng } from '../core/prng.js';
import { type CapturedPayload, capturePayloads, readCaptureForTest } from '../decode/testing/captures.js';
import { listCaptures } from '../decode/testing/corpus.js';
import type { Datagram } from '../decode/types.js';
import { FlowDecoder } from './flow-decoder.js';

const KNOWN: ReadonlySet<DecodeErrorCode> = new Set<DecodeErrorCode>([
  'truncated',
  'bad_version',
  'bad_length',
  'bad_count',
  'bad_template',
  'bad_set_id',
  'unknown_protocol',
  'unsupported',
  'bad_address',
  'bad_value',
  'internal',
]);
/** Random mutations per datagram: sized so the whole file runs well under 60 s on 2 shared cores. */
const MUTATIONS_PER_DATAGRAM = 24;
const FILE_DAMAGES_PER_CAPTURE = 40;

function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

/** Flip bytes: random values, 0x00/0xff extremes (lengths, counts), at 1-4 places. */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = src.slice();
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = Math.floor(rnd() * b.length);
    const r = rnd();
    b[at] = r < 0.25 ? 0 : r < 0.5 ? 0xff : Math.floor(rnd() * 256);
  }
  return b;
}

interface Totals {
  captures: number;
  datagrams: number;
  cuts: number;
  mutations: number;
  streamChunks: number;
  fileDamages: number;
  framesRead: number;
  records: number;
  errors: Partial<Record<DecodeErrorCode, number>>;
  /** Distinct failure kinds (capture + what went wrong) with a count and the first example. */
  failures: Map<string, { count: number; example: string }>;
}

const totals: Totals = {
  captures: 0,
  datagrams: 0,
  cuts: 0,
  mutations: 0,
  streamChunks: 0,
  fileDamages: 0,
  framesRead: 0,
  records: 0,
  errors: {},
  failures: new Map(),
};

function fail(what: string, kind: string, detail: string): void {
  const key = `${what.split(' ')[0]}: ${kind}`;
  const f = totals.failures.get(key);
  if (f) f.count++;
  else totals.failures.set(key, { count: 1, example: `${what}: ${detail}` });
}

/** Decode and check: no throw, only DecodeErrors with known codes, records serializable. */
function check(what: string, fn: () => { records: unknown[]; errors: unknown[] }, serialize = false): void {
  let out: { records: unknown[]; errors: unknown[] };
  try {
    out = fn();
  } catch (err) {
    fail(what, `threw ${(err as Error).message}`, String((err as Error).stack ?? err));
    return;
  }
  totals.records += out.records.length;
  for (const e of out.errors) {
    if (!(e instanceof DecodeError) || !KNOWN.has(e.code)) {
      fail(what, 'not a typed DecodeError', String(e));
      continue;
    }
    totals.errors[e.code] = (totals.errors[e.code] ?? 0) + 1;
    if (e.code === 'internal') fail(what, `internal ${e.message}`, JSON.stringify(e.context));
  }
  if (serialize) {
    try {
      for (const r of out.records) JSON.stringify(toJsonRecord(r as never));
    } catch (err) {
      fail(what, `record not serializable ${err}`, String(err));
    }
  }
}

const captures = listCaptures();

describe('robustness: every corpus capture, cut and mutated, through FlowDecoder', () => {
  it('never throws, only typed errors', { timeout: 240_000 }, () => {
    const started = performance.now();
    let seed = 1;
    for (const c of captures) {
      totals.captures++;
      const file = readFileSync(c.path);
      const payloads: CapturedPayload[] = capturePayloads(file);
      // includeAll: options data and counter samples go through their normalizers too.
      const d = new FlowDecoder({ includeAll: true });
      const rnd = prng(seed++);
      for (const p of payloads) {
        if (p.transport !== 'udp') continue;
        totals.datagrams++;
        const dg: Datagram = {
          bytes: p.payload,
          exporter: p.src,
          exporterPort: p.srcPort,
          receivedAt: p.timestamp,
        };
        const where = `${c.name} frame ${p.frame}`;
        // The whole datagram first, so the templates it defines are known when its cuts are decoded.
        check(where, () => d.decode(dg), true);
        // IPFIX is only recognised when its length field equals the datagram length (RFC 7011 section 3.1),
        // so a plain cut would stop at detection; the cut copy gets its length patched to reach the set parser.
        const ipfix = p.payload.length >= 4 && p.payload[0] === 0 && p.payload[1] === 10;
        for (let i = 0; i < p.payload.length; i++) {
          totals.cuts++;
          let bytes = p.payload.subarray(0, i);
          if (ipfix && i >= 4) {
            bytes = bytes.slice();
            bytes[2] = i >> 8;
            bytes[3] = i & 255;
          }
          check(`${where} cut at ${i}`, () => d.decode({ ...dg, bytes }));
        }
        for (let m = 0; m < MUTATIONS_PER_DATAGRAM; m++) {
          totals.mutations++;
          const bytes = mutate(p.payload, rnd);
          // Half of the IPFIX mutations keep a consistent length so they reach the decoder.
          if (ipfix && m % 2 === 0) {
            bytes[0] = 0;
            bytes[1] = 10;
            bytes[2] = bytes.length >> 8;
            bytes[3] = bytes.length & 255;
          }
          check(`${where} mutation ${m}`, () => d.decode({ ...dg, bytes }), true);
        }
        // Restore the good templates a mutation may have replaced.
        check(where, () => d.decode(dg));
      }
      // The same datagrams as a damaged TCP stream (IPFIX / v9 framing), cut into random chunks.
      const udp = payloads.filter((p) => p.transport === 'udp' && p.payload.length > 1);
      if (udp.length && (udp[0].payload[1] === 9 || udp[0].payload[1] === 10) && udp[0].payload[0] === 0) {
        const conn = { id: c.name, exporter: udp[0].src, exporterPort: udp[0].srcPort };
        for (const p of udp) {
          const bytes = rnd() < 0.3 ? mutate(p.payload, rnd) : p.payload;
          for (let i = 0; i < bytes.length; ) {
            const n = 1 + Math.floor(rnd() * 600);
            const chunk = bytes.subarray(i, i + n);
            totals.streamChunks++;
            check(`${c.name} stream`, () => d.decodeStream(conn, chunk, 0));
            i += n;
          }
        }
        d.closeStream(conn.id);
      }
      // The capture file itself, cut short and damaged: the reader ends with a DecodeError, never worse.
      for (let k = 0; k < FILE_DAMAGES_PER_CAPTURE; k++) {
        totals.fileDamages++;
        const damaged = k % 2 === 0 ? file.subarray(0, Math.floor(rnd() * file.length)) : mutate(file, rnd);
        check(`${c.name} file damage ${k}`, () => {
          const errors: DecodeError[] = [];
          // Read to the end: what matters is that the reader never throws.
          for (const _p of readCaptureForTest(damaged, (e) => errors.push(e))) totals.framesRead++;
          return { records: [], errors };
        });
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const byCode = Object.entries(totals.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `robustness: ${totals.captures} captures, ${totals.datagrams} datagrams, ${totals.cuts} cuts, ` +
        `${totals.mutations} mutations, ${totals.streamChunks} TCP stream chunks, ${totals.fileDamages} damaged ` +
        `files in ${seconds} s; ${totals.records} records; errors by code: ${byCode}; failure kinds: ${totals.failures.size}`,
    );
    expect(Object.fromEntries(totals.failures)).toEqual({});
    expect(totals.datagrams).toBeGreaterThanOrEqual(2969);
    expect(totals.cuts).toBeGreaterThan(900_000);
  });
});
