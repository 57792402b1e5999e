/**
 * Biflow evidence for the conformance world: RFC 5103 biflows (biflowDirection 0-3, reverse Delta and
 * Total counters, reverseTcpControlBits), Cisco NSEL connection records, records with only some of the
 * fields, and the values a real exporter or a hand-written import may carry that the rule beside
 * core/biflow-fields.ts BIFLOW_FIELDS treats as absent (negative, fractional, null, boolean, non-numeric
 * or padded strings, 2^64 and above as a string) or reads (zero, beyond 2^32 and 2^53, strings of digits,
 * bigints). Added to extended_fields of existing flows by its own seeded generator, so the rest of the
 * world (times, addresses, counters) is the same with or without it.
 */
import { BIFLOW_FIELDS } from '../../core/biflow-fields.js';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS } from '../../core/rules.js';
import { rng } from './generator.js';

type Draw = () => number;
type Fields = Record<string, unknown>;

const F = BIFLOW_FIELDS;
const [DELTA_B, TOTAL_B] = F.reverseBytes;
const [DELTA_P, TOTAL_P] = F.reversePackets;
const [INIT_B, RESP_B, INIT_P, RESP_P] = F.nsel;

const int = (r: Draw, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const bytes = (r: Draw) => int(r, 40, 3_000_000);
const packets = (r: Draw) => int(r, 1, 3000);
const flags = (r: Draw) => [0x12, 0x13, 0x1b, 0x10, 0x14, 0x11, 0x02, 0x04][int(r, 0, 7)];

/**
 * Field sets by kind; `big` marks the ones whose counters go beyond 2^32 (given only to flows sampled
 * 1:100 or less, so every row's sum stays an exact double: the port returns numbers).
 */
const KINDS: { big?: boolean; make: (r: Draw) => Fields }[] = [
  // RFC 5103: the exporter names the initiator, 1 source, 2 destination, 0 arbitrary, 3 perimeter.
  ...[1, 2, 0, 3].map((d) => ({
    make: (r: Draw) => ({
      [F.direction]: d,
      [DELTA_B]: bytes(r),
      [DELTA_P]: packets(r),
      [F.reverseFlags]: flags(r),
    }),
  })),
  { make: (r) => ({ [F.direction]: 1, [TOTAL_B]: bytes(r), [TOTAL_P]: packets(r) }) },
  // Delta and Total both: Delta wins; a Total alone for packets.
  { make: (r) => ({ [F.direction]: 2, [DELTA_B]: bytes(r), [TOTAL_B]: bytes(r), [TOTAL_P]: packets(r) }) },
  // A biflow whose reverse direction saw nothing (zero counters, no flags): no reverse flow.
  { make: () => ({ [F.direction]: 1, [DELTA_B]: 0, [DELTA_P]: 0 }) },
  // Reverse flags only, no counter: flags without a reverse flow.
  { make: (r) => ({ [F.direction]: 0, [F.reverseFlags]: flags(r) }) },
  // NSEL: the source initiated; responder counters are the reverse direction.
  {
    make: (r) => ({ [INIT_B]: bytes(r), [RESP_B]: bytes(r), [INIT_P]: packets(r), [RESP_P]: packets(r) }),
  },
  { make: (r) => ({ [RESP_B]: bytes(r) }) },
  { make: (r) => ({ [INIT_P]: packets(r) }) },
  // NSEL with biflowDirection: the direction decides (2 says the destination initiated).
  { make: (r) => ({ [F.direction]: 2, [INIT_B]: bytes(r), [RESP_B]: bytes(r) }) },
  // Strings of digits are read; a leading zero too.
  { make: (r) => ({ [F.direction]: '2', [DELTA_B]: String(bytes(r)), [DELTA_P]: `0${packets(r)}` }) },
  // Beyond 2^32: numbers, a string and a bigint (stored as a string of digits).
  { big: true, make: (r) => ({ [F.direction]: 1, [DELTA_B]: 2 ** 36 + int(r, 0, 1e6), [DELTA_P]: 2 ** 33 }) },
  {
    big: true,
    make: (r) => ({ [TOTAL_B]: String(2 ** 40 + int(r, 0, 1e6)), [RESP_P]: 5_000_000_000n, [INIT_B]: 1 }),
  },
  // Flags beyond 16 bits (low 16 kept): beyond 2^53 as a number, 2^64 - 1 as a string.
  { make: (r) => ({ [F.direction]: 1, [DELTA_P]: packets(r), [F.reverseFlags]: 2 ** 53 + 0x12 }) },
  { make: (r) => ({ [DELTA_P]: packets(r), [F.reverseFlags]: '18446744073709551615' }) },
  { make: (r) => ({ [DELTA_B]: bytes(r), [F.reverseFlags]: 2 ** 32 + 0x18 }) },
  // Unreadable values are absent: the next name of a list decides, or nothing does.
  { make: (r) => ({ [F.direction]: 1, [DELTA_B]: -5, [TOTAL_B]: bytes(r), [DELTA_P]: 2.5 }) },
  { make: (r) => ({ [F.direction]: -1, [INIT_B]: bytes(r), [RESP_B]: 'n/a', [DELTA_P]: '-3' }) },
  { make: (r) => ({ [F.direction]: 1.5, [RESP_P]: packets(r), [TOTAL_B]: '12.5' }) },
  { make: (r) => ({ [F.direction]: null, [INIT_B]: null, [DELTA_B]: null, [TOTAL_B]: bytes(r) }) },
  { make: () => ({ [F.direction]: '1e0', [INIT_P]: true, [DELTA_B]: ' 5', [DELTA_P]: '0x10' }) },
  { make: () => ({ [F.direction]: 'abc', [INIT_B]: '', [RESP_B]: [1], [F.reverseFlags]: -2 }) },
  {
    make: (r) => ({
      [DELTA_B]: '18446744073709551616',
      [TOTAL_B]: bytes(r),
      [DELTA_P]: '99999999999999999999',
      [F.reverseFlags]: 0x12 + 0.5,
    }),
  },
  // Only unreadable values: a record naming biflow fields that carries no evidence at all.
  { make: () => ({ [F.direction]: 'x', [RESP_B]: -1, [F.reverseFlags]: { syn: true } }) },
];

/**
 * Adds biflow fields to about a third of the flows with ports (the sampling_source field stays), every
 * kind at least once per KINDS.length flows decorated. Flows are copied, not changed.
 */
export function withBiflowEvidence(flows: readonly FlowRecord[], seed: number): FlowRecord[] {
  const r = rng(seed);
  let next = 0;
  return flows.map((f) => {
    if (!f.src_port || !f.dst_port || r() >= 0.35) return f;
    let kind = KINDS[next++ % KINDS.length];
    if (kind.big && f.sampling_rate > 100) kind = KINDS[0];
    return { ...f, extended_fields: { ...f.extended_fields, ...kind.make(r) } };
  });
}

/**
 * Two biflow records of one conversation outside every edge of the suite (so the daily rollup keeps its
 * doubles exact) whose reverse counters sum beyond 2^53 but below 2^63 (PostgreSQL's bigint): their
 * aggregate row must hold the exact sum, which both stores return as decimal text. 2^60 as a number is
 * stored as its JSON text 1152921504606847000 (the shortest decimal of that double), and read so.
 */
export function hugeBiflowFlows(day: number): FlowRecord[] {
  const start = day + 13 * HOUR_MS + 1000;
  const flow = (i: number, ext: Fields): FlowRecord => ({
    ...emptyRecord('ipfix', '192.0.2.1', start + 5000),
    flow_start: start + i,
    flow_end: start + 2000,
    exporter_id: 1,
    sampling_rate: 1,
    src_ip: '198.51.100.99',
    dst_ip: '203.0.113.99',
    src_port: 40_000,
    dst_port: 8443,
    ip_protocol: 6,
    bytes_total: 1500,
    packets_total: 3,
    tcp_flags: 0x1b,
    extended_fields: { sampling_source: 'none', ...ext },
  });
  return [
    flow(0, { [F.direction]: 1, [DELTA_B]: '4611686018427387905', [DELTA_P]: 2 ** 60 }),
    flow(1, { [F.direction]: 1, [DELTA_B]: 1_000_000_000_000_000_001n, [DELTA_P]: '3' }),
  ];
}
