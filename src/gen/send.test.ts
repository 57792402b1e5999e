import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import { createExporter, sendLoad } from './index.js';

describe('sendLoad', () => {
  it('sends exactly the requested flows over a real UDP socket at the requested pace', async () => {
    const rx = createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    const port = (rx.address() as AddressInfo).port;
    const dec = new FlowDecoder();
    let received = 0;
    let bytes = 0;
    let datagrams = 0;
    rx.on('message', (msg, info) => {
      datagrams++;
      const out = dec.decode({
        bytes: msg,
        exporter: info.address,
        exporterPort: info.port,
        receivedAt: Date.now(),
      });
      expect(out.errors).toEqual([]);
      received += out.records.length;
      for (const r of out.records) bytes += Number(r.bytes_total);
    });
    const exporter = createExporter({ protocol: 'v9', seed: 11, samplingRate: 10 });
    const res = await sendLoad({ exporter, host: '127.0.0.1', port, flowsPerSecond: 20_000, flows: 5_003 });
    // Loopback delivery is reliable enough at this rate; wait for the last datagrams to be read.
    for (let i = 0; i < 50 && datagrams < res.totals.datagrams; i++)
      await new Promise((r) => setTimeout(r, 20));
    rx.close();
    expect(res.sendErrors).toBe(0);
    expect(res.totals.flows).toBe(5_003);
    expect(datagrams).toBe(res.totals.datagrams);
    expect(received).toBe(5_003);
    expect(bytes).toBe(res.totals.bytes);
    // 5003 flows at 20k/s take about 250 ms; allow a loaded machine generous slack.
    expect(res.elapsedMs).toBeGreaterThan(200);
    expect(res.elapsedMs).toBeLessThan(5_000);
  });
});
