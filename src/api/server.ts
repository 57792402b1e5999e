import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { QueryError } from '../query/errors.js';
import { parseQuery } from '../query/validate.js';
import type { FlowStore } from '../storage/port.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Readiness;
  /** When given, POST /api/v1/query runs a query AST against it (the CLI's `--via` path while serve runs). */
  store?: FlowStore;
}

function problem(reply: FastifyReply, status: number, title: string, detail?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) });
}

/** Health, readiness, Prometheus metrics and the query endpoint of a running collector. */
export class HttpServer {
  private app: FastifyInstance | null = null;
  address: { host: string; port: number } | null = null;

  constructor(private readonly opts: HttpServerOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const app = Fastify({ logger: false });
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const r = this.opts.readiness();
      return reply
        .code(r.ready ? 200 : 503)
        .send({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    });
    app.get('/metrics', async (_req, reply) => {
      const text = await this.opts.registry.metrics();
      return reply.type(this.opts.registry.contentType).send(text);
    });
    app.post('/api/v1/query', async (req, reply) => {
      const store = this.opts.store;
      if (!store) return problem(reply, 404, 'no store attached');
      const parsed = parseQuery(req.body);
      if (!parsed.ok) return problem(reply, 400, 'invalid query', parsed.error);
      try {
        return await store.query(parsed.query);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // The caller's mistake (a field the tier does not keep, a malformed address) is a 400; the rest is ours.
        if (err instanceof QueryError) return problem(reply, 400, 'invalid query', message);
        return problem(reply, 500, 'query failed', message);
      }
    });
    app.setNotFoundHandler((_req, reply) => problem(reply, 404, 'not found'));
    await app.listen({ host: this.opts.host, port: this.opts.port });
    this.app = app;
    const a = app.server.address();
    this.address =
      a && typeof a === 'object'
        ? { host: a.address, port: a.port }
        : { host: this.opts.host, port: this.opts.port };
    return this.address;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    if (app) await app.close();
  }
}
