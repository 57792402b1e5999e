import type { ProtocolType } from '../core/record.js';
import { type Datagram, type DomainStats, newDomainStats } from './types.js';

/**
 * Everything the decoders remember about one exporter address. Each protocol keeps its private state
 * (templates, sampling tables, pending data) in a named slot it creates on first use, so decoders stay
 * independent of each other; the session snapshots and restores the slots (decode/session.ts).
 * Each decode worker keeps its own (ingest spreads an exporter over the workers and sends every one of
 * them the datagrams that change this state: decode/state-carriers.ts).
 */
export class ExporterState {
  readonly stats = new Map<string, DomainStats>();
  readonly slots = new Map<string, unknown>();

  constructor(readonly exporter: string) {}

  /** The stats record of (protocol, domain), created on first use. */
  domain(protocol: ProtocolType, domain: number): DomainStats {
    const key = `${protocol}:${domain}`;
    let s = this.stats.get(key);
    if (!s) {
      s = newDomainStats(this.exporter, protocol, domain);
      this.stats.set(key, s);
    }
    return s;
  }

  /** The slot `name`, created with `init` on first use. */
  slot<T>(name: string, init: () => T): T {
    let v = this.slots.get(name) as T | undefined;
    if (v === undefined) {
      v = init();
      this.slots.set(name, v);
    }
    return v;
  }
}

/**
 * Sequence accounting shared by all protocols: `expected` is where the previous datagram said the next
 * would start. A forward jump counts as loss; a backward one (restart, reorder) is a reset, never negative
 * loss. Gaps beyond `maxGap` are treated as resets too (an exporter restart is not 2^31 lost flows).
 */
export function trackSequence(
  s: DomainStats,
  sequence: number,
  advance: number,
  maxGap = 1_000_000_000,
): void {
  if (s.lastSequence !== null) {
    const gap = (sequence - s.lastSequence) >>> 0; // modulo 2^32
    if (gap !== 0) {
      if (gap < maxGap) s.sequenceLost += gap;
      else s.sequenceResets++;
    }
  }
  s.lastSequence = (sequence + advance) >>> 0;
}

/**
 * A datagram's sequence number: checked now (trackSequence), noted for a merged check when the datagram
 * asks for it (dg.sequences), ignored on a copy (another worker notes it). `forget`: the datagram hid how
 * many units it carried, so the next one is not checked against it.
 */
export function noteSequence(
  dg: Datagram,
  s: DomainStats,
  note: { sequence: number; advance: number; forget?: boolean },
): void {
  if (dg.copy) return;
  const forget = note.forget ?? false;
  if (dg.sequences) {
    const { exporter, protocol, domain } = s;
    dg.sequences.push({ exporter, protocol, domain, sequence: note.sequence, advance: note.advance, forget });
    return;
  }
  checkSequence(s, { sequence: note.sequence, advance: note.advance, forget });
}

/** trackSequence of one noted datagram, here or where the notes of several workers are merged. */
export function checkSequence(
  s: DomainStats,
  note: { sequence: number; advance: number; forget: boolean },
): void {
  trackSequence(s, note.sequence, note.advance);
  if (note.forget) s.lastSequence = null;
}
