import { cpus } from 'node:os';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HttpServer, NO_AUTH_WARNING } from '../api/server.js';
import { defaultUiRoot } from '../api/ui-static.js';
import { type Config, configLabels, spoolDir } from '../config/load.js';
import { parseHostPort } from '../config/schema.js';
import { parseUserServicePorts } from '../core/services/services.js';
import { DiscoveryJob } from '../deps/job.js';
import { Batcher } from '../ingest/batcher.js';
import type { BoundInfo, ListenSpec } from '../ingest/listeners.js';
import { LogLimiter } from '../ingest/log-limit.js';
import { createIngestMetrics, type MetricProbes } from '../ingest/metrics.js';
import { WorkerPool } from '../ingest/pool.js';
import { Receiver } from '../ingest/receiver.js';
import { Spool } from '../ingest/spool.js';
import { StoreWriter } from '../ingest/writer.js';
import { JobScheduler } from '../jobs/scheduler.js';
import { TierJobs } from '../jobs/tier-jobs.js';
import type { FlowStore } from '../storage/port.js';
import { createApiAuth } from './auth.js';
import { registerDecoderMetrics } from './decoder-metrics.js';
import { registerEngineMetrics } from './engine-metrics.js';
import { ServeLock } from './lock.js';
import { type OpenStoreOptions, openStore, prepareForWriting } from './store.js';

export interface ServeOptions {
  log?: Logger;
  /** Opens the store (default: openStore of src/app/store.ts, which picks the backend from the config). */
  openStore?: (o: OpenStoreOptions) => Promise<FlowStore>;
  /** Tests: wrap the opened store (e.g. to make it fail for a while). */
  wrapStore?: (store: FlowStore) => FlowStore;
}

export type { OpenStoreOptions as StoreOpenOptions } from './store.js';

export interface RunningServe {
  listeners: BoundInfo[];
  http: { host: string; port: number } | null;
  registry: Registry;
  store: FlowStore;
  writer: StoreWriter;
  pool: WorkerPool;
  jobs: JobScheduler | null;
  /** Waits until every datagram received so far is decoded and its flows stored (or spooled). */
  settle(): Promise<void>;
  /** Graceful stop: receiving ends, queues drain, batches flush, decoder state is saved. Idempotent. */
  stop(): Promise<void>;
}

export function listenSpecs(config: Config): ListenSpec[] {
  const out: ListenSpec[] = [];
  const add = (name: string, transport: 'udp' | 'tcp', list: string[]) => {
    for (const s of list) {
      const hp = parseHostPort(s)!;
      out.push({ name, transport, host: hp.host, port: hp.port });
    }
  };
  add('netflow', 'udp', config.listen.netflow);
  add('ipfix', 'udp', config.listen.ipfix);
  add('ipfix_tcp', 'tcp', config.listen.ipfixTcp);
  add('sflow', 'udp', config.listen.sflow);
  return out;
}

/**
 * The composition root of `flowlens serve`: builds every component, starts them in order (store, spool
 * writer, batcher, workers, jobs, listeners, HTTP) and stops them in reverse.
 */
export async function startServe(config: Config, opts: ServeOptions = {}): Promise<RunningServe> {
  const log = opts.log ?? pino({ level: config.log.level }, pino.destination(2));
  const stack: { name: string; stop: () => Promise<void> | void }[] = [];
  const stopAll = async () => {
    while (stack.length) {
      const c = stack.pop()!;
      try {
        await c.stop();
      } catch (err) {
        log.error({ component: c.name, err: (err as Error).message }, 'stop failed');
      }
    }
  };

  try {
    const lock = new ServeLock(config.data);
    lock.acquire();
    stack.push({ name: 'lock', stop: () => lock.release() });

    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'flowlens_process_' });
    const probes: MetricProbes = {};
    const metrics = createIngestMetrics(registry, probes);

    const open = opts.openStore ?? openStore;
    let store = await open({
      store: config.store,
      data: config.data,
      internalNetworks: config.internalNetworks,
    });
    stack.push({ name: 'store', stop: () => store.close() });
    // Records the configured retention (if any); the retention job applies the one in force in the store.
    await prepareForWriting(store, config.retention);
    if (opts.wrapStore) store = opts.wrapStore(store);
    // Before anything starts: a bad JWT key file stops serve here, naming the key.
    const apiAuth = config.http.listen ? createApiAuth(config, store, log) : null;

    const spool = new Spool({
      dir: spoolDir(config),
      maxBytes: config.spool.maxBytes,
      fsync: config.spool.fsync,
    });
    spool.open();
    if (spool.torn)
      log.warn({ torn: spool.torn }, 'spool had a torn last line (crash while writing): ignored');
    // Made before the writer, which tells the jobs which windows each stored batch touched: the flows it
    // replays from the spool are judged late against the watermark read from the store.
    let tierJobs: TierJobs | null = null;
    let discovery: DiscoveryJob | null = null;
    if (config.jobs.enabled) {
      const d = new DiscoveryJob({
        store,
        everyMs: config.jobs.discoverEvery,
        windowMs: config.deps.discoveryWindow,
        idleAfterMs: config.deps.idleAfter,
        maxConversations: config.deps.maxConversations,
        infer: { userPorts: parseUserServicePorts(config.deps.servicePorts) },
      });
      tierJobs = new TierJobs({
        store,
        aggregateGraceMs: config.jobs.aggregateGrace,
        aggregateEveryMs: config.jobs.aggregateEvery,
        rollupEveryMs: config.jobs.rollupEvery,
        retentionEveryMs: config.jobs.retentionEvery,
        onReaggregated: (windows) => d.noteReaggregated(windows),
        behindSince: () => writer.behindSince(),
      });
      discovery = d;
      await tierJobs.ready();
    }
    const writer = new StoreWriter({
      store,
      spool,
      metrics,
      log,
      insertTimeoutMs: config.batch.insertTimeoutMs,
      onStored: (records, encodedStarts) => {
        if (records.length) tierJobs?.noteStored(records);
        if (encodedStarts.length) tierJobs?.noteFlowStarts(encodedStarts);
      },
    });
    writer.start();
    stack.push({ name: 'writer', stop: () => writer.stop() });

    const batcher = new Batcher({
      maxRecords: config.batch.maxRecords,
      maxAgeMs: config.batch.maxAgeMs,
      flush: (batch) => writer.writeBatch(batch),
    });
    stack.push({ name: 'batcher', stop: () => batcher.stop() });

    const logLimit = new LogLimiter();
    const flowsBy = new Map<string, ReturnType<typeof metrics.flows.labels>>();
    const workers = config.ingest.workers || Math.max(1, cpus().length - 1);
    const queueMaxBytes = Math.max(config.ingest.queueCapacity * 2048, 64 * 1024 * 1024);
    const pool = new WorkerPool({
      workers,
      spread: config.ingest.spread,
      queueCapacity: config.ingest.queueCapacity,
      queueMaxBytes,
      init: {
        samplingDefault: config.decode.samplingDefault,
        samplingOverride: config.decode.samplingOverride,
        // Workers encode rows in the store's own format (chdb: RowBinary; PostgreSQL: COPY BINARY rows).
        encoderModule: store.rowEncoding?.encoderModule,
      },
      onBatch: (out) => {
        for (const [p, n] of Object.entries(out.flows)) {
          let c = flowsBy.get(p);
          if (!c) {
            c = metrics.flows.labels(p);
            flowsBy.set(p, c);
          }
          c.inc(n);
        }
        for (const [code, n] of Object.entries(out.errors)) metrics.decodeErrors.labels(code).inc(n);
        for (const s of out.samples) {
          const suppressed = logLimit.allow(s.code);
          if (suppressed !== null) log.warn({ code: s.code, context: s.context, suppressed }, s.message);
        }
        if (out.records.length) batcher.add(out.records);
        const e = out.encoded;
        if (e)
          batcher.addEncoded({
            data: new Uint8Array(e.buffer, e.offset, e.length),
            rows: e.rows,
            starts: e.starts,
            lease: e.lease,
          });
      },
      onWorkerExit: (worker, lost, err) => {
        metrics.drops.labels('worker_died', 'datagrams').inc(lost);
        log.error(
          { worker, lost, err: err instanceof Error ? err.message : String(err) },
          'decode worker died',
        );
      },
    });
    await pool.start();
    const saved = await store.loadDecoderState(config.collector);
    if (saved) {
      await pool.restore(saved);
      log.info(
        { exporters: Object.keys((saved as { exporters?: object }).exporters ?? {}).length },
        'decoder state restored',
      );
    }
    stack.push({
      name: 'workers',
      stop: async () => {
        await pool.drain();
        batcher.flush();
        const snap = await pool.snapshot();
        try {
          await store.saveDecoderState(config.collector, snap);
        } catch (err) {
          log.error({ err: (err as Error).message }, 'could not save decoder state');
        }
        await pool.stop();
      },
    });
    registerDecoderMetrics(registry, pool);
    registerEngineMetrics(registry, store);
    probes.batcher = () => batcher.pending;

    let jobs: JobScheduler | null = null;
    if (tierJobs && discovery) {
      const j = new JobScheduler({ registry, log });
      for (const job of tierJobs.jobs()) j.register(job);
      // After the tier jobs: at start and on equal intervals it runs behind the aggregation it reads.
      j.register(discovery.job());
      j.start();
      jobs = j;
      stack.push({ name: 'jobs', stop: () => j.stop() });
    }

    const receiver = new Receiver({
      listen: listenSpecs(config),
      recvBufferSize: config.ingest.recvBufferSize,
      admission: {
        allow: config.ingest.allow,
        rateLimit: config.ingest.rateLimit,
        rateBurst: config.ingest.rateBurst,
      },
      backlog: { datagrams: config.ingest.queueCapacity, bytes: queueMaxBytes },
      pool,
      metrics,
      log,
    });
    probes.queue = () => ({ depth: pool.depth() + receiver.backlog, bytes: pool.bytes() });
    const listeners = await receiver.start();
    stack.push({ name: 'listeners', stop: () => receiver.stop() });

    let http: { host: string; port: number } | null = null;
    if (config.http.listen) {
      const hp = parseHostPort(config.http.listen)!;
      if (config.auth.mode === 'none') log.warn({ auth: 'none' }, NO_AUTH_WARNING);
      const server = new HttpServer({
        host: hp.host,
        port: hp.port,
        registry,
        store,
        auth: apiAuth!,
        exporters: () => pool.exporterHealth(),
        scans: config.scans,
        configLabels: configLabels(config.deps),
        uiRoot: defaultUiRoot(),
        readiness: () => ({
          ready: receiver.ready && writer.storeUp,
          checks: { listeners: receiver.ready, store: writer.storeUp },
        }),
      });
      http = await server.start();
      stack.push({ name: 'http', stop: () => server.stop() });
      const h = http.host.includes(':') ? `[${http.host}]` : http.host;
      lock.write(`http://${h}:${http.port}`);
    }

    log.info(
      {
        listeners: listeners.map((l) => `${l.transport}/${l.name} ${l.address}:${l.port}`),
        http: http ? `${http.host}:${http.port}` : null,
        ui:
          http && defaultUiRoot()
            ? `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}/`
            : null,
        workers: pool.size,
        store: store.capabilities.engine,
        data: config.data,
      },
      'flowlens serve started',
    );

    let stopping: Promise<void> | null = null;
    return {
      listeners,
      http,
      registry,
      store,
      writer,
      pool,
      jobs,
      settle: async () => {
        await pool.drain();
        batcher.flush();
        await writer.idle();
      },
      stop: () => {
        stopping ??= (async () => {
          log.info('flowlens serve stopping');
          await stopAll();
          log.info('flowlens serve stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
