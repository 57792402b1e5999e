import type { EncodedPacket } from './encoder.js';
import { createEncoder, type ExporterOptions, samplingRateOf } from './exporter.js';
import type { GenFlow } from './flows.js';

export interface GivenPacket extends EncodedPacket {
  /** Epoch ms the datagram was exported (whole seconds). */
  now: number;
  /** What its flow records (sFlow: flow samples) say, in order. */
  flows: GenFlow[];
}

/**
 * Puts given flows on the wire instead of the generator's (a test's own traffic): in the order they end, as
 * many per datagram as fit and at most `perPacket`, each datagram exported at the first whole second at
 * least one second after the last of its flows ends, as an exporter's active/inactive timeouts would.
 */
export function exportFlows(opts: ExporterOptions, flows: readonly GenFlow[], perPacket = 20): GivenPacket[] {
  if (flows.length === 0) return [];
  const sorted = [...flows].sort((a, b) => a.end - b.end);
  const first = sorted.reduce((m, f) => Math.min(m, f.start), Number.POSITIVE_INFINITY);
  const exportAt = (end: number): number => Math.ceil((end + 1000) / 1000) * 1000;
  const enc = createEncoder(
    { bootTime: first - 3_600_000, ...opts },
    { samplingRate: samplingRateOf(opts), now: exportAt(sorted[0].end) },
  );
  const out: GivenPacket[] = [];
  let i = 0;
  while (i < sorted.length) {
    const now = exportAt(sorted[Math.min(i + perPacket, sorted.length) - 1].end);
    enc.begin(now);
    const written: GenFlow[] = [];
    while (written.length < perPacket && i < sorted.length) {
      const w = enc.add(sorted[i]);
      if (!w) break;
      written.push(w);
      i++;
    }
    if (written.length === 0) throw new Error('a single flow does not fit in the datagram: raise mtu');
    out.push({ ...enc.finish(), now, flows: written });
  }
  return out;
}
