import { describe, expect, it } from 'vitest';
import { toJsonRecord } from '../core/json.js';
import { Prng } from '../core/prng.js';
import { type CapturedPayload, capturePayloads } from '../decode/testing/captures.js';
import { CORPUS_DIR } from '../decode/testing/corpus.js';
import { type FlowDecodeResult, FlowDecoder } from './flow-decoder.js';

const udp = (name: string): CapturedPayload[] =>
  capturePayloads(`${CORPUS_DIR}/${name}`).filter((p) => p.transport === 'udp');

function viaDatagrams(d: FlowDecoder, ps: CapturedPayload[]): FlowDecodeResult[] {
  return ps.map((p) =>
    d.decode({ bytes: p.payload, exporter: p.src, exporterPort: p.srcPort, receivedAt: 0 }),
  );
}

const json = (rs: FlowDecodeResult[]) =>
  rs.flatMap((r) => r.records.map((x) => JSON.stringify(toJsonRecord(x))));

function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

/** The datagrams of a capture as one TCP byte stream cut at random places (1-byte chunks included). */
function streamInChunks(d: FlowDecoder, ps: CapturedPayload[], seed: number, id = 'c1'): FlowDecodeResult[] {
  const total = ps.reduce((n, p) => n + p.payload.length, 0);
  const stream = new Uint8Array(total);
  let o = 0;
  for (const p of ps) {
    stream.set(p.payload, o);
    o += p.payload.length;
  }
  const rnd = prng(seed);
  const out: FlowDecodeResult[] = [];
  const conn = { id, exporter: ps[0].src, exporterPort: ps[0].srcPort };
  for (let i = 0; i < total; ) {
    const n = rnd() < 0.2 ? 1 : 1 + Math.floor(rnd() * 700);
    out.push(d.decodeStream(conn, stream.subarray(i, i + n), 0));
    i += n;
  }
  d.closeStream(id);
  return out;
}

describe('FlowDecoder over TCP streams', () => {
  it('frames IPFIX over TCP into the same records as the datagrams, however the stream is cut', () => {
    for (const name of [
      'logstash-codec-netflow/ipfix_mikrotik_routeros_6.39.2.pcap',
      'pmacct/100-IPFIXv10-CISCO--traffic-00.pcap',
    ]) {
      const ps = udp(name);
      const expected = json(viaDatagrams(new FlowDecoder(), ps));
      expect(expected.length).toBeGreaterThan(10);
      for (const seed of [1, 2, 3]) {
        const got = streamInChunks(new FlowDecoder(), ps, seed);
        expect(json(got), `${name} seed ${seed}`).toEqual(expected);
        expect(got.flatMap((r) => r.errors)).toEqual([]);
      }
    }
  });

  it('frames NetFlow v9 over TCP (no length in the header) into the same records', () => {
    const ps = udp('logstash-codec-netflow/netflow9_cisco_asr9k.pcap');
    const expected = json(viaDatagrams(new FlowDecoder(), ps));
    expect(expected.length).toBe(21);
    for (const seed of [4, 5, 6]) expect(json(streamInChunks(new FlowDecoder(), ps, seed))).toEqual(expected);
  });

  it('reports a TCP connection that carries no export protocol once, then ignores it', () => {
    const d = new FlowDecoder();
    const conn = { id: 'bmp', exporter: '192.0.2.1', exporterPort: 179 };
    const first = d.decodeStream(conn, new Uint8Array([3, 0, 0, 0, 6, 4]), 0);
    expect(first.errors.map((e) => e.code)).toEqual(['unknown_protocol']);
    expect(d.decodeStream(conn, new Uint8Array(100), 0).errors).toEqual([]);
  });
});

describe('FlowDecoder state', () => {
  it('snapshot -> JSON -> restore lets a new decoder decode data whose template it never saw', () => {
    const [tpl, data] = udp('goflow2/netflow_v9_template_data.pcap');
    const a = new FlowDecoder();
    viaDatagrams(a, [tpl]);
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    const fresh = viaDatagrams(new FlowDecoder(), [data]);
    expect(fresh[0].records.length).toBe(0); // no template: held, not decoded
    const b = new FlowDecoder();
    b.restore(snap);
    const restored = json(viaDatagrams(b, [data]));
    expect(restored.length).toBe(21);
    expect(restored).toEqual(json(viaDatagrams(a, [data])));
  });

  it('keeps data held without a template across a snapshot', () => {
    const d = new FlowDecoder();
    viaDatagrams(d, udp('nDPI/netflowv9.pcap'));
    expect(d.pendingCount()).toBeGreaterThan(0);
    const b = new FlowDecoder();
    b.restore(JSON.parse(JSON.stringify(d.snapshot())));
    expect(b.pendingCount()).toBe(d.pendingCount());
  });

  it('ignores a corrupt snapshot instead of throwing', () => {
    const d = new FlowDecoder();
    for (const bad of [
      null,
      {},
      { version: 1, exporters: null },
      { version: 1, exporters: { x: { template: 5 } } },
    ]) {
      expect(() => d.restore(bad as never)).not.toThrow();
    }
  });

  it('emits only flows by default; includeAll adds options data and counter samples', () => {
    const ps = [
      ...udp('logstash-codec-netflow/netflow9_cisco_nbar.pcap'),
      ...udp('logstash-codec-sflow/sflow_with_lag_counters.pcap'),
    ];
    const types = (d: FlowDecoder) =>
      viaDatagrams(d, ps)
        .flatMap((r) => r.records)
        .reduce<Record<string, number>>((m, r) => {
          const t = r.record_type ?? 'flow';
          m[t] = (m[t] ?? 0) + 1;
          return m;
        }, {});
    // tshark: nbar 5 flow + 15 options records; lag counters 5 flow samples + 2 counter samples.
    expect(types(new FlowDecoder())).toEqual({ flow: 10 });
    expect(types(new FlowDecoder({ includeAll: true }))).toEqual({
      flow: 10,
      options: 15,
      sflow_counters: 2,
    });
  });

  it('applies sampling options (override per exporter) and counts unknown protocols', () => {
    const [p] = udp('goflow2/netflow_v5.pcap');
    const d = new FlowDecoder({ samplingOverride: { [p.src]: 512 } });
    const r = d.decode({ bytes: p.payload, exporter: p.src, exporterPort: p.srcPort, receivedAt: 0 });
    expect(r.protocol).toBe('netflow_v5');
    expect(
      r.records.every(
        (x) => x.sampling_rate === 512 && x.extended_fields.sampling_source === 'config_override',
      ),
    ).toBe(true);
    const u = d.decode({
      bytes: new Uint8Array([1, 2, 3, 4, 5, 6]),
      exporter: p.src,
      exporterPort: 1,
      receivedAt: 0,
    });
    expect([u.protocol, u.errors.map((e) => e.code)]).toEqual([null, ['unknown_protocol']]);
    expect(d.stats().find((s) => s.protocol === 'netflow_v5')).toMatchObject({ datagrams: 1, records: 6 });
  });
});
