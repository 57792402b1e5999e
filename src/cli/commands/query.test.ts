import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIO } from '../testing/io.js';
import { parseTopFlags, runTop } from './query.js';

const data = mkdtempSync(join(tmpdir(), 'flowlens-query-filter-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('query top --filter', () => {
  it('parses the filter language into the query', () => {
    const q = parseTopFlags({ by: 'dst_ip', filter: 'dst port 443 and not flags A' }, 1_000_000_000);
    expect(q.filter).toEqual({
      op: 'and',
      filters: [
        { op: 'eq', field: 'dst_port', value: 443 },
        { op: 'not', filter: { op: 'flags', mask: 16 } },
      ],
    });
    expect(parseTopFlags({ by: 'dst_ip', filter: '  ' }, 1_000_000_000).filter).toBeUndefined();
  });

  it('a bad filter prints the input with a caret under the offending text and exits 2', async () => {
    const io = captureIO();
    await runTop({ data, by: 'dst_ip', filter: 'src net 10.0.0.0/8 and port https' }, io);
    expect(io.code()).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      'flowlens query top: --filter:\n' +
        'src net 10.0.0.0/8 and port https\n' +
        `${' '.repeat(28)}^^^^^\n` +
        'at 28: expected a port number, got "https"\n',
    );
  });

  it('dependency-only terms are refused for flows at their position', async () => {
    const io = captureIO();
    await runTop({ data, by: 'dst_ip', filter: 'proto tcp and client group payments' }, io);
    expect(io.code()).toBe(2);
    expect(io.err()).toContain(
      `${' '.repeat(14)}^^^^^^\nat 14: client/server applies to dependency queries only\n`,
    );
  });
});
