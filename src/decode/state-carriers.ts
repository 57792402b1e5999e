/**
 * Which datagrams change decoding state. One exporter's datagrams can be decoded by several workers at
 * once (ingest/pool.ts spreads them) if every worker sees what the decoders remember: NetFlow v9 and IPFIX
 * template sets, and options data (the sampling rates and system init times later records are read with).
 * NetFlow v5 and sFlow carry no such state. This reads set headers and template ids only, never records.
 *
 * It learns from the template sets it sees which ids are options templates. A data set whose id it has not
 * seen defined counts as state too: its template may be an options template this process has not seen yet
 * (after a restart the workers restore templates this does not know), until the exporter's next template
 * refresh names it. Template withdrawals forget the id.
 */
const V9_HEADER = 20;
const IPFIX_HEADER = 16;

type Kind = 'data' | 'options';

export class StateCarriers {
  /** `${exporter}|${version}|${domain}` -> template id -> kind. */
  private readonly kinds = new Map<string, Map<number, Kind>>();

  /** Whether every decode worker must see this datagram before the exporter's next ones. */
  carriesState(exporter: string, b: Uint8Array): boolean {
    if (b.length < 4) return false;
    const version = (b[0] << 8) | b[1];
    if (version === 9 && b.length >= V9_HEADER) return this.scan(exporter, b, 9);
    if (version === 10 && b.length >= IPFIX_HEADER) return this.scan(exporter, b, 10);
    return false;
  }

  private scan(exporter: string, b: Uint8Array, version: 9 | 10): boolean {
    const domain = version === 9 ? u32(b, 16) : u32(b, 12);
    const key = `${exporter}|${version}|${domain}`;
    // Created by a template set only: data from domains never defined (spoofed ones too) adds nothing.
    let kinds = this.kinds.get(key);
    const end = version === 9 ? b.length : Math.min(b.length, u16(b, 2));
    const templateSet = version === 9 ? 0 : 2;
    const optionsSet = version === 9 ? 1 : 3;
    let state = false;
    let p = version === 9 ? V9_HEADER : IPFIX_HEADER;
    while (end - p >= 4) {
      const id = u16(b, p);
      const len = u16(b, p + 2);
      if (len < 4 || len > end - p) break; // zero-fill or corrupt: the decoder reports it
      if (id === templateSet || id === optionsSet) {
        state = true;
        if (!kinds) {
          kinds = new Map();
          this.kinds.set(key, kinds);
        }
        learn(kinds, { b, start: p + 4, end: p + len, version, options: id === optionsSet });
      } else if (id >= 256 && kinds?.get(id) !== 'data') state = true;
      p += len;
    }
    return state;
  }
}

interface TemplateSet {
  b: Uint8Array;
  start: number;
  end: number;
  version: 9 | 10;
  options: boolean;
}

/** Record the kind of every template a template set defines (RFC 3954 sections 5.2-5.3, RFC 7011 3.4). */
function learn(kinds: Map<number, Kind>, s: TemplateSet): void {
  const { b, end, version, options } = s;
  const kind: Kind = options ? 'options' : 'data';
  let p = s.start;
  while (end - p >= 4) {
    const id = u16(b, p);
    const count = u16(b, p + 2);
    if (id < 256) {
      // IPFIX withdrawal of every template of the set's kind (id = the set id, count 0); else padding.
      if (version === 10 && count === 0 && (id === 2 || id === 3)) {
        for (const [tid, k] of kinds) if (k === kind) kinds.delete(tid);
      }
      return;
    }
    if (version === 9 && options) {
      // Options template: id, scope length, options length (both in bytes of field specifiers).
      if (end - p < 6) return;
      kinds.set(id, kind);
      p += 6 + count + u16(b, p + 4);
      continue;
    }
    if (count === 0) {
      kinds.delete(id); // IPFIX template withdrawal
      p += 4;
      continue;
    }
    kinds.set(id, kind);
    p += version === 10 && options ? 6 : 4;
    for (let i = 0; i < count && p + 4 <= end; i++) p += b[p] & 0x80 && version === 10 ? 8 : 4;
  }
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
