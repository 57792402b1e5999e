/**
 * Per-exporter template state, kept in the ExporterState slot 'template'. Templates are keyed by
 * (version, domain / source id, template id) inside the exporter's own state: never by source port and
 * never without the domain (RFC 7011 section 8; RFC 3954 section 5.1 "Source ID").
 */
import type { ProtocolType } from '../../core/record.js';
import type { ExporterState } from '../state.js';
import { newPendingQueue, type PendingQueue } from './pending.js';
import { newSamplingTable, type SamplingTable } from './sampling.js';
import type { Template } from './types.js';

export interface TemplateSlot {
  templates: Map<string, Template>;
  sampling: SamplingTable;
  pending: PendingQueue;
  /** When each template (by templateKey) was last received, ms; restored templates have none. */
  learnedAt: Map<string, number>;
}

export function templateKey(version: number, domain: number, id: number): string {
  return `${version}:${domain}:${id}`;
}

export function templateSlot(state: ExporterState): TemplateSlot {
  return state.slot<TemplateSlot>('template', () => ({
    templates: new Map(),
    sampling: newSamplingTable(),
    pending: newPendingQueue(),
    learnedAt: new Map(),
  }));
}

export function protocolOf(version: 9 | 10): ProtocolType {
  return version === 9 ? 'netflow_v9' : 'ipfix';
}

function bump(state: ExporterState, t: Template, delta: number): void {
  const s = state.domain(protocolOf(t.version), t.domain);
  if (t.kind === 'data') s.templates += delta;
  else s.optionsTemplates += delta;
}

export function putTemplate(state: ExporterState, slot: TemplateSlot, t: Template): void {
  const key = templateKey(t.version, t.domain, t.id);
  const old = slot.templates.get(key);
  if (old) bump(state, old, -1);
  slot.templates.set(key, t);
  // A template's age is the time since the exporter last sent it (exporter health, normalize/health.ts).
  slot.learnedAt.set(key, Date.now());
  bump(state, t, 1);
}

export function removeTemplate(
  state: ExporterState,
  slot: TemplateSlot,
  version: 9 | 10,
  domain: number,
  id: number,
): boolean {
  const key = templateKey(version, domain, id);
  const old = slot.templates.get(key);
  if (!old) return false;
  slot.templates.delete(key);
  slot.learnedAt.delete(key);
  bump(state, old, -1);
  return true;
}

/** Withdraw every template of one kind in a domain (IPFIX template id 2 / 3 withdrawal, RFC 7011 8.1). */
export function removeAll(
  state: ExporterState,
  slot: TemplateSlot,
  version: 9 | 10,
  domain: number,
  kind: 'data' | 'options',
): number {
  let n = 0;
  for (const [key, t] of slot.templates) {
    if (t.version === version && t.domain === domain && t.kind === kind) {
      slot.templates.delete(key);
      bump(state, t, -1);
      n++;
    }
  }
  return n;
}
