/**
 * Test helper: "an edge to an ephemeral port", defined from the port ranges alone, independently of the
 * inference code (evidence.ts ranks ports its own way; a test that reused that ranking would check the code
 * against itself). The edge's server port lies in the IANA dynamic range (RFC 6335: 49152-65535) or in
 * Linux's default ip_local_port_range (32768-60999), where operating systems pick client source ports, AND
 * the IANA registry (the generated table of src/core/services) names no service on it for the edge's
 * protocol, AND the operator declared no such port ("port/proto", e.g. "9200/6"). Server port 0 (the tier
 * collapsed it: unknown) is not ephemeral; tests count it apart.
 */
import { serviceName } from '../../core/services/services.js';

export function ephemeralServerPort(
  port: number,
  proto: number,
  userPorts: ReadonlySet<string> = new Set(),
): boolean {
  const inRange = port >= 49152 || (port >= 32768 && port <= 60999);
  return inRange && serviceName(port, proto) === null && !userPorts.has(`${port}/${proto}`);
}
