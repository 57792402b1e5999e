/**
 * What spreading one exporter over the decode workers (pool.ts) needs on the receive thread: the sequence
 * check in arrival order, and one view of the exporters' stats and health merged from every worker.
 */
import type { ExporterHealth } from '../core/exporter-health.js';
import { checkSequence } from '../decode/state.js';
import { type DomainStats, newDomainStats, type SequenceNote } from '../decode/types.js';

const keyOf = (exporter: string, protocol: string, domain: number) => `${exporter}|${protocol}|${domain}`;

/**
 * Each worker sees only some of an exporter's datagrams, so the workers note sequence numbers
 * (Datagram.sequences) and this checks them in the order the datagrams arrived, as one worker would have
 * (checkSequence). Every spread datagram takes a ticket on arrival and is settled once decoded (or lost).
 */
export class SequenceMerge {
  private issued = 0;
  private next = 0;
  private readonly settled = new Map<number, readonly SequenceNote[]>();
  private readonly domains = new Map<string, DomainStats>();

  /** The next arrival's ticket. */
  ticket(): number {
    return this.issued++;
  }

  /**
   * Datagram `tickets[i]` noted `notes[i]` (none when it was lost; a negative ticket is a copy's, nothing
   * to settle); checks every note that is now next in arrival order.
   */
  settle(tickets: ArrayLike<number>, notes?: readonly (readonly SequenceNote[])[]): void {
    for (let i = 0; i < tickets.length; i++)
      if (tickets[i] >= 0) this.settled.set(tickets[i], notes?.[i] ?? []);
    let n = this.settled.get(this.next);
    while (n !== undefined) {
      this.settled.delete(this.next);
      for (const note of n) this.check(note);
      this.next++;
      n = this.settled.get(this.next);
    }
  }

  /**
   * The sequence figures checked here for (exporter, protocol, domain), if any. The workers' own figures
   * for it are of datagrams not spread (TCP streams) and add up with these.
   */
  of(exporter: string, protocol: string, domain: number): DomainStats | undefined {
    return this.domains.get(keyOf(exporter, protocol, domain));
  }

  private check(note: SequenceNote): void {
    const key = keyOf(note.exporter, note.protocol, note.domain);
    let s = this.domains.get(key);
    if (!s) {
      s = newDomainStats(note.exporter, note.protocol, note.domain);
      this.domains.set(key, s);
    }
    checkSequence(s, note);
  }
}

/**
 * Every worker's stats of one (exporter, protocol, domain) as one: counts add up (with the merged sequence
 * check's), templates are every worker's.
 */
export function mergeDomains(
  parts: readonly (readonly DomainStats[])[],
  merged: SequenceMerge,
): DomainStats[] {
  const out = new Map<string, DomainStats>();
  for (const part of parts) {
    for (const d of part) {
      const key = keyOf(d.exporter, d.protocol, d.domain);
      const m = out.get(key);
      if (!m) {
        out.set(key, { ...d, errors: { ...d.errors } });
        continue;
      }
      m.datagrams += d.datagrams;
      m.records += d.records;
      m.sequenceLost += d.sequenceLost;
      m.sequenceResets += d.sequenceResets;
      m.templates = Math.max(m.templates, d.templates);
      m.optionsTemplates = Math.max(m.optionsTemplates, d.optionsTemplates);
      for (const [code, n] of Object.entries(d.errors)) {
        const c = code as keyof DomainStats['errors'];
        m.errors[c] = (m.errors[c] ?? 0) + (n ?? 0);
      }
    }
  }
  const domains = [...out.values()];
  for (const d of domains) {
    const s = merged.of(d.exporter, d.protocol, d.domain);
    if (!s) continue;
    d.sequenceLost += s.sequenceLost;
    d.sequenceResets += s.sequenceResets;
    d.lastSequence = s.lastSequence ?? d.lastSequence;
  }
  return domains;
}

/** What a worker reports (FlowDecoder.exporterHealth and unmatchedHealth). */
export interface WorkerHealth {
  health: ExporterHealth[];
  unmatched: ExporterHealth[];
}

/**
 * Every worker's health of one (exporter, protocol, domain) as one, as one decoder that saw all would
 * report it: a row per domain some worker has stats for, with the flows any worker saw under it, and the
 * sequence figures of the merged check.
 */
export function mergeHealth(parts: readonly WorkerHealth[], merged: SequenceMerge): ExporterHealth[] {
  const out = new Map<string, ExporterHealth>();
  const keyOfHealth = (h: ExporterHealth) => keyOf(h.exporter, h.protocol, h.observationDomain);
  for (const part of parts) {
    for (const h of part.health) {
      const m = out.get(keyOfHealth(h));
      if (m) add(m, h);
      else out.set(keyOfHealth(h), copyOf(h));
    }
  }
  for (const part of parts) {
    for (const h of part.unmatched) {
      const m = out.get(keyOfHealth(h));
      if (m) add(m, h);
    }
  }
  const health = [...out.values()];
  for (const h of health) {
    const s = merged.of(h.exporter, h.protocol, h.observationDomain);
    if (!s) continue;
    h.sequence.lost += s.sequenceLost;
    h.sequence.resets += s.sequenceResets;
  }
  return health;
}

function copyOf(h: ExporterHealth): ExporterHealth {
  return { ...h, sequence: { ...h.sequence }, sampling: h.sampling.map((s) => ({ ...s })) };
}

function add(m: ExporterHealth, h: ExporterHealth): void {
  m.flowsPerSecond += h.flowsPerSecond;
  m.flows += h.flows;
  if (h.lastSeen !== null && (m.lastSeen === null || h.lastSeen > m.lastSeen)) m.lastSeen = h.lastSeen;
  m.sequence.received += h.sequence.received;
  m.sequence.lost += h.sequence.lost;
  m.sequence.resets += h.sequence.resets;
  m.decodeErrors += h.decodeErrors;
  if (h.templates.length > m.templates.length) m.templates = h.templates;
  for (const s of h.sampling) {
    const same = m.sampling.find((x) => x.rate === s.rate && x.source === s.source);
    if (same) same.flows += s.flows;
    else m.sampling.push({ ...s });
  }
}
