import { describe, expect, it } from 'vitest';
import { enterpriseName, REVERSE_PEN, reverseElementName } from './enterprise.js';
import { IANA_ELEMENT_COUNT, ianaElement, ianaElementByName } from './iana.js';
import { IANA_ELEMENTS } from './iana-table.js';

// Expected values below are taken from the IANA registry text (RFC 7012 / RFC 5102 / RFC 9487 / RFC 8549),
// not from the generated table.
describe('IANA IPFIX element registry', () => {
  it('knows the elements every flow exporter uses', () => {
    expect(ianaElement(1)).toEqual({ id: 1, name: 'octetDeltaCount', type: 'unsigned64' });
    expect(ianaElement(4)).toEqual({ id: 4, name: 'protocolIdentifier', type: 'unsigned8' });
    expect(ianaElement(6)).toEqual({ id: 6, name: 'tcpControlBits', type: 'unsigned16' });
    expect(ianaElement(27)).toEqual({ id: 27, name: 'sourceIPv6Address', type: 'ipv6Address' });
    expect(ianaElement(56)).toEqual({ id: 56, name: 'sourceMacAddress', type: 'macAddress' });
    expect(ianaElement(96)).toEqual({ id: 96, name: 'applicationName', type: 'string' });
    expect(ianaElement(152)).toEqual({
      id: 152,
      name: 'flowStartMilliseconds',
      type: 'dateTimeMilliseconds',
    });
    expect(ianaElement(156)?.type).toBe('dateTimeNanoseconds');
    expect(ianaElement(225)?.name).toBe('postNATSourceIPv4Address');
    expect(ianaElement(276)?.type).toBe('boolean');
    expect(ianaElement(292)?.type).toBe('subTemplateList');
    expect(ianaElement(311)).toEqual({ id: 311, name: 'samplingProbability', type: 'float64' });
    expect(ianaElement(434)?.type).toBe('signed32');
    expect(ianaElement(483)).toEqual({ id: 483, name: 'bgpCommunity', type: 'unsigned32' });
    expect(ianaElement(495)).toEqual({ id: 495, name: 'srhActiveSegmentIPv6', type: 'ipv6Address' });
  });

  it('returns undefined for reserved, NetFlow-v9-compat and out-of-range ids', () => {
    expect(ianaElement(0)).toBeUndefined();
    for (const id of [65, 69, 97, 105, 127]) expect(ianaElement(id)).toBeUndefined();
    expect(ianaElement(32767)).toBeUndefined();
    expect(ianaElement(40000)).toBeUndefined();
    expect(ianaElement(-1)).toBeUndefined();
  });

  it('is complete: contiguous ranges of the registry have no holes', () => {
    const ranges = [
      [1, 64],
      [70, 96],
      [128, 415],
      [420, 529],
    ];
    for (const [lo, hi] of ranges) {
      for (let id = lo; id <= hi; id++) expect(ianaElement(id), `element ${id}`).toBeDefined();
    }
    expect(IANA_ELEMENT_COUNT).toBeGreaterThanOrEqual(495);
  });

  it('table is sorted, ids unique, names unique', () => {
    const names = new Set<string>();
    for (let i = 0; i < IANA_ELEMENTS.length; i++) {
      if (i > 0) expect(IANA_ELEMENTS[i][0]).toBeGreaterThan(IANA_ELEMENTS[i - 1][0]);
      names.add(IANA_ELEMENTS[i][1]);
    }
    expect(names.size).toBe(IANA_ELEMENTS.length);
  });

  it('looks elements up by name', () => {
    expect(ianaElementByName('destinationIPv4Address')?.id).toBe(12);
    expect(ianaElementByName('nope')).toBeUndefined();
  });
});

describe('enterprise numbers', () => {
  it('names RFC 5103 reverse elements', () => {
    expect(REVERSE_PEN).toBe(29305);
    expect(reverseElementName(1)).toBe('reverseOctetDeltaCount');
    expect(reverseElementName(2)).toBe('reversePacketDeltaCount');
    expect(reverseElementName(6)).toBe('reverseTcpControlBits');
    expect(reverseElementName(65)).toBeUndefined();
  });

  it('maps well-known PENs to vendors', () => {
    expect(enterpriseName(9)).toBe('cisco');
    expect(enterpriseName(2636)).toBe('juniper');
    expect(enterpriseName(6871)).toBe('yaf');
    expect(enterpriseName(29305)).toBe('reverse');
    expect(enterpriseName(35632)).toBe('ntop');
    expect(enterpriseName(1)).toBeUndefined();
  });
});
