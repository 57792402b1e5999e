/**
 * Authentication and roles for every route (README "Access control"): an onRequest hook resolves the
 * principal from `Authorization: Bearer ...` (src/auth) and checks the route's `config.role` (a route
 * without one requires admin). Open without a credential: /healthz, /readyz, /api/openapi.json and every
 * path outside /api except /metrics (the web UI's static files). /metrics takes only auth.metrics_token
 * when one is configured, any valid token otherwise. Per-principal rate limit (@fastify/rate-limit);
 * failures are counted (flowlens_auth_failures_total{reason}) and logged without the credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { AuthError, type Authenticator, bearerToken } from '../auth/authenticator.js';
import { type Principal, type Role, roleAllows } from '../auth/roles.js';
import { ApiProblem, problemSchema } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role the route needs; absent: admin. */
    role?: Role;
    /** Open without a credential (health, readiness, the OpenAPI document). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Who asks (set by the auth hook before any handler; null only on open routes). */
    principal: Principal | null;
  }
}

export interface ApiAuth {
  authenticator: Authenticator;
  /** When set, the only credential /metrics takes. */
  metricsToken?: string;
  /** Requests per principal per window (default 1200 a minute). */
  rateLimit?: { max: number; windowMs: number };
  /** Where refused credentials are logged (never with the credential). */
  log?: (fields: Record<string, unknown>, message: string) => void;
}

const PROBLEM = {
  description: 'Problem document (RFC 9457)',
  content: { 'application/problem+json': { schema: problemSchema } },
};

const METRICS: Principal = {
  name: 'metrics scraper',
  role: 'viewer',
  tenant: null,
  auth: 'token',
  key: 'metrics',
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Paths open without a credential; everything else under /api, and /metrics, needs one. */
function isOpen(req: FastifyRequest, path: string): boolean {
  if (req.routeOptions.config?.public === true) return true;
  return !(path === '/api' || path.startsWith('/api/') || path === '/metrics');
}

export async function registerAuth(app: FastifyInstance, auth: ApiAuth, registry: Registry): Promise<void> {
  const failures =
    (registry.getSingleMetric('flowlens_auth_failures_total') as Counter<'reason'> | undefined) ??
    new Counter({
      name: 'flowlens_auth_failures_total',
      help: 'Refused credentials by reason (missing, malformed, unknown_token, bad_secret, revoked, expired, JWT reasons, forbidden)',
      labelNames: ['reason'],
      registers: [registry],
    });
  const metricsDigest = auth.metricsToken ? digest(auth.metricsToken) : null;
  app.decorateRequest('principal', null);

  // Every documented route that needs a credential documents its refusals too.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean; response?: Record<number, unknown> } | undefined;
    if (!schema || schema.hide || route.config?.public) return;
    schema.response = { ...schema.response, 401: PROBLEM, 403: PROBLEM, 429: PROBLEM };
  });

  const refuse = (req: FastifyRequest, reason: string, message: string): never => {
    failures.labels(reason).inc();
    auth.log?.(
      { reason, method: req.method, path: req.url.split('?')[0], ip: req.ip },
      'authentication refused',
    );
    throw new ApiProblem(reason === 'forbidden' ? 'forbidden' : 'unauthorized', message);
  };

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0];
    if (isOpen(req, path)) return;
    if (auth.authenticator.mode === 'none') {
      req.principal = await auth.authenticator.authenticate(undefined);
      return;
    }
    if (path === '/metrics' && metricsDigest) {
      let ok = false;
      try {
        ok = timingSafeEqual(digest(bearerToken(req.headers.authorization)), metricsDigest);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        refuse(req, err.reason, err.message);
      }
      if (!ok) refuse(req, 'bad_metrics_token', '/metrics takes the configured scrape token');
      req.principal = METRICS;
      return;
    }
    let principal: Principal;
    try {
      principal = await auth.authenticator.authenticate(req.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return refuse(req, err.reason, err.message);
    }
    req.principal = principal;
    // An unknown route is a 404 for anyone authenticated (the role of a route that does not exist is moot).
    if (req.is404) return;
    const need = req.routeOptions.config?.role ?? 'admin';
    if (!roleAllows(principal.role, need))
      refuse(req, 'forbidden', `this route needs role ${need}; ${principal.name} has ${principal.role}`);
  });

  const limit = auth.rateLimit ?? { max: 1200, windowMs: 60_000 };
  await app.register(fastifyRateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    // After the auth hook: keyed by who asks, so one token cannot use up another's budget.
    hook: 'preParsing',
    keyGenerator: (req) => req.principal?.key ?? `ip:${req.ip}`,
    errorResponseBuilder: (_req, ctx) =>
      new ApiProblem('rate_limited', `more than ${ctx.max} requests; retry in ${ctx.after}`),
  });
}
