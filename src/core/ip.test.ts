/** IPv6 text form per RFC 5952 (examples from its sections 4 and 5, hand-checked). */
import { describe, expect, it } from 'vitest';
import { ipv6ToString, parseIp } from './ip.js';

function bytes(words: number[]): Uint8Array {
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 255;
  });
  return b;
}

describe('ipv6ToString (RFC 5952)', () => {
  it.each([
    [[0x2001, 0xdb8, 0, 0, 0, 0, 2, 1], '2001:db8::2:1'], // 4.2.1 longest run
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'], // 4.2.2 one 0 word is not shortened
    [[0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'], // 4.2.3 longest run wins
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'], // 4.2.3 first run wins a tie
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0xfe80, 0, 0, 0, 0, 0, 0, 0], 'fe80::'],
    [[0xabcd, 0xef, 1, 2, 3, 4, 5, 0xffff], 'abcd:ef:1:2:3:4:5:ffff'], // 4.3 lower case, no leading 0
    [[0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0280], '::ffff:192.0.2.128'], // 5 IPv4-mapped
  ])('%j -> %s', (words, text) => {
    expect(ipv6ToString(bytes(words))).toBe(text);
    expect(Array.from(parseIp(text) ?? [])).toEqual(Array.from(bytes(words)));
  });

  it('reads at an offset', () => {
    const b = new Uint8Array(20);
    b.set(bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5]), 3);
    expect(ipv6ToString(b, 3)).toBe('2001:db8::5');
  });
});
