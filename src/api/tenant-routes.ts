/**
 * Tenants over HTTP (admin): list, create, delete, with the same TenantAdmin as `flowlens tenant`. Only
 * an admin bound to no tenant manages tenants: a tenant-bound admin could otherwise widen its own scope.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TenantAdmin, TenantInputError, type TenantScopes } from '../auth/tenants.js';
import type { FlowStore, TenantRecord } from '../storage/port.js';
import { ApiProblem, attachedStore } from './problems.js';
import { problemResponses } from './schemas.js';

export interface TenantRouteOptions {
  store?: FlowStore;
  /** The server's scope cache: a deleted tenant is forgotten at once. */
  scopes?: TenantScopes;
}

const tenant = z.object({
  name: z.string(),
  exporters: z.array(z.string()).describe('Exporter addresses'),
  networks: z
    .array(z.string())
    .describe('CIDRs: a flow is in scope when its source or destination is inside one'),
  groups: z.array(z.string()).describe('Group names (kept; not applied yet)'),
  createdAt: z.string().describe('ISO 8601'),
});

const list = (max: number) => z.array(z.string().max(200)).max(max).optional();

const out = (t: TenantRecord) => ({
  name: t.name,
  exporters: t.exporters,
  networks: t.networks,
  groups: t.groups,
  createdAt: new Date(t.created_at).toISOString(),
});

export function registerTenantRoutes(app: FastifyInstance, opts: TenantRouteOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const admin = (req: FastifyRequest): TenantAdmin => {
    const p = req.principal;
    if (p?.tenant)
      throw new ApiProblem(
        'forbidden',
        `${p.name} is bound to tenant ${p.tenant}: only an admin without a tenant manages tenants`,
      );
    return new TenantAdmin(attachedStore(opts.store));
  };
  const actor = (req: FastifyRequest) => req.principal?.name ?? 'anonymous';

  zapp.get(
    '/api/v1/tenants',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Tenants and their scopes, by name',
        tags: ['access'],
        response: { 200: z.object({ tenants: z.array(tenant) }), ...problemResponses({ statuses: [503] }) },
      },
    },
    async (req) => ({ tenants: (await admin(req).list()).map(out) }),
  );

  zapp.post(
    '/api/v1/tenants',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a tenant: exporters and/or networks (and groups) that bound what its tokens see',
        tags: ['access'],
        body: z.object({
          name: z.string().max(100),
          exporters: list(10_000),
          networks: list(10_000),
          groups: list(1_000),
        }),
        response: { 201: tenant, ...problemResponses({ body: true, statuses: [409, 503] }) },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const t = await a.create(req.body, actor(req)).catch((err) => {
        if (err instanceof TenantInputError)
          throw new ApiProblem('invalid_parameter', err.message, { parameter: err.parameter });
        throw err;
      });
      if (!t) throw new ApiProblem('conflict', `tenant ${req.body.name} already exists`);
      opts.scopes?.forget(t.name);
      return reply.code(201).send(out(t));
    },
  );

  zapp.delete(
    '/api/v1/tenants/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Delete a tenant (its tokens then read nothing)',
        tags: ['access'],
        params: z.object({ name: z.string().max(100) }),
        response: { 204: z.null().describe('Deleted'), ...problemResponses({ statuses: [404, 503] }) },
      },
    },
    async (req, reply) => {
      const a = admin(req);
      const ok = await a.delete(req.params.name, actor(req)).catch((err) => {
        if (err instanceof TenantInputError)
          throw new ApiProblem('invalid_parameter', err.message, { parameter: err.parameter });
        throw err;
      });
      if (!ok) throw new ApiProblem('not_found', `no tenant ${req.params.name}`);
      opts.scopes?.forget(req.params.name);
      return reply.code(204).send(null);
    },
  );
}
