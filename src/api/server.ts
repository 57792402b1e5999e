import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { TenantScopes } from '../auth/tenants.js';
import type { ExporterHealth } from '../core/exporter-health.js';
import type { FlowStore, HostLabel } from '../storage/port.js';
import { registerAccessRoutes } from './access-routes.js';
import { type ApiAuth, registerAuth } from './auth-hook.js';
import { storeRecentValues } from './complete.js';
import { registerMoreRoutes, type ScanThresholds } from './more-routes.js';
import { ApiProblem, PROBLEM_CONTENT_TYPE, toProblem } from './problems.js';
import { registerRoutes } from './routes.js';
import { apiRegistry, LIMITS } from './schemas.js';
import { registerTenantRoutes } from './tenant-routes.js';
import { registerUiStatic, sendSpa, wantsSpa } from './ui-static.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Readiness;
  /** When given, the /api/v1 queries run against it (and the CLI's `--via` path works while serve runs). */
  store?: FlowStore;
  /** Exporter health from the collector of this process (serve); none: collector_unavailable. */
  exporters?: () => Promise<ExporterHealth[]>;
  /** Scan detection thresholds (config scans.*). */
  scans?: ScanThresholds;
  /** The configuration's host labels (config deps.labels, deps.labelsFile), read before the store's. */
  configLabels?: readonly HostLabel[];
  /** Per-request query time limit (default LIMITS.queryTimeoutMs). */
  queryTimeoutMs?: number;
  /**
   * Authentication (src/api/auth-hook.ts). Required, so no server is ever built open by omission: an open
   * one names `new Authenticator({ mode: 'none' })`.
   */
  auth: ApiAuth;
  /** The built web UI (dist/ui) to serve at `/`; absent: no UI (src/api/ui-static.ts). */
  uiRoot?: string | null;
}

export type ApiOptions = Omit<HttpServerOptions, 'host' | 'port'>;

/** What serve logs at start and /readyz says in no-auth mode. */
export const NO_AUTH_WARNING =
  'authentication is off (auth.mode: none): every request acts as admin; only for a local trial';

function sendProblem(reply: FastifyReply, p: ApiProblem) {
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p.toJSON());
}

/**
 * The HTTP application without a socket (tests inject requests into it): health, readiness, metrics, the
 * /api/v1 routes and the OpenAPI document at /api/openapi.json, generated from the routes' zod schemas.
 */
export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.bodyBytes,
    // Node refuses oversized headers (a huge Authorization) before fastify sees the request: answer with
    // a problem document instead of a bare status line.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      const big = err.code === 'HPE_HEADER_OVERFLOW';
      const p = big
        ? new ApiProblem('headers_too_large', 'request headers too large')
        : new ApiProblem('invalid_body', 'malformed HTTP request');
      const body = JSON.stringify(p.toJSON());
      const status = big ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      else socket.destroy(err);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are plain JSON.stringify: checking every row of a large answer against its schema would cost
  // the event loop that also coordinates ingestion. The tests check responses against the document instead.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Before the routes and the OpenAPI generator: its onRoute hook adds the 401/403/429 responses.
  await registerAuth(app, opts.auth, opts.registry);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FlowLens HTTP API',
        version: '1',
        description:
          'Network flow queries, the filter language and tier state. Errors are RFC 9457 problem documents (application/problem+json).',
      },
    },
    transform: createJsonSchemaTransform({ schemaRegistry: apiRegistry }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: apiRegistry }),
  });

  app.setErrorHandler((err, _req, reply) => sendProblem(reply, toProblem(err)));
  const ui = opts.uiRoot ?? null;
  app.setNotFoundHandler((req, reply) => {
    if (ui && wantsSpa(req)) return sendSpa(reply);
    return sendProblem(reply, new ApiProblem('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
  if (ui) await registerUiStatic(app, ui);

  const open = { schema: { hide: true }, config: { public: true } };
  const noAuth = opts.auth.authenticator.mode === 'none';
  app.get('/healthz', open, async () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_req, reply) => {
    const r = opts.readiness();
    return reply.code(r.ready ? 200 : 503).send({
      status: r.ready ? 'ready' : 'not ready',
      checks: r.checks,
      auth: noAuth ? 'none' : 'required',
      ...(noAuth ? { warning: NO_AUTH_WARNING } : {}),
    });
  });
  app.get('/metrics', { schema: { hide: true }, config: { role: 'viewer' } }, async (_req, reply) => {
    const text = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(text);
  });
  app.get('/api/openapi.json', open, async () => app.swagger());

  const store = opts.store;
  const configLabels = opts.configLabels ?? [];
  const scopes = store ? new TenantScopes(store, undefined, undefined, configLabels) : undefined;
  registerRoutes(app, {
    store,
    scopes,
    configLabels,
    timeoutMs: opts.queryTimeoutMs ?? LIMITS.queryTimeoutMs,
    recent: store ? storeRecentValues((q) => store.query(q)) : undefined,
  });
  registerAccessRoutes(app, { store, authenticator: opts.auth.authenticator });
  registerMoreRoutes(app, {
    store,
    scopes,
    timeoutMs: opts.queryTimeoutMs ?? LIMITS.queryTimeoutMs,
    exporters: opts.exporters,
    scans: opts.scans,
  });
  registerTenantRoutes(app, { store, scopes });
  await app.ready();
  return app;
}

/** Health, readiness, Prometheus metrics and the HTTP API of a running collector. */
export class HttpServer {
  private app: FastifyInstance | null = null;
  address: { host: string; port: number } | null = null;

  constructor(private readonly opts: HttpServerOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const app = await buildApi(this.opts);
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
