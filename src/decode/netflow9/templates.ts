/**
 * NetFlow v9 template and options-template FlowSets (RFC 3954 sections 5.2 and 6.1). Both may hold
 * several templates and end in padding; a template that does not fit its FlowSet stops that FlowSet only.
 */
import type { ExporterState } from '../state.js';
import {
  errorAt,
  installTemplate,
  type MessageHeader,
  type MessageOutput,
  type RawField,
  refreshTemplate,
} from '../template/index.js';

/** FlowSet id 0: { template id, field count, (type, length) x count } repeated, then padding. */
export function parseTemplateFlowSet(
  state: ExporterState,
  hdr: MessageHeader,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
): void {
  let p = start;
  while (end - p >= 4) {
    const id = (buf[p] << 8) | buf[p + 1];
    const count = (buf[p + 2] << 8) | buf[p + 3];
    if (id === 0 && count === 0) return; // padding
    if (id < 256 || count === 0) {
      out.errors.push(
        errorAt(hdr, 'bad_template', `template id ${id} with ${count} fields`, {
          setId: 0,
          templateId: id,
          offset: p,
        }),
      );
      return;
    }
    p += 4;
    if (count * 4 > end - p) {
      out.errors.push(
        errorAt(hdr, 'truncated', `template ${id} declares ${count} fields past its FlowSet`, {
          setId: 0,
          templateId: id,
          offset: p,
        }),
      );
      return;
    }
    const head = { version: 9, domain: hdr.domain, id, kind: 'data', scopeCount: 0 } as const;
    const wire = buf.subarray(p, p + count * 4);
    if (refreshTemplate(state, head, buf, p, p + count * 4, out)) {
      p += count * 4;
      continue;
    }
    const raw: RawField[] = new Array(count);
    for (let i = 0; i < count; i++, p += 4) {
      raw[i] = {
        id: (buf[p] << 8) | buf[p + 1],
        pen: 0,
        length: (buf[p + 2] << 8) | buf[p + 3],
        scope: false,
      };
    }
    installTemplate(state, head, raw, out, wire);
  }
}

/**
 * FlowSet id 1: { template id, option scope length, option length, scope fields, option fields } (lengths
 * in bytes, 4 per field), then padding to a 32-bit boundary.
 */
export function parseOptionsFlowSet(
  state: ExporterState,
  hdr: MessageHeader,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
): void {
  let p = start;
  while (end - p >= 6) {
    const id = (buf[p] << 8) | buf[p + 1];
    const scopeLen = (buf[p + 2] << 8) | buf[p + 3];
    const optLen = (buf[p + 4] << 8) | buf[p + 5];
    if (id === 0 && scopeLen === 0 && optLen === 0) return; // padding
    if (id < 256 || scopeLen % 4 !== 0 || optLen % 4 !== 0 || scopeLen + optLen === 0) {
      out.errors.push(
        errorAt(hdr, 'bad_template', `options template ${id} scope ${scopeLen} options ${optLen}`, {
          setId: 1,
          templateId: id,
          offset: p,
        }),
      );
      return;
    }
    p += 6;
    if (scopeLen + optLen > end - p) {
      out.errors.push(
        errorAt(hdr, 'truncated', `options template ${id} runs past its FlowSet`, {
          setId: 1,
          templateId: id,
          offset: p,
        }),
      );
      return;
    }
    const scopeCount = scopeLen / 4;
    const total = scopeCount + optLen / 4;
    const head = { version: 9, domain: hdr.domain, id, kind: 'options', scopeCount } as const;
    const wire = buf.subarray(p, p + total * 4);
    if (refreshTemplate(state, head, buf, p, p + total * 4, out)) {
      p += total * 4;
      continue;
    }
    const raw: RawField[] = new Array(total);
    for (let i = 0; i < total; i++, p += 4) {
      raw[i] = {
        id: (buf[p] << 8) | buf[p + 1],
        pen: 0,
        length: (buf[p + 2] << 8) | buf[p + 3],
        scope: i < scopeCount,
      };
    }
    installTemplate(state, head, raw, out, wire);
  }
}
