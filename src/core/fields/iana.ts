import type { ElementInfo } from './types.js';

// Placeholder: replaced by the full IANA IPFIX information-element registry table.
const ELEMENTS: ElementInfo[] = [
  { id: 1, name: 'octetDeltaCount', type: 'unsigned64' },
  { id: 2, name: 'packetDeltaCount', type: 'unsigned64' },
  { id: 8, name: 'sourceIPv4Address', type: 'ipv4Address' },
  { id: 12, name: 'destinationIPv4Address', type: 'ipv4Address' },
];

const BY_ID = new Map(ELEMENTS.map((e) => [e.id, e]));

/** The IANA element with this id (enterprise bit clear), or undefined if unassigned. */
export function ianaElement(id: number): ElementInfo | undefined {
  return BY_ID.get(id);
}
