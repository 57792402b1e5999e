import { ianaElement } from './iana.js';

/** RFC 5103 section 6.1: reverse-direction elements are IANA elements carried under this PEN. */
export const REVERSE_PEN = 29305;

/**
 * The RFC 5103 reverse name of IANA element `id`: "reverse" + the name with its first letter capitalised
 * (octetDeltaCount -> reverseOctetDeltaCount). Undefined when `id` is not an assigned IANA element.
 */
export function reverseElementName(id: number): string | undefined {
  const info = ianaElement(id);
  if (!info) return undefined;
  return `reverse${info.name.charAt(0).toUpperCase()}${info.name.slice(1)}`;
}

/**
 * Private enterprise numbers (IANA "Private Enterprise Numbers" registry) of vendors whose IPFIX / NetFlow
 * enterprise elements show up in the wild; used for readable names of unknown vendor fields and stats.
 */
const ENTERPRISES: ReadonlyMap<number, string> = new Map([
  [9, 'cisco'],
  [637, 'nokia'],
  [2011, 'huawei'],
  [2636, 'juniper'],
  [3054, 'ixia'],
  [5951, 'netscaler'],
  [6871, 'yaf'],
  [6876, 'vmware'],
  [10704, 'barracuda'],
  [12356, 'fortinet'],
  [15397, 'procera'],
  [25461, 'paloalto'],
  [26866, 'avm'],
  [29305, 'reverse'],
  [35632, 'ntop'],
  [41916, 'viptela'],
]);

/** Short vendor name for a private enterprise number, or undefined if not in the table. */
export function enterpriseName(pen: number): string | undefined {
  return ENTERPRISES.get(pen);
}
