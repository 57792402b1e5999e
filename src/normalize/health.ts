/**
 * Exporter health as the collector sees it, per (exporter, protocol, observation domain): what the decode
 * session counts (datagrams, records, sequence loss, decode errors, templates) plus what only the
 * normalized records tell (flows per second over the last minute, the sampling rates applied and where
 * each came from, last seen). Computed in each decode worker, merged by the pool
 * (ingest/spread.ts); GET /api/v1/exporters.
 */
import type { ExporterHealth } from '../core/exporter-health.js';
import { type FlowRecord, isFlow, type ProtocolType } from '../core/record.js';

export type { ExporterHealth };

import type { DecodeSession } from '../decode/session.js';
import { type TemplateSlot, templateKey } from '../decode/template/state.js';
import { type DomainStats, newDomainStats } from '../decode/types.js';

const WINDOW_S = 60;

interface Track {
  firstSeen: number;
  lastSeen: number;
  flows: number;
  /** Flows per second of the last WINDOW_S seconds, as a ring indexed by the epoch second. */
  ring: Float64Array;
  ringSecond: number;
  /** `${rate}|${source}` -> flows. */
  sampling: Map<string, number>;
}

/** The decode session's domain: v5 counts per engine type << 8 | engine id, its records carry the id. */
const domainOf = (protocol: ProtocolType, d: number) => (protocol === 'netflow_v5' ? d & 0xff : d);
const keyOf = (exporter: string, protocol: ProtocolType, domain: number) =>
  `${exporter}|${protocol}|${domainOf(protocol, domain)}`;

export class HealthTracker {
  private readonly tracks = new Map<string, Track>();

  /**
   * Counts a datagram's flow records. On the decode hot path: the track and the sampling key are looked up
   * again only when they change from one record to the next (a datagram's records share them as a rule).
   */
  observe(records: readonly FlowRecord[], receivedAt: number): void {
    const second = Math.floor(receivedAt / 1000);
    let t: Track | undefined;
    let of: FlowRecord | undefined;
    let sk = '';
    let rate = Number.NaN;
    let source: unknown;
    for (const r of records) {
      if (!isFlow(r)) continue;
      if (
        !t ||
        r.exporter_ip !== of!.exporter_ip ||
        r.protocol_type !== of!.protocol_type ||
        r.exporter_id !== of!.exporter_id
      ) {
        t = this.track(keyOf(r.exporter_ip, r.protocol_type, r.exporter_id ?? 0), receivedAt, second);
        of = r;
        sk = '';
      }
      t.ring[t.ringSecond % WINDOW_S]++;
      t.flows++;
      const src = (r.extended_fields as { sampling_source?: unknown }).sampling_source;
      if (sk === '' || r.sampling_rate !== rate || src !== source) {
        rate = r.sampling_rate;
        source = src;
        sk = `${rate}|${String(src ?? 'none')}`;
      }
      t.sampling.set(sk, (t.sampling.get(sk) ?? 0) + 1);
    }
  }

  /** The track of a key, created at its first flow, moved to `second` and seen at `receivedAt`. */
  private track(key: string, receivedAt: number, second: number): Track {
    let t = this.tracks.get(key);
    if (!t) {
      t = {
        firstSeen: receivedAt,
        lastSeen: receivedAt,
        flows: 0,
        ring: new Float64Array(WINDOW_S),
        ringSecond: second,
        sampling: new Map(),
      };
      this.tracks.set(key, t);
    }
    this.advance(t, second);
    if (receivedAt > t.lastSeen) t.lastSeen = receivedAt;
    return t;
  }

  /** Moves the ring to `second`, clearing the seconds skipped (never backwards: late datagrams count now). */
  private advance(t: Track, second: number): void {
    if (second <= t.ringSecond) return;
    const steps = Math.min(second - t.ringSecond, WINDOW_S);
    for (let i = 1; i <= steps; i++) t.ring[(t.ringSecond + i) % WINDOW_S] = 0;
    t.ringSecond = second;
  }

  /**
   * Flows seen under a (exporter, protocol, domain) this decoder has no stats for (an sFlow agent address
   * that is not the datagram's source): when several workers share an exporter, another may have them.
   */
  unmatched(stats: readonly DomainStats[], session: DecodeSession, now: number): ExporterHealth[] {
    const known = new Set(stats.map((d) => keyOf(d.exporter, d.protocol, d.domain)));
    const rest: DomainStats[] = [];
    for (const key of this.tracks.keys()) {
      if (known.has(key)) continue;
      const [exporter, protocol, domain] = key.split('|');
      rest.push(newDomainStats(exporter, protocol as ProtocolType, Number(domain)));
    }
    return this.report(rest, session, now);
  }

  report(stats: readonly DomainStats[], session: DecodeSession, now: number): ExporterHealth[] {
    return stats.map((d) => {
      const t = this.tracks.get(keyOf(d.exporter, d.protocol, d.domain));
      let recent = 0;
      if (t) {
        this.advance(t, Math.floor(now / 1000));
        for (const n of t.ring) recent += n;
      }
      const span = t ? Math.min(WINDOW_S, Math.max(1, (now - t.firstSeen) / 1000)) : 1;
      return {
        exporter: d.exporter,
        protocol: d.protocol,
        observationDomain: d.domain,
        flowsPerSecond: recent / span,
        flows: t?.flows ?? 0,
        lastSeen: t?.lastSeen ?? null,
        sequence: { received: d.records, lost: d.sequenceLost, resets: d.sequenceResets },
        decodeErrors: Object.values(d.errors).reduce((a: number, n) => a + (n ?? 0), 0),
        templates: templatesOf(session, d, now),
        sampling: t
          ? [...t.sampling].map(([k, flows]) => {
              const [rate, source] = k.split('|');
              return { rate: Number(rate), source, flows };
            })
          : [],
      };
    });
  }
}

function templatesOf(session: DecodeSession, d: DomainStats, now: number): ExporterHealth['templates'] {
  if (d.protocol !== 'ipfix' && d.protocol !== 'netflow_v9') return [];
  const slot = session.exporters.get(d.exporter)?.slots.get('template') as TemplateSlot | undefined;
  if (!slot) return [];
  const version = d.protocol === 'ipfix' ? 10 : 9;
  const out: ExporterHealth['templates'] = [];
  for (const t of slot.templates.values()) {
    if (t.version !== version || t.domain !== d.domain) continue;
    const at = slot.learnedAt.get(templateKey(t.version, t.domain, t.id));
    out.push({
      id: t.id,
      kind: t.kind,
      fields: t.fields.length,
      ageSeconds: at === undefined ? null : Math.max(0, Math.round((now - at) / 1000)),
    });
  }
  return out.sort((a, b) => a.id - b.id);
}
