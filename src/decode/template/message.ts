/** Per-message bookkeeping shared by the v9 and IPFIX decoders: output accumulation, error context, stats. */
import {
  asDecodeError,
  DecodeError,
  type DecodeErrorCode,
  type DecodeErrorContext,
} from '../../core/errors.js';
import type { ExporterState } from '../state.js';
import type { DecodeOutput } from '../types.js';
import type { MessageHeader, MessageOutput } from './context.js';
import { protocolOf } from './state.js';
import type { TemplateRecord } from './types.js';

export function newOutput(state: ExporterState, hdr: MessageHeader): MessageOutput {
  const stats = state.domain(protocolOf(hdr.version), hdr.domain);
  if (!hdr.copy) stats.datagrams++;
  return { records: [], errors: [], ownDataRecords: 0, held: 0, stats, copy: hdr.copy === true };
}

export function errorAt(
  hdr: MessageHeader,
  code: DecodeErrorCode,
  message: string,
  extra: { setId?: number; templateId?: number; offset?: number },
): DecodeError {
  const ctx: DecodeErrorContext = {
    exporter: hdr.exporter,
    version: hdr.version,
    domain: hdr.domain,
    ...extra,
  };
  return new DecodeError(code, message, ctx);
}

/** Wrap an unexpected exception from a set (a bug) so the other sets of the message still decode. */
export function caught(
  hdr: MessageHeader,
  err: unknown,
  extra: { setId?: number; offset?: number },
): DecodeError {
  return asDecodeError(err, { exporter: hdr.exporter, version: hdr.version, domain: hdr.domain, ...extra });
}

/**
 * Close a message: count records and errors into the domain stats. A copy's errors are its owner's to
 * report; its records are those its template released from this worker's own held sets.
 */
export function finishOutput(out: MessageOutput): DecodeOutput<TemplateRecord> {
  out.stats.records += out.records.length;
  if (out.copy) return { records: out.records, errors: [] };
  for (const e of out.errors) out.stats.errors[e.code] = (out.stats.errors[e.code] ?? 0) + 1;
  return { records: out.records, errors: out.errors };
}

/** An error before the domain is known (short or foreign header): counted under domain 0 of the version. */
export function headerFailure(
  state: ExporterState,
  version: 9 | 10,
  exporter: string,
  code: DecodeErrorCode,
  message: string,
): DecodeOutput<TemplateRecord> {
  const stats = state.domain(protocolOf(version), 0);
  stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  return { records: [], errors: [new DecodeError(code, message, { exporter, version, offset: 0 })] };
}
