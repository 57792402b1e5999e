/**
 * Set handling shared by NetFlow v9 and IPFIX: installing a template (and decoding the data that waited
 * for it), decoding or holding a data set. Version-specific template parsing lives in netflow9/ and ipfix/.
 */
import type { ExporterState } from '../state.js';
import type { MessageHeader, MessageOutput } from './context.js';
import { holdSet, takePending } from './pending.js';
import { compileTemplate, type RawField, sameDefinition, type TemplateHead } from './plan.js';
import { decodeDataSet } from './records.js';
import { putTemplate, templateKey, templateSlot } from './state.js';

/** Store a template (a refresh with the same definition keeps the compiled plan) and flush held data. */
export function installTemplate(
  state: ExporterState,
  head: TemplateHead,
  raw: readonly RawField[],
  out: MessageOutput,
): void {
  const slot = templateSlot(state);
  const old = slot.templates.get(templateKey(head.version, head.domain, head.id));
  const t = old && sameDefinition(old, head.kind, head.scopeCount, raw) ? old : compileTemplate(head, raw);
  if (t !== old) putTemplate(state, slot, t);
  for (const p of takePending(slot.pending, head.version, head.domain, head.id)) {
    decodeDataSet(slot.sampling, t, p.header, p.body, 0, p.body.length, out, true);
  }
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
  if (t) return decodeDataSet(slot.sampling, t, hdr, buf, start, end, out);
  out.held++;
  for (const e of holdSet(slot.pending, { header: hdr, setId, body: buf.slice(start, end) }))
    out.errors.push(e);
  return 0;
}
