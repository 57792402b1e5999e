/**
 * Who am I, and the admin routes of access control: API tokens (list, create: the token is in the answer
 * once, revoke) and the audit log of admin actions. The same TokenAdmin as `flowlens token`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TokenAdmin, TokenInputError } from '../auth/admin.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ROLES } from '../auth/roles.js';
import type { FlowStore } from '../storage/port.js';
import { ApiProblem, attachedStore } from './problems.js';
import { problemResponses, timeSpec } from './schemas.js';

export interface AccessRouteOptions {
  store?: FlowStore;
  authenticator: Authenticator;
}

const role = z.enum(ROLES as [string, ...string[]]);

const tokenInfo = z.object({
  id: z.string().describe('The id part of flk_<id>_<secret>'),
  name: z.string(),
  role,
  tenant: z.string().nullable(),
  created_at: z.number().describe('Epoch ms'),
  created_by: z.string(),
  expires_at: z.number().nullable().describe('Epoch ms; null: never'),
  revoked_at: z.number().nullable(),
  last_used_at: z.number().nullable().describe('Epoch ms, recorded at most about once a minute'),
});

const auditEntry = z.object({
  at: z.number().describe('Epoch ms'),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  detail: z.string().describe('JSON text'),
});

const actor = (req: FastifyRequest) => req.principal?.name ?? 'anonymous';

export function registerAccessRoutes(app: FastifyInstance, opts: AccessRouteOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const admin = (): TokenAdmin => {
    return new TokenAdmin(attachedStore(opts.store));
  };
  const inputProblem = (err: unknown): never => {
    if (err instanceof TokenInputError)
      throw new ApiProblem('invalid_parameter', err.message, { parameter: err.parameter });
    throw err;
  };

  zapp.get(
    '/api/v1/whoami',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Who the credential of this request is: how it authenticated, its role and tenant',
        tags: ['access'],
        response: {
          200: z.object({
            auth: z.enum(['none', 'token', 'jwt']),
            name: z.string(),
            role,
            tenant: z.string().nullable(),
          }),
          ...problemResponses(),
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      return { auth: p.auth, name: p.name, role: p.role, tenant: p.tenant };
    },
  );

  zapp.get(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'API tokens (never their secrets), newest first',
        tags: ['access'],
        response: { 200: z.object({ tokens: z.array(tokenInfo) }), ...problemResponses({ statuses: [503] }) },
      },
    },
    async () => ({ tokens: await admin().list() }),
  );

  zapp.post(
    '/api/v1/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create an API token; the answer holds the token, shown this once',
        tags: ['access'],
        body: z.object({
          role,
          tenant: z.string().max(64).nullable().optional().describe('Bind the token to a tenant'),
          expires: z.string().max(32).optional().describe('A duration (90d, 12h) or never; default 90d'),
          name: z.string().max(100).optional(),
        }),
        response: {
          201: tokenInfo.extend({ token: z.string().describe('flk_<id>_<secret>: store it now') }),
          ...problemResponses({ body: true, statuses: [503] }),
        },
      },
    },
    async (req, reply) => {
      const r = await admin().create(req.body, actor(req)).catch(inputProblem);
      return reply.code(201).send({ ...r.info, token: r.token });
    },
  );

  zapp.delete(
    '/api/v1/tokens/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Revoke an API token (refused from this request on)',
        tags: ['access'],
        params: z.object({ id: z.string().max(64) }),
        response: {
          200: z.object({ id: z.string(), revoked: z.literal(true) }),
          ...problemResponses({ statuses: [404, 503] }),
        },
      },
    },
    async (req) => {
      const ok = await admin().revoke(req.params.id, actor(req)).catch(inputProblem);
      if (!ok) throw new ApiProblem('not_found', `no token ${req.params.id}`);
      opts.authenticator.revoked(req.params.id);
      return { id: req.params.id, revoked: true as const };
    },
  );

  zapp.get(
    '/api/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'The audit log of admin actions (token and tenant changes), newest first',
        tags: ['access'],
        querystring: z.object({
          from: timeSpec.prefault('-30d'),
          to: timeSpec.prefault('now'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
        response: {
          200: z.object({ entries: z.array(auditEntry) }),
          ...problemResponses({ statuses: [503] }),
        },
      },
    },
    async (req) => ({ entries: await admin().listAudit(req.query) }),
  );
}
