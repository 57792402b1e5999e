/**
 * Data set decoding with a compiled template (RFC 3954 section 5.3, RFC 7011 sections 3.4.3 and 7).
 * Records follow each other until fewer bytes remain than the smallest possible record: that rest is set
 * padding (RFC 7011 section 3.3.1) and is skipped silently.
 */
import { DecodeError } from '../../core/errors.js';
import type { MessageHeader, MessageOutput } from './context.js';
import { learnOptions, NO_SAMPLING, resolveSampling, type SamplingTable } from './sampling.js';
import { type FieldValue, type ResolvedSampling, type Template, VARLEN } from './types.js';
import { decodeValue } from './values.js';

/** Decode the records of one data set body `buf[start, end)`; returns how many were decoded. */
export function decodeDataSet(
  table: SamplingTable,
  t: Template,
  hdr: MessageHeader,
  buf: Uint8Array,
  start: number,
  end: number,
  out: MessageOutput,
  delayed = false,
): number {
  if (t.fixedLength === 0) {
    // Every field has length 0: records carry no bytes, so their number is unknowable.
    out.errors.push(
      new DecodeError('bad_template', 'template with only 0-length fields cannot delimit records', {
        exporter: hdr.exporter,
        version: hdr.version,
        domain: hdr.domain,
        templateId: t.id,
        setId: t.id,
      }),
    );
    return 0;
  }
  const fields = t.fields;
  const n = fields.length;
  const options = t.kind === 'options';
  const sysInit = table.sysInit.get(`${t.version}:${t.domain}`) ?? null;
  // Sampling that cannot vary per record is resolved once per set.
  const perRecord = t.recordSampling || t.samplerIdIndex >= 0;
  let setSampling: ResolvedSampling = NO_SAMPLING;
  if (!perRecord && !options) setSampling = resolveSampling(table, t, []);
  let count = 0;
  let pos = start;
  const offsets = t.offsets;
  while (end - pos >= t.minLength && pos < end) {
    const values: FieldValue[] = new Array(n);
    if (offsets) {
      for (let i = 0; i < n; i++) {
        const f = fields[i];
        values[i] = decodeValue(buf, pos + offsets[i], f.length, f.kind);
      }
      pos += t.fixedLength;
    } else {
      let p = pos;
      let bad = false;
      for (let i = 0; i < n; i++) {
        const f = fields[i];
        let len = f.length;
        if (len === VARLEN) {
          // RFC 7011 section 7: 1-byte length, or 255 followed by a 2-byte length.
          if (p >= end) {
            bad = true;
            break;
          }
          len = buf[p++];
          if (len === 255) {
            if (p + 2 > end) {
              bad = true;
              break;
            }
            len = (buf[p] << 8) | buf[p + 1];
            p += 2;
          }
        }
        if (p + len > end) {
          bad = true;
          break;
        }
        values[i] = decodeValue(buf, p, len, f.kind);
        p += len;
      }
      if (bad) {
        out.errors.push(
          new DecodeError('truncated', 'record runs past the end of its set', {
            exporter: hdr.exporter,
            version: hdr.version,
            domain: hdr.domain,
            templateId: t.id,
            setId: t.id,
            offset: pos,
          }),
        );
        break;
      }
      pos = p;
    }
    let sampling = setSampling;
    if (options) {
      learnOptions(table, t, values);
    } else if (perRecord) {
      sampling = resolveSampling(table, t, values);
    }
    out.records.push({
      kind: t.kind,
      version: t.version,
      domain: t.domain,
      templateId: t.id,
      exportTime: hdr.exportTime,
      sysUptime: hdr.sysUptime,
      sequence: hdr.sequence,
      delayed,
      template: t,
      fields,
      values,
      sampling: options ? NO_SAMPLING : sampling,
      systemInitMs: options ? null : sysInit,
    });
    count++;
  }
  return count;
}
