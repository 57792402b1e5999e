/**
 * IPFIX template and options-template sets (RFC 7011 sections 3.4.1, 3.4.2) including template withdrawal
 * (section 8.1: a template record with field count 0 withdraws that template; template id 2 in a template
 * set / 3 in an options template set withdraws all data / options templates of the domain).
 */
import type { ExporterState } from '../state.js';
import {
  errorAt,
  installTemplate,
  type MessageHeader,
  type MessageOutput,
  type RawField,
  refreshTemplate,
  removeAll,
  removeTemplate,
  templateSlot,
} from '../template/index.js';

export const TEMPLATE_SET = 2;
export const OPTIONS_TEMPLATE_SET = 3;

/** Parse `count` field specifiers at p; returns the fields and the new offset, or null if they overrun. */
function readFields(
  buf: Uint8Array,
  p: number,
  end: number,
  count: number,
  scopeCount: number,
): [RawField[], number] | null {
  // Each specifier takes at least 4 bytes: refuse before allocating for a count the bytes cannot hold.
  if (count * 4 > end - p) return null;
  const raw: RawField[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (end - p < 4) return null;
    let id = (buf[p] << 8) | buf[p + 1];
    const length = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
    let pen = 0;
    if (id & 0x8000) {
      // Enterprise bit set: a 4-byte Private Enterprise Number follows (RFC 7011 section 3.2).
      if (end - p < 4) return null;
      id &= 0x7fff;
      pen = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
      p += 4;
    }
    raw[i] = { id, pen, length, scope: i < scopeCount };
  }
  return [raw, p];
}

/** End offset of `count` field specifiers at p, or -1 if they overrun (no allocation). */
function specifiersEnd(buf: Uint8Array, p: number, end: number, count: number): number {
  for (let i = 0; i < count; i++) {
    if (end - p < 4) return -1;
    p += buf[p] & 0x80 ? 8 : 4;
  }
  return p <= end ? p : -1;
}

function withdraw(state: ExporterState, hdr: MessageHeader, setId: number, id: number): void {
  const slot = templateSlot(state);
  if (setId === TEMPLATE_SET && id === TEMPLATE_SET) removeAll(state, slot, 10, hdr.domain, 'data');
  else if (setId === OPTIONS_TEMPLATE_SET && id === OPTIONS_TEMPLATE_SET)
    removeAll(state, slot, 10, hdr.domain, 'options');
  else removeTemplate(state, slot, 10, hdr.domain, id);
}

export function parseTemplateSet(
  state: ExporterState,
  hdr: MessageHeader,
  setId: number,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
): void {
  const options = setId === OPTIONS_TEMPLATE_SET;
  let p = start;
  while (end - p >= 4) {
    const id = (buf[p] << 8) | buf[p + 1];
    const count = (buf[p + 2] << 8) | buf[p + 3];
    if (count === 0) {
      if (id === 0) return; // padding
      if (id >= 256 || id === setId) withdraw(state, hdr, setId, id);
      else
        out.errors.push(
          errorAt(hdr, 'bad_template', `withdrawal of template id ${id}`, {
            setId,
            templateId: id,
            offset: p,
          }),
        );
      p += 4;
      continue;
    }
    if (id < 256) {
      out.errors.push(
        errorAt(hdr, 'bad_template', `template id ${id} is reserved`, { setId, templateId: id, offset: p }),
      );
      return;
    }
    p += 4;
    let scopeCount = 0;
    if (options) {
      if (end - p < 2) {
        out.errors.push(
          errorAt(hdr, 'truncated', `options template ${id} without scope count`, {
            setId,
            templateId: id,
            offset: p,
          }),
        );
        return;
      }
      scopeCount = (buf[p] << 8) | buf[p + 1];
      p += 2;
      if (scopeCount > count) {
        out.errors.push(
          errorAt(
            hdr,
            'bad_template',
            `options template ${id}: scope count ${scopeCount} > field count ${count}`,
            {
              setId,
              templateId: id,
              offset: p,
            },
          ),
        );
        return;
      }
    }
    const head = {
      version: 10,
      domain: hdr.domain,
      id,
      kind: options ? 'options' : 'data',
      scopeCount,
    } as const;
    const specEnd = specifiersEnd(buf, p, end, count);
    if (specEnd >= 0 && refreshTemplate(state, head, buf, p, specEnd, out)) {
      p = specEnd;
      continue;
    }
    const parsed = readFields(buf, p, end, count, scopeCount);
    if (!parsed) {
      out.errors.push(
        errorAt(hdr, 'truncated', `template ${id} runs past its set`, { setId, templateId: id, offset: p }),
      );
      return;
    }
    installTemplate(state, head, parsed[0], out, buf.subarray(p, parsed[1]));
    p = parsed[1];
  }
}
