import { AppError, createWallSchema, requestErrorCode, wallCommandSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DecisionService } from '../decisions/index.ts';
import { requireAuth } from '../identity/index.ts';
import type { Logger } from '../lib/logger.ts';
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

function invalid(error: z.ZodError): AppError {
  return new AppError(
    requestErrorCode(error),
    error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
  );
}

const wallIdOf = (params: unknown) => String((params as { id?: unknown }).id ?? '');

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

  app.get('/api/walls', async (req) => {
    const { user } = requireAuth(req);
    return { walls: await walls.list(user) };
  });

  app.post('/api/walls', async (req, reply) => {
    const { user } = requireAuth(req);
    const body = createWallSchema.safeParse(req.body);
    if (!body.success) throw invalid(body.error);
    const wall = await walls.create({ user, address: req.ip }, body.data);
    return reply.code(201).send(wall);
  });

  app.get('/api/walls/:id', async (req) => {
    const { user } = requireAuth(req);
    return walls.get(user, wallIdOf(req.params), req.ip);
  });

  app.post('/api/walls/:id/commands', async (req, reply) => {
    const { user } = requireAuth(req);
    const cmd = wallCommandSchema.safeParse(req.body);
    if (!cmd.success) throw invalid(cmd.error);
    try {
      return await walls.command({ user, address: req.ip }, wallIdOf(req.params), cmd.data);
    } catch (err) {
      if (err instanceof WallVersionConflict) {
        return reply.code(409).send({ code: err.code, message: err.message, current: err.current });
      }
      throw err;
    }
  });

  return walls;
}
