/**
 * Test helper: a capture's payloads in capture order (UDP datagrams and TCP stream chunks), so tests in
 * layers that may not import wire/ (normalize) can replay corpus captures. Damage in a file ends the read
 * quietly here (the capture reader's own tests cover it).
 */
import { readFileSync } from 'node:fs';
import type { DecodeError } from '../../core/errors.js';
import { type CapturedPayload, readCapture } from '../../wire/pcap.js';
import type { Datagram } from '../types.js';

export type { CapturedPayload } from '../../wire/pcap.js';

export function capturePayloads(pathOrBytes: string | Uint8Array): CapturedPayload[] {
  const bytes = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  return [...readCapture(bytes, { onError: () => {} })];
}

/** A payload as the receive path would hand it over: exporter = source address, receive time = capture time. */
export function asDatagram(p: CapturedPayload): Datagram {
  return { bytes: p.payload, exporter: p.src, exporterPort: p.srcPort, receivedAt: p.timestamp };
}

/** The capture reader with an error handler, for tests that damage capture files on purpose. */
export function readCaptureForTest(
  bytes: Uint8Array,
  onError: (e: DecodeError) => void,
): Generator<CapturedPayload> {
  return readCapture(bytes, { onError });
}
