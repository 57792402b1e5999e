import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../wire/pcap.js';
import { ByteWriter } from '../wire/writer.js';
import { detectProtocol } from './detect.js';
import { listCaptures, loadTruth } from './testing/corpus.js';

describe('detectProtocol', () => {
  it('agrees with tshark on every export PDU of the corpus, whatever the port', () => {
    const expected: Record<string, string> = { '5': 'netflow_v5', '9': 'netflow_v9', '10': 'ipfix' };
    let n = 0;
    for (const c of listCaptures()) {
      for (const suffix of ['tshark', 'netflow-v5-frames.tshark']) {
        const truth = loadTruth(c, suffix);
        if (!truth) continue;
        const frames = new Map<number, Uint8Array>();
        for (const p of readCapture(readFileSync(c.path)))
          if (p.transport === 'udp') frames.set(p.frame, p.payload);
        for (const pkt of truth.packets) {
          const want = pkt.protocol === 'sflow' ? 'sflow_v5' : expected[pkt.header?.['cflow.version'] ?? ''];
          expect(detectProtocol(frames.get(pkt.frame)!), `${c.name} frame ${pkt.frame}`).toBe(want);
          n++;
        }
      }
    }
    expect(n).toBe(2969);
  });

  it('rejects what is not an export header', () => {
    const v5 = (len: number, count: number) => {
      const w = new ByteWriter().u16(5).u16(count);
      return w.zeros(len - 4).finish();
    };
    expect(detectProtocol(new Uint8Array())).toBeNull();
    expect(detectProtocol(new Uint8Array([0, 5, 0]))).toBeNull();
    expect(detectProtocol(v5(20, 1))).toBeNull(); // shorter than the v5 header
    expect(detectProtocol(v5(24 + 48, 1))).toBe('netflow_v5');
    expect(detectProtocol(v5(24 + 20, 1))).toBe('netflow_v5'); // truncated, still v5 (decoder reports it)
    expect(detectProtocol(v5(24 + 20, 5000))).toBeNull(); // neither a record multiple nor a plausible count
    expect(detectProtocol(new ByteWriter().u16(10).u16(99).zeros(16).finish())).toBeNull(); // IPFIX length != 20
    expect(detectProtocol(new ByteWriter().u16(10).u16(20).zeros(16).finish())).toBe('ipfix');
    expect(detectProtocol(new ByteWriter().u32(5).u32(3).zeros(20).finish())).toBeNull(); // sFlow agent type 3
    expect(detectProtocol(new ByteWriter().u32(5).u32(2).zeros(40).finish())).toBe('sflow_v5');
    expect(detectProtocol(new ByteWriter().u16(9).zeros(18).finish())).toBe('netflow_v9');
    expect(detectProtocol(new ByteWriter().u16(7).zeros(100).finish())).toBeNull(); // v7: not decoded
  });
});
