/** What a set decoder needs to know about the message it came in. */
import type { DecodeError } from '../../core/errors.js';
import type { DomainStats } from '../types.js';
import type { TemplateRecord } from './types.js';

export interface MessageHeader {
  exporter: string;
  version: 9 | 10;
  domain: number;
  /** UNIX seconds. */
  exportTime: number;
  /** v9 only, ms. */
  sysUptime: number | null;
  sequence: number;
  /** A copy for state only (Datagram.copy): templates and options data are learned, nothing is emitted. */
  copy?: boolean;
}

/** Accumulates one message's output. */
export interface MessageOutput {
  records: TemplateRecord[];
  errors: DecodeError[];
  /** Data records decoded from this message's own sets (IPFIX sequence accounting). */
  ownDataRecords: number;
  /** Sets of this message held for a missing template. */
  held: number;
  stats: DomainStats;
  /** The message is a copy (MessageHeader.copy). */
  copy: boolean;
}
