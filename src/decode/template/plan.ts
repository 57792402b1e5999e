/**
 * Template compilation: a template's (id, enterprise, length) list becomes a plan of FieldSpecs with the
 * value kind and readable name resolved once, and the record layout (fixed offsets or variable length)
 * precomputed, so decoding a record is a tight loop (performance target: >= 1M records per CPU-second).
 */
import { ianaElement } from '../../core/fields/iana.js';
import type { AbstractType } from '../../core/fields/types.js';
import { type FieldSpec, Kind, type Template, VARLEN } from './types.js';

/** A field as it appears on the wire, before compilation. */
export interface RawField {
  id: number;
  pen: number;
  length: number;
  scope: boolean;
}

/** RFC 5103 reverse information elements are IANA elements under this PEN. */
export const REVERSE_PEN = 29305;

const KIND_OF_TYPE: Record<AbstractType, Kind> = {
  octetArray: Kind.HEX,
  unsigned8: Kind.UINT,
  unsigned16: Kind.UINT,
  unsigned32: Kind.UINT,
  unsigned64: Kind.UINT,
  signed8: Kind.INT,
  signed16: Kind.INT,
  signed32: Kind.INT,
  signed64: Kind.INT,
  float32: Kind.FLOAT,
  float64: Kind.FLOAT,
  boolean: Kind.BOOL,
  macAddress: Kind.MAC,
  string: Kind.STRING,
  dateTimeSeconds: Kind.SECONDS,
  dateTimeMilliseconds: Kind.MILLIS,
  dateTimeMicroseconds: Kind.NTP_MICRO,
  dateTimeNanoseconds: Kind.NTP_NANO,
  ipv4Address: Kind.IPV4,
  ipv6Address: Kind.IPV6,
  basicList: Kind.HEX,
  subTemplateList: Kind.HEX,
  subTemplateMultiList: Kind.HEX,
};

/** NetFlow v9 options scope field types (RFC 3954 section 6.1); not IANA elements. */
const V9_SCOPE_NAMES: Record<number, string> = {
  1: 'scope_system',
  2: 'scope_interface',
  3: 'scope_line_card',
  4: 'scope_cache',
  5: 'scope_template',
};

/** Elements whose presence in a data record means the record states its own sampling (sampling.ts). */
const RECORD_SAMPLING_IES = new Set([34, 50, 305, 309, 311]);

function unknownKind(length: number): Kind {
  return length >= 1 && length <= 8 ? Kind.UINT : Kind.HEX;
}

function resolveField(version: 9 | 10, f: RawField): FieldSpec {
  const base = { id: f.id, pen: f.pen, length: f.length, scope: f.scope };
  if (f.length === 0) {
    const name = version === 9 && f.scope ? (V9_SCOPE_NAMES[f.id] ?? `scope_${f.id}`) : nameOf(version, f);
    return { ...base, name, kind: Kind.EMPTY };
  }
  if (version === 9 && f.scope) {
    return { ...base, name: V9_SCOPE_NAMES[f.id] ?? `scope_${f.id}`, kind: unknownKind(f.length) };
  }
  if (f.pen === 0 || f.pen === REVERSE_PEN) {
    // v9 has no enterprise bit: ids >= 32768 are vendor-private, not IANA (RFC 3954 section 8).
    const info = f.id < 32768 ? ianaElement(f.id) : undefined;
    if (info)
      return { ...base, name: nameOf(version, f), kind: KIND_OF_TYPE[info.type] ?? unknownKind(f.length) };
  }
  return { ...base, name: nameOf(version, f), kind: f.length === VARLEN ? Kind.HEX : unknownKind(f.length) };
}

function nameOf(version: 9 | 10, f: RawField): string {
  if (f.pen === 0) {
    const info = f.id < 32768 ? ianaElement(f.id) : undefined;
    return info ? info.name : `ie${f.id}`;
  }
  if (f.pen === REVERSE_PEN && version === 10) {
    const info = ianaElement(f.id);
    if (info) return `reverse${info.name.charAt(0).toUpperCase()}${info.name.slice(1)}`;
  }
  return `pen${f.pen}_${f.id}`;
}

export interface TemplateHead {
  version: 9 | 10;
  domain: number;
  id: number;
  kind: 'data' | 'options';
  scopeCount: number;
}

/** Compile a template. Lengths are trusted only as far as the caller already bounds-checked the set. */
export function compileTemplate(head: TemplateHead, raw: readonly RawField[]): Template {
  const fields = raw.map((f) => resolveField(head.version, f));
  let fixed = 0;
  let min = 0;
  let variable = false;
  let samplerIdIndex = -1;
  let recordSampling = false;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.length === VARLEN) {
      variable = true;
      min += 1;
    } else {
      fixed += f.length;
      min += f.length;
    }
    if (f.pen === 0 && !f.scope) {
      if ((f.id === 48 || f.id === 302) && samplerIdIndex < 0) samplerIdIndex = i;
      if (RECORD_SAMPLING_IES.has(f.id)) recordSampling = true;
    }
  }
  let offsets: Int32Array | null = null;
  if (!variable) {
    offsets = new Int32Array(fields.length);
    let off = 0;
    for (let i = 0; i < fields.length; i++) {
      offsets[i] = off;
      off += fields[i].length;
    }
  }
  return {
    ...head,
    fields,
    offsets,
    fixedLength: variable ? -1 : fixed,
    minLength: min,
    samplerIdIndex,
    recordSampling,
    normCache: null,
    wire: null,
  };
}

/** Same wire definition (a template refresh): keep the compiled plan instead of recompiling. */
export function sameDefinition(
  t: Template,
  kind: 'data' | 'options',
  scopeCount: number,
  raw: readonly RawField[],
): boolean {
  if (t.kind !== kind || t.scopeCount !== scopeCount || t.fields.length !== raw.length) return false;
  for (let i = 0; i < raw.length; i++) {
    const a = t.fields[i];
    const b = raw[i];
    if (a.id !== b.id || a.pen !== b.pen || a.length !== b.length || a.scope !== b.scope) return false;
  }
  return true;
}
