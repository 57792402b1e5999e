import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { udpReceiveBufferErrors } from './kernel.js';

/** Live values read when /metrics is scraped (set once the components exist). */
export interface MetricProbes {
  queue?: () => { depth: number; bytes: number };
  batcher?: () => number;
}

/** Every counter the collector exposes on /metrics (names documented by their help text). */
export function createIngestMetrics(registry: Registry, probes: MetricProbes = {}) {
  const r = [registry];
  return {
    datagrams: new Counter({
      name: 'flowlens_datagrams_received_total',
      help: 'Datagrams (UDP) or stream chunks (TCP) received, per listener',
      labelNames: ['listener'] as const,
      registers: r,
    }),
    bytes: new Counter({
      name: 'flowlens_bytes_received_total',
      help: 'Payload bytes received, per listener',
      labelNames: ['listener'] as const,
      registers: r,
    }),
    flows: new Counter({
      name: 'flowlens_flows_decoded_total',
      help: 'Flow records decoded, per protocol',
      labelNames: ['protocol'] as const,
      registers: r,
    }),
    decodeErrors: new Counter({
      name: 'flowlens_decode_errors_total',
      help: 'Decode errors by reason (DecodeError code)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    drops: new Counter({
      name: 'flowlens_drops_total',
      help: 'Datagrams (queue_full, not_allowed, rate_limited, worker_died) or flows (spool_full) dropped, by reason',
      labelNames: ['reason', 'unit'] as const,
      registers: r,
    }),
    kernelDrops: new Gauge({
      name: 'flowlens_kernel_udp_rcvbuf_errors',
      help: 'Datagrams the kernel dropped for a full UDP receive buffer, host-wide since boot (raise ingest.recvBufferSize / net.core.rmem_max)',
      registers: r,
      collect() {
        const v = udpReceiveBufferErrors();
        if (v !== null) this.set(v);
      },
    }),
    queueDepth: new Gauge({
      name: 'flowlens_queue_depth',
      help: "Datagrams read from the sockets and not yet decoded (the socket thread's backlog and the decode queue)",
      registers: r,
      collect() {
        if (probes.queue) this.set(probes.queue().depth);
      },
    }),
    queueBytes: new Gauge({
      name: 'flowlens_queue_bytes',
      help: 'Bytes of the queued datagrams',
      registers: r,
      collect() {
        if (probes.queue) this.set(probes.queue().bytes);
      },
    }),
    batchRecords: new Gauge({
      name: 'flowlens_batcher_pending_records',
      help: 'Decoded flows waiting in the batcher',
      registers: r,
      collect() {
        if (probes.batcher) this.set(probes.batcher());
      },
    }),
    batchSize: new Histogram({
      name: 'flowlens_batch_size_records',
      help: 'Flows per batch handed to the store',
      buckets: [10, 100, 1000, 5000, 10_000, 20_000, 50_000, 100_000],
      registers: r,
    }),
    insertSeconds: new Histogram({
      name: 'flowlens_store_insert_seconds',
      help: 'Store insert latency per batch',
      labelNames: ['result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    storedFlows: new Counter({
      name: 'flowlens_flows_stored_total',
      help: 'Flows inserted into the store (directly or replayed from the spool)',
      labelNames: ['path'] as const,
      registers: r,
    }),
    duplicateFlows: new Counter({
      name: 'flowlens_flows_duplicate_total',
      help: 'Flows of retried or replayed batches the store already held (not stored again)',
      registers: r,
    }),
    spoolBytes: new Gauge({ name: 'flowlens_spool_bytes', help: 'Bytes in the on-disk spool', registers: r }),
    spoolBatches: new Gauge({
      name: 'flowlens_spool_batches',
      help: 'Batches waiting in the spool',
      registers: r,
    }),
    spooledFlows: new Counter({
      name: 'flowlens_flows_spooled_total',
      help: 'Flows written to the spool because the store was slow or down',
      registers: r,
    }),
    storeUp: new Gauge({
      name: 'flowlens_store_up',
      help: '1 when the last store insert succeeded',
      registers: r,
    }),
    recvBuffer: new Gauge({
      name: 'flowlens_socket_receive_buffer_bytes',
      help: 'SO_RCVBUF granted by the kernel, per listener',
      labelNames: ['listener'] as const,
      registers: r,
    }),
    tcpConnections: new Gauge({
      name: 'flowlens_tcp_connections',
      help: 'Open IPFIX-over-TCP connections',
      registers: r,
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
