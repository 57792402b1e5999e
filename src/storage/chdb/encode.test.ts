import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { createExporter } from '../../gen/index.js';
import { FlowDecoder } from '../../normalize/flow-decoder.js';
import { encodeRowBinary } from './encode.js';

/** LEB128 length + UTF-8 bytes: RowBinary's String. */
function rowBinaryString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len: number[] = [];
  let n = bytes.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from(len), bytes]);
}

/** extended_fields is the row's last column: the encoded row must end in exactly JSON.stringify's bytes. */
function expectJsonColumn(ext: unknown, expected: string): void {
  const base: FlowRecord = {
    ...emptyRecord('ipfix', '192.0.2.1', 1_700_000_000_000),
    extended_fields: {} as FlowRecord['extended_fields'],
  };
  const empty = encodeRowBinary([base]);
  const got = encodeRowBinary([{ ...base, extended_fields: ext as FlowRecord['extended_fields'] }]);
  const want = Buffer.concat([empty.subarray(0, empty.length - 3), rowBinaryString(expected)]);
  expect(got.equals(want)).toBe(true);
}

describe('extended_fields column (written without JSON.stringify on the fast path)', () => {
  it('is byte-identical to JSON.stringify for the records the IPFIX decoder produces', () => {
    const exp = createExporter({ protocol: 'ipfix', seed: 3, variableLength: true });
    const dec = new FlowDecoder({});
    let checked = 0;
    for (let i = 0; i < 30; i++) {
      const out = dec.decode({
        bytes: exp.next(1_700_000_000_000 + i).bytes,
        exporter: '192.0.2.9',
        exporterPort: 4739,
        receivedAt: 1_700_000_000_000 + i,
      });
      for (const r of out.records) {
        expectJsonColumn(r.extended_fields, JSON.stringify(r.extended_fields));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('is byte-identical to JSON.stringify for edge values (numbers, escapes, nesting, order, skips)', () => {
    const cases: [unknown, string][] = [
      [{}, '{}'],
      [{ a: -0, b: -12345, c: Number.MAX_SAFE_INTEGER, d: 2 ** 60, e: 1e21, f: 1.5, g: -2.5e-7 }, ''],
      [{ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY }, ''],
      [{ a: true, b: false, c: null, d: undefined, e: () => 1, f: 'x' }, ''],
      [{ b: 1, 2: 'two', a: 3, 1: 'one' }, ''],
      [{ q: 'say "hi"' }, ''],
      [{ s: 'back\\slash' }, ''],
      [{ n: 'line\nbreak\u0001' }, ''],
      [{ u: 'caf\u00e9 \u{1F600}' }, ''],
      [{ 'k"ey': 1 }, ''],
      [{ nested: { a: [1, 'x', null] } }, ''],
      [{ arr: [1, 2] }, ''],
      [{ d: new Date(0) }, ''],
      [{ long: 'x'.repeat(300) }, ''],
      [{ longer: 'y'.repeat(20_000) }, ''],
      [Object.assign(Object.create(null), { a: 1 }), ''],
      [{ toJSON: () => ({ replaced: true }) }, ''],
      [{ toJSON: undefined, a: 1 }, ''],
    ];
    for (const [v, literal] of cases) expectJsonColumn(v, literal || JSON.stringify(v));
  });

  it('writes every safe integer as JSON.stringify does (digit lengths 1..16, both signs, 10^8 boundaries)', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const values = [0, 9, 10, 99_999_999, 100_000_000, 100_000_001, 1e16 - 1, Number.MAX_SAFE_INTEGER];
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + Math.floor(rand() * 16);
      values.push(Math.min(Number.MAX_SAFE_INTEGER, Math.floor(rand() * 10 ** digits)));
    }
    for (let i = 0; i < values.length; i += 8) {
      const o: Record<string, number> = {};
      for (const [j, v] of values.slice(i, i + 8).entries()) o[`k${j}`] = j % 2 ? -v : v;
      expectJsonColumn(o, JSON.stringify(o));
    }
  });

  it('stays byte-identical over sequences where keys and values repeat, change, skip and escape by position', () => {
    // The encoder reuses the bytes of a key and value that repeat at the same position; random sequences
    // from small pools make repeats, near-repeats (-0, NaN, 1 vs '1') and changes of kind at every position.
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const keys = ['template_id', 'time_source', 'a', 'b', 'k"ey', 'toJSON', 'c'];
    const values: unknown[] = [257, 0, -0, Number.NaN, 1, '1', 'none', 'caf\u00e9', 'q"', true, false, null];
    values.push(undefined, [1], { n: 1 }, 1.5, 2 ** 60, 'x'.repeat(100));
    for (let i = 0; i < 3000; i++) {
      const o: Record<string, unknown> = {};
      const n = rand(6);
      // Mostly one key order (as records of one template), sometimes a shuffled or shorter one.
      const order = rand(4) === 0 ? [...keys].sort(() => rand(3) - 1) : keys;
      for (let j = 0; j < n; j++) {
        const k = order[j];
        if (k === 'toJSON' && rand(10) !== 0) continue;
        o[k] = rand(3) === 0 ? values[rand(values.length)] : values[j % 3];
      }
      expectJsonColumn(o, JSON.stringify(o));
    }
  });

  it('writes bigint counters and byte arrays as the slow path always did', () => {
    expectJsonColumn({ big: 2n ** 64n - 1n, n: 1 }, '{"big":"18446744073709551615","n":1}');
    expectJsonColumn({ b: new Uint8Array([1, 2]) }, '{"b":{"0":1,"1":2}}');
  });
});
