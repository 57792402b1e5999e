/**
 * Test support for the template protocols: NetFlow v9 / IPFIX datagrams of a capture file, and one
 * exporter state per exporter address. Lives in decode/ so tests in normalize/ need not import wire/
 * (.dependency-cruiser.cjs layering).
 */
import { readFileSync } from 'node:fs';
import { readCapture } from '../../wire/pcap.js';
import { ByteWriter } from '../../wire/writer.js';
import { ExporterState } from '../state.js';
import type { Datagram } from '../types.js';

/** The UDP datagrams of a capture whose payload starts with version 9 or 10, in capture order. */
export function templateDatagrams(path: string): (Datagram & { frame: number })[] {
  const out: (Datagram & { frame: number })[] = [];
  for (const p of readCapture(new Uint8Array(readFileSync(path)))) {
    if (p.transport !== 'udp' || p.payload.length < 2) continue;
    const v = (p.payload[0] << 8) | p.payload[1];
    if (v !== 9 && v !== 10) continue;
    out.push({
      frame: p.frame,
      bytes: p.payload,
      exporter: p.src,
      exporterPort: p.srcPort,
      receivedAt: Math.floor(p.timestamp),
    });
  }
  return out;
}

/** One ExporterState per exporter address, created on first use. */
export class ExporterStates {
  readonly all = new Map<string, ExporterState>();
  get(exporter: string): ExporterState {
    let s = this.all.get(exporter);
    if (!s) {
      s = new ExporterState(exporter);
      this.all.set(exporter, s);
    }
    return s;
  }
}

export type SetBody = (w: ByteWriter) => void;

/** A NetFlow v9 packet (RFC 3954 section 5.1 header) with FlowSets padded to 32 bits. */
export function v9Packet(
  flowsets: [id: number, body: SetBody][],
  h: { uptime: number; unixSecs: number; sequence?: number; sourceId?: number },
): Uint8Array {
  const w = new ByteWriter();
  w.u16(9)
    .u16(flowsets.length)
    .u32(h.uptime)
    .u32(h.unixSecs)
    .u32(h.sequence ?? 0)
    .u32(h.sourceId ?? 0);
  for (const [id, body] of flowsets) {
    const at = w.mark();
    w.u16(id).u16(0);
    body(w);
    while ((w.length - at) % 4) w.u8(0);
    w.patchU16(at + 2, w.length - at);
  }
  return w.finish();
}

/** An IPFIX message (RFC 7011 section 3.1 header), sets unpadded. */
export function ipfixMessage(
  sets: [id: number, body: SetBody][],
  h: { exportTime: number; sequence?: number; domain?: number },
): Uint8Array {
  const w = new ByteWriter();
  w.u16(10)
    .u16(0)
    .u32(h.exportTime)
    .u32(h.sequence ?? 0)
    .u32(h.domain ?? 0);
  for (const [id, body] of sets) {
    const at = w.mark();
    w.u16(id).u16(0);
    body(w);
    w.patchU16(at + 2, w.length - at);
  }
  w.patchU16(2, w.length);
  return w.finish();
}
