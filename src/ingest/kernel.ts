import { readFileSync } from 'node:fs';

/**
 * Datagrams the kernel dropped because a UDP socket's receive buffer was full (RcvbufErrors of /proc/net/snmp
 * and /proc/net/snmp6), host-wide since boot. They never reach FlowLens, so it cannot count them itself; this
 * makes them visible beside its own drop counters. Null where the files do not exist (not Linux).
 */
export function udpReceiveBufferErrors(): number | null {
  let total: number | null = null;
  for (const [file, prefix] of [
    ['/proc/net/snmp', 'Udp:'],
    ['/proc/net/snmp6', 'Udp6RcvbufErrors'],
  ] as const) {
    try {
      const lines = readFileSync(file, 'utf8').split('\n');
      const value =
        prefix === 'Udp:' ? snmpTable(lines.filter((l) => l.startsWith(prefix))) : snmp6Value(lines, prefix);
      if (value !== null) total = (total ?? 0) + value;
    } catch {
      // Not available here (not Linux, or no IPv6): nothing to add.
    }
  }
  return total;
}

/** /proc/net/snmp: a header line of names and a line of values. */
function snmpTable(lines: string[]): number | null {
  if (lines.length < 2) return null;
  const names = lines[0].split(/\s+/);
  const i = names.indexOf('RcvbufErrors');
  return i < 0 ? null : Number(lines[1].split(/\s+/)[i]);
}

/** /proc/net/snmp6: one "Name value" per line. */
function snmp6Value(lines: string[], name: string): number | null {
  const line = lines.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\t`));
  return line ? Number(line.trim().split(/\s+/)[1]) : null;
}
