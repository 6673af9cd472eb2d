import { sourceCreateSchema, sourceSchema, sourceUpdateSchema } from '@wall/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Auth } from '../identity/index.ts';
import {
  answer,
  COMMON_ERRORS,
  defineRoute,
  errorSchema,
  lenientIdParams,
  registerRoutes,
  uuidParams,
  WRITE_ERRORS,
} from '../openapi/index.ts';
import type { RegistryDeps } from './deps.ts';
import { SourceService } from './source-service.ts';

export const REGISTRY_RULE =
  'Writes need the registry_admin role within the admin’s tier (city: all; district: its district; unit: its own org). Every write and refusal is audited in the change’s transaction.';

const SOURCE_NOT_FOUND = { description: 'not_found:source', schema: errorSchema };
const noSuchSource = answer('not_found:source', 'no such source system');

/** The route's `:id` as the audit names the target of a refusal (null when it is not a UUID). */
const targetIdOf = (req: FastifyRequest) => lenientIdParams.parse(req.params).id ?? null;
const actorOf = (req: FastifyRequest, auth: Auth) => ({ user: auth.user, address: req.ip });

/** Source systems: `/api/sources` (list, read, register, change, remove). */
export function registerSourceRoutes(app: FastifyInstance, deps: RegistryDeps): SourceService {
  const sources = new SourceService(deps, app.log);
  registerRoutes(app, [
    defineRoute({
      method: 'get',
      url: '/api/sources',
      summary: 'Source systems in the caller’s scope (never with secrets)',
      tag: 'registry',
      access: 'session',
      responses: {
        200: { description: 'sources', schema: z.object({ sources: z.array(sourceSchema) }) },
        ...COMMON_ERRORS,
      },
      handler: async ({ auth }) => ({ sources: await sources.list(auth.user) }),
    }),
    defineRoute({
      method: 'get',
      url: '/api/sources/:id',
      summary: 'One source system',
      tag: 'registry',
      access: 'session',
      params: uuidParams,
      invalid: { params: noSuchSource },
      responses: {
        200: { description: 'the source', schema: sourceSchema },
        ...COMMON_ERRORS,
        404: SOURCE_NOT_FOUND,
      },
      handler: async ({ auth, params }) => sources.get(auth.user, params.id),
    }),
    defineRoute({
      method: 'post',
      url: '/api/sources',
      summary: 'Register a source system (GB/T 28181, RTSP, ONVIF); its secret is sealed (AES-256-GCM)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: ({ req, auth }) => sources.requireAdmin(actorOf(req, auth), 'register', null),
      body: sourceCreateSchema,
      responses: { 201: { description: 'registered', schema: sourceSchema }, ...WRITE_ERRORS },
      handler: async ({ req, reply, auth, body }) =>
        reply.code(201).send(await sources.register(actorOf(req, auth), body)),
    }),
    defineRoute({
      method: 'patch',
      url: '/api/sources/:id',
      summary: 'Change a source system (name, connection, secret)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: ({ req, auth }) => sources.requireAdmin(actorOf(req, auth), 'update', targetIdOf(req)),
      params: uuidParams,
      body: sourceUpdateSchema,
      invalid: { params: noSuchSource },
      responses: {
        200: { description: 'changed', schema: sourceSchema },
        ...WRITE_ERRORS,
        404: SOURCE_NOT_FOUND,
      },
      handler: async ({ req, auth, params, body }) => sources.update(actorOf(req, auth), params.id, body),
    }),
    defineRoute({
      method: 'delete',
      url: '/api/sources/:id',
      summary: 'Remove a source system (marked removed; refused while it has cameras)',
      tag: 'registry',
      access: 'session+csrf',
      rule: REGISTRY_RULE,
      guard: ({ req, auth }) => sources.requireAdmin(actorOf(req, auth), 'remove', targetIdOf(req)),
      params: uuidParams,
      invalid: { params: noSuchSource },
      responses: {
        200: { description: 'removed', schema: sourceSchema },
        ...WRITE_ERRORS,
        404: SOURCE_NOT_FOUND,
        409: { description: 'conflict:in_use', schema: errorSchema },
      },
      handler: async ({ req, auth, params }) => sources.remove(actorOf(req, auth), params.id),
    }),
  ]);
  return sources;
}
