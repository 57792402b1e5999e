/**
 * Shared shapes of the template protocols (NetFlow v9, RFC 3954; IPFIX, RFC 7011). A template is compiled
 * once into a plan (plan.ts) and every data record of that template is decoded by walking the plan, so the
 * hot path never looks up the IANA registry or allocates per field beyond the value itself.
 */
import type { SamplingSource } from '../../core/record.js';

/** How a field's bytes become a value (picked once per template field, from the IANA type and length). */
export const Kind = {
  UINT: 0, // unsigned, 1..8 bytes (reduced-size encoding, RFC 7011 section 6.2)
  INT: 1, // signed, 1..8 bytes
  FLOAT: 2, // float32 / float64
  BOOL: 3, // RFC 7011 section 6.1.5: 1 = true, 2 = false
  MAC: 4, // "aa:bb:cc:dd:ee:ff"
  STRING: 5, // UTF-8, trailing NULs trimmed
  IPV4: 6,
  IPV6: 7,
  SECONDS: 8, // dateTimeSeconds: unsigned seconds since the UNIX epoch
  MILLIS: 9, // dateTimeMilliseconds: unsigned ms since the UNIX epoch
  NTP_MICRO: 10, // dateTimeMicroseconds: NTP 64-bit (RFC 7011 section 6.1.9) -> epoch ms
  NTP_NANO: 11, // dateTimeNanoseconds: NTP 64-bit (RFC 7011 section 6.1.10) -> epoch ms
  HEX: 12, // octetArray, lists, or a length the type cannot have: lower-case hex
  EMPTY: 13, // a 0-length field (RFC 3954 allows them in practice; Juniper 0-length scope)
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** IPFIX variable-length marker (RFC 7011 section 7). */
export const VARLEN = 65535;

/** One field of a template, resolved against the registry. */
export interface FieldSpec {
  /** Information element id, enterprise bit cleared. For v9 options scope fields: the scope type. */
  readonly id: number;
  /** Private enterprise number; 0 for IANA elements. */
  readonly pen: number;
  /** Length from the template; VARLEN when the length is carried in the record. */
  readonly length: number;
  /** Readable name: IANA name, `reverse<Name>` (RFC 5103), `ie<id>`, `pen<PEN>_<id>`, `scope_<kind>`. */
  readonly name: string;
  readonly kind: Kind;
  /** True for (options) scope fields. */
  readonly scope: boolean;
}

/** A template compiled into a decode plan. */
export interface Template {
  readonly version: 9 | 10;
  readonly domain: number;
  readonly id: number;
  readonly kind: 'data' | 'options';
  readonly scopeCount: number;
  readonly fields: readonly FieldSpec[];
  /** Byte offset of each field in a record when every field has a fixed length, else null. */
  readonly offsets: Int32Array | null;
  /** Record length when fixed, -1 when the template has variable-length fields. */
  readonly fixedLength: number;
  /** Smallest possible record (variable-length fields count 1 byte): anything shorter is set padding. */
  readonly minLength: number;
  /** Index of the sampler/selector id field (48 / 302) or -1. */
  readonly samplerIdIndex: number;
  /** True when a data record carries its own sampling rate (34, 50, 305/306, 309/310, 311). */
  readonly recordSampling: boolean;
  /**
   * Consumer-owned cache of whatever a consumer compiles per template (normalize/ keeps its column plan
   * here), so the per-record path needs no lookup. Opaque to the decoder; null until a consumer sets it.
   */
  normCache: unknown;
  /**
   * The template's field specifiers exactly as received (a private copy), so a refresh that repeats them
   * byte for byte (exporters resend every template every few seconds) is recognised without parsing.
   * Null for templates restored from a snapshot until their first refresh.
   */
  wire: Uint8Array | null;
}

export type FieldValue = number | bigint | string | boolean | null;

/** Sampling resolved when the record was decoded (options seen so far, or the record itself). */
export interface ResolvedSampling {
  /** 1:N; 1 when unknown. */
  rate: number;
  source: Extract<SamplingSource, 'record' | 'options' | 'none'>;
}

/** One decoded data or options-data record of a template protocol. */
export interface TemplateRecord {
  kind: 'data' | 'options';
  version: 9 | 10;
  /** v9 source id / IPFIX observation domain id. */
  domain: number;
  templateId: number;
  /** Export time from the message header, UNIX seconds. */
  exportTime: number;
  /** v9 header sysUptime in ms; null for IPFIX. */
  sysUptime: number | null;
  sequence: number;
  /**
   * True when the record's data set arrived before its template, was held, and was decoded when the
   * template came (exportTime / sequence are still those of the message that carried the data).
   */
  delayed: boolean;
  /** The template the record was decoded with (shared: do not mutate, except its normCache). */
  template: Template;
  /** The template's field list (shared by all records of the template: do not mutate). */
  fields: readonly FieldSpec[];
  /** Decoded values, parallel to `fields`. */
  values: FieldValue[];
  sampling: ResolvedSampling;
  /** systemInitTimeMilliseconds (IE 160) last seen in options data of this domain, for IE 21/22 in IPFIX. */
  systemInitMs: number | null;
}
