import { createWallSchema, wallCommandSchema, wallStateSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import type { Logger } from '../lib/logger.ts';
import { COMMON_ERRORS, defineRoute, errorSchema, registerRoutes, WRITE_ERRORS } from '../openapi/index.ts';
import { WallVersionConflict } from './reducer.ts';
import { WallService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The walls of this gateway (the realtime server listens to its changes). */
    walls: WallService;
  }
}

export interface WallRoutesDeps {
  db: Db;
  decisions: DecisionService;
  /** Records a refusal (no change to commit with it), e.g. the gateway's AuditBatcher. */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  logger: Logger;
}

// Any id: the service answers one that names no wall of the caller's organisation with not_found:wall.
const wallParams = z.object({ id: z.string() });

/**
 * GET /api/walls (the walls the user may use), POST /api/walls (create: `{ name, layout }` → 201),
 * GET /api/walls/:id, POST /api/walls/:id/commands (a `WallCommand` → the new state; a stale
 * version → 409 `{ code: 'conflict:version', message, current }`). Writes need the session's CSRF
 * token (identity hook). Decorates the app with `walls` (the `WallService`) for the realtime server.
 */
export function registerWallRoutes(app: FastifyInstance, deps: WallRoutesDeps): WallService {
  const walls = new WallService({
    db: deps.db,
    decisions: deps.decisions,
    audit: deps.audit,
    logger: deps.logger.child({ feature: 'walls' }),
  });
  app.decorate('walls', walls);

  const list = defineRoute({
    method: 'get',
    url: '/api/walls',
    summary: 'The walls the caller may use (its organisation’s)',
    tag: 'walls',
    access: 'session',
    responses: {
      200: { description: 'walls', schema: z.object({ walls: z.array(wallStateSchema) }) },
      ...COMMON_ERRORS,
    },
    handler: async ({ auth }) => {
      return { walls: await walls.list(auth.user) };
    },
  });

  const create = defineRoute({
    method: 'post',
    url: '/api/walls',
    summary: 'Create a wall for the caller’s organisation',
    tag: 'walls',
    access: 'session+csrf',
    body: createWallSchema,
    responses: { 201: { description: 'created', schema: wallStateSchema }, ...WRITE_ERRORS },
    handler: async ({ req, reply, auth, body }) => {
      const wall = await walls.create({ user: auth.user, address: req.ip }, body);
      return reply.code(201).send(wall);
    },
  });

  const get = defineRoute({
    method: 'get',
    url: '/api/walls/:id',
    summary: 'A wall’s current state',
    tag: 'walls',
    access: 'session',
    params: wallParams,
    responses: {
      200: { description: 'the wall', schema: wallStateSchema },
      ...COMMON_ERRORS,
      404: {
        description: 'not_found:wall — no such wall, or another organisation’s (answered alike; audited)',
        schema: errorSchema,
      },
    },
    handler: async ({ req, auth, params }) => {
      return walls.get(auth.user, params.id, req.ip);
    },
  });

  const command = defineRoute({
    method: 'post',
    url: '/api/walls/:id/commands',
    summary:
      'Change a wall (layout, assign, clear, swap, tour, playback clock, tile mode) at an expected version; broadcast to its room',
    tag: 'walls',
    access: 'session+csrf',
    rule: 'Cameras put on a wall must pass catalog:read for the sender (refusals audited).',
    params: wallParams,
    body: wallCommandSchema,
    responses: {
      200: { description: 'the new state', schema: wallStateSchema },
      ...WRITE_ERRORS,
      404: {
        description:
          'not_found:wall | not_found:camera — also for another organisation’s wall and a camera outside the caller’s tier (audited)',
        schema: errorSchema,
      },
      409: {
        description:
          'conflict:version — with the current state; conflict:state — a playback command to a live wall',
        schema: errorSchema.extend({ current: wallStateSchema }),
      },
    },
    handler: async ({ req, reply, auth, params, body }) => {
      try {
        return await walls.command({ user: auth.user, address: req.ip }, params.id, body);
      } catch (err) {
        if (err instanceof WallVersionConflict) {
          return reply.code(409).send({ code: err.code, message: err.message, current: err.current });
        }
        throw err;
      }
    },
  });

  registerRoutes(app, [list, create, get, command]);
  return walls;
}
