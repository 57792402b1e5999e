/** Test helper: the UDP payloads of a corpus capture, with sFlow recognised by content (never by port). */
import { readFileSync } from 'node:fs';
import { type CapturedPayload, readCapture } from '../../../wire/pcap.js';

export type { CapturedPayload } from '../../../wire/pcap.js';

/** 32-bit version 5 and agent address type 1 (IPv4) or 2 (IPv6): sFlow v5 datagram header. */
export function isSflow(b: Uint8Array): boolean {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0 || b[3] !== 5) return false;
  return b[4] === 0 && b[5] === 0 && b[6] === 0 && (b[7] === 1 || b[7] === 2);
}

export function capturePayloads(path: string): CapturedPayload[] {
  return [...readCapture(readFileSync(path))];
}
