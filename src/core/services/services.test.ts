import { describe, expect, it } from 'vitest';
import { SERVICE_LINES } from './service-table.js';
import { isServicePort, parseUserServicePorts, portRange, serviceName, serviceNameFor } from './services.js';

describe('IANA service table', () => {
  it('names well-known and registered ports by their primary (not alias) name', () => {
    expect(serviceName(80, 6)).toBe('http'); // not the aliases www / www-http
    expect(serviceName(443, 'tcp')).toBe('https');
    expect(serviceName(53, 17)).toBe('domain');
    expect(serviceName(123, 17)).toBe('ntp');
    expect(serviceName(514, 6)).toBe('shell');
    expect(serviceName(514, 17)).toBe('syslog');
    expect(serviceName(5432, 6)).toBe('postgresql');
    expect(serviceName(27017, 6)).toBe('mongodb');
    expect(serviceName(8080, 6)).toBe('http-alt');
    expect(serviceName(6010, 6)).toBe('x11'); // inside the range 6000-6063
    expect(serviceName(80, 132)).toBe('http');
  });

  it('has no entry for unassigned, reserved or portless protocols', () => {
    expect(serviceName(0, 6)).toBeNull();
    expect(serviceName(1023, 6)).toBeNull(); // Reserved
    expect(serviceName(4, 6)).toBeNull(); // Unassigned
    expect(serviceName(50000, 6)).toBeNull(); // dynamic range: IANA never assigns
    expect(serviceName(8, 1)).toBeNull(); // ICMP has no ports
  });

  it('is ordered, one line per port and name, no duplicates per port/protocol', () => {
    const seen = new Set<string>();
    let last = 0;
    for (const line of SERVICE_LINES.split('\n').filter(Boolean)) {
      const [port, protos, name] = line.split(' ');
      expect(Number(port)).toBeGreaterThanOrEqual(last);
      last = Number(port);
      expect(protos).toMatch(/^t?u?s?$/);
      expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._+*/-]*$/);
      for (const p of protos) {
        expect(seen.has(`${port}/${p}`)).toBe(false);
        seen.add(`${port}/${p}`);
      }
    }
    expect(seen.size).toBeGreaterThan(10_000);
  });
});

describe('service ports', () => {
  it('RFC 6335 ranges', () => {
    expect([portRange(22), portRange(1024), portRange(49151), portRange(49152)]).toEqual([
      'system',
      'user',
      'user',
      'dynamic',
    ]);
  });

  it('user ports add to IANA and may rename', () => {
    const user = parseUserServicePorts(['9200/tcp=elasticsearch', '8125/udp', '7000']);
    expect(isServicePort(9200, 6, user)).toBe(true);
    expect(serviceNameFor(9200, 6, user)).toBe('elasticsearch');
    expect(serviceNameFor(9200, 6)).toBe('wap-wsp');
    expect(isServicePort(8125, 17, user)).toBe(true);
    expect(isServicePort(8125, 6, user)).toBe(false);
    expect(isServicePort(7000, 17, user)).toBe(true);
    expect(isServicePort(50000, 6)).toBe(false);
    expect(isServicePort(0, 6, user)).toBe(false);
    expect(() => parseUserServicePorts(['http'])).toThrow(/got "http"/);
    expect(() => parseUserServicePorts(['70000/tcp'])).toThrow();
  });
});
