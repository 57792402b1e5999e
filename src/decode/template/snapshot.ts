/**
 * Template and sampling state as JSON, so a restarted collector decodes data without waiting for the next
 * template refresh (DESIGN.md "Template and sampling state survive a restart"). Restore validates every
 * value: a corrupt state file must not crash the collector or plant absurd templates.
 */
import type { ExporterState } from '../state.js';
import type { MessageHeader } from './context.js';
import { compileTemplate, type RawField } from './plan.js';
import { putTemplate, templateSlot } from './state.js';
import type { Template } from './types.js';

interface TemplateSnap {
  v: 9 | 10;
  d: number;
  id: number;
  k: 'data' | 'options';
  s: number;
  /** [id, pen, length, scope 0|1] */
  f: [number, number, number, number][];
}

interface SlotSnap {
  format: 'flowlens.template.v1';
  templates: TemplateSnap[];
  bySampler: [string, number][];
  byDomain: [string, number][];
  sysInit: [string, number][];
  pending: { h: MessageHeader; s: number; b: string }[];
}

function snapTemplate(t: Template): TemplateSnap {
  return {
    v: t.version,
    d: t.domain,
    id: t.id,
    k: t.kind,
    s: t.scopeCount,
    f: t.fields.map((f) => [f.id, f.pen, f.length, f.scope ? 1 : 0]),
  };
}

export function snapshotTemplateState(state: ExporterState): unknown {
  const slot = templateSlot(state);
  const snap: SlotSnap = {
    format: 'flowlens.template.v1',
    templates: [...slot.templates.values()].map(snapTemplate),
    bySampler: [...slot.sampling.bySampler],
    byDomain: [...slot.sampling.byDomain],
    sysInit: [...slot.sampling.sysInit],
    pending: slot.pending.sets.map((p) => ({
      h: p.header,
      s: p.setId,
      b: Buffer.from(p.body).toString('base64'),
    })),
  };
  return snap;
}

const isU32 = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
const isU16 = (n: unknown): n is number => isU32(n) && n <= 0xffff;

function restoreTemplate(x: unknown): Template | null {
  const t = x as TemplateSnap;
  if (!t || (t.v !== 9 && t.v !== 10) || !isU32(t.d) || !isU16(t.id) || t.id < 256) return null;
  if ((t.k !== 'data' && t.k !== 'options') || !isU16(t.s) || !Array.isArray(t.f) || t.f.length > 65535)
    return null;
  const raw: RawField[] = [];
  for (const f of t.f) {
    if (!Array.isArray(f) || !isU16(f[0]) || !isU32(f[1]) || !isU16(f[2])) return null;
    raw.push({ id: f[0], pen: f[1], length: f[2], scope: f[3] === 1 });
  }
  return compileTemplate({ version: t.v, domain: t.d, id: t.id, kind: t.k, scopeCount: t.s }, raw);
}

function restorePairs(into: Map<string, number>, pairs: unknown): void {
  if (!Array.isArray(pairs)) return;
  for (const p of pairs) {
    if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number' && Number.isFinite(p[1])) {
      into.set(p[0], p[1]);
    }
  }
}

/**
 * Replace nothing, add everything valid from `snap` (unknown or corrupt entries are skipped). `copy`: the
 * held data sets are another worker's to decode (their header marked as a copy's: this one only learns).
 */
export function restoreTemplateState(state: ExporterState, snap: unknown, copy = false): void {
  const s = snap as Partial<SlotSnap> | null;
  if (!s || typeof s !== 'object' || s.format !== 'flowlens.template.v1') return;
  const slot = templateSlot(state);
  for (const x of Array.isArray(s.templates) ? s.templates : []) {
    const t = restoreTemplate(x);
    if (t) putTemplate(state, slot, t);
  }
  restorePairs(slot.sampling.bySampler, s.bySampler);
  restorePairs(slot.sampling.byDomain, s.byDomain);
  restorePairs(slot.sampling.sysInit, s.sysInit);
  for (const p of Array.isArray(s.pending) ? s.pending : []) {
    if (!p || typeof p.b !== 'string' || !isU16(p.s) || !p.h || (p.h.version !== 9 && p.h.version !== 10))
      continue;
    const body = new Uint8Array(Buffer.from(p.b, 'base64'));
    if (slot.pending.sets.length >= 256 || slot.pending.bytes + body.length > 1 << 20) break;
    slot.pending.sets.push({ header: copy ? { ...p.h, copy } : p.h, setId: p.s, body });
    slot.pending.bytes += body.length;
  }
}

/** Data sets held for a template that has not arrived yet (not counting copies: their owner holds them). */
export function pendingCount(state: ExporterState): number {
  const slot = state.slots.get('template') as { pending?: { sets: { header: MessageHeader }[] } } | undefined;
  let n = 0;
  for (const s of slot?.pending?.sets ?? []) if (!s.header.copy) n++;
  return n;
}
