/**
 * Writes generated exports of every protocol as pcap files plus what the generator says they contain, for
 * the third-party check against Wireshark's dissectors (check.py). Usage:
 *   npx vite-node scripts/tshark-check/make-captures.ts /tmp/gen && python3 scripts/tshark-check/check.py /tmp/gen
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExporter, GEN_PROTOCOLS } from '../../src/gen/index.js';
import { DEFAULT_PORTS, writePcap } from '../../src/gen/pcap.js';

const dir = process.argv[2] ?? '/tmp/gen';
mkdirSync(dir, { recursive: true });
const start = 1_700_000_000_123;
for (const protocol of GEN_PROTOCOLS) {
  for (const sampled of [false, true]) {
    const boot = start - 86_400_000;
    const exp = createExporter({
      protocol,
      seed: 7,
      exporterId: 3,
      bootTime: boot,
      samplingRate: sampled ? 100 : 1,
      variableLength: sampled,
      expandedSamples: sampled,
      templateRefresh: 5,
      counterEvery: 3,
      traffic: { ipv6Share: 0.3 },
    });
    const dgs = [];
    const flows = [];
    for (let i = 0; i < 40; i++) {
      const now = start + i * 250;
      const p = exp.next(now);
      flows.push(...p.flows);
      const dstPort = DEFAULT_PORTS[protocol];
      dgs.push({ bytes: p.bytes, src: '192.0.2.9', dst: '192.0.2.200', srcPort: 40000, dstPort, time: now });
    }
    const name = join(dir, `${protocol}${sampled ? '-s' : ''}`);
    writeFileSync(`${name}.pcap`, writePcap(dgs));
    writeFileSync(
      `${name}.json`,
      JSON.stringify({ boot, rate: sampled ? 100 : 1, totals: exp.totals(), flows }),
    );
  }
}
console.log(`wrote ${GEN_PROTOCOLS.length * 2} captures to ${dir}`);
