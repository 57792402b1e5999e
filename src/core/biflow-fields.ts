/**
 * The extended_fields (IANA names, as src/normalize keeps them) that carry biflow evidence: one list for
 * the rule in deps/biflow.ts and for the aggregate SQL of both stores that keeps what it reads.
 */
export const BIFLOW_FIELDS = {
  /** RFC 5103 section 6.3, biflowDirection (IE 239). */
  direction: 'biflowDirection',
  /** Cisco NSEL connection records (IE 231/232, 298/299): their presence says the source initiated. */
  nsel: ['initiatorOctets', 'responderOctets', 'initiatorPackets', 'responderPackets'],
  /** The reverse direction's counters: the first of these present. */
  reverseBytes: ['reverseOctetDeltaCount', 'reverseOctetTotalCount', 'responderOctets'],
  reversePackets: ['reversePacketDeltaCount', 'reversePacketTotalCount', 'responderPackets'],
  reverseFlags: 'reverseTcpControlBits',
} as const;

/** Every field name above once (a record naming none carries no biflow evidence). */
export const BIFLOW_FIELD_NAMES: readonly string[] = [
  ...new Set([
    BIFLOW_FIELDS.direction,
    ...BIFLOW_FIELDS.nsel,
    ...BIFLOW_FIELDS.reverseBytes,
    ...BIFLOW_FIELDS.reversePackets,
    BIFLOW_FIELDS.reverseFlags,
  ]),
];
