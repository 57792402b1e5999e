import { Gauge, type Registry } from 'prom-client';
import type { WorkerPool } from '../ingest/pool.js';

type PoolStats = Awaited<ReturnType<WorkerPool['stats']>>;

/**
 * Per-exporter health from the decoders (FlowDecoder.stats() in every worker), gathered when /metrics is
 * scraped: sequence loss, templates, datagrams per (exporter, protocol, domain). prom-client reads all
 * gauges of one scrape concurrently, so each gauge's collect awaits one shared refresh.
 */
export function registerDecoderMetrics(registry: Registry, pool: WorkerPool): void {
  let current: { at: number; p: Promise<PoolStats | null> } | null = null;
  const refresh = (): Promise<PoolStats | null> => {
    const now = Date.now();
    if (current && now - current.at < 1000) return current.p;
    const p = Promise.race([
      pool.stats(),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref()),
    ]).catch(() => null);
    current = { at: now, p };
    return p;
  };
  const labelNames = ['exporter', 'protocol', 'domain'] as const;
  const perDomain = (name: string, help: string, pick: (d: PoolStats['domains'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const stats = await refresh();
        if (!stats) return;
        this.reset();
        for (const d of stats.domains) {
          this.set({ exporter: d.exporter, protocol: d.protocol, domain: String(d.domain) }, pick(d));
        }
      },
    });
  perDomain(
    'flowlens_exporter_sequence_lost',
    'Units lost according to sequence numbers (exporter-side loss)',
    (d) => d.sequenceLost,
  );
  perDomain(
    'flowlens_exporter_sequence_resets',
    'Sequence restarts / reorders seen',
    (d) => d.sequenceResets,
  );
  perDomain('flowlens_exporter_templates', 'Data templates known', (d) => d.templates);
  perDomain('flowlens_exporter_options_templates', 'Options templates known', (d) => d.optionsTemplates);
  perDomain('flowlens_exporter_datagrams', 'Datagrams decoded', (d) => d.datagrams);
  perDomain('flowlens_exporter_records', 'Records decoded', (d) => d.records);
  new Gauge({
    name: 'flowlens_decoder_pending_records',
    help: 'Data records waiting for their template',
    registers: [registry],
    async collect() {
      const stats = await refresh();
      if (stats) this.set(stats.pending);
    },
  });
}
