/**
 * Robustness: every sFlow datagram of the corpus cut at every offset, and 200 seeded random mutations of
 * each, through decode + normalize. Nothing may throw; every outcome is samples and/or typed errors.
 */
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../core/errors.js';
import { decodeSflow } from '../decode/sflow/index.js';
import { capturePayloads, isSflow } from '../decode/sflow/testing/captures.js';
import { ExporterState } from '../decode/state.js';
import { listCaptures } from '../decode/testing/corpus.js';
import { normalizeSflowSample } from './sflow.js';

function corpusDatagrams(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of listCaptures()) {
    for (const p of capturePayloads(c.path)) {
      const b = p.payload;
      if (isSflow(b)) {
        out.push(b.slice());
      }
    }
  }
  return out;
}

/** Decode and normalize; returns [samples, errors]. Throws only if the decoder lets something escape. */
function run(bytes: Uint8Array, state: ExporterState): [number, number] {
  const dg = { bytes, exporter: '198.51.100.1', exporterPort: 6343, receivedAt: 0 };
  const out = decodeSflow(dg, state);
  for (const s of out.records) normalizeSflowSample(s, dg, {});
  for (const e of out.errors) if (!(e instanceof DecodeError)) throw new Error('untyped error');
  return [out.records.length, out.errors.length];
}

describe('sFlow v5 robustness', () => {
  const datagrams = corpusDatagrams();

  it('every corpus datagram cut at every offset', () => {
    expect(datagrams.length).toBeGreaterThanOrEqual(85);
    let cuts = 0;
    let withErrors = 0;
    let trailing = 0;
    const state = new ExporterState('198.51.100.1');
    for (const d of datagrams) {
      const [full] = run(d, state);
      for (let n = 0; n < d.length; n++) {
        const [samples, errors] = run(d.subarray(0, n), state);
        cuts++;
        if (errors > 0) withErrors++;
        else {
          // Without an error the cut only removed bytes after the last sample (goflow2's expanded-sample
          // vector is a 1500-byte buffer with 332 zero bytes after its samples): all samples still there.
          expect(samples).toBe(full);
          trailing++;
        }
      }
    }
    expect(withErrors + trailing).toBe(cuts);
    expect(trailing).toBe(332);
    console.log(
      `sFlow cuts: ${datagrams.length} datagrams, ${cuts} cuts, ${withErrors} typed errors, 0 throws`,
    );
  });

  it('200 random mutations of each corpus datagram', () => {
    let seed = 0x5eed;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let runs = 0;
    let samples = 0;
    let errors = 0;
    const state = new ExporterState('198.51.100.1');
    for (const d of datagrams) {
      for (let i = 0; i < 200; i++) {
        const m = d.slice();
        const edits = 1 + rnd(8);
        for (let e = 0; e < edits; e++) {
          const at = rnd(m.length);
          // Mostly byte noise; sometimes a length/count word set to an extreme.
          if (rnd(4) === 0 && at + 4 <= m.length) {
            const v = [0, 0xffffffff, 0x80000000, 0x7fffffff, 1, 3][rnd(6)];
            new DataView(m.buffer).setUint32(at & ~3, v);
          } else m[at] = rnd(256);
        }
        const [s, err] = run(m, state);
        runs++;
        samples += s;
        errors += err;
      }
    }
    expect(runs).toBe(datagrams.length * 200);
    console.log(
      `sFlow mutations: ${runs} runs, ${samples} samples decoded, ${errors} typed errors, 0 throws`,
    );
  });
});
