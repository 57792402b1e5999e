import type { DecodeError, DecodeErrorCode } from '../core/errors.js';
import type { ProtocolType } from '../core/record.js';

/**
 * What the receive path hands to decoding: the bytes and who sent them. `receivedAt` is the only clock a
 * decoder ever sees (sFlow samples take it as their time; DESIGN.md "Decoding rules").
 */
export interface Datagram {
  bytes: Uint8Array;
  /** Exporter address as a canonical string (IPv4 dotted / IPv6 RFC 5952). */
  exporter: string;
  exporterPort: number;
  /** Epoch milliseconds. */
  receivedAt: number;
  /**
   * A copy of a datagram another decode worker decodes (ingest spreads one exporter over the workers): this
   * worker only learns its templates and options data (sampling); none of its records, errors or counts.
   */
  copy?: boolean;
  /**
   * Where sequence numbers are noted instead of checked here: with one exporter spread over the workers,
   * each sees only some of its datagrams, so the checks run on the notes merged back in arrival order.
   */
  sequences?: SequenceNote[];
}

/** One datagram's sequence number, as trackSequence (decode/state.ts) takes it. */
export interface SequenceNote {
  exporter: string;
  protocol: ProtocolType;
  domain: number;
  sequence: number;
  advance: number;
  /** The datagram hid how far it advanced (held sets): the next one is not checked against it. */
  forget: boolean;
}

/** The result of decoding one datagram (or one IPFIX message): protocol records plus typed errors. */
export interface DecodeOutput<R> {
  records: R[];
  errors: DecodeError[];
}

/**
 * Health of one (exporter, protocol, observation domain): DESIGN.md asks for sequence gaps (exporter-side
 * loss), template counts and decode errors by reason, returned as data for the collector's metrics.
 */
export interface DomainStats {
  exporter: string;
  protocol: ProtocolType;
  /** Observation domain (IPFIX), source id (v9), engine type/id (v5), agent sub-id (sFlow). */
  domain: number;
  datagrams: number;
  records: number;
  /** Units lost according to sequence numbers (flows for v5/IPFIX, packets for v9, datagrams for sFlow). */
  sequenceLost: number;
  /** Sequence numbers that went backwards or jumped absurdly (exporter restart, reordering). */
  sequenceResets: number;
  lastSequence: number | null;
  templates: number;
  optionsTemplates: number;
  errors: Partial<Record<DecodeErrorCode, number>>;
}

export function newDomainStats(exporter: string, protocol: ProtocolType, domain: number): DomainStats {
  return {
    exporter,
    protocol,
    domain,
    datagrams: 0,
    records: 0,
    sequenceLost: 0,
    sequenceResets: 0,
    lastSequence: null,
    templates: 0,
    optionsTemplates: 0,
    errors: {},
  };
}
