/**
 * The extended_fields (IANA names, as src/normalize keeps them) that carry biflow evidence: one list for
 * the rule in deps/biflow.ts and for the aggregate SQL of both stores that keeps what it reads.
 *
 * Values: every field here (counters, biflowDirection, the flags) counts only when it holds a
 * non-negative integer below 2^64 (IPFIX unsigned64), written as a JSON integer or as a string of decimal
 * digits (how a bigint from a decoder is stored; a JavaScript number is read as its JSON text, so 2^60
 * is 1152921504606847000); anything else (negative, fractional, null, boolean, "n/a", " 5", "1e3", 2^64
 * or more) is treated as ABSENT: a garbled counter says nothing, and zero or a guess would be invented
 * evidence. So an NSEL record whose NSEL fields are all unreadable is no NSEL
 * evidence, an unreadable biflowDirection lets NSEL decide, and a reverse counter falls to the next name
 * of its list. reverseTcpControlBits keeps its low 16 bits (the column's width). Each store and
 * deps/biflow.ts implement this; the conformance suite checks them against its own reference
 * (storage/conformance/reference-biflow.ts). Limit: the embedded store's JSON parser rejects a whole
 * document holding a JSON NUMBER of 2^64 or more (no field of that record is read there), a value no
 * decoder writes (they write such integers as strings).
 */
export const BIFLOW_FIELDS = {
  /** RFC 5103 section 6.3, biflowDirection (IE 239). */
  direction: 'biflowDirection',
  /** Cisco NSEL connection records (IE 231/232, 298/299): a readable value in one says the source initiated. */
  nsel: ['initiatorOctets', 'responderOctets', 'initiatorPackets', 'responderPackets'],
  /** The reverse direction's counters: the first of these holding a readable value. */
  reverseBytes: ['reverseOctetDeltaCount', 'reverseOctetTotalCount', 'responderOctets'],
  reversePackets: ['reversePacketDeltaCount', 'reversePacketTotalCount', 'responderPackets'],
  reverseFlags: 'reverseTcpControlBits',
} as const;

/** One past the largest value a field may hold (IPFIX unsigned64). */
export const BIFLOW_VALUE_LIMIT = 2n ** 64n;

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
