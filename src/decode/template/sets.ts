/**
 * Set handling shared by NetFlow v9 and IPFIX: installing a template (and decoding the data that waited
 * for it), decoding or holding a data set. Version-specific template parsing lives in netflow9/ and ipfix/.
 */
import type { ExporterState } from '../state.js';
import { newDomainStats } from '../types.js';
import type { MessageHeader, MessageOutput } from './context.js';
import { holdSet, takePending } from './pending.js';
import { compileTemplate, type RawField, sameDefinition, type TemplateHead } from './plan.js';
import { decodeDataSet } from './records.js';
import { protocolOf, putTemplate, type TemplateSlot, templateKey, templateSlot } from './state.js';
import type { Template } from './types.js';

/**
 * Store a template (a refresh with the same definition keeps the compiled plan) and flush held data.
 * `wire`: the field specifier bytes the template came in (kept to recognise byte-identical refreshes).
 */
export function installTemplate(
  state: ExporterState,
  head: TemplateHead,
  raw: readonly RawField[],
  out: MessageOutput,
  wire?: Uint8Array,
): void {
  const slot = templateSlot(state);
  const old = slot.templates.get(templateKey(head.version, head.domain, head.id));
  const t = old && sameDefinition(old, head.kind, head.scopeCount, raw) ? old : compileTemplate(head, raw);
  if (wire) t.wire = wire.slice();
  if (t !== old) putTemplate(state, slot, t);
  flushPending(slot, t, out);
}

function flushPending(slot: TemplateSlot, t: Template, out: MessageOutput): void {
  if (slot.pending.sets.length === 0) return;
  for (const p of takePending(slot.pending, t.version, t.domain, t.id)) {
    if (p.header.copy) learnOnly(slot, t, p.header, p.body);
    else decodeDataSet(slot.sampling, t, p.header, p.body, 0, p.body.length, out, true);
  }
}

/**
 * A copy's data set (Datagram.copy): options data teaches this worker the sampling it carries; its records
 * and errors are the owner's, and flow data is the owner's alone.
 */
function learnOnly(slot: TemplateSlot, t: Template, hdr: MessageHeader, body: Uint8Array): void {
  if (t.kind !== 'options') return;
  const scratch: MessageOutput = {
    records: [],
    errors: [],
    ownDataRecords: 0,
    held: 0,
    stats: newDomainStats(hdr.exporter, protocolOf(hdr.version), hdr.domain),
    copy: true,
  };
  decodeDataSet(slot.sampling, t, hdr, body, 0, body.length, scratch);
}

/**
 * A template refresh whose field specifiers `buf[start, end)` equal the installed template's bytes: keep
 * it as is (and flush held data) without parsing or allocating. False when it differs or is unknown; the
 * caller then parses it and calls installTemplate.
 */
export function refreshTemplate(
  state: ExporterState,
  head: TemplateHead,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
): boolean {
  const slot = templateSlot(state);
  const old = slot.templates.get(templateKey(head.version, head.domain, head.id));
  if (!old || old.kind !== head.kind || old.scopeCount !== head.scopeCount) return false;
  const w = old.wire;
  if (w === null || w.length !== end - start) return false;
  for (let i = 0; i < w.length; i++) if (w[i] !== buf[start + i]) return false;
  flushPending(slot, old, out);
  return true;
}

/** Decode a data set now, or hold it until its template arrives. Returns the records decoded. */
export function handleDataSet(
  state: ExporterState,
  hdr: MessageHeader,
  setId: number,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
): number {
  const slot = templateSlot(state);
  const t = slot.templates.get(templateKey(hdr.version, hdr.domain, setId));
  if (end <= start) return 0;
  if (t && hdr.copy) {
    learnOnly(slot, t, hdr, buf.subarray(start, end));
    return 0;
  }
  if (t) return decodeDataSet(slot.sampling, t, hdr, buf, start, end, out);
  // A copy holds the set too: if an options template comes for it, this worker learns its sampling.
  if (!hdr.copy) out.held++;
  for (const e of holdSet(slot.pending, { header: hdr, setId, body: buf.slice(start, end) }))
    out.errors.push(e);
  return 0;
}
