/**
 * biflowEvidence against the conformance suite's own reading of the value rule (beside
 * core/biflow-fields.ts BIFLOW_FIELDS), on the conformance world's biflow records: the same rule the
 * stores' SQL is checked against, so the pure core and the aggregate tier cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { generateFlows } from '../storage/conformance/generator.js';
import { withBiflowEvidence } from '../storage/conformance/generator-biflow.js';
import { flowBiflow, NO_BIFLOW } from '../storage/conformance/reference-biflow.js';
import { biflowEvidence } from './biflow.js';

const record = (ext: Record<string, unknown>, rate = 1): FlowRecord => ({
  ...emptyRecord('ipfix', '192.0.2.1', 0),
  sampling_rate: rate,
  extended_fields: { sampling_source: 'none', ...ext },
});

describe('biflowEvidence', () => {
  it('equals the conformance reference on every record of the world', () => {
    const flows = withBiflowEvidence(generateFlows({ seed: 7, day: 0, conversations: 2000 }), 8);
    let withEvidence = 0;
    for (const f of flows) {
      const got = biflowEvidence(f);
      if (got) withEvidence++;
      expect(
        got ?? NO_BIFLOW,
        JSON.stringify(f.extended_fields, (_k, v) => String(v)),
      ).toEqual(flowBiflow(f));
    }
    expect(withEvidence).toBeGreaterThan(300);
  });

  it('treats values that are not non-negative integers below 2^64 as absent', () => {
    // An unreadable biflowDirection lets NSEL decide; an unreadable counter the next name of its list.
    expect(
      biflowEvidence(record({ biflowDirection: 1.5, initiatorOctets: 10, responderOctets: 'n/a' })),
    ).toEqual({
      ...NO_BIFLOW,
      src_initiated: 1,
    });
    expect(
      biflowEvidence(
        record(
          { reverseOctetDeltaCount: -5, reverseOctetTotalCount: '700', reversePacketDeltaCount: 2.5 },
          10,
        ),
      ),
    ).toEqual({ ...NO_BIFLOW, reverse_bytes: 7000, reverse_flows: 1 });
    expect(
      biflowEvidence(record({ biflowDirection: null, initiatorOctets: null, reverseTcpControlBits: true })),
    ).toBeNull();
    expect(
      biflowEvidence(record({ reverseOctetDeltaCount: '18446744073709551616', biflowDirection: ' 2' })),
    ).toBeNull();
    // The low 16 bits of the flags, exact beyond 2^53.
    expect(biflowEvidence(record({ reverseTcpControlBits: '18446744073709551615' }))?.reverse_tcp_flags).toBe(
      65535,
    );
    expect(biflowEvidence(record({ reverseTcpControlBits: 2 ** 53 + 0x12 }))?.reverse_tcp_flags).toBe(0x12);
    expect(biflowEvidence(record({ responderPackets: 5_000_000_000n }))).toEqual({
      ...NO_BIFLOW,
      src_initiated: 1,
      reverse_packets: 5_000_000_000,
      reverse_flows: 1,
    });
  });
});
