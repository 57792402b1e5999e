import { Gauge, type Registry } from 'prom-client';
import type { FlowStore } from '../storage/port.js';

/**
 * flowlens_store_engine_memory_bytes{part}: what an embedded engine holds (FlowStore.engineMemory), read
 * when /metrics is scraped. With the embedded store most of serve's memory is the engine's, not Node's
 * heap: this tells the caches, merges and running statements apart from the collector's own.
 */
export function registerEngineMetrics(registry: Registry, store: FlowStore): void {
  if (!store.engineMemory) return;
  const read = store.engineMemory.bind(store);
  new Gauge({
    name: 'flowlens_store_engine_memory_bytes',
    help: 'Memory held by the embedded store engine, by part (tracked: all it accounts for)',
    labelNames: ['part'],
    registers: [registry],
    async collect() {
      let parts: Record<string, number>;
      try {
        parts = await read();
      } catch {
        return; // a closing store: the scrape goes on without this gauge
      }
      this.reset();
      for (const [part, bytes] of Object.entries(parts)) this.set({ part }, bytes);
    },
  });
}
